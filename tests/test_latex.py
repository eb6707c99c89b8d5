"""Long formulas broken into lines at a + or − between terms, never inside a group."""

from __future__ import annotations

import re

import pytest

import derivlib
from derivlib.latex import lines, visible


def rows(latex: str) -> list[str]:
    body = latex.removeprefix("\\begin{aligned}").removesuffix("\\end{aligned}")
    return [row.strip() for row in body.split("\\\\")]


def test_a_short_formula_stays_on_one_line():
    assert lines("f'(x) = 3 x^{2} + \\cos{\\left(x \\right)}") == "f'(x) = 3 x^{2} + \\cos{\\left(x \\right)}"


@pytest.mark.parametrize(("expr", "order"), [("exp(-x^2)*cos(5x)", 3), ("x^7 sin(x) + x^5 cos(x) + x^3 exp(x)", 2)])
def test_a_long_derivative_is_broken_into_lines_that_fit(expr, order):
    latex = derivlib.derivative_formulas(expr, order, timeout=30)[order].latex
    broken = lines(f"f(x) = {latex}", width=40)
    assert broken.startswith("\\begin{aligned} f(x) &= ") and len(rows(broken)) >= 2
    for row in rows(broken):
        assert visible(row) <= 40 or not re.search(r" [+-] ", row)  # a row too wide is one term that cannot break
        assert row.count("{") == row.count("}")  # never inside braces
        assert row.count("\\left") == row.count("\\right")  # and never inside a stretched bracket


def test_a_product_with_a_long_bracket_breaks_inside_it_with_fixed_brackets():
    broken = lines("g = \\left(aaaa + bbbb + cccc\\right) e^{x}", width=12)
    assert "\\Bigl(" in broken and "\\Bigr)" in broken and "\\left" not in broken


def test_visible_width_counts_a_fraction_by_its_wider_part():
    assert visible("\\frac{\\sin{\\left(x \\right)}}{2}") == len("sin(x)")
