"""The basins map (derivlib/figures/basins.py): a colour per critical point reached, shaded by iterations."""

from __future__ import annotations

import numpy as np
import pytest

from derivlib.basins import basins
from derivlib.figures.basins import ELSEWHERE_COLOUR, FAILED_COLOUR, basin_colours, basins_figure, basins_legend
from derivlib.figures.two_variables import CRITICAL

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


@pytest.fixture(scope="module")
def found():
    return basins(HIMMELBLAU, (-5, 5), (-5, 5), method="newton-plain", side=30)


def colour_at(figure, z: int) -> str:
    """The colour the heatmap's stepwise scale gives the value z."""
    trace = figure.data[0]
    top = trace.zmax
    for (low, colour), (high, _) in zip(trace.colorscale[::2], trace.colorscale[1::2], strict=True):
        if low * top - 1e-9 <= z <= high * top + 1e-9:
            return colour
    raise AssertionError(z)


def test_each_start_is_coloured_by_the_point_it_reaches_and_the_points_are_marked(found):
    figure = basins_figure(found, "Newton (plain)")
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap" and np.shape(heatmap.z) == (30, 30)
    colours = basin_colours(found)
    for j, i in [(0, 0), (15, 15), (29, 3), (7, 22)]:
        label = found.labels[j, i]
        base = colours[label]
        shade = heatmap.z[j][i] % 4
        assert heatmap.z[j][i] // 4 == label
        if shade == 0:
            assert colour_at(figure, heatmap.z[j][i]) == base
        assert f"{found.iterations[j, i]}" == str(heatmap.customdata[j][i][1])
    marked = {trace.name: len(trace.x) for trace in figure.data if trace.meta == CRITICAL}
    assert marked == {"minimum": 4, "maximum": 1, "saddle point": 4}


def test_the_legend_lists_every_basin_with_its_share_of_the_starts(found):
    rows = basins_legend(found)
    assert sum(share for _, _, share in rows) == pytest.approx(1.0)
    assert rows[-2][:2] == (FAILED_COLOUR, "did not converge") and rows[-1][:2] == (
        ELSEWHERE_COLOUR,
        "converged outside the box",
    )
    assert len({colour for colour, _, _ in rows}) == len(rows)  # one colour per basin
    assert any(words.startswith("maximum at (-0.2708") for _, words, _ in rows)


def test_failures_are_dark_and_more_iterations_darker():
    slow = basins("x^2 + 10 y^2", (-1, 1), (-1, 1), method="gradient-descent", side=6, max_iter=5)
    figure = basins_figure(slow, "gradient descent")
    assert {colour_at(figure, z) for row in figure.data[0].z for z in row} == {FAILED_COLOUR}
