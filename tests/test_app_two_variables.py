"""The two-variable page through Streamlit's AppTest: its link, its map, the picked point, the critical points, the
symbolic check, what happens to a bad formula, and which parts of the page a change draws again.

The entry script routes with st.navigation; `AppTest.switch_page("views/two_variables.py")` before the first run
opens this page straight away, as a link to /two_variables does (st.Page's address is the file's name, so the page
is found before st.navigation has run once), and the query parameters set before that run are the link's.

The page is in parts (fragments): after a change that draws some of them again, AppTest's element tree holds those
parts alone; `at.run()` draws the whole page again before a widget outside them is touched.
"""

from __future__ import annotations

import base64
import json
import math
import sys
import time

import numpy as np
import pytest
import torch
from app_driver import assert_parts_stay_put, ok, open_page
from streamlit.testing.v1 import AppTest

import derivlib
from derivlib.figures.optimisation import LABELS_META
from derivlib.figures.two_variables import CLICK, CRITICAL, MAP_AXIS, PANELS

PAGE = "views/two_variables.py"
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def run(query: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, query)


def charts(at: AppTest) -> dict[str, dict]:
    """The page's charts by key: the map (xy_map), the small maps (xy_panel_fx … xy_panel_lmax) and the 3-D surface
    (xy_3d). A keyed element's id ends with its key."""
    return {
        chart.proto.id.rsplit("-", 1)[-1]: json.loads(chart.proto.spec) | {"bytes": len(chart.proto.spec)}
        for chart in at.get("plotly_chart")
    }


def decoded(value) -> np.ndarray:
    if isinstance(value, dict):
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype="<" + value["dtype"])
        return array.reshape([int(n) for n in value["shape"].split(",")]) if "shape" in value else array
    return np.asarray(value, dtype=float)


def point_values(at: AppTest) -> dict[str, str]:
    """The table at the picked point: quantity -> value as shown."""
    table = next(t.value for t in at.table if t.value.columns[0].startswith("at ("))
    return dict(zip(table.iloc[:, 0], table["value"], strict=True))


def critical_table(at: AppTest):
    return next(t.value for t in at.table if "kind" in t.value.columns)


def status(at: AppTest) -> str:
    """The status line over the map, with its details (shown on hover)."""
    (line,) = [f"{c.value} {c.proto.help}" for c in at.caption if "computed in" in c.value]
    return line


def badges(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "-badge[" in m.value]


@pytest.fixture(scope="module", autouse=True)
def no_compiler():
    """Each formula typed here would send the compiler to work: one test below turns it on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DERIVLIB_FUSE", "0")
        yield


@pytest.fixture(scope="module")
def app() -> AppTest:
    """The page as a link without parameters opens it: Himmelblau on [-5, 5]² (shared: the tests only read it)."""
    return run()


def test_the_default_page_shows_himmelblau_and_its_nine_critical_points(app):
    assert app.text_input(key="xy_expr").value == HIMMELBLAU
    assert "`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`" in app.markdown[0].value
    assert "300 × 300 = 90,000 points" in status(app) and "on cpu in float64" in status(app)
    table = critical_table(app)
    assert list(table.columns) == ["kind", "x", "y", "f", "fx", "fy", "fxx", "fxy", "fyy", "∇f"]
    assert table["kind"].value_counts().to_dict() == {"minimum": 4, "saddle": 4, "maximum": 1}
    minima = table[table["kind"] == "minimum"][["x", "y"]].astype(float).to_numpy()
    known = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)]
    for x, y in known:  # Himmelblau's four minima, all at f = 0
        assert np.min(np.hypot(minima[:, 0] - x, minima[:, 1] - y)) < 1e-5
    marked = {t["name"]: len(decoded(t["x"])) for t in charts(app)["xy_map"]["data"] if t.get("meta") == CRITICAL}
    assert marked == {"minimum": 4, "maximum": 1, "saddle point": 4}
    assert not app.error and not app.warning


def test_the_map_is_a_contour_with_arrows_and_an_invisible_click_layer(app):
    figure = charts(app)["xy_map"]
    contour = figure["data"][0]
    assert contour["type"] == "contour" and contour["z"]["dtype"] == "f4"
    assert decoded(contour["z"]).shape == (MAP_AXIS, MAP_AXIS)  # 300² computed, 250² sent
    names = [t.get("name") for t in figure["data"]]
    assert "∇f (uphill)" in names and "picked point" in names
    layer = figure["data"][-1]
    assert layer["meta"] == CLICK and layer["marker"]["opacity"] == 0
    assert layer["marker"]["maxdisplayed"] == 1  # one SVG node, not 6,561: clicked from the data all the same
    assert figure["bytes"] < 1_000_000


def test_a_million_points_send_under_a_megabyte():
    at = run({"points": "1000"})
    found = charts(at)
    assert "1,000 × 1,000 = 1,000,000 points" in status(at)
    assert found["xy_map"]["bytes"] < 1_000_000, found["xy_map"]["bytes"]
    panels = sum(found[f"xy_panel_{name}"]["bytes"] for name in PANELS)
    assert panels < 1_000_000, panels
    assert decoded(found["xy_map"]["data"][0]["z"]).shape == (MAP_AXIS, MAP_AXIS)


def test_the_link_fills_every_input():
    query = {"expr": "a x^2 + b y^2", "xmin": "-2", "xmax": "3", "ymin": "-1", "ymax": "4", "points": "200"}
    query |= {"device": "cpu", "dtype": "float32", "p_a": "2", "p_b": "-1", "px": "0.5", "py": "-0.25"}
    query |= {"angle": "90", "surface": "1", "file_format": "Parquet"}
    at = run(query)
    assert at.text_input(key="xy_expr").value == "a x^2 + b y^2"  # as it was typed
    assert "`f(x, y) = a*x^2 + b*y^2`" in at.markdown[0].value  # and how it was read
    assert (at.text_input(key="xy_xmin_text").value, at.text_input(key="xy_xmax_text").value) == ("-2", "3")
    assert (at.text_input(key="xy_ymin_text").value, at.text_input(key="xy_ymax_text").value) == ("-1", "4")
    assert at.select_slider(key="xy_points").value == 200
    assert at.selectbox(key="xy_device").value == "cpu"
    assert at.radio(key="xy_dtype").value == "float32"
    assert (at.slider(key="xy_p_a").value, at.slider(key="xy_p_b").value) == (2.0, -1.0)
    assert (at.number_input(key="xy_px").value, at.number_input(key="xy_py").value) == (0.5, -0.25)
    assert at.number_input(key="xy_angle").value == 90.0
    assert at.toggle(key="xy_surface").value is True and "xy_3d" in charts(at)
    assert at.radio(key="xy_file_format").value == "Parquet"
    assert "200 × 200 = 40,000 points" in status(at) and "in float32" in status(at)
    values = point_values(at)  # f = 2x² − y² at (0.5, −0.25): 0.4375; ∇f = (4x, −2y) = (2, 0.5)
    assert float(values["f(x₀, y₀)"]) == pytest.approx(0.4375)
    assert (float(values["∂f/∂x"]), float(values["∂f/∂y"])) == (2.0, 0.5)
    assert float(values["Dᵤf = ∇f · u, along θ = 90°"]) == pytest.approx(0.5)  # u = (0, 1)
    assert critical_table(at)["kind"].tolist() == ["saddle"]  # 2x² − y² at the origin
    assert not at.warning
    assert dict(at.query_params) == query  # and the link stays as it came


@pytest.mark.parametrize(
    ("query", "note", "key", "fallback"),
    [
        ({"expr": "sinn(x) y"}, "`expr=sinn(x) y` could not be used (unknown function", "xy_expr", HIMMELBLAU),
        ({"points": "3000"}, "`points=3000` could not be used (choose one of 50, 100", "xy_points", 300),
        ({"xmin": "nan"}, "`xmin=nan` could not be used ('nan' is not a number here", "xy_xmin", -5.0),
        ({"ymin": "3", "ymax": "1"}, "the range 3 … 1 is empty: using -5 … 5", "xy_ymax", 5.0),
        ({"ymin": "-1e308", "ymax": "1e308"}, "the range -1e+308 … 1e+308 is too wide: using -5 … 5", "xy_ymin", -5.0),
        ({"dtype": "float16"}, "`dtype=float16` could not be used", "xy_dtype", "float64"),
        ({"device": "cuda:7"}, "`device=cuda:7` could not be used", "xy_device", "cpu"),
        ({"px": "inf"}, "`px=inf` could not be used (not a finite number): using 1.0", "xy_px", 1.0),
        ({"py": "two"}, "`py=two` could not be used", "xy_py", 1.0),
        ({"angle": "north"}, "`angle=north` could not be used", "xy_angle", 0.0),
        ({"surface": "maybe"}, "`surface=maybe` could not be used (write 1 or 0)", "xy_surface", False),
        ({"file_format": "xlsx"}, "`file_format=xlsx` could not be used (choose one of CSV", "xy_file_format", "CSV"),
        ({"p_q": "2"}, "`p_q`: the formula has no parameter q, ignored", "xy_expr", HIMMELBLAU),
        ({"expr": "a x y", "p_a": "1e9"}, "`p_a=1e9` could not be used (parameters go from -10 to 10)", "xy_p_a", 1.0),
        ({"colour": "red"}, "`colour` is not a setting of this page: ignored", "xy_expr", HIMMELBLAU),
    ],
)
def test_a_bad_link_value_falls_back_with_a_note(query, note, key, fallback):
    at = run(query)
    (warning,) = at.warning
    assert note in warning.value
    assert at.session_state[key] == fallback
    assert "xy_map" in charts(at)  # the page is drawn all the same
    ok(at.number_input(key="xy_px").set_value(2.0).run())
    ok(at.run())  # said once: the inputs now show what is used
    assert not at.warning


def test_an_angle_from_the_link_is_brought_within_a_turn():
    at = run({"angle": "450"})
    assert at.number_input(key="xy_angle").value == 90.0 and not at.warning


def test_the_picked_point_has_the_closed_form_gradient_and_hessian():
    # Himmelblau: f_x = 4x(x² + y − 11) + 2(x + y² − 7), f_y = 2(x² + y − 11) + 4y(x + y² − 7),
    # f_xx = 12x² + 4y − 42, f_xy = 4x + 4y, f_yy = 4x + 12y² − 26.
    at = run({"px": "1", "py": "2", "angle": "45"})
    x, y = 1.0, 2.0
    fx, fy = 4 * x * (x * x + y - 11) + 2 * (x + y * y - 7), 2 * (x * x + y - 11) + 4 * y * (x + y * y - 7)
    fxx, fxy, fyy = 12 * x * x + 4 * y - 42, 4 * x + 4 * y, 4 * x + 12 * y * y - 26
    values = point_values(at)
    assert float(values["f(x₀, y₀)"]) == 68.0
    assert (float(values["∂f/∂x"]), float(values["∂f/∂y"])) == (fx, fy)  # (−36, −32)
    assert (float(values["∂²f/∂x²"]), float(values["∂²f/∂x∂y"]), float(values["∂²f/∂y²"])) == (fxx, fxy, fyy)
    assert float(values["det H"]) == fxx * fyy - fxy * fxy
    assert float(values["|∇f|"]) == pytest.approx(math.hypot(fx, fy))
    eigen = sorted(np.linalg.eigvalsh([[fxx, fxy], [fxy, fyy]]))
    assert [float(v) for v in values["eigenvalues λ₁ ≤ λ₂"].split(",")] == pytest.approx(eigen, rel=1e-7)
    u = (math.sqrt(0.5), math.sqrt(0.5))
    assert float(values["Dᵤf = ∇f · u, along θ = 45°"]) == pytest.approx(fx * u[0] + fy * u[1])
    assert float(values["D²ᵤf = uᵀHu"]) == pytest.approx(fxx / 2 + fxy + fyy / 2)
    latex = [element.value for element in at.latex]
    assert any(r"\begin{pmatrix} -22 & 12 \\ 12 & 26 \end{pmatrix}" in text for text in latex)  # H
    assert any("T_1(x, y) = 68 - 36" in text and "(x - 1)" in text and "(y - 2)" in text for text in latex)
    ring = next(t for t in charts(at)["xy_map"]["data"] if t.get("name") == "picked point")
    assert (decoded(ring["x"]).tolist(), decoded(ring["y"]).tolist()) == ([1.0], [2.0])


def test_the_taylor_table_shows_the_errors_shrinking_by_order():
    at = run({"px": "1", "py": "2", "angle": "0"})  # along x: f_xx = −22, f_xxx = 24 at (1, 2)
    table = next(t.value for t in at.table if "|f − T₂|" in t.value.columns)
    plane, taylor = table["|f − plane|"].astype(float).to_numpy(), table["|f − T₂|"].astype(float).to_numpy()
    assert table["h"].astype(float).tolist() == [0.5, 0.1, 0.01]
    assert plane[2] / plane[1] == pytest.approx(0.01, rel=0.2)  # ∝ h²
    assert taylor[2] / taylor[1] == pytest.approx(0.001, rel=0.2)  # ∝ h³


def test_picking_a_point_and_turning_u_along_the_gradient():
    at = run()
    ok(at.number_input(key="xy_px").set_value(3.0).run())
    ok(at.number_input(key="xy_py").set_value(2.0).run())
    values = point_values(at)
    assert (values["∂f/∂x"], values["∂f/∂y"]) == ("0", "0")  # (3, 2) is a minimum, exactly
    assert any("a critical point" in caption.value for caption in at.caption)
    ok(at.number_input(key="xy_px").set_value(1.0).run())
    ok(at.button[0].click().run())  # "Turn u along ∇f", at (1, 2)
    values = point_values(at)
    fx, fy = float(values["∂f/∂x"]), float(values["∂f/∂y"])
    assert at.number_input(key="xy_angle").value == pytest.approx(math.degrees(math.atan2(fy, fx)), abs=0.01)
    assert float(values[f"Dᵤf = ∇f · u, along θ = {at.number_input(key='xy_angle').value:g}°"]) == pytest.approx(
        math.hypot(fx, fy), rel=1e-6
    )
    assert at.query_params["px"] == "1" and at.query_params["py"] == "2"


def test_every_partial_derivative_gets_its_formula_and_a_green_badge(app):
    shown = badges(app)
    assert [badge.split("]")[0].split(" ", 1)[1].rsplit(" agrees", 1)[0] for badge in shown] == [
        "∂f/∂x",
        "∂f/∂y",
        "∂²f/∂x²",
        "∂²f/∂x∂y",
        "∂²f/∂y²",
    ]
    assert all(badge.startswith(":green-badge[:material/check:") and " agrees" in badge for badge in shown), shown
    latex = [element.value for element in app.latex]
    assert any(r"\frac{\partial^2 f}{\partial x\,\partial y} = 4 x + 4 y" in text for text in latex)  # Himmelblau


def test_an_invalid_formula_shows_the_caret_and_keeps_the_last_result():
    at = run()
    before, table = charts(at)["xy_map"], critical_table(at)
    ok(at.text_input(key="xy_expr").input("x^2 + sinn(y)").run())
    (error,) = at.error
    assert "unknown function or name 'sinn'" in error.value
    assert "```text\nx^2 + sinn(y)\n      ^\n```" in error.value  # monospace, so the caret is under the s
    assert charts(at)["xy_map"] == before
    assert critical_table(at).equals(table)
    assert any("Showing the last result" in info.value for info in at.info)
    assert at.query_params["expr"] == HIMMELBLAU  # the link still reproduces what is shown
    ok(at.text_input(key="xy_expr").input("x^2 - y^2").run())  # corrected: computed again
    assert not at.error and critical_table(at)["kind"].tolist() == ["saddle"]


def test_an_empty_range_is_refused_and_the_result_kept():
    at = run()
    computed = status(at)
    ok(at.text_input(key="xy_ymin_text").input("9").run())
    assert any("'y from' must be less than 'y to'" in error.value for error in at.error)
    assert status(at) == computed


def test_a_view_setting_does_not_recompute_and_the_link_follows():
    at = run()
    computed = status(at)  # says how long the computation took, to 3 digits: a recomputation would differ
    ok(at.toggle(key="xy_surface").set_value(True).run())
    assert "xy_3d" in charts(at)
    ok(at.number_input(key="xy_angle").set_value(-30.0).run())
    ok(at.radio(key="xy_file_format").set_value("CSV, compressed").run())
    assert status(at) == computed
    ok(at.run())  # the whole page: the formula box is outside the parts just drawn
    ok(at.text_input(key="xy_expr").input("k x y").run())
    ok(at.slider(key="xy_p_k").set_value(2.5).run())
    ok(at.run())
    ok(at.text_input(key="xy_xmax_text").input("7.5").run())
    ok(at.select_slider(key="xy_points").set_value(100).run())
    assert dict(at.query_params) == {
        "expr": "k x y",
        "xmin": "-5",
        "xmax": "7.5",
        "ymin": "-5",
        "ymax": "5",
        "points": "100",
        "device": "cpu",
        "dtype": "float64",
        "p_k": "2.5",
        "px": "1",
        "py": "1",
        "angle": "-30",
        "surface": "1",
        "file_format": "CSV, compressed",
    }


def test_a_parameter_gets_a_slider_that_changes_the_result():
    at = run({"expr": "a x^2 + b y^2"})
    assert float(point_values(at)["f(x₀, y₀)"]) == 2.0
    ok(at.slider(key="xy_p_a").set_value(3.0).run())
    assert float(point_values(at)["f(x₀, y₀)"]) == 4.0
    ok(at.run())  # the sliders are outside the parts a slider draws again
    ok(at.slider(key="xy_p_b").set_value(-1.0).run())
    assert critical_table(at)["kind"].tolist() == ["saddle"]


def test_a_parameter_slider_draws_again_only_what_depends_on_it():
    at = run({"expr": "a x^2 + b y^2"})
    ok(at.slider(key="xy_p_a").set_value(2.0).run())
    assert not at.title and not at.sidebar.children  # the header and the sidebar were not drawn again …
    assert not at.text_input  # … nor the formula box and the ranges
    assert set(charts(at)) == {"xy_map"} | {f"xy_panel_{name}" for name in PANELS}  # the maps were
    assert float(point_values(at)["f(x₀, y₀)"]) == 3.0  # and the point's values: 2·1² + 1·1²
    assert critical_table(at)["kind"].tolist() == ["minimum"]
    assert at.query_params["p_a"] == "2"


def test_a_new_point_draws_again_only_the_point_and_the_map():
    at = run()
    ok(at.number_input(key="xy_px").set_value(3.0).run())
    assert not at.title and not at.text_input and not at.sidebar.children
    assert set(charts(at)) == {"xy_map"}  # not the small maps …
    assert not [table for table in at.table if "kind" in table.value.columns]  # … nor the critical points
    ring = next(t for t in charts(at)["xy_map"]["data"] if t.get("name") == "picked point")
    assert (decoded(ring["x"]).tolist(), decoded(ring["y"]).tolist()) == ([3.0], [1.0])  # the map marks the point
    assert float(point_values(at)["f(x₀, y₀)"]) == 10.0  # (9 + 1 − 11)² + (3 + 1 − 7)²
    assert at.query_params["px"] == "3"
    # (A widget inside a part draws that part alone in a browser; AppTest runs the whole page for it: the toggle of
    # the 3-D surface is checked in test_browser_two_variables.py.)


def test_downloads_and_the_grid_file_they_build(app):
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["Download the whole grid (CSV, 90,000 rows)", "Download the critical points (CSV)"]
    # AppTest cannot read a download's content: the builder is derivlib.to_csv of the grid table as zeroed by
    # figures.two_variables.zeroed_surface_table (tested there).
    lines = derivlib.to_csv(derivlib.surface_table(HIMMELBLAU, (-5, 5, 300), (-5, 5, 300))).splitlines()
    assert lines[0] == "x,y,f,fx,fy,fxx,fxy,fyy" and len(lines) == 1 + 90_000
    x, y = -5.0, -5.0
    first = [float(value) for value in lines[1].split(",")]
    f = (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2
    assert first[:3] == [x, y, f]


def test_rounding_noise_at_a_critical_point_is_shown_as_0(app):
    table = next(t for t in app.table if "kind" in t.value.columns)
    import pyarrow

    shown = pyarrow.ipc.open_stream(table.proto.arrow_data.styler.display_values).read_pandas()
    assert set(shown["fx"]) == {"0"} and set(shown["fy"]) == {"0"}  # ∇f = 0 up to rounding at every row
    minima = shown[shown["kind"] == "minimum"]
    assert set(minima["f"]) == {"0"}  # Himmelblau's minima are at f = 0; computed, 1e-31 or so


# ---------------------------------------------------------------------------------------------------------------------
# Honest at the edges: no verdict on a sign that rounding could flip, and the points where ∇f does not exist


def test_a_singular_hessian_is_called_singular_with_det_and_eigenvalue_0():
    """sin x cos y at (1, 1): fxx = fxy = fyy, so det H = 0 and λ₂ = 0, computed as 2.8e-17 and -8.3e-17."""
    at = run({"expr": "sin(x) cos(y)", "px": "1", "py": "1"})
    values = point_values(at)
    assert values["det H"] == "0"
    assert values["eigenvalues λ₁ ≤ λ₂"].split(", ")[1] == "0"
    (caption,) = [c.value for c in at.caption if c.value.startswith("H is")]
    assert caption.startswith("H is singular") and "definite" not in caption.split(":")[0]
    assert any(r"\det H = 0" in element.value for element in at.latex)
    assert not any("e-1" in value for value in values.values())  # no 1e-17 of rounding shown as data


def test_a_corner_where_the_gradient_is_undefined_is_a_critical_point_and_says_so():
    at = run({"expr": "abs(x) + abs(y)", "px": "0", "py": "0"})
    table = critical_table(at)
    assert table[["kind", "x", "y"]].values.tolist() == [["minimum", 0.0, 0.0]]
    assert table.iloc[0]["∇f"] == "undefined (not smooth)" and table.iloc[0]["fx"] != table.iloc[0]["fx"]  # NaN
    assert not any("None in these ranges" in c.value for c in at.caption)
    values = point_values(at)
    assert values["∂f/∂x"] == "undefined" and values["∇f points at θ ="] == "undefined"
    assert any("f is not differentiable at (0, 0)" in c.value for c in at.caption)
    assert not at.latex or not any("undefined" in element.value for element in at.latex)


def test_rosenbrock_raises_no_false_alarm_about_missed_critical_points():
    at = run({"expr": "(1 - x)^2 + 100(y - x^2)^2"})
    table = critical_table(at)
    assert table[["kind", "x", "y"]].values.tolist() == [["minimum", 1.0, 1.0]]
    notes = [c.value for c in at.caption if c.value.startswith(":material/info:")]
    assert not any("too coarse" in note or "points=" in note for note in notes), notes


def test_contour_levels_are_labelled_with_the_decimals_of_their_step():
    """A few levels are written on the map as text (Plotly's own labels cost 0.4–0.6 s a draw), each with its step's
    decimals: the level at 0 reads 0, not 1.1e-16."""
    figure = charts(run({"expr": "sin(x) cos(y)"}))["xy_map"]
    contour = figure["data"][0]
    assert not contour["contours"].get("showlabels")
    (labels,) = [t for t in figure["data"] if t.get("meta") == LABELS_META]
    assert labels["mode"] == "text" and 2 <= len(labels["text"]) <= 12
    step = contour["contours"]["size"]
    for text in labels["text"]:
        assert "e" not in text and float(text) / step == pytest.approx(round(float(text) / step)), text
    z = decoded(contour["z"])
    assert np.all((z == 0) | (np.abs(z) > 1e-12))  # values within their rounding error are sent as 0


def test_the_parts_of_the_page_stay_where_they_are_whatever_is_above_them():
    """Sliders appearing, a message under the formula box: the parts below keep their identities, so that a run cut
    short by the next change never leaves a part to be run twice."""
    assert_parts_stay_put(run(), "xy_expr", ["a x^2 + b y^2 + c", "x^^2", "x y"])


FUSED = "a*cos(x)^3 + sqrt(x + 9) y + sin(x y)"  # no other test uses it: the first use here is its first use


def test_a_formula_still_in_use_is_compiled_and_the_next_grid_runs_the_compiled_program(monkeypatch):
    """Opened once, the formula is computed eagerly and not compiled; opened again a moment later (a second student on
    the same link), its program is prepared, and the grid after that runs it."""
    monkeypatch.setenv("DERIVLIB_FUSE", "1")
    first = run({"expr": FUSED, "points": "100"})
    assert "in Taylor mode" in status(first) and "being prepared" not in status(first)
    assert derivlib.fused_state(FUSED, order=2, variables=("x", "y")) == "none"
    time.sleep(sys.modules["page_kit"].REUSE_SECONDS)
    second = run({"expr": FUSED, "points": "150"})
    assert "a compiled program for this formula is being prepared" in status(second)
    expr = derivlib.parse(FUSED, variables=("x", "y"))
    state = derivlib.engine.fused.wait(
        expr, 2, torch.float64, torch.device("cpu"), variables=("x", "y"), kind=derivlib.engine.fused.PARTIALS
    )
    assert state == "ready"
    again = run({"expr": FUSED, "points": "200"})
    assert "by the program compiled for this formula" in status(again)
    assert derivlib.fused_state(FUSED, order=2, variables=("x", "y")) == "ready"  # it passed its check on first use
    assert critical_table(again).equals(critical_table(first))
