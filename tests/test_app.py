"""The page through Streamlit's AppTest: widgets by key, the chart's spec, the tables and the share link."""

from __future__ import annotations

import base64
import json
import sys
import time

import numpy as np
import pyarrow
import pytest
import torch
from app_driver import APP, assert_parts_stay_put, ok, open_page
from streamlit.testing.v1 import AppTest

import derivlib

TUTORIAL_F1 = [3.5403, 28.6088, 75.2837]  # f′ of x^3 + sin(x) at 1, π, 5
TUTORIAL_F2 = [5.1585, 18.8496, 30.9589]  # f″


OPENED = ("lab_open", "values_open")  # the lab's and the grid's values' expanders: their content is sent when open


def run(query: dict[str, str] | None = None, opened: tuple[str, ...] = OPENED) -> AppTest:
    return open_page(None, query, opened=opened)


def chart(at: AppTest) -> dict:
    """The main chart (the first; the autograd lab has its own further down)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def traces(at: AppTest) -> list[str]:
    """The names of f and its derivatives' traces, not the markers and lines added at points (meta "insight")."""
    return [trace["name"] for trace in chart(at)["data"] if trace.get("meta") != "insight"]


def insight(at: AppTest) -> dict[str, dict]:
    return {trace["name"]: trace for trace in chart(at)["data"] if trace.get("meta") == "insight"}


def array(value) -> np.ndarray:
    return values(value) if isinstance(value, dict) else np.asarray(value, dtype=float)


def values(array: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype="<" + array["dtype"])


def points_table(at: AppTest):
    return at.table[0].value


def grid_preview(at: AppTest):
    return at.dataframe[0].value


def status(at: AppTest) -> str:
    """The status line under the formula, with its details (shown on hover)."""
    (line,) = [f"{c.value} {c.proto.help}" for c in at.caption if "computed in" in c.value]
    return line


@pytest.fixture
def app() -> AppTest:
    return run()


@pytest.fixture(autouse=True)
def no_compiler(monkeypatch):
    """Each formula typed here would send the compiler to work: one test below turns it on."""
    monkeypatch.setenv("DERIVLIB_FUSE", "0")


def test_the_lab_and_the_grids_values_are_computed_only_when_opened():
    closed = run(opened=())
    assert [e.label for e in closed.expander] == [
        "The grid's values (1,000 of 10,000 rows shown, evenly spaced)",
        "Autograd lab: how these derivatives are computed, and how far to trust them",
    ]
    assert not closed.dataframe and not closed.code and len(closed.get("plotly_chart")) == 1  # nothing inside
    opened = run()
    assert len(grid_preview(opened)) == 1_000 and opened.code and len(opened.get("plotly_chart")) == 2


def test_the_first_load_shows_the_tutorial(app):
    table = points_table(app)
    assert list(table.columns) == ["x", "f", "f′", "f″"]
    assert table["f′"].astype(float).round(4).tolist() == TUTORIAL_F1
    assert table["f″"].astype(float).round(4).tolist() == TUTORIAL_F2
    assert app.text_input(key="expr").value == "x^3 + sin(x)"
    assert traces(app) == ["f", "f′", "f″"]
    assert "`f(x) = x^3 + sin(x)`" in app.markdown[0].value
    assert "10,000 points from -5 to 5" in status(app) and "on cpu in float64" in status(app)
    assert not app.error and not app.warning


def test_the_tutorial_numbers_are_shown_to_four_decimals():
    """What the page draws in the points table: the display strings, not only the underlying numbers."""
    at = run()
    shown = pyarrow.ipc.open_stream(at.table[0].proto.arrow_data.styler.display_values).read_pandas()
    assert shown["f′"].tolist() == [f"{number:.4f}" for number in TUTORIAL_F1]
    assert shown["f″"].tolist() == [f"{number:.4f}" for number in TUTORIAL_F2]


def test_download_buttons_are_there(app):
    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == [  # in the page's order: the chart first, then its grid, then the values at your points
        "Download the whole grid (CSV, 10,000 rows)",
        "Download these values (CSV)",
        "Download the points of interest (CSV)",
    ]


def test_the_grid_csv_is_what_the_download_builds():
    # AppTest cannot read a download's content: the builder is derivlib.to_csv on the cached grid table.
    text = derivlib.to_csv(derivlib.grid_table("x^3 + sin(x)", -5, 5, 10_000, order=2))
    lines = text.splitlines()
    assert lines[0] == "x,f,d1,d2" and len(lines) == 10_001
    first = [float(value) for value in lines[1].split(",")]  # x = -5: x³ + sin x, 3x² + cos x, 6x − sin x
    assert first == pytest.approx([-5.0, -125 + np.sin(-5), 75 + np.cos(-5), -30 - np.sin(-5)], rel=1e-14)


def test_changing_the_formula_changes_chart_and_tables(app):
    before = chart(app)["data"][0]
    ok(app.text_input(key="expr").input("sin 2x").run())
    assert "`f(x) = sin(2*x)`" in app.markdown[0].value  # how the text was read
    assert traces(app) == ["f", "f′", "f″"]
    after = chart(app)["data"][0]
    assert not np.array_equal(values(after["y"]), values(before["y"]))
    assert np.abs(values(after["y"])).max() == pytest.approx(1.0, abs=1e-3)
    assert points_table(app)["f′"].astype(float).round(4).tolist() == [
        round(2 * np.cos(2 * x), 4) for x in (1, np.pi, 5)
    ]


def test_an_example_fills_the_formula_and_undefined_points_are_explained(app):
    ok(app.selectbox(key="example").select("log(x)").run())
    assert app.text_input(key="expr").value == "log(x)"
    assert app.selectbox(key="example").value is None  # ready for the next pick
    (warning,) = app.warning
    assert warning.value == "5,000 of 10,000 points are undefined: log of a negative number for x < 0."
    assert points_table(app)["f"].astype(float).round(4).tolist() == [0.0, 1.1447, 1.6094]


def test_changing_the_range_changes_the_grid(app):
    ok(app.text_input(key="xmin_text").input("0").run())
    ok(app.text_input(key="xmax_text").input("2").run())
    x = values(chart(app)["data"][0]["x"])
    assert x.min() == 0.0 and x.max() == 2.0
    assert grid_preview(app)["x"].iloc[0] == 0.0
    assert "from 0 to 2" in status(app)


def test_changing_the_order_adds_traces_and_columns(app):
    ok(app.slider(key="order").set_value(4).run())
    assert traces(app) == ["f", "f′", "f″", "f‴", "f⁽⁴⁾"]
    assert list(points_table(app).columns) == ["x", "f", "f′", "f″", "f‴", "f⁽⁴⁾"]
    assert list(grid_preview(app).columns) == ["x", "f", "f′", "f″", "f‴", "f⁽⁴⁾"]


def test_a_parameter_gets_a_slider_that_changes_the_result(app):
    ok(app.text_input(key="expr").input("a*sin(b*x)").run())
    assert [slider.label for slider in app.slider if slider.key.startswith("p_")] == ["Parameter a", "Parameter b"]
    f_before = points_table(app)["f"].astype(float).tolist()
    ok(app.slider(key="p_a").set_value(3.0).run())
    assert points_table(app)["f"].astype(float).tolist() == pytest.approx([3 * v for v in f_before])
    assert values(chart(app)["data"][0]["y"]).max() == pytest.approx(3.0, abs=1e-3)


def test_a_parameter_slider_draws_again_only_what_depends_on_it(app):
    ok(app.text_input(key="expr").input("a*sin(x)").run())
    ok(app.slider(key="p_a").set_value(2.0).run())
    assert not app.title and not app.sidebar.children  # the header, the formula and the sidebar were not drawn again
    assert [box.key for box in app.text_input] == ["at"]  # (the points' box is among what depends on a)
    assert values(chart(app)["data"][0]["y"]).max() == pytest.approx(2.0, abs=1e-3)
    assert points_table(app)["f"].astype(float).tolist() == pytest.approx([2 * np.sin(v) for v in (1, np.pi, 5)])
    assert app.query_params["p_a"] == "2"


def test_an_invalid_formula_shows_the_caret_and_keeps_the_result(app):
    before, table = chart(app), points_table(app)
    ok(app.text_input(key="expr").input("x^2 + sinn(x)").run())
    (error,) = app.error
    assert "unknown function or name 'sinn'" in error.value
    assert "```text\nx^2 + sinn(x)\n      ^\n```" in error.value  # monospace, so the caret is under the s
    assert chart(app) == before
    assert points_table(app).equals(table)
    assert any("Showing the last result" in info.value for info in app.info)
    assert app.query_params["expr"] == "x^3 + sin(x)"  # the link still reproduces what is shown


def test_invalid_points_show_the_error_and_keep_the_result(app):
    table = points_table(app)
    ok(app.text_input(key="at").input("1, x").run())
    (error,) = app.error
    assert "a value cannot depend on x" in error.value
    assert points_table(app).equals(table)


def test_a_range_end_may_be_a_constant_formula(app):
    ok(app.text_input(key="xmin_text").input("-pi/2").run())
    ok(app.text_input(key="xmax_text").input("2pi").run())
    x = values(chart(app)["data"][0]["x"])
    assert (x.min(), x.max()) == pytest.approx((-np.pi / 2, 2 * np.pi))
    assert app.query_params["xmax"] == f"{2 * np.pi:.15g}"  # the link holds the value
    assert app.text_input(key="xmax_text").value == "2pi"  # and the box what was typed
    computed = status(app)
    ok(app.text_input(key="xmax_text").input("2 pie").run())  # a typo: said where, and the last range stays
    (error,) = app.error
    assert "```text\n2 pie\n  ^\n```" in error.value, error.value
    assert status(app) == computed


def test_an_empty_range_is_refused_with_a_message(app):
    ok(app.text_input(key="xmin_text").input("9").run())
    assert any("must be less than" in error.value for error in app.error)
    assert "from -5 to 5" in status(app)


def test_a_range_too_wide_for_floats_shows_a_message_and_keeps_the_result(app):
    app.text_input(key="xmin_text").input("-2e38")
    ok(app.text_input(key="xmax_text").input("2e38").run())  # wide, but fine in float64
    assert not app.error and "from -2e+38 to 2e+38" in status(app)
    before, computed = chart(app), status(app)
    app.text_input(key="xmin_text").input("-1e308")
    ok(app.text_input(key="xmax_text").input("1e308").run())  # both at once: a range wider than float64 holds
    (error,) = app.error
    assert error.value.startswith("The range -1e+308 … 1e+308 is too wide: its width overflows float64")
    assert status(app) == computed and chart(app) == before  # the last result, not ±inf and NaN
    assert any("Showing the last result" in info.value for info in app.info)
    app.text_input(key="xmin_text").input("-2e38")
    ok(app.text_input(key="xmax_text").input("2e38").run())
    assert not app.error and status(app) == computed  # from the cache
    ok(app.radio(key="dtype").set_value("float32").run())  # too wide for float32, whose largest number is 3.4e38
    (error,) = app.error
    assert "its width overflows float32" in error.value
    assert status(app) == computed


def test_an_unrelated_widget_does_not_recompute(app):
    computed = status(app)  # says how long the computation took, to 3 digits: a recomputation would differ
    ok(app.toggle(key="overlay").set_value(True).run())
    assert {trace["yaxis"] for trace in chart(app)["data"]} == {"y"}
    ok(app.text_input(key="at").input("0, 1").run())
    assert status(app) == computed


def test_the_link_fills_the_inputs():
    query = {"expr": "a sin(b x)", "xmin": "-2", "xmax": "3", "points": "1000", "order": "3", "device": "cpu"}
    query |= {"dtype": "float32", "at": "0, pi/2", "p_a": "2", "p_b": "0.5", "overlay": "1"}
    query |= {"x0": "0.5", "taylor_order": "3", "remainder": "1", "fd_order": "2", "file_format": "Parquet"}
    at = run(query)
    assert at.text_input(key="expr").value == "a sin(b x)"  # as it was typed
    assert "`f(x) = a*sin(b*x)`" in at.markdown[0].value  # and how it was read
    assert (at.text_input(key="xmin_text").value, at.text_input(key="xmax_text").value) == ("-2", "3")
    assert at.select_slider(key="points").value == 1000
    assert at.slider(key="order").value == 3
    assert at.radio(key="dtype").value == "float32"
    assert at.text_input(key="at").value == "0, pi/2"
    assert (at.slider(key="p_a").value, at.slider(key="p_b").value) == (2.0, 0.5)
    assert at.toggle(key="overlay").value is True
    assert at.number_input(key="x0").value == 0.5 and at.number_input(key="taylor_order").value == 3
    assert at.toggle(key="remainder").value is True and at.radio(key="fd_order").value == 2
    assert at.radio(key="file_format").value == "Parquet"
    assert {"Taylor T₃", "|f − T₃|"} <= set(insight(at)) and array(insight(at)["x₀"]["x"]) == pytest.approx([0.5])
    assert traces(at) == ["f", "f′", "f″", "f‴"]
    assert points_table(at)["f"].astype(float).tolist() == pytest.approx([0.0, 2 * np.sin(np.pi / 4)], abs=1e-6)
    assert "in float32" in status(at)
    assert not at.warning
    assert dict(at.query_params) == query  # and the link stays as it came


def test_changed_inputs_update_the_link(app):
    assert app.query_params["expr"] == "x^3 + sin(x)"
    ok(app.text_input(key="expr").input("k x^2").run())
    ok(app.slider(key="p_k").set_value(2.5).run())  # the parts below the sliders alone …
    ok(app.run())  # (… so that AppTest's tree holds the whole page again)
    ok(app.slider(key="order").set_value(5).run())
    ok(app.text_input(key="xmax_text").input("7.5").run())
    ok(app.select_slider(key="points").set_value(100_000).run())
    ok(app.radio(key="dtype").set_value("float32").run())
    ok(app.text_input(key="at").input("pi/2").run())
    ok(app.number_input(key="x0").set_value(0.5).run())
    ok(app.run())
    ok(app.number_input(key="taylor_order").set_value(3).run())
    ok(app.toggle(key="remainder").set_value(True).run())
    ok(app.radio(key="file_format").set_value("CSV, compressed").run())
    assert dict(app.query_params) == {
        "expr": "k x^2",  # as typed: "Read as" shows k*x^2
        "xmin": "-5",
        "xmax": "7.5",
        "points": "100000",
        "order": "5",
        "device": "cpu",
        "dtype": "float32",
        "at": "pi/2",
        "p_k": "2.5",
        "overlay": "0",
        "x0": "0.5",
        "taylor_order": "3",
        "remainder": "1",
        "fd_order": "1",
        "file_format": "CSV, compressed",
    }


@pytest.mark.parametrize(
    ("query", "note", "key", "fallback"),
    [
        ({"expr": "sinn(x)"}, "`expr=sinn(x)` could not be used (unknown function", "expr", "x^3 + sin(x)"),
        ({"points": "3000"}, "`points=3000` could not be used (choose one of 100, 200", "points", 10_000),
        ({"points": "lots"}, "`points=lots` could not be used", "points", 10_000),
        ({"order": "99"}, "`order=99` could not be used", "order", 2),
        ({"device": "cuda:7"}, "`device=cuda:7` could not be used", "device", "cpu"),
        ({"dtype": "float16"}, "`dtype=float16` could not be used", "dtype", "float64"),
        ({"xmin": "nan"}, "`xmin=nan` could not be used ('nan' is not a number here", "xmin", -5.0),
        ({"xmin": "3", "xmax": "1"}, "the range 3 … 1 is empty: using -5 … 5", "xmax", 5.0),
        ({"xmin": "-1e308", "xmax": "1e308"}, "the range -1e+308 … 1e+308 is too wide: using -5 … 5", "xmin", -5.0),
        ({"at": "1, 2,"}, "`at=1, 2,` could not be used (empty item", "at", "1, pi, 5"),
        ({"points": "1e400"}, "`points=1e400` could not be used (not a finite number)", "points", 10_000),
        ({"order": "2.5"}, "`order=2.5` could not be used (not a whole number)", "order", 2),
        ({"overlay": "maybe"}, "`overlay=maybe` could not be used (write 1 or 0)", "overlay", False),
        ({"expr": "x`" * 300}, "could not be used (formula too long", "expr", "x^3 + sin(x)"),
        ({"expr": "a x", "p_a": "1e9"}, "`p_a=1e9` could not be used (parameters go from -10 to 10)", "p_a", 1.0),
        ({"p_q": "2"}, "`p_q`: the formula has no parameter q, ignored", "expr", "x^3 + sin(x)"),
        ({"colour": "red"}, "`colour` is not a setting of this page: ignored", "expr", "x^3 + sin(x)"),
        ({"x0": "inf"}, "`x0=inf` could not be used (not a finite number): using 1.0", "x0", 1.0),
        ({"taylor_order": "5"}, "`taylor_order=5` is above the highest derivative (2): using 2", "taylor_order", 2),
        ({"remainder": "yes"}, "`remainder=yes` could not be used (write 1 or 0)", "remainder", False),
        ({"fd_order": "3"}, "`fd_order=3` could not be used (choose one of 1, 2)", "fd_order", 1),
        ({"file_format": "xlsx"}, "`file_format=xlsx` could not be used (choose one of CSV", "file_format", "CSV"),
    ],
)
def test_a_bad_link_value_falls_back_with_a_note(query, note, key, fallback):
    at = run(query)
    (warning,) = at.warning
    assert note in warning.value
    assert at.session_state[key] == fallback
    assert traces(at)  # the page is drawn all the same
    ok(at.slider(key="order").set_value(3).run())  # said once: the inputs now show what is used
    assert not at.warning


def test_points_of_interest_tangent_and_lab_for_the_default_formula(app):
    table = app.table[1].value  # after the values at your points
    assert list(table.columns) == ["x", "what it is", "f", "f′", "f″"]
    assert table["what it is"].tolist() == ["root, inflection point"]  # x³ + sin x on [-5, 5]: both at 0, one row
    assert table["x"].astype(float).tolist() == [0.0]
    marks = insight(app)
    assert array(marks["root"]["x"]) == pytest.approx([0.0], abs=1e-12)
    assert array(marks["inflection"]["x"]) == pytest.approx([0.0], abs=1e-12)

    tangent = marks["tangent at x₀"]  # x₀ = 1: f(1) + f′(1)(x − 1)
    x, y = array(tangent["x"]), array(tangent["y"])
    assert y == pytest.approx(1 + np.sin(1) + (3 + np.cos(1)) * (x - 1))

    trap = app.table[2].value  # the lab: x.grad after two backward() calls holds f′ + f″
    assert trap.iloc[:, -1].astype(float).round(4).tolist() == [8.6988, 47.4584, 106.2426]
    assert any("import torch" in code.value for code in app.code)
    assert [latex.value.split("=")[0].strip("$\n ") for latex in app.latex] == ["f'(x)", "f''(x)"]
    assert any("f′ agrees" in md.value for md in app.markdown) and any("f″ agrees" in md.value for md in app.markdown)

    ok(app.number_input(key="x0").set_value(2.0).run())  # the chart and the lab alone are drawn again
    x, y = array(insight(app)["tangent at x₀"]["x"]), array(insight(app)["tangent at x₀"]["y"])
    assert y == pytest.approx(8 + np.sin(2) + (12 + np.cos(2)) * (x - 2))
    assert array(insight(app)["x₀"]["x"]) == pytest.approx([2.0])
    assert [m.value for m in app.markdown if "Finite differences" in m.value] == [
        "**Finite differences against autograd at x₀ = 2.**"
    ]
    drawn = [list(table.value.columns) for table in app.table]  # the lab's trap, not the points' or places' tables:
    assert drawn == [list(trap.columns)]  # x₀ does not change them, and they were not drawn again


def test_every_derivative_up_to_the_highest_order_gets_its_formula_and_badge(app):
    ok(app.slider(key="order").set_value(4).run())
    formulas = [latex.value.strip("$\n ").split(" = ") for latex in app.latex]
    assert formulas == [
        ["f'(x)", "3 x^{2} + \\cos{\\left(x \\right)}"],
        ["f''(x)", "6 x - \\sin{\\left(x \\right)}"],
        ["f'''(x)", "6 - \\cos{\\left(x \\right)}"],
        ["f^{(4)}(x)", "\\sin{\\left(x \\right)}"],
    ]
    badges = [md.value for md in app.markdown if "-badge[" in md.value]
    assert len(badges) == 4
    for name, badge in zip(["f′", "f″", "f‴", "f⁽⁴⁾"], badges, strict=True):
        assert f"{name} agrees" in badge, badge


def test_taylor_order_and_remainder(app):
    ok(app.slider(key="order").set_value(4).run())
    ok(app.number_input(key="taylor_order").set_value(3).run())
    ok(app.toggle(key="remainder").set_value(True).run())
    marks = insight(app)
    assert {"Taylor T₃", "|f − T₃|"} <= set(marks)
    ok(app.run())  # the whole page (AppTest's tree after a fragment's run holds that fragment alone)
    ok(app.slider(key="order").set_value(2).run())  # the Taylor order follows the highest derivative down
    assert app.number_input(key="taylor_order").value == 2
    ok(app.number_input(key="taylor_order").set_value(4).run())  # more than is computed: said, and offered
    (warning,) = app.warning
    assert warning.value.startswith("Order 4 needs the derivatives up to f⁽⁴⁾, and 2 are computed (the sidebar's")
    assert "Taylor T₂" in insight(app)
    ok(app.button[0].click().run())  # "Compute 4 derivatives": the whole page, with f‴ and f⁽⁴⁾
    assert app.slider(key="order").value == 4 and "Taylor T₄" in insight(app)


def test_the_osculating_circle_is_drawn_where_it_is_readable_and_otherwise_says_why(app):
    assert "osculating circle" not in insight(app)  # x³ + sin x at 1: radius 9.65 on a panel 10 wide
    (line,) = [c.value for c in app.caption if "osculating circle" in c.value]
    assert "is not drawn: its radius 9.65 makes it larger than the panel" in line
    ok(app.text_input(key="expr").input("x^2").run())
    app.text_input(key="xmin_text").input("-1")
    ok(app.text_input(key="xmax_text").input("1").run())
    ok(app.number_input(key="x0").set_value(0.0).run())
    x, y = array(insight(app)["osculating circle"]["x"]), array(insight(app)["osculating circle"]["y"])
    assert np.hypot(x, y - 0.5) == pytest.approx(0.5)  # x² at 0 bends as the circle of radius 1/2 about (0, 1/2)


FUSED = "a*cos(x)^3 + sqrt(x)"


def test_a_formula_still_in_use_is_compiled_and_the_next_change_runs_the_compiled_program(monkeypatch):
    """A formula typed and read is computed by Taylor mode's eager program and not compiled (a class typing formulas
    would keep the server's cores compiling programs nobody runs again); asked for again a moment later (a slider
    moved), its program is prepared in the background, and the change after that runs it."""
    monkeypatch.setenv("DERIVLIB_FUSE", "1")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["values_open"] = True
    at.query_params["expr"] = FUSED  # no other test uses it: the first use here is its first use
    at = ok(at.run())
    assert "in Taylor mode" in status(at) and "being prepared" not in status(at)
    assert derivlib.fused_state(FUSED, order=2) == "none"  # not asked of the compiler
    first = grid_preview(at)
    time.sleep(sys.modules["page_kit"].REUSE_SECONDS)  # the student reads the chart, then moves a slider
    at.slider(key="p_a").set_value(1.5)
    at = ok(at.run())
    assert "in Taylor mode" in status(at) and "a compiled program for this formula is being prepared" in status(at)
    at = ok(at.run())  # the whole page (AppTest's tree after a part's run holds that part alone)
    state = derivlib.engine.fused.wait(derivlib.parse(FUSED), 2, torch.float64, torch.device("cpu"))
    assert state == "ready"
    at.slider(key="p_a").set_value(2.5)
    at = ok(at.run())
    assert "by the program compiled for this formula" in status(at)
    at = ok(at.run())
    at.slider(key="p_a").set_value(1.0)  # back to the first value: a cache hit, the first result again
    at = ok(at.run())
    assert grid_preview(at).equals(first)


# ---------------------------------------------------------------------------------------------------------------------
# The page as a first-time user meets it: charts that show the shape, quiet notes, complete links


def panel(at: AppTest, k: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float], str]:
    """Panel k of the chart: the trace's x and y as sent, the y axis's range, and the panel's label."""
    spec = chart(at)
    trace = [t for t in spec["data"] if t.get("meta") != "insight"][k]
    axis = spec["layout"][f"yaxis{k + 1 if k else ''}"]
    label = spec["layout"]["annotations"][k]["text"]
    return array(trace["x"]), array(trace["y"]), tuple(axis["range"]), label


def formula(text: str, **query: str) -> AppTest:
    return run({"expr": text, **query})


def shows(value_range: tuple[float, float], low: float, high: float, *, at_most: float) -> bool:
    """The range holds [low, high] and is at most `at_most` high: the curve fills a good part of the panel."""
    return value_range[0] <= low and high <= value_range[1] and value_range[1] - value_range[0] <= at_most


def test_the_derivative_panels_of_ln_show_the_hyperbolas_not_the_spike_at_0():
    at = formula("ln(x)")
    _, f1, f1_range, _ = panel(at, 1)
    _, f2, f2_range, _ = panel(at, 2)
    assert np.nanmax(f1) > 1e3 and np.nanmin(f2) < -1e5  # the spikes are sent: zooming and hovering reach them
    assert shows(f1_range, 1 / 5, 1 / 0.5, at_most=20)  # 1/x from x = 0.5 to 5 fills the panel
    assert shows(f2_range, -1 / 0.75**2, -1 / 5**2, at_most=20)  # −1/x² from x = 0.75 likewise


@pytest.mark.parametrize(
    ("text", "x", "shape"),  # points away from poles and domain edges, and f, f′, f″ in closed form
    [
        ("e^x/x", [-4, -2, -1, 0.5, 1, 2, 4], lambda x: [np.exp(x) / x, np.exp(x) * (x - 1) / x**2]),
        ("tan x", [-1.2, -0.6, 0, 0.6, 1.2, 2, 3], lambda x: [np.tan(x), 1 / np.cos(x) ** 2]),
        ("sqrt(x)", [0.6, 1, 2, 4, 5], lambda x: [np.sqrt(x), 0.5 / np.sqrt(x), -0.25 / x**1.5]),
        ("x^(1/3)", [-5, -2, -1, 1, 2, 5], lambda x: [np.cbrt(x), np.cbrt(x) ** -2 / 3, -2 / 9 * np.cbrt(x) ** -5]),
        ("sqrt(1 - x^2)", [-0.8, -0.4, 0, 0.4, 0.8], lambda x: [np.sqrt(1 - x * x), -x / np.sqrt(1 - x * x)]),
    ],
)
def test_every_panel_is_scaled_to_its_curve_not_to_a_pole(text, x, shape):
    at = formula(text)
    for k, expected in enumerate(shape(np.array(x, dtype=float))):
        _, _, value_range, _ = panel(at, k)
        low, high = expected.min(), expected.max()
        # The curve away from poles and edges is inside the range and fills at least a tenth of it.
        assert shows(value_range, low, high, at_most=10 * max(high - low, 1.0)), (text, k, value_range, low, high)


def test_a_derivative_that_is_rounding_noise_is_drawn_flat_and_said_to_be():
    at = formula("sin(x)^2 + cos(x)^2")
    _, _, f_range, _ = panel(at, 0)
    assert f_range[0] < 1 < f_range[1] and f_range[1] - f_range[0] >= 0.05  # a constant's axis, not 1 ± 1e-16
    for k, said in ((1, "= 0"), (2, "= 0 up to rounding")):  # f′ comes out exactly 0, f″ as ±2e-16
        _, values, value_range, label = panel(at, k)
        assert np.all(values == 0) and value_range == (-1.0, 1.0)
        assert said in label and ("rounding" in label) == (k == 2)
    _, values, _, label = panel(formula("x^2 sin x"), 2)
    assert "rounding" not in label and np.abs(values).max() > 20


def test_the_last_result_box_shows_the_formula_as_code(app):
    ok(app.text_input(key="expr").input("2*pi*x").run())
    ok(app.text_input(key="expr").input("2*pi*x +").run())
    (info,) = [info.value for info in app.info if "Showing the last result" in info.value]
    assert "`f(x) = 2*pi*x`" in info


def test_an_empty_formula_asks_for_one_without_a_caret(app):
    ok(app.text_input(key="expr").input("").run())
    assert not app.error
    (info,) = [info.value for info in app.info if "mpty formula" in info.value]
    assert "```" not in info and not info.rstrip().endswith("^")  # no caret pointing at nothing
    assert traces(app) == ["f", "f′", "f″"]  # the last result stays


def test_the_metrics_at_x0_fit_their_columns(app):
    ok(app.number_input(key="x0").set_value(5.0).run())  # x³ + sin x at 5: curvature 0.00225…, radius 444.4…
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["curvature κ"] == f"{30.95892427466314 / (1 + 75.28366218546323**2) ** 1.5:.4g}"
    assert all(len(value) <= 9 for value in shown.values()), shown


def test_legends_sit_below_their_charts_clear_of_the_toolbar_and_titles(app):
    legend = chart(app)["layout"]["legend"]
    assert (legend["yref"], legend["y"], legend["yanchor"], legend["orientation"]) == ("container", 0, "bottom", "h")
    steps = json.loads(app.get("plotly_chart")[1].proto.spec)["layout"]  # the lab's chart, titled
    assert steps["title"]["text"] and steps["legend"]["yref"] == "container" and steps["legend"]["y"] == 0


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("x^2 sin x", {0.0: "root, stationary point (no extremum), inflection point"}),
        ("e^x/x", {0.0: "pole", 1.0: "minimum"}),
        ("sqrt(x)", {0.0: "root, minimum at an edge of the domain"}),
        ("x^(1/4)", {0.0: "root, minimum at an edge of the domain"}),
        ("x^(1/3)", {0.0: "root, inflection point"}),  # the real cube root: a vertical tangent at 0
    ],
)
def test_points_of_interest_are_one_row_per_place_at_exact_numbers(text, places):
    table = formula(text).table[1].value
    found = dict(zip(table["x"].astype(float), table["what it is"], strict=True))
    assert {x: found.get(x) for x in places} == places


def test_a_derivative_that_is_rounding_noise_gets_one_note_not_one_per_stretch():
    at = formula("sin(x)^2 + cos(x)^2")
    notes = [caption.value for caption in at.caption if "is 0" in caption.value]
    assert notes == [
        ":material/info: f′ is 0 everywhere in this range: no critical points",
        ":material/info: f″ is 0 everywhere in this range (up to rounding): no inflection points",
    ]
    assert any("f″ agrees up to rounding" in md.value for md in at.markdown)  # the symbolic check's badge too


# ---------------------------------------------------------------------------------------------------------------------
# Honest at the edges: what the page says where f is not smooth, and rounding noise never shown as data


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def interest_table(at: AppTest):
    return next(t.value for t in at.table if "what it is" in t.value.columns)


def joins_across(x: np.ndarray, y: np.ndarray, size: float) -> list[float]:
    """Where the line sent joins two neighbouring points more than `size` apart in y: a vertical stroke."""
    both = np.isfinite(y[:-1]) & np.isfinite(y[1:])
    return x[:-1][both & (np.abs(np.diff(y)) > size)].tolist()


def test_at_a_corner_the_derivatives_are_undefined_on_the_page_as_in_the_tables():
    at = formula("|x|", x0="0")
    assert metrics(at)["f′(x₀)"] == "undefined" and metrics(at)["f(x₀)"] == "0"
    assert any("x₀ = 0 is a corner of f" in c.value for c in at.caption)
    assert "tangent at x₀" not in insight(at)  # no tangent at a corner
    row = interest_table(at).iloc[0]
    assert row.tolist() == ["0", "root, minimum, corner", "0", "undefined (corner)", "undefined (corner)", "-1", "1"]
    x, y, _, _ = panel(at, 1)
    assert joins_across(x, y, 0.5) == []  # f′ jumps from -1 to 1: a gap, no vertical line


@pytest.mark.parametrize(("text", "row", "size"), [("floor(x)", 0, 0.5), ("max(sin x, cos x)", 1, 0.5)])
def test_no_line_is_drawn_across_a_jump_in_any_panel(text, row, size):
    x, y, _, _ = panel(formula(text), row)
    assert joins_across(x, y, size) == []


def test_a_step_function_lists_its_jumps_with_their_one_sided_values():
    at = formula("floor(x)")
    jumps = interest_table(at)
    assert len(jumps) == 11 and set(jumps["what it is"]) == {"jump"}
    assert jumps.iloc[6][["x", "f", "f(x⁻)", "f(x⁺)"]].tolist() == ["1", "1", "0", "1"]
    marks = insight(at)["jump"]
    assert len(array(marks["x"])) == 22  # a filled dot at f's value, an open one at the other side's
    assert not any("None in this range" in c.value for c in at.caption)


def test_a_hole_is_listed_and_x0_does_not_start_on_it():
    at = formula("(x^2-1)/(x-1)")
    holes = interest_table(at)
    assert holes.iloc[1].tolist() == ["1", "hole", *["undefined (hole)"] * 3, "2", "2"]
    assert at.number_input(key="x0").value == 0.5 and metrics(at)["f(x₀)"] == "1.5"
    notes = [c.value for c in at.caption if c.value.startswith(":material/info:")]
    assert notes == [":material/info: f″ is 0 everywhere in this range (up to rounding): no inflection points"]
    assert array(insight(at)["hole"]["y"]).tolist() == [2.0]


def test_a_chosen_x0_stays_where_it_was_put():
    at = formula("(x^2-1)/(x-1)", x0="1")  # from a link: chosen, even on the hole
    assert at.number_input(key="x0").value == 1.0 and metrics(at)["f(x₀)"] == "undefined"


def test_rounding_noise_is_0_in_the_tables_hovers_and_the_points_of_interest():
    at = formula("tan x", at="pi, -pi, 1")
    values = points_table(at)
    assert values["f"].tolist()[:2] == [0.0, 0.0]  # tan(π) = -1.2e-16, the tangent of the float nearest π
    places = interest_table(at)
    assert not places.apply(lambda column: column.str.contains("e-1")).any(axis=None)
    poles = places[places["what it is"] == "pole"]
    assert set(poles["f"]) == {"undefined (pole)"} and set(poles["f(x⁺)"]) == {"−∞"}
    _, f2, _, _ = panel(formula("sin(x)^2 + cos(x)^2 + x"), 2)
    assert np.all(f2[np.isfinite(f2)] == 0)  # f″ is sent as 0 where it is ±1e-16


def test_the_points_of_interest_file_has_one_row_per_place_and_the_pages_column_names():
    """The download's builder, as the page calls it: by_place's frame."""
    from derivlib.analysis import by_place

    found = derivlib.points_of_interest("tan x", -5, 5)
    lines = derivlib.to_csv(by_place(found)).splitlines()
    assert lines[0] == "x,what it is,f,f′,f″,f(x⁻),f(x⁺),f′(x⁻),f′(x⁺)"
    assert sum("root" in line for line in lines) == 3 and not any("e+14" in line or "e+28" in line for line in lines)


def test_sin_of_one_over_x_lists_at_most_fifty_places():
    at = formula("sin(1/x)")
    assert len(interest_table(at)) <= 50
    assert any("oscillates faster than the grid resolves near x = 0" in c.value for c in at.caption)


def test_x_to_the_two_thirds_is_drawn_for_negative_x_too():
    x, f, _, _ = panel(formula("x^(2/3)"), 0)
    assert np.all(np.isfinite(f[x < -0.5])) and f[x < -4].min() > 2.5
    assert interest_table(formula("x^(2/3)")).iloc[0]["what it is"] == "root, minimum, cusp"


def test_the_parts_of_the_page_stay_where_they_are_whatever_is_above_them():
    """Sliders appearing, a message under the formula box: the parts below keep their identities, so that a run cut
    short by the next change never leaves a part to be run twice."""
    assert_parts_stay_put(run(), "expr", ["a x^2 + b sin(c x)", "x^^2", "x^3"])
