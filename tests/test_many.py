"""minimize_many (derivlib/many.py): every start of a batch ends where minimize() from that start alone ends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import derivlib
from derivlib import Status
from derivlib.many import BATCHED, minimize_many

# Himmelblau (four minima, four saddles, a maximum); a formula with exp and trig, undefined for x < -3, with a saddle;
# one unbounded below (x³), from which some starts fall without bound.
FORMULAS = [
    ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", (-5, 5), (-5, 5)),
    ("sqrt(x + 3) + sin(y) cos(x) + (x^2 + y^2)/10", (-4, 3), (-3, 3)),
    ("x^3 - 3x + y^2", (-2, 2), (-2, 2)),
]
MAX_ITER = 150  # gradient descent with a fixed step crawls: every method gets the same cap, and must stop alike


def grid_of_starts(x_range, y_range, side=6) -> dict[str, np.ndarray]:
    """side × side starts, nudged off the round numbers (where a start may sit exactly on a saddle)."""
    xs, ys = np.meshgrid(np.linspace(*x_range, side) + 0.0123, np.linspace(*y_range, side) - 0.0071)
    return {"x": xs.ravel(), "y": ys.ravel()}


@pytest.mark.parametrize("method", BATCHED)
@pytest.mark.parametrize(("text", "x_range", "y_range"), FORMULAS, ids=["himmelblau", "trig", "unbounded"])
def test_every_start_ends_where_minimize_from_it_alone_ends(method, text, x_range, y_range):
    starts = grid_of_starts(x_range, y_range)
    frame = minimize_many(text, starts, method=method, max_iter=MAX_ITER)
    assert len(frame) == len(starts["x"])
    for k, row in frame.iterrows():
        start = {"x": starts["x"][k], "y": starts["y"][k]}
        try:
            alone = derivlib.minimize(text, start, method=method, max_iter=MAX_ITER)
        except ValueError:  # minimize() refuses a start where f is undefined; the batch says so of that start
            assert row.status == Status.UNDEFINED and row.nit == 0 and not row.success
            continue
        assert (row.status, row.nit, row.success) == (alone.status, alone.nit, alone.success), (k, start)
        assert [row.x, row.y] == pytest.approx([alone.x["x"], alone.x["y"]], rel=1e-12, abs=1e-300), (k, start)
        assert row.fun == pytest.approx(alone.fun, rel=1e-12, abs=1e-300)


def test_the_starts_reach_every_kind_of_end():
    """The grids above are not all easy: between them they converge, run out of iterations, fall without bound and
    start where f is undefined (so each stopping rule is compared start by start)."""
    seen = set()
    for text, x_range, y_range in FORMULAS:
        for method in ("newton", "gradient-descent"):
            seen |= set(minimize_many(text, grid_of_starts(x_range, y_range), method=method, max_iter=MAX_ITER).status)
    assert {Status.CONVERGED, Status.MAX_ITER, Status.UNBOUNDED, Status.UNDEFINED} <= seen


def test_the_table_has_a_row_per_start_with_its_start_end_and_how_it_ended():
    frame = minimize_many("(x - 1)^2 + 3(y + 2)^2", {"x": [0.0, 5.0, -3.0], "y": [0.0, -1.0, 2.0]}, method="lbfgs")
    assert list(frame.columns) == ["start_x", "start_y", "x", "y", "fun", "nit", "success", "status"]
    assert frame["start_x"].tolist() == [0.0, 5.0, -3.0]
    assert frame["x"].to_numpy() == pytest.approx(1.0) and frame["y"].to_numpy() == pytest.approx(-2.0)
    assert frame["success"].all() and (frame["status"] == Status.CONVERGED).all()


def test_one_variable_and_three_variables():
    one = minimize_many("x^4 - 3x^2 + x", {"x": np.linspace(-2, 2, 9)}, method="newton")
    for start, end in zip(one["start_x"], one["x"], strict=True):
        assert end == pytest.approx(derivlib.minimize("x^4 - 3x^2 + x", {"x": start}, method="newton").x["x"])
    three = minimize_many(
        "(x - 1)^2 + (y + z)^2 + (z - 2)^4 + x y", {"x": [0.0, 2.0], "y": [1.0, -1.0], "z": [0.0, 3.0]}, method="newton"
    )
    for k in range(2):
        alone = derivlib.minimize(
            "(x - 1)^2 + (y + z)^2 + (z - 2)^4 + x y",
            {name: three[f"start_{name}"][k] for name in "xyz"},
            method="newton",
        )
        assert [three[name][k] for name in "xyz"] == pytest.approx(list(alone.x.values()), rel=1e-12)
        assert three["nit"][k] == alone.nit


def test_parameters_and_options_are_minimize_s():
    starts = {"x": [0.5, 2.0], "y": [0.0, 1.0]}
    frame = minimize_many("(x - a)^2 + (y - b)^2", starts, method="gradient-descent", params={"a": 3, "b": -1}, lr=0.1)
    for k in range(2):
        alone = derivlib.minimize(
            "(x - a)^2 + (y - b)^2",
            {"x": starts["x"][k], "y": starts["y"][k]},
            method="gradient-descent",
            params={"a": 3, "b": -1},
            lr=0.1,
        )
        assert (frame["nit"][k], frame["x"][k]) == (alone.nit, alone.x["x"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: minimize_many("x^2", {"x": [1.0]}, method="scipy-bfgs"), "derivlib's own methods"),
        (lambda: minimize_many("x^2 + y^2", {"x": [1.0, 2.0], "y": [1.0]}), "as many starts"),
        (lambda: minimize_many("x^2 + y^2", {"x": [1.0]}), "'y' has neither starts nor a value"),
        (lambda: minimize_many("x^2", {"x": [float("nan")]}), "finite"),
        (lambda: minimize_many("x^2", {}), "map each variable"),
        (lambda: minimize_many("x^2", {"x": [1.0]}, tol=0), "tol"),
        (lambda: minimize_many("x^2", {"x": [1.0]}, max_iter=-1), "max_iter"),
        (lambda: minimize_many("x^2", {"x": [1.0]}, memory=0), "memory"),
    ],
)
def test_bad_arguments_are_refused_with_a_message_that_names_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_starts_end_where_they_end_on_the_cpu():
    starts = grid_of_starts((-5, 5), (-5, 5), side=20)
    text = FORMULAS[0][0]
    on_gpu = minimize_many(text, starts, method="newton", device="cuda")
    on_cpu = minimize_many(text, starts, method="newton")
    pd.testing.assert_frame_equal(on_gpu, on_cpu, rtol=1e-9)


def test_l_bfgs_keeps_its_last_pairs_as_minimize_does_once_its_memory_is_full():
    """Rosenbrock's valley takes L-BFGS tens of iterations: with a memory of 3 every start's pairs wrap around."""
    text, starts = "(1 - x)^2 + 100(y - x^2)^2", grid_of_starts((-2, 2), (-1, 3), side=4)
    frame = minimize_many(text, starts, method="lbfgs", memory=3)
    assert frame["nit"].min() > 3 * 3
    for k, row in frame.iterrows():
        alone = derivlib.minimize(text, {"x": starts["x"][k], "y": starts["y"][k]}, method="lbfgs", memory=3)
        assert (row.nit, row.status) == (alone.nit, alone.status)
        assert [row.x, row.y] == pytest.approx([alone.x["x"], alone.x["y"]], rel=1e-12)
