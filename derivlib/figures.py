"""Plotly figures of f and its derivatives, light enough for a browser however dense the grid.

The grid is computed at full density, but a browser redraws 10⁶ points per trace in about 11 s (40 MB per update)
and 5 000 in 0.5 s (measured, see ../shared/TESTING.md). So each trace is decimated to at most MAX_POINTS points,
keeping the lowest and highest value of every bucket (a peak or a one-point spike survives, which taking every k-th
point would lose) and a NaN wherever a bucket has a gap (so that no line bridges an undefined stretch), and sent as
float32. The full-resolution values stay in the tables and the CSV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

BUCKETS = 1_000  # decimation buckets per trace: 2 points each, 5 at most, so ≤ 5 000 points per trace
MAX_POINTS = 5 * BUCKETS  # points per trace sent to the browser (measured: 5 000 redraw in 0.5 s, 10⁶ in 11 s)
PANEL_HEIGHT = 190  # pixels per stacked panel
OVERLAY_HEIGHT = 520  # pixels of the single panel when the orders are overlaid

_PRIMES = {1: "′", 2: "″", 3: "‴"}
_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def derivative_name(k: int) -> str:
    """How the k-th derivative is written: f, f′, f″, f‴, then f⁽⁴⁾, f⁽⁵⁾ …

    >>> [derivative_name(k) for k in range(6)]
    ['f', 'f′', 'f″', 'f‴', 'f⁽⁴⁾', 'f⁽⁵⁾']
    """
    if k == 0:
        return "f"
    return "f" + _PRIMES.get(k, f"⁽{str(k).translate(_SUPERSCRIPT_DIGITS)}⁾")


def column_labels(order: int) -> dict[str, str]:
    """Display names for a table's columns (x, f, d1 … dN): {'x': 'x', 'f': 'f', 'd1': 'f′', …}.

    >>> column_labels(2)
    {'x': 'x', 'f': 'f', 'd1': 'f′', 'd2': 'f″'}
    """
    return {"x": "x", "f": "f"} | {f"d{k}": derivative_name(k) for k in range(1, order + 1)}


def decimate(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most 5 × `buckets` points of the curve (x, y), chosen so that its shape and its gaps survive.

    The points are split into `buckets` runs of equal length. From each run this keeps its lowest and its highest
    value and, where the run has NaNs, the first NaN before, between and after those two (so that no line is drawn
    across an undefined stretch), all in their original order. A curve of no more than 5 × `buckets` points is
    returned as it is.

    >>> y = np.array([0, 1, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, np.nan, 0, 0, 0, 0, 0, 0, -5, 0, 0])
    >>> decimate(np.arange(26), y, 3)  # runs of nine points: their lows, highs and NaNs
    (array([ 0,  7,  9, 16, 18, 23]), array([ 0.,  9.,  0., nan,  0., -5.]))
    """
    x, y = np.asarray(x), np.asarray(y)
    if buckets < 1:
        raise ValueError(f"decimation needs at least one bucket, not {buckets}")
    n = len(y)
    if n <= 5 * buckets:
        return x, y
    size = -(-n // buckets)  # points per bucket, rounded up: the last bucket may be shorter
    count = -(-n // size)
    runs = np.full(count * size, np.nan)
    runs[:n] = y
    runs = runs.reshape(count, size)
    undefined = np.isnan(runs)
    lows = np.where(undefined, np.inf, runs).argmin(axis=1)
    highs = np.where(undefined, -np.inf, runs).argmax(axis=1)
    undefined[-1, n - (count - 1) * size :] = False  # the padding of the last bucket is not a gap
    starts = np.arange(count) * size
    keep = [starts + lows, starts + highs]
    gappy = np.flatnonzero(undefined.any(axis=1))  # usually few or none: the rest needs no more work
    undefined, lows, highs = undefined[gappy], lows[gappy, None], highs[gappy, None]
    first, last = np.minimum(lows, highs), np.maximum(lows, highs)
    position = np.arange(size)
    for stretch in (position < first, (first < position) & (position < last), position > last):
        gaps = undefined & stretch
        keep.append(starts[gappy] + np.where(gaps.any(axis=1), gaps.argmax(axis=1), first[:, 0]))
    keep = np.unique(np.concatenate(keep))
    return x[keep], y[keep]


def _for_browser(values: np.ndarray) -> np.ndarray:
    # float32 halves the payload; ±inf (and values beyond float32's range) have no place on an axis: they are gaps.
    with np.errstate(over="ignore"):
        values = np.asarray(values, dtype=np.float32)
    return np.where(np.isfinite(values), values, np.float32(np.nan))


def derivatives_figure(frame: pd.DataFrame, *, overlay: bool = False, buckets: int = BUCKETS) -> go.Figure:
    """f and each derivative of a table (columns x, f, d1 … dN), one trace per order.

    Stacked panels share one x axis (zooming one zooms all) and one unified hover that lists every order at the
    hovered x; with `overlay=True` all traces share a single panel instead. Undefined values are gaps.

    >>> import derivlib
    >>> figure = derivatives_figure(derivlib.grid_table("x^3", -1, 1, 100_000, order=2))
    >>> [trace.name for trace in figure.data], [trace.yaxis for trace in figure.data]
    (['f', 'f′', 'f″'], ['y', 'y2', 'y3'])
    >>> max(len(trace.x) for trace in figure.data) <= MAX_POINTS, figure.data[0].y.dtype
    (True, dtype('float32'))
    """
    orders = [column for column in frame.columns if column != "x"]
    labels = column_labels(len(orders) - 1)
    x = frame["x"].to_numpy()
    figure = go.Figure()
    for k, column in enumerate(orders):
        xs, ys = decimate(x, frame[column].to_numpy(), buckets)
        figure.add_trace(
            go.Scatter(
                x=_for_browser(xs),
                y=_for_browser(ys),
                name=labels[column],
                mode="lines",
                connectgaps=False,
                xaxis="x",
                yaxis="y" if overlay or k == 0 else f"y{k + 1}",
                hovertemplate="%{y:.6g}",
            )
        )
    panels = 1 if overlay else len(orders)
    figure.update_layout(
        hovermode="x unified",
        # The panels share one x axis, so the unified hover spans them all ("axis"), not only the hovered panel.
        hoversubplots="axis",
        height=OVERLAY_HEIGHT if overlay else max(OVERLAY_HEIGHT // 2, PANEL_HEIGHT * panels),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        showlegend=overlay,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        xaxis={
            "title": {"text": "x"},
            "anchor": f"y{panels if panels > 1 else ''}",
            "showspikes": True,
            "hoverformat": ".6g",  # float32 x values would show noise digits (0.7675768)
        },
    )
    if not overlay:
        # Panels from the top down, each labelled at its top left, with a gap for the label.
        gap = min(0.08, 0.3 / panels)
        height = (1 - gap * (panels - 1)) / panels
        for k, column in enumerate(orders):
            top = 1 - k * (height + gap)
            axis = f"yaxis{k + 1 if k else ''}"
            figure.update_layout({axis: {"domain": [max(0.0, top - height), top], "anchor": "x"}})
            figure.add_annotation(
                text=f"<b>{labels[column]}</b>",
                x=0,
                y=top,
                xref="paper",
                yref="paper",
                xanchor="left",
                yanchor="bottom",
                showarrow=False,
                font={"size": 14},
            )
    return figure
