"""Piecewise definitions as Desmos writes them, {x < 0: -x, x^2}: how they are read, their value and every derivative
branch by branch in both engines, the conventions at a boundary between branches, and every other view of a formula
(canonical text, sympy, the lab's code, why f is undefined, the compiled program).

At a boundary, f is the branch that applies at the point; its k-th derivative is defined where the branches that apply
just left and just right of the point agree, with each other and with f, at every order up to k.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

import derivlib
from derivlib import ExpressionError, derivatives, fused, parse
from derivlib.jet import compile_program
from derivlib.lab import torch_source, tutorial_code
from derivlib.parse import MAX_DEPTH, MAX_NODES
from derivlib.symbolic import cross_check, to_torch
from derivlib.tree import Binary, Comparison, Number, Parameter, Piecewise, Unary, Variable, to_text
from derivlib.undefined import causes

X = Variable("x")
NAN = math.nan
METHODS = ["taylor", "autograd"]
x, a = sympy.symbols("x a", real=True)


def error_of(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert 0 <= caught.value.position <= len(text)
    return caught.value


# ---------------------------------------------------------------------------------------------------------------------
# Reading them

TREES = [
    ("{x < 0: -x, x^2}", Piecewise(((Comparison(("<",), (X, Number(0.0))), Unary("-", X)),), parse("x^2").tree)),
    ("{x < 0: -x}", Piecewise(((Comparison(("<",), (X, Number(0.0))), Unary("-", X)),))),
    ("{0 < x <= 1: x}", Piecewise(((Comparison(("<", "<="), (Number(0.0), X, Number(1.0))), X),))),
    ("{x ≥ a: 1, 2}", Piecewise(((Comparison((">=",), (X, Parameter("a"))), Number(1.0)),), Number(2.0))),
    ("{x ⩽ 1: 1, 2}", Piecewise(((Comparison(("<=",), (X, Number(1.0))), Number(1.0)),), Number(2.0))),
    ("{x > 0}", Piecewise(((Comparison((">",), (X, Number(0.0))), Number(1.0)),))),  # Desmos' restriction: 1 there
]


@pytest.mark.parametrize(("text", "tree"), TREES)
def test_a_piecewise_definition_is_read_into_its_tree(text, tree):
    assert parse(text).tree == tree


SAME_AS = [
    ("{x < 1: sin x, x >= 1: cos x}", "{x < 1: sin(x), x >= 1: cos(x)}"),
    ("{x<0:-x,x^2}", "{x < 0: -x, x^2}"),
    ("2{x < 0: -x, x}", "2*{x < 0: -x, x}"),
    ("{x < 0: -x, x}^2", "({x < 0: -x, x})^2"),
    ("-{x < 0: -x, x}", "-({x < 0: -x, x})"),
    ("sin {x < 0: -x, x}", "sin({x < 0: -x, x})"),
    ("x^2 {x > 0}", "x^2*{x > 0: 1}"),
    ("{x < 0: {x < -1: 1, 2}, 3}", "{x < 0: ({x < -1: 1, 2}), 3}"),
    ("{x + 1 < 2x: x, 0}", "{x + 1 < 2*x: x, 0}"),
    ("{|x| < 1: x!, 0}", "{abs(x) < 1: factorial(x), 0}"),
    ("{x < 0: -x, x}!", "factorial({x < 0: -x, x})"),
    ("{x ≤ 1: 1, 2}", "{x <= 1: 1, 2}"),
    ("{1 > x >= 0: x}", "{1 > x >= 0: x}"),
]


@pytest.mark.parametrize(("text", "meaning"), SAME_AS)
def test_forms_of_a_piecewise_definition(text, meaning):
    assert parse(text) == parse(meaning)


REFUSED = [
    # (accepted, refused near-miss, the message, where it points)
    ("{x < 0: -x, x^2}", "{x < 0: -x, x^2", "unclosed '{': add a '}' to match it", 0),
    ("{x < 0: -x, x^2}", "{x < 0 -x, x^2}", "a condition needs ':' and the branch's value after it", 9),
    ("{x > 0}", "{x > 0, x < 1}", "a condition needs ':' and the branch's value after it", 6),
    ("{x > 0}", "{x < 0: 1, x > 0}", "a condition needs ':' and the branch's value after it", 16),
    ("{x < 0: -x, x^2}", "{x^2, x < 0: -x}", "only the last branch can go without a condition", 1),
    ("{x < 0: -x, x^2}", "{x < 0: -x,}", "a branch is missing after ','", 10),
    ("{x < 0: -x, x^2}", "{x < 0:, x^2}", "':' needs the branch's value after it", 6),
    ("{x < 0: -x, x^2}", "{x: -x, x^2}", "':' must follow a condition", 2),
    ("{x < 0: -x, x^2}", "{x = 0: -x, x^2}", "unexpected '=': a condition compares with <, <=, > or >=", 3),
    ("{x < 0: -x, x^2}", "{x ≠ 0: -x, x^2}", "unexpected '≠'", 3),
    ("{x < 0: -x, x^2}", "{x != 0: -x, x^2}", "unexpected '!='", 3),
    ("{x < 0: -x, x^2}", "{x < 0: -x, x^2}}", "unmatched '}'", 16),
    ("{x < 0: -x, x^2}", "x < 0", "a comparison can only be the condition of a piecewise branch", 2),
    ("{x < 0: -x, x^2}", "{x < 0: x < 1, 2}", "a comparison can only be the condition", 10),
    ("{x < 0: -x, x^2}", "{}", "empty braces: a piecewise definition needs branches", 0),
    ("{x < 0: -x, x^2}", "{x^2}", "braces hold a piecewise definition", 0),
    ("{x < 0: -x, x^2}", "{x <: -x}", "'<' needs something after it (before ':')", 3),
    ("{x < 0: -x, x^2}", "{< 0: -x}", "a comparison can only be the condition", 1),
    ("{x < 0: -x, x^2}", "{x < 0: -x, x^2, 1}", "only the last branch can go without a condition", 12),
    ("{x < 0: -x, x^2}", "{x < 0: -x; x^2}", "unexpected character ';'", 10),
    ("{0 < x < 1: x}", "{0 < x > 1: x}", "a chain of comparisons goes one way", 7),
    ("{0 < x < 1: x}", "{(0 < x): x}", "a comparison can only be the condition", 4),
    ("{x < 0: |x|}", "{x < 0: |x}", "unclosed '|': add a '|' before '}' to match it", 8),
    ("{x < 0: sin(x)}", "{x < 0: sin(x}", "unclosed '(' of sin: add a ')' before '}' to match it", 11),
    ("{x < 0: (x + 1)}", "{x < 0: (x + 1}", "unclosed '(': add a ')' before '}' to match it", 8),
    ("{x < 0: -x, x^2}", "{x < 0: -x, x^2}(", "the formula ends too early", 17),
]


@pytest.mark.parametrize(("accepted", "rejected", "message", "position"), REFUSED)
def test_a_piecewise_definition_beside_its_refused_near_miss(accepted, rejected, message, position):
    assert isinstance(parse(accepted).tree, Piecewise)
    error = error_of(rejected)
    assert message in error.message
    assert error.position == position


@pytest.mark.parametrize(
    "text",
    [
        "{x<0:" * (MAX_DEPTH + 1) + "x" + "}" * (MAX_DEPTH + 1),
        "{" * (MAX_DEPTH + 1) + "x",
        "{" + "{x<0:" * MAX_DEPTH + "x" + "}" * MAX_DEPTH + "<1:x}",
        "|" * (MAX_DEPTH + 1) + "x" + "|" * (MAX_DEPTH + 1),
        "log_(" * (MAX_DEPTH + 1) + "2" + ")" * (MAX_DEPTH + 1) + "x",
    ],
    ids=["branch-values", "braces", "conditions", "bars", "log-bases"],
)
def test_the_nesting_limit_counts_braces_and_bars(text):
    assert f"nested too deeply (more than {MAX_DEPTH} levels)" in error_of(text).message


def test_nesting_up_to_the_limit_is_accepted():
    assert parse("{x<0:" * (MAX_DEPTH - 1) + "x" + "}" * (MAX_DEPTH - 1)).size == 4 * (MAX_DEPTH - 1) + 1
    assert parse("|" * MAX_DEPTH + "x" + "|" * MAX_DEPTH) == parse("abs(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)


def test_the_node_limit_holds_for_the_widest_piecewise_definitions():
    text = "{" + ",".join("x<1:x" for _ in range(80)) + "}"  # 4 nodes a branch, within the length limit
    assert parse(text).size == 1 + 80 * 4 < MAX_NODES


def test_a_list_of_formulas_keeps_the_commas_of_a_piecewise_definition():
    assert derivlib.parse_list("{x < 0: 1, 2}, 3") == [parse("{x < 0: 1, 2}"), parse("3")]
    assert derivlib.constants("{1 < 2: 5, 6}, {pi > 4: 1, 2}") == [5.0, 2.0]


# ---------------------------------------------------------------------------------------------------------------------
# The conventions, in both engines

CONVENTIONS = [
    # (formula, x, f, f′, f″, f‴), with params where the formula has them
    ("{x < 0: -x, x^2}", 0.0, [0, NAN, NAN, NAN], None),  # a kink: f is defined, f′ is not
    ("{x < 0: -x, x^2}", -2.0, [2, -1, 0, 0], None),
    ("{x < 0: -x, x^2}", 3.0, [9, 6, 2, 0], None),
    ("{x < 1: sin x, x >= 1: cos x}", 1.0, [math.cos(1), NAN, NAN, NAN], None),  # a jump: f is the branch at 1
    ("{x < 0: x^3, x^3}", 0.0, [0, 0, 0, 6], None),  # the same on both sides: every derivative
    ("{x <= 1: x^2, 2x - 1}", 1.0, [1, 2, NAN, NAN], None),  # smooth to order 1
    ("{x < 0: 0, x^4}", 0.0, [0, 0, 0, 0], None),  # smooth to order 3
    ("{x < 0: -x, x}^2", 0.0, [0, 0, 2, 0], None),  # the whole formula's sides: (-x)² and x² agree
    ("{x < 0: 1, x > 0: 1, 5}", 0.0, [5, NAN, NAN, NAN], None),  # a removable jump is no derivative either
    ("{x^2 > 0: x, 0}", 0.0, [0, 1, 0, 0], None),  # a point of its own, with the sides' value: their derivatives
    ("{0 < x < 1: x^2, 0}", 0.0, [0, 0, NAN, NAN], None),
    ("{0 < x < 1: x^2, 0}", 1.0, [0, NAN, NAN, NAN], None),
    ("{x > 0: x}", 0.0, [NAN, NAN, NAN, NAN], None),  # no branch applies: f is undefined
    ("{x >= 0: x}", 0.0, [0, NAN, NAN, NAN], None),  # nothing on the left: no derivative
    ("{x > 0: x}", -1.0, [NAN, NAN, NAN, NAN], None),
    ("{x < a: x^2, a^2}", 1.0, [1, NAN, NAN, NAN], {"a": 1.0}),
    ("{x < a: x^2, a^2}", 0.0, [0, 0, NAN, NAN], {"a": 0.0}),
    ("{x < a: x^3, a x}", 2.0, [8, 12, 12, 6], {"a": 3.0}),
    ("{a < 0: x^2, x^3}", 0.0, [0, 0, 2, 0], {"a": -1.0}),  # a condition without x: no boundary in x
    ("{x < 0: {x < -1: 1, -x}, x}", -1.0, [1, NAN, NAN, NAN], None),  # nested
    ("{x < 0: {x < -1: 1, -x}, x}", 0.0, [0, NAN, NAN, NAN], None),
    ("{{x < 0: -1, 1} > 0: x^2, -x^2}", 0.0, [0, 0, NAN, NAN], None),  # a piecewise condition, decided beside 0
    ("{sin x > 0: 1, 0}", 0.0, [0, NAN, NAN, NAN], None),  # sin x < 0 just left of 0, > 0 just right
    ("{sin x >= 0: cos x, 1}", 0.0, [1, 0, NAN, NAN], None),
    ("{x^3 > 0: x^2, -x^2}", 0.0, [0, 0, NAN, NAN], None),  # decided by the third coefficient of x^3
    ("{x^12 > 0: x, -x}", 0.0, [0, NAN, NAN, NAN], None),  # flat past SIDE_ORDER: undecided, no derivative
    ("x^2 {x > 0}", 2.0, [4, 4, 2, 0], None),  # Desmos' restriction
    ("x^2 {x > 0}", 0.0, [NAN, NAN, NAN, NAN], None),
    ("{x < 1: x, x <= 1: 2, x}", 1.0, [2, NAN, NAN, NAN], None),  # the branches are tried in order
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("text", "point", "expected", "params"), CONVENTIONS)
def test_the_value_and_each_derivative_at_and_near_a_boundary(text, point, expected, params, method):
    got = derivatives(text, [point], order=3, params=params, method=method)[:, 0]
    assert_close(got, torch.tensor(expected, dtype=torch.float64), rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("text", "point", "expected", "params"), CONVENTIONS)
def test_asking_for_more_derivatives_changes_none_of_those_asked_before(text, point, expected, params, method):
    """The sides are decided from a fixed number of coefficients (SIDE_ORDER), not from the order asked for."""
    highest = derivatives(text, [point], order=6, params=params, method=method)[:, 0]
    for order in (0, 1, 2):
        lower = derivatives(text, [point], order=order, params=params, method=method)[:, 0]
        assert_close(lower, highest[: order + 1], rtol=0, atol=0, equal_nan=True)


FORMULAS = [
    ("{x < 0: -x, x^2}", None),
    ("{x < 1: sin x, x >= 1: cos x}", None),
    ("{x < -1: exp(x), -1 <= x <= 1: x^3 - x, log(x) + x}", None),
    ("{x < 0: sqrt(-x), sqrt(x)}", None),  # each branch undefined where the other applies
    ("{x < a: x^2, a x}", {"a": 0.5}),
    ("{x^2 < 1: 1 - x^2, 0} * sin(3x)", None),
    ("|x - 1| + {x < 0: x!, 1/(1 + x)}", None),
    ("{x < 0: {x < -1: 1, -x}, x^3}^2", None),
]
GRID = torch.linspace(-2.5, 2.5, 401, dtype=torch.float64)  # 1/80 apart: every boundary above is on it


@pytest.mark.parametrize(("text", "params"), FORMULAS)
def test_the_two_engines_agree_everywhere_boundaries_included(text, params):
    taylor = derivatives(text, GRID, order=4, params=params)
    autograd = derivatives(text, GRID, order=4, params=params, method="autograd")
    assert_close(taylor, autograd, rtol=1e-10, atol=1e-10, equal_nan=True)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("text", "params"), FORMULAS)
def test_the_chunk_size_changes_nothing(text, params, method):
    whole = derivatives(text, GRID, order=3, params=params, method=method)
    chunked = derivatives(text, GRID, order=3, params=params, method=method, chunk_size=7)
    assert_close(chunked, whole, rtol=1e-13, atol=1e-13, equal_nan=True)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("text", "params"), FORMULAS)
def test_away_from_boundaries_each_derivative_is_the_branchs_as_sympy_gives_it(text, params, method):
    """sympy differentiates its Piecewise branch by branch: the same numbers wherever no boundary is near."""
    expr = parse(text)
    symbolic = expr.to_sympy().subs({sympy.Symbol(k, real=True): v for k, v in (params or {}).items()})
    points = [-2.3, -1.7, -0.6, -0.2, 0.35, 0.8, 1.4, 2.2]
    got = derivatives(expr, points, order=3, params=params, method=method)
    for k in range(4):
        derivative = sympy.diff(symbolic, x, k)
        expected = [complex(derivative.subs(x, point).evalf(30)) for point in points]
        expected = [value.real if value.imag == 0 else NAN for value in expected]
        assert_close(got[k], torch.tensor(expected, dtype=torch.float64), rtol=1e-9, atol=1e-9, equal_nan=True)


def test_where_no_branch_applies_and_a_condition_is_undefined_f_is_undefined():
    got = derivatives("{log(x) < 0: 1, 2}", [-1.0, 0.5, 2.0], order=1)
    assert_close(got, torch.tensor([[NAN, 1.0, 2.0], [NAN, 0.0, 0.0]], dtype=torch.float64), equal_nan=True)


def test_a_branch_that_applies_nowhere_on_the_grid_sends_no_nan_into_the_gradients():
    """Each branch is computed only where it applies (sqrt(-x) for x > 0 would be 0 · NaN in the gradient)."""
    got = derivatives("{x < 0: sqrt(-x), sqrt(x)}", [1.0, 4.0], order=2, method="autograd")
    assert torch.isfinite(got).all()


def test_float32_decides_the_boundaries_as_float64_does():
    text, points = "{x < 0: -x, x^2} + {x <= 1: x, 1}", [-1.0, 0.0, 0.5, 1.0, 2.0]
    double = derivatives(text, points, order=2)
    single = derivatives(text, points, order=2, dtype="float32")
    assert torch.equal(torch.isnan(double), torch.isnan(single))


# ---------------------------------------------------------------------------------------------------------------------
# Canonical text: a random piecewise tree prints as text that parses back to it


def branch_values() -> st.SearchStrategy:
    leaf = st.one_of(st.just(X), st.sampled_from([0.0, 1.0, 2.5]).map(Number), st.just(Parameter("a")))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from("+-*/^"), inner, inner).map(lambda t: Binary(*t)),
            inner.map(lambda node: Unary("-", node)),
            st.builds(lambda c, v, o: Piecewise(((c, v),), o), conditions(inner), inner, st.none() | inner),
        ),
        max_leaves=6,
    )


def conditions(operands: st.SearchStrategy) -> st.SearchStrategy:
    ascending, descending = st.sampled_from(["<", "<="]), st.sampled_from([">", ">="])
    ops = st.one_of(st.lists(ascending, min_size=1, max_size=2), st.lists(descending, min_size=1, max_size=2))
    return ops.flatmap(
        lambda chosen: st.lists(operands, min_size=len(chosen) + 1, max_size=len(chosen) + 1).map(
            lambda parts: Comparison(tuple(chosen), tuple(parts))
        )
    )


@st.composite
def piecewise_trees(draw: st.DrawFn) -> Piecewise:
    values = branch_values()
    branches = draw(st.lists(st.tuples(conditions(values), values), min_size=1, max_size=3))
    return Piecewise(tuple(branches), draw(st.none() | values))


@settings(derandomize=True, deadline=None, max_examples=300)
@given(piecewise_trees())
def test_canonical_text_of_a_piecewise_definition_parses_back_to_the_same_tree(tree):
    text = to_text(tree)
    assert parse(text).tree == tree, text
    assert str(parse(text)) == text


CANONICAL = [
    ("{x<0:-x,x^2}", "{x < 0: -x, x^2}"),
    ("{0<x≤1:x}", "{0 < x <= 1: x}"),
    ("{x ≥ 1: 1, 2}", "{x >= 1: 1, 2}"),
    ("x^2{x>0}", "x^2*{x > 0: 1}"),
    ("-{x<0:1,2}^2", "-{x < 0: 1, 2}^2"),
    ("{x<0:1,2}!", "{x < 0: 1, 2}!"),
    ("{x + 1 < 2: x, x - 1}", "{x + 1 < 2: x, x - 1}"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_canonical_text(text, canonical):
    assert str(parse(text)) == canonical
    assert parse(canonical) == parse(text)


# ---------------------------------------------------------------------------------------------------------------------
# sympy, the lab's code, why f is undefined


def test_to_sympy_is_a_sympy_piecewise():
    built = parse("{x < 0: -x, 0 <= x < 1: x^2, a}").to_sympy()
    assert isinstance(built, sympy.Piecewise)
    expected = sympy.Piecewise((-x, x < 0), (x**2, (x >= 0) & (x < 1)), (a, True))
    for point in (-1.5, 0, 0.5, 1, 2):
        assert built.subs({x: point, a: 7}) == expected.subs({x: point, a: 7})


def test_to_sympy_without_otherwise_is_undefined_there_and_so_is_its_derivative():
    built = parse("{0 < x < 1: x^2}").to_sympy()
    assert built.subs(x, 2) is sympy.nan
    assert sympy.diff(built, x).subs(x, 2) is sympy.nan  # a (nan, True) branch would differentiate to 0


def test_a_condition_of_numbers_alone_is_decided_before_sympy_sees_it():
    assert sympy.diff(parse("{1 < 2: x^2, x}").to_sympy(), x) == 2 * x
    assert parse("{9^9^9^9 < 1: x, 2}").to_sympy() == 2  # float arithmetic: inf, never the exact integer


def test_the_walker_evaluates_sympys_piecewise_and_relationals():
    formula = sympy.Piecewise((-x, x < 0), (x**2, sympy.And(x >= 0, sympy.Ne(x, 1))), (5, sympy.Eq(x, 1)))
    values = to_torch(formula, {"x": torch.tensor([-1.0, 0.5, 1.0])}, like=torch.tensor(0.0))
    assert_close(values, torch.tensor([1.0, 0.25, 5.0]))
    undefined = to_torch(sympy.Piecewise((x, x > 0)), {"x": torch.tensor([-1.0, 1.0])}, like=torch.tensor(0.0))
    assert_close(undefined, torch.tensor([NAN, 1.0]), equal_nan=True)


@pytest.mark.parametrize("method", ["autograd", "taylor"])
def test_the_symbolic_cross_check_agrees(method):
    points = torch.linspace(-2, 2, 41, dtype=torch.float64) + 0.013  # no point on a boundary
    frame = cross_check("{x < 0: -x^3, 0 <= x < 1: sin(x), cos(x) + x}", points, order=3, method=method)
    assert (frame["max_rel"] < 1e-12).all(), frame
    assert (frame["compared"] == len(points)).all()


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("{x < 0: -x, x^2}", "torch.where(x < 0, -x, x**2)"),
        ("{x < 0: -x}", "torch.where(x < 0, -x, torch.nan)"),
        (
            "{0 < x <= 1: x, x > 1: 1}",
            "torch.where((0 < x) & (x <= 1), x, torch.where(x > 1, torch.tensor(1, dtype=torch.float64), torch.nan))",
        ),
        (
            "{x < a: 2, 3}",
            "torch.where(x < a, torch.tensor(2, dtype=torch.float64), torch.tensor(3, dtype=torch.float64))",
        ),
        (
            "{1 < 2: x, 0}",
            "torch.where(torch.tensor(1, dtype=torch.float64) < 2, x, torch.tensor(0, dtype=torch.float64))",
        ),
        ("2 {x < 0: -x, x}^2", "2*torch.where(x < 0, -x, x)**2"),
    ],
)
def test_torch_source_is_torch_where(text, source):
    assert torch_source(text) == source


def test_the_labs_script_prints_derivlibs_numbers_away_from_the_boundaries(tmp_path):
    text, points = "{x < 0: exp(x) - 1, 0 <= x < 1: sin(x), a x^2}", [-2.0, -0.5, 0.25, 0.75, 1.5, 3.0]
    script = tmp_path / "script.py"
    script.write_text(tutorial_code(text, points, params={"a": 0.5}, order=3))
    assert "torch.where computes every branch" in script.read_text()
    output = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    printed = [
        [float(value) for value in line.split(" = ", 1)[1].strip("[]").split(", ")]
        for line in output.stdout.splitlines()[1:]
    ]
    expected = derivatives(text, points, order=3, params={"a": 0.5}, method="autograd")
    assert_close(torch.tensor(printed, dtype=torch.float64), expected, rtol=0, atol=0)


def test_where_no_branch_applies_the_cause_says_so_and_where():
    expr = parse("{-1 < x < 1: x}")
    points = np.arange(-3 * 64, 3 * 64 + 1) / 64
    f = derivatives(expr, points, order=0)[0].numpy()
    assert [str(cause) for cause in causes(expr, points, f)] == [
        "no branch of the piecewise definition applies for x < -1 and x > 1"
    ]


def test_a_branch_is_checked_only_where_it_applies():
    expr = parse("{x > 0: log(x), sqrt(x)}")  # log is never asked of a negative number
    points = np.arange(-2 * 64, 2 * 64 + 1) / 64
    f = derivatives(expr, points, order=0)[0].numpy()
    assert [str(cause) for cause in causes(expr, points, f)] == ["square root of a negative number for x < 0"]


# ---------------------------------------------------------------------------------------------------------------------
# The compiled program (fused.py): the rules export as one graph, and give the eager numbers at the boundaries too

COMPILED = "{x < 0: a*sin(x)^2, 0 <= x < 1: x^3, sqrt(x)} + x"
CPU = torch.device("cpu")


def test_the_taylor_program_of_a_piecewise_formula_has_three_passes_only_on_seams_and_when_it_needs_them():
    at_each_point = compile_program(parse("{x < 0: -x, x^2} + sin(x)"), 2)  # off the seams: one pass
    with_boundaries = compile_program(parse("{x < 0: -x, x^2} + sin(x)"), 2, sides=True)
    without = compile_program(parse("{a < 0: -x, x^2} + sin(x)"), 2, sides=True)
    assert len(with_boundaries.steps) > len(without.steps) == len(at_each_point.steps)
    assert compile_program(parse("{x < 0: -x, x^2}"), 0, sides=True).steps[-1].order is None  # f alone: one pass


def test_a_piecewise_formula_compiles_and_gives_the_eager_numbers():
    points = torch.linspace(-2, 2, 4001, dtype=torch.float64)  # 0 and 1 among them
    params = {"a": 2.0}
    eager = derivatives(COMPILED, points, order=3, params=params)
    derivatives(COMPILED, points, order=3, params=params, fuse=True)
    state = fused.wait(parse(COMPILED), 3, torch.float64, CPU, timeout=600)
    assert state == "ready", state
    got = derivatives(COMPILED, points, order=3, params=params, fuse=True)
    assert fused.state(parse(COMPILED), 3, torch.float64, CPU) == "ready"  # it passed its check against the eager one
    assert_close(got, eager, rtol=1e-12, atol=1e-12, equal_nan=True)
    at = derivatives(COMPILED, [-1.0, 0.0, 0.5, 1.0, 2.0], order=3, params=params, fuse=True)
    assert torch.isnan(at[2:, 1]).all() and torch.isfinite(at[:2, 1]).all()  # 2 sin²x + x and x³ + x agree to order 1
    assert torch.isnan(at[1:, 3]).all()  # a jump at 1
