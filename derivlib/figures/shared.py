"""What every page's figures share: the legend below the chart, the y range that shows a curve's shape, and the
float32 values a browser is sent."""

from __future__ import annotations

import numpy as np

from ..rounding import SAFETY, is_noise

BULK = (0.25, 0.75)  # quantiles of a curve's values that make its bulk: its quartiles
REACH = 3.0  # how far beyond the quartiles an axis reaches, in interquartile ranges (Tukey's "far out" fences)
RESOLVED = 5  # grid points across the top half of a peak beyond the bulk, for it to count as a resolved peak
QUANTILE_SAMPLE = 100_000  # values the quantiles are taken from (evenly strided): the same answer, sooner
LEGEND = {  # below the chart, across it: the toolbar sits at the top right, and on a phone a column of entries
    # would take half the chart's height
    "orientation": "h",
    "yref": "container",
    "y": 0,
    "yanchor": "bottom",
    "x": 0,
    "xanchor": "left",
    "font": {"size": 12},
    "entrywidth": 110,  # pixels of text per entry: as many to a row as fit (two on a phone, seven on a laptop)
}
LEGEND_MARGIN = 70  # pixels under the x axis for the legend's rows


def for_browser(values: np.ndarray) -> np.ndarray:
    """Values as every figure sends them: float32 (half the payload), ±inf and values beyond float32's range as NaN
    (they have no place on an axis: they are gaps)."""
    with np.errstate(over="ignore"):
        values = np.asarray(values, dtype=np.float32)
    return np.where(np.isfinite(values), values, np.float32(np.nan))


def value_range(values: np.ndarray, *, noise: float = 0.0, pad: float = 0.05) -> tuple[float, float] | None:
    """A y range that shows the shape of a curve: all of it, except spikes towards poles and domain edges; padded.

    Values beyond Tukey's "far out" fences (three interquartile ranges beyond the quartiles: BULK, REACH) are
    outliers of the curve's bulk. They are shown all the same where they form a peak the grid resolves (RESOLVED
    points or more across its top half: x²⁰ or eˣ near the end of the range, a narrow bump); a spike only a point
    or two wide at the top, or one that runs into an undefined point, is the approach to a pole or a domain edge,
    and is clipped: it is still there for zooming and hovering. Values within rounding of one number (`noise`, the
    estimated rounding error) get the range of a constant, not a range so narrow that it magnifies the noise.

    >>> value_range(np.array([0.0, 1.0, np.nan, 10.0]), pad=0.1)
    (-1.0, 11.0)
    >>> x = np.linspace(0.001, 5, 5_000)
    >>> [round(v, 1) for v in value_range(1 / x)]   # the hyperbola, not its spike of 1 000 at x = 0.001
    [0.1, 2.5]
    """
    values = np.asarray(values, dtype=float)
    defined = np.isfinite(values)
    finite = values[defined]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if is_noise(finite, noise):
        return -1.0, 1.0
    if finite.size > 100 and high > low:
        sample = finite[:: max(1, finite.size // QUANTILE_SAMPLE)]
        q_low, q_high = np.quantile(sample, BULK)
        spread = q_high - q_low
        limits = (float(q_low - REACH * spread), float(q_high + REACH * spread))
        if low < limits[0] or high > limits[1]:
            low, high = _with_resolved_peaks(values, defined, limits, (low, high))
    if high - low <= 2 * SAFETY * noise:  # constant up to rounding
        low = high = (low + high) / 2
    span = high - low or max(abs(high), 1.0)
    return low - pad * span, high + pad * span


def _with_resolved_peaks(
    values: np.ndarray, defined: np.ndarray, limits: tuple[float, float], extremes: tuple[float, float]
) -> tuple[float, float]:
    """The limits, widened to take in each run of values beyond them that is a resolved peak (see value_range)."""
    low, high = max(extremes[0], limits[0]), min(extremes[1], limits[1])
    for sign, limit in ((1.0, limits[1]), (-1.0, limits[0])):
        beyond = np.flatnonzero(defined & (sign * (values - limit) > 0))
        if beyond.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(beyond) != 1)
        starts, stops = beyond[np.r_[0, breaks + 1]], beyond[np.r_[breaks, beyond.size - 1]]
        height = sign * (values[beyond] - limit)  # how far each value lies beyond the limit
        tops = np.maximum.reduceat(height, np.r_[0, breaks + 1])
        across = np.add.reduceat((height >= np.repeat(tops, stops - starts + 1) / 2).astype(int), np.r_[0, breaks + 1])
        before = np.where(starts > 0, defined[np.maximum(starts - 1, 0)], True)
        after = np.where(stops < len(values) - 1, defined[np.minimum(stops + 1, len(values) - 1)], True)
        resolved = (across >= RESOLVED) & before & after
        if resolved.any():
            reach = float(tops[resolved].max())
            low, high = (low, max(high, limit + reach)) if sign > 0 else (min(low, limit - reach), high)
    return low, high
