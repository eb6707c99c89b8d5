"""Taylor mode (derivlib/jet.py) against autograd, sympy and known values: the same numbers, every order in one pass."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy
import torch
from function_rows import ROWS, call
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import parameter_values, points, trees
from torch.testing import assert_close

from derivlib import derivatives, grid_table, parse
from derivlib.engine import MEMORY_BUDGET, MIN_CHUNK, taylor_chunk_size
from derivlib.functions import FUNCTIONS
from derivlib.jet import compile_program
from derivlib.tree import Expression

X = sympy.Symbol("x", real=True)
NESTED = "sin(cos(sin(cos(sin(x)))))*exp(sin(x))"


def taylor(text, x, **settings_):
    return derivatives(text, x, method="taylor", **settings_)


def autograd(text, x, **settings_):
    return derivatives(text, x, method="autograd", **settings_)


def same(a: torch.Tensor, b: torch.Tensor) -> None:
    """Bit for bit, NaN where the other is NaN."""
    assert_close(a, b, rtol=0, atol=0, equal_nan=True)


# ---------------------------------------------------------------------------------------------------------------------
# The property: random formulas of the whole language agree with autograd up to order 6

PROPERTY_ORDER = 6
RTOL = 1e-10
DIGITS = 40  # of sympy's exact values, where the two methods disagree


class Exact:
    """The formula's derivatives from sympy, each computed once, evaluated at DIGITS digits.

    sign(u)'s derivative is DiracDelta(u), taken as 0 as torch does at a kink.
    """

    def __init__(self, expr: Expression, params: dict[str, float]) -> None:
        form = expr.to_sympy()
        symbols = {symbol.name: symbol for symbol in form.free_symbols}
        self.x = symbols.get("x", X)
        self.values = {symbols[name]: sympy.Float(value, DIGITS) for name, value in params.items() if name in symbols}
        self.forms = [form]

    def __call__(self, point: float, k: int) -> float | None:
        """The k-th derivative at the point; None where that is no finite real number."""
        while len(self.forms) <= k:
            self.forms.append(sympy.diff(self.forms[-1], self.x).replace(sympy.DiracDelta, lambda *args: sympy.S.Zero))
        try:
            value = complex(self.forms[k].evalf(DIGITS, subs=self.values | {self.x: sympy.Float(point, DIGITS)}))
        except (ArithmeticError, TypeError, ValueError):
            return None
        if not math.isfinite(value.real) or abs(value.imag) > 1e-20 * (1 + abs(value.real)):
            return None
        return value.real


@settings(derandomize=True, deadline=None, max_examples=100)
@given(tree=trees(parameters=True), at=st.lists(points(), min_size=1, max_size=4), all_params=parameter_values())
def test_random_formulas_agree_with_autograd_to_order_six(tree, at, all_params):
    """Within RTOL of autograd, relative to the point's largest derivative (and 1): both add up the same terms.

    Where they differ by more, sympy decides. Autograd adds up cancelling terms of x/x, abs(x)/x … and keeps their
    rounding: Taylor mode must then be as close to the exact value as autograd is. Where the formula itself is
    ill-conditioned (log(sinh(2 sinh x) + x) at x = 4, where sinh(2 sinh x) is near 1e23), both lose the same
    digits in different order and either may land nearer: Taylor mode may be at most twice as far as autograd.
    """
    expr = Expression(tree)
    params = {name: value for name, value in all_params.items() if name in expr.parameters}
    reference = autograd(expr, at, order=PROPERTY_ORDER, params=params)
    result = taylor(expr, at, order=PROPERTY_ORDER, params=params)
    exact_derivative = Exact(expr, params)
    for i, point in enumerate(at):
        if not torch.isfinite(reference[:, i]).all():
            continue
        floor = max(1.0, reference[:, i].abs().max().item())
        for k in range(PROPERTY_ORDER + 1):
            got, expected = result[k, i].item(), reference[k, i].item()
            if abs(got - expected) <= RTOL * (abs(expected) + floor):
                continue
            exact = exact_derivative(point, k)
            where = f"order {k} of {expr} at x = {point!r} ({params})"
            assert exact is not None, f"{where}: taylor {got} != autograd {expected}, and no exact value"
            assert abs(got - exact) <= 2 * abs(expected - exact) + RTOL * (abs(exact) + 1), f"{where}: {got} != {exact}"


# ---------------------------------------------------------------------------------------------------------------------
# Every rule, on arguments of degree 1 (x), 2 (a polynomial) and full (a function)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
@pytest.mark.parametrize("argument", ["x", "x^2/4 + x/3", "sin(x)/3"], ids=["x", "polynomial", "function"])
def test_each_rule_agrees_with_autograd_to_order_six(function, argument):
    low, high = ROWS[function].interval  # where the function is smooth (its test row)
    width, middle = min(3.0, (high - low) / 2), (high + low) / 2
    x = torch.linspace(-width, width, 41, dtype=torch.float64) + 1e-3  # off the kinks of abs and cbrt at 0
    text = call(function, f"({argument}) * {width / 3.0!r} + {middle!r}")
    expected = autograd(text, x, order=6)
    scale = expected.abs().amax(dim=1, keepdim=True).clamp_min(1.0)  # each order's rounding is relative to its size
    assert_close(taylor(text, x, order=6) / scale, expected / scale, rtol=0, atol=1e-11, equal_nan=True)


@pytest.mark.parametrize("order", [8, 10])
def test_the_nested_formula_at_high_orders_agrees_with_mpmath(order):
    """mpmath's Taylor coefficients at 40 digits (sympy's own derivatives of this formula take minutes at order 8)."""
    at = [-2.0, -0.5, 0.7, 2.5]
    with mpmath.workdps(40):
        series = [
            mpmath.taylor(
                lambda t: mpmath.sin(mpmath.cos(mpmath.sin(mpmath.cos(mpmath.sin(t))))) * mpmath.exp(mpmath.sin(t)),
                point,
                order,
            )
            for point in at
        ]
    expected = torch.tensor(
        [[float(c[k] * math.factorial(k)) for c in series] for k in range(order + 1)], dtype=torch.float64
    )
    assert_close(taylor(NESTED, at, order=order), expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Known values, and the places where conventions decide


def test_the_tutorial_numbers():
    result = taylor("x^3 + sin(x)", [1.0, math.pi, 5.0], order=2)
    assert result[1].round(decimals=4).tolist() == [3.5403, 28.6088, 75.2837]
    assert result[2].round(decimals=4).tolist() == [5.1585, 18.8496, 30.9589]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("x^2", [0, 0, 2, 0, 0], id="square"),
        pytest.param("x^3", [0, 0, 0, 6, 0], id="cube"),
        pytest.param("x^4", [0, 0, 0, 0, 24], id="fourth-power"),
        pytest.param("x*x", [0, 0, 2, 0, 0], id="product"),
        pytest.param("(2x)^2", [0, 0, 8, 0, 0], id="square-of-a-line"),
        pytest.param("(x^2 + x)^2", [0, 0, 2, 12, 24], id="square-of-a-polynomial"),
        pytest.param("x^0", [1, 0, 0, 0, 0], id="zeroth-power"),
        pytest.param("x^1", [0, 1, 0, 0, 0], id="first-power"),
    ],
)
def test_small_whole_powers_at_zero_are_exact(text, expected):
    result = taylor(text, [0.0], order=4)
    assert result[:, 0].tolist() == expected


@pytest.mark.parametrize(
    ("text", "params"),
    [
        pytest.param("4", None, id="number"),
        pytest.param("a", {"a": -2.5}, id="parameter"),
        pytest.param("2pi + e^2", None, id="constant-expression"),
        pytest.param("0*x + 7", None, id="x-times-zero"),
        pytest.param("3x", None, id="line"),
        pytest.param("a*x - (x - 1)/b", {"a": 2.0, "b": 3.0}, id="line-with-parameters"),
        pytest.param("x - x", None, id="zero"),
    ],
)
def test_constant_and_linear_formulas_have_exact_zeros_past_their_degree(text, params):
    x = [-1.0, 0.0, 1.0, 1e300]
    result = taylor(text, x, order=8, params=params)
    degree = 0 if parse(text).variables == () else 1
    assert torch.equal(result[degree + 1 :], torch.zeros(8 - degree, 4, dtype=torch.float64))
    same(result[: degree + 1], autograd(text, x, order=degree, params=params))


@pytest.mark.parametrize(
    "text", ["log(x)", "sqrt(x)", "1/x", "x^2.5", "x^-2", "cbrt(x)", "abs(x)", "0^x", "asin(x)", "atanh(x)", "x^a"]
)
def test_at_singular_points_the_result_is_autograds(text):
    """Where a Taylor rule divides by zero, the point is recomputed by autograd: its NaN, ±inf and conventions."""
    x = [-1.0, -0.5, 0.0, 0.5, 1.0, 2.0]
    params = {"a": 2.0} if "a" in parse(text).parameters else None
    expected = autograd(text, x, order=4, params=params)
    assert_close(taylor(text, x, order=4, params=params), expected, rtol=1e-14, atol=0, equal_nan=True)


def test_where_f_is_undefined_every_derivative_is_nan():
    result = taylor("log(x) + x^2", [-1.0, 1.0], order=3)
    assert result[:, 0].isnan().all()
    assert_close(result[:, 1], torch.tensor([1.0, 3.0, 1.0, 2.0], dtype=torch.float64))


@pytest.mark.parametrize("point", [1.0, 2.0])
def test_x_to_the_x_at_whole_numbers_agrees_with_sympy(point):
    """torch's own power rule for a tensor exponent loses a term from the third derivative on where the exponent is
    whole (1 at x = 1: 2 instead of 3); Taylor mode takes exp(x·log x), and tree.evaluate's rule (for autograd) is
    derivlib's own: both give the exact values."""
    rows = [X**X]
    for _ in range(4):
        rows.append(sympy.diff(rows[-1], X))
    expected = torch.tensor([float(row.subs(X, point)) for row in rows], dtype=torch.float64)
    assert_close(taylor("x^x", [point], order=4)[:, 0], expected, rtol=1e-13, atol=0)
    assert_close(autograd("x^x", [point], order=4)[:, 0], expected, rtol=1e-13, atol=0)


# ---------------------------------------------------------------------------------------------------------------------
# Chunks, parameters, dtypes, devices


@pytest.mark.parametrize("text", [NESTED, "log(x)*exp(-x^2) + x^3", "sqrt(x) + 1/x + abs(x)^0.5"])
@pytest.mark.parametrize("chunk_size", [1, 3, 64, 1000])
def test_chunked_results_equal_unchunked(text, chunk_size):
    x = torch.linspace(-2, 2, 401, dtype=torch.float64)  # 0 is a grid point: autograd recomputes it
    unchunked = taylor(text, x, order=4, chunk_size=len(x))
    chunked = taylor(text, x, order=4, chunk_size=chunk_size)
    if text == NESTED:
        assert torch.equal(chunked, unchunked)
    else:
        same(chunked, unchunked)


def test_progress_is_reported_after_each_chunk():
    seen: list[tuple[int, int]] = []
    taylor("sin(x)", np.linspace(0, 1, 10), order=2, chunk_size=4, progress=lambda *args: seen.append(args))
    assert seen == [(4, 10), (8, 10), (10, 10)]


def test_parameters_enter_the_derivatives():
    x = np.linspace(-3, 3, 7)
    a, b = 2.5, -0.75
    expected = [a * b**k * np.sin(b * x + k * math.pi / 2) for k in range(4)]
    assert_close(taylor("a*sin(b*x)", x, order=3, params={"a": a, "b": b}), torch.tensor(np.array(expected)))


@pytest.mark.parametrize("a", [0.0, 1.0, 2.0, 2.5, -1.0])
def test_a_parameter_exponent_is_the_same_program_whatever_its_value(a):
    """Parameters are 0-d tensors: a new value reuses the compiled program (no branch on the value), and a whole
    value still gives exact zeros past the polynomial's degree, as autograd does."""
    program = compile_program(parse("x^a + b"), 4)
    assert compile_program(parse("x^a + b"), 4) is program
    x = [-2.0, -0.5, 0.5, 3.0]
    result = taylor("x^a + b", x, order=4, params={"a": a, "b": 1.0})
    expected = autograd("x^a + b", x, order=4, params={"a": a, "b": 1.0})
    assert_close(result, expected, rtol=1e-13, atol=1e-13, equal_nan=True)
    if a.is_integer() and a >= 0:
        assert torch.equal(result[int(a) + 1 :], torch.zeros(4 - int(a), 4, dtype=torch.float64))


def test_float32_is_close_to_float64():
    x = np.linspace(-3, 3, 25)
    result = taylor(NESTED, x, order=4, dtype=torch.float32)
    assert result.dtype == torch.float32
    assert_close(result.double(), taylor(NESTED, x, order=4), rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("text", [NESTED, "x^3 + sin(x)", "log(x)*exp(-x^2) + sqrt(x) + x^x"])
def test_cuda_agrees_with_the_cpu(text, dtype):
    """Equal up to the last bits of the device's math library, NaN at the same points."""
    x = torch.linspace(-4, 4, 10_001, dtype=torch.float64)
    cuda = taylor(text, x, order=4, device="cuda", dtype=dtype)
    assert cuda.device.type == "cuda"
    tolerance = 1e-11 if dtype == torch.float64 else 1e-4
    assert_close(cuda.cpu(), taylor(text, x, order=4, dtype=dtype), rtol=tolerance, atol=tolerance, equal_nan=True)


def test_the_chunk_size_keeps_the_series_within_the_memory_budget():
    for text in ["x", NESTED, " + ".join(f"sin({k}x)" for k in range(1, 40))]:
        program = compile_program(parse(text), 10)
        chunk = taylor_chunk_size(program, torch.float64, torch.device("cuda"))  # no cache cap: only the budget
        assert chunk >= MIN_CHUNK
        assert chunk * program.live * 11 * 8 <= MEMORY_BUDGET or chunk == MIN_CHUNK


def test_equal_subformulas_are_computed_once():
    assert len(compile_program(parse("sin(x)*exp(sin(x)) + sin(x)"), 2).steps) == 4  # sin, exp, *, +


def test_tables_take_the_method_too():
    frame = grid_table("x^3 + sin(x)", -1, 1, 11, order=3, method="autograd")
    assert_close(torch.tensor(frame[["f", "d1", "d2", "d3"]].to_numpy().T), taylor("x^3 + sin(x)", frame["x"], order=3))


def test_an_unknown_method_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown method 'forward': choose taylor or autograd"):
        derivatives("x", [1.0], method="forward")


# ---------------------------------------------------------------------------------------------------------------------
# The rows as new tensors, for a compiled program (compiler.py)


@pytest.mark.parametrize(
    "text", ["x^3 + sin(x)", "x^2", "3*x + 1", "a*exp(-x^2/b)", "sin(cos(sin(cos(sin(x)))))*exp(sin(x))", "x + 2"]
)
@pytest.mark.parametrize("order", [0, 1, 2, 5])
def test_the_rows_a_compiled_program_returns_are_the_eager_program_s_rows_bit_for_bit(text, order):
    expr = parse(text)
    x = torch.linspace(-2, 2, 101, dtype=torch.float64)
    bound = compile_program(expr, order).bind({"a": torch.tensor(1.5, dtype=x.dtype), "b": torch.tensor(2.0)}, x)
    expected = torch.empty(order + 1, 101, dtype=torch.float64)
    bound.derivatives(x, expected)
    rows = bound.rows(x)
    assert len(rows) == order + 1 and all(row.shape == x.shape and row is not x for row in rows)
    assert_close(torch.stack(rows), expected, rtol=0, atol=0)
