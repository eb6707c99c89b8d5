"""The optimisation page through Streamlit's AppTest, opened as a link (/optimisation?expr=…&methods=…): its runs, its
charts, its tables, what happens to a run that fails and to a link that cannot be used, and the link written back.

The expected answers are known independently of derivlib: Rosenbrock's minimum is (1, 1), Booth's (1, 3) and,
being a quadratic, Newton reaches it in one step; x⁴ − 3x² + x has f′ = 4x³ − 6x + 1.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest
from app_driver import ok, open_page
from streamlit.testing.v1 import AppTest

from derivlib.optimisation_figures import PATH, label
from derivlib.surface_figures import CLICK

PAGE = "pages/optimisation.py"
BOOTH = "(x + 2y - 7)^2 + (2x + y - 5)^2"


def run(query: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, query)


def charts(at: AppTest) -> dict[str, dict]:
    """The page's charts: the map (with the click layer) or the curve, and the convergence plot (log axes)."""
    found = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if any(t.get("meta") == CLICK for t in spec["data"]):
            key = "map"
        elif spec["layout"].get("yaxis", {}).get("type") == "log":
            key = "convergence"
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
    return at.dataframe[0].value.set_index("method")


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
        assert table.loc[name, "message"].startswith("converged")
    assert table.loc["Newton", "nit"] <= 40
    assert table.loc["gradient descent + Armijo", "nit"] == 1000
    (warning,) = [w.value for w in at.warning]
    assert "gradient descent + Armijo did not converge" in warning and "max_iter = 1000" in warning
    start_x, start_y = paths(drawn["map"])["Newton"]
    assert (start_x[0], start_y[0]) == pytest.approx((-1.2, 1.0))
    assert drawn["map"]["bytes"] < 400_000  # 150² of f and the click layer, the paths at most 400 points each
    assert drawn["convergence"]["bytes"] < 100_000


def test_the_convergence_plot_has_a_line_per_method_on_log_scales(default):
    spec = charts(default)["convergence"]
    assert spec["layout"]["yaxis"]["type"] == spec["layout"]["yaxis2"]["type"] == "log"
    shown = [t["name"] for t in spec["data"] if t.get("showlegend", True)]
    assert shown == ["Newton", "L-BFGS", "CG (Polak–Ribière+)", "gradient descent + Armijo"]
    newton = next(t for t in spec["data"] if t["name"] == "Newton" and t["meta"] == "‖∇f‖")
    norms = decoded(newton["y"])
    assert norms[-1] < 1e-8 < norms[0]  # from ‖∇f(−1.2, 1)‖ = 232.9 … to below the tolerance
    assert norms[0] == pytest.approx(math.hypot(-215.6, -88.0), rel=1e-5)  # ∇f by hand at the start


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
    assert table.loc["Newton", "nit"] == 1  # a quadratic: one Newton step
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


def test_a_run_that_fails_shows_its_message_beside_the_path_so_far():
    at = run({"expr": "x^3 + y^2", "x0": "-1", "y0": "1", "methods": "newton,lbfgs"})
    warnings = " ".join(w.value for w in at.warning)
    assert "f decreases without bound" in warnings
    map_spec = charts(at)["map"]
    ends = [t for t in map_spec["data"] if t.get("name", "").endswith(": stopped")]
    assert len(ends) == 2 and all("f decreases without bound" in t["text"][0] for t in ends)
    drawn = paths(map_spec)
    assert list(drawn) == ["Newton", "L-BFGS"]  # the paths so far: from the start to where each stopped
    assert (drawn["Newton"][0][0], drawn["Newton"][1][0]) == (-1.0, 1.0)


def test_a_start_where_f_is_undefined_says_so():
    at = run({"expr": "log(x) + y^2", "x0": "-1", "y0": "0", "methods": "newton"})
    (error,) = [e.value for e in at.error]
    assert "Newton did not start" in error and "undefined at the start" in error


def test_a_formula_that_is_not_one_shows_where_and_the_last_run_stays():
    at = run({"expr": "x^2 + y^2"})
    at.text_input(key="opt_expr").input("x^2 + sinn(y)")
    ok(at.run())
    (error,) = [e.value for e in at.error]
    assert "sinn" in error and "^" in error
    assert [chart.key for chart in at.get("plotly_chart")] == ["opt_map", "opt_convergence"]
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
    assert at.number_input(key="opt_y0").proto.disabled


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
