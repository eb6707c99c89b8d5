"""The symbolic cross-check: sympy's derivatives of derivlib's own tree, evaluated by an allow-listed walker, agree
with autograd; sympy's time is bounded by a worker process that is killed, whatever the formula."""

from __future__ import annotations

import functools
import math
import os
import pickle
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sympy
import torch

from derivlib import helper_process, parse, symbolic
from derivlib.rounding import SAFETY
from derivlib.symbolic import (
    SYMPY_FUNCTIONS,
    Formula,
    badge,
    cross_check,
    derivative_formulas,
    to_torch,
)

X = sympy.Symbol("x", real=True)
HUGE = "9^9^9^9"  # sympy would compute a power with hundreds of millions of digits, given the chance


@pytest.fixture(scope="module", autouse=True)
def warm_worker():
    """Start the helper process once (it imports derivlib, which takes seconds), so that timings measure sympy alone."""
    derivative_formulas("x", order=0)


def grid(start: float, stop: float, num: int = 201) -> torch.Tensor:
    return torch.linspace(start, stop, num, dtype=torch.float64)


def sympy_formulas(text: str, order: int) -> list[Formula]:
    """The unsimplified derivatives, computed here (our own formulas, so no worker is needed)."""
    expressions = [parse(text).to_sympy()]
    for _ in range(order):
        expressions.append(sympy.diff(expressions[-1], X))
    return [Formula(k, e, sympy.latex(e), e) for k, e in enumerate(expressions)]


# ---------------------------------------------------------------------------------------------------------------------
# Agreement on a table of formulas

FORMULAS = [
    ("x^3 + sin(x)", None, grid(-3, 3)),
    ("exp(-x^2/2)*cos(3x)", None, grid(-3, 3)),
    ("log(1 + x^2)*tanh(x) + sqrt(1 + x^2)", None, grid(-3, 3)),
    ("a sin(b x)", {"a": 1.5, "b": 0.7}, grid(-3, 3)),
    ("alpha x^2 + lambda/x", {"alpha": -2.0, "lambda": 0.25}, grid(0.5, 3)),
    ("atan(x)", None, grid(-3, 3)),
    ("erf(x)", None, grid(-3, 3)),
    ("sigmoid(x)", None, grid(-5, 5)),
    ("cbrt(x)", None, grid(0.1, 3)),
    ("log10(x) + log2(x)", None, grid(0.1, 3)),
    ("sec(x)", None, grid(-1.4, 1.4)),
    ("csc(x) + cot(x)", None, grid(0.2, 3)),
    ("tan(x)", None, grid(-1.4, 1.4)),
    ("asin(x) + acos(x/2)", None, grid(-0.9, 0.9)),
    ("acosh(x) + asinh(x) + atanh(x/4)", None, grid(1.1, 3)),
    ("sinh(x) cosh(x)", None, grid(-3, 3)),
    ("x abs(x)", None, grid(-3, 3)),  # a kink at 0, where both give 0 for f''
    ("2^x + e^-x + x^x", None, grid(0.1, 3)),
    ("x^2.5 + x^-3 + pi x", None, grid(0.2, 3)),
]


@pytest.mark.parametrize(("text", "params", "x"), FORMULAS, ids=[text for text, _, _ in FORMULAS])
def test_autograd_agrees_with_sympy_to_1e_12(text, params, x):
    symbols = {name: sympy.Symbol(name, real=True) for name in (params or {})}
    formulas = sympy_formulas(text, order=3)
    assert all(formula.expr.free_symbols <= {X, *symbols.values()} for formula in formulas)
    check = cross_check(text, x, order=3, params=params, formulas=formulas)
    assert check["compared"].eq(len(x)).all(), check
    assert check["max_rel"].le(1e-12).all(), check
    assert check["badge"].str.startswith("agrees").all()


@functools.cache
def simplified(text: str, order: int = 2) -> list[Formula]:
    """derivative_formulas, once per formula for the whole module, with a budget that a busy machine cannot miss."""
    return derivative_formulas(text, order=order, timeout=20.0)


@pytest.mark.parametrize(("text", "params"), [("exp(-x^2/2)*cos(3x)", None), ("a sin(b x)", {"a": 1.5, "b": 0.7})])
def test_the_simplified_formulas_agree_too(text, params):
    formulas = simplified(text)
    assert [formula.note for formula in formulas] == ["", "", ""]  # simplified within the budget
    check = cross_check(text, grid(-3, 3, 200), order=2, params=params, formulas=formulas)
    assert check["max_rel"].le(1e-12).all(), check


def test_formulas_come_as_sympy_expressions_and_latex():
    f, d1, d2 = simplified("x^3 + sin(x)")
    assert (d1.expr, d2.expr) == (3 * X**2 + sympy.cos(X), 6 * X - sympy.sin(X))
    assert d2.latex == r"6 x - \sin{\left(x \right)}"
    assert (f.order, f.note, d1.note) == (0, "", "")


def test_simplification_changes_the_shown_formula_not_the_unsimplified_one():
    formulas = simplified("(x^2 - 1)/(x - 1)")
    assert formulas[1].expr == 1
    assert formulas[1].unsimplified != 1
    # Where the original is undefined (0/0 at x = 1), autograd has NaN: that point is skipped, not compared.
    check = cross_check("(x^2 - 1)/(x - 1)", [0.0, 1.0, 2.0], order=1, formulas=formulas)
    assert check.loc[1, ["compared", "skipped", "max_abs"]].tolist() == [2, 1, 0.0]


def test_parameters_stay_symbols():
    _, d1, _ = simplified("a sin(b x)")
    a, b = sympy.symbols("a b", real=True)
    assert d1.expr == a * b * sympy.cos(b * X)


# ---------------------------------------------------------------------------------------------------------------------
# Where the two legitimately differ, and a check that can fail


def test_the_kink_of_abs_is_skipped_where_derivlib_has_no_derivative():
    check = cross_check("abs(x)", [-1.0, 0.0, 1.0], formulas=sympy_formulas("abs(x)", 2))
    # sympy says sign(0) = 0 and DiracDelta(0) → 0 at the corner; derivlib, that f′ is undefined there: not compared.
    assert check["compared"].tolist() == [3, 2, 2]
    assert check["max_abs"].tolist() == [0.0, 0.0, 0.0]


def test_a_removable_singularity_is_skipped_not_compared():
    check = cross_check("sin(x)/x", [-1.0, 0.0, 1.0], formulas=sympy_formulas("sin(x)/x", 2))
    assert check["skipped"].tolist() == [1, 1, 1]
    assert check["max_rel"].le(1e-15).all()


def test_near_a_removable_singularity_autograd_loses_digits_that_the_simplified_formula_keeps():
    # (x^2 - 1)/(x - 1) is x + 1 with a hole at 1; near the hole the quotient cancels, and its derivatives more so.
    text = "(x^2 - 1)/(x - 1)"
    check = cross_check(text, grid(0.9, 1.1, 20), order=2, formulas=simplified(text))
    assert check.loc[0, "max_rel"] < 1e-15
    assert 1e-12 < check.loc[2, "max_abs"] < 1e-3
    # The lost digits are rounding (float32 loses 2²⁹ times as many), and the badge says so with their size.
    assert check.loc[2, "max_abs"] <= SAFETY * check.loc[2, "noise"]
    assert check.loc[2, "badge"] == f"agrees up to rounding ({check.loc[2, 'max_abs']:.0e})"


def test_rounding_noise_against_an_exact_zero_is_agreement():
    check = cross_check("sin(x)^2 + cos(x)^2", grid(-5, 5, 1000), order=2)
    assert check.loc[2, "max_abs"] > 0 and check.loc[2, "badge"].startswith("agrees up to rounding")


def test_a_wrong_formula_is_caught():
    formulas = sympy_formulas("sin(x)", 1)
    wrong = sympy.cos(X) + X**2 / 10**6
    formulas[1] = Formula(1, wrong, sympy.latex(wrong), wrong)
    check = cross_check("sin(x)", grid(-3, 3, 7), order=1, formulas=formulas)
    assert check.loc[1, "badge"] == "differs by 9e-06 at x = -3"


@pytest.mark.parametrize(
    ("row", "kinks", "text"),
    [
        ({"compared": 9, "max_rel": 0.0, "max_abs": 0.0, "worst_x": 0.0}, (), "agrees exactly"),
        ({"compared": 9, "max_rel": 2.6e-16, "max_abs": 1e-15, "worst_x": 0.0}, (), "agrees to 3e-16"),
        ({"compared": 9, "max_rel": 1e-3, "max_abs": 1e-3, "worst_x": 0.0}, (), "differs by 1e-03 at x = 0"),
        (
            {"compared": 9, "max_rel": 1e-3, "max_abs": 1e-3, "worst_x": 0.0},
            ("abs",),
            "differs by 1e-03 at x = 0 (near a kink of abs?)",
        ),
        ({"compared": 0, "note": "simplification skipped"}, (), "not checked: simplification skipped"),
        ({"compared": 0, "note": ""}, (), "not checked: neither side is finite at any point"),
    ],
)
def test_badges(row, kinks, text):
    assert badge(row, kinks=kinks) == text


# ---------------------------------------------------------------------------------------------------------------------
# The time budget

MARGIN = 3.0  # seconds for starting and killing the worker on a busy machine


@pytest.mark.parametrize(
    "text",
    [f"{HUGE}*x", "log(1 + x^2)*tanh(x) + sqrt(1 + x^2)"],
    ids=["huge power", "slow simplify"],
)
def test_a_slow_simplification_is_skipped_within_the_budget(text):
    start = time.monotonic()
    formulas = derivative_formulas(text, order=2, timeout=0.5)
    assert time.monotonic() - start < 0.5 + MARGIN
    skipped = [formula for formula in formulas if formula.note]
    assert skipped
    assert all(formula.note == "simplification skipped: took longer than 0.5 s" for formula in skipped)
    assert all(formula.expr is formula.unsimplified is not None for formula in skipped)


def test_the_helper_runs_below_the_servers_cpu_priority():
    derivative_formulas("x^2", order=1)  # the helper is running now
    stat = Path(f"/proc/{symbolic.HELPER.process.pid}/stat").read_text()
    niceness = int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of /proc/<pid>/stat
    assert niceness >= min(19, os.nice(0) + helper_process.NICENESS)


def test_a_helper_that_fails_gives_notes_not_errors(monkeypatch):
    monkeypatch.setattr(symbolic.HELPER, "process", None)  # the working helper is put back afterwards
    monkeypatch.setattr(symbolic.HELPER, "command", "raise SystemExit(3)")
    formulas = derivative_formulas("x^2", order=1)
    assert [f.note for f in formulas] == ["differentiation skipped: sympy's helper process did not answer"] * 2
    assert symbolic.HELPER.process is None  # and the next call starts a new one


def test_concurrent_calls_each_get_their_own_answer():
    texts = ["x^2", "sin(x)", "exp(x)", f"{HUGE}*x"]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda text: derivative_formulas(text, order=1, timeout=0.5), texts))
    assert [str(d1.unsimplified) for _, d1 in answers] == ["2*x", "cos(x)", "exp(x)", "9**(9**(9**9))"]


def test_a_huge_power_comes_back_unevaluated():
    # Rebuilding it in this process must not compute 9^9^9^9 (the call would never return).
    _, d1 = derivative_formulas(f"{HUGE}*x", order=1, timeout=0.5)
    power = sympy.Pow(9, sympy.Pow(9, sympy.Pow(9, 9, evaluate=False), evaluate=False), evaluate=False)
    assert d1.unsimplified == power
    check = cross_check(f"{HUGE}*x", [1.0, 2.0], order=1, formulas=[*derivative_formulas("x", 0), d1])
    assert check["compared"].tolist() == [0, 0]  # inf on both sides: nothing to compare


def test_a_formula_can_be_pickled_by_a_cache_without_evaluating_it():
    _, d1 = derivative_formulas(f"{HUGE}*x", order=1, timeout=0.5)
    assert pickle.loads(pickle.dumps(d1)) == d1  # without the care, unpickling would compute the power


def test_differentiation_that_hangs_is_skipped_within_the_budget():
    # d/dx x^N = N*x^(N-1): sympy computes N - 1 with N = 9^9^9^9, which never ends.
    derivative_formulas("x", order=0)  # the worker is started, so the budget below is sympy's alone
    start = time.monotonic()
    check = cross_check(f"x^({HUGE})", [1.0, 2.0], order=1, timeout=0.5)
    assert time.monotonic() - start < 0.5 + MARGIN
    assert check["badge"].tolist()[1] == "not checked: differentiation skipped: took longer than 0.5 s"


def test_a_formula_too_long_to_show_keeps_its_expression(monkeypatch):
    monkeypatch.setattr(symbolic, "MAX_LATEX", 10)
    (f,) = derivative_formulas("x^3 + sin(x)", order=0)
    assert (f.latex, f.note) == ("", "too long to show: 29 characters of LaTeX")
    assert f.expr == X**3 + sympy.sin(X)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: derivative_formulas("x", timeout=0), "positive number of seconds"),
        (lambda: cross_check("x", [1.0], order=2, formulas=sympy_formulas("x", 1)), "up to order 2"),
        (lambda: cross_check("a x", [1.0]), "parameter 'a' needs a value"),
    ],
    ids=["no time", "too few formulas", "missing parameter"],
)
def test_bad_settings_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------------------------------
# The walker from sympy to torch

POINTS = [0.3, 0.7, 1.5, 2.5]


SECOND_ARGUMENTS = {sympy.atan2: (X, sympy.Rational(7, 10)), sympy.polygamma: (1, X)}  # the walker's two-argument ones


@pytest.mark.parametrize("function", [f for f in SYMPY_FUNCTIONS if f not in (sympy.Add, sympy.Mul, sympy.Pow)])
def test_each_function_agrees_with_sympys_own_numbers(function):
    expr = function(*SECOND_ARGUMENTS.get(function, (X,)))
    like = torch.tensor(0.0, dtype=torch.float64)  # the numbers in expr (atan2's 7/10) in float64 too
    values = to_torch(expr, {"x": torch.tensor(POINTS, dtype=torch.float64)}, like=like).tolist()
    for point, value in zip(POINTS, values, strict=True):
        try:
            expected = complex(expr.subs(X, point).evalf(30))
        except ValueError:  # sympy refuses a point outside the domain (erfinv(1.5)): torch gives NaN
            expected = complex(math.nan, math.nan)
        if expected.imag != 0 or math.isnan(expected.real):  # outside the real domain (acosh(0.3)): NaN
            assert math.isnan(value), (function, point)
        else:
            assert value == pytest.approx(expected.real, rel=1e-13, abs=1e-300), (function, point)


def test_numbers_constants_and_special_values():
    like = torch.tensor(0.0, dtype=torch.float64)
    x = {"x": torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64)}
    assert to_torch(sympy.pi * sympy.E + sympy.Rational(1, 3), x, like).item() == math.pi * math.e + 1 / 3
    assert to_torch(sympy.DiracDelta(X) + sympy.DiracDelta(X, 1), x, like).tolist() == [0.0, 0.0, 0.0]
    assert to_torch(sympy.Heaviside(X), x, like).tolist() == [0.0, 0.5, 1.0]
    assert math.isnan(to_torch(sympy.zoo, x, like).item())
    assert to_torch(-sympy.oo, x, like).item() == -math.inf


def test_a_huge_unevaluated_power_evaluates_to_inf_at_once():
    power = sympy.Pow(9, sympy.Pow(9, sympy.Pow(9, 9, evaluate=False), evaluate=False), evaluate=False)
    assert to_torch(power * X, {"x": torch.tensor([1.0, -1.0])}, like=torch.tensor(0.0)).tolist() == [
        math.inf,
        -math.inf,
    ]


@pytest.mark.parametrize(
    "expr",
    [sympy.besselj(0, X), sympy.I * X, sympy.LambertW(X), sympy.Integral(X, X), sympy.zeta(X)],
    ids=["besselj", "imaginary unit", "LambertW", "Integral", "zeta"],
)
def test_anything_else_is_refused_by_name(expr):
    with pytest.raises(ValueError, match="derivlib cannot evaluate sympy's"):
        to_torch(expr, {"x": torch.tensor([1.0])}, like=torch.tensor(0.0))


def test_a_symbol_without_a_value_is_refused():
    with pytest.raises(ValueError, match="no value for the symbol 'a'"):
        to_torch(sympy.Symbol("a") * X, {"x": torch.tensor([1.0])}, like=torch.tensor(0.0))
