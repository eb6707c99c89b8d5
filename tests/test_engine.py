"""derivlib.derivatives against independent oracles (known values, closed forms, sympy), and the settings it refuses."""

from __future__ import annotations

import contextlib
import math
import signal
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import sympy
import torch
from function_rows import MARGIN, ROWS, call
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from strategies import X as X_NODE
from strategies import parameter_values, points, trees
from torch.testing import assert_close

import derivlib
from derivlib import ExpressionError, constants, derivatives, grid_table, parse
from derivlib.engine import METHODS
from derivlib.functions import FUNCTIONS
from derivlib.tree import Binary, Call, Node, Number, Parameter, Unary, Variable, to_sympy, to_text, walk

X = sympy.Symbol("x", real=True)
BOTH_METHODS = pytest.mark.parametrize("method", METHODS)  # Taylor mode and autograd
SQRT_PI = math.sqrt(math.pi)


def exact(values) -> torch.Tensor:
    """Expected values as a float64 tensor, for assert_close."""
    return torch.as_tensor(np.asarray(values, dtype=np.float64))


# ---------------------------------------------------------------------------------------------------------------------
# The tutorial: y = x^3 + sin(x)

TUTORIAL_POINTS = [1.0, math.pi, 5.0]


@BOTH_METHODS
def test_tutorial_values_to_four_decimals(method):
    result = derivatives("x^3 + sin(x)", TUTORIAL_POINTS, order=2, method=method)
    assert result[1].round(decimals=4).tolist() == [3.5403, 28.6088, 75.2837]
    assert result[2].round(decimals=4).tolist() == [5.1585, 18.8496, 30.9589]


@BOTH_METHODS
def test_tutorial_matches_the_closed_forms(method):
    x = np.array(TUTORIAL_POINTS)
    expected = exact([x**3 + np.sin(x), 3 * x**2 + np.cos(x), 6 * x - np.sin(x), 6 - np.cos(x)])
    assert_close(derivatives("x^3 + sin(x)", x, order=3, method=method), expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Closed forms

POINTS = np.linspace(-2.9, 2.9, 12)  # avoids 0, where some of the functions below are singular
POSITIVE = np.linspace(0.1, 4.9, 13)
INSIDE = np.linspace(-0.9, 0.9, 13)  # inside (-1, 1), the domain of asin, acos and atanh


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# formula, points, the closed forms of f, f', f'', f'''
CLOSED_FORMS: list[tuple[str, np.ndarray, list[Callable[[np.ndarray], np.ndarray] | None]]] = [
    ("sin(x)", POINTS, [np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)]),
    ("cos(x)", POINTS, [np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x), np.sin]),
    ("exp(x)", POINTS, [np.exp] * 4),
    ("exp(-2x)", POINTS, [lambda x, k=k: (-2) ** k * np.exp(-2 * x) for k in range(4)]),
    ("log(x)", POSITIVE, [np.log, lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3]),
    (
        "log10(x)",
        POSITIVE,
        [
            np.log10,
            *(lambda x, k=k: (-1) ** (k - 1) * math.factorial(k - 1) / (x**k * np.log(10)) for k in range(1, 4)),
        ],
    ),
    (
        "log2(x)",
        POSITIVE,
        [np.log2, *(lambda x, k=k: (-1) ** (k - 1) * math.factorial(k - 1) / (x**k * np.log(2)) for k in range(1, 4))],
    ),
    ("sqrt(x)", POSITIVE, [np.sqrt, lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5]),
    ("cbrt(x)", POINTS, [np.cbrt, lambda x: np.abs(x) ** (-2 / 3) / 3, lambda x: -2 / 9 * np.cbrt(x) / x**2, None]),
    # a typed fraction with an odd denominator is the real root, negative x included (as Desmos reads it)
    ("x^(1/3)", POINTS, [np.cbrt, lambda x: np.abs(x) ** (-2 / 3) / 3, lambda x: -2 / 9 * np.cbrt(x) / x**2, None]),
    (
        "x^(2/3)",
        POINTS,
        [
            lambda x: np.cbrt(x) ** 2,
            lambda x: 2 / 3 / np.cbrt(x),
            lambda x: -2 / 9 * np.cbrt(x) ** -4,
            lambda x: 8 / 27 * np.cbrt(x) ** -7,
        ],
    ),
    ("x^(-4/5)", POINTS, [lambda x: np.abs(x) ** -0.8, lambda x: -0.8 * np.sign(x) * np.abs(x) ** -1.8, None, None]),
    ("x^5", POINTS, [lambda x: x**5, lambda x: 5 * x**4, lambda x: 20 * x**3, lambda x: 60 * x**2]),
    ("x^-2", POINTS, [lambda x: x**-2, lambda x: -2 * x**-3, lambda x: 6 * x**-4, lambda x: -24 * x**-5]),
    ("1/x", POINTS, [lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3, lambda x: -6 / x**4]),
    ("2^x", POINTS, [lambda x, k=k: np.log(2) ** k * 2**x for k in range(4)]),
    (
        "x^x",
        POSITIVE + 0.05,  # not whole numbers: see test_powers_with_x_in_the_exponent_where_the_exponent_is_whole
        [
            lambda x: x**x,
            lambda x: x**x * (np.log(x) + 1),
            lambda x: x**x * ((np.log(x) + 1) ** 2 + 1 / x),
            lambda x: x**x * ((np.log(x) + 1) ** 3 + 3 * (np.log(x) + 1) / x - 1 / x**2),
        ],
    ),
    (
        "tan(x)",
        INSIDE,
        [
            np.tan,
            lambda x: 1 / np.cos(x) ** 2,
            lambda x: 2 * np.tan(x) / np.cos(x) ** 2,
            lambda x: (2 + 4 * np.sin(x) ** 2) / np.cos(x) ** 4,
        ],
    ),
    ("sec(x)", INSIDE, [lambda x: 1 / np.cos(x), lambda x: np.tan(x) / np.cos(x), None, None]),
    ("csc(x)", POSITIVE / 2, [lambda x: 1 / np.sin(x), lambda x: -1 / (np.tan(x) * np.sin(x)), None, None]),
    ("cot(x)", POSITIVE / 2, [lambda x: 1 / np.tan(x), lambda x: -1 / np.sin(x) ** 2, None, None]),
    ("asin(x)", INSIDE, [np.arcsin, lambda x: (1 - x**2) ** -0.5, lambda x: x * (1 - x**2) ** -1.5, None]),
    ("acos(x)", INSIDE, [np.arccos, lambda x: -((1 - x**2) ** -0.5), lambda x: -x * (1 - x**2) ** -1.5, None]),
    ("atan(x)", POINTS, [np.arctan, lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2, None]),
    ("sinh(x)", POINTS, [np.sinh, np.cosh, np.sinh, np.cosh]),
    ("cosh(x)", POINTS, [np.cosh, np.sinh, np.cosh, np.sinh]),
    (
        "tanh(x)",
        POINTS,
        [np.tanh, lambda x: 1 - np.tanh(x) ** 2, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), None],
    ),
    ("asinh(x)", POINTS, [np.arcsinh, lambda x: (1 + x**2) ** -0.5, lambda x: -x * (1 + x**2) ** -1.5, None]),
    ("acosh(x)", POSITIVE + 1.05, [np.arccosh, lambda x: (x**2 - 1) ** -0.5, lambda x: -x * (x**2 - 1) ** -1.5, None]),
    ("atanh(x)", INSIDE, [np.arctanh, lambda x: 1 / (1 - x**2), lambda x: 2 * x / (1 - x**2) ** 2, None]),
    ("abs(x)", POINTS, [np.abs, np.sign, np.zeros_like, np.zeros_like]),
    (
        "sigmoid(x)",
        POINTS,
        [
            sigmoid,
            lambda x: sigmoid(x) * (1 - sigmoid(x)),
            lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x)),
            None,
        ],
    ),
    (
        "erf(x)",
        POINTS,
        [
            np.vectorize(math.erf),
            lambda x: 2 / SQRT_PI * np.exp(-(x**2)),
            lambda x: -4 * x / SQRT_PI * np.exp(-(x**2)),
            lambda x: (8 * x**2 - 4) / SQRT_PI * np.exp(-(x**2)),
        ],
    ),
]


@BOTH_METHODS
@pytest.mark.parametrize(("text", "x", "forms"), CLOSED_FORMS, ids=[text for text, _, _ in CLOSED_FORMS])
def test_derivatives_match_closed_forms(text, x, forms, method):
    result = derivatives(text, x, order=len(forms) - 1, method=method)
    for k, form in enumerate(forms):
        if form is not None:
            assert_close(result[k], exact(form(x)), rtol=1e-12, atol=1e-12, msg=f"order {k} of {text}")


@BOTH_METHODS
@pytest.mark.parametrize("order", range(9))
def test_sin_derivatives_cycle_through_cos_minus_sin_minus_cos(order, method):
    x = np.linspace(-7, 7, 29)
    cycle = [np.sin(x), np.cos(x), -np.sin(x), -np.cos(x)]
    result = derivatives("sin(x)", x, order=order, method=method)
    assert result.shape == (order + 1, len(x))
    assert_close(result, exact([cycle[k % 4] for k in range(order + 1)]), rtol=1e-12, atol=1e-12)


@BOTH_METHODS
def test_cos_cycles_the_other_way(method):
    x = np.linspace(-7, 7, 29)
    cycle = [np.cos(x), -np.sin(x), -np.cos(x), np.sin(x)]
    assert_close(
        derivatives("cos(x)", x, order=8, method=method),
        exact([cycle[k % 4] for k in range(9)]),
        rtol=1e-12,
        atol=1e-12,
    )


@BOTH_METHODS
def test_polynomial_derivatives_to_order_eight(method):
    """x^7 - 2x^3 + 5: every derivative is known, and the eighth is exactly zero."""
    x = np.linspace(-2, 2, 9)
    expected = [
        x**7 - 2 * x**3 + 5,
        7 * x**6 - 6 * x**2,
        42 * x**5 - 12 * x,
        210 * x**4 - 12,
        840 * x**3,
        2520 * x**2,
        5040 * x,
        5040 + 0 * x,
        0 * x,
    ]
    assert_close(derivatives("x^7 - 2x^3 + 5", x, order=8, method=method), exact(expected), rtol=1e-13, atol=1e-10)


@BOTH_METHODS
def test_parameters_enter_the_derivatives(method):
    x = np.linspace(-3, 3, 7)
    a, b = 2.5, -0.75
    expected = [
        a * np.sin(b * x),
        a * b * np.cos(b * x),
        -a * b**2 * np.sin(b * x),
        -a * b**3 * np.cos(b * x),
    ]
    assert_close(derivatives("a*sin(b*x)", x, order=3, params={"a": a, "b": b}, method=method), exact(expected))


def test_parameter_values_may_be_ints_or_numpy_scalars():
    result = derivatives("a x^2 + b", [3.0], order=2, params={"a": np.float32(0.5), "b": 2})
    assert_close(result, exact([[6.5], [3.0], [1.0]]))


def test_a_parameter_named_by_a_greek_letter():
    assert_close(derivatives("sin(ω x)", [0.0], order=1, params={"omega": 3.0}), exact([[0.0], [3.0]]))


# ---------------------------------------------------------------------------------------------------------------------
# The property: random formulas agree with sympy wherever they are defined

PROPERTY_ORDER = 3
DIGITS = 40  # decimal digits sympy computes the reference values with (float64 has 16)
LARGEST = 1e12  # |value| of a subformula above which the point is not compared (float64 would round it coarsely)
RTOL = 1e-9  # relative to the reference value
ATOL = 1e-11  # relative to the size of the terms that make up the derivative (see Oracle.term_sizes)


def reference(expr: sympy.Expr, point: float) -> float | None:
    """expr at x = point, computed with DIGITS digits, or None where that is not a finite real number.

    Substituting a DIGITS-digit Float makes sympy evaluate every function as it rebuilds the expression, at a fixed
    precision; that is several times faster than evalf(subs=...), which raises the precision wherever terms cancel.
    """
    try:
        value = complex(expr.xreplace({X: sympy.Float(point, DIGITS)}).evalf(DIGITS))
    except (ArithmeticError, TypeError, ValueError):  # zoo, or a division by zero inside evalf
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        return None
    if abs(value.imag) > 1e-20 * (1 + abs(value.real)):  # evalf leaves ~1e-37j of noise on some real values
        return None
    return value.real


def derivatives_in_sympy(expr: sympy.Expr, order: int) -> list[sympy.Expr]:
    rows = [expr]
    for _ in range(order):
        # d/dx sign(u) is DiracDelta(u): zero at the points compared, which keep away from kinks.
        rows.append(sympy.diff(rows[-1], X).replace(sympy.DiracDelta, lambda *args: sympy.S.Zero))
    return rows


def depends_on_x(node: Node) -> bool:
    return any(isinstance(n, Variable) for n in walk(node))


def is_plain_number(node: Node) -> bool:
    return isinstance(node, Number) or (isinstance(node, Unary) and isinstance(node.operand, Number))


def near_whole_number(value: float) -> bool:
    return abs(value - round(value)) < 1e-9


def power_is_smooth(base: float, exponent_node: Node, exponent_expr: sympy.Expr) -> bool:
    """base^exponent is smooth around the point: a real power needs a positive base unless the exponent is whole."""
    if not depends_on_x(exponent_node) and exponent_expr.is_integer:
        return exponent_expr.is_nonnegative or abs(base) > MARGIN
    return base > MARGIN


class Oracle:
    """sympy's view of a tree: the value of every subformula, and the derivatives of the whole and of its parts."""

    def __init__(self, tree: Node, params: dict[str, float]) -> None:
        self.tree = tree
        self.nodes = list(walk(tree))[::-1]  # children before their parents
        symbols = {name: sympy.Symbol(name, real=True) for name in params} | {"x": X}
        # A DIGITS-digit Float holds the float64 value exactly. An exact Rational would too, but its 2^52-sized
        # denominator in an exponent makes sympy build a dense polynomial of that degree (gigabytes, in one step).
        values = {symbols[name]: sympy.Float(value, DIGITS) for name, value in params.items()}
        # to_sympy builds the tree unevaluated; doit() evaluates it, because sympy's assumptions crash on some
        # unevaluated forms (sec(0).is_extended_real raises AttributeError). The trees hold no power towers to compute.
        self.exprs = {id(node): to_sympy(node, symbols).doit().subs(values) for node in self.nodes}
        self._derivatives: dict[int, list[sympy.Expr]] = {}
        self._term_sizes: dict[float, list[float]] = {}

    def derivatives(self, node: Node) -> list[sympy.Expr]:
        if id(node) not in self._derivatives:
            self._derivatives[id(node)] = derivatives_in_sympy(self.exprs[id(node)], PROPERTY_ORDER)
        return self._derivatives[id(node)]

    def defined_around(self, point: float, method: str) -> bool:
        """Every subformula is real, finite and of moderate size at the point, and smooth around it."""
        values: dict[int, float] = {}
        for node in self.nodes:
            value = reference(self.exprs[id(node)], point)
            if value is None or abs(value) > LARGEST:
                return False
            values[id(node)] = value
            match node:
                case Call(function, arguments) if not ROWS[function].smooth(*(values[id(a)] for a in arguments)):
                    return False
                case Binary("/", _, right) if abs(values[id(right)]) <= MARGIN:
                    return False
                case Binary("^", left, right) if not power_is_smooth(values[id(left)], right, self.exprs[id(right)]):
                    return False
        return True

    def term_sizes(self, point: float) -> list[float]:
        """For each order, how large the terms are that the chain rule adds up to the derivative of that order.

        Float64 rounding errs by about 1e-16 of the largest term, however much the terms cancel (sympy may cancel
        (x + pi)*(1/(x + pi)) to 1 exactly, where autograd adds up terms of size 1). The terms are products of the
        derivatives of the subformulas, so this takes the largest derivative up to that order of any subformula,
        and of any product of the two operands of a binary operator.
        """
        if point not in self._term_sizes:
            sizes = {id(node): [abs(reference(d, point) or 0.0) for d in self.derivatives(node)] for node in self.nodes}
            result = []
            for order in range(PROPERTY_ORDER + 1):
                largest = max(max(size[: order + 1]) for size in sizes.values())
                for node in self.nodes:
                    if isinstance(node, Binary):
                        left, right = sizes[id(node.left)], sizes[id(node.right)]
                        products = (left[i] * right[j] for i in range(order + 1) for j in range(order + 1 - i))
                        largest = max(largest, *products)
                result.append(largest)
            self._term_sizes[point] = result
        return self._term_sizes[point]


def compare_with_sympy(tree: Node, params: dict[str, float], at: list[float], method: str) -> int:
    """Assert that derivlib agrees with sympy at every point of `at` where the formula is defined all around it.

    Returns how many points were compared.
    """
    text = to_text(tree)
    result = derivatives(parse(text), at, order=PROPERTY_ORDER, params=params, method=method)
    oracle = Oracle(tree, params)
    compared = 0
    for i, point in enumerate(at):
        if not oracle.defined_around(point, method):
            continue
        expected = [reference(d, point) for d in oracle.derivatives(tree)]
        if any(value is None or abs(value) > 1e100 for value in expected):
            continue  # a derivative beyond float64's range
        for k, value in enumerate(expected):
            got = result[k, i].item()
            if abs(got - value) <= RTOL * abs(value):
                continue
            # Only then is it worth finding out how large the terms were that cancelled (it takes sympy a while).
            tolerance = RTOL * abs(value) + ATOL * oracle.term_sizes(point)[k]
            assert abs(got - value) <= tolerance, f"order {k} of {text} at x = {point!r} ({params}): {got} != {value}"
        compared += 1
    return compared


@pytest.mark.parametrize("method", METHODS)
@settings(derandomize=True, deadline=None, max_examples=100)
@given(
    tree=trees(max_leaves=5, parameters=True).filter(lambda tree: X_NODE in walk(tree)),
    at=st.lists(points(), min_size=1, max_size=6),
    all_params=parameter_values(),
)
def test_random_formulas_agree_with_sympy(method, tree, at, all_params):
    """Text -> parse -> derivlib in float64 agrees with sympy's derivatives of the same tree, at 40 digits.

    Points where the formula is not defined all around (a subformula is not a finite real number, or sits on a pole,
    kink or branch point) are not compared: there the maths has no single answer for the engine to match.
    """
    assert parse(to_text(tree)).tree == tree
    params = {name: value for name, value in all_params.items() if any(node == Parameter(name) for node in walk(tree))}
    try:
        with time_limit(SYMPY_SECONDS):
            compare_with_sympy(tree, params, at, method)
    except SympyTooSlow:
        reject()  # the oracle, not derivlib, took too long: this tree says nothing


SYMPY_SECONDS = 20  # for sympy to differentiate and evaluate one random tree; most take milliseconds


class SympyTooSlow(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (of wall time, in the main thread) with SympyTooSlow.

    On some hash seeds sympy's term ordering sends one random tree's symbolic work into an expansion that grows for
    minutes and takes gigabytes; the limit keeps the oracle from holding the suite up or running it out of memory.
    """

    def interrupt(signum, frame):
        raise SympyTooSlow

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# A quadratic that runs from about 0.09 to 3.45 over [-3, 3]: across every function's poles and domain edges.
INNER = "x^2/4 - x/3 + 1/5"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_of_a_quadratic_agrees_with_sympy(function, method):
    """The chain rule through every function, where random trees may not reach it."""
    tree = parse(f"{call(function, INNER)} * (x - 1/3)").tree
    assert compare_with_sympy(tree, {}, np.linspace(-3, 3, 15).tolist(), method) >= 3


# ---------------------------------------------------------------------------------------------------------------------
# torch's own derivative formulas at their edge cases


@BOTH_METHODS
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("x^2", [0, 0, 2, 0, 0], id="square"),
        pytest.param("x^3", [0, 0, 0, 6, 0], id="cube"),
        pytest.param("x^0", [1, 0, 0, 0, 0], id="zeroth-power"),
        pytest.param("x^1", [0, 1, 0, 0, 0], id="first-power"),
        pytest.param("x*x", [0, 0, 2, 0, 0], id="product"),
        # x^(1/2) is defined only for x >= 0, so its derivatives at 0 are the limits from the right.
        pytest.param("x^0.5", [0, math.inf, -math.inf, math.inf, -math.inf], id="square-root-as-power"),
        pytest.param("sqrt(x)", [0, math.inf, -math.inf, math.inf, -math.inf], id="square-root"),
        pytest.param("x^1.5", [0, 0, math.inf, -math.inf, math.inf], id="three-halves"),
    ],
)
def test_powers_at_zero(text, expected, method):
    assert_close(derivatives(text, [0.0], order=4, method=method), exact([expected]).T)


@BOTH_METHODS
@pytest.mark.parametrize("a", [0.0, 2.0, 3.0, -1.0])
def test_a_whole_parameter_exponent_is_defined_for_negative_x(a, method):
    """x^a with a whole a is a polynomial (or 1/x): defined and smooth for x < 0 although a is not a plain number."""
    x = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
    falling = [1.0, a, a * (a - 1), a * (a - 1) * (a - 2), a * (a - 1) * (a - 2) * (a - 3)]  # a!/(a-k)!
    expected = exact([falling[k] * x ** (a - k) if falling[k] != 0 else 0 * x for k in range(5)])
    assert_close(derivatives("x^a", x, order=4, params={"a": a}, method=method), expected, rtol=1e-13, atol=1e-13)


@BOTH_METHODS
def test_a_power_of_two_at_whole_exponents(method):
    """2^x at x = -1, 0, 1, 2: the exponent is whole there, and torch's power rule has special cases for that."""
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    expected = exact([np.log(2) ** k * 2.0**x for k in range(7)])
    assert_close(derivatives("2^x", x, order=6, method=method), expected, rtol=1e-14, atol=0.0)


@BOTH_METHODS
def test_x_to_the_x_at_one_has_the_known_integer_derivatives(method):
    """The derivatives of x^x at x = 1 are 1, 1, 2, 3, 8, 10, 54 (OEIS A005727)."""
    result = derivatives("x^x", [1.0], order=6, method=method)[:, 0]
    assert_close(result, exact([1, 1, 2, 3, 8, 10, 54]), rtol=1e-13, atol=1e-13)


@BOTH_METHODS
@pytest.mark.parametrize("text", ["x^a", "x^(4/2)"])
def test_a_whole_exponent_that_is_not_a_plain_number_is_exact_at_0(text, method):
    """x^2 written as x^a (a = 2) or x^(4/2) takes the same exact power rule as x^2: 0, 0, 2, 0, 0 at x = 0."""
    params = {"a": 2.0} if "a" in text else None
    result = derivatives(text, [0.0], order=4, params=params, method=method)[:, 0]
    assert_close(result, exact([0, 0, 2, 0, 0]), rtol=0, atol=0)


@BOTH_METHODS
def test_zero_to_the_x_is_flat_where_x_is_positive(method):
    assert_close(derivatives("0^x", [0.5, 1.0, 2.0], order=3, method=method), exact(np.zeros((4, 3))))


@pytest.mark.parametrize(
    ("text", "base", "exponent", "point"),
    [
        pytest.param("x^x", X, X, 2.0, id="x^x-at-2"),
        pytest.param("x^x", X, X, 3.0, id="x^x-at-3"),
        pytest.param("(x+1)^(x-1)", X + 1, X - 1, 1.0, id="exponent-0"),
        pytest.param("(x+1)^(x-1)", X + 1, X - 1, 2.0, id="exponent-1"),
        pytest.param("x^(2x)", X, 2 * X, 0.5, id="exponent-1-at-a-half"),
        pytest.param("exp(x)^x", sympy.exp(X), X, 1.0, id="exponential-base"),
    ],
)
@BOTH_METHODS
def test_powers_with_x_in_the_exponent_where_the_exponent_is_whole(text, base, exponent, point, method):
    """Where an x-dependent exponent is a whole number n, torch's own power rule drops a term from order n + 2 on.

    (It masks the base's derivative with where(exponent == 0, ...), whose own derivative ignores the exponent.)
    derivlib's rule must give the exact derivatives, here up to order 6, with either method.
    """
    forms = derivatives_in_sympy(sympy.exp(exponent * sympy.log(base)), 6)
    expected = exact([float(form.evalf(30, subs={X: point})) for form in forms])
    assert_close(derivatives(text, [point], order=6, method=method)[:, 0], expected, rtol=1e-12, atol=1e-12)


@BOTH_METHODS
def test_x_to_the_x_at_negative_whole_numbers_has_a_value_but_no_derivatives(method):
    """(-1)^(-1) = -1 and (-2)^(-2) = 1/4, but x^x is undefined for every x < 0 that is not whole."""
    result = derivatives("x^x", [-1.0, -2.0], order=3, method=method)
    assert_close(result[0], exact([-1.0, 0.25]))
    assert result[1:].isnan().all()


@BOTH_METHODS
def test_powers_with_x_in_the_exponent_at_fractional_points(method):
    """(x+1)^(x-1) = exp((x-1)·log(x+1)), compared with sympy to order 4 where the exponent is not whole."""
    x = np.array([-0.5, 0.25, 0.5, 1.5, 2.5])
    forms = derivatives_in_sympy(sympy.exp((X - 1) * sympy.log(X + 1)), 4)
    expected = exact([[float(form.evalf(30, subs={X: point})) for point in x] for form in forms])
    assert_close(derivatives("(x+1)^(x-1)", x, order=4, method=method), expected, rtol=1e-12, atol=1e-12)


@BOTH_METHODS
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x^(2/3)", [0, math.nan, math.nan]),  # a cusp: the slope is -∞ on the left, +∞ on the right
        ("x^(1/3)", [0, math.nan, math.nan]),  # a vertical tangent, as cbrt's
        ("x^(4/3)", [0, 0, math.nan]),  # flat at 0, f″ infinite there
        ("x^(-1/3)", [math.inf, math.nan, math.nan]),  # a pole, ∞ at the point as 1/x is
        ("x^0.6667", [0, math.inf, -math.inf]),  # a decimal exponent: x ≥ 0 only, the right side's limits
    ],
)
def test_real_roots_at_zero(text, expected, method):
    got = derivatives(text, [0.0], order=2, method=method)[:, 0]
    assert_close(got, exact(expected), equal_nan=True)


@BOTH_METHODS
def test_only_a_typed_fraction_with_an_odd_denominator_takes_a_negative_base(method):
    x = [-8.0]
    assert derivatives("x^(2/3)", x, order=0, method=method).item() == pytest.approx(4.0, rel=1e-15)
    assert derivatives("x^(4/6)", x, order=0, method=method).item() == pytest.approx(4.0, rel=1e-15)  # 2/3
    assert derivatives("x^-(1/3)", x, order=0, method=method).item() == pytest.approx(-0.5, rel=1e-15)
    for text in ("x^0.6667", "x^(1/2)", "x^(2/4)", "x^(a/3)"):
        params = {"a": 2.0} if "a" in text else None
        assert math.isnan(derivatives(text, x, order=0, params=params, method=method).item()), text


@BOTH_METHODS
def test_abs_has_no_derivative_at_its_kink(method):
    """d|x|/dx jumps from -1 to 1 at 0: undefined there (NaN), as at any corner, the piecewise {x < 0: -x, x}'s."""
    result = derivatives("abs(x)", [-1.0, 0.0, 1.0], order=2, method=method)
    assert_close(result, exact([[1, 0, 1], [-1, math.nan, 1], [0, math.nan, 0]]), equal_nan=True)


KINKS = [
    # (formula, x, f, f′, f″): abs, min and max where their arguments meet, decided by both sides as a boundary is
    ("abs(x - 1)", 1.0, [0, math.nan, math.nan]),  # a corner
    ("abs(x^2)", 0.0, [0, 0, 2]),  # |x²| = x² on both sides: smooth
    ("abs(x)^2", 0.0, [0, 0, 2]),  # so is |x|²
    ("abs(x^3)", 0.0, [0, 0, 0]),  # x²·|x|: f″ is 0 from both sides, f‴ jumps
    ("x abs(x)", 0.0, [0, 0, math.nan]),  # f″ jumps from -2 to 2
    ("max(x, 2x)", 0.0, [0, math.nan, math.nan]),  # slopes 1 and 2 meet
    ("max(x, -x)", 0.0, [0, math.nan, math.nan]),  # |x| as a maximum
    ("min(x^2, 0)", 0.0, [0, 0, 0]),  # 0 on both sides: x² never dips below it
    ("max(x^2, x^3)", 0.0, [0, 0, 2]),  # x² on both sides near 0
    ("max(x^2, x^3)", 1.0, [1, math.nan, math.nan]),  # slopes 2 and 3 meet at 1
    ("min(sin x, cos x) + abs(x - 2)", 0.5, None),  # no kink at 0.5: the smooth value, checked below
]


@BOTH_METHODS
@pytest.mark.parametrize(("text", "point", "expected"), [k for k in KINKS if k[2] is not None])
def test_abs_min_and_max_at_their_kinks_are_decided_by_both_sides(text, point, expected, method):
    got = derivatives(text, [point], order=2, method=method)[:, 0]
    assert_close(got, exact(expected), rtol=1e-13, atol=1e-13, equal_nan=True)


@BOTH_METHODS
def test_away_from_a_kink_abs_min_and_max_take_the_side_they_are_on(method):
    got = derivatives("min(sin x, cos x) + abs(x - 2)", [0.5], order=2, method=method)[:, 0]
    expected = [math.sin(0.5) + 1.5, math.cos(0.5) - 1, -math.sin(0.5)]
    assert_close(got, exact(expected), rtol=1e-14, atol=1e-14)


@BOTH_METHODS
@pytest.mark.parametrize(
    ("text", "params", "value"),
    [
        pytest.param("4", None, 4.0, id="number"),
        pytest.param("a", {"a": -2.5}, -2.5, id="parameter"),
        pytest.param("2pi", None, 2 * math.pi, id="constant-expression"),
        pytest.param("0*x + 7", None, 7.0, id="x-times-zero"),
    ],
)
def test_constant_formulas_have_exactly_zero_derivatives_of_every_order(text, params, value, method):
    x = [-1.0, 0.0, 1.0, 1e300]
    result = derivatives(text, x, order=8, params=params, method=method)
    assert result.shape == (9, 4)
    assert result[0].tolist() == [value] * 4
    assert torch.equal(result[1:], torch.zeros(8, 4, dtype=torch.float64))


@BOTH_METHODS
def test_linear_formulas_have_a_constant_slope_and_then_exact_zeros(method):
    x = np.array([-2.0, 0.0, 3.0])
    result = derivatives("3x", x, order=8, method=method)
    assert result.shape == (9, 3)
    assert_close(result[:2], exact([3 * x, [3.0, 3.0, 3.0]]))
    assert torch.equal(result[2:], torch.zeros(7, 3, dtype=torch.float64))


# ---------------------------------------------------------------------------------------------------------------------
# Undefined values are NaN (never an exception), poles are ±inf


@BOTH_METHODS
def test_log_of_a_negative_number_is_nan_in_every_row(method):
    """Autograd alone would say d/dx log(x) = 1/x = -1 at x = -1, where log is undefined."""
    result = derivatives("log(x)", [-1.0, 1.0], order=3, method=method)
    assert result[:, 0].isnan().all()
    assert_close(result[:, 1], exact([0.0, 1.0, -1.0, 2.0]))


@BOTH_METHODS
@pytest.mark.parametrize("text", ["sqrt(x)", "x^0.5", "asin(x - 3)", "acos(x - 3)", "acosh(x + 1)", "atanh(x - 3)"])
def test_outside_the_domain_every_row_is_nan(text, method):
    assert derivatives(text, [-1.0, -0.25], order=3, method=method).isnan().all()


@BOTH_METHODS
def test_one_over_x_at_zero_is_infinite_with_the_signs_of_the_limits_from_the_right(method):
    """1/x at x = +0.0: f = +inf, and the k-th derivative (-1)^k k!/x^(k+1) tends to (-1)^k inf."""
    result = derivatives("1/x", [0.0], order=4, method=method)
    assert_close(result[:, 0], exact([math.inf, -math.inf, math.inf, -math.inf, math.inf]))


@BOTH_METHODS
def test_log_at_zero_is_infinite_with_the_signs_of_the_limits_from_the_right(method):
    result = derivatives("log(x)", [0.0], order=4, method=method)
    assert_close(result[:, 0], exact([-math.inf, math.inf, -math.inf, math.inf, -math.inf]))


# ---------------------------------------------------------------------------------------------------------------------
# Each point on its own: batches, chunks, progress

# Uses only operations whose vectorised and scalar kernels round alike, so that results can be compared bit for bit.
BATCH_FORMULA = "x^3 + sin(x)*exp(-x) + log(x)"
BATCH_POINTS = [-1.0, 0.0, 0.1, 0.5, 1.0, 2.0, math.pi, 10.0, 1e-8, 123.456]


def same(a: torch.Tensor, b: torch.Tensor) -> None:
    """Bit-for-bit equal, NaN where the other is NaN."""
    assert_close(a, b, rtol=0, atol=0, equal_nan=True)


@BOTH_METHODS
def test_the_result_at_each_point_is_that_of_the_point_alone(method):
    batch = derivatives(BATCH_FORMULA, BATCH_POINTS, order=4, method=method)
    for i, point in enumerate(BATCH_POINTS):
        same(batch[:, i], derivatives(BATCH_FORMULA, [point], order=4, method=method)[:, 0])


@BOTH_METHODS
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 10, 11, 1000])
def test_chunked_results_equal_unchunked(chunk_size, method):
    unchunked = derivatives(BATCH_FORMULA, BATCH_POINTS, order=4, method=method)
    same(derivatives(BATCH_FORMULA, BATCH_POINTS, order=4, chunk_size=chunk_size, method=method), unchunked)


@BOTH_METHODS
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_chunking_changes_every_function_by_rounding_at_most(function, method):
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    text = call(function, "x")
    unchunked = derivatives(text, x, order=3, method=method)
    assert_close(
        derivatives(text, x, order=3, chunk_size=7, method=method), unchunked, rtol=1e-13, atol=1e-13, equal_nan=True
    )


@pytest.mark.parametrize(
    ("chunk_size", "calls"), [(None, [(10, 10)]), (4, [(4, 10), (8, 10), (10, 10)]), (10, [(10, 10)])]
)
def test_progress_is_reported_after_each_chunk(chunk_size, calls):
    seen: list[tuple[int, int]] = []
    derivatives(
        "sin(x)", np.linspace(0, 1, 10), order=2, chunk_size=chunk_size, progress=lambda *args: seen.append(args)
    )
    assert seen == calls


def test_progress_counts_increase_to_the_total_for_a_large_grid():
    seen: list[tuple[int, int]] = []
    n = 100_003
    derivatives(
        "sin(x)*exp(x)",
        torch.linspace(0, 1, n, dtype=torch.float64),
        chunk_size=10_000,
        progress=lambda *a: seen.append(a),
    )
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})
    assert seen[-1] == (n, n)
    assert {total for _, total in seen} == {n}


# ---------------------------------------------------------------------------------------------------------------------
# Inputs, dtypes, devices


@pytest.mark.parametrize(
    "x",
    [
        pytest.param([0.5, 2.0], id="list"),
        pytest.param((0.5, 2), id="tuple-with-int"),
        pytest.param(np.array([0.5, 2.0]), id="numpy"),
        pytest.param(torch.tensor([0.5, 2.0], dtype=torch.float32), id="float32-tensor"),
    ],
)
def test_points_can_be_given_in_any_array_form(x):
    assert_close(derivatives("x^2", x, order=1), exact([[0.25, 4.0], [1.0, 4.0]]))


def test_a_single_number_is_one_point():
    assert derivatives("x^2", 3.0, order=2).tolist() == [[9.0], [6.0], [2.0]]


def test_an_empty_list_of_points_gives_an_empty_result():
    assert derivatives("x^2", [], order=2).shape == (3, 0)


@BOTH_METHODS
@pytest.mark.parametrize("dtype", [torch.float32, "float32"])
def test_float32_is_close_to_float64(dtype, method):
    x = np.linspace(-3, 3, 25)
    result = derivatives("x^3 + sin(x)", x, order=3, dtype=dtype, method=method)
    assert result.dtype == torch.float32
    expected = exact([x**3 + np.sin(x), 3 * x**2 + np.cos(x), 6 * x - np.sin(x), 6 - np.cos(x)])
    assert_close(result.double(), expected, rtol=1e-5, atol=1e-5)


def test_float64_by_name():
    assert derivatives("x", [1.0], dtype="float64").dtype == torch.float64


def test_cpu_by_name_or_by_device():
    assert derivatives("x", [1.0], device="cpu").device.type == "cpu"
    assert derivatives("x", [1.0], device=torch.device("cpu")).device.type == "cpu"


def test_the_cpu_is_always_available():
    assert derivlib.available_devices()[0] == "cpu"


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@BOTH_METHODS
@CUDA
@pytest.mark.parametrize("text", ["x^3 + sin(x)", "log(x)*exp(-x^2)", "x^x", "tanh(2x)/(1 + x^2)", "sqrt(x) + cbrt(x)"])
def test_cuda_agrees_with_the_cpu_in_float64(text, method):
    """Equal up to the last bits of the device's math library, and NaN at the same points."""
    x = torch.linspace(-4, 4, 10_001, dtype=torch.float64)
    cuda = derivatives(text, x, order=4, device="cuda", method=method)
    assert cuda.device.type == "cuda"
    assert_close(cuda.cpu(), derivatives(text, x, order=4, method=method), rtol=1e-11, atol=1e-11, equal_nan=True)


@CUDA
def test_cuda_agrees_with_the_cpu_in_float32():
    x = torch.linspace(-4, 4, 10_001, dtype=torch.float64)
    cuda = derivatives("x^3 + sin(x)", x, order=2, dtype="float32", device="cuda")
    assert cuda.dtype == torch.float32
    assert_close(cuda.cpu(), derivatives("x^3 + sin(x)", x, order=2, dtype="float32"), rtol=1e-5, atol=1e-4)


@CUDA
def test_cuda_results_do_not_depend_on_the_chunk_size():
    x = torch.linspace(-4, 4, 1001, dtype=torch.float64)
    unchunked = derivatives(BATCH_FORMULA, x, order=3, device="cuda")
    chunked = derivatives(BATCH_FORMULA, x, order=3, device="cuda", chunk_size=77)
    assert_close(chunked, unchunked, rtol=1e-13, atol=0, equal_nan=True)


@BOTH_METHODS
@pytest.mark.parametrize("order", range(9))
def test_every_order_up_to_eight_has_one_row_per_order(order, method):
    x = np.linspace(0.5, 1.5, 5)
    result = derivatives("exp(2x)", x, order=order, method=method)
    assert result.shape == (order + 1, 5)
    assert_close(result, exact([2.0**k * np.exp(2 * x) for k in range(order + 1)]), rtol=1e-13, atol=0.0)


# ---------------------------------------------------------------------------------------------------------------------
# Settings that are refused, each with a message that says what would be right

REFUSED: list = [
    pytest.param({"order": -1}, "order must be from 0 to", id="negative-order"),
    pytest.param({"order": 99}, "order must be from 0 to", id="order-too-high"),
    pytest.param({"order": 2.5}, "whole number", id="fractional-order"),
    pytest.param({"order": True}, "whole number", id="boolean-order"),
    pytest.param({"device": "tpu"}, "unknown device 'tpu'", id="unknown-device"),
    pytest.param({"dtype": "float16"}, "choose float64 or float32", id="float16-by-name"),
    pytest.param({"dtype": torch.float16}, "choose float64 or float32", id="float16"),
    pytest.param({"dtype": torch.int64}, "choose float64 or float32", id="integer-dtype"),
    pytest.param({"chunk_size": 0}, "chunk_size must be a positive", id="zero-chunk"),
    pytest.param({"chunk_size": -5}, "chunk_size must be a positive", id="negative-chunk"),
    pytest.param({"params": {"a": 1.0, "b": 1.0}}, "no parameter 'b'", id="value-for-a-missing-parameter"),
    pytest.param({"params": {"a": "one"}}, "parameter 'a' needs a number", id="parameter-not-a-number"),
    pytest.param({"method": "finite differences"}, "unknown method", id="unknown-method"),
]


@pytest.mark.parametrize(("settings_", "message"), REFUSED)
@pytest.mark.parametrize(
    "compute",
    [
        pytest.param(lambda **settings_: derivatives("a*x", [1.0], **settings_), id="derivatives"),
        pytest.param(
            lambda **settings_: derivlib.partials("a*x*y", {"x": [1.0], "y": [2.0]}, **settings_), id="partials"
        ),
    ],
)
def test_bad_settings_raise_value_error_with_a_message(compute, settings_, message):
    """derivatives and partials read their settings alike (engine.checked_settings): the same refusals."""
    settings_ = {"params": {"a": 1.0}} | settings_
    with pytest.raises(ValueError, match=message):
        compute(**settings_)


def test_a_parameter_without_a_value_is_named():
    with pytest.raises(ValueError, match="parameter 'b' needs a value"):
        derivatives("a*x + b", [1.0], params={"a": 1.0})


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_where_there_is_none_is_refused_with_the_devices_that_exist():
    with pytest.raises(ValueError, match="not available here: choose one of cpu"):
        derivatives("x", [1.0], device="cuda")


def test_points_must_be_one_dimensional():
    with pytest.raises(ValueError, match=r"one-dimensional, not of shape \(2, 2\)"):
        derivatives("x", [[1.0, 2.0], [3.0, 4.0]])


def test_points_must_be_numbers():
    with pytest.raises(ValueError, match="x must be numbers"):
        derivatives("x", ["one", "two"])


def test_a_formula_error_is_an_expression_error_with_a_position():
    with pytest.raises(ExpressionError) as raised:
        derivatives("x + sinn(x)", [1.0])
    assert raised.value.position == 4


@pytest.mark.parametrize(
    ("start", "stop", "num", "message"),
    [
        pytest.param(0, 1, 10**12, "budget", id="too-many-points"),
        pytest.param(1, 0, 5, "from a smaller to a larger number", id="reversed-range"),
        pytest.param(0, math.inf, 5, "stop must be a finite number", id="infinite-stop"),
        pytest.param(math.nan, 1, 5, "start must be a finite number", id="nan-start"),
        pytest.param(0, 1, 0, "empty", id="empty-grid"),
        pytest.param(0, 1, -3, "empty", id="negative-count"),
        pytest.param(0, 1, 2.5, "whole number", id="fractional-count"),
    ],
)
def test_bad_grids_raise_value_error_with_a_message(start, stop, num, message):
    with pytest.raises(ValueError, match=message):
        grid_table("x", start, stop, num)


def test_a_grid_beyond_the_memory_budget_fails_before_allocating():
    """10^12 points of float64 would be 24 TB: the size is checked before any tensor exists."""
    with pytest.raises(ValueError, match=r"1,000,000,000,000 points of order 2 need .* GiB"):
        grid_table("sin(x)", 0, 1, 10**12)


# ---------------------------------------------------------------------------------------------------------------------
# constants(): the values of typed points


def test_constants_are_the_values_of_comma_separated_formulas():
    assert constants("1, pi, 2pi/3, 1e-3") == [1.0, math.pi, 2 * math.pi / 3, 0.001]


def test_constants_may_use_parameters_given_values():
    assert constants("a/2, -a", {"a": 3.0}) == [1.5, -3.0]


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        pytest.param("x", 0, "cannot depend on x", id="x-alone"),
        pytest.param("1, 2x", 4, "cannot depend on x", id="x-in-the-second-item"),
        pytest.param("1, b", 3, "'b' has no value here", id="parameter-without-value"),
        pytest.param("1,, 2", 2, "empty item", id="empty-item"),
    ],
)
def test_constants_refuse_what_is_not_a_number_at_its_position(text, position, message):
    with pytest.raises(ExpressionError, match=message) as raised:
        constants(text)
    assert raised.value.position == position
