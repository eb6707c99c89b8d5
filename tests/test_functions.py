"""Every record of derivlib/functions.py, checked whole: a record cannot be half-written.

For each function: its derivatives of orders 0–4 in both engines against sympy's derivatives of the record's own
sympy form (40 digits), at random points where its test row (function_rows.py) says it is smooth, of x and of a
composed argument; its PyTorch source (the lab's) against its torch function; its domain rules against the points
where it is undefined; and its line in the README's table.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy
import torch
from function_rows import ROWS

import derivlib
from derivlib.engine import METHODS
from derivlib.functions import ALIASES, FUNCTIONS, RECORDS, names_in_words, table
from derivlib.lab import torch_source
from derivlib.symbolic import SYMPY_FUNCTIONS, to_torch
from derivlib.tree import Call, Expression
from derivlib.undefined import causes

ORDER = 4
POINTS = 9  # random points per record and argument
DIGITS = 40
RTOL = 1e-10  # relative to the largest value of that order over the points (the rounding of its terms)
X = sympy.Symbol("x", real=True)
README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_record_has_its_test_row():
    assert ROWS.keys() == FUNCTIONS.keys()


def test_names_and_aliases_are_unique():
    names = [record.name for record in RECORDS] + [alias for record in RECORDS for alias in record.aliases]
    assert len(names) == len(set(names))
    assert all(alias not in FUNCTIONS for alias in ALIASES)


def call(name: str, *arguments: str) -> Expression:
    """name(arguments…) as a tree built here, not by the parser (whose calls of two arguments are tested there)."""
    return Expression(Call(name, tuple(derivlib.parse(argument).tree for argument in arguments)))


def curve(interval: tuple[float, float], wave: str) -> str:
    """A function of x (wave is sin or cos of something) that keeps inside the interval."""
    low, high = interval
    return f"{(low + high) / 2!r} + {0.4 * (high - low)!r}*{wave}"


def argument_cases(name: str) -> list[tuple[Expression, np.ndarray]]:
    """The call with its arguments as functions of x, and the points: x itself as the (first) argument, and curves
    that keep inside the test row's intervals; for two arguments, both depend on x. Only points where the row says
    the function is smooth are kept."""
    row, arity = ROWS[name], FUNCTIONS[name].arity
    rng = np.random.default_rng(sum(map(ord, name)))  # the same points on every run
    if arity == 1:
        cases = [(("x",), row.interval), ((curve(row.interval, "sin(x)"),), (-3.0, 3.0))]
    else:
        cases = [
            (("x", curve(row.second, "cos(x)")), row.interval),
            ((curve(row.interval, "sin(x)"), curve(row.second, "cos(2*x)")), (-3.0, 3.0)),
        ]
    result = []
    for arguments, (low, high) in cases:
        x = np.sort(rng.uniform(low, high, 8 * POINTS))
        values = [derivlib.derivatives(argument, x, order=0)[0].numpy() for argument in arguments]
        smooth = np.array([row.smooth(*(float(v[i]) for v in values)) for i in range(len(x))])
        assert smooth.sum() >= POINTS, (name, arguments)
        result.append((call(name, *arguments), x[smooth][:: int(smooth.sum()) // POINTS][:POINTS]))
    return result


def reference_rows(expr: Expression, x: np.ndarray) -> np.ndarray:
    """sympy's derivatives of the formula (built from derivlib's tree, i.e. from the record's sympy form)."""
    rows = [expr.to_sympy().doit()]
    for _ in range(ORDER):
        rows.append(sympy.diff(rows[-1], X))
    return np.array([[float(row.xreplace({X: sympy.Float(p, DIGITS)}).evalf(DIGITS)) for p in x] for row in rows])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_agrees_with_sympy_to_order_four(name, method):
    for expr, x in argument_cases(name):
        expected = reference_rows(expr, x)
        computed = derivlib.derivatives(expr, x, order=ORDER, method=method).numpy()
        scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), 1.0)
        np.testing.assert_allclose(computed / scale, expected / scale, rtol=0, atol=RTOL, err_msg=str(expr))


def sample(name: str, count: int) -> tuple[torch.Tensor, ...]:
    """Arguments spread over the test row's intervals (the second one reversed, so that pairs vary)."""
    row = ROWS[name]
    first = torch.tensor(np.linspace(*row.interval, count), dtype=torch.float64)
    if FUNCTIONS[name].arity == 1:
        return (first,)
    return first, torch.tensor(np.linspace(*row.second, count)[::-1].copy(), dtype=torch.float64)


def sampled_call(name: str, count: int) -> tuple[Expression, torch.Tensor, tuple[torch.Tensor, ...]]:
    """The record called on x (and, for two arguments, on a curve of x), its points, and its arguments' values."""
    x = sample(name, count)[0]
    arguments = ("x",) if FUNCTIONS[name].arity == 1 else ("x", curve(ROWS[name].second, "cos(3*x)"))
    expr = call(name, *arguments)
    values = tuple(derivlib.derivatives(argument, x, order=0)[0] for argument in arguments)
    return expr, x, values


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_row_zero_is_its_torch_function(name):
    expr, x, values = sampled_call(name, 17)
    record = FUNCTIONS[name]
    for method in METHODS:
        f = derivlib.derivatives(expr, x, order=2, method=method)[0]
        assert torch.equal(f, record.torch(*values)), method


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_code_computes_what_derivlib_computes(name):
    """The lab's PyTorch source for the function, run on the points, gives derivlib's numbers to the last bit."""
    record = FUNCTIONS[name]
    expr, x, _ = sampled_call(name, 17)
    source = torch_source(expr)
    namespace = {"torch": torch, "x": x}
    if record.helper:
        exec(record.helper, namespace)
    assert torch.equal(eval(source, namespace), expr.evaluate({"x": x}, like=x)), source


# The lab's gamma is exp(torch.lgamma), whose second derivative autograd takes from torch's trigamma, good to about
# 1e-9; derivlib's own derivatives of lgamma are polygamma's with an exact trigamma (functions.polygamma).
HELPER_TOLERANCE = {"gamma": 2e-9, "factorial": 2e-9}


@pytest.mark.parametrize("name", sorted(name for name, record in FUNCTIONS.items() if record.helper))
def test_every_helper_gives_derivlibs_autograd_derivatives(name):
    """A helper (what torch lacks) differentiates in the lab's script as derivlib's autograd does, to the last bit,
    also at the special points (jumps, poles, 0)."""
    record = FUNCTIONS[name]
    namespace = {"torch": torch}
    exec(record.helper, namespace)
    special = [0.0, -0.0, 1.0, -1.0, 2.0, 2.5, -2.5, 0.5, -0.5, 1e-300, 1e-8, 3.0, -3.0, 1.9, 2.1]
    x = torch.tensor([*special, *np.linspace(*ROWS[name].interval, 9)], dtype=torch.float64)
    for others in ([2.0], [3.0], [-2.0]) if record.arity == 2 else ([],):
        second = [torch.tensor(value, dtype=torch.float64) for value in others]
        expr = call(name, "x", *map(repr, others))
        expected = derivlib.derivatives(expr, x, order=3, method="autograd")
        t = x.clone().requires_grad_(True)
        rows = [namespace[name](t, *second)]
        for _ in range(3):
            (derivative,) = torch.autograd.grad(rows[-1], t, torch.ones_like(t), create_graph=True)
            rows.append(derivative)
        computed = torch.stack([row.detach() for row in rows])
        computed[1:, torch.isnan(computed[0])] = math.nan  # derivlib's NaN where f is NaN, as the lab's script shows
        rtol = HELPER_TOLERANCE.get(name, 0.0)
        torch.testing.assert_close(computed, expected, rtol=rtol, atol=0, equal_nan=True, msg=str(expr))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_sympy_form_evaluates_back_to_its_torch_function(name):
    """The symbolic check's walker (derived from the records) evaluates the record's sympy form as derivlib does."""
    record = FUNCTIONS[name]
    arguments = sample(name, 7)
    symbols = [X, sympy.Symbol("y", real=True)][: record.arity]
    values = dict(zip(["x", "y"], arguments, strict=False))
    with sympy.evaluate(False):  # as derivlib's trees build it, and as sympy would write it
        unevaluated = record.sympy(sympy, *symbols)
    for expr in (unevaluated, record.sympy(sympy, *symbols)):
        assert torch.allclose(to_torch(expr, values, like=arguments[0]), record.torch(*arguments), rtol=1e-14, atol=0)
        if isinstance(expr, sympy.Function) and all(isinstance(a, sympy.Symbol) for a in expr.args):
            assert SYMPY_FUNCTIONS[type(expr)] is record.torch


@pytest.mark.parametrize("name", sorted(name for name, row in ROWS.items() if row.outside is not None))
def test_every_record_says_why_it_is_undefined_outside_its_domain(name):
    record = FUNCTIONS[name]
    point, *others = ROWS[name].outside
    x = np.array([point])
    expr = call(name, "x", *map(repr, others))
    found = causes(expr, x, derivlib.derivatives(expr, x, order=0)[0])
    reasons = {reason for _, reason in record.domain}
    assert [cause.reason for cause in found] and {cause.reason for cause in found} <= reasons, found


def test_a_record_without_domain_rules_is_defined_on_its_interval():
    for name in ROWS:
        assert torch.isfinite(FUNCTIONS[name].torch(*sample(name, 33))).all(), name


def test_the_readme_lists_every_function_from_the_records():
    assert table() in README.read_text()


def test_the_page_help_names_every_function():
    assert all(record.name in names_in_words() for record in RECORDS)
    assert math.isfinite(len(names_in_words()))


# ---------------------------------------------------------------------------------------------------------------------
# Every rule of two arguments, both depending on x, against autograd to order six (as test_jet does for one argument)


@pytest.mark.parametrize("name", sorted(name for name, record in FUNCTIONS.items() if record.arity == 2))
@pytest.mark.parametrize("wave", ["x", "x^2/4 + x/3", "sin(x)/3"], ids=["x", "polynomial", "function"])
def test_each_rule_of_two_arguments_agrees_with_autograd_to_order_six(name, wave):
    row = ROWS[name]
    arguments = [curve(interval, f"({wave})/3") for interval in (row.interval, row.second)]
    arguments[1] = curve(row.second, f"cos({wave})")  # the two arguments vary differently
    expr = call(name, *arguments)
    x = torch.linspace(-3, 3, 61, dtype=torch.float64)
    expected = derivlib.derivatives(expr, x, order=6, method="autograd")
    scale = expected.abs().nan_to_num(posinf=0, neginf=0).amax(dim=1, keepdim=True).clamp_min(1.0)
    computed = derivlib.derivatives(expr, x, order=6, method="taylor")
    torch.testing.assert_close(computed / scale, expected / scale, rtol=0, atol=1e-11, equal_nan=True)


# ---------------------------------------------------------------------------------------------------------------------
# Conventions at special points, the same in both engines

NAN = math.nan


def both(expr: Expression | str, x: list[float], order: int, expected: list[list[float]]) -> None:
    for method in METHODS:
        computed = derivlib.derivatives(expr, x, order=order, method=method)
        torch.testing.assert_close(
            computed, torch.tensor(expected, dtype=torch.float64), rtol=1e-15, atol=1e-15, equal_nan=True, msg=method
        )


@pytest.mark.parametrize(
    ("text", "x", "expected"),
    [
        # at a jump f keeps its value and every derivative is undefined; where flat, every derivative is 0
        pytest.param("floor(x)", [1.0, 1.5, -0.5], [[1, 1, -1], [NAN, 0, 0], [NAN, 0, 0], [NAN, 0, 0]], id="floor"),
        pytest.param("ceil(x)", [1.0, 1.5, -0.5], [[1, 2, 0], [NAN, 0, 0], [NAN, 0, 0], [NAN, 0, 0]], id="ceil"),
        pytest.param("frac(x)", [2.0, 2.5, -0.25], [[0, 0.5, 0.75], [NAN, 1, 1], [NAN, 0, 0], [NAN, 0, 0]], id="frac"),
        pytest.param("sign(x)", [0.0, 2.0, -3.0], [[0, 1, -1], [NAN, 0, 0], [NAN, 0, 0], [NAN, 0, 0]], id="sign"),
        pytest.param("step(x)", [0.0, 2.0, -3.0], [[0.5, 1, 0], [NAN, 0, 0], [NAN, 0, 0], [NAN, 0, 0]], id="heaviside"),
        # where the argument only touches the jump, derivlib cannot tell: undefined too (floor(x²) is flat at 0)
        pytest.param("floor(x^2)", [0.0, 0.5], [[0, 0], [NAN, 0], [NAN, 0], [NAN, 0]], id="floor-touching"),
        # sympy's acot: π/2 at 0 (also at -0), atan(1/x) elsewhere; its derivative -1/(1 + x²) also for tiny x
        pytest.param(
            "acot(x)",
            [0.0, -0.0, -1.0, 1e-200],
            [[math.pi / 2, math.pi / 2, -math.pi / 4, math.pi / 2], [NAN, NAN, -0.5, -1], [NAN, NAN, -0.5, 2e-200]],
            id="acot",
        ),
        pytest.param("erfinv(x)", [1.0, -1.0], [[math.inf, -math.inf], [math.inf, math.inf]], id="erfinv-edges"),
        pytest.param("gamma(x)", [0.0, -1.0, 5.0], [[NAN, NAN, 24], [NAN, NAN, 36.14682404236321]], id="gamma-poles"),
        pytest.param("x!", [5.0, 0.0], [[120, 1], [204.73412021181597, -0.5772156649015329]], id="factorial"),
    ],
)
def test_conventions_at_special_points(text, x, expected):
    both(text, x, len(expected) - 1, expected)


def test_round_takes_halves_away_from_zero_with_undefined_derivatives_there():
    x = [2.5, -2.5, 0.5, -0.5, 1.5, 0.49999999999999994, 2.4]
    both("round(x)", x, 2, [[3, -3, 1, -1, 2, 0, 2], [NAN] * 5 + [0, 0], [NAN] * 5 + [0, 0]])


def test_sinc_is_unnormalised_and_exact_at_and_near_zero():
    """sin(x)/x with sinc(0) = 1: derivatives 1, 0, -1/3, 0, 1/5 at 0, and no cancellation near it."""
    both("sinc(x)", [0.0], 4, [[1], [0], [-1 / 3], [0], [1 / 5]])
    with mpmath.workdps(40):
        for point in [1e-8, 1e-3, 0.7, 3.999, 4.0, 4.001, 9.0]:
            exact = [float(c * mpmath.factorial(k)) for k, c in enumerate(mpmath.taylor(mpmath.sinc, point, 6))]
            for method in METHODS:
                computed = derivlib.derivatives("sinc(x)", [point], order=6, method=method)[:, 0]
                torch.testing.assert_close(computed, torch.tensor(exact, dtype=torch.float64), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("name", ["gamma", "lgamma", "digamma", "factorial"])
def test_the_gamma_family_is_exact_for_negative_arguments_too(name):
    """Γ changes sign between its poles; lgamma is log|Γ| there; every derivative is polygamma's (trigamma exact)."""
    exact = {
        "gamma": mpmath.gamma,
        "lgamma": lambda t: mpmath.log(abs(mpmath.gamma(t))),
        "digamma": mpmath.digamma,
        "factorial": lambda t: mpmath.gamma(t + 1),
    }[name]
    points = [-2.7, -1.5, -0.5, 0.3, 1.0, 3.3, 10.5]
    with mpmath.workdps(40):
        expected = [[float(c * mpmath.factorial(k)) for k, c in enumerate(mpmath.taylor(exact, p, 4))] for p in points]
    for method in METHODS:
        computed = derivlib.derivatives(f"{name}(x)", points, order=4, method=method)
        torch.testing.assert_close(computed, torch.tensor(expected, dtype=torch.float64).T, rtol=1e-12, atol=0)


def two(name: str, a: float | str, b: float | str) -> Expression:
    return call(name, *(argument if isinstance(argument, str) else repr(argument) for argument in (a, b)))


@pytest.mark.parametrize(
    ("expr", "x", "expected"),
    [
        # the sign of m, as Python's %: derivative 1 in x, -floor(x/m) in m, undefined where x/m is whole
        pytest.param(two("mod", "x", 2.0), [5.5, -5.5, 4.0], [[1.5, 0.5, 0], [1, 1, NAN], [0, 0, NAN]], id="mod-x"),
        pytest.param(two("mod", "x", -2.0), [5.5], [[-0.5], [1], [0]], id="mod-negative-m"),
        pytest.param(two("mod", 7.0, "x"), [2.0, 2.5, 3.5], [[1, 2, 0], [-3, -2, NAN], [0, 0, NAN]], id="mod-m"),
        pytest.param(two("mod", "x", 0.0), [1.0], [[NAN], [NAN]], id="mod-by-zero"),
        # at a tie, a derivative only where both sides agree: a corner where x's and y's slopes differ
        pytest.param(two("min", "x", 1.0), [1.0, 2.0], [[1, 1], [NAN, 0], [NAN, 0]], id="min-tie"),
        pytest.param(two("max", "x", 1.0), [1.0, 0.0], [[1, 1], [NAN, 0], [NAN, 0]], id="max-tie"),
        pytest.param(two("min", "x^2", "x"), [1.0], [[1], [NAN], [NAN]], id="min-tie-curves"),
        pytest.param(two("max", "x^2", 0.0), [0.0], [[0], [0], [2]], id="max-touch"),  # x² on both sides
        # the real root: odd whole indices take negative x, even ones do not, index 0 is undefined
        pytest.param(two("root", "x", 3.0), [-8.0, 8.0], [[-2, 2], [1 / 12, 1 / 12], [1 / 144, -1 / 144]], id="root-3"),
        pytest.param(two("root", "x", 2.0), [-4.0, 4.0], [[NAN, 2], [NAN, 0.25], [NAN, -1 / 32]], id="root-2"),
        pytest.param(two("root", "x", 0.0), [2.0], [[NAN], [NAN]], id="root-0"),
        # atan2(0, 0) = 0 with undefined derivatives; across the negative x-axis the derivatives of both sides
        pytest.param(two("atan2", 0.0, "x"), [0.0, 1.0], [[0, 0], [NAN, 0], [NAN, 0]], id="atan2-origin"),
        pytest.param(two("atan2", "x", -1.0), [0.0, -0.0], [[math.pi, -math.pi], [-1, -1], [0, 0]], id="atan2-cut"),
        pytest.param(two("hypot", "x", 0.0), [0.0, -3.0], [[0, 3], [NAN, -1], [NAN, 0]], id="hypot-origin"),
    ],
)
def test_conventions_of_two_arguments(expr, x, expected):
    both(expr, x, len(expected) - 1, expected)


@pytest.mark.parametrize(
    ("alias", "name"),
    [("lg", "log10"), ("step", "heaviside"), ("nthroot", "root"), ("sgn", "sign"), ("ceiling", "ceil")],
)
def test_aliases(alias, name):
    assert ALIASES[alias] == name


def test_sympys_floor_ceiling_and_frac_have_derivatives_and_pickle():
    """sympy leaves d/dx floor(x) unevaluated; derivlib's forms differentiate (0, frac 1) and cross processes."""
    forms = [FUNCTIONS[name].sympy(sympy, sympy.sin(X)) for name in ("floor", "ceil", "frac", "round")]
    assert [sympy.diff(form, X).replace(sympy.DiracDelta, lambda *a: 0) for form in forms] == [0, 0, sympy.cos(X), 0]
    assert pickle.loads(pickle.dumps(forms)) == forms
    assert sympy.latex(forms[0]) == r"\left\lfloor{\sin{\left(x \right)}}\right\rfloor"
