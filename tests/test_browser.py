"""The dashboard in a real browser: `streamlit run` on a free port, driven by headless Chromium through Playwright.

Each test loads the page once and chains its interactions (a page load costs seconds: the Plotly bundle is large).
Outside CI the tests skip when Chromium or Playwright is missing; in CI (the CI variable set) they fail instead. The
fixtures (browser, server, page) are conftest.py's; what the browser tests share is browser_kit.py's.
"""

from __future__ import annotations

import gzip
import math
import time
from urllib.parse import urlencode

import pytest
from browser_kit import FIRST_LOAD_MS, TIMEOUT_MS, frames_received, wait_until_idle

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture (conftest.py) says so: a skip outside CI, a failure in CI
    expect = None

pytestmark = pytest.mark.browser


def wait_for_chart(page, names: list[str], f_max: float | None = None, timeout: int = TIMEOUT_MS) -> None:
    """Until Plotly has drawn exactly these traces (by name), and f's largest value is f_max where given."""
    page.wait_for_function(
        """([names, fMax]) => {
            const plot = document.querySelector('.stPlotlyChart .js-plotly-plot');
            if (!plot || !plot._fullData) return false;
            const drawn = plot._fullData.filter(trace => trace.meta !== 'insight').map(trace => trace.name);
            if (JSON.stringify(drawn) !== JSON.stringify(names)) return false;
            return fMax === null || Math.abs(Math.max(...plot._fullData[0].y.filter(Number.isFinite)) - fMax) < 1e-3;
        }""",
        arg=[names, f_max],
        timeout=timeout,
    )


def trace_lengths(page) -> list[int]:
    return page.evaluate("document.querySelector('.stPlotlyChart .js-plotly-plot')._fullData.map(t => t.x.length)")


def test_type_a_formula_then_download_the_grid(page, server, tmp_path):  # the browser first: it may skip
    page.goto(server)
    wait_for_chart(page, ["f", "f′", "f″"], timeout=FIRST_LOAD_MS)
    points = page.get_by_test_id("stTable").first  # the values at your points; the lab has its own tables
    for number in ["3.5403", "28.6088", "75.2837", "5.1585", "18.8496", "30.9589"]:  # the tutorial's f′ and f″
        expect(points.get_by_text(number, exact=True)).to_be_visible()
    wait_until_idle(page)
    page.screenshot(path=tmp_path / "first-load.png")

    formula = page.get_by_role("textbox", name="Formula f(x) =", exact=True)
    formula.fill("x^2")
    formula.press("Enter")
    wait_for_chart(page, ["f", "f′", "f″"], f_max=25.0)  # x^2 on -5 … 5
    page.get_by_role("slider", name="Highest derivative").focus()
    page.keyboard.press("ArrowRight")
    wait_for_chart(page, ["f", "f′", "f″", "f‴"])

    formula.fill("x^2 + sinn(x)")
    formula.press("Enter")
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("unknown function or name 'sinn'")
    expect(error.locator("code")).to_have_text("x^2 + sinn(x)\n      ^")  # monospace: the caret under the s
    wait_until_idle(page)
    wait_for_chart(page, ["f", "f′", "f″", "f‴"], f_max=25.0)  # the last good result stays
    assert max(trace_lengths(page)) <= 5_000
    assert page.get_by_test_id("stException").count() == 0

    with page.expect_download() as download:
        page.get_by_role("button", name="Download the whole grid").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "x_2_grid.csv"
    lines = path.read_text().splitlines()
    assert lines[0] == "x,f,d1,d2,d3"
    assert [float(value) for value in lines[1].split(",")] == pytest.approx([-5.0, 25.0, -10.0, 2.0, 0.0])  # x = -5
    assert len(lines) == 1 + 10_000
    page.screenshot(path=tmp_path / "typed.png")


def test_a_share_link_restores_the_inputs(page, server, tmp_path):
    link = {"expr": "a sin(b x)", "xmin": "-2", "xmax": "3", "points": "1000000", "order": "3", "at": "0, pi/2"}
    link |= {"p_a": "2", "p_b": "0.5", "dtype": "float32", "overlay": "1", "x0": "0.5", "taylor_order": "3"}
    link |= {"remainder": "1", "file_format": "CSV, compressed"}
    page.goto(f"{server}/?{urlencode(link)}")
    wait_for_chart(page, ["f", "f′", "f″", "f‴"], f_max=2 * math.sin(1.5), timeout=FIRST_LOAD_MS)  # 2 sin(x/2), x ≤ 3
    wait_until_idle(page)
    assert page.get_by_role("textbox", name="Formula f(x) =", exact=True).input_value() == "a sin(b x)"
    assert page.get_by_role("textbox", name="Evaluate at x =", exact=True).input_value() == "0, pi/2"
    assert page.get_by_role("slider", name="Parameter a").input_value() == "2"
    assert page.get_by_role("slider", name="Parameter b").input_value() == "0.5"
    assert page.get_by_role("radio", name="float32").is_checked()
    assert page.get_by_role("spinbutton", name="Tangent and Taylor at x₀ =").input_value() == "0.5"
    assert page.get_by_role("spinbutton", name="Taylor order n").input_value() == "3"
    assert page.get_by_role("radio", name="CSV, compressed").is_checked()
    expect(page.get_by_text("1,000,000 points from -2 to 3")).to_be_visible()
    assert max(trace_lengths(page)) <= 5_000  # a million points computed, a few thousand sent
    assert page.get_by_test_id("stWarning").count() == 0
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=tmp_path / "shared.png")

    # The million rows, compressed: the button spins while the file is built, then the file arrives.
    button = page.get_by_role("button", name="Download the whole grid")
    with page.expect_download(timeout=60_000) as download:
        button.click()
        expect(button).to_be_disabled()  # Streamlit's spinner while the file is prepared
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "a_sin_b_x_grid.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert lines[0] == "x,f,d1,d2,d3" and len(lines) == 1 + 1_000_000
    assert float(lines[-1].split(",")[1]) == pytest.approx(2 * math.sin(1.5), rel=1e-6)  # float32: x = 3


def chart_layout(page) -> dict:
    """The chart as Plotly drew it: each panel's y range and label, and each trace's drawn y values."""
    return page.evaluate(
        """() => {
            const plot = document.querySelector('.stPlotlyChart .js-plotly-plot');
            const layout = plot._fullLayout;
            const axes = Object.keys(layout).filter(key => /^yaxis[0-9]*$/.test(key)).sort();
            return {
                ranges: axes.map(key => layout[key].range),
                labels: (layout.annotations || []).map(note => note.text),
                traces: plot._fullData.filter(trace => trace.meta !== 'insight').map(trace => Array.from(trace.y)),
                height: plot.getBoundingClientRect().height,
                legend: document.querySelector('.stPlotlyChart .legend')?.getBoundingClientRect().height || 0,
            };
        }"""
    )


FIRST_FORMULAS = ["e^x/x", "sin(x)^2 + cos(x)^2", "x^2 sin x", "ln(x)", "tan x"]  # what students type first


def test_the_formulas_students_type_first_show_their_shape(page, server, tmp_path):
    """Screenshots to look at (tmp_path); and, as numbers, what they must show."""
    for i, text in enumerate(FIRST_FORMULAS):
        page.goto(f"{server}/?{urlencode({'expr': text})}")
        wait_for_chart(page, ["f", "f′", "f″"], timeout=FIRST_LOAD_MS)
        wait_until_idle(page)
        chart = page.locator(".stPlotlyChart").first
        chart.screenshot(path=tmp_path / f"chart-{i}.png")
        page.get_by_test_id("stMain").screenshot(path=tmp_path / f"page-{i}.png")
        drawn = chart_layout(page)
        assert all(high - low < 1_000 for low, high in drawn["ranges"]), (text, drawn["ranges"])  # no spike's scale
        if text.startswith("sin(x)^2"):
            assert all(value == 0 for value in drawn["traces"][2]) and "0 up to rounding" in drawn["labels"][2]
            assert page.get_by_text("no inflection points").count() <= 1  # one note, not one per stretch
        if text == "x^2 sin x":
            row = page.get_by_test_id("stTable").nth(1).get_by_role("row").filter(has_text="stationary")
            expect(row).to_have_count(1)  # x = 0 is one row: a root, a stationary point and an inflection point
            expect(row).to_contain_text("root, stationary point (no extremum), inflection point")
        assert page.get_by_test_id("stException").count() == 0


def test_on_a_phone_the_legend_leaves_the_chart_its_height(page, server, tmp_path):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/?{urlencode({'expr': 'x^2 sin x'})}")
    wait_for_chart(page, ["f", "f′", "f″"], timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    drawn = chart_layout(page)
    assert drawn["legend"] < 0.25 * drawn["height"], drawn
    page.locator(".stPlotlyChart").first.screenshot(path=tmp_path / "phone-chart.png")


def test_on_a_phone_the_page_is_whole_and_readable(page, server, tmp_path):
    """At 390 × 844: the title below the header bar, the range's boxes in the page (not in the collapsed sidebar),
    nothing wider than the screen, and a long derivative broken into lines that fit."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/?{urlencode({'expr': 'max(sin x, cos x)'})}")
    wait_for_chart(page, ["f", "f′", "f″"], timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    expect(page.locator(".katex-display").nth(1)).to_be_visible()  # sympy's formulas arrive last
    page.screenshot(path=tmp_path / "phone-page.png", full_page=True)
    header = page.get_by_test_id("stHeader").bounding_box()
    title = page.locator("h1").first.bounding_box()
    assert title["y"] >= header["y"] + header["height"] - 1, (title, header)  # not under the header bar
    for label in ("x from", "x to"):
        box = page.get_by_role("textbox", name=label, exact=True)
        expect(box).to_be_visible()
        assert box.bounding_box()["x"] + box.bounding_box()["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page does not scroll sideways
    formulas = page.evaluate(
        """() => Array.from(document.querySelectorAll('.katex-display'), e => [e.scrollWidth, e.clientWidth])"""
    )
    assert formulas and all(wide <= shown + 4 for wide, shown in formulas), (
        formulas
    )  # every formula fits (±KaTeX's struts)


def click_on_f(page, x: float) -> None:
    """Click the f curve at its drawn point nearest x (on screen: the point's pixel, from Plotly's own axes)."""
    where = page.evaluate(
        """(x) => {
            const plot = document.querySelector('.stPlotlyChart .js-plotly-plot'), layout = plot._fullLayout;
            const f = plot._fullData[0], box = plot.getBoundingClientRect();
            let k = 0;
            for (let i = 0; i < f.x.length; i++) if (Math.abs(f.x[i] - x) < Math.abs(f.x[k] - x)) k = i;
            return [box.left + layout.xaxis._offset + layout.xaxis.l2p(f.x[k]),
                    box.top + layout.yaxis._offset + layout.yaxis.l2p(f.y[k])];
        }""",
        x,
    )
    page.mouse.click(*where)


def wait_for_x0(page, x: float, within: float) -> None:
    box = page.get_by_role("spinbutton", name="Tangent and Taylor at x₀ =", exact=True)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while abs(float(box.input_value()) - x) > within:
        assert time.monotonic() < deadline, f"x₀ is {box.input_value()}, not {x} ± {within}"
        time.sleep(0.1)


def test_a_click_on_the_f_curve_always_moves_x0(page, server):
    # Where the tangent and the Taylor polynomial cross the click's x they once came first, and selected nothing.
    page.goto(f"{server}/?{urlencode({'expr': 'exp(-x^2)*cos(5x)', 'xmin': -2, 'xmax': 2})}")
    wait_for_chart(page, ["f", "f′", "f″"], timeout=FIRST_LOAD_MS)
    for x in (0.5, -1.0, 1.3):
        wait_until_idle(page)
        click_on_f(page, x)
        wait_for_x0(page, x, 1e-2)  # the drawn point of f nearest the click (a pixel is 0.003 here)
    wait_until_idle(page)
    click_on_f(page, -0.94)  # beside the root's marker, at -3π/10: x₀ moves onto the root itself
    wait_for_x0(page, -0.3 * math.pi, 1e-9)


def test_a_parameter_slider_sends_only_the_parts_that_depend_on_it(page, server):
    """A slider step reruns the chart, the tables and the lab (fragments), not the header, the formula box or the
    sidebar: the server sends nothing of theirs (their text is in no message) while the chart changes."""
    page.goto(f"{server}/?{urlencode({'expr': 'a*sin(x)'})}")
    received = frames_received(page)
    page.reload()
    wait_for_chart(page, ["f", "f′", "f″"], f_max=1.0, timeout=FIRST_LOAD_MS)
    wait_until_idle(page)
    assert any(b"derivatives of a formula" in frame for frame in received)  # the full run sent the title
    received.clear()
    page.get_by_role("slider", name="Parameter a").focus()
    page.keyboard.press("ArrowRight")
    wait_for_chart(page, ["f", "f′", "f″"], f_max=1.01)
    wait_until_idle(page)
    sent = b"".join(received)
    assert b"Values at your points" in sent  # the parts below the sliders were drawn again …
    for text in ("derivatives of a formula", "Points evenly spaced over the range", "Read as"):  # … nothing above
        assert text.encode() not in sent, text
