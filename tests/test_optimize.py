"""derivlib.minimize against known minima, against scipy's and torch's own optimizers, its result as scipy names it,
and its failure messages."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import scipy.optimize
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import derivlib
from derivlib.optimize import METHODS, RECORDS, MinimizeResult, Status, minimize

ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"
START = {"x": -1.2, "y": 1.0}
BOOTH = "(x + 2y - 7)^2 + (2x + y - 5)^2"
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118086952745, 3.131312518250573), (-3.779310253377747, -3.283185991286170),
                     (3.584428340330492, -1.848126526964404)]  # fmt: skip
OWN = ("gradient-descent-armijo", "newton", "cg-fr", "cg-pr", "lbfgs")


def rosenbrock(p: np.ndarray) -> float:
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def rosenbrock_gradient(p: np.ndarray) -> np.ndarray:
    return np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)])


def reached(result: MinimizeResult, point: tuple[float, ...], tol: float = 1e-6) -> bool:
    return all(abs(value - target) <= tol for value, target in zip(result.x.values(), point, strict=True))


# ---------------------------------------------------------------------------------------------------------------------
# Rosenbrock from (-1.2, 1), the textbook's test


@pytest.fixture(scope="module")
def rosenbrock_runs() -> dict[str, MinimizeResult]:
    slow = ("gradient-descent", "gradient-descent-armijo")  # thousands of iterations: tested on their own
    return {method: minimize(ROSENBROCK, START, method=method) for method in METHODS if method not in slow}


def test_newton_reaches_the_minimum_in_a_few_dozen_iterations(rosenbrock_runs):
    result = rosenbrock_runs["newton"]
    assert result.success and reached(result, (1.0, 1.0)) and result.nit <= 30
    assert result.nhev == result.nit + 1  # one Hessian per iterate
    # Quadratic convergence at the end: each gradient norm about the square of the one before (on the log scale).
    norms = result.path["grad_norm"].to_numpy()[-4:]
    assert norms[-1] < 1e-8 and math.log10(norms[-2]) < 0.75 * math.log10(norms[-3])


@pytest.mark.parametrize("method", ["lbfgs", "cg-pr", "cg-fr", "torch-lbfgs"])
def test_lbfgs_and_conjugate_gradient_reach_it_in_well_under_a_hundred(rosenbrock_runs, method):
    result = rosenbrock_runs[method]
    assert result.success and reached(result, (1.0, 1.0)) and result.nit < 100, (result.nit, result.message)


def test_gradient_descent_with_armijo_takes_far_more(rosenbrock_runs):
    """Where Newton needs about twenty iterations, steepest descent zig-zags down the curved valley for thousands
    (about 16,000 to come within 1e-6 of (1, 1) from (-1.2, 1), more for ‖∇f‖∞ ≤ 1e-8): a hundred times Newton's
    count is not enough."""
    slow = minimize(ROSENBROCK, START, method="gradient-descent-armijo", max_iter=100 * rosenbrock_runs["newton"].nit)
    assert not slow.success and slow.status is Status.MAX_ITER
    assert slow.nfev > slow.nit  # the backtracking's trial steps count as evaluations


@pytest.mark.parametrize(("ours", "theirs"), [("lbfgs", "scipy-lbfgsb"), ("newton", "scipy-trust-exact")])
def test_our_methods_agree_with_scipys_on_the_point_and_roughly_on_the_effort(rosenbrock_runs, ours, theirs):
    mine, reference = rosenbrock_runs[ours], rosenbrock_runs[theirs]
    assert reached(mine, tuple(reference.x.values()), tol=1e-6)
    assert mine.nit <= 1.5 * reference.nit + 5


def test_our_lbfgs_takes_the_iterations_torchs_takes(rosenbrock_runs):
    assert abs(rosenbrock_runs["lbfgs"].nit - rosenbrock_runs["torch-lbfgs"].nit) <= 5


def test_scipy_fed_with_derivlib_matches_scipy_fed_by_hand(rosenbrock_runs):
    """scipy-bfgs is scipy's BFGS with derivlib's gradient: the same iterates as with the hand-written gradient."""
    by_hand = scipy.optimize.minimize(
        rosenbrock, [-1.2, 1.0], jac=rosenbrock_gradient, method="BFGS", options={"gtol": 1e-8, "norm": np.inf}
    )
    result = rosenbrock_runs["scipy-bfgs"]
    assert abs(result.nit - by_hand.nit) <= 1
    np.testing.assert_allclose(list(result.x.values()), by_hand.x, atol=1e-7)


def test_the_path_has_a_row_per_iteration(rosenbrock_runs):
    path = rosenbrock_runs["lbfgs"].path
    assert list(path.columns) == ["k", "x", "y", "f", "grad_norm", "step", "evaluations"]
    assert path["k"].tolist() == list(range(len(path))) and len(path) == rosenbrock_runs["lbfgs"].nit + 1
    assert (path[["x", "y"]].iloc[0] == [-1.2, 1.0]).all() and np.isnan(path["step"].iloc[0])
    assert path["f"].is_monotonic_decreasing  # a line search only accepts decrease
    assert path["evaluations"].is_monotonic_increasing


# ---------------------------------------------------------------------------------------------------------------------
# The result, named as scipy's OptimizeResult names it


def test_jac_is_the_gradient_where_the_run_ended():
    result = minimize(ROSENBROCK, START, method="lbfgs", max_iter=3)  # short of the minimum: a gradient far from 0
    assert list(result.jac) == ["x", "y"]
    np.testing.assert_allclose(list(result.jac.values()), rosenbrock_gradient(np.array([*result.x.values()])), 1e-12)
    assert math.hypot(*result.jac.values()) == pytest.approx(result.path["grad_norm"].iloc[-1], rel=1e-15)


def test_hess_is_sympys_hessian_where_the_run_ended_for_the_methods_that_use_one(rosenbrock_runs):
    x, y = sympy.symbols("x y")
    hessian = sympy.hessian((1 - x) ** 2 + 100 * (y - x**2) ** 2, (x, y))  # rows and columns in x0's order
    for method in ("newton", "scipy-newton-cg", "scipy-trust-exact"):
        result = rosenbrock_runs[method]
        expected = np.array(hessian.subs({x: result.x["x"], y: result.x["y"]}), dtype=float)
        np.testing.assert_allclose(result.hess, expected, rtol=1e-12)


def test_hess_is_none_for_the_methods_that_use_no_hessian(rosenbrock_runs):
    steepest = minimize(ROSENBROCK, START, method="gradient-descent", max_iter=3)
    assert steepest.hess is None and steepest.nhev == 0
    assert [m for m, r in rosenbrock_runs.items() if r.hess is not None] == [m for m in METHODS if RECORDS[m].hessian]


@pytest.mark.parametrize("method", ["newton", "cg-pr", "lbfgs", "torch-lbfgs"])
def test_the_counts_are_the_methods_own_evaluations(rosenbrock_runs, method):
    """The result's own look at the end point (for fun, jac and hess) is not counted: a converged run's count of f's
    evaluations ends where its path's does."""
    result = rosenbrock_runs[method]
    assert result.success and result.nfev == result.path["evaluations"].iloc[-1]


# ---------------------------------------------------------------------------------------------------------------------
# The directions, each its own object


def test_newtons_direction_is_newtons_step_and_still_descends_where_the_hessian_is_indefinite():
    """N&W Algorithm 3.3: with H positive definite, −H⁻¹∇f itself; at a saddle, H + τI instead, and p·∇f < 0."""
    from derivlib.optimize import Iterate, ModifiedNewton

    g = np.array([1.0, 2.0])
    bowl, saddle = np.diag([2.0, 4.0]), np.diag([2.0, -4.0])
    np.testing.assert_allclose(ModifiedNewton().direction(Iterate(np.zeros(2), 0.0, g, bowl)), [-0.5, -0.5])
    assert ModifiedNewton().direction(Iterate(np.zeros(2), 0.0, g, saddle)) @ g < 0


def test_lbfgs_and_conjugate_gradient_start_with_steepest_descent():
    from derivlib.optimize import LBFGS, ConjugateGradient, Iterate

    at = Iterate(np.zeros(2), 0.0, np.array([3.0, -4.0]))
    for direction in (LBFGS(memory=10), ConjugateGradient(polak_ribiere=True)):
        np.testing.assert_array_equal(direction.direction(at), [-3.0, 4.0])
        assert direction.first_step(-at.g) == 1 / 5  # no scale yet: a first trial step of length 1


# ---------------------------------------------------------------------------------------------------------------------
# Other problems


def test_a_quadratic_takes_newton_one_step():
    result = minimize(BOOTH, {"x": 0.0, "y": 0.0}, method="newton")
    assert reached(result, (1.0, 3.0), tol=1e-12) and result.nit == 1 and result.path["step"].iloc[1] == 1.0


@pytest.mark.parametrize("method", ["scipy-newton-cg", "scipy-trust-exact", "cg-fr", "cg-pr"])
def test_a_quadratic_in_two_variables_takes_a_second_order_method_few_steps(method):
    result = minimize(BOOTH, {"x": 0.0, "y": 0.0}, method=method)
    assert reached(result, (1.0, 3.0), tol=1e-9) and result.nit <= 4  # CG: n = 2 steps in exact arithmetic


@settings(derandomize=True, deadline=None, max_examples=25)
@given(x=st.floats(-5, 5), y=st.floats(-5, 5), method=st.sampled_from(["newton", "lbfgs", "cg-pr"]))
def test_himmelblau_reaches_one_of_its_four_minima_from_anywhere_in_the_box(x, y, method):
    result = minimize(HIMMELBLAU, {"x": x, "y": y}, method=method)
    assert result.success and any(reached(result, minimum, 1e-6) for minimum in HIMMELBLAU_MINIMA), result.x


def test_one_variable_from_a_number():
    result = minimize("x^4 - 3x^2 + x", 2.0)
    assert result.success and list(result.x) == ["x"]
    assert abs(4 * result.x["x"] ** 3 - 6 * result.x["x"] + 1) < 1e-8 and result.x["x"] > 0


def test_parameters_and_three_variables():
    result = minimize("(x - a)^2 + (y - b)^2 + (z - 1)^4 + z^2", {"x": 0, "y": 0, "z": 0}, params={"a": 2, "b": -1})
    assert result.success and reached(result, (2.0, -1.0, result.x["z"]))
    assert list(result.path.columns[1:4]) == ["x", "y", "z"]


def test_gradient_descent_with_a_fixed_step():
    result = minimize("x^2 + 10 y^2", {"x": 1.0, "y": 1.0}, method="gradient-descent", lr=0.05)
    assert result.success and reached(result, (0.0, 0.0), 1e-7)
    assert result.path["step"].iloc[1:].eq(0.05).all()
    diverges = minimize("x^2 + 10 y^2", {"x": 1.0, "y": 1.0}, method="gradient-descent", lr=0.2, max_iter=2000)
    assert not diverges.success  # lr·λmax = 0.2·20 > 2: every step overshoots, further each time …
    assert diverges.status is Status.UNDEFINED and "infinite" in diverges.message  # … until the numbers overflow


# ---------------------------------------------------------------------------------------------------------------------
# How runs end, and what they refuse

ENDINGS = [  # one run for each way a run ends
    (Status.CONVERGED, BOOTH, {"x": 0.0, "y": 0.0}, {}),
    (Status.MAX_ITER, ROSENBROCK, START, {"method": "gradient-descent-armijo", "max_iter": 5}),
    (Status.NO_PROGRESS, "x^4 - 3x^2 + x", {"x": 2.0}, {"tol": 1e-300}),  # a tolerance float64 cannot meet
    (Status.UNDEFINED, "sqrt(x) - x + 1/(3 - x)", {"x": 2.0}, {"method": "gradient-descent", "lr": 10.0}),
    (Status.UNBOUNDED, "x^3 + y^2", {"x": -1.0, "y": 1.0}, {}),
    (Status.TIME_LIMIT, ROSENBROCK, START, {"method": "gradient-descent", "time_limit": 0.2}),
    (Status.NOT_SMOOTH, "abs(x) + y^2", {"x": -1.2, "y": 1.0}, {}),
]


def test_the_statuses_are_scipys_numbers_with_names():
    """0 alone is success, as in scipy; the members are numbers, so `result.status == 0` reads as it always did."""
    assert {status.name: int(status) for status in Status} == {
        "CONVERGED": 0,
        "MAX_ITER": 1,
        "NO_PROGRESS": 2,
        "UNDEFINED": 3,
        "UNBOUNDED": 4,
        "TIME_LIMIT": 5,
        "NOT_SMOOTH": 6,
    }
    assert Status.CONVERGED == 0 and derivlib.Status is Status
    assert [row[0] for row in ENDINGS] == list(Status)  # each can happen, and is tested below


@pytest.mark.parametrize(("status", "text", "x0", "settings"), ENDINGS, ids=[row[0].name for row in ENDINGS])
def test_every_way_a_run_ends_is_a_status(status, text, x0, settings):
    result = minimize(text, x0, **settings)
    assert result.status is status and result.success == (status is Status.CONVERGED), result.message


@pytest.mark.parametrize("method", ["newton", "lbfgs", "cg-pr", "gradient-descent-armijo", "scipy-bfgs"])
def test_unbounded_below_is_said_with_where(method):
    result = minimize("x^3 + y^2", {"x": -1.0, "y": 1.0}, method=method)
    assert not result.success and result.status is Status.UNBOUNDED and "decreases without bound" in result.message
    assert "(x = -" in result.message and len(result.path) >= 1


def test_an_undefined_value_on_the_way_stops_the_run_with_its_place():
    result = minimize("sqrt(x) - x + 1/(3 - x)", {"x": 2.0}, method="gradient-descent", lr=10.0)
    assert result.status is Status.UNDEFINED and "undefined or infinite at (x = " in result.message


def test_max_iter_is_said():
    result = minimize(ROSENBROCK, START, method="gradient-descent-armijo", max_iter=5)
    assert result.status is Status.MAX_ITER and result.message == "stopped after max_iter = 5 iterations"
    assert result.nit == 5


def test_a_time_limit_ends_a_run_with_the_path_so_far():
    result = minimize(ROSENBROCK, START, method="gradient-descent", time_limit=0.2)
    assert result.status is Status.TIME_LIMIT and "time limit" in result.message and len(result.path) > 1


@pytest.mark.parametrize("method", ["newton", "lbfgs", "scipy-bfgs"])
def test_a_time_limit_spent_before_the_first_step_still_ends_with_a_status_and_the_end_point(method):
    """The looks at the start and at the end are not the method's: the limit stops the method, not them."""
    result = minimize(ROSENBROCK, START, method=method, time_limit=1e-9)
    assert result.status is Status.TIME_LIMIT and result.nit == 0
    assert result.x == {"x": START["x"], "y": START["y"]} and all(map(math.isfinite, result.jac.values()))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: minimize("x^2", {"x": 1.0}, method="simplex"), "unknown method 'simplex'"),
        (lambda: minimize("log(x)", {"x": -1.0}), "undefined at the start"),
        (lambda: minimize("x y", {"x": 1.0}), "'y' has neither a start in x0 nor a value in params"),
        (lambda: minimize(derivlib.parse("x + y", variables=("x", "y")), {"x": 1.0}), "no starting value"),
        (lambda: minimize("x^2", {"x": 1.0}, tol=math.nan), "tol must be a positive finite number"),
        (lambda: minimize("x^2", {"x": 1.0}, tol=0), "tol must be a positive finite number"),
        (lambda: minimize("x^2", {"x": 1.0}, lr=-1), "lr must be a positive finite number"),
        (lambda: minimize("x^2", {"x": 1.0}, lr=math.inf), "lr must be a positive finite number"),
        (lambda: minimize("x^2", {"x": math.nan}), "finite numbers"),
        (lambda: minimize("x^2", {}), "at least one variable"),
        (lambda: minimize("x^2", {"x": 1.0}, colour="red"), "unknown option 'colour'"),
        (lambda: minimize("x^2", {"x": 1.0}, max_iter=-1), "max_iter must be a whole number"),
        (lambda: minimize("x^2", {"x": 1.0}, time_limit=0), "time_limit must be a positive number of seconds"),
        (lambda: minimize("x^2", {"x": 1.0}, time_limit=math.nan), "time_limit must be a positive number"),
        (lambda: minimize("x^2", {"x": 1.0}, time_limit="1"), "time_limit must be a positive number"),
    ],
)
def test_bad_settings_are_value_errors_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_bad_formula_is_an_expression_error():
    with pytest.raises(derivlib.ExpressionError):
        minimize("x^2 + sinn(x)", {"x": 1.0})


def test_every_gradient_is_exact_not_a_finite_difference():
    """The first step of gradient descent moves by exactly lr·∇f, with ∇f in closed form."""
    result = minimize(ROSENBROCK, START, method="gradient-descent", lr=1e-4, max_iter=1)
    step = np.array(list(START.values())) - 1e-4 * rosenbrock_gradient(np.array([-1.2, 1.0]))
    np.testing.assert_array_equal(result.path[["x", "y"]].iloc[1].to_numpy(), step)


@pytest.mark.parametrize(
    ("text", "variables", "params"),
    [
        (ROSENBROCK, ("x", "y"), None),
        ("sin(x) exp(y) + a x^3 z + log(1 + y^2 z^2)", ("x", "y", "z"), {"a": 0.7}),
        ("x^2", ("x", "y"), None),  # constant in y: its rows of the series are plain numbers
        ("x", ("x",), None),  # a series shorter than the order
        ("sqrt(x) + y^2", ("x", "y"), None),  # undefined for x < 0
        ("abs(x) + y^2", ("x", "y"), None),  # at x = 0 the rules give no number: partials decides
    ],
)
def test_the_prepared_objective_computes_what_partials_does(text, variables, params):
    """The objective's one pass along all directions (Objective._series) against partials() at the same points:
    f, the gradient and the Hessian, including points where f or a derivative is undefined."""
    from derivlib.optimize import Objective

    objective = Objective(derivlib.parse(text, variables=variables), variables, params, None, "float64")
    n = len(variables)
    points = np.vstack([np.random.default_rng(7).normal(size=(6, n)), np.zeros((1, n)), -np.ones((1, n))])
    for x in points:
        expected = derivlib.partials(text, {v: [float(c)] for v, c in zip(variables, x, strict=True)}, params=params)
        values = [float(t[0]) for t in expected.values()]
        hessian = np.empty((n, n))
        at = n + 1
        for i in range(n):
            for j in range(i, n):
                hessian[i, j] = hessian[j, i] = values[at]
                at += 1
        f, gradient, found = objective.with_hessian(x)
        np.testing.assert_allclose([f, objective.value(x)], [values[0]] * 2, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(gradient, values[1 : n + 1], rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(objective.value_and_gradient(x)[1], values[1 : n + 1], rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(
            found, hessian, rtol=1e-12, atol=1e-12 * np.max(np.abs(hessian[np.isfinite(hessian)]), initial=1.0)
        )


# ---------------------------------------------------------------------------------------------------------------------
# Where f is not differentiable: no method converges to a kink, and each says why instead of running on


@pytest.mark.parametrize("method", ["newton", "lbfgs", "cg-pr", "cg-fr", "gradient-descent", "gradient-descent-armijo"])
def test_a_kink_that_the_iterates_keep_crossing_stops_the_run_early_and_says_why(method):
    result = minimize("abs(x) + y^2", {"x": -1.2, "y": 1.0}, method=method)
    assert result.status is Status.NOT_SMOOTH and not result.success, result.message
    assert "kink" in result.message and "∂f/∂x" in result.message and "x = 0" in result.message
    assert result.nit < 2_000 and result.nfev < 5_000  # not 1,000 iterations and 59,344 evaluations
    assert abs(result.x["x"]) < 0.05


def test_a_smooth_gradient_that_a_too_long_step_oscillates_across_is_no_kink():
    """x² with a fixed step of 1 swings between ±1.2 for ever: ∇f flips sign at every step but passes through 0."""
    result = minimize("x^2 + y^2", {"x": -1.2, "y": 1.0}, method="gradient-descent", lr=1.0, max_iter=100)
    assert result.status is Status.MAX_ITER and "max_iter" in result.message


def test_a_start_on_the_kink_itself_says_the_gradient_is_undefined_there():
    with pytest.raises(ValueError, match="undefined at the start"):
        minimize("abs(x) + y^2", {"x": 0.0, "y": 1.0}, method="newton")
    result = minimize("abs(x - 1) + (y - 2)^2", {"x": 3.0, "y": 2.0}, method="gradient-descent-armijo")
    assert result.status in (Status.UNDEFINED, Status.NOT_SMOOTH) and "kink" in result.message, result.message


def test_a_method_added_to_its_record_is_everywhere_a_method_is(monkeypatch):
    """One record per method: a new one, added to RECORDS alone, is a method minimize() takes, with its own cap, and
    the charts name and colour it."""
    from derivlib.figures.optimisation import colour_of, label
    from derivlib.optimize import Method

    steepest = RECORDS["gradient-descent-armijo"]
    monkeypatch.setitem(RECORDS, "steepest", Method("steepest", "steepest descent", "#123456", steepest.solver, 7))
    assert "steepest" in METHODS and label("steepest") == "steepest descent" and colour_of("steepest") == "#123456"
    found = minimize(ROSENBROCK, START, method="steepest")
    assert found.nit == 7 and found.status is Status.MAX_ITER  # its own iteration cap
    assert found.x == minimize(ROSENBROCK, START, method="gradient-descent-armijo", max_iter=7).x


def test_the_references_are_marked_as_the_libraries_they_come_from():
    assert {name: RECORDS[name].reference for name in METHODS if RECORDS[name].reference} == {
        "torch-lbfgs": "torch",
        "scipy-bfgs": "scipy",
        "scipy-lbfgsb": "scipy",
        "scipy-newton-cg": "scipy",
        "scipy-trust-exact": "scipy",
    }
    assert [name for name in METHODS if RECORDS[name].hessian] == [
        "newton",
        "newton-plain",
        "scipy-newton-cg",
        "scipy-trust-exact",
    ]


def test_scipy_trust_exact_at_a_kink_stops_with_a_status_not_numpys_error():
    """Its Hessian is undefined where f has a corner: the run ends there, said so, as derivlib's own methods end."""
    result = minimize("abs(x - 1) + (y - 2)^2", {"x": 3.0, "y": 2.0}, method="scipy-trust-exact")
    assert result.status is Status.UNDEFINED and "not differentiable (a kink)" in result.message
    assert result.x["x"] == pytest.approx(1.0) and result.x["y"] == pytest.approx(2.0)


# Badly scaled problems of Moré, Garbow and Hillstrom's test set (ACM TOMS 7, 1981: problems 3, 4 and 5) and a bowl
# whose curvatures span twelve orders of magnitude; each has its minimum, f = 0, at the point given.
BADLY_SCALED = {
    "Powell badly scaled": (
        "(10000 x y - 1)^2 + (exp(-x) + exp(-y) - 1.0001)^2",
        {"x": 0.0, "y": 1.0},
        {"x": 1.098159e-5, "y": 9.106147},
    ),
    "Brown badly scaled": (
        "(x - 1000000)^2 + (y - 0.000002)^2 + (x y - 2)^2",
        {"x": 1.0, "y": 1.0},
        {"x": 1e6, "y": 2e-6},
    ),
    "Beale": (
        "(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
        {"x": 1.0, "y": 1.0},
        {"x": 3, "y": 0.5},
    ),
    "scaled bowl": (
        "(x - 1)^2 + 1000000 (y - 2)^2 + 0.000001 (z + 1)^2",
        {"x": 0.0, "y": 0.0, "z": 0.0},
        {"x": 1.0, "y": 2.0, "z": -1.0},
    ),
}


@pytest.mark.parametrize("method", ["cg-pr", "cg-fr", "lbfgs", "newton"])
@pytest.mark.parametrize("problem", BADLY_SCALED)
def test_the_line_search_methods_converge_on_badly_scaled_problems(problem, method):
    """Near Powell's minimum f changes along a step by less than its own rounding while its slope is exact: the
    strong Wolfe search judges such steps by the slope (Hager and Zhang's approximate Wolfe conditions), where it
    used to stop with "no step meeting the Wolfe conditions" at f = 3.5e-7."""
    formula, start, minimum = BADLY_SCALED[problem]
    result = minimize(formula, start, method=method, max_iter=5_000)
    assert result.status is Status.CONVERGED, result.message
    assert result.fun <= 1e-8
    if result.fun <= 1e-20:  # as close as float64 gets: at the minimum itself
        assert result.x == pytest.approx(minimum, rel=1e-5)


# ---------------------------------------------------------------------------------------------------------------------
# Plain Newton: the full step, no line search, the Hessian as it is


def test_plain_newton_goes_to_a_saddle_in_one_step_on_a_saddle_shaped_quadratic():
    """On a quadratic the Newton step lands on the critical point whatever it is; the modified Newton does not."""
    plain = minimize("x^2 - y^2", {"x": 1.0, "y": 2.0}, method="newton-plain")
    assert (plain.nit, plain.status, plain.x) == (1, Status.CONVERGED, {"x": 0.0, "y": 0.0})
    modified = minimize("x^2 - y^2", {"x": 1.0, "y": 2.0}, method="newton", max_iter=20)
    assert modified.status == Status.UNBOUNDED  # it bends away from the saddle, downhill, without end


def test_plain_newton_finds_himmelblau_s_maximum_from_near_it():
    result = minimize("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", {"x": -0.2, "y": -0.9}, method="newton-plain")
    assert result.success
    assert [result.x["x"], result.x["y"]] == pytest.approx([-0.270845, -0.923039], abs=1e-6)  # the known maximum
    assert np.all(np.linalg.eigvalsh(result.hess) < 0)


def test_plain_newton_stops_where_the_hessian_is_singular():
    result = minimize("x^4 + y^2", {"x": 0.0, "y": 1.0}, method="newton-plain")
    assert result.status == Status.NO_PROGRESS and result.nit == 0
    assert "Hessian is singular" in result.message


# ---------------------------------------------------------------------------------------------------------------------
# Each iteration taken apart: the steps (∇f, the direction, the step) and every trial step of the line searches

WITHOUT_SEARCH = ("gradient-descent", "newton-plain")  # a fixed step, the full Newton step: no line search
STRONG_WOLFE_C2 = {"lbfgs": 0.9, "cg-pr": 0.1, "cg-fr": 0.1}  # N&W p. 34 and p. 125


@pytest.fixture(scope="module")
def taken_apart(rosenbrock_runs) -> dict[str, MinimizeResult]:
    """Rosenbrock from (-1.2, 1) by each of derivlib's own methods (steepest descent's cut short)."""
    runs = {method: rosenbrock_runs[method] for method in ("newton", "newton-plain", "cg-fr", "cg-pr", "lbfgs")}
    for method in ("gradient-descent", "gradient-descent-armijo"):
        runs[method] = minimize(ROSENBROCK, START, method=method, max_iter=300)
    return runs


def rosenbrock_hessian() -> Callable[[float, float], list[list[float]]]:
    x, y = sympy.symbols("x y")
    return sympy.lambdify((x, y), sympy.hessian((1 - x) ** 2 + 100 * (y - x**2) ** 2, (x, y)), "numpy")


def start_of(result: MinimizeResult, k: int) -> np.ndarray:
    """x_{k−1}, where iteration k starts."""
    return result.path[list(result.x)].iloc[k - 1].to_numpy()


def vectors(result: MinimizeResult, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Iteration k's gradient and direction, from its row of steps."""
    row = result.steps.iloc[k - 1]
    g, p = (row[[f"{part}_{name}" for name in result.x]].to_numpy(dtype=float) for part in ("g", "p"))
    return g, p


def test_steps_and_trials_have_their_columns_and_a_row_per_iteration(taken_apart):
    from derivlib.optimize import TRIAL_COLUMNS

    for method, result in taken_apart.items():
        steps, trials = result.steps, result.trials
        assert list(steps.columns) == [
            "k", "g_x", "g_y", "p_x", "p_y", "alpha", "c1", "c2", "search", "shift", "curvature"
        ]  # fmt: skip
        assert list(trials.columns) == list(TRIAL_COLUMNS)
        assert steps["k"].tolist() == list(range(1, result.nit + 1)), method
        np.testing.assert_array_equal(steps["alpha"], result.path["step"].iloc[1:])
        if method in WITHOUT_SEARCH:
            assert trials.empty and steps["search"].eq("none").all() and steps[["c1", "c2"]].isna().all().all()
            continue
        # one accepted trial per iteration, at the step taken: x_k = x_{k−1} + α·p_k to the last bit
        accepted = trials[trials["accepted"]]
        assert accepted["k"].tolist() == steps["k"].tolist() and trials["direction"].eq(0).all(), method
        np.testing.assert_array_equal(accepted["alpha"], steps["alpha"])
        assert accepted["phi"].to_numpy() == pytest.approx(result.path["f"].iloc[1:].to_numpy(), rel=1e-12)
        for k in steps["k"]:
            p = vectors(result, k)[1]
            np.testing.assert_array_equal(start_of(result, k) + steps["alpha"].iloc[k - 1] * p, start_of(result, k + 1))


def test_scipys_and_torchs_runs_have_nothing_taken_apart(rosenbrock_runs):
    for method in METHODS:
        if RECORDS[method].reference:
            result = rosenbrock_runs[method]
            assert result.steps.empty and result.trials.empty and "p_y" in result.steps.columns


def test_each_step_starts_from_the_gradient_there_and_descends(taken_apart):
    """g is ∇f at x_{k−1} (closed form), and g·p < 0; steepest descent's p is −g itself."""
    for method, result in taken_apart.items():
        for k in result.steps["k"]:
            g, p = vectors(result, k)
            np.testing.assert_allclose(g, rosenbrock_gradient(start_of(result, k)), rtol=1e-11, atol=1e-11)
            assert g @ p < 0, (method, k)
            if method.startswith("gradient-descent"):
                np.testing.assert_array_equal(p, -g)


def test_newtons_direction_is_the_modified_newton_step_with_sympys_hessian(taken_apart):
    """p = −(H + τI)⁻¹∇f (N&W Algorithm 3.3), τ = 0 where the Hessian is positive definite; curvature = pᵀHp."""
    hessian = rosenbrock_hessian()
    for method in ("newton", "newton-plain"):
        result = taken_apart[method]
        for k in result.steps["k"]:
            row = result.steps.iloc[k - 1]
            h = np.array(hessian(*start_of(result, k)), dtype=float)
            g, p = vectors(result, k)
            if np.all(np.linalg.eigvalsh(h) > 0):
                assert row["shift"] == 0.0, (method, k)
            np.testing.assert_allclose(p, -np.linalg.solve(h + row["shift"] * np.eye(2), g), rtol=1e-9)
            assert row["curvature"] == pytest.approx(p @ h @ p, rel=1e-9)


def test_backtracking_accepts_the_first_of_the_halving_steps_with_sufficient_decrease(taken_apart):
    """Newton's search (N&W Algorithm 3.1): α = 1, ½, ¼, … until f(x + αp) ≤ f(x) + c1·α·∇f·p, the accepted trial
    the first to meet it, every one before it failing it; φ is f there (closed form), no slope (no gradient)."""
    from derivlib.optimize import C1, RHO

    for method in ("newton", "gradient-descent-armijo"):
        result = taken_apart[method]
        assert result.steps["search"].eq("backtracking").all() and result.steps["c1"].eq(C1).all()
        assert result.steps["c2"].isna().all() and result.trials["slope"].isna().all()
        for k, trials in result.trials.groupby("k"):
            g, p = vectors(result, k)
            phi0, x = result.path["f"].iloc[k - 1], start_of(result, k)
            alphas, phis = trials["alpha"].to_numpy(), trials["phi"].to_numpy()
            np.testing.assert_array_equal(alphas[1:], alphas[:-1] * RHO)
            if method == "newton":
                assert alphas[0] == 1.0
            np.testing.assert_allclose(phis, [rosenbrock(x + a * p) for a in alphas], rtol=1e-12)
            armijo = phis <= phi0 + C1 * alphas * (g @ p)
            assert armijo[-1] and not armijo[:-1].any() and trials["accepted"].tolist()[-1], (method, k)


@pytest.mark.parametrize("method", ["lbfgs", "cg-pr", "cg-fr"])
def test_the_strong_wolfe_search_accepts_a_step_meeting_both_conditions(taken_apart, method):
    """N&W Algorithms 3.5 and 3.6: the accepted trial has |φ′(α)| ≤ c2·|φ′(0)| and sufficient decrease, or, within
    NOISE·|f| of φ(0), φ′(α) ≤ (2·c1 − 1)·φ′(0) (strong_wolfe's approximate Wolfe rule); every trial's φ and φ′ are f
    and ∇f·p there (closed form)."""
    from derivlib.optimize import C1, NOISE, line_search_at

    result = taken_apart[method]
    assert result.steps["search"].eq("strong wolfe").all() and result.steps["c1"].eq(C1).all()
    assert result.steps["c2"].eq(STRONG_WOLFE_C2[method]).all()
    for k in result.steps["k"]:
        search = line_search_at(result, k)
        g, p = vectors(result, k)
        x, trials = start_of(result, k), search.trials
        points = [x + a * p for a in trials["alpha"]]
        np.testing.assert_allclose(trials["phi"], [rosenbrock(point) for point in points], rtol=1e-12, atol=1e-20)
        slopes = [rosenbrock_gradient(point) @ p for point in points]
        np.testing.assert_allclose(
            trials["slope"], slopes, rtol=1e-9, atol=1e-11 * np.linalg.norm(g) * np.linalg.norm(p)
        )
        [taken] = trials[trials["accepted"]].itertuples()
        low, high = search.curvature_band()
        assert low <= taken.slope <= high and high == pytest.approx(search.c2 * abs(g @ p)), (method, k)
        sufficient = taken.phi <= search.sufficient_decrease(taken.alpha)
        noise = taken.phi <= search.phi0 + NOISE * abs(search.phi0) and taken.slope <= (2 * C1 - 1) * search.slope0
        assert sufficient or noise, (method, k)


def test_every_evaluation_is_a_trial_step_or_the_methods_own_look_at_a_new_iterate(taken_apart):
    """nfev = 2 (minimize's look at x0, the run's iterate 0) + the trial steps + one evaluation per iterate where the
    search gave no gradient there (backtracking, no search) or the method needs its Hessian."""
    for method, result in taken_apart.items():
        own_look = (
            result.nit if method in ("newton", "newton-plain", "gradient-descent", "gradient-descent-armijo") else 0
        )
        assert result.nfev == 2 + len(result.trials) + own_look, method
        assert np.isfinite(result.trials["phi"]).all()  # Rosenbrock is defined everywhere


def test_recording_changes_no_number_of_a_run(taken_apart):
    """minimize_many, which records nothing, ends each start where minimize() ends, and the counts are those of the
    runs before the recording was added."""
    from derivlib.many import minimize_many

    counts_before = {"gradient-descent": 302, "gradient-descent-armijo": 909, "newton": 51, "newton-plain": 8,
                     "cg-fr": 131, "cg-pr": 118, "lbfgs": 47}  # fmt: skip
    for method, result in taken_apart.items():
        batch = minimize_many(ROSENBROCK, {"x": [START["x"]], "y": [START["y"]]}, method=method, max_iter=300)
        row = batch.iloc[0]
        assert (row.nit, row.status) == (result.nit, result.status), method
        assert [row.x, row.y] == pytest.approx(list(result.x.values()), rel=1e-12)
        assert result.nfev == counts_before[method], method


def test_line_search_at_draws_phi_with_its_lines_and_newtons_model(taken_apart):
    from derivlib.optimize import line_search_at

    newton = taken_apart["newton"]
    for k in newton.steps["k"]:
        search = line_search_at(newton, k)
        alphas = np.array([0.0, 0.5, 1.0])
        assert search.sufficient_decrease(0.0) == search.phi0 == search.model(0.0)
        if newton.steps["shift"].iloc[k - 1] == 0:  # p = −H⁻¹g: the model's minimum is the full step, α = 1
            model = search.model(alphas)
            assert model[2] == pytest.approx(search.phi0 + search.slope0 / 2) and model[1] > model[2]
    assert np.isnan(line_search_at(taken_apart["lbfgs"], 1).model(1.0))
    assert all(np.isnan(line_search_at(newton, 1).curvature_band()))
    for k in (0, newton.nit + 1):
        with pytest.raises(ValueError, match="k must be an iteration"):
            line_search_at(newton, k)


def test_a_search_retried_along_steepest_descent_is_its_second_direction(monkeypatch):
    """Where the strong Wolfe search fails along L-BFGS's direction, the run restarts along −∇f: those trials are
    direction 1, the step's p is −g, and line_search_at draws the line taken."""
    import derivlib.optimize as optimize
    from derivlib.optimize import line_search_at

    search, calls = optimize.strong_wolfe, []

    def failing_once(objective, run, x, f, g, p, c2, alpha=1.0):
        calls.append(len(run.rows))
        if len(run.rows) == 3 and calls.count(3) == 1:  # the first search of iteration 3 fails after one trial
            run.trial(alpha, objective.value(x + alpha * p))
            return None
        return search(objective, run, x, f, g, p, c2, alpha)

    monkeypatch.setattr(optimize, "strong_wolfe", failing_once)
    result = minimize(ROSENBROCK, START, method="lbfgs", max_iter=5)
    trials = result.trials[result.trials["k"] == 3]
    assert trials["direction"].tolist()[0] == 0 and trials["direction"].iloc[1:].eq(1).all()
    g, p = vectors(result, 3)
    np.testing.assert_array_equal(p, -g)
    assert (
        line_search_at(result, 3).trials["direction"].eq(1).all()
        and result.trials["direction"].sum() == len(trials) - 1
    )
