"""The practice page's chart: the correct derivative and the student's answer on one panel, the places where they
differ shaded.

>>> import numpy as np, pandas as pd
>>> x = np.linspace(-1, 1, 5)
>>> frame = pd.DataFrame({"x": x, "expected": 2 * x, "given": 2 * np.abs(x)})
>>> figure = answer_figure(frame, [(-1.0, -0.25)], order=1)
>>> [trace.name for trace in figure.data], figure.layout.shapes[0].x0
(['f′ (correct)', 'your answer', 'where they differ'], -1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .markers import CURVE_COLOUR
from .one_variable import derivative_name
from .shared import LEGEND, LEGEND_MARGIN, for_browser, value_range

ANSWER_COLOUR = "#ff7f0e"  # the student's curve: orange beside f′'s blue, told apart without colour by its dashes
DIFFER_COLOUR = "#d62728"  # the shading where the answer is wrong
DIFFER_OPACITY = 0.15
HEIGHT = 380  # pixels: the chart starts in a laptop's first screen


def spans(points: np.ndarray, spacing: float, low: float, high: float) -> list[tuple[float, float]]:
    """The stretches of x that the points (where the answer differs, on a grid of this spacing) cover: neighbouring
    points join into one stretch, each reaching half a step beyond its points, within low … high.

    >>> spans(np.array([0.0, 0.25, 0.5, 1.5]), 0.25, 0.0, 2.0)
    [(0.0, 0.625), (1.375, 1.625)]
    """
    points = np.sort(np.asarray(points, dtype=float))
    if points.size == 0:
        return []
    gaps = np.flatnonzero(np.diff(points) > 1.5 * spacing)
    starts, stops = points[np.r_[0, gaps + 1]], points[np.r_[gaps, points.size - 1]]
    return [
        (max(low, float(a) - spacing / 2), min(high, float(b) + spacing / 2))
        for a, b in zip(starts, stops, strict=True)
    ]


def broken(x: np.ndarray, y: np.ndarray, gaps: Sequence[float], shown: tuple[float, float] | None):
    """The curve with a NaN at each of `gaps` (where it jumps between two grid points) and wherever two neighbours lie
    beyond opposite ends of the shown y range (across a pole): no line is drawn across either.

    >>> broken(np.array([0.0, 1.0, 2.0]), np.array([5.0, -5.0, 0.0]), [], (-1.0, 1.0))
    (array([0. , 0.5, 1. , 2. ]), array([ 5., nan, -5.,  0.]))
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cuts = np.asarray(gaps, dtype=float)
    if shown is not None and len(y) > 1:
        above, below = y > shown[1], y < shown[0]
        poles = np.flatnonzero((above[:-1] & below[1:]) | (below[:-1] & above[1:])) + 1
        cuts = np.concatenate([cuts, (x[poles - 1] + x[poles]) / 2])
    if cuts.size == 0:
        return x, y
    cuts = np.sort(cuts)
    at = np.searchsorted(x, cuts)
    return np.insert(x, at, cuts), np.insert(y, at, np.nan)


def answer_figure(
    frame: pd.DataFrame,
    differ: Sequence[tuple[float, float]],
    *,
    order: int,
    gaps: tuple[Sequence[float], Sequence[float]] = ((), ()),
) -> go.Figure:
    """The k-th derivative (frame's `expected`) and the answer (`given`) over x, on one panel; each stretch in
    `differ` shaded (one legend entry for all); `gaps` holds, per curve, the points where it jumps. The y axis shows
    the bulk of both curves: a spike towards a pole is clipped."""
    x = frame["x"].to_numpy()
    curves = {"expected": frame["expected"].to_numpy(), "given": frame["given"].to_numpy()}
    ranges = [r for r in map(value_range, curves.values()) if r is not None]  # each curve's shape, both in view
    shown = (min(r[0] for r in ranges), max(r[1] for r in ranges)) if ranges else None
    name = derivative_name(order)
    figure = go.Figure()
    styles = {
        "expected": (f"{name} (correct)", {"color": CURVE_COLOUR, "width": 3}),
        "given": ("your answer", {"color": ANSWER_COLOUR, "width": 2.5, "dash": "dash"}),
    }
    for (column, values), jumps in zip(curves.items(), gaps, strict=True):
        label, line = styles[column]
        xs, ys = broken(x, values, jumps, shown)
        figure.add_trace(
            go.Scatter(
                x=for_browser(xs),
                y=for_browser(ys),
                name=label,
                mode="lines",
                line=line,
                connectgaps=False,
                hovertemplate="%{y:.6g}",
            )
        )
    if differ:  # the shading's legend entry: a filled square, as the shading looks
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                name="where they differ",
                mode="markers",
                marker={"symbol": "square", "size": 14, "color": DIFFER_COLOUR, "opacity": 0.35},
                hoverinfo="skip",
            )
        )
    for low, high in differ:
        figure.add_vrect(x0=low, x1=high, fillcolor=DIFFER_COLOUR, opacity=DIFFER_OPACITY, line_width=0, layer="below")
    figure.update_layout(
        height=HEIGHT,
        margin={"l": 10, "r": 10, "t": 30, "b": LEGEND_MARGIN},
        legend=LEGEND,
        hovermode="x unified",
        xaxis={"title": {"text": "x"}, "range": [float(x.min()), float(x.max())] if len(x) else None},
        yaxis={"range": list(shown) if shown else None, "zeroline": True},
    )
    return figure
