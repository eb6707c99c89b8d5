"""Each iteration taken apart (derivlib.figures.playback), checked against oracles the figures do not use: Rosenbrock's
f and gradient in closed form (numpy) at x_{k−1} + α·p for φ and its slope, and its Hessian from sympy for Newton's
model; the geometry of the arrows and the trial points on the map; and the words."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest
import sympy

import derivlib
from derivlib.figures.playback import (
    DESCENT,
    DIRECTION,
    ITERATE,
    MODEL,
    SEARCH_LINE,
    TRIALS,
    iteration,
    iteration_overlay,
    iteration_words,
    number,
    phi_figure,
)
from derivlib.figures.two_variables import contour_figure
from derivlib.optimize import minimize

ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"
START = {"x": -1.2, "y": 1.0}
LINE_SEARCH_METHODS = ("newton", "lbfgs", "cg-pr")


def rosenbrock(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_gradient(x: float, y: float) -> np.ndarray:
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def sympy_hessian(x: float, y: float) -> np.ndarray:
    a, b = sympy.symbols("x y")
    hessian = sympy.hessian((1 - a) ** 2 + 100 * (b - a**2) ** 2, (a, b))
    return np.array(hessian.subs({a: x, b: y}).evalf(30), dtype=float)


@pytest.fixture(scope="module")
def runs():
    found = {method: minimize(ROSENBROCK, START, method=method) for method in LINE_SEARCH_METHODS}
    found["gradient-descent"] = minimize(ROSENBROCK, START, method="gradient-descent", max_iter=5)
    found["newton-plain"] = minimize(ROSENBROCK, START, method="newton-plain")
    return found


def start_and_direction(result, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x_{k−1}, ∇f there and p_k as the run recorded them (the oracle computes f and its derivatives itself)."""
    row = result.path.iloc[k - 1]
    step = result.steps[result.steps["k"] == k].iloc[0]
    x = np.array([row["x"], row["y"]])
    return x, np.array([step["g_x"], step["g_y"]]), np.array([step["p_x"], step["p_y"]])


def traces(figure: go.Figure, meta: str) -> list:
    return [trace for trace in figure.data if trace.meta == meta]


def one(figure: go.Figure, meta: str):
    (found,) = traces(figure, meta)
    return found


def iterations(result) -> list[int]:
    """Iterations worth a look: the first three, the last, and every one whose search turned a trial down."""
    rejected = result.trials.loc[~result.trials["accepted"] & (result.trials["k"] <= result.nit), "k"]
    return sorted({1, 2, 3, result.nit, *rejected.tolist()[:6]})


# ---------------------------------------------------------------------------------------------------------------------
# φ along the direction


@pytest.mark.parametrize("method", LINE_SEARCH_METHODS)
def test_phi_passes_through_every_trial_as_f_in_closed_form_gives_it(runs, method):
    result = runs[method]
    for k in iterations(result):
        x, _, p = start_and_direction(result, k)
        figure = phi_figure(ROSENBROCK, result, k)
        curve = one(figure, "phi")
        alphas, phi = np.asarray(curve.x), np.asarray(curve.y)
        assert alphas.dtype == phi.dtype == np.float64  # not float32: a line search judges changes below its digits
        assert alphas[0] == 0.0 and np.all(np.diff(alphas) > 0)
        trials = result.trials[(result.trials["k"] == k)]
        for alpha, value in zip(trials["alpha"], trials["phi"], strict=True):
            at = np.flatnonzero(alphas == alpha)
            assert len(at) == 1, (k, alpha)
            expected = rosenbrock(*(x + alpha * p))
            assert phi[at[0]] == pytest.approx(expected, rel=1e-12, abs=1e-300)
            assert value == pytest.approx(expected, rel=1e-12, abs=1e-300)
        assert alphas[-1] > trials["alpha"].max()  # a little beyond the largest trial
        assert phi[0] == pytest.approx(float(result.path["f"].iloc[k - 1]), rel=1e-12)


@pytest.mark.parametrize("method", LINE_SEARCH_METHODS)
def test_the_accepted_marker_is_the_step_taken_and_the_rejected_are_numbered_in_order(runs, method):
    result = runs[method]
    for k in iterations(result):
        figure = phi_figure(ROSENBROCK, result, k)
        step = result.steps[result.steps["k"] == k].iloc[0]
        trials = result.trials[result.trials["k"] == k].reset_index(drop=True)
        accepted = one(figure, "accepted")
        assert list(accepted.x) == [step["alpha"]]
        assert accepted.marker.color != traces(figure, "rejected")[0].marker.color if traces(figure, "rejected") else 1
        order = trials.index[trials["alpha"] == step["alpha"]][-1] + 1
        assert list(accepted.text) == [str(order)]
        assert "accepted" in accepted.hovertext[0]
        for rejected in traces(figure, "rejected"):
            numbers = [int(t) for t in rejected.text]
            assert [trials["alpha"].iloc[n - 1] for n in numbers] == list(rejected.x)
            assert all(str(rejected.marker.symbol[i]).endswith("-open") for i in range(len(numbers)))
            assert all("rejected" in text for text in rejected.hovertext)


@pytest.mark.parametrize("method", LINE_SEARCH_METHODS)
def test_the_sufficient_decrease_line_starts_at_phi0_with_slope_c1_times_the_slope_along_p(runs, method):
    result = runs[method]
    for k in iterations(result):
        x, _, p = start_and_direction(result, k)
        slope0 = float(rosenbrock_gradient(*x) @ p)  # φ′(0) from the closed-form gradient
        figure = phi_figure(ROSENBROCK, result, k)
        armijo = one(figure, "armijo")
        assert armijo.name == "sufficient decrease (Armijo): φ(0) + c₁αφ′(0)"
        a, b = np.asarray(armijo.x), np.asarray(armijo.y)
        assert a[0] == 0.0 and b[0] == pytest.approx(rosenbrock(*x), rel=1e-12)
        assert (b[-1] - b[0]) / (a[-1] - a[0]) == pytest.approx(1e-4 * slope0, rel=1e-9)
        assert armijo.line.dash == "dash"


@pytest.mark.parametrize("method", ["lbfgs", "cg-pr"])
def test_the_curvature_band_and_the_tangents_agree_with_the_trials_slopes(runs, method):
    result = runs[method]
    c2 = float(result.steps["c2"].iloc[0])
    checked = 0
    for k in iterations(result):
        x, _, p = start_and_direction(result, k)
        bound = c2 * abs(float(rosenbrock_gradient(*x) @ p))
        figure = phi_figure(ROSENBROCK, result, k)
        band = figure.layout.meta["band"]
        drawn = traces(figure, "band")
        assert drawn and drawn[0].name == "curvature condition |φ′(α)| ≤ c₂|φ′(0)|"
        trials = result.trials[result.trials["k"] == k]
        slopes = {}
        for key in ("within", "steep"):
            for trace in traces(figure, f"tangents {key}"):
                xs, ys = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
                for segment in np.split(np.arange(len(xs)), np.flatnonzero(np.isnan(xs)) + 1):
                    segment = segment[~np.isnan(xs[segment])]
                    if len(segment):
                        left, right = segment[0], segment[-1]
                        slope = (ys[right] - ys[left]) / (xs[right] - xs[left])
                        slopes[(xs[left] + xs[right]) / 2] = (slope, key)
        assert len(slopes) == len(trials)
        for alpha, slope in zip(trials["alpha"], trials["slope"], strict=True):
            expected = float(rosenbrock_gradient(*(x + alpha * p)) @ p)
            assert slope == pytest.approx(expected, rel=1e-9, abs=1e-12 * bound)
            middle = min(slopes, key=lambda a, alpha=alpha: abs(a - alpha))
            drawn_slope, key = slopes[middle]
            assert drawn_slope == pytest.approx(slope, rel=1e-6)
            within = abs(slope) <= bound
            assert key == ("within" if within else "steep")
            assert any(left <= alpha <= right for left, right in band) == within
            checked += 1
    assert checked > 5


def test_backtracking_draws_no_curvature_condition(runs):
    figure = phi_figure(ROSENBROCK, runs["newton"], 2)
    assert not traces(figure, "band") and not traces(figure, "tangents within")
    assert figure.layout.meta["search"] == "backtracking"
    assert "backtracking (Armijo)" in figure.layout.title.text


@pytest.mark.parametrize("k", [1, 2, 5])
def test_newtons_model_on_phi_has_the_curvature_p_hessian_p_from_sympy(runs, k):
    result = runs["newton"]
    x, _, p = start_and_direction(result, k)
    curvature = float(p @ sympy_hessian(*x) @ p)
    figure = phi_figure(ROSENBROCK, result, k)
    model = one(figure, "model")
    assert model.name == "Newton's model: φ(0) + αφ′(0) + ½α²·pᵀ∇²f p"
    a, m = np.asarray(model.x), np.asarray(model.y)
    phi0, slope0 = rosenbrock(*x), float(rosenbrock_gradient(*x) @ p)
    far = len(a) - 1
    assert 2 * (m[far] - phi0 - a[far] * slope0) / a[far] ** 2 == pytest.approx(curvature, rel=1e-9)
    minimum = one(figure, "model minimum")
    assert minimum.x[0] == pytest.approx(-slope0 / curvature, rel=1e-9)
    if result.steps["shift"].iloc[k - 1] == 0:  # p = −H⁻¹g: the model's minimum is the full step
        assert minimum.x[0] == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("method", ["lbfgs", "cg-pr"])
def test_methods_without_a_hessian_draw_no_model(runs, method):
    figure = phi_figure(ROSENBROCK, runs[method], 1)
    assert not traces(figure, "model") and math.isnan(figure.layout.meta["curvature"])


@pytest.mark.parametrize(("method", "alpha"), [("gradient-descent", 1e-3), ("newton-plain", 1.0)])
def test_a_method_without_a_line_search_shows_its_one_step_and_says_so(runs, method, alpha):
    result = runs[method]
    for k in (1, 2):
        x, _, p = start_and_direction(result, k)
        figure = phi_figure(ROSENBROCK, result, k)
        assert "no line search" in figure.layout.title.text
        assert not traces(figure, "armijo") and not traces(figure, "rejected")
        step = one(figure, "accepted")
        assert step.name == "the step taken" and list(step.x) == [alpha]
        assert step.y[0] == pytest.approx(rosenbrock(*(x + alpha * p)), rel=1e-12)
        assert step.y[0] == float(result.path["f"].iloc[k])  # on the chart, however far it rose
        assert one(figure, "phi").x[-1] > alpha
        assert "no line search" in iteration_words(result, k)
    assert bool(traces(phi_figure(ROSENBROCK, result, 1), "model")) == (method == "newton-plain")


def test_many_halvings_are_drawn_on_a_log_axis_with_every_trial_on_it():
    result = minimize(ROSENBROCK, START, method="gradient-descent-armijo", max_iter=3)
    figure = phi_figure(ROSENBROCK, result, 1)
    assert figure.layout.xaxis.type == "log" and figure.layout.meta["log_alpha"]
    trials = result.trials[result.trials["k"] == 1]
    shown = np.concatenate([one(figure, "rejected").x, one(figure, "accepted").x])
    assert sorted(shown) == sorted(trials["alpha"])
    high = figure.layout.yaxis.range[1]
    rejected = one(figure, "rejected")
    above = np.asarray(rejected.customdata)[:, 0] > high  # overshot far: at the top edge, as ▲, φ on hover
    assert above.any() and np.all(np.asarray(rejected.y)[above] == high)
    assert all(str(s).startswith("triangle-up") for s, a in zip(rejected.marker.symbol, above, strict=True) if a)
    assert not phi_figure(ROSENBROCK, result, 1, log_alpha=False).layout.xaxis.type


def test_the_figures_go_to_json(runs):
    for method in (*LINE_SEARCH_METHODS, "gradient-descent"):
        phi_figure(ROSENBROCK, runs[method], 1).to_json()
        iteration_overlay(go.Figure(), runs[method], 1, ("x", "y"), ROSENBROCK).to_json()


# ---------------------------------------------------------------------------------------------------------------------
# The iteration on the contour map


@pytest.fixture(scope="module")
def contour_map():
    return contour_figure(derivlib.surface_table(ROSENBROCK, (-2, 2, 120), (-1, 3, 120)))


@pytest.mark.parametrize("method", [*LINE_SEARCH_METHODS, "gradient-descent", "newton-plain"])
def test_the_arrows_start_at_the_iterate_and_point_along_minus_the_gradient_and_the_direction(
    runs, contour_map, method
):
    result = runs[method]
    for k in (1, 2, result.nit):
        x, _, p = start_and_direction(result, k)
        g = rosenbrock_gradient(*x)  # the oracle's
        figure = iteration_overlay(go.Figure(contour_map), result, k, ("x", "y"), ROSENBROCK)
        for meta, vector in ((DESCENT, -g), (DIRECTION, p)):
            arrow = one(figure, meta)
            start = np.array([arrow.x[0], arrow.y[0]])
            drawn = np.array([arrow.x[1], arrow.y[1]]) - start
            assert np.array_equal(start, x)
            cosine = float(drawn @ vector) / (np.linalg.norm(drawn) * np.linalg.norm(vector))
            assert cosine == pytest.approx(1.0, abs=1e-9), (meta, k)
            assert arrow.text[1] == arrow.name
        assert one(figure, DESCENT).name == "−∇f"
        iterate = one(figure, ITERATE)
        assert (iterate.x[0], iterate.y[0]) == (x[0], x[1])


@pytest.mark.parametrize(
    ("method", "k", "kind"),
    [("newton", 3, "Newton step"), ("lbfgs", 3, "L-BFGS direction"), ("cg-pr", 3, "CG direction")],
)
def test_the_direction_is_named_for_the_method(runs, method, k, kind):
    assert one(iteration_overlay(go.Figure(), runs[method], k), DIRECTION).name == kind
    assert iteration(runs[method], 1).kind.endswith("(here −∇f itself)") == (method != "newton")


@pytest.mark.parametrize("method", LINE_SEARCH_METHODS)
def test_the_trial_points_lie_along_p_and_the_accepted_one_is_the_next_iterate(runs, contour_map, method):
    result = runs[method]
    for k in iterations(result):
        x, _, p = start_and_direction(result, k)
        figure = iteration_overlay(go.Figure(contour_map), result, k)
        trials = result.trials[result.trials["k"] == k].reset_index(drop=True)
        accepted = one(figure, f"{TRIALS} accepted")
        following = result.path.iloc[k]
        assert (accepted.x[0], accepted.y[0]) == (following["x"], following["y"])
        for trace in traces(figure, f"{TRIALS} rejected"):
            for text, a, b in zip(trace.text, trace.x, trace.y, strict=True):
                alpha = trials["alpha"].iloc[int(text) - 1]
                assert (a, b) == tuple(x + alpha * p)
        line = one(figure, SEARCH_LINE)
        assert (line.x[0], line.y[0]) == tuple(x)
        assert tuple(np.array([line.x[1], line.y[1]])) == tuple(x + trials["alpha"].max() * p)


@pytest.mark.parametrize("k", [1, 2, 6])
def test_newtons_quadratic_model_on_the_map_is_q_with_the_hessian_from_sympy(runs, contour_map, k):
    result = runs["newton"]
    x, g, _ = start_and_direction(result, k)
    hessian = sympy_hessian(*x)
    figure = iteration_overlay(go.Figure(contour_map), result, k, ("x", "y"), ROSENBROCK)
    model = one(figure, MODEL)
    assert model.name == "Newton's quadratic model" and model.line.dash == "dot" and model.showlegend
    u, v, z = (np.asarray(a, dtype=float) for a in (model.x, model.y, model.z))
    assert np.asarray(model.z).dtype == np.float32  # a grid: as the browser is sent one
    du, dv = np.meshgrid(u - x[0], v - x[1])
    d = np.stack([du, dv])
    f = rosenbrock(*x)
    q = f + np.tensordot(g, d, 1) + 0.5 * np.einsum("i...,ij,j...->...", d, hessian, d)
    scale = np.abs(q).max()
    assert np.allclose(z, q, rtol=1e-6, atol=1e-6 * scale)
    newton = -np.linalg.solve(hessian, g)
    lowest = f + 0.5 * g @ newton
    assert model.contours.start + 3 * model.contours.size == pytest.approx(f, rel=1e-9, abs=1e-9 * (f - lowest))
    minimum = one(figure, f"{MODEL} minimum")
    assert np.allclose([minimum.x[0], minimum.y[0]], x + newton, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", ["lbfgs", "cg-pr", "gradient-descent"])
def test_methods_without_a_hessian_get_no_quadratic_model_on_the_map(runs, method):
    figure = iteration_overlay(go.Figure(), runs[method], 1, ("x", "y"), ROSENBROCK)
    assert not traces(figure, MODEL)


def test_the_model_needs_the_formula(runs):
    assert not traces(iteration_overlay(go.Figure(), runs["newton"], 1), MODEL)


def test_the_overlay_takes_the_maps_axes_in_either_order(runs):
    figure = iteration_overlay(go.Figure(), runs["lbfgs"], 2, ("y", "x"))
    x = start_and_direction(runs["lbfgs"], 2)[0]
    arrow = one(figure, DESCENT)
    assert (arrow.x[0], arrow.y[0]) == (x[1], x[0])
    with pytest.raises(ValueError, match="two of the run's"):
        iteration_overlay(go.Figure(), runs["lbfgs"], 2, ("x", "z"))


ROSENBROCK_3 = "100(y - x^2)^2 + (1 - x)^2 + 100(z - y^2)^2 + (1 - y)^2"


def rosenbrock_3_hessian(x: float, y: float, z: float) -> np.ndarray:
    a, b, c = sympy.symbols("x y z")
    f = 100 * (b - a**2) ** 2 + (1 - a) ** 2 + 100 * (c - b**2) ** 2 + (1 - b) ** 2
    return np.array(sympy.hessian(f, (a, b, c)).subs({a: x, b: y, c: z}).evalf(30), dtype=float)


@pytest.mark.parametrize("k", [1, 3])
def test_in_three_variables_the_overlay_is_the_projection_and_the_models_slice(k):
    """Across x and z: the arrows, the line and the trials are the run's vectors and points without their y; the
    model's contours are q restricted to the plane through x_{k−1} (the Hessian's x–z block, from sympy), its lowest
    point the plane's, named as such."""
    result = minimize(ROSENBROCK_3, {"x": -1.2, "y": 1.0, "z": -1.2}, method="newton")
    row, step = result.path.iloc[k - 1], result.steps[result.steps["k"] == k].iloc[0]
    x = np.array([row["x"], row["z"]])
    g = np.array([step["g_x"], step["g_z"]])
    p = np.array([step["p_x"], step["p_z"]])
    figure = iteration_overlay(go.Figure(), result, k, ("x", "z"), ROSENBROCK_3)
    descent = one(figure, DESCENT)
    drawn = np.array([descent.x[1] - descent.x[0], descent.y[1] - descent.y[0]])
    assert (descent.x[0], descent.y[0]) == tuple(x)
    assert float(drawn @ -g) / (np.linalg.norm(drawn) * np.linalg.norm(g)) == pytest.approx(1.0, abs=1e-9)
    assert "projected onto the x–z plane" in descent.hovertext[0]
    direction = one(figure, DIRECTION)
    along = np.array([direction.x[1] - direction.x[0], direction.y[1] - direction.y[0]])
    assert float(along @ p) / (np.linalg.norm(along) * np.linalg.norm(p)) == pytest.approx(1.0, abs=1e-9)
    accepted = one(figure, f"{TRIALS} accepted")
    assert (accepted.x[0], accepted.y[0]) == (result.path.iloc[k]["x"], result.path.iloc[k]["z"])
    assert one(figure, SEARCH_LINE).name.endswith("(projected)")
    block = rosenbrock_3_hessian(row["x"], row["y"], row["z"])[np.ix_([0, 2], [0, 2])]
    minimum = one(figure, f"{MODEL} minimum")
    assert minimum.name == "the model's lowest point in this plane"
    if np.all(np.linalg.eigvalsh(block) > 0):
        expected = x - np.linalg.solve(block, g)
        assert np.allclose([minimum.x[0], minimum.y[0]], expected, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Words, numbers, and k out of range


def test_words_say_which_trial_was_taken_and_why(runs):
    words = iteration_words(runs["newton"], 2)
    assert words.startswith("Iteration 2: Newton step, α = 0.125 accepted at the fourth trial")
    assert "after α = 1, 0.5, 0.25 ended above the sufficient-decrease line" in words
    assert "Armijo: f fell by" in words
    first = iteration_words(runs["newton"], 1)
    assert "accepted at the first trial" in first and "after" not in first
    wolfe = iteration_words(runs["cg-pr"], 3)
    assert "curvature: |φ′(α)|" in wolfe and "too steep, f still falling fast" in wolfe
    assert "rose from 4.732 to 1412: nothing checks it" in iteration_words(runs["newton-plain"], 2)


def test_numbers_are_shown_to_four_digits_and_rounding_as_zero():
    assert number(1411.845179) == "1412"
    assert number(-1.5e-05) == "-1.5e-5"
    assert number(3e-15, scale=4.0) == "0"
    assert number(3e-15) == "3e-15"
    assert number(-0.0) == "0"
    assert number(math.inf) == "∞"


@pytest.mark.parametrize("k", [0, -1, "2", 2.0, True])
def test_k_must_be_an_iteration_of_the_run(runs, k):
    result = runs["newton"]
    for draw in (
        lambda: phi_figure(ROSENBROCK, result, k),
        lambda: iteration_overlay(go.Figure(), result, k),
        lambda: iteration_words(result, k),
    ):
        with pytest.raises(ValueError, match="k must be"):
            draw()


def test_k_past_the_last_iteration_is_refused(runs):
    result = runs["lbfgs"]
    with pytest.raises(ValueError, match=f"1 … {result.nit}"):
        phi_figure(ROSENBROCK, result, result.nit + 1)


def test_a_reference_methods_run_has_no_iterations_taken_apart():
    result = minimize(ROSENBROCK, START, method="scipy-bfgs")
    with pytest.raises(ValueError, match="does not record its iterations"):
        phi_figure(ROSENBROCK, result, 1)


def test_one_variable_and_parameters_draw_phi_through_the_trials():
    result = minimize("x^2 - a*log(x)", {"x": 3.0}, method="lbfgs", params={"a": 2.0})
    for k in range(1, result.nit + 1):
        figure = phi_figure("x^2 - a*log(x)", result, k, {"a": 2.0})
        curve = one(figure, "phi")
        x0 = float(result.path["x"].iloc[k - 1])
        p = float(result.steps["p_x"].iloc[k - 1])
        for alpha in result.trials.loc[result.trials["k"] == k, "alpha"]:
            at = x0 + alpha * p
            (i,) = np.flatnonzero(np.asarray(curve.x) == alpha)
            assert curve.y[i] == pytest.approx(at**2 - 2 * math.log(at), rel=1e-12)
        assert "(here −∇f itself)" not in iteration_words(result, k)  # in one variable every direction is ±f′
