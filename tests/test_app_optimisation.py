"""The optimisation page through Streamlit's AppTest, opened as a link (/optimisation?expr=…&methods=…): its runs, its
charts, its tables, what happens to a run that fails and to a link that cannot be used, and the link written back.

The expected answers are known independently of derivlib: Rosenbrock's minimum is (1, 1), Booth's (1, 3) and,
being a quadratic, Newton reaches it in one step; x⁴ − 3x² + x has f′ = 4x³ − 6x + 1; x² − y² has a saddle at 0.

AppTest runs the whole page for a widget's change: only a callback's st.rerun(keys) runs a fragment alone in it, so
a parameter's slider is tested here for what it draws again, a new start (a widget inside the fragment, rerun by
the browser without a callback) in tests/test_browser_optimisation.py.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import sys
import time

import numpy as np
import pytest
import torch
from app_driver import assert_parts_stay_put, ok, open_page, part_identities
from streamlit.testing.v1 import AppTest

import derivlib
from derivlib import fused
from derivlib.figures.markers import MARKERS
from derivlib.figures.optimisation import BEYOND, COMPARED_COLOURS, PATH, label
from derivlib.figures.two_variables import CLICK

PAGE = "views/optimisation.py"
PLAY_EVERY = 1.0  # seconds between two iterations played (views/optimisation.py)
BOOTH = "(x + 2y - 7)^2 + (2x + y - 5)^2"


def run(query: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, query)


def charts(at: AppTest) -> dict[str, dict]:
    """The page's charts: the map (with the click layer) or the curve, and the two convergence charts (log axes):
    "gradient" (‖∇f‖) and "gap" (f − f_best)."""
    found = {}
    for chart in at.get("plotly_chart"):
        if str(chart.key).startswith(("opt_play", "opt_basins")):  # the playback's and the basins' (`keyed`)
            continue
        spec = json.loads(chart.proto.spec)
        metas = {t.get("meta") for t in spec["data"]}
        if CLICK in metas and "map" in found:  # condition numbers compared: a map each, "map", "map 1" …
            key = f"map {len(found)}"
        elif CLICK in metas:
            key = "map"
        elif "‖∇f‖" in metas:
            key = "gradient"
        elif "f − f_best" in metas:
            key = "gap"
        else:
            key = "curve"
        found[key] = spec | {"bytes": len(chart.proto.spec)}
    return found


def decoded(value) -> np.ndarray:
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype="<" + value["dtype"])
    return np.asarray(value, dtype=float)


def paths(spec: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {t["name"]: (decoded(t["x"]), decoded(t["y"])) for t in spec["data"] if t.get("meta") == PATH}


def summary(at: AppTest):
    """The table of how each run ended, as shown (text)."""
    return at.table[0].value.set_index("method")


def statuses(at: AppTest) -> dict[str, tuple[str, str]]:
    """How each run ended, under the chart: method -> (the line, its details on hover)."""
    found = {}
    for caption in at.caption:
        if caption.value.startswith(":material/") and "**" in caption.value:
            found[caption.value.split("**")[1]] = (caption.value, caption.proto.help)
    return found


@pytest.fixture(scope="module", autouse=True)
def no_compiler():
    """Each formula typed here would send the compiler to work: one test below turns it on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DERIVLIB_FUSE", "0")
        yield


@pytest.fixture(scope="module")
def default() -> AppTest:
    """The page opened without parameters: Rosenbrock from (−1.2, 1) with the four default methods."""
    return run()


def test_the_default_runs_four_methods_on_rosenbrock_to_its_minimum(default):
    at = default
    assert at.text_input(key="opt_expr").value == "(1 - x)^2 + 100(y - x^2)^2"
    names = ["Newton", "L-BFGS", "CG (Polak–Ribière+)", "gradient descent + Armijo"]
    drawn = charts(at)
    assert list(paths(drawn["map"])) == names
    table = summary(at)
    for name in names[:3]:  # these converge; gradient descent needs far more than 1 000 iterations
        assert float(table.loc[name, "x"]) == pytest.approx(1.0, abs=1e-6)
        assert float(table.loc[name, "y"]) == pytest.approx(1.0, abs=1e-6)
        assert table.loc[name, "how it ended"].startswith("converged")
        assert float(table.loc[name, "f"]) < 1e-15  # f(1, 1) = 0
        line, details = statuses(at)[name]
        assert f"**{name}** found a minimum" in line and "positive definite" in details
    assert int(table.loc["Newton", "iterations"]) <= 40
    assert table.loc["gradient descent + Armijo", "iterations"] == "1,000"
    assert table.loc["gradient descent + Armijo", "how it ended"] == "stopped after max_iter = 1000 iterations"
    line, details = statuses(at)["gradient descent + Armijo"]
    assert "used all its 1,000 steps" in line and "Options of the methods" in line  # what to do about it
    assert "max_iter = 1000" in details  # the method's own words, on hover
    assert not at.warning and not at.error
    start_x, start_y = paths(drawn["map"])["Newton"]
    assert (start_x[0], start_y[0]) == pytest.approx((-1.2, 1.0))
    assert drawn["map"]["bytes"] < 550_000  # 150² of f (colours and lines) and the click layer, the paths ≤ 400 points
    assert drawn["gradient"]["bytes"] < 60_000 and drawn["gap"]["bytes"] < 60_000


def test_the_tables_are_for_people(default):
    table = summary(default)
    assert list(table.columns) == ["iterations", "evaluations of f", "x", "y", "f", "‖∇f‖", "time", "how it ended"]
    for shown in table["time"]:  # 76 ms, 1.77 s: never 1.77e+03 ms
        number, unit = shown.split("\u00a0")
        assert unit in ("ms", "s") and "e" not in number and float(number.replace(",", "")) < 1000
    path = default.dataframe[0]  # Newton's iterations: minimize's columns, named for people
    config = json.loads(path.proto.columns)
    assert {name: config[name]["label"] for name in ("grad_norm", "step")} == {
        "grad_norm": "‖∇f‖",
        "step": "step size α",
    }
    assert path.proto.placeholder == "—" and math.isnan(path.value["step"][0])  # the start has no step: a dash


def test_a_link_to_the_methods_multiselect_offers_no_select_all_and_wraps(default):
    methods = default.multiselect(key="opt_methods")
    assert methods.proto.max_selections == 4 and methods.proto.select_all == 0  # never "all 11" of at most 4
    assert methods.proto.wrap  # chips on more rows, none cut ("wton")


def test_values_within_rounding_are_0():
    """Newton on a quadratic bowl lands on (0, 0) in one step, up to float64's residue of that step (3.6e-15)."""
    at = run({"expr": "(x + y)^2 + 100(x - y)^2", "x0": "1.5", "y0": "0.5", "methods": "newton"})
    table = summary(at)
    assert (table.loc["Newton", "x"], table.loc["Newton", "y"], table.loc["Newton", "‖∇f‖"]) == ("0", "0", "0")
    assert table.loc["Newton", "iterations"] == "1"


def test_a_run_that_converges_to_a_saddle_point_says_so():
    """x² − y² from (1, 0): ∂f/∂y = −2y is 0 all along y = 0, so every method runs to (0, 0), a saddle, not a
    minimum (by hand: fxx = 2, fyy = −2)."""
    at = run({"expr": "x^2 - y^2", "x0": "1", "y0": "0", "methods": "newton"})
    line, details = statuses(at)["Newton"]
    assert "saddle point" in line and "no minimum" in line and "found a minimum" not in line
    assert "indefinite" in details
    map_spec = charts(at)["map"]
    (mark,) = [t for t in map_spec["data"] if t.get("name") == "Newton: converged to a saddle point"]
    assert mark["marker"]["symbol"] == MARKERS["saddle"][0]  # the saddle's mark of every page
    assert not [t for t in map_spec["data"] if t.get("name") == "Newton: minimum found"]


def test_a_parameter_slider_draws_again_only_the_runs():
    at = run({"expr": "(x - a)^2 + (y - 1)^2", "x0": "0", "y0": "0", "methods": "newton"})
    ok(at.slider(key="opt_p_a").set_value(2.0).run())
    assert not at.title and not at.sidebar.children  # the header, the formula and the sidebar were not drawn again
    assert not at.text_input  # (the formula box and the ranges are above the fragment)
    assert at.table[0].value.set_index("method").loc["Newton", "x"] == "2"  # the minimum at (a, 1), by hand
    assert at.query_params["p_a"] == "2"
    ok(at.run())  # the whole page again: AppTest's tree holds only the fragment's elements after a fragment's run
    assert at.title and at.text_input(key="opt_expr").value == "(x - a)^2 + (y - 1)^2"


def test_the_link_is_written_back(default):
    written = dict(default.query_params)
    assert written["expr"] == "(1 - x)^2 + 100(y - x^2)^2"
    assert (written["x0"], written["y0"]) == ("-1.2", "1")
    assert written["methods"] == "newton,lbfgs,cg-pr,gradient-descent-armijo"
    assert {"lr", "tol", "max_iter", "memory", "xmin", "xmax", "ymin", "ymax", "kappa"} <= set(written)


def test_methods_and_options_come_from_the_link():
    at = run({"expr": BOOTH, "x0": "-5", "y0": "-5", "methods": "newton,scipy-bfgs", "tol": "1e-10"})
    table = summary(at)
    assert list(table.index) == ["Newton", "scipy BFGS"]
    assert table.loc["Newton", "iterations"] == "1"  # a quadratic: one Newton step
    for name in table.index:
        assert (float(table.loc[name, "x"]), float(table.loc[name, "y"])) == pytest.approx((1.0, 3.0), abs=1e-9)
    assert at.multiselect(key="opt_methods").value == ["newton", "scipy-bfgs"]
    assert at.number_input(key="opt_tol").value == 1e-10
    assert list(paths(charts(at)["map"])) == ["Newton", "scipy BFGS"]
    assert at.query_params["methods"] == "newton,scipy-bfgs"

    # A change of the inputs is written back, and the runs follow.
    at.multiselect(key="opt_methods").select("cg-fr")
    ok(at.run())
    assert at.query_params["methods"] == "newton,scipy-bfgs,cg-fr"
    assert list(summary(at).index) == ["Newton", "scipy BFGS", label("cg-fr")]


def test_a_run_that_fails_says_why_under_the_map_and_on_hover_over_the_path_so_far():
    at = run({"expr": "x^3 + y^2", "x0": "-1", "y0": "1", "methods": "newton,lbfgs"})
    for name in ("Newton", "L-BFGS"):
        line, _ = statuses(at)[name]
        assert "f decreases without bound" in line and "no minimum" in line
    map_spec = charts(at)["map"]
    ends = [t for t in map_spec["data"] if t.get("name", "").endswith(": stopped")]
    assert len(ends) == 2 and all("f decreases without bound" in t["hovertemplate"] for t in ends)
    drawn = paths(map_spec)
    assert list(drawn) == ["Newton", "L-BFGS"]  # the paths so far: from the start to where each stopped
    assert (drawn["Newton"][0][0], drawn["Newton"][1][0]) == (-1.0, 1.0)


def test_a_start_where_f_is_undefined_says_so():
    at = run({"expr": "log(x) + y^2", "x0": "-1", "y0": "0", "methods": "newton"})
    (error,) = [e.value for e in at.error]
    assert "**Newton** did not start" in error and "undefined at the start" in error


def test_a_formula_that_is_not_one_shows_where_and_the_last_run_stays():
    at = run({"expr": "x^2 + y^2"})
    at.text_input(key="opt_expr").input("x^2 + sinn(y)")
    ok(at.run())
    (error,) = [e.value for e in at.error]
    assert "sinn" in error and "^" in error
    assert [chart.key for chart in at.get("plotly_chart")] == [
        "opt_map",
        "opt_gradient",
        "opt_gap",
        "opt_play_map",
        "opt_play_phi",
    ]
    assert any("Showing the last run, for `f = x^2 + y^2`" in box.value for box in at.info)
    assert at.query_params["expr"] == "x^2 + y^2"  # the link keeps the formula that ran


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"methods": "newton,simplex"}, "unknown method 'simplex'"),
        ({"methods": ","}, "name at least one method"),
        ({"max_iter": "1e9"}, "must be from 1 to 20,000"),
        ({"tol": "-1"}, "must be greater than 0"),
        ({"expr": "sinn(x)"}, "sinn"),
        ({"xmin": "3", "xmax": "1"}, "the range 3 … 1 is empty"),
        ({"kappa": "7"}, "choose one of"),
        ({"colour": "red"}, "`colour` is not a setting of this page"),
    ],
)
def test_a_link_value_that_cannot_be_used_gives_a_note_not_a_traceback(query, note):
    at = run(query)
    (warning,) = [w.value for w in at.warning if w.value.startswith("Some values in the link")]
    assert note in warning
    assert charts(at)["map"]  # the page runs on the defaults


def test_one_variable_draws_the_curve_with_newtons_parabolas():
    at = run({"expr": "x^4 - 3x^2 + x", "x0": "2", "methods": "newton,gradient-descent"})
    drawn = charts(at)
    assert "map" not in drawn
    curve = drawn["curve"]
    parabolas = [t for t in curve["data"] if t.get("legendgroup") == "parabolas"]
    assert 1 <= len(parabolas) <= 6
    x, _ = paths(curve)["Newton"]
    final = float(summary(at).loc["Newton", "x"])
    assert 4 * final**3 - 6 * final + 1 == pytest.approx(0.0, abs=1e-8)  # f′ = 0 there, by hand
    assert x[0] == pytest.approx(2.0)
    assert "y0" not in at.query_params
    assert [box.key for box in at.number_input if box.label.startswith("Start")] == ["opt_x0"]  # no y₀ to type
    assert at.query_params["vars"] == "x"


def test_an_example_and_the_bowls_condition_number_fill_the_inputs():
    at = run()
    at.selectbox(key="opt_example").select("Booth (a quadratic)")
    ok(at.run())
    assert at.text_input(key="opt_expr").value == BOOTH
    assert (at.number_input(key="opt_x0").value, at.number_input(key="opt_y0").value) == (-5.0, -5.0)
    at.select_slider(key="opt_kappa").set_value(1000)
    ok(at.run())
    assert at.text_input(key="opt_expr").value == "(x + y)^2 + 1000(x - y)^2"
    assert at.query_params["kappa"] == "1000"


def test_the_parts_of_the_page_stay_where_they_are_whatever_is_above_them():
    """Sliders appearing, a message under the formula box: the parts below keep their identities, so that a run cut
    short by the next change never leaves a part to be run twice."""
    assert_parts_stay_put(run(), "opt_expr", ["a x^2 + b y^2 + c x", "x^^2", "x^2 + y^2"])


FUSED = "(x - 2)^4 + (x - 2 y)^2 + sin(x y)"  # no other test uses it: the first use here is its first use


def test_the_runs_ask_for_compiled_programs_and_end_where_eager_runs_end(monkeypatch):
    """The page runs minimize(fuse=True) for a formula still in use a moment after its first runs: the compiler is
    asked for the formula's programs along directions (orders 1 and 2, for L-BFGS and Newton), and a run once they
    are ready ends where the eager run ends."""
    query = {"expr": FUSED, "x0": "0", "y0": "3", "methods": "newton,lbfgs"}
    monkeypatch.setenv("DERIVLIB_FUSE", "1")
    first = run(query)
    expr = derivlib.parse(FUSED, variables=("x", "y"))
    cpu = torch.device("cpu")
    assert [fused.state(expr, order, torch.float64, cpu, ("x", "y")) for order in (1, 2)] == ["none", "none"]
    time.sleep(sys.modules["page_kit"].REUSE_SECONDS)
    run(query | {"x0": "0.25"})  # a moment later, another start
    for order in (1, 2):
        assert fused.state(expr, order, torch.float64, cpu, ("x", "y")) in ("waiting", "ready")
        assert fused.wait(expr, order, torch.float64, cpu, variables=("x", "y")) == "ready"
    again = run(query | {"x0": "0.5"})  # a new start: run again, by the compiled programs
    for order in (1, 2):  # they ran, and passed their check against the eager programs
        assert fused.compiler().entries[fused.key(expr, order, torch.float64, cpu, ("x", "y"))].checked
    table = summary(again)
    for method, name in (("newton", "Newton"), ("lbfgs", "L-BFGS")):
        eager = derivlib.minimize(expr, {"x": 0.5, "y": 3.0}, method=method)
        assert int(table.loc[name, "iterations"].replace(",", "")) == eager.nit
        assert float(table.loc[name, "x"]) == pytest.approx(eager.x["x"], rel=1e-8)
    assert summary(first).loc["Newton", "how it ended"] == table.loc["Newton", "how it ended"]


# ---------------------------------------------------------------------------------------------------------------------
# Every path in sight (issue 21, "what was seen")

QUARTIC = "x^4 - 3x^3 + 2"  # f′ = 4x³ − 9x² = x²(4x − 9): the minimum at x = 9/4, f(9/4) = −6.54296875, by hand


def traces(spec: dict, meta: str | None = None) -> list[dict]:
    return [t for t in spec["data"] if meta is None or t.get("meta") == meta]


def test_a_minimum_beyond_the_range_typed_is_in_the_view():
    """x⁴ − 3x³ + 2 from 1 on the default −2 … 2: every method ends at x = 2.25, which the view showed no more of
    than the range typed. It now reaches past it, says so, and the link keeps the range typed."""
    methods = "newton,lbfgs,cg-pr,gradient-descent"
    at = run({"expr": QUARTIC, "x0": "1", "methods": methods, "xmin": "-2", "xmax": "2"})
    table = summary(at)
    for name in ("Newton", "L-BFGS", "CG (Polak–Ribière+)"):
        assert float(table.loc[name, "x"]) == pytest.approx(2.25, abs=1e-8)
        assert float(table.loc[name, "f"]) == pytest.approx(-6.54296875, rel=1e-6)
    curve = charts(at)["curve"]
    low, high = curve["layout"]["xaxis"]["range"]
    for x, f in paths(curve).values():  # every iterate of every path in the view
        assert low <= x.min() and x.max() <= high
        y_low, y_high = curve["layout"]["yaxis"]["range"]
        assert y_low <= f.min() and f.max() <= y_high
    ends = [
        t for t in curve["data"] if t.get("name", "").endswith(("found", "stopped")) and t.get("showlegend") is False
    ]
    assert len(ends) == 4 and all(low < t["x"][0] < high for t in ends)
    assert (low, high) == (-2.0, 2.5)  # room beyond 2.25, to a round number
    caption = " ".join(c.value for c in at.caption)
    assert "The view is wider than the range typed (x from -2 to 2), to show every path: x from -2 to 2.5." in caption
    assert (at.query_params["xmin"], at.query_params["xmax"]) == ("-2", "2")


def test_an_end_far_beyond_the_view_is_said_and_pointed_at():
    """x³ − 2x from −1: Newton falls away without bound; the view does not follow it to −10¹² but says where it
    ended, and an arrow at the edge points there."""
    at = run({"expr": "x^3 - 2x", "x0": "-1", "methods": "newton", "xmin": "-3", "xmax": "2"})
    curve = charts(at)["curve"]
    (arrow,) = traces(curve, BEYOND)
    assert arrow["name"] == "Newton: ends beyond the view" and arrow["text"] == ["Newton"]
    assert curve["layout"]["xaxis"]["range"][0] >= -8  # at most the range typed again on each side
    caption = " ".join(c.value for c in at.caption)
    x = summary(at).loc["Newton", "x"]
    assert f"**Newton** ended beyond the view, at x = {x}; the arrow at the edge marks where its path last" in caption
    assert arrow["x"][0] == pytest.approx(-1.0, abs=1e-3)  # Newton's one step from −1: down, through the bottom edge
    assert abs(arrow["marker"]["angle"]) == pytest.approx(180, abs=1)  # pointing down


def test_in_rosenbrocks_valley_every_path_is_in_sight(default):
    """Gradient descent's thousand steps used to cover Newton's, L-BFGS's and CG's twenty or forty: it lies lowest,
    each path above it narrower, so that where they share the valley each shows as a stripe."""
    the_map = charts(default)["map"]
    drawn = {t["name"]: t for t in traces(the_map, PATH)}
    halos = traces(the_map, "halo")
    stack = sorted(drawn.values(), key=lambda t: t["zorder"])
    assert [t["name"] for t in stack] == ["gradient descent + Armijo", "L-BFGS", "CG (Polak–Ribière+)", "Newton"]
    widths = [t["line"]["width"] for t in stack]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4  # each wider than the one above
    assert max(t["zorder"] for t in halos) < stack[0]["zorder"]
    stars = [t for t in the_map["data"] if t.get("name", "").endswith(": minimum found")]
    sizes = [t["marker"]["size"] for t in stars]  # the three at (1, 1): nested, a ring of each colour in sight
    assert len(sizes) == 3 and all(a - b >= 6 for a, b in itertools.pairwise(sizes))


def test_step_sizes_compared_on_one_map_and_one_convergence_plot():
    """Gradient descent with a fixed step at three step sizes from Rosenbrock's start (−1.2, 1), where
    ∇f = (−2(1 − x) − 400x(y − x²), 200(y − x²)) = (−215.6, −88), by hand: the first step of each is lr·(215.6, 88)."""
    at = run({"compare": "lr", "lrs": "0.0005, 1/1000, 2e-3", "methods": "newton"})
    names = [f"gradient descent, lr = {lr}" for lr in ("0.0005", "0.001", "0.002")]
    drawn = charts(at)
    map_paths = paths(drawn["map"])
    assert list(map_paths) == names
    for lr, name in zip((0.0005, 0.001, 0.002), names, strict=True):
        x, y = map_paths[name]
        assert (x[1], y[1]) == pytest.approx((-1.2 + 215.6 * lr, 1 + 88 * lr), rel=1e-6)
    for key in ("gradient", "gap"):
        lines = traces(drawn[key])
        assert [t["name"] for t in lines] == names
        assert [t["line"]["color"] for t in lines] == list(COMPARED_COLOURS[:3])
    labels = [t["text"][0] for t in drawn["map"]["data"] if t.get("mode") == "markers+text" and t.get("meta") is None]
    assert len(labels) == 3 and all(f"lr = {lr}" in " ".join(labels) for lr in ("0.0005", "0.001", "0.002"))
    assert list(summary(at).index) == names
    assert at.text_input(key="opt_lrs").value == "0.0005, 1/1000, 2e-3"
    assert at.number_input(key="opt_lr").proto.disabled  # the single step is not used meanwhile
    assert not [
        box for box in at.multiselect if box.key == "opt_methods"
    ]  # the methods box gives way to the step sizes' …
    assert (at.query_params["compare"], at.query_params["lrs"]) == ("lr", "0.0005, 1/1000, 2e-3")
    assert at.query_params["methods"] == "newton"  # … and its choice is kept for when methods are compared again
    ok(at.radio(key="opt_compare").set_value("methods").run())
    assert list(summary(at).index) == ["Newton"]


def test_a_step_size_that_cannot_be_used_is_pointed_at_and_the_last_runs_stay():
    at = run({"compare": "lr", "lrs": "0.001, 0.002"})
    for text, message, column in (
        ("0.001, -2", "a step size lr must be greater than 0, not -2", 7),
        ("0.001, sinn", "sinn", 7),
        ("1, 2, 3, 4, 5", "5 values: at most 4 runs at once", 12),
    ):
        ok(at.text_input(key="opt_lrs").input(text).run())
        (error,) = [e.value for e in at.error]
        assert message in error
        assert error.endswith(f"```text\n{text}\n{' ' * column}^\n```")  # the caret under the value
        assert any("Showing the last run" in box.value for box in at.info)
        assert list(summary(at).index) == ["gradient descent, lr = 0.001", "gradient descent, lr = 0.002"]
        assert at.query_params["lrs"] == "0.001, 0.002"  # the link keeps what ran


def test_condition_numbers_compared_a_map_each_one_convergence_plot():
    """Newton and gradient descent + Armijo on the bowl (x + y)² + κ(x − y)² for κ = 1 and 100: Newton lands on the
    minimum (0, 0) in one step whatever κ (a quadratic); with κ = 1 (f = 2x² + 2y²) Armijo's first trial step, 1,
    overshoots to −3·(x, y), its second, 1/2, to −(x, y), its third, 1/4, lands on 0: one step, by hand; with
    κ = 100 it zig-zags for hundreds."""
    query = {"compare": "kappa", "kappas": "1, 100", "methods": "newton,gradient-descent-armijo", "x0": "1.5"}
    at = run(query | {"y0": "0.5", "xmin": "-2", "xmax": "2", "ymin": "-2", "ymax": "2"})
    drawn = charts(at)
    maps = [drawn["map"], drawn["map 1"]]
    assert [m["layout"]["title"]["text"] for m in maps] == ["κ = 1", "κ = 100"]
    assert [list(paths(m)) for m in maps] == [
        ["Newton, κ = 1", "gradient descent + Armijo, κ = 1"],
        ["Newton, κ = 100", "gradient descent + Armijo, κ = 100"],
    ]
    assert [chart.key for chart in at.get("plotly_chart")] == ["opt_map_0", "opt_map_1", "opt_gradient", "opt_gap"]
    lines = traces(drawn["gradient"])
    assert [(t["name"], t["line"]["dash"]) for t in lines] == [
        ("Newton, κ = 1", "solid"),
        ("Newton, κ = 100", "dash"),
        ("gradient descent + Armijo, κ = 1", "solid"),
        ("gradient descent + Armijo, κ = 100", "dash"),
    ]
    table = summary(at)
    for name in ("Newton, κ = 1", "Newton, κ = 100", "gradient descent + Armijo, κ = 1"):
        assert (table.loc[name, "iterations"], table.loc[name, "x"], table.loc[name, "y"]) == ("1", "0", "0")
    assert int(table.loc["gradient descent + Armijo, κ = 100", "iterations"].replace(",", "")) > 100
    assert (at.query_params["compare"], at.query_params["kappas"]) == ("kappa", "1, 100")
    assert "the formula box above is not used" in " ".join(c.value for c in at.caption)


def test_more_runs_than_may_be_is_said_and_the_last_runs_stay():
    at = run({"compare": "kappa", "kappas": "1, 10", "methods": "newton"})
    at.multiselect(key="opt_methods").select("lbfgs").select("cg-pr")
    ok(at.run())
    (error,) = [e.value for e in at.error]
    assert "3 methods × 2 condition numbers are 6 runs: at most 4 run at once" in error
    assert list(summary(at).index) == ["Newton, κ = 1", "Newton, κ = 10"]
    # A link asking for as many is mended, and says so.
    at = run({"compare": "kappa", "kappas": "1, 10", "methods": "newton,lbfgs,cg-pr"})
    (warning,) = [w.value for w in at.warning]
    assert "3 methods × 2 condition numbers are more than 4 runs: using the first 2 of the methods" in warning
    assert list(summary(at).index) == ["Newton, κ = 1", "Newton, κ = 10", "L-BFGS, κ = 1", "L-BFGS, κ = 10"]


def test_choosing_to_compare_condition_numbers_puts_the_bowl_in_the_formula_box():
    """From the default page (four methods): the bowl, its start and ranges; of the methods as many as run at each
    of the three κ within four runs, one, gradient descent's first (κ slows it, not Newton)."""
    at = run()
    ok(at.radio(key="opt_compare").set_value("kappa").run())
    assert at.text_input(key="opt_expr").value == "(x + y)^2 + 100(x - y)^2"
    assert (at.number_input(key="opt_x0").value, at.number_input(key="opt_y0").value) == (1.5, 0.5)
    assert at.multiselect(key="opt_methods").value == ["gradient-descent-armijo"]
    names = [f"gradient descent + Armijo, κ = {kappa}" for kappa in (1, 10, 100)]
    assert list(summary(at).index) == names
    iterations = [int(n.replace(",", "")) for n in summary(at)["iterations"]]
    assert iterations[0] == 1 and iterations[0] < iterations[1] < iterations[2]  # the larger κ, the slower
    assert not at.error


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"compare": "lr", "lrs": "0"}, "a step size lr must be greater than 0"),
        ({"compare": "kappa", "kappas": "0.5"}, "a condition number κ is at least 1"),
        ({"compare": "steps"}, "choose one of methods, lr, kappa"),
    ],
)
def test_a_comparison_in_a_link_that_cannot_be_used_gives_a_note(query, note):
    at = run(query)
    (warning,) = [w.value for w in at.warning if w.value.startswith("Some values in the link")]
    assert note in warning
    assert charts(at)["map"]


def keyed(at: AppTest) -> dict[str, dict]:
    """The page's charts by the key each was made with (its element id ends with it)."""
    found = {}
    for chart in at.get("plotly_chart"):
        for key in ("opt_play_map", "opt_play_phi", "opt_basins_newton-plain", "opt_basins_newton"):
            if chart.proto.id.endswith(key):
                found[key] = json.loads(chart.proto.spec)
    return found


def test_each_iteration_taken_apart_on_the_map_and_on_phi(default):
    """The default page's L-BFGS run at iteration 2: the words, the map with −∇f and the direction, and φ(α) with the
    trial steps, the accepted one the path's step."""
    at = default
    at = ok(at.selectbox(key="opt_play_run").select("lbfgs").run())  # the slider's range is the run's iterations
    at = ok(at.slider(key="opt_play_k").set_value(2).run())
    (words,) = [c.value for c in at.caption if c.value.startswith("Iteration 2:")]
    assert "L-BFGS direction" in words
    drawn = keyed(at)
    names = {trace.get("name") for trace in drawn["opt_play_map"]["data"]}
    assert "−∇f" in names and "L-BFGS direction" in names
    phi = drawn["opt_play_phi"]
    step = float(derivlib.minimize("(1 - x)^2 + 100(y - x^2)^2", {"x": -1.2, "y": 1.0}, method="lbfgs").path["step"][2])
    accepted = [t for t in phi["data"] if "accepted" in (t.get("name") or "")]
    assert accepted and float(decoded(accepted[0]["x"])[0]) == pytest.approx(step)
    assert any("curvature condition" in (t.get("name") or "") for t in phi["data"])
    at.button(key="opt_play_next").click()
    at = ok(at.run())
    assert any(c.value.startswith("Iteration 3:") for c in at.caption)


def test_basins_from_a_link():
    at = run(
        {
            "expr": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            "xmin": "-5",
            "xmax": "5",
            "ymin": "-5",
            "ymax": "5",
            "methods": "newton-plain,newton",
            "basins": "1",
        }
    )
    assert {"opt_basins_newton-plain", "opt_basins_newton"} <= set(keyed(at))
    shares = {c.value.split(":")[0]: c.value for c in at.caption if c.value.startswith(("Newton (plain):", "Newton:"))}
    assert "saddle at" in shares["Newton (plain)"] and "maximum at" in shares["Newton (plain)"]
    assert "saddle" not in shares["Newton"]  # the modified Newton goes downhill only
    assert "1" in at.query_params["basins"]


def test_a_play_button_steps_through_the_iterations_and_stops_at_the_last():
    """▶ Play moves k on once a second (each run of the playback's part after that long: AppTest runs the page
    where the browser's clock runs the part alone) and stops at the last iteration, where the button reads ▶ again."""
    at = run({"expr": "x^2 + 10y^2 + x^4", "x0": "1", "y0": "1", "methods": "newton"})  # Newton: 5 iterations
    last = derivlib.minimize("x^2 + 10y^2 + x^4", {"x": 1.0, "y": 1.0}, method="newton").nit
    assert at.slider(key="opt_play_k").value == 1 and at.button(key="opt_play_go").label == "▶ Play"
    at = ok(at.button(key="opt_play_go").click().run())
    assert at.button(key="opt_play_go").label == "■ Stop"
    seen = [at.slider(key="opt_play_k").value]
    while at.session_state.opt_playing and len(seen) < 2 * last:
        time.sleep(PLAY_EVERY)
        at = ok(at.run())
        seen.append(at.slider(key="opt_play_k").value)
    assert seen == list(range(1, last + 1))
    assert at.button(key="opt_play_go").label == "▶ Play"
    assert any(c.value.startswith(f"Iteration {last}:") for c in at.caption)


# ---------------------------------------------------------------------------------------------------------------------
# Any number of variables (issue 21, part 2). By hand: x² + y² + z² has its minimum 0 at 0; x² + y² − z² a saddle
# there; Rosenbrock's chain in x1 … x4, Σ (x_{i+1} − x_i²)² + (x1 − 1)², its minimum 0 at (1, 1, 1, 1).

CHAIN = "(x1 - 1)^2 + 10(x2 - x1^2)^2 + 10(x3 - x2^2)^2 + 10(x4 - x3^2)^2"


def chain(x1: float, x2: float, x3: float, x4: float) -> float:
    return (x1 - 1) ** 2 + 10 * (x2 - x1**2) ** 2 + 10 * (x3 - x2**2) ** 2 + 10 * (x4 - x3**2) ** 2


def test_z_is_a_variable_not_a_silent_parameter():
    at = run({"expr": "x^2 + y^2 + z^2", "x0": "1", "y0": "2", "z0": "3"})
    assert any(m.value == "Read as  `f(x, y, z) = x^2 + y^2 + z^2`" for m in at.markdown)
    assert at.multiselect(key="opt_vars").value == ["x", "y", "z"]
    assert any(c.value.startswith("**Variables:** x, y, z") for c in at.caption)
    assert not at.slider  # no parameter
    starts = {box.key: box.value for box in at.number_input if box.label.startswith("Start")}
    assert starts == {"opt_x0": 1.0, "opt_y0": 2.0, "opt_z0": 3.0}
    table = summary(at)
    assert [float(table.loc["Newton", name]) for name in ("x", "y", "z", "f")] == [0.0, 0.0, 0.0, 0.0]
    assert at.query_params["vars"] == "x,y,z" and at.query_params["z0"] == "3"


def test_taking_a_variable_out_makes_it_a_parameter_with_a_slider_and_says_so():
    at = run({"expr": "x^2 + y^2 + z^2", "x0": "1", "y0": "2"})
    at = ok(at.multiselect(key="opt_vars").set_value(["x", "y"]).run())
    assert any(m.value == "Read as  `f(x, y) = x^2 + y^2 + z^2`" for m in at.markdown)
    assert [s.key for s in at.slider if s.key.startswith("opt_p_")] == ["opt_p_z"]
    assert any("**parameters:** z" in c.value for c in at.caption)
    assert float(summary(at).loc["Newton", "f"]) == 1.0  # z = 1, the slider's start: f = z² at (0, 0)
    assert at.query_params["vars"] == "x,y" and "z0" not in at.query_params
    at = ok(at.text_input(key="opt_expr").input("x^2 + y^2 + z^2 + 1").run())  # a new formula: inferred again
    assert at.multiselect(key="opt_vars").value == ["x", "y", "z"]


def test_a_link_of_variables_the_formula_has_not_gives_a_note():
    at = run({"expr": "x^2 + y^2", "vars": "x,q"})
    (warning,) = [w.value for w in at.warning if w.value.startswith("Some values in the link")]
    assert "the formula has no q" in warning
    assert at.multiselect(key="opt_vars").value == ["x", "y"]


def test_more_than_ten_variables_is_pointed_at_and_the_last_run_stays(default):
    at = ok(default.text_input(key="opt_expr").input("x+y+z+x1+x2+x3+x4+x5+x6+x7+x8").run())
    (error,) = [e.value for e in at.error]
    assert error.startswith("11 variables") and "at most 10" in error
    assert error.splitlines()[-2].index("^") == len("x+y+z+x1+x2+x3+x4+x5+x6+x7+")  # under x8, the 11th
    assert any(i.value.startswith("Showing the last run") for i in at.info)


def test_four_variables_a_start_each_their_table_and_a_slice_across_two_chosen():
    at = run({"expr": CHAIN, "map_x": "x1", "map_y": "x3", "methods": "newton,lbfgs"})
    starts = [box.key for box in at.number_input if box.label.startswith("Start")]
    assert starts == ["opt_x1_0", "opt_x2_0", "opt_x3_0", "opt_x4_0"]  # −1.2, 1, −1.2, 1: Rosenbrock's start
    table = summary(at)
    for name in ("Newton", "L-BFGS"):
        assert [float(table.loc[name, v]) for v in ("x1", "x2", "x3", "x4")] == pytest.approx([1.0] * 4, abs=1e-7)
    assert "found a minimum" in statuses(at)["Newton"][0]
    newton = derivlib.minimize(CHAIN, {"x1": -1.2, "x2": 1.0, "x3": -1.2, "x4": 1.0}, method="newton")
    tables = [frame.value for frame in at.dataframe]
    assert list(tables[0].columns[1:5]) == ["x1", "x2", "x3", "x4"] and len(tables[0]) == len(newton.path)
    drawn = charts(at)
    spec = drawn["map"]
    assert spec["layout"]["xaxis"]["title"]["text"] == "x1" and spec["layout"]["yaxis"]["title"]["text"] == "x3"
    title = spec["layout"]["title"]["text"]
    x2, x4 = newton.x["x2"], newton.x["x4"]
    assert title == f"f across x1 and x3, paths projected<br>at x2 = {x2:.10g}, x4 = {x4:.10g} (where Newton ended)"
    x, y = paths(spec)["Newton"]  # the path's projection: its x1 and x3
    assert np.allclose(x, newton.path["x1"].to_numpy(dtype=np.float32)) and np.allclose(y, newton.path["x3"])
    (click,) = [t for t in spec["data"] if t.get("meta") == CLICK]
    u, v, f = decoded(click["x"]), decoded(click["y"]), decoded(click["customdata"])
    by_hand = np.array([chain(a, x2, b, x4) for a, b in zip(u, v, strict=True)])
    assert np.allclose(f, by_hand, rtol=1e-6)  # the slice through Newton's end (float32 on the way)
    assert drawn["gradient"] and drawn["gap"]
    assert at.query_params["map_x"] == "x1" and at.query_params["x4_0"] == "1"


def test_a_saddle_in_three_variables_is_called_one():
    at = run({"expr": "x^2 + y^2 - z^2", "x0": "1", "y0": "1", "z0": "1", "methods": "newton-plain"})
    line, details = statuses(at)["Newton (plain)"]
    assert "saddle point" in line and "H is indefinite" in details


def test_playback_in_three_variables_maps_a_slice_through_the_iterate():
    at = run({"expr": "100(y - x^2)^2 + (1 - x)^2 + 100(z - y^2)^2 + (1 - y)^2", "map_x": "x", "map_y": "z"})
    at = ok(at.selectbox(key="opt_play_run").select("newton").run())
    at = ok(at.slider(key="opt_play_k").set_value(3).run())
    newton = derivlib.minimize(
        "100(y - x^2)^2 + (1 - x)^2 + 100(z - y^2)^2 + (1 - y)^2", {"x": -1.2, "y": 1.0, "z": -1.2}, method="newton"
    )
    spec = keyed(at)["opt_play_map"]
    y2 = float(newton.path["y"].iloc[2])  # x₂'s y: the slice iteration 3 starts from
    assert spec["layout"]["title"]["text"].startswith(f"slice through x₂: y = {y2:.10g}")
    names = {trace.get("name") for trace in spec["data"]}
    assert "the line searched, x + αp (projected)" in names and "the model's lowest point in this plane" in names
    (ring,) = [t for t in spec["data"] if (t.get("name") or "").startswith("x₂,")]
    assert decoded(ring["x"])[0] == pytest.approx(newton.path["x"].iloc[2]) and decoded(ring["y"])[0] == pytest.approx(
        newton.path["z"].iloc[2]
    )


def test_the_playback_keeps_its_place_whatever_runs_or_variables_are_above_it(default):
    """The playback is a part of its own inside the runs' part: more methods (a line each), more variables (a start
    box each) above it leave its identity as it was."""
    first = part_identities(default)
    assert len(first) == 2  # the runs' part and the playback's
    at = ok(default.multiselect(key="opt_methods").set_value(["newton", "lbfgs"]).run())
    assert part_identities(at) == first
    at = ok(at.text_input(key="opt_expr").input("100(y - x^2)^2 + (1 - x)^2 + 100(z - y^2)^2 + (1 - y)^2").run())
    assert part_identities(at) == first
