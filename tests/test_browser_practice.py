"""The practice page in a real browser: opened from a link on the running server, the verdict and both curves drawn,
the shading where an answer is wrong, on a laptop (1366 × 768) and a phone (390 × 844).

Screenshots of a right answer (tan(4x), 4 sec(4x)^2), a chain-rule mistake (cos(5x), -sin(5x)) and an answer wrong
only for x < 0 (|x|, 1) go to DERIVLIB_SCREENSHOTS (else pytest's tmp_path), named practice-<case>-<screen>.png.
The fixtures are conftest.py's (its own `streamlit run` for this module).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_kit import FIRST_LOAD_MS, LAPTOP, PHONE, snap, wait_until_idle

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture says so
    expect = None

CHART = ".stPlotlyChart .js-plotly-plot"
VERDICT = ".st-key-practice_verdict"


def open_practice(tab, server: str, query: dict[str, str]) -> None:
    tab.goto(f"{server}/practice?{urlencode(query)}")
    tab.wait_for_function(
        f"() => {{ const p = document.querySelector('{CHART}'); return p && p._fullData; }}", timeout=FIRST_LOAD_MS
    )
    wait_until_idle(tab)
    assert tab.get_by_test_id("stException").count() == 0


def drawn(tab) -> dict:
    """The chart as drawn: each curve's name and how many of its points are defined, and the shaded stretches."""
    return tab.evaluate(
        f"""() => {{
            const plot = document.querySelector('{CHART}');
            return {{
                curves: plot._fullData.filter(t => t.x.length > 1)
                    .map(t => [t.name, Array.from(t.y).filter(v => v !== null && !Number.isNaN(v)).length]),
                shaded: (plot._fullLayout.shapes || []).map(s => [s.x0, s.x1]),
            }};
        }}"""
    )


def answer(tab, expr: str, text: str, expected: str) -> None:
    """Type the formula and the answer as a student does (Enter after each), and wait for the verdict's words."""
    for key, value in (("practice_expr", expr), ("practice_answer", text)):
        box = tab.locator(f".st-key-{key} input")
        box.fill(value)
        box.press("Enter")
        wait_until_idle(tab)
    expect(tab.locator(VERDICT)).to_contain_text(expected)
    tab.wait_for_function(f"() => {{ const p = document.querySelector('{CHART}'); return p && p._fullData; }}")
    wait_until_idle(tab)


def both_screens(tab, shots, name: str) -> None:
    snap(tab, shots, f"practice-{name}-laptop")
    tab.set_viewport_size(PHONE)
    tab.wait_for_timeout(300)
    assert tab.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollWidth") <= PHONE["width"], name
    snap(tab, shots, f"practice-{name}-phone")
    tab.set_viewport_size(LAPTOP)


def test_a_teachers_link_shows_the_verdict_and_where_an_answer_goes_wrong(tab, server, shots):
    open_practice(tab, server, {"expr": "tan(4x)", "answer": "4 sec(4x)^2"})
    expect(tab.locator(VERDICT)).to_contain_text("Right:")
    chart = drawn(tab)
    assert [name for name, _ in chart["curves"]] == ["f′ (correct)", "your answer"] and chart["shaded"] == []
    assert all(defined > 900 for _, defined in chart["curves"]), chart["curves"]  # drawn, gaps at the poles only
    both_screens(tab, shots, "right")

    answer(tab, "cos(5x)", "-sin(5x)", "Not right yet.")
    expect(tab.locator(VERDICT)).to_contain_text("chain rule")
    chart = drawn(tab)
    assert chart["shaded"] and chart["shaded"][0][0] == pytest.approx(-5) and chart["shaded"][-1][1] == 5
    expect(tab.get_by_text("where they differ", exact=True)).to_be_visible()  # the legend says what is shaded
    both_screens(tab, shots, "chain")

    answer(tab, "|x|", "1", "Not right yet.")
    chart = drawn(tab)
    assert chart["shaded"] and all(low >= -5 and high <= 0.02 for low, high in chart["shaded"]), chart["shaded"]
    both_screens(tab, shots, "abs")


def test_a_class_set_link_goes_from_exercise_to_exercise_and_keeps_the_score(tab, server):
    tab.goto(f"{server}/practice?{urlencode({'set': 'x^2, sin(3x)', 'n': '1'})}")
    expect(tab.get_by_text("Exercise 1 of 2", exact=False)).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_until_idle(tab)
    expect(tab.locator(".st-key-practice_expr input")).to_have_value("x^2")
    tab.locator(".st-key-practice_next button").click()
    expect(tab.get_by_text("Exercise 2 of 2", exact=False)).to_be_visible()
    wait_until_idle(tab)
    expect(tab.locator(".st-key-practice_expr input")).to_have_value("sin(3x)")
    answer(tab, "sin(3x)", "3cos(3x)", "Right:")
    expect(tab.get_by_text("Score 1 / 1", exact=False)).to_be_visible()
    assert "n=2" in tab.url and "set=" in tab.url
