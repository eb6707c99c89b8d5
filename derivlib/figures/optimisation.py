"""Plotly figures of minimize()'s runs: the paths on the contour map (two variables) or on the curve (one), and the
convergence of every method on log scales, two charts. Pure Plotly, no Streamlit: the optimisation page draws them,
the tests read them.

A path can have tens of thousands of iterations (gradient descent's); the browser gets at most PATH_POINTS of them
per method (the first half of that all of them, where a path turns most, then evenly spaced, the last kept), as
float32 where a value is only drawn.

Drawn in SVG, a map is redrawn whole whenever a start changes, so what costs a browser time per draw is kept out
(`map_figure`): Plotly's own contour labels (0.4–0.6 s a draw) give way to a few labelled levels as text
(`add_level_labels`); the colours are a heatmap the browser stretches (zsmooth "fast") under the contour's lines,
not the contour's own heatmap colouring, which Plotly interpolates pixel by pixel (0.1–0.3 s a draw); and of the
click layer's thousands of invisible markers only one is drawn (`marker.maxdisplayed`: a click still picks the
nearest point of them all, from the data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..optimize import RECORDS
from .markers import MARKERS
from .shared import LEGEND, LEGEND_MARGIN, for_browser, value_range
from .two_variables import CLICK, add_click_layer, contour_figure, label_format

PATH_POINTS = 400  # iterates per method sent to the browser (of a path's possibly 20 000)
PARABOLAS = 6  # Newton's tangent parabolas drawn, at its first iterates (later ones shrink onto the minimum)
CURVE_POINTS = 1_000  # points of f drawn in one variable
MESSAGE_LENGTH = 60  # characters of a failed run's message on hover over where it stopped
CONVERGENCE_HEIGHT = 400  # pixels, each of the two charts
LABELLED_LEVELS = 6  # contour levels written on the map, at most (every k-th of its lines)
LABELS_PER_LEVEL = 2  # … each at most this many times, where the level crosses the map
LABEL_GAP = 0.12  # labels at least this far apart on screen (the map's longer side = 1)
LABEL_MARGIN = 0.04  # … and this far from its edges
LABELS_META = "levels"  # the `meta` of the level labels' trace
CURVE_HEIGHT = 520
PATH = "path"  # the `meta` of a method's path traces
START_COLOUR = "#111111"
ENDS_COLOUR = "#555555"  # the legend's star and stop: each method's own are in its colour
STOPPED = "square-x"  # where a run stopped without converging: ⊠, never derivlib.markers' saddle (×)
END_WORDS = {  # how a run ended (its "end") -> what its mark's hover and the legend say
    "minimum": "minimum found",
    "saddle": "converged to a saddle point",
    "maximum": "converged to a maximum",
    "stopped": "stopped",
}
HALO = "rgba(255, 255, 255, 0.75)"  # under each path
PATH_LEGEND = LEGEND | {"entrywidth": 180}  # room for "gradient descent + Armijo", "Newton's tangent parabolas"


def label(method: str) -> str:
    """What the page and the charts call a method (its record's label; the name itself for one without a record)."""
    return RECORDS[method].label if method in RECORDS else method


def colour_of(method: str) -> str:
    """A method's colour, the same on every chart (its record's; grey for one without a record)."""
    return RECORDS[method].colour if method in RECORDS else "#444"


def path_indices(n: int, limit: int = PATH_POINTS) -> np.ndarray:
    """At most `limit` of range(n): the first limit/2 all, then evenly spaced, the last always among them.

    >>> path_indices(3, 4).tolist(), path_indices(10, 4).tolist(), path_indices(20, 6).tolist()
    ([0, 1, 2], [0, 1, 2, 9], [0, 1, 2, 3, 11, 19])
    """
    if n <= limit:
        return np.arange(n)
    head = limit // 2
    tail = np.linspace(head, n - 1, limit - head).round().astype(int)
    return np.unique(np.concatenate([np.arange(head), tail]))


def _short(message: str) -> str:
    return message if len(message) <= MESSAGE_LENGTH else message[: MESSAGE_LENGTH - 1] + "…"


def _hover(variables: Sequence[str]) -> str:
    where = ", ".join(f"{name} = %{{customdata[{i + 1}]:.6g}}" for i, name in enumerate(variables))
    return f"k = %{{customdata[0]}}<br>{where}<br>f = %{{customdata[{len(variables) + 1}]:.6g}}"


def add_paths(figure: go.Figure, runs: Mapping[str, dict], variables: Sequence[str] = ("x", "y")) -> go.Figure:
    """Each run's path on a contour map of f in x and y: markers at the iterates joined by lines, in the method's
    colour over a white halo (so that a dark colour shows on the map's dark valleys); where the run ended its mark
    (`_end_mark`: a star, a saddle's or maximum's mark, ⊠ where it stopped), its message on hover, each method's star
    smaller than the one before, so that stars at one minimum nest instead of hiding each other; the start as a ring;
    the legend says what each mark is. `runs` maps a method to {"path": DataFrame, "success": bool, "message": str}
    (minimize's result as a dict) and, where the page has told, "end": "minimum", "saddle" or "maximum"; runs with no
    path are left out. Returns the figure.
    """
    x_name, y_name = variables
    drawn = {m: r for m, r in runs.items() if r.get("path") is not None and not r["path"].empty}
    for method, run in drawn.items():
        colour, name = colour_of(method), label(method)
        shown = run["path"].iloc[path_indices(len(run["path"]))]
        x, y = for_browser(shown[x_name]), for_browser(shown[y_name])
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                line={"color": HALO, "width": 5},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=method,
                meta="halo",
            )
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                customdata=np.column_stack([shown["k"], shown[x_name], shown[y_name], shown["f"]]),
                mode="lines+markers",
                name=name,
                legendgroup=method,
                line={"color": colour, "width": 2},
                marker={"color": colour, "size": 6, "line": {"color": "white", "width": 0.8}},
                hovertemplate=_hover(variables) + f"<extra>{name}</extra>",
                meta=PATH,
            )
        )
    for i, (method, run) in enumerate(drawn.items()):
        last = run["path"].iloc[-1]
        at = (float(last[x_name]), float(last[y_name]))
        figure.add_trace(_end_mark(method, run, at, f"{x_name} = %{{x:.10g}}, {y_name} = %{{y:.10g}}", 24 - 4 * i))
    if drawn:
        first = next(iter(drawn.values()))["path"].iloc[0]
        figure.add_trace(
            go.Scatter(
                x=[float(first[x_name])],
                y=[float(first[y_name])],
                mode="markers",
                name="start",
                marker={"symbol": "circle-open", "size": 16, "color": START_COLOUR, "line": {"width": 3}},
                hovertemplate=f"start: {x_name} = %{{x:.6g}}, {y_name} = %{{y:.6g}}<extra></extra>",
            )
        )
    add_end_legend(figure, drawn)
    figure.update_layout(legend={"entrywidth": PATH_LEGEND["entrywidth"]})
    return figure


def _end(run: Mapping) -> str:
    """How a run ended: its "end" where the page has told (a minimum, a saddle, a maximum), else by its success."""
    return run.get("end") or ("minimum" if run.get("success") else "stopped")


def _end_mark(method: str, run: Mapping, at: tuple[float, float], where: str, star_size: int) -> go.Scatter:
    """The mark where a run ended, at `at`: a star in its method's colour where it found a minimum (at least 10
    pixels), the saddle's or maximum's mark of derivlib.markers where it converged to one (f there is no minimum), ⊠
    where it stopped without converging. On hover: the method, how it ended, `where` (a hover template of the point)
    and the run's message."""
    end, colour = _end(run), colour_of(method)
    if end in ("saddle", "maximum"):
        symbol, colour, _ = MARKERS[end]
        marker = {"symbol": symbol, "size": 14, "color": colour, "line": {"color": "white", "width": 1.5}}
    elif end == "stopped":
        marker = {"symbol": STOPPED, "size": 13, "color": colour, "line": {"color": "white", "width": 1}}
    else:
        marker = {
            "symbol": "star",
            "size": max(10, star_size),
            "color": colour,
            "line": {"color": "white", "width": 1.5},
        }
    name = f"{label(method)}: {END_WORDS[end]}"
    return go.Scatter(
        x=[at[0]],
        y=[at[1]],
        mode="markers",
        name=name,
        legendgroup=method,
        showlegend=False,
        marker=marker,
        hovertemplate=f"{name}<br>{where}<extra>{_short(run.get('message', ''))}</extra>",
    )


def add_end_legend(figure: go.Figure, runs: Mapping[str, dict]) -> go.Figure:
    """Legend entries for the marks at the runs' ends that the chart has: a grey star where a run found a minimum
    and ⊠ where one stopped without converging (each method's own are in its colour), the saddle's and maximum's
    marks as derivlib.markers draws and names them. Returns the figure."""
    have = {_end(run) for run in runs.values()}
    for end in ("minimum", "saddle", "maximum", "stopped"):
        if end not in have:
            continue
        if end in ("saddle", "maximum"):
            symbol, colour, name = MARKERS[end]
            name = f"{name}, a run converged there"
        else:
            symbol, colour = ("star", ENDS_COLOUR) if end == "minimum" else (STOPPED, ENDS_COLOUR)
            name = "minimum found" if end == "minimum" else "stopped, no minimum found"
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=name,
                marker={"symbol": symbol, "size": 12, "color": colour, "line": {"color": "white", "width": 1.5}},
                hoverinfo="skip",
                meta="legend",
            )
        )
    return figure


def level_labels(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, levels: Sequence[float]
) -> list[tuple[float, float, float]]:
    """Where to write contour levels on a map of z (one row per y): (x, y, level) at points where the level crosses
    the grid, at most LABELS_PER_LEVEL for each, each label at least LABEL_GAP (on screen: the longer side = 1) from
    the others and LABEL_MARGIN from the edges; the first label of a level as central as can be, the next as far from
    those placed.

    >>> x = y = np.linspace(-1, 1, 41)
    >>> z = np.add.outer(y**2, x**2)                      # circles: z = 0.25 at radius 0.5
    >>> [(round(float(np.hypot(a, b)), 2), level) for a, b, level in level_labels(x, y, z, [0.25])]
    [(0.5, 0.25), (0.5, 0.25)]
    """
    x, y, z = (np.asarray(v, dtype=np.float64) for v in (x, y, z))
    span = max(x[-1] - x[0], y[-1] - y[0])
    chosen: list[tuple[float, float, float]] = []
    for level in levels:
        d = z - level
        with np.errstate(invalid="ignore"):
            across = d[:, :-1] * d[:, 1:] < 0  # the level crosses between neighbours in a row …
            down = d[:-1, :] * d[1:, :] < 0  # … or in a column
        rows, columns = np.nonzero(across)
        t = d[rows, columns] / (d[rows, columns] - d[rows, columns + 1])
        points = [np.column_stack([x[columns] + t * (x[columns + 1] - x[columns]), y[rows]])]
        rows, columns = np.nonzero(down)
        t = d[rows, columns] / (d[rows, columns] - d[rows + 1, columns])
        points.append(np.column_stack([x[columns], y[rows] + t * (y[rows + 1] - y[rows])]))
        at = np.concatenate(points)
        screen = np.column_stack([(at[:, 0] - x[0]) / span, (at[:, 1] - y[0]) / span])
        width, height = (x[-1] - x[0]) / span, (y[-1] - y[0]) / span
        inside = (
            (screen[:, 0] >= LABEL_MARGIN)
            & (screen[:, 0] <= width - LABEL_MARGIN)
            & (screen[:, 1] >= LABEL_MARGIN)
            & (screen[:, 1] <= height - LABEL_MARGIN)
        )
        at, screen = at[inside], screen[inside]
        for _ in range(LABELS_PER_LEVEL):
            if not len(at):
                break
            if chosen:
                placed = np.array([((a - x[0]) / span, (b - y[0]) / span) for a, b, _ in chosen])
                gaps = np.min(np.hypot(*(screen[:, None, :] - placed[None, :, :]).transpose(2, 0, 1)), axis=1)
                best = int(np.argmax(gaps))
                if gaps[best] < LABEL_GAP:
                    break
            else:
                best = int(np.argmin(np.hypot(screen[:, 0] - width / 2, screen[:, 1] - height / 2)))
            chosen.append((float(at[best, 0]), float(at[best, 1]), float(level)))
    return chosen


def level_text(level: float, step: float) -> str:
    """A contour level as its label reads: the step's decimals, trailing zeros trimmed (`label_format`'s rule).

    >>> level_text(400.0, 200.0), level_text(0.30000000000000004, 0.1), level_text(-1e-17, 0.5), level_text(3e-9, 1e-9)
    ('400', '0.3', '0', '3.00e-09')
    """
    form = label_format(step)
    if not form.endswith("~f"):
        return f"{level:.2e}"
    text = f"{level:.{int(form[1:-2])}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def add_level_labels(figure: go.Figure) -> go.Figure:
    """The map's contour lines labelled by a few text marks (`level_labels`: every k-th level, LABELLED_LEVELS at
    most) instead of Plotly's own labels, which take 0.4–0.6 s of every draw. Returns the figure."""
    contour = figure.data[0]
    step, start, end = contour.contours.size, contour.contours.start, contour.contours.end
    contour.contours.showlabels = False
    if not step or start is None or end is None:  # no levels of its own (a map without a usable range)
        return figure
    levels = start + step * np.arange(round((end - start) / step) + 1)
    every = max(1, math.ceil(len(levels) / LABELLED_LEVELS))
    labels = level_labels(contour.x, contour.y, contour.z, levels[every - 1 :: every])
    if labels:
        x, y, values = zip(*labels, strict=True)
        figure.add_trace(
            go.Scatter(
                x=list(x),
                y=list(y),
                text=[level_text(v, step) for v in values],
                mode="text",
                textfont={"size": 11, "color": "#111", "shadow": "0 0 2px white, 0 0 3px white"},
                hoverinfo="skip",
                showlegend=False,
                meta=LABELS_META,
            )
        )
    return figure


def quick_colours(figure: go.Figure) -> go.Figure:
    """The contour map's colours (its first trace's) as a heatmap under it that the browser stretches smoothly, the
    contour left drawing its lines alone: the same picture, drawn sooner. The heatmap is named f and comes first.
    Returns the figure."""
    contour = figure.data[0]
    figure.add_trace(
        go.Heatmap(
            x=contour.x,
            y=contour.y,
            z=contour.z,
            zmin=contour.zmin,
            zmax=contour.zmax,
            colorscale=contour.colorscale,
            colorbar=contour.colorbar.to_plotly_json(),
            zsmooth="fast",
            name="f",
            hoverinfo="skip",
        )
    )
    contour.update(contours_coloring="none", showscale=False, name="f's levels")
    figure.data = (figure.data[-1], *figure.data[:-1])
    return figure


def map_figure(
    frame: pd.DataFrame, runs: Mapping[str, dict], click: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> go.Figure:
    """The contour map of a `derivlib.surface_table` frame with a few labelled levels, drawn quickly
    (`quick_colours`), the runs' paths on it (`add_paths`), and the click layer at the points `click` = (x, y, f)
    with one of its markers drawn: a click picks the nearest of them all."""
    figure = quick_colours(add_level_labels(contour_figure(frame)))
    add_paths(figure, runs)
    add_click_layer(figure, *click)
    for trace in figure.data:
        if trace.meta == CLICK:
            trace.marker.maxdisplayed = 1  # invisible anyway; each drawn one is an SVG node at every draw
    return figure


def curve_figure(
    x: np.ndarray,
    f: np.ndarray,
    runs: Mapping[str, dict],
    *,
    parabolas: Sequence[tuple[float, float, float, float]] = (),
    variable: str = "x",
    height: int = CURVE_HEIGHT,
) -> go.Figure:
    """f in one variable with each run's iterates on the curve (markers joined by lines, in the method's colour),
    where each run ended marked, and Newton's tangent parabolas: (x_k, f, f′, f″) at an iterate gives
    q(t) = f + f′(t − x_k) + f″/2 (t − x_k)², whose minimum (where f″ > 0) is Newton's next point.
    """
    x, f = np.asarray(x, dtype=float), np.asarray(f, dtype=float)
    figure = go.Figure(
        go.Scatter(
            x=for_browser(x),
            y=for_browser(f),
            name="f",
            mode="lines",
            line={"color": "#444", "width": 2},
            hovertemplate=f"{variable} = %{{x:.6g}}<br>f = %{{y:.6g}}<extra></extra>",
        )
    )
    low, high = float(x[0]), float(x[-1])
    width = (high - low) / 4  # each parabola drawn over a quarter of the range, centred on its iterate
    for i, (at, value, slope, curvature) in enumerate(parabolas[:PARABOLAS]):
        t = np.linspace(max(low, at - width), min(high, at + width), 60)
        q = value + slope * (t - at) + curvature / 2 * (t - at) ** 2
        figure.add_trace(
            go.Scatter(
                x=for_browser(t),
                y=for_browser(q),
                mode="lines",
                name="Newton's tangent parabolas",
                legendgroup="parabolas",
                showlegend=i == 0,
                line={"color": colour_of("newton"), "width": 1.2, "dash": "dash"},
                opacity=0.7,
                hovertemplate=f"parabola at {variable} = {at:.4g}<extra></extra>",
            )
        )
    for method, run in runs.items():
        path: pd.DataFrame | None = run.get("path")
        if path is None or path.empty:
            continue
        colour, name = colour_of(method), label(method)
        shown = path.iloc[path_indices(len(path))]
        figure.add_trace(
            go.Scatter(
                x=for_browser(shown[variable]),
                y=for_browser(shown["f"]),
                customdata=np.column_stack([shown["k"], shown[variable], shown["f"]]),
                mode="lines+markers",
                name=name,
                legendgroup=method,
                line={"color": colour, "width": 1.5},
                marker={"color": colour, "size": 8, "line": {"color": "white", "width": 0.8}},
                hovertemplate=_hover([variable]) + f"<extra>{name}</extra>",
                meta=PATH,
            )
        )
        last = path.iloc[-1]
        end = (float(last[variable]), float(last["f"]))
        figure.add_trace(_end_mark(method, run, end, f"{variable} = %{{x:.10g}}<br>f = %{{y:.10g}}", 18))
    add_end_legend(figure, {m: r for m, r in runs.items() if r.get("path") is not None and not r["path"].empty})
    shown_range = value_range(f, pad=0.08)
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": LEGEND_MARGIN},
        legend=PATH_LEGEND,
        hovermode="closest",
        xaxis={"title": {"text": variable}, "range": [low, high]},
        yaxis={"title": {"text": "f"}, "range": list(shown_range) if shown_range else None},
    )
    return figure


CONVERGENCE = {  # the two convergence charts: what each draws (the traces' meta) -> its title
    "‖∇f‖": "‖∇f‖, the gradient's length",
    "f − f_best": "f − f_best, the gap to the lowest f found",
}


def convergence_figures(runs: Mapping[str, dict], *, height: int = CONVERGENCE_HEIGHT) -> tuple[go.Figure, go.Figure]:
    """Two charts against the iteration k, on log scales, one line per method in its colour: ‖∇f‖, and f − f_best.
    f_best is the lowest f of every path (the second chart's meta); f − f_best = 0 (the best run's end, and values
    within rounding of it) cannot be drawn on a log scale and is left out. Two charts, not two panels of one: side by
    side on a laptop, one above the other on a phone, each with its own title and room for its axis.
    """
    paths = {m: r["path"] for m, r in runs.items() if r.get("path") is not None and not r["path"].empty}
    finite = [p["f"].to_numpy()[np.isfinite(p["f"].to_numpy())] for p in paths.values()]
    best = min((float(v.min()) for v in finite if v.size), default=math.nan)
    figures = []
    for what, title in CONVERGENCE.items():
        figure = go.Figure()
        for method, path in paths.items():
            colour, name = colour_of(method), label(method)
            shown = path.iloc[path_indices(len(path), 4 * PATH_POINTS)]  # lines only: more points, still a few kB
            if what == "‖∇f‖":
                y = shown["grad_norm"].to_numpy()
            else:
                y = shown["f"].to_numpy() - best
                y = np.where(y > 0, y, np.nan)
            figure.add_trace(
                go.Scatter(
                    x=shown["k"].to_numpy(dtype=np.int32),
                    y=for_browser(y),
                    mode="lines+markers" if len(shown) <= 60 else "lines",
                    name=name,
                    legendgroup=method,
                    line={"color": colour, "width": 2},
                    marker={"size": 5, "color": colour},
                    hovertemplate=f"k = %{{x}}<br>{what} = %{{y:.3e}}<extra>{name}</extra>",
                    meta=what,
                )
            )
        figure.update_layout(
            title={"text": title, "x": 0.5, "xanchor": "center", "font": {"size": 14}},
            height=height,
            margin={"l": 10, "r": 10, "t": 40, "b": LEGEND_MARGIN},
            legend=PATH_LEGEND,
            hovermode="closest",
            xaxis={"title": {"text": "iteration k"}},
            yaxis={"type": "log", "exponentformat": "power", "showexponent": "all"},
            meta={"f_best": best, "shows": what},
        )
        figures.append(figure)
    return figures[0], figures[1]


def tangent_parabolas(
    path: pd.DataFrame, derivatives: Mapping[str, np.ndarray]
) -> list[tuple[float, float, float, float]]:
    """(x_k, f, f′, f″) at the first PARABOLAS iterates of a path in x, from partials at those points."""
    xs = path["x"].to_numpy()[:PARABOLAS]
    return [
        (float(x), float(derivatives["f"][i]), float(derivatives["fx"][i]), float(derivatives["fxx"][i]))
        for i, x in enumerate(xs)
    ]
