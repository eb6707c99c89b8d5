"""The optimisation page in a real browser: opened from a share link on a fresh server, each method's path drawn on
the contour map and its convergence on log scales, a click on the map moving the start, and a path's iterations
downloaded as CSV.

The fixtures are test_browser.py's; imported here, their module scope gives this file its own `streamlit run`, so the
first address the server ever sees is this page's link. Screenshots go to tmp_path, to be looked at.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from test_browser import FIRST_LOAD_MS, browser, page, server, wait_until_idle  # noqa: F401 (fixtures)
from test_browser_two_variables import click_target

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # test_browser's fixture says so
    expect = None

CHARTS = ".stPlotlyChart .js-plotly-plot"
ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"


def drawn(tab) -> list[dict]:
    """Each chart as Plotly drew it: its traces (name, meta, number of points, first point) and y axes' types."""
    return tab.evaluate(
        f"""() => Array.from(document.querySelectorAll('{CHARTS}')).map(plot => ({{
            traces: plot._fullData.map(trace => ({{
                name: trace.name, meta: trace.meta || null, visible: trace.visible,
                points: trace.x ? trace.x.length : 0,
                first: trace.x && trace.x.length ? [trace.x[0], trace.y[0]] : null,
            }})),
            yTypes: Object.keys(plot._fullLayout).filter(key => /^yaxis[0-9]*$/.test(key)).sort()
                .map(key => plot._fullLayout[key].type),
        }}))"""
    )


def wait_for_paths(tab, names: list[str], start: tuple[float, float], timeout: int = 30_000) -> None:
    """Until the map shows exactly these methods' paths, each from `start`, and the convergence plot their lines."""
    tab.wait_for_function(
        f"""([names, start]) => {{
            const plots = document.querySelectorAll('{CHARTS}');
            if (plots.length < 2 || !plots[0]._fullData || !plots[1]._fullData) return false;
            const paths = plots[0]._fullData.filter(trace => trace.meta === 'path');
            const lines = plots[1]._fullData.filter(trace => trace.showlegend).map(trace => trace.name);
            return JSON.stringify(paths.map(trace => trace.name)) === JSON.stringify(names)
                && JSON.stringify(lines) === JSON.stringify(names)
                && paths.every(trace => Math.hypot(trace.x[0] - start[0], trace.y[0] - start[1]) < 1e-6);
        }}""",
        arg=[names, list(start)],
        timeout=timeout,
    )


def test_the_page_opens_from_a_link_draws_the_paths_and_a_click_moves_the_start(page, server, tmp_path):  # noqa: F811
    link = {"expr": ROSENBROCK, "x0": "-1.2", "y0": "1", "methods": "newton,lbfgs", "xmin": "-2", "xmax": "2"}
    link |= {"ymin": "-1", "ymax": "3"}
    page.goto(f"{server}/optimisation?{urlencode(link)}")
    wait_for_paths(page, ["Newton", "L-BFGS"], (-1.2, 1.0), timeout=FIRST_LOAD_MS)
    wait_until_idle(page)

    navigation = page.get_by_test_id("stSidebarNav")
    expect(navigation.get_by_text("Optimisation", exact=True)).to_be_visible()
    assert page.get_by_role("textbox", name="Formula f =", exact=True).input_value() == ROSENBROCK
    the_map, convergence = drawn(page)[:2]
    assert the_map["traces"][0]["name"] == "f"  # the contour first, under the paths
    paths = {t["name"]: t for t in the_map["traces"] if t["meta"] == "path"}
    assert paths["Newton"]["points"] >= 10 and paths["L-BFGS"]["points"] >= 10
    assert {"Newton: minimum found", "L-BFGS: minimum found", "start"} <= {t["name"] for t in the_map["traces"]}
    assert convergence["yTypes"] == ["log", "log"]
    assert {t["meta"] for t in convergence["traces"]} == {"‖∇f‖", "f − f_best"}
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_test_id("stMain").screenshot(path=tmp_path / "optimisation.png")
    charts = page.locator(".stPlotlyChart")
    charts.nth(0).screenshot(path=tmp_path / "paths.png")
    charts.nth(1).screenshot(path=tmp_path / "convergence.png")

    # A click on the map near (0.5, 2.5): both methods start again from there.
    x, y, left, top = click_target(page, 0.5, 2.5)
    page.mouse.click(left, top)
    wait_for_paths(page, ["Newton", "L-BFGS"], (x, y))
    wait_until_idle(page)
    assert page.get_by_role("spinbutton", name="Start x₀ =").input_value() == f"{x:g}"
    assert f"x0={x:g}" in page.url and f"y0={y:g}" in page.url and "methods=newton%2Clbfgs" in page.url
    charts.nth(0).screenshot(path=tmp_path / "paths-clicked.png")

    # Newton's iterations, downloaded: the path from the clicked start to (1, 1).
    page.get_by_text("Newton:", exact=False).filter(has_text="rows").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download Newton's iterations (CSV)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "k,x,y,f,grad_norm,step,evaluations"
    first, last = (
        dict(zip(lines[0].split(","), map(float, row.split(",")), strict=True)) for row in (lines[1], lines[-1])
    )
    assert (first["x"], first["y"]) == (x, y)
    assert (last["x"], last["y"]) == pytest.approx((1.0, 1.0), abs=1e-6)  # Rosenbrock's minimum, known by hand
    assert page.get_by_test_id("stException").count() == 0


def test_one_variable_and_a_failing_run(page, server, tmp_path):  # noqa: F811
    link = {"expr": "x^3 - 2x", "x0": "-1", "methods": "newton,gradient-descent-armijo", "xmin": "-3", "xmax": "2"}
    page.goto(f"{server}/optimisation?{urlencode(link)}")
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHARTS}').length === 2"
        f" && Array.from(document.querySelectorAll('{CHARTS}')).every(plot => plot._fullData)",
        timeout=FIRST_LOAD_MS,
    )
    wait_until_idle(page)
    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="did not converge")
    expect(warning.first).to_contain_text("f decreases without bound")
    curve, convergence = drawn(page)[:2]
    names = [t["name"] for t in curve["traces"]]
    assert names[0] == "f" and "Newton's tangent parabolas" in names and "Newton" in names
    assert any(t["name"].endswith(": stopped") for t in curve["traces"])  # a cross where the runs gave up
    assert convergence["yTypes"] == ["log", "log"]
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_test_id("stMain").screenshot(path=tmp_path / "one-variable.png")
    page.locator(".stPlotlyChart").nth(0).screenshot(path=tmp_path / "curve.png")
