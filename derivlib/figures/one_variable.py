"""Plotly figures of f and its derivatives, light enough for a browser however dense the grid.

The grid is computed at full density, but a browser redraws 10⁶ points per trace in about 11 s (40 MB per update)
and 5 000 in 0.5 s (measured, see ../shared/TESTING.md). So each trace is decimated to at most MAX_POINTS points,
keeping the lowest and highest value of every bucket (a peak or a one-point spike survives, which taking every k-th
point would lose) and a NaN wherever a bucket has a gap (so that no line bridges an undefined stretch), and sent as
float32. The full-resolution values stay in the tables and the CSV.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..rounding import SAFETY, is_noise, zero_everywhere, zeroed
from .markers import CURVE_COLOUR, markers
from .shared import LEGEND, LEGEND_MARGIN, for_browser, value_range

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
    runs: np.ndarray = np.full(count * size, np.nan)
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
    kept = np.unique(np.concatenate(keep))
    return x[kept], y[kept]


def _broken_at_poles(x: np.ndarray, y: np.ndarray, shown: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """The curve with a gap wherever two neighbouring points lie beyond opposite ends of the shown y range.

    That is a jump across a pole (tan at π/2, between two grid points on either side of it), which a line would draw
    as a vertical stroke that is not part of the graph.

    >>> _broken_at_poles(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 50.0, -50.0, 0.0]), (-10.0, 10.0))
    (array([0. , 1. , 1.5, 2. , 3. ]), array([  0.,  50.,  nan, -50.,   0.]))
    """
    if shown is None or len(y) < 2:
        return x, y
    above, below = y > shown[1], y < shown[0]
    jumps = np.flatnonzero((above[:-1] & below[1:]) | (below[:-1] & above[1:])) + 1
    if jumps.size == 0:
        return x, y
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return np.insert(x, jumps, (x[jumps - 1] + x[jumps]) / 2), np.insert(y, jumps, np.nan)


def _broken(x: np.ndarray, y: np.ndarray, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The curve with a NaN inserted at each of the points `gaps` (between two grid points, where it jumps), so that no
    line joins its two sides.

    >>> _broken(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 1.0]), np.array([1.5]))
    (array([0. , 1. , 1.5, 2. ]), array([ 0.,  0., nan,  1.]))
    """
    if len(gaps) == 0:
        return x, y
    at = np.searchsorted(x, gaps)
    return np.insert(np.asarray(x, dtype=float), at, gaps), np.insert(np.asarray(y, dtype=float), at, np.nan)


def _zeroed_where_noise(
    sent: list[tuple[np.ndarray, np.ndarray]], errors_at: Callable[[np.ndarray], np.ndarray]
) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[bool]]:
    """Each curve's points to send with every value within its rounding error set to 0 (the errors computed once, at
    every point any curve sends), and whether a curve is then 0 wherever it is defined."""
    points = np.unique(np.concatenate([xs for xs, _ in sent]))
    errors = errors_at(points)
    result, flat = [], []
    for k, (xs, ys) in enumerate(sent):
        own = errors[k][np.searchsorted(points, xs)]
        finite = np.isfinite(ys)
        flat.append(bool(finite.any()) and zero_everywhere(ys[finite], own[finite]))
        result.append((xs, zeroed(ys, own)))
    return result, flat


def derivatives_figure(
    frame: pd.DataFrame,
    *,
    overlay: bool = False,
    noise: Mapping[str, float] | None = None,
    buckets: int = BUCKETS,
    breaks: Sequence[np.ndarray] | None = None,
    errors_at: Callable[[np.ndarray], np.ndarray] | None = None,
) -> go.Figure:
    """f and each derivative of a table (columns x, f, d1 … dN), one trace per order.

    Stacked panels share one x axis (zooming one zooms all) and one unified hover that lists every order at the
    hovered x; with `overlay=True` all traces share a single panel instead. Undefined values are gaps, and so is each
    place in `breaks` (per column, the points between two grid points where it jumps: `discontinuities.breaks`), so
    that no line is drawn across a jump. Each y axis shows the bulk of its curve (`value_range`): a spike towards a
    pole is clipped, still there for zooming and hovering. `noise` maps a column to its estimated rounding error over
    the range (`derivlib.rounding.noise_levels`), for the axes; `errors_at(x)` gives each column's rounding error at
    the points x (rows × points, `rounding.pointwise_errors`): every value sent that is within its rounding error is
    sent as 0, and a curve that is all 0 so is drawn as 0 and labelled so, not as a band of noise (without it, a
    curve within `noise` of 0 everywhere is).

    >>> import derivlib
    >>> figure = derivatives_figure(derivlib.grid_table("x^3", -1, 1, 100_000, order=2))
    >>> [trace.name for trace in figure.data], [trace.yaxis for trace in figure.data]
    (['f', 'f′', 'f″'], ['y', 'y2', 'y3'])
    >>> max(len(trace.x) for trace in figure.data) <= MAX_POINTS, figure.data[0].y.dtype
    (True, dtype('float32'))
    """
    orders = [column for column in frame.columns if column != "x"]
    labels = column_labels(len(orders) - 1)
    noise = noise or {}
    x = frame["x"].to_numpy()
    sent, ranges = [], []
    for k, column in enumerate(orders):
        values = frame[column].to_numpy()
        ranges.append(value_range(values, noise=noise.get(column, 0.0)))
        gaps = breaks[k] if breaks is not None and k < len(breaks) else np.empty(0)
        sent.append(decimate(*_broken(x, values, gaps), buckets))
    if errors_at is not None:
        sent, zero = _zeroed_where_noise(sent, errors_at)
    else:
        zero = [is_noise(frame[column].to_numpy(), noise.get(column, 0.0)) for column in orders]
    flat = [k > 0 and z for k, z in enumerate(zero)]  # f itself is what was typed: never drawn as 0
    sent = [(xs, np.where(np.isnan(ys), np.nan, 0.0)) if flat[k] else (xs, ys) for k, (xs, ys) in enumerate(sent)]
    ranges = [(-1.0, 1.0) if flat[k] else r for k, r in enumerate(ranges)]
    shown = [r for r in ranges if r is not None]
    if overlay and shown:
        ranges = [(min(r[0] for r in shown), max(r[1] for r in shown))] * len(orders)
    figure = go.Figure()
    for k, column in enumerate(orders):
        xs, ys = _broken_at_poles(*sent[k], ranges[k])
        figure.add_trace(
            go.Scatter(
                x=for_browser(xs),
                y=for_browser(ys),
                name=labels[column] + (" ≈ 0" if flat[k] and overlay else ""),
                mode="lines",
                connectgaps=False,
                xaxis="x",
                yaxis="y" if overlay or k == 0 else f"y{k + 1}",
                hovertemplate="0 (up to rounding)" if flat[k] else "%{y:.6g}",
            )
        )
    panels = 1 if overlay else len(orders)
    figure.update_layout(
        hovermode="x unified",
        # The panels share one x axis, so the unified hover spans them all ("axis"), not only the hovered panel.
        hoversubplots="axis",
        height=(OVERLAY_HEIGHT if overlay else max(OVERLAY_HEIGHT // 2, PANEL_HEIGHT * panels)) + LEGEND_MARGIN,
        margin={"l": 10, "r": 10, "t": 30, "b": LEGEND_MARGIN},
        showlegend=overlay,
        legend=LEGEND,
        xaxis={
            "title": {"text": "x"},
            "anchor": f"y{panels if panels > 1 else ''}",
            "showspikes": True,
            "hoverformat": ".6g",  # float32 x values would show noise digits (0.7675768)
        },
    )
    if overlay:
        if shown:
            assert ranges[0] is not None  # the range common to every shown one
            figure.update_layout(yaxis={"range": list(ranges[0])})
        return figure
    # Panels from the top down, each labelled at its top left, with a gap for the label.
    gap = min(0.08, 0.3 / panels)
    height = (1 - gap * (panels - 1)) / panels
    for k, column in enumerate(orders):
        top = 1 - k * (height + gap)
        axis = f"yaxis{k + 1 if k else ''}"
        figure.update_layout({axis: {"domain": [max(0.0, top - height), top], "anchor": "x"}})
        if (span := ranges[k]) is not None:
            figure.update_layout({axis: {"range": list(span)}})
        label = f"<b>{labels[column]}</b>"
        computed = frame[column].to_numpy()
        if flat[k] and np.any(computed[np.isfinite(computed)]):
            bound = f"{SAFETY * noise.get(column, 0.0):.1g}"  # (short: a phone's panel is 330 pixels wide)
            label += f"  <span style='color:#666'>= 0 up to rounding (noise ≤ {bound})</span>"
        elif flat[k]:
            label += "  <span style='color:#666'>= 0</span>"
        figure.add_annotation(
            text=label,
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
KIND_MARKERS = markers(  # the points of interest's kinds: derivlib.markers, the same on every page
    "root", "minimum", "maximum", "stationary", "critical", "inflection", "pole", "kink", "jump", "hole"
)
CIRCLE_POINTS = 361  # points on the drawn osculating circle
CURVE_POINTS = 801  # points on the tangent line and the Taylor polynomial over the range


def _show_insight_legend(figure: go.Figure) -> None:
    """A legend for the added traces; in stacked panels f, f′ … stay out of it (each panel is labelled)."""
    if not figure.layout.showlegend:
        for trace in figure.data:
            if trace.meta != INSIGHT:
                trace.showlegend = False
        figure.update_layout(showlegend=True)


def _fix_f_panel(figure: go.Figure, f_range: tuple[float, float] | None, x_range: tuple[float, float]) -> None:
    # Lines that leave the graph (a tangent, a Taylor polynomial, a large circle) must not rescale the f panel.
    figure.update_xaxes(range=list(x_range))
    if f_range is not None:
        figure.update_layout(yaxis={"range": list(f_range)})


def _f_range(figure: go.Figure, f_range: tuple[float, float] | None) -> tuple[float, float] | None:
    """The f panel's y range: the one given, else the one `derivatives_figure` chose."""
    if f_range is not None:
        return f_range
    chosen = figure.layout.yaxis.range
    return tuple(chosen) if chosen is not None else None


def add_points_of_interest(figure: go.Figure, points: pd.DataFrame, *, f_range: tuple[float, float] | None = None):
    """Mark the rows of `derivlib.points_of_interest` on the f panel (yaxis "y"): one trace per kind, named by it.

    Roots, extrema, stationary, critical and inflection points and corners sit on the curve at (x, f); a pole is a
    dotted vertical line across `f_range` (default: the f panel's range), since f has no value there; a hole is an
    open dot at f's limit; a jump a filled dot at f's value there and open ones at the one-sided values it does not
    take. Hovering says everything the place is, as the table of places does (`analysis.by_place`): "minimum,
    corner: x = 0, f = 0, f′ undefined (corner), f′(x⁻) = -1, f′(x⁺) = 1". Returns the figure.
    """
    from ..analysis import by_place, shown_places  # figures are drawn from its frames; it does not draw

    places = shown_places(by_place(points)) if len(points) else pd.DataFrame()
    words = {}
    for _, place in places.iterrows():
        values = [
            f"{name} = {place[name]}" if not place[name].startswith("undefined") else f"{name} {place[name]}"
            for name in ("f", "f′", "f″")
        ]
        sides = [f"{name} = {place[name]}" for name in places.columns[5:] if place[name]]
        words[place["x"]] = f"<b>{place['what it is']}</b>: x = {place['x']}, " + ", ".join(values + sides)
    for kind, (symbol, colour, label) in KIND_MARKERS.items():
        rows = points[points["kind"] == kind]
        if rows.empty:
            continue
        common = {"name": label, "meta": INSIGHT, "xaxis": "x", "yaxis": "y", "legendrank": 900}
        if kind == "pole":
            low, high = _f_range(figure, f_range) or (-1.0, 1.0)
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
        xs, ys, filled = _marker_places(kind, rows)
        text = [words.get(f"{x + 0.0:.10g}", "") for x in xs]
        outline = CURVE_COLOUR if kind in ("jump", "hole") else colour
        fill = np.where(filled, CURVE_COLOUR, "#ffffff") if kind == "jump" else colour
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                marker={
                    "symbol": symbol,
                    "color": fill,
                    "size": 12 if kind not in ("jump", "hole") else 10,
                    "line": {"width": 2, "color": outline},
                },
                hovertext=text,
                hovertemplate="%{hovertext}<extra></extra>",
                **common,
            )
        )
    _show_insight_legend(figure)
    return figure


def _marker_places(kind: str, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where a kind's markers go on the f panel: (x, f) for most; a hole at (x, its limit); a jump at f's value there
    (filled) and at each one-sided value that is not it (open). Returns x, y and which are filled."""
    x = rows["x"].to_numpy(dtype=float)
    f = rows["f"].to_numpy(dtype=float)
    if kind == "hole":
        return x, rows["f_left"].to_numpy(dtype=float), np.zeros(len(x), dtype=bool)
    if kind != "jump":
        return x, f, np.ones(len(x), dtype=bool)
    xs, ys, filled = [], [], []
    for at, value, left, right in zip(x, f, rows["f_left"], rows["f_right"], strict=True):
        for y, is_value in ((value, True), (left, False), (right, False)):
            if np.isfinite(y) and (is_value or y != value):
                xs.append(at)
                ys.append(y)
                filled.append(is_value)
    return np.array(xs), np.array(ys), np.array(filled, dtype=bool)


def circle_points(center: tuple[float, float], radius: float, count: int = CIRCLE_POINTS):
    """x and y of `count` points around a circle, the first and last the same (a closed line).

    >>> xs, ys = circle_points((1.0, 2.0), 0.5, 5)
    >>> np.round(xs, 12).tolist(), np.round(ys, 12).tolist()
    ([1.5, 1.0, 0.5, 1.0, 1.5], [2.0, 2.5, 2.0, 1.5, 2.0])
    """
    angle = np.linspace(0.0, 2 * np.pi, count)
    return center[0] + radius * np.cos(angle), center[1] + radius * np.sin(angle)


CHART_WIDTH = 1000  # pixels: about the one-variable chart's width on a laptop, where the circle is judged
ROUND_ENOUGH = 4.0  # the drawn circle's axes may differ by this factor, and it must fit in its panel


def circle_problem(
    radius: float, figure: go.Figure, x_range: tuple[float, float], f_range: tuple[float, float] | None = None
) -> str:
    """Why the osculating circle of this radius would not be readable on the figure's f panel ('' if it would):
    the panel's units of x and of f take different lengths on screen, so a circle is drawn as an ellipse; one too
    flat (more than ROUND_ENOUGH times wider than tall, on a laptop's chart) or larger than the panel shows nothing
    of how f bends (tan x at 1: a flat ellipse across the whole panel)."""
    f_range = _f_range(figure, f_range)
    if not (math.isfinite(radius) and f_range):
        return "f is straight at x₀ (κ = 0): its circle is a line" if radius == math.inf else ""
    domain = figure.layout.yaxis.domain or (0.0, 1.0)
    height = (figure.layout.height or OVERLAY_HEIGHT) - LEGEND_MARGIN - 30  # the plot area's pixels
    across = radius * CHART_WIDTH / (x_range[1] - x_range[0])  # the drawn ellipse's half-axes, in pixels
    up = radius * height * (domain[1] - domain[0]) / (f_range[1] - f_range[0])
    if 2 * radius > x_range[1] - x_range[0] or 2 * radius > f_range[1] - f_range[0]:
        return f"its radius {radius:.3g} makes it larger than the panel"
    if max(across, up) > ROUND_ENOUGH * min(across, up):
        shape = "flat" if across > up else "tall and narrow"
        return f"at this chart's scale (x and f in very different units) it would be a {shape} ellipse"
    return ""


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
    if not math.isfinite(view.derivatives[1]):  # a corner, a jump, a hole: no tangent, polynomial or circle there
        if math.isfinite(f0):
            _add_x0(figure, view, common)
        _fix_f_panel(figure, f_range, x_range)
        _show_insight_legend(figure)
        return figure
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
                x=for_browser(xs),
                y=for_browser(ys),
                name=f"|f − T{str(n).translate(_SUBSCRIPT_DIGITS)}|",
                mode="lines",
                line={"color": "#bcbd22", "width": 1},
                hovertemplate="|f − T| %{y:.3g}<extra></extra>",
                **common,
            )
        )
    if circle and view.center is not None and not circle_problem(view.radius, figure, x_range, f_range):
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
    _add_x0(figure, view, common)
    _fix_f_panel(figure, f_range, x_range)
    _show_insight_legend(figure)
    return figure


def _add_x0(figure: go.Figure, view, common: dict) -> None:
    figure.add_trace(
        go.Scatter(
            x=[view.x0],
            y=[view.derivatives[0]],
            name="x₀",
            mode="markers",
            marker={"symbol": "circle", "size": 10, "color": "#17becf", "line": {"width": 1, "color": "#000"}},
            hovertemplate="x₀ = %{x:.6g}, f(x₀) = %{y:.6g}<extra></extra>",
            **common,
        )
    )


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
        height=380 + LEGEND_MARGIN,
        margin={"l": 10, "r": 10, "t": 40, "b": LEGEND_MARGIN},
        xaxis={"type": "log", "title": {"text": "step size h"}, "exponentformat": "power"},
        yaxis={"type": "log", "title": {"text": "|error| against autograd"}, "exponentformat": "power"},
        legend=LEGEND,  # below: above the plot it ran into the title
    )
    return figure


def clickable(figure: go.Figure) -> go.Figure:
    """Let a click on the f curve select its nearest point (Streamlit's `on_select`), without changing its look.

    Plotly selects markers, not lines: a click on a "lines" trace selects nothing. So f (the first curve) gets
    markers that stay invisible, selected or not, of which only one is drawn (`maxdisplayed`: each drawn marker is an
    SVG node, 5,000 of them cost 0.1 s per draw; the others are still clicked, from the data). The lines drawn at x₀
    (tangent, Taylor polynomial, remainder) take no part in hovering: a click selects the first point the hover
    lists, and one of theirs, at the click's exact x, would come first and select nothing. The added markers keep
    their full opacity when something else is selected.
    """
    hidden = {"opacity": 0}
    curves = [trace for trace in figure.data if trace.meta != INSIGHT]
    if curves:
        curves[0].update(
            mode="lines+markers",
            marker=hidden | {"maxdisplayed": 1},
            selected={"marker": hidden},
            unselected={"marker": hidden},
        )
    for trace in figure.data:
        if trace.meta == INSIGHT and trace.mode and "markers" in trace.mode:
            trace.update(unselected={"marker": {"opacity": 1}})
        elif trace.meta == INSIGHT:
            trace.update(hoverinfo="skip", hovertemplate=None)
    return figure
