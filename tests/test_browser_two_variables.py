"""The two-variable page in a real browser: opened from a share link on a fresh server, the contour, its arrows and
its critical points drawn, and a click on the map picking a point whose values then appear.

The fixtures are conftest.py's; their module scope gives this file its own `streamlit run`, so the
first address the server ever sees is the second page's link (a server that has not yet run the entry must still
show the app's page list and this page).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_kit import FIRST_LOAD_MS, MAP, click_target, wait_until_idle

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # test_browser's fixture says so
    expect = None


def map_traces(tab) -> list[dict]:
    """The contour map's traces as Plotly drew them: name, type, meta and number of points."""
    return tab.evaluate(
        f"""() => document.querySelector('{MAP}')._fullData.map(trace => ({{
            name: trace.name, type: trace.type, meta: trace.meta || null,
            points: trace.x ? trace.x.length : 0,
        }}))"""
    )


def test_the_second_page_opens_from_a_link_and_a_click_picks_a_point(page, server, tmp_path):
    link = {"expr": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", "xmin": "-5", "xmax": "5", "ymin": "-5", "ymax": "5"}
    link |= {"points": "200", "px": "1", "py": "1"}
    page.goto(f"{server}/two_variables?{urlencode(link)}")
    page.wait_for_function(
        f"() => document.querySelector('{MAP}')?._fullData?.some(trace => trace.meta === 'critical')",
        timeout=FIRST_LOAD_MS,
    )
    wait_until_idle(page)

    # The app's own page list, even though the server's first visitor came straight to this page.
    navigation = page.get_by_test_id("stSidebarNav")
    expect(navigation.get_by_text("Two variables", exact=True)).to_be_visible()
    expect(navigation.get_by_text("One variable", exact=True)).to_be_visible()
    assert page.get_by_role("textbox", name="Formula f(x, y) =", exact=True).input_value() == link["expr"]

    traces = map_traces(page)
    assert traces[0]["type"] == "contour"
    critical = [trace for trace in traces if trace["meta"] == "critical"]
    assert sorted(trace["name"] for trace in critical) == ["maximum", "minimum", "saddle point"]
    assert sum(trace["points"] for trace in critical) == 9  # Himmelblau: 4 minima, 1 maximum, 4 saddles
    assert any(trace["name"].startswith("∇f") for trace in traces)  # the gradient arrows
    expect(page.get_by_text("at (1, 1)", exact=True)).to_be_visible()
    page.get_by_test_id("stMain").screenshot(path=tmp_path / "two-variables.png")

    # A click on the map, near (3, -1.5): the picked point moves there and its values follow.
    x, y, left, top = click_target(page, 3, -1.5)
    page.mouse.click(left, top)
    label = f"at ({x:g}, {y:g})"
    expect(page.get_by_text(label, exact=True)).to_be_visible(timeout=30_000)
    wait_until_idle(page)
    f = (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2
    row = page.get_by_test_id("stTable").filter(has_text=label).get_by_role("row").filter(has_text="f(x₀, y₀)")
    assert float(row.get_by_role("cell").last.inner_text()) == pytest.approx(f, rel=1e-9)
    assert f"px={x:g}" in page.url and f"py={y:g}" in page.url  # the link follows the pick
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_test_id("stMain").screenshot(path=tmp_path / "two-variables-picked.png")
