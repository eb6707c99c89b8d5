"""The page through Streamlit's AppTest: widgets by key, the chart's spec, the tables and the share link."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pyarrow
import pytest
import torch
from streamlit.testing.v1 import AppTest

import derivlib

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TUTORIAL_F1 = [3.5403, 28.6088, 75.2837]  # f′ of x^3 + sin(x) at 1, π, 5
TUTORIAL_F2 = [5.1585, 18.8496, 30.9589]  # f″


def run(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)  # the first run imports torch
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    """The app after a run that raised nothing."""
    assert not at.exception, at.exception
    return at


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
    (line,) = [caption.value for caption in at.caption if "computed in" in caption.value]
    return line


@pytest.fixture
def app() -> AppTest:
    return run()


@pytest.fixture(autouse=True)
def no_compiler(monkeypatch):
    """Each formula typed here would send the compiler to work: one test below turns it on."""
    monkeypatch.setenv("DERIVLIB_FUSE", "0")


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
    assert labels == [
        "Download these values (CSV)",
        "Download the whole grid (CSV, 10,000 rows)",
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
    ok(app.number_input(key="xmin").set_value(0.0).run())
    ok(app.number_input(key="xmax").set_value(2.0).run())
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


def test_an_empty_range_is_refused_with_a_message(app):
    ok(app.number_input(key="xmin").set_value(9.0).run())
    assert any("must be less than" in error.value for error in app.error)
    assert "from -5 to 5" in status(app)


def test_an_unrelated_widget_does_not_recompute(app):
    computed = status(app)  # says how long the computation took, to 3 digits: a recomputation would differ
    ok(app.toggle(key="overlay").set_value(True).run())
    assert {trace["yaxis"] for trace in chart(app)["data"]} == {"y"}
    ok(app.text_input(key="at").input("0, 1").run())
    assert status(app) == computed


def test_the_link_fills_the_inputs():
    query = {"expr": "a*sin(b*x)", "xmin": "-2", "xmax": "3", "points": "1000", "order": "3", "device": "cpu"}
    query |= {"dtype": "float32", "at": "0, pi/2", "p_a": "2", "p_b": "0.5", "overlay": "1"}
    at = run(query)
    assert at.text_input(key="expr").value == "a*sin(b*x)"
    assert (at.number_input(key="xmin").value, at.number_input(key="xmax").value) == (-2.0, 3.0)
    assert at.select_slider(key="points").value == 1000
    assert at.slider(key="order").value == 3
    assert at.radio(key="dtype").value == "float32"
    assert at.text_input(key="at").value == "0, pi/2"
    assert (at.slider(key="p_a").value, at.slider(key="p_b").value) == (2.0, 0.5)
    assert at.toggle(key="overlay").value is True
    assert traces(at) == ["f", "f′", "f″", "f‴"]
    assert points_table(at)["f"].astype(float).tolist() == pytest.approx([0.0, 2 * np.sin(np.pi / 4)], abs=1e-6)
    assert "in float32" in status(at)
    assert not at.warning
    assert dict(at.query_params) == query  # and the link stays as it came


def test_changed_inputs_update_the_link(app):
    assert app.query_params["expr"] == "x^3 + sin(x)"
    ok(app.text_input(key="expr").input("k x^2").run())
    ok(app.slider(key="p_k").set_value(2.5).run())
    ok(app.slider(key="order").set_value(5).run())
    ok(app.number_input(key="xmax").set_value(7.5).run())
    ok(app.select_slider(key="points").set_value(100_000).run())
    ok(app.radio(key="dtype").set_value("float32").run())
    ok(app.text_input(key="at").input("pi/2").run())
    assert dict(app.query_params) == {
        "expr": "k*x^2",
        "xmin": "-5",
        "xmax": "7.5",
        "points": "100000",
        "order": "5",
        "device": "cpu",
        "dtype": "float32",
        "at": "pi/2",
        "p_k": "2.5",
        "overlay": "0",
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
        ({"xmin": "nan"}, "`xmin=nan` could not be used (not a finite number)", "xmin", -5.0),
        ({"xmin": "3", "xmax": "1"}, "the range 3 … 1 is empty: using -5 … 5", "xmax", 5.0),
        ({"at": "1, 2,"}, "`at=1, 2,` could not be used (empty item", "at", "1, pi, 5"),
        ({"points": "1e400"}, "`points=1e400` could not be used (not a finite number)", "points", 10_000),
        ({"order": "2.5"}, "`order=2.5` could not be used (not a whole number)", "order", 2),
        ({"overlay": "maybe"}, "`overlay=maybe` could not be used (write 1 or 0)", "overlay", False),
        ({"expr": "x`" * 300}, "could not be used (formula too long", "expr", "x^3 + sin(x)"),
        ({"expr": "a x", "p_a": "1e9"}, "`p_a=1e9` could not be used (parameters go from -10 to 10)", "p_a", 1.0),
        ({"p_q": "2"}, "`p_q`: the formula has no parameter q, ignored", "expr", "x^3 + sin(x)"),
        ({"colour": "red"}, "`colour` is not a setting of this page: ignored", "expr", "x^3 + sin(x)"),
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
    assert list(table.columns) == ["kind", "x", "f", "f′", "f″"]
    assert table["kind"].tolist() == ["root", "inflection"]  # x³ + sin x on [-5, 5]: both at 0
    assert table["x"].astype(float).abs().max() < 1e-12
    marks = insight(app)
    assert array(marks["root"]["x"]) == pytest.approx([0.0], abs=1e-12)
    assert array(marks["inflection"]["x"]) == pytest.approx([0.0], abs=1e-12)

    tangent = marks["tangent at x₀"]  # x₀ = 1: f(1) + f′(1)(x − 1)
    x, y = array(tangent["x"]), array(tangent["y"])
    assert y == pytest.approx(1 + np.sin(1) + (3 + np.cos(1)) * (x - 1))
    ok(app.number_input(key="x0").set_value(2.0).run())
    x, y = array(insight(app)["tangent at x₀"]["x"]), array(insight(app)["tangent at x₀"]["y"])
    assert y == pytest.approx(8 + np.sin(2) + (12 + np.cos(2)) * (x - 2))
    assert array(insight(app)["x₀"]["x"]) == pytest.approx([2.0])

    trap = app.table[2].value  # the lab: x.grad after two backward() calls holds f′ + f″
    assert trap.iloc[:, -1].astype(float).round(4).tolist() == [8.6988, 47.4584, 106.2426]
    assert any("import torch" in code.value for code in app.code)
    assert [latex.value.split("=")[0].strip("$\n ") for latex in app.latex] == ["f'(x)", "f''(x)"]
    assert any("f′ agrees" in md.value for md in app.markdown) and any("f″ agrees" in md.value for md in app.markdown)


def test_taylor_order_and_remainder(app):
    ok(app.slider(key="order").set_value(4).run())
    ok(app.number_input(key="taylor_order").set_value(3).run())
    ok(app.toggle(key="remainder").set_value(True).run())
    marks = insight(app)
    assert {"Taylor T₃", "|f − T₃|", "osculating circle"} <= set(marks)
    ok(app.slider(key="order").set_value(2).run())  # the Taylor order follows the highest derivative down
    assert app.number_input(key="taylor_order").value == 2


FUSED = "a*cos(x)^3 + sqrt(x)"


def test_a_formula_used_once_is_compiled_and_the_next_change_runs_the_compiled_program(monkeypatch):
    monkeypatch.setenv("DERIVLIB_FUSE", "1")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["expr"] = FUSED  # no other test uses it: the first use here is its first use
    at = ok(at.run())
    assert "in Taylor mode (a compiled program for this formula is on its way" in status(at)
    assert derivlib.fused_state(FUSED, order=2) == "waiting"
    first = grid_preview(at)
    state = derivlib.engine.fused.wait(derivlib.parse(FUSED), 2, torch.float64, torch.device("cpu"))
    assert state == "ready"
    at.slider(key="p_a").set_value(2.5)
    at = ok(at.run())
    assert status(at).endswith(", by the compiled program.")
    at.slider(key="p_a").set_value(1.0)  # back to the first value: a cache hit, the first result again
    at = ok(at.run())
    assert grid_preview(at).equals(first)
