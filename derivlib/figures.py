"""Plotly figures of f and its derivatives, light enough for a browser however dense the grid.

The grid is computed at full density, but a browser redraws 10⁶ points per trace in about 11 s (40 MB per update)
and 5 000 in 0.5 s (measured, see ../shared/TESTING.md). So each trace is decimated to at most MAX_POINTS points,
keeping the lowest and highest value of every bucket (a peak or a one-point spike survives, which taking every k-th
point would lose) and a NaN wherever a bucket has a gap (so that no line bridges an undefined stretch), and sent as
float32. The full-resolution values stay in the tables and the CSV.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

BUCKETS = 1_000  # decimation buckets per trace: 2 points each, 5 at most, so ≤ 5 000 points per trace
MAX_POINTS = 5 * BUCKETS  # points per trace sent to the browser (measured: 5 000 redraw in 0.5 s, 10⁶ in 11 s)
PANEL_HEIGHT = 190  # pixels per stacked panel
OVERLAY_HEIGHT = 520  # pixels of the single panel when the orders are overlaid

_PRIMES = {1: "′", 2: "″", 3: "‴"}
_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


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


# ---------------------------------------------------------------------------------------------------------------------
# Insight: points of interest, and the tangent, Taylor polynomial and osculating circle at a point x₀

INSIGHT = "insight"  # the `meta` of every trace added below, so that tests and pages can tell them from f, f′ …
KIND_MARKERS = {  # kind -> (Plotly marker symbol, colour, what the legend calls it)
    "root": ("circle-open", "#111111", "root"),
    "minimum": ("triangle-up", "#2ca02c", "minimum"),
    "maximum": ("triangle-down", "#d62728", "maximum"),
    "critical": ("diamond", "#9467bd", "critical (test inconclusive)"),
    "inflection": ("x-thin-open", "#ff7f0e", "inflection"),
    "pole": ("line-ns-open", "#7f7f7f", "pole"),
}
CIRCLE_POINTS = 361  # points on the drawn osculating circle
CURVE_POINTS = 801  # points on the tangent line and the Taylor polynomial over the range


def value_range(values: np.ndarray, *, pad: float = 0.05) -> tuple[float, float] | None:
    """A y range that shows the finite values (their 1st to 99th percentile where there are poles), padded.

    >>> value_range(np.array([0.0, 1.0, np.nan, 10.0]), pad=0.1)
    (-1.0, 11.0)
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    if finite.size > 100 and high - low > 0:
        # A pole makes a few values huge; the percentiles keep the rest of the curve visible.
        q1, q99 = np.percentile(finite, [1, 99])
        if (high - low) > 20 * (q99 - q1):
            low, high = float(q1), float(q99)
    span = high - low or max(abs(high), 1.0)
    return low - pad * span, high + pad * span


def _show_insight_legend(figure: go.Figure) -> None:
    """A legend for the added traces; in stacked panels f, f′ … stay out of it (each panel is labelled)."""
    if not figure.layout.showlegend:
        for trace in figure.data:
            if trace.meta != INSIGHT:
                trace.showlegend = False
        # At the top right: the top left holds the f panel's label.
        figure.update_layout(showlegend=True, legend={"x": 1, "xanchor": "right"}, margin={"t": 60})


def _fix_f_panel(figure: go.Figure, f_range: tuple[float, float] | None, x_range: tuple[float, float]) -> None:
    # Lines that leave the graph (a tangent, a Taylor polynomial, a large circle) must not rescale the f panel.
    figure.update_xaxes(range=list(x_range))
    if f_range is not None:
        figure.update_layout(yaxis={"range": list(f_range)})


def add_points_of_interest(figure: go.Figure, points: pd.DataFrame, *, f_range: tuple[float, float] | None = None):
    """Mark the rows of `derivlib.points_of_interest` on the f panel (yaxis "y"): one trace per kind, named by it.

    Roots, extrema, critical and inflection points sit on the curve at (x, f); a pole is a dotted vertical line
    across `f_range` (f has no value there). Hovering shows x, f, f′ and f″. Returns the figure.
    """
    for kind, (symbol, colour, label) in KIND_MARKERS.items():
        rows = points[points["kind"] == kind]
        if rows.empty:
            continue
        custom = rows[["f", "d1", "d2"]].to_numpy(dtype=float)
        common = {"name": label, "meta": INSIGHT, "xaxis": "x", "yaxis": "y", "legendrank": 900}
        if kind == "pole":
            low, high = f_range or (-1.0, 1.0)
            xs = np.repeat(rows["x"].to_numpy(dtype=float), 3)
            ys = np.tile([low, high, np.nan], len(rows))
            xs[2::3] = np.nan
            figure.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": colour, "dash": "dot"},
                    hovertemplate="pole at x = %{x:.6g}<extra></extra>",
                    **common,
                )
            )
            continue
        figure.add_trace(
            go.Scatter(
                x=rows["x"].to_numpy(dtype=float),
                y=rows["f"].to_numpy(dtype=float),
                mode="markers",
                marker={"symbol": symbol, "color": colour, "size": 12, "line": {"width": 2, "color": colour}},
                customdata=custom,
                hovertemplate=f"<b>{kind}</b> x = %{{x:.6g}}, f = %{{customdata[0]:.6g}}, "
                "f′ = %{customdata[1]:.6g}, f″ = %{customdata[2]:.6g}<extra></extra>",
                **common,
            )
        )
    _show_insight_legend(figure)
    return figure


def circle_points(center: tuple[float, float], radius: float, count: int = CIRCLE_POINTS):
    """x and y of `count` points around a circle, the first and last the same (a closed line).

    >>> xs, ys = circle_points((1.0, 2.0), 0.5, 5)
    >>> np.round(xs, 12).tolist(), np.round(ys, 12).tolist()
    ([1.5, 1.0, 0.5, 1.0, 1.5], [2.0, 2.5, 2.0, 1.5, 2.0])
    """
    angle = np.linspace(0.0, 2 * np.pi, count)
    return center[0] + radius * np.cos(angle), center[1] + radius * np.sin(angle)


def add_point_view(
    figure: go.Figure,
    view,
    x_range: tuple[float, float],
    *,
    taylor_order: int,
    f_range: tuple[float, float] | None = None,
    remainder_of: tuple[np.ndarray, np.ndarray] | None = None,
    circle: bool = True,
    buckets: int = BUCKETS,
) -> go.Figure:
    """Draw a `derivlib.taylor.PointView` on the f panel: x₀, the tangent, the Taylor polynomial Tₙ, the circle.

    `remainder_of=(x, f)` (the grid) adds |f − Tₙ| as a trace. The x axis is fixed to `x_range` and the f panel's
    y axis to `f_range`, so that lines leaving the graph do not rescale it. Returns the figure.
    """
    x = np.linspace(x_range[0], x_range[1], CURVE_POINTS)
    f0 = view.derivatives[0]
    common = {"meta": INSIGHT, "xaxis": "x", "yaxis": "y"}
    n = min(taylor_order, len(view.derivatives) - 1)
    figure.add_trace(
        go.Scatter(
            x=x,
            y=view.tangent(x),
            name="tangent at x₀",
            mode="lines",
            line={"color": "#17becf", "width": 1.5},
            hovertemplate="tangent %{y:.6g}<extra></extra>",
            **common,
        )
    )
    if n > 1:
        figure.add_trace(
            go.Scatter(
                x=x,
                y=view.taylor(x, n),
                name=f"Taylor T{str(n).translate(_SUBSCRIPT_DIGITS)}",
                mode="lines",
                line={"color": "#e377c2", "dash": "dash", "width": 1.5},
                hovertemplate=f"T{n} %{{y:.6g}}<extra></extra>",
                **common,
            )
        )
    if remainder_of is not None:
        grid_x, grid_f = remainder_of
        xs, ys = decimate(grid_x, np.abs(grid_f - view.taylor(grid_x, n)), buckets)
        figure.add_trace(
            go.Scatter(
                x=_for_browser(xs),
                y=_for_browser(ys),
                name=f"|f − T{str(n).translate(_SUBSCRIPT_DIGITS)}|",
                mode="lines",
                line={"color": "#bcbd22", "width": 1},
                hovertemplate="|f − T| %{y:.3g}<extra></extra>",
                **common,
            )
        )
    if circle and view.center is not None and math.isfinite(view.radius):
        cx, cy = circle_points(view.center, view.radius)
        figure.add_trace(
            go.Scatter(
                x=cx,
                y=cy,
                name="osculating circle",
                mode="lines",
                line={"color": "#8c564b", "width": 1},
                hoverinfo="skip",
                **common,
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[view.x0],
            y=[f0],
            name="x₀",
            mode="markers",
            marker={"symbol": "circle", "size": 10, "color": "#17becf", "line": {"width": 1, "color": "#000"}},
            hovertemplate="x₀ = %{x:.6g}, f(x₀) = %{y:.6g}<extra></extra>",
            **common,
        )
    )
    _fix_f_panel(figure, f_range, x_range)
    _show_insight_legend(figure)
    return figure


def finite_difference_figure(errors: pd.DataFrame, best: pd.DataFrame, *, title: str = "") -> go.Figure:
    """Error of central differences against step size h, log-log, one line per dtype, the best h of each marked.

    `errors` and `best` are what `derivlib.finite_difference_errors` and `derivlib.best_step` return. Zero errors
    (exact by luck) cannot be drawn on a log axis and are left out.
    """
    figure = go.Figure()
    colours = {"float32": "#d62728", "float64": "#1f77b4"}
    for dtype, colour in colours.items():
        error = errors[f"error_{dtype}"].to_numpy(dtype=float)
        shown = np.where(error > 0, error, np.nan)
        figure.add_trace(
            go.Scatter(
                x=errors["h"],
                y=shown,
                name=dtype,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": colour},
                hovertemplate=f"{dtype}: h = %{{x:.1e}}, error = %{{y:.2e}}<extra></extra>",
            )
        )
        row = best[best["dtype"] == dtype].iloc[0]
        if np.isfinite(row["error"]) and row["error"] > 0:
            figure.add_trace(
                go.Scatter(
                    x=[row["h"]],
                    y=[row["error"]],
                    name=f"best h, {dtype}",
                    mode="markers+text",
                    marker={"symbol": "star", "size": 14, "color": colour},
                    text=[f"h = {row['h']:.0e}"],
                    textposition="bottom center",
                    hovertemplate=f"best h for {dtype}: %{{x:.1e}}, error %{{y:.2e}}<extra></extra>",
                )
            )
    figure.update_layout(
        title={"text": title},
        height=380,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"type": "log", "title": {"text": "step size h"}, "exponentformat": "power"},
        yaxis={"type": "log", "title": {"text": "|error| against autograd"}, "exponentformat": "power"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    )
    return figure


def clickable(figure: go.Figure) -> go.Figure:
    """Let a click on the f curve select its nearest point (Streamlit's `on_select`), without changing its look.

    Plotly selects markers, not lines: a click on a "lines" trace selects nothing. So f (the first curve) gets
    markers that stay invisible, selected or not; only f, since invisible markers still cost SVG work on every
    redraw. The added markers keep their full opacity when something else is selected.
    """
    hidden = {"opacity": 0}
    curves = [trace for trace in figure.data if trace.meta != INSIGHT]
    if curves:
        curves[0].update(
            mode="lines+markers", marker=hidden, selected={"marker": hidden}, unselected={"marker": hidden}
        )
    for trace in figure.data:
        if trace.meta == INSIGHT and trace.mode and "markers" in trace.mode:
            trace.update(unselected={"marker": {"opacity": 1}})
    return figure
