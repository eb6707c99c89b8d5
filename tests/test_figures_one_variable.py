"""The figures: decimation that keeps peaks, spikes and gaps; a light float32 payload; panels and overlay."""

from __future__ import annotations

import base64
import itertools
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import derivlib
import derivlib.rounding
from derivlib.figures.one_variable import (
    MAX_POINTS,
    column_labels,
    decimate,
    derivative_name,
    derivatives_figure,
    value_range,
)


def decoded(array) -> np.ndarray:
    """A trace array as the browser receives it: a base64 typed array {'dtype': 'f4', 'bdata': ...}."""
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype="<" + array["dtype"])


# ---------------------------------------------------------------------------------------------------------------------
# Decimation


def test_a_one_point_spike_survives():
    x = np.linspace(0, 1, 1_000_000)
    y = np.sin(50 * x)
    y[123_457] = 40.0
    y[876_543] = -40.0
    xs, ys = decimate(x, y, 1_000)
    assert len(xs) <= 2_000  # two points per bucket where there is no gap
    assert ys.max() == 40.0 and xs[ys.argmax()] == x[123_457]
    assert ys.min() == -40.0 and xs[ys.argmin()] == x[876_543]


def test_every_peak_of_a_fast_oscillation_survives():
    # 200 periods over 10⁶ points, 1 000 buckets: taking every k-th point would alias; min/max keeps each crest.
    x = np.linspace(0, 1, 1_000_000)
    y = np.sin(2 * np.pi * 200 * x)
    xs, ys = decimate(x, y, 1_000)
    crests = np.flatnonzero(ys > 0.999)
    assert len(np.unique(np.floor(xs[crests] * 200))) == 200


def test_points_stay_in_x_order_and_are_points_of_the_curve():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-5, 5, 100_003))
    y = rng.normal(size=len(x))
    xs, ys = decimate(x, y, 700)
    assert np.all(np.diff(xs) > 0)
    assert np.array_equal(ys, y[np.searchsorted(x, xs)])
    # Every bucket's extremes are kept, so the envelope is the same.
    assert ys.min() == y.min() and ys.max() == y.max()


def test_a_short_curve_is_returned_as_it_is():
    x, y = np.arange(30.0), np.arange(30.0) ** 2
    xs, ys = decimate(x, y, 10)
    assert xs is x and ys is y


@settings(max_examples=200, deadline=None)
@given(
    y=hnp.arrays(
        np.float64, st.integers(1, 600), elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan), st.just(np.inf))
    ),
    buckets=st.integers(1, 50),
)
def test_gaps_survive_as_gaps(y, buckets):
    """Two neighbouring points of the decimated curve are joined by a line only where the curve has no NaN."""
    x = np.arange(len(y), dtype=np.float64)
    xs, ys = decimate(x, y, buckets)
    assert len(xs) <= max(len(y), 5 * buckets)
    kept = xs.astype(int)
    for left, right in itertools.pairwise(kept):
        if not np.isnan(y[left]) and not np.isnan(y[right]):
            assert not np.isnan(y[left : right + 1]).any(), (left, right)
    if np.isnan(y).any():
        assert np.isnan(ys).any()


def test_an_undefined_stretch_stays_a_gap_in_the_figure():
    frame = derivlib.grid_table("sqrt(1 - x^2)", -2, 2, 1_000_000, order=1)
    trace = derivatives_figure(frame).data[0]
    inside = np.abs(trace.x) < 0.999
    assert not np.isnan(trace.y[inside]).any()
    assert np.isnan(trace.y[trace.x < -1.001]).any() and np.isnan(trace.y[trace.x > 1.001]).any()
    assert trace.connectgaps is False


# ---------------------------------------------------------------------------------------------------------------------
# The figure


@pytest.fixture(scope="module")
def dense():
    return derivlib.grid_table("x^3 + sin(x)", -5, 5, 1_000_000, order=2)


def test_the_payload_is_float32_and_small_at_a_million_points(dense):
    spec = json.loads(derivatives_figure(dense).to_json())
    for trace in spec["data"]:
        assert trace["x"]["dtype"] == trace["y"]["dtype"] == "f4"
        assert len(decoded(trace["x"])) == len(decoded(trace["y"])) <= MAX_POINTS
    size = len(json.dumps(spec))
    assert size < 300_000, f"{size:,} bytes for 3 traces"  # 10⁶ float64 points per trace would be ~50 MB


def test_decimated_traces_keep_the_extremes_of_each_order(dense):
    figure = derivatives_figure(dense)
    for trace, column in zip(figure.data, ["f", "d1", "d2"], strict=True):
        values = dense[column].to_numpy(dtype=np.float32)
        assert trace.y.max() == values.max() and trace.y.min() == values.min()


def test_stacked_panels_share_one_x_axis_and_a_unified_hover(dense):
    figure = derivatives_figure(dense)
    assert [trace.name for trace in figure.data] == ["f", "f′", "f″"]
    assert [trace.yaxis for trace in figure.data] == ["y", "y2", "y3"]
    assert {trace.xaxis for trace in figure.data} == {"x"}
    assert figure.layout.hovermode == "x unified" and figure.layout.hoversubplots == "axis"
    domains = [figure.layout[f"yaxis{k or ''}"].domain for k in (1, 2, 3)]
    assert all(upper[0] > lower[1] for upper, lower in itertools.pairwise(domains))  # stacked, top down
    assert [annotation.text for annotation in figure.layout.annotations] == ["<b>f</b>", "<b>f′</b>", "<b>f″</b>"]


def test_overlay_puts_every_order_on_one_panel():
    frame = derivlib.grid_table("sin(x)", 0, 6, 500, order=4)
    figure = derivatives_figure(frame, overlay=True)
    assert [trace.name for trace in figure.data] == ["f", "f′", "f″", "f‴", "f⁽⁴⁾"]
    assert {trace.yaxis for trace in figure.data} == {"y"}
    assert figure.layout.showlegend is True
    assert len(figure.data[0].x) == 500  # small grids are sent whole


def test_infinities_are_sent_as_gaps():
    frame = pd.DataFrame({"x": [-1.0, 0.0, 1.0], "f": [-1.0, np.inf, 1.0], "d1": [1e300, 1.0, -np.inf]})
    figure = derivatives_figure(frame)
    assert np.isnan(figure.data[0].y[1])
    assert np.isnan(figure.data[1].y[0]) and np.isnan(figure.data[1].y[2])  # 1e300 does not fit a float32


@pytest.mark.parametrize(
    ("k", "name"), [(0, "f"), (1, "f′"), (2, "f″"), (3, "f‴"), (4, "f⁽⁴⁾"), (8, "f⁽⁸⁾"), (10, "f⁽¹⁰⁾")]
)
def test_derivative_names(k, name):
    assert derivative_name(k) == name


def test_column_labels_match_the_table_columns():
    assert list(column_labels(3)) == derivlib.columns(3)


# ---------------------------------------------------------------------------------------------------------------------
# Each panel's y range: the shape of the curve, not the spike of a pole, and no rounding noise magnified


@pytest.mark.parametrize("text", ["x^3 + sin(x)", "x^20", "exp(x)", "exp(-10000x^2)", "sin(x)/x", "abs(x)"])
def test_a_curve_without_a_pole_is_shown_whole(text):
    """Resolved peaks (x²⁰ at the ends, a narrow bump of about twenty grid points) are never clipped."""
    frame = derivlib.grid_table(text, -5, 5, 10_000, order=2)
    for column in ("f", "d1", "d2"):
        values = frame[column].to_numpy()
        low, high = value_range(values)
        assert low <= values.min() and values.max() <= high, (text, column)


@pytest.mark.parametrize(
    ("text", "bulk"),  # each curve between its poles: f at points away from them
    [
        ("1/x", lambda x: 1 / x),
        ("tan(x)", np.tan),
        ("1/x^2", lambda x: 1 / x**2),
        ("log(x)", np.log),
    ],
)
def test_a_pole_is_clipped_and_the_curve_between_poles_fills_the_panel(text, bulk):
    x = np.array([-4.0, -2.5, -1.0, -0.7, 0.7, 1.0, 2.5, 4.0])
    expected = bulk(x) if text != "log(x)" else np.log(x[x > 0])
    for points in (10_000, 1_000_000):  # the range does not depend on how close the grid comes to the pole
        values = derivlib.grid_table(text, -5, 5, points, order=0)["f"].to_numpy()
        low, high = value_range(values)
        assert low <= expected.min() and expected.max() <= high
        assert high - low <= 10 * (expected.max() - expected.min())
        finite = values[np.isfinite(values)]
        assert finite.min() < low or finite.max() > high  # the spike is clipped


def test_the_range_does_not_depend_on_the_grid_density():
    ranges = [value_range(derivlib.grid_table("e^x/x", -5, 5, n, order=2)["d2"].to_numpy()) for n in (10**4, 10**6)]
    np.testing.assert_allclose(ranges[0], ranges[1], rtol=0.05)


def test_rounding_noise_gets_a_sensible_range():
    one = 1 + np.random.default_rng(0).choice([-1, 0, 1], 1_000) * 2.0**-52  # 1 up to rounding
    low, high = value_range(one, noise=2e-16)
    assert low < 0.96 and high > 1.04  # the axis of a constant, not 1 ± 1e-16
    assert value_range(one - 1, noise=2e-16) == (-1.0, 1.0)  # zero up to rounding
    assert value_range(one - 1)[1] < 1e-14  # without the noise estimate it is taken at its word


def test_a_derivative_within_rounding_of_zero_is_drawn_as_zero():
    frame = derivlib.grid_table("sqrt(x)^2 - x + sin(x)^2 + cos(x)^2", -1, 1, 2_001, order=2)
    levels = derivlib.rounding.noise_levels("sqrt(x)^2 - x + sin(x)^2 + cos(x)^2", frame["x"].to_numpy(), order=2)
    figure = derivatives_figure(frame, noise=dict(zip(["f", "d1", "d2"], levels, strict=True)))
    f, _, d2 = figure.data
    assert np.abs(frame["d2"]).max() > 0  # the computed f″ is not exactly 0 …
    assert np.all(d2.y[np.isfinite(d2.y)] == 0) and np.isnan(d2.y[0])  # … but drawn as 0, gaps kept (x < 0)
    assert list(figure.layout.yaxis3.range) == [-1.0, 1.0] and "0 up to rounding" in figure.layout.annotations[2].text
    assert not np.all(f.y[np.isfinite(f.y)] == 0)  # f itself is drawn as computed
    overlaid = derivatives_figure(frame, overlay=True, noise=dict(zip(["f", "d1", "d2"], levels, strict=True)))
    assert overlaid.data[2].name == "f″ ≈ 0"
