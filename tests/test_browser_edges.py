"""Honest at the edges, in a real browser: corners, jumps, holes, poles, oscillation and rounding noise as a student
sees them, on a laptop (1366 × 768) and a phone (390 × 844).

Each test saves its screenshots to look at (DERIVLIB_SCREENSHOTS=folder keeps them; otherwise pytest's tmp_path) and
checks, as numbers, what they must show: no line across a jump, no made-up derivative, no rounding noise as data.
The fixtures are conftest.py's (its own `streamlit run` for this module).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_kit import FIRST_LOAD_MS, LAPTOP, PHONE, snap, wait_until_idle

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # test_browser's fixture says so
    expect = None


def open_page(tab, server: str, query: dict, path: str = "") -> None:
    tab.goto(f"{server}/{path}?{urlencode(query)}")
    tab.wait_for_function(
        "() => { const p = document.querySelector('.stPlotlyChart .js-plotly-plot'); return p && p._fullData; }",
        timeout=FIRST_LOAD_MS,
    )
    wait_until_idle(tab)
    assert tab.get_by_test_id("stException").count() == 0


def curves(tab) -> list[dict]:
    """f, f′ … as drawn: x and y (NaN kept as null), per panel."""
    return tab.evaluate(
        """() => document.querySelector('.stPlotlyChart .js-plotly-plot')._fullData
            .filter(t => t.meta !== 'insight').map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))"""
    )


def joins_across(curve: dict, size: float) -> list[float]:
    """Where the drawn line joins two neighbouring points more than `size` apart in y (a vertical stroke)."""
    xs, ys = curve["x"], curve["y"]
    return [
        xs[i]
        for i in range(len(ys) - 1)
        if ys[i] is not None and ys[i + 1] is not None and abs(ys[i + 1] - ys[i]) > size
    ]


def table_rows(table) -> list[list[str]]:
    """A table's rows as the browser shows them: the text of each cell, the header row first."""
    return table.evaluate(
        """element => Array.from(element.querySelectorAll('tr')).map(
            row => Array.from(row.querySelectorAll('th, td')).map(cell => cell.innerText.trim()))"""
    )


def places(tab) -> list[list[str]]:
    """The points-of-interest table, as text rows (the header first)."""
    return table_rows(tab.get_by_test_id("stTable").filter(has_text="what it is").first)


def row_at(tab, x: str) -> str:
    """The points of interest's row at x, its cells joined by " | "."""
    (row,) = [row for row in places(tab) if row and row[0] == x]
    return " | ".join(row)


def metric(tab, label: str) -> str:
    return tab.get_by_test_id("stMetric").filter(has_text=label).first.get_by_test_id("stMetricValue").inner_text()


def test_a_corner_has_no_derivative_and_no_line_across_its_jump(tab, server, shots):
    open_page(tab, server, {"expr": "|x|", "x0": "0"})
    snap(tab, shots, "abs-laptop")
    corner = row_at(tab, "0")
    assert "root, minimum, corner" in corner and corner.count("undefined (corner)") == 2, corner
    assert metric(tab, "f′(x₀)") == "undefined" and metric(tab, "f(x₀)") == "0"
    derivative = curves(tab)[1]
    assert joins_across(derivative, 0.5) == []  # f′ = -1 then 1: a gap, no vertical line at 0
    tab.set_viewport_size(PHONE)
    open_page(tab, server, {"expr": "max(sin x, cos x)"})
    snap(tab, shots, "max-sin-cos-phone")
    assert "minimum, corner" in row_at(tab, "0.7853981634")
    assert joins_across(curves(tab)[1], 0.5) == []


def test_a_step_function_jumps_with_gaps_and_its_one_sided_values(tab, server, shots):
    tab.set_viewport_size(PHONE)
    open_page(tab, server, {"expr": "floor(x)"})
    snap(tab, shots, "floor-phone")
    tab.set_viewport_size(LAPTOP)
    open_page(tab, server, {"expr": "floor(x)"})
    snap(tab, shots, "floor-laptop")
    jumps = [row for row in places(tab)[1:] if "jump" in row[1]]
    assert len(jumps) == 11 and jumps[6][:3] == ["1", "jump", "1"] and jumps[6][-2:] == ["0", "1"], jumps
    assert joins_across(curves(tab)[0], 0.5) == []  # no risers between the steps
    assert tab.get_by_text("None in this range").count() == 0
    dots = tab.evaluate(
        """() => document.querySelector('.stPlotlyChart .js-plotly-plot')._fullData
            .filter(t => t.name === 'jump').map(t => t.x.length)"""
    )
    assert dots == [22]  # a filled dot and an open one at each jump


def test_a_hole_is_marked_listed_with_its_limit_and_x0_starts_beside_it(tab, server, shots):
    open_page(tab, server, {"expr": "(x^2-1)/(x-1)"})
    snap(tab, shots, "hole-laptop")
    assert row_at(tab, "1") == "1 | hole | undefined (hole) | undefined (hole) | undefined (hole) | 2 | 2"
    assert metric(tab, "f(x₀)") == "1.5"  # x₀ = 0.5, not 1, where f has no value
    notes = [text for text in tab.get_by_test_id("stCaptionContainer").all_inner_texts() if "up to rounding" in text]
    assert [note.removeprefix("info ") for note in notes] == [  # the icon's name comes first as text
        "f″ is 0 everywhere in this range (up to rounding): no inflection points"
    ], notes
    assert tab.get_by_text("faster than the grid resolves").count() == 0
    tab.set_viewport_size(PHONE)  # a phone opens the link: its sidebar collapsed
    open_page(tab, server, {"expr": "(x^2-1)/(x-1)"})
    snap(tab, shots, "hole-phone")


def test_an_oscillation_is_listed_in_part_and_said_so(tab, server, shots):
    open_page(tab, server, {"expr": "sin(1/x)"})
    snap(tab, shots, "sin-one-over-x-laptop")
    assert len(places(tab)) - 1 <= 50
    expect(tab.get_by_text("oscillates faster than the grid resolves near x = 0", exact=False)).to_be_visible()
    height = tab.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    assert height < 6_000, height  # not 9,000 px of table


def test_tan_has_no_rounding_noise_shown_as_data(tab, server, shots):
    open_page(tab, server, {"expr": "tan x", "at": "pi, -pi, 1"})
    snap(tab, shots, "tan-laptop")
    values = table_rows(tab.get_by_test_id("stTable").first)
    assert not any("e-16" in cell or "e-15" in cell for row in values for cell in row), values
    assert values[1][1] == "0.0000", values  # tan(π): -1.2e-16, the tangent of the float nearest π, is 0
    for row in places(tab)[1:]:
        assert not any("e-1" in cell for cell in row), row  # roots at f = 0, inflection points at f″ = 0
        if row[1] == "pole":
            assert row[2:5] == ["undefined (pole)"] * 3 and row[-2:] == ["∞", "−∞"], row


def test_x_to_the_two_thirds_is_the_whole_cusp(tab, server, shots):
    open_page(tab, server, {"expr": "x^(2/3)"})
    snap(tab, shots, "x-two-thirds-laptop")
    f = curves(tab)[0]
    left = [y for x, y in zip(f["x"], f["y"], strict=True) if x < -1 and y is not None]
    assert left and min(left) > 0.9  # x^(2/3) at x < -1: the real cube root squared, as Desmos draws it
    cusp = row_at(tab, "0")
    assert "root, minimum, cusp" in cusp and "−∞" in cusp and "∞" in cusp, cusp


def test_two_variables_a_corner_minimum_and_a_singular_hessian(tab, server, shots):
    open_page(tab, server, {"expr": "|x| + |y|", "px": "0", "py": "0"}, "two_variables")
    snap(tab, shots, "abs-x-abs-y-laptop")
    critical = " ".join(
        " ".join(row) for row in table_rows(tab.get_by_test_id("stTable").filter(has_text="kind").first)
    )
    assert "minimum" in critical and "undefined (not smooth)" in critical, critical
    assert tab.get_by_text("None in these ranges").count() == 0
    open_page(tab, server, {"expr": "sin x cos y", "px": "1", "py": "1"}, "two_variables")
    snap(tab, shots, "sin-x-cos-y-laptop")
    expect(tab.get_by_text("H is singular", exact=False)).to_be_visible()
    assert tab.get_by_text("negative definite").count() == 0
    point = " ".join(" ".join(row) for row in table_rows(tab.get_by_test_id("stTable").filter(has_text="det H").first))
    assert "e-17" not in point and "e-16" not in point, point
    tab.set_viewport_size(PHONE)
    open_page(tab, server, {"expr": "sin x cos y", "px": "1", "py": "1"}, "two_variables")
    snap(tab, shots, "sin-x-cos-y-phone")
    labels = tab.evaluate(  # the labelled levels, written as text marks
        "() => Array.from(document.querySelectorAll('.stPlotlyChart .textpoint text')).map(t => t.textContent)"
    )
    assert labels and not any("e-" in label for label in labels), labels  # no 1.4e-16 for a level at 0


def test_the_optimisation_page_stops_at_a_kink_and_says_why(tab, server, shots):
    open_page(tab, server, {"expr": "|x| + y^2", "x0": "-1.2", "y0": "1", "methods": "newton"}, "optimisation")
    snap(tab, shots, "optimisation-kink-laptop")
    expect(tab.get_by_text("not differentiable", exact=False).first).to_be_visible()
    assert tab.get_by_text("stopped after max_iter").count() == 0


@pytest.mark.parametrize("screen", ["laptop", "phone"])
def test_the_formulas_students_type_first_fit_the_screen(tab, server, shots, screen):
    """x³ + sin x and eˣ/x on the first page, Himmelblau on the second: the chart drawn, nothing wider than the screen
    (a wide table or formula scrolls in its own box), no rounding noise shown as an exponent in the tables."""
    tab.set_viewport_size(LAPTOP if screen == "laptop" else PHONE)
    width = tab.viewport_size["width"]
    for name, query, path in [
        ("x3-sin", {"expr": "x^3 + sin(x)"}, ""),
        ("exp-over-x", {"expr": "e^x/x"}, ""),
        ("himmelblau", {}, "two_variables"),
    ]:
        open_page(tab, server, query, path)
        snap(tab, shots, f"{name}-{screen}")
        assert tab.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollWidth") <= width, name
        tables = " ".join(tab.get_by_test_id("stTable").all_inner_texts())
        assert "e-16" not in tables and "e-17" not in tables, name
