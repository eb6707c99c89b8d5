"""The autograd lab: generated PyTorch code that really runs and prints derivlib's numbers, the backward() trap, the
elementwise check, finite differences and float32 against float64."""

from __future__ import annotations

import ast
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import trees

from derivlib import derivatives
from derivlib.functions import FUNCTIONS
from derivlib.lab import (
    backward_trap,
    best_step,
    finite_difference_errors,
    is_elementwise,
    jacobian_is_diagonal,
    precision_errors,
    torch_source,
    tutorial_code,
)
from derivlib.tree import Binary, Call, Constant, Expression, Node, Number, Parameter, Unary, Variable

TUTORIAL = "x^3 + sin(x)"
TUTORIAL_POINTS = [1.0, math.pi, 5.0]


# ---------------------------------------------------------------------------------------------------------------------
# The formula as PyTorch source


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("x^3 + sin x", "x**3 + torch.sin(x)"),
        ("-x^2 + (-x)^2", "-x**2 + (-x)**2"),
        ("2^-x^2", "2**-x**2"),
        ("x - (x - 1) - (-x)", "x - (x - 1) - (-x)"),
        ("e^x + pi x", "torch.e**x + torch.pi*x"),
        ("a sin(b x) + lambda", "a*torch.sin(b*x) + lambda_"),  # a keyword cannot be a Python name
        ("y x", "y_*x"),  # the script's own y
        ("sec(x)^2", "(1 / torch.cos(x))**2"),
        ("2 csc(x)", "2*(1 / torch.sin(x))"),
        ("cbrt(x^2 - 2)", "torch.sign(x**2 - 2) * torch.abs(x**2 - 2) ** (1 / 3)"),
        ("cot(3x)", "cot(3*x)"),
        # where Python would compute something other than derivlib, numbers become tensors or torch calls
        ("1/(1 + x^2)", "torch.div(1, 1 + x**2)"),
        ("x/2 + 1/2", "x/2 + 1/2"),
        ("sin(1) x", "torch.sin(torch.tensor(1, dtype=torch.float64))*x"),
        ("(-8)^(1/2) + x", "torch.tensor(-8, dtype=torch.float64)**(1/2) + x"),  # Python: a complex number
        # a typed fraction with an odd denominator is the real root, as Desmos reads it (tree.real_power)
        ("x^(2/3)", "torch.abs(x) ** (2 / 3)"),
        (
            "(-8)^(1/3) + x",
            "torch.copysign(torch.abs(torch.tensor(-8, dtype=torch.float64)) ** (1 / 3), "
            "torch.tensor(-8, dtype=torch.float64)) + x",
        ),
        ("1/x^(-1/5)", "torch.div(1, torch.copysign(torch.abs(x) ** (-1 / 5), x))"),
        ("x + 1/0", "x + torch.div(torch.tensor(1, dtype=torch.float64), 0)"),  # Python: ZeroDivisionError
        # the forms added to the language: each is a tree of the usual nodes, but for piecewise definitions
        ("|x - 1|", "torch.abs(x - 1)"),
        ("log_2 x + log_b x", "torch.log2(x) + torch.log(x)/torch.log(b)"),
        ("atan2(y, x)", FUNCTIONS["atan2"].code.format("y_", "x")),
        ("pow(x, 3)", "x**3"),
        ("½x", "1/2*x"),
        ("{x < 0: -x, x^2}", "torch.where(x < 0, -x, x**2)"),
        ("{0 < x < 1: x}", "torch.where((0 < x) & (x < 1), x, torch.nan)"),
        (
            "{x < 0: 1, 2} x",
            "torch.where(x < 0, torch.tensor(1, dtype=torch.float64), torch.tensor(2, dtype=torch.float64))*x",
        ),
    ],
)
def test_torch_source(text, source):
    assert torch_source(text) == source


PLACEHOLDERS = ("ARGUMENTZERO", "ARGUMENTONE")


def shape_of_tree(node: Node):
    """The tree as nested tuples of operations, each call as its record's code writes it (sec as 1 / cos, …)."""
    match node:
        case Number(value):
            return value
        case Constant(name) | Variable(name) | Parameter(name):
            return name
        case Unary(op, operand):
            return (op, shape_of_tree(operand))
        case Binary(op, left, right):
            return (op, shape_of_tree(left), shape_of_tree(right))
        case Call(function, arguments):
            code = FUNCTIONS[function].code.format(*PLACEHOLDERS)
            shapes = dict(zip(PLACEHOLDERS, map(shape_of_tree, arguments), strict=False))
            return substitute(shape_of_source(ast.parse(code, mode="eval")), shapes)


def substitute(shape, shapes: dict):
    if isinstance(shape, tuple):
        return tuple(substitute(part, shapes) for part in shape)
    return shapes.get(shape, shape)


OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}


def shape_of_source(node: ast.AST):
    """Python source, parsed (not run), as the same nested tuples; torch.tensor(v, dtype=...) is just v."""
    match node:
        case ast.Expression(body):
            return shape_of_source(body)
        case ast.Constant(value):
            return float(value)
        case ast.Name(name):
            return name.removesuffix("_")
        case ast.Attribute(ast.Name("torch"), name):  # torch.pi, torch.e
            return name
        case ast.UnaryOp(ast.USub(), operand):
            return ("-", shape_of_source(operand))
        case ast.BinOp(left, op, right):
            return (OPERATORS[type(op)], shape_of_source(left), shape_of_source(right))
        case ast.Call(ast.Attribute(ast.Name("torch"), "tensor"), [value]):
            return shape_of_source(value)
        case ast.Call(ast.Attribute(ast.Name("torch"), "div"), [left, right]):
            return ("/", shape_of_source(left), shape_of_source(right))
        case ast.Call(ast.Name("float"), [ast.Constant(text)]):
            return float(text)
        case ast.Call(ast.Attribute(ast.Name("torch"), name) | ast.Name(name), arguments) if arguments:
            return (name, *map(shape_of_source, arguments))
    raise AssertionError(f"unexpected Python: {ast.dump(node)}")


@settings(derandomize=True, deadline=None, max_examples=100)
@given(trees(max_leaves=6, parameters=True))
def test_torch_source_has_the_trees_operations_in_the_trees_order(tree):
    """Every parenthesis where Python needs it: the source parses back (by ast, never run) to the same operations."""
    source = torch_source(Expression(tree))
    assert shape_of_source(ast.parse(source, mode="eval")) == shape_of_tree(tree), source


# ---------------------------------------------------------------------------------------------------------------------
# The tutorial's script, run for real

SCRIPTS = [
    (TUTORIAL, None, 2),
    ("a sin(b x) + lambda x^2", {"a": 1.5, "b": -0.7, "lambda": 0.25}, 3),
    ("exp(-x^2/2)*cos(3x) + 1/x", None, 3),
    ("cot(3x) + sec(x^2) + csc(x) + 2^x", None, 3),
    ("cbrt(x - 1) + x", None, 1),  # order 1: torch's first double backward through abs imports torch._dynamo (3 s)
    ("log(x) + sqrt(x)", None, 2),  # NaN for x < 0, and derivlib shows NaN for the derivatives there too
    ("x + 1/(1/0) + 2^0.5 + sin(1) + (-8)^(1/3)", None, 1),  # numbers that Python alone would compute differently
    ("x^(2/3) - 3x^(1/3) + (x - 1)^(-4/5)", None, 2),  # real roots, negative x included
    ("3x + 1", None, 3),  # f' is constant: torch cannot differentiate it again
    ("4 sin(1)", None, 2),  # f does not depend on x at all
    ("log_2(x^2 + 1) + log_b x + atan2(x, 2) + pow(x, 3) + ½x", {"b": 3.0}, 2),  # forms added to the language
    ("|x - 1| + 2|x|", None, 1),
]
POINTS = [-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, math.pi, 5.0]
CORNERS = {"|x - 1| + 2|x|": (0.0, 1.0)}  # points where f has a corner


def printed_numbers(output: str) -> dict[str, list[float]]:
    """{"x": [...], "f": [...], "f'": [...], ...} from the lines the script prints."""
    numbers = {}
    for line in output.splitlines():
        label, values = line.split(" = ", 1)
        numbers[label.strip()] = [float(value) for value in values.strip("[]").split(", ")]
    return numbers


@pytest.fixture(scope="module")
def script_outputs(tmp_path_factory) -> list[str]:
    """What each generated script prints, run by a separate Python (one process for all, to import torch once)."""
    folder = tmp_path_factory.mktemp("scripts")
    paths = []
    for i, (text, params, order) in enumerate(SCRIPTS):
        points = TUTORIAL_POINTS if text == TUTORIAL else POINTS
        paths.append(folder / f"script{i}.py")
        paths[-1].write_text(tutorial_code(text, points, params=params, order=order))
    runner = (
        "import runpy, sys\nfor path in sys.argv[1:]:\n    print('#')\n    runpy.run_path(path, run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", runner, *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("#\n")[1:]


@pytest.mark.parametrize("case", range(len(SCRIPTS)), ids=[text for text, _, _ in SCRIPTS])
def test_the_script_prints_derivlibs_numbers_exactly(script_outputs, case):
    text, params, order = SCRIPTS[case]
    points = TUTORIAL_POINTS if text == TUTORIAL else POINTS
    numbers = printed_numbers(script_outputs[case])
    assert numbers.pop("x") == points
    printed = torch.tensor(list(numbers.values()), dtype=torch.float64)
    expected = derivatives(text, points, order=order, params=params, method="autograd")
    corner = torch.tensor([point in CORNERS.get(text, ()) for point in points])
    assert torch.isnan(expected[1:, corner]).all()  # derivlib makes up no derivative at a corner …
    assert torch.isfinite(printed[1:, corner]).all()  # … where plain autograd takes sign(0) = 0 (the script says so)
    printed[1:, corner] = math.nan
    torch.testing.assert_close(printed, expected, rtol=0, atol=0, equal_nan=True)
    # Taylor mode, derivlib's default, gives the same numbers up to rounding.
    taylor = derivatives(text, points, order=order, params=params)
    torch.testing.assert_close(printed, taylor, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_the_tutorial_script_reads_like_the_tutorial(script_outputs):
    code = tutorial_code(TUTORIAL, TUTORIAL_POINTS)
    assert "x = torch.tensor([1.0, 3.141592653589793, 5.0], dtype=torch.float64, requires_grad=True)" in code
    assert "y = x**3 + torch.sin(x)" in code
    assert "dy = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y), create_graph=True)[0]" in code
    assert "d2y = torch.autograd.grad(dy, x, grad_outputs=torch.ones_like(dy), create_graph=True)[0]" in code
    assert "Jacobian" in code
    numbers = printed_numbers(script_outputs[0])
    assert [round(v, 4) for v in numbers["f'"]] == [3.5403, 28.6088, 75.2837]
    assert [round(v, 4) for v in numbers["f''"]] == [5.1585, 18.8496, 30.9589]


def test_the_script_defines_parameters_as_named_tensors():
    code = tutorial_code("a sin(b x) + lambda", [1.0], params={"a": 2, "b": 0.5, "lambda": -1})
    assert "a = torch.tensor(2.0, dtype=torch.float64)" in code
    assert "b = torch.tensor(0.5, dtype=torch.float64)" in code
    assert "lambda_ = torch.tensor(-1.0, dtype=torch.float64)" in code


def test_the_script_needs_every_parameter():
    with pytest.raises(ValueError, match="parameter 'a' needs a value"):
        tutorial_code("a x", [1.0])


# ---------------------------------------------------------------------------------------------------------------------
# The backward() trap


def test_the_backward_trap_gives_the_tutorials_numbers():
    trap = backward_trap(TUTORIAL, TUTORIAL_POINTS)
    assert list(trap.columns) == ["x", "d1", "d2", "x_grad"]
    assert trap["x_grad"].round(4).tolist() == [8.6988, 47.4584, 106.2426]
    np.testing.assert_allclose(trap["x_grad"], trap["d1"] + trap["d2"], rtol=1e-14)


@pytest.mark.parametrize(("text", "x_grad"), [("3x", 3.0), ("x^2", 2.0 + 2.0), ("7", 0.0)])
def test_the_trap_where_torch_refuses_the_second_backward(text, x_grad):
    # For 3x, f' = 3 no longer depends on x, so x.grad keeps f'; for a constant, nothing reaches x at all.
    assert backward_trap(text, [1.0])["x_grad"].tolist() == [x_grad]


# ---------------------------------------------------------------------------------------------------------------------
# Elementwise, so that grad_outputs=ones gives the derivative at every point


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_of_the_language_is_elementwise(function):
    second = ", x + 2" if FUNCTIONS[function].arity == 2 else ""
    assert is_elementwise(f"{function}(x{second}) + {function}(a x^2 - x{second})", params={"a": 0.3})


@settings(derandomize=True, deadline=None, max_examples=40)
@given(trees(max_leaves=4, parameters=True))
def test_random_formulas_are_elementwise(tree):
    expr = Expression(tree)
    assert is_elementwise(expr, params={name: 0.7 for name in expr.parameters})


def test_a_function_that_mixes_points_is_caught():
    x = torch.linspace(-1, 1, 8, dtype=torch.float64)
    assert jacobian_is_diagonal(torch.sin, x)
    assert not jacobian_is_diagonal(lambda t: torch.cumsum(t, 0), x)
    assert not jacobian_is_diagonal(lambda t: t * t.mean(), x)
    assert not jacobian_is_diagonal(lambda t: torch.roll(t, 1), x)


def test_nan_off_the_diagonal_of_a_point_outside_the_domain_is_not_held_against_the_formula():
    # sqrt at -1: the diagonal is NaN, and 0 * NaN = NaN fills its column; an elementwise function all the same.
    assert jacobian_is_diagonal(torch.sqrt, torch.tensor([-1.0, 1.0, 4.0], dtype=torch.float64))


# ---------------------------------------------------------------------------------------------------------------------
# Finite differences


def test_central_differences_of_sin_are_best_near_h_1e_5_in_float64():
    errors = finite_difference_errors("sin(x)", 1.0, order=1)
    assert list(errors.columns) == ["h", "error_float32", "error_float64"]
    best = best_step(errors).set_index("dtype")
    assert 1e-6 <= best.at["float64", "h"] <= 1e-4
    assert best.at["float64", "error"] < 1e-10
    assert 1e-4 <= best.at["float32", "h"] <= 1e-2
    assert best.at["float64", "error"] < best.at["float32", "error"] < 1e-4
    # Worse on both sides of the best step: truncation (h^2) to the right, rounding (eps/h) to the left.
    error = errors.set_index("h")["error_float64"]
    assert error[1e-1] > 1e3 * best.at["float64", "error"]
    assert error[1e-12] > 1e3 * best.at["float64", "error"]
    assert error.loc[1e-4:1e-1].is_monotonic_increasing


def test_second_differences_are_best_at_a_larger_step():
    best = best_step(finite_difference_errors("sin(x)", 1.0, order=2)).set_index("dtype")
    assert 1e-5 <= best.at["float64", "h"] <= 1e-3
    assert best.at["float64", "error"] < 1e-7


def test_no_best_step_where_f_is_undefined():
    best = best_step(finite_difference_errors("log(x)", -1.0))
    assert best["h"].isna().all() and best["error"].isna().all()


def test_finite_differences_take_parameters_and_refuse_higher_orders():
    errors = finite_difference_errors("a x^2", 1.0, params={"a": 3.0}, steps=[1e-3])
    assert errors["error_float64"].item() < 1e-9  # a parabola's central difference is exact but for rounding
    with pytest.raises(ValueError, match="order 1 or 2"):
        finite_difference_errors("sin(x)", 1.0, order=3)


# ---------------------------------------------------------------------------------------------------------------------
# float32 against float64


def test_float32_is_about_1e_7_relative_for_a_tame_formula():
    x = torch.linspace(-3, 3, 201, dtype=torch.float64)
    errors = precision_errors("exp(-x^2/2)*cos(3x)", x, order=3)
    assert errors["order"].tolist() == [0, 1, 2, 3]
    assert errors["compared"].eq(201).all()
    assert errors["max_rel"].between(1e-9, 1e-6).all(), errors
