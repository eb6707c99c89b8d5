"""Basins of attraction (derivlib/basins.py): each start of a grid labelled by the critical point its run reaches."""

from __future__ import annotations

import numpy as np
import pytest

import derivlib
from derivlib.basins import ELSEWHERE, FAILED, basins

HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
BOX = ((-5.0, 5.0), (-5.0, 5.0))


@pytest.fixture(scope="module")
def plain():
    return basins(HIMMELBLAU, *BOX, method="newton-plain", side=40)


def test_plain_newton_is_drawn_to_saddles_and_the_maximum_where_modified_newton_is_not(plain):
    modified = basins(HIMMELBLAU, *BOX, method="newton", side=40, critical=plain.critical)
    assert modified.shares()["minimum"] == 1.0
    assert plain.shares()["saddle"] > 0.1 and plain.shares()["maximum"] > 0.01
    assert sorted(plain.critical["kind"].value_counts().items()) == [("maximum", 1), ("minimum", 4), ("saddle", 4)]


def test_each_label_is_the_critical_point_the_start_s_own_run_reaches(plain):
    """The label of a start is checked against minimize() from it alone, for a few starts of each kind."""
    rng = np.random.default_rng(0)
    for label in np.unique(plain.labels):
        j, i = np.argwhere(plain.labels == label)[rng.integers(0, np.sum(plain.labels == label))]
        alone = derivlib.minimize(HIMMELBLAU, {"x": plain.xs[i], "y": plain.ys[j]}, method="newton-plain")
        point = plain.critical.iloc[label]
        assert [alone.x["x"], alone.x["y"]] == pytest.approx([point["x"], point["y"]], abs=1e-6)
        assert alone.nit == plain.iterations[j, i]


def test_runs_that_do_not_converge_are_failures_and_those_that_leave_the_box_are_elsewhere():
    slow = basins("x^2 + 10 y^2", (-1, 1), (-1, 1), method="gradient-descent", side=6, max_iter=5)
    assert (slow.labels == FAILED).all()  # five fixed steps of 0.001 go nowhere near the minimum
    away = basins("x^2 + y^2", (1, 2), (1, 2), method="newton", side=4)
    assert away.critical.empty and (away.labels == ELSEWHERE).all()  # the minimum, (0, 0), is outside the box
    assert away.shares() == {"failed": 0.0, "elsewhere": 1.0}


def test_the_grid_runs_x_fastest_as_the_labels_are_laid_out(plain):
    assert plain.runs["start_x"].to_numpy()[:3] == pytest.approx(plain.xs[:3])
    assert plain.runs["start_y"].to_numpy()[:3] == pytest.approx([plain.ys[0]] * 3)
    assert plain.labels.shape == plain.iterations.shape == (40, 40)


def test_a_side_that_is_not_a_whole_number_of_at_least_two_is_refused():
    with pytest.raises(ValueError, match="side"):
        basins(HIMMELBLAU, *BOX, side=1)
