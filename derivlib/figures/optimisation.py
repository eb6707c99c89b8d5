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

Every path is to be seen: the view grows past the range typed to take in each run's path and end (`view_ranges`),
an end beyond even that gets an arrow where its path leaves the view (`add_beyond`); the path of most steps (gradient
descent's thousand) lies lowest (Plotly's `zorder`), the short ones' few large dots on top, each path's line wider
than the one above it, so that paths along one valley show as stripes side by side (`_path_traces`); stars at one
point nest (`_add_end_marks`). Runs compared by one setting (several step sizes lr, several condition numbers κ:
`compared_runs`) carry their own name, colour and dash, and their ends a label beside the mark, never on it and
clear of the other labels (`end_labels`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..optimize import RECORDS
from ..partials import partial_names
from .markers import MARKERS
from .shared import LEGEND, LEGEND_MARGIN, for_browser, value_range
from .two_variables import CLICK, add_click_layer, contour_figure, label_format, nice_step, screen_scale

PATH_POINTS = 400  # iterates per method sent to the browser (of a path's possibly 20 000)
PARABOLAS = 6  # Newton's tangent parabolas drawn, at its first iterates (later ones shrink onto the minimum)
CURVE_POINTS = 1_000  # points of f drawn in one variable
MESSAGE_LENGTH = 60  # characters of a failed run's message on hover over where it stopped
CONVERGENCE_HEIGHT = 400  # pixels, each of the two charts
LABELLED_LEVELS = 6  # contour levels written on the map, at most (every k-th of its lines)
LABELS_PER_LEVEL = 2  # … each at most this many times, where the level crosses the map
LABEL_GAP = 0.12  # labels at least this far apart on screen (the map's longer side = 1)
LABEL_MARGIN = 0.04  # … and this far from its edges
AVOID_GAP = 0.08  # … and this far from a run's start or end (a star is up to 0.04 of a laptop's map)
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
HALO = "rgba(255, 255, 255, 0.75)"  # under every path
PATH_LEGEND = LEGEND | {"entrywidth": 180}  # room for "gradient descent + Armijo", "Newton's tangent parabolas"
DENSE = 60  # iterates sent: a path with more is drawn as beads on a line, under the shorter paths
WIDER = 2.5  # pixels: each path's line wider than the one above it (a stripe of 1.25 on either side)
STAR = 24  # pixels: the first run's star; each next one STAR_STEP smaller, so that stars at one point nest, a ring
STAR_STEP = 6  # of each colour in sight (a smaller step leaves no colour between one's white rim and the next) …
SMALLEST_STAR = 8  # … down to this
COINCIDE = 0.02  # marks closer than this on screen (the view's longer side = 1) are at one point
GROWTH = 1.0  # the view may grow past the range typed by this many times its width on each side, to show the paths
EDGE_ROOM = 0.02  # a path closer to an edge than this (share of the range's width) makes the view grow there …
VIEW_PAD = 0.05  # … to this much room beyond the path (share of the grown width), out to a round number
MERGE = 0.05  # ends closer than this on screen (the view's longer side = 1) share one label
LABEL_SIDE = 220  # pixels across the smallest view drawn (a phone's map): labels are kept apart at that size …
LABEL_CHAR, LABEL_LINE = 6.5, 15  # … where a label's character is this wide and its line this high (12 px text)
LABEL_OFFSET = 9  # … and Plotly sets it this far from its mark's middle, on each axis
MARK_RADIUS = 9  # a mark's reach from its middle, to be kept clear of other ends' labels
BEYOND = "beyond"  # the `meta` of an arrow at the view's edge towards an end beyond it
EDGE_INSET = 0.04  # … set this far inside the edge (share of the view's half-width)
LABEL_SHADOW = "0 0 2px white, 0 0 3px white, 0 0 4px white"  # text on the map, readable on any of its colours
COMPARED_COLOURS = ("#ffb000", "#fe6100", "#dc267f", "#785ef0", "#648fff")  # one method's runs, in the setting's
# order (lr or κ growing: amber, orange, magenta, violet; IBM's palette for colour-blind readers), each over its halo
DASHES = ("solid", "dash", "dot", "dashdot", "longdash")  # several methods' runs: the setting's values by dash
SETTINGS = {"lr": "lr", "kappa": "κ"}  # a compared setting -> how the charts write it


def label(method: str) -> str:
    """What the page and the charts call a method (its record's label; the name itself for one without a record)."""
    return RECORDS[method].label if method in RECORDS else method


def colour_of(method: str) -> str:
    """A method's colour, the same on every chart (its record's; grey for one without a record)."""
    return RECORDS[method].colour if method in RECORDS else "#444"


def name_of(key: str, run: Mapping) -> str:
    """What the charts call a run: its own "label" (a compared run: "gradient descent, lr = 0.001"), else its
    method's."""
    return run.get("label") or label(key)


def _colour(key: str, run: Mapping) -> str:
    return run.get("colour") or colour_of(key)


def setting_text(setting: str, value: float) -> str:
    """A compared setting's value as the charts write it, short and exact to 6 digits.

    >>> setting_text("lr", 0.0005), setting_text("kappa", 100.0), setting_text("lr", 2.5e-05)
    ('lr = 0.0005', 'κ = 100', 'lr = 2.5e-5')
    """
    text = re.sub(r"e([+-])0*(\d)", lambda m: f"e{m[1].replace('+', '')}{m[2]}", f"{value:.6g}")
    return f"{SETTINGS[setting]} = {text}"


def compared_runs(methods: Sequence[str], setting: str, values: Sequence[float]) -> dict[str, dict]:
    """The runs of a comparison: every method at every value of one setting ("lr": gradient descent's fixed step;
    "kappa": the condition number of the bowl), keyed "<method> <setting>=<value>", each with what it runs ("method",
    the setting's value under its name) and how the charts name and draw it: "label" (the method and the value),
    "short" (the value alone, for the label at its end), "colour" and "dash". One method: each value in a colour of
    its own, light to dark as the value grows (COMPARED_COLOURS); several: each method in its colour, the values told
    apart by dashes.

    >>> runs = compared_runs(["gradient-descent"], "lr", [0.002, 0.0005])
    >>> for key, run in runs.items():
    ...     print(key, "|", run["label"], "|", run["short"], "|", run["colour"])
    gradient-descent lr=0.002 | gradient descent, lr = 0.002 | lr = 0.002 | #fe6100
    gradient-descent lr=0.0005 | gradient descent, lr = 0.0005 | lr = 0.0005 | #ffb000
    """
    rank = {value: i for i, value in enumerate(sorted(set(values)))}
    runs = {}
    for method in methods:
        for i, value in enumerate(values):
            text = setting_text(setting, value)
            one = len(methods) == 1
            runs[f"{method} {setting}={value:.15g}"] = {
                "method": method,
                setting: value,
                "label": f"{label(method)}, {text}",
                "short": text,
                "colour": COMPARED_COLOURS[rank[value] % len(COMPARED_COLOURS)] if one else colour_of(method),
                "dash": "solid" if one else DASHES[i % len(DASHES)],
            }
    return runs


def _has_path(run: Mapping) -> bool:
    return run.get("path") is not None and not run["path"].empty


# ---------------------------------------------------------------------------------------------------------------------
# The view: the range typed, grown to show every path


@dataclass(frozen=True)
class View:
    """What a chart of the runs shows: each variable's range as drawn (`ranges`), as typed (`typed`), the runs whose
    end lies beyond the view (`beyond`: run -> its end) and those whose path leaves the view but ends in it
    (`leaving`)."""

    ranges: tuple[tuple[float, float], ...]
    typed: tuple[tuple[float, float], ...]
    beyond: dict[str, tuple[float, ...]] = field(default_factory=dict)
    leaving: tuple[str, ...] = ()

    @property
    def grown(self) -> bool:
        return self.ranges != self.typed


def view_ranges(
    ranges: Sequence[tuple[float, float]],
    runs: Mapping[str, dict],
    variables: Sequence[str] = ("x", "y"),
    *,
    growth: float = GROWTH,
) -> View:
    """The ranges typed, grown on a side where a path comes within EDGE_ROOM of it or goes past it, to VIEW_PAD of
    room beyond the path, out to a round number: every iterate and end on screen. A path that reaches further than
    `growth` times a range's width past it (a run that falls away without bound, or blows up) does not grow the view:
    where it ends is said instead (`beyond`), and an arrow marks where its path leaves the view (`add_beyond`).

    >>> import pandas as pd
    >>> path = pd.DataFrame({"x": [1.0, 2.220703, 2.25]})   # Newton on x⁴ − 3x³ + 2 from 1, to its minimum 2.25
    >>> view_ranges([(-2.0, 2.0)], {"newton": {"path": path}}, ("x",)).ranges
    ((-2.0, 2.5),)
    >>> far = pd.DataFrame({"x": [1.0, -3e8]})              # a run to −∞: the view stays, the end is said
    >>> view = view_ranges([(-2.0, 2.0)], {"newton": {"path": far}}, ("x",))
    >>> view.ranges, view.beyond
    (((-2.0, 2.0),), {'newton': (-300000000.0,)})
    """
    typed = tuple((float(low), float(high)) for low, high in ranges)
    caps = [(low - growth * (high - low), high + growth * (high - low)) for low, high in typed]
    coordinates = {
        key: run["path"][list(variables)].to_numpy(dtype=float) for key, run in runs.items() if _has_path(run)
    }
    fitting = [
        points
        for points in coordinates.values()
        if np.isfinite(points).all()
        and all(low <= points[:, i].min() and points[:, i].max() <= high for i, (low, high) in enumerate(caps))
    ]
    grown = []
    for i, (low, high) in enumerate(typed):
        if not fitting:
            grown.append((low, high))
            continue
        reach = (min(float(p[:, i].min()) for p in fitting), max(float(p[:, i].max()) for p in fitting))
        room = EDGE_ROOM * (high - low)
        pad = VIEW_PAD * (max(high, reach[1]) - min(low, reach[0]))
        new_low = min(low, reach[0] - pad) if reach[0] < low + room else low
        new_high = max(high, reach[1] + pad) if reach[1] > high - room else high
        step = nice_step(new_high - new_low, 20)
        if new_low < low:
            new_low = math.floor(new_low / step) * step
        if new_high > high:
            new_high = math.ceil(new_high / step) * step
        grown.append((float(new_low), float(new_high)))
    view = tuple(grown)

    def inside(point: np.ndarray) -> bool:
        return all(low <= v <= high for v, (low, high) in zip(point, view, strict=True))

    beyond, leaving = {}, []
    for key, points in coordinates.items():
        end = points[-1]
        if not inside(end):
            beyond[key] = tuple(float(v) for v in end)
        elif not all(inside(point) for point in points):
            leaving.append(key)
    return View(view, typed, beyond, tuple(leaving))


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


def _ranks(drawn: Mapping[str, dict]) -> dict[str, int]:
    """Each run's place in the stack of paths, 0 lowest: the path of most iterates lowest (ties in the runs' order),
    so that the few large dots of a short path lie on top of a long path's many small ones, never under them."""
    order = sorted(drawn, key=lambda key: -len(drawn[key]["path"]))  # sorted is stable: ties keep the runs' order
    return {key: rank for rank, key in enumerate(order)}


def _path_traces(
    key: str, run: Mapping, x: str, y: str, hover: Sequence[str], rank: int, count: int, *, halo: bool = True
) -> list[go.Scatter]:
    """A run's path, `rank` in a stack of `count` (`_ranks`): its halo, under every path (on the map, where a dark
    colour must show on dark valleys), and its iterates as dots joined by a line in its colour, each line WIDER than
    the one above it, so that where paths run together (a valley they all follow) each shows as a stripe beside the
    next; a dense path (more than DENSE iterates sent) as beads on its line, no white rims."""
    colour, name = _colour(key, run), name_of(key, run)
    shown = run["path"].iloc[path_indices(len(run["path"]))]
    dense = len(shown) > DENSE
    width = (1.5 if dense else 2.0) + WIDER * (count - 1 - rank)
    traces = []
    if halo:
        traces.append(
            go.Scatter(
                x=for_browser(shown[x]),
                y=for_browser(shown[y]),
                mode="lines",
                line={"color": HALO, "width": width + 3},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=key,
                meta="halo",
                zorder=1 + rank,
            )
        )
    marker = {"color": colour, "size": width + 2.5, "line": {"width": 0}}
    if not dense:
        marker = {"color": colour, "size": max(7.0, width + 3), "line": {"color": "white", "width": 0.8}}
    traces.append(
        go.Scatter(
            x=for_browser(shown[x]),
            y=for_browser(shown[y]),
            customdata=np.column_stack([shown["k"], *(shown[v] for v in hover), shown["f"]]),
            mode="lines+markers",
            name=name,
            legendgroup=key,
            line={"color": colour, "width": width},
            marker=marker,
            hovertemplate=_hover(hover) + f"<extra>{name}</extra>",
            meta=PATH,
            zorder=1 + count + rank,
        )
    )
    return traces


def _screen(ranges: Sequence[tuple[float, float]], to_scale: bool) -> tuple[float, float]:
    """How long one unit of each axis is on screen (the view's longer side = 1): as on the map (`screen_scale`), or,
    for a chart whose axes are not to scale (f against x), each axis its own length."""
    (x0, x1), (y0, y1) = ranges
    if to_scale:
        sx, sy, _ = screen_scale((x0, x1), (y0, y1))
        return sx, sy
    return 1 / (x1 - x0), 1 / (y1 - y0)


Box = tuple[float, float, float, float]  # left, bottom, right, top, in pixels


def end_labels(
    ends: Mapping[str, tuple[float, float]],
    runs: Mapping[str, dict],
    ranges: Sequence[tuple[float, float]],
    *,
    to_scale: bool = True,
    below: bool = False,
    avoid: Sequence[tuple[float, float]] = (),
) -> dict[str, tuple[str, str]]:
    """The labels at the ends of compared runs (those with a "short" name: "lr = 0.001"), keyed by the run whose
    mark carries one, as (text, Plotly textposition): ends within MERGE of each other on screen share one label, a
    line each behind a dot in the run's colour (the text itself dark, readable on any colour of the map). A label is
    set beside its mark, never on it (Plotly moves text set beside a marker clear of the marker): at the first of its
    four corners, towards the middle of the view first (`below`: under the mark first, as on a curve, whose minima
    have room under them), then above, below or beside it, where the label, on a view LABEL_SIDE pixels across (a
    phone's), stays in the view and clear of the labels placed before it, of the other ends and of the points `avoid`
    (the start); where none is clear, the least crowded (`_crowding`).

    >>> runs = {"a": {"short": "lr = 1", "colour": "red"}, "b": {"short": "lr = 2", "colour": "blue"}}
    >>> end_labels({"a": (0.0, 0.0), "b": (0.01, 0.0)}, runs, [(-1.0, 1.0), (-1.0, 1.0)])
    {'a': ('<span style="color:red">●</span> lr = 1<br><span style="color:blue">●</span> lr = 2', 'top right')}
    >>> runs = {"a": {"short": "lr = 1"}, "b": {"short": "lr = 2"}}   # one above the other: labels apart
    >>> [position for _, position in end_labels({"a": (0.0, 0.0), "b": (0.0, 0.15)}, runs, [(-1, 1), (-1, 1)]).values()]
    ['bottom right', 'top right']
    """
    sx, sy = _screen(ranges, to_scale)
    (x0, x1), (y0, y1) = ranges
    groups: list[list[str]] = []
    for key, (x, y) in ends.items():
        if not runs[key].get("short") or not (math.isfinite(x) and math.isfinite(y)):
            continue
        for group in groups:
            gx, gy = ends[group[0]]
            if math.hypot((x - gx) * sx, (y - gy) * sy) < MERGE:
                group.append(key)
                break
        else:
            groups.append([key])

    def pixels(x: float, y: float) -> tuple[float, float]:  # from the view's lower left, on a view LABEL_SIDE across
        return (x - x0) * sx * LABEL_SIDE, (y - y0) * sy * LABEL_SIDE

    size = ((x1 - x0) * sx * LABEL_SIDE, (y1 - y0) * sy * LABEL_SIDE)
    marks = [pixels(x, y) for x, y in [*ends.values(), *avoid] if math.isfinite(x) and math.isfinite(y)]
    placed: list[Box] = []
    labels = {}
    for group in groups:
        at = pixels(*ends[group[0]])
        extent = (LABEL_CHAR * max(len(runs[k]["short"]) + 2 for k in group), LABEL_LINE * len(group))
        across, up = at[0] / size[0], at[1] / size[1]
        verticals = ["bottom", "top"] if (up > 0.25 if below else up > 0.6) else ["top", "bottom"]
        horizontals = ["right", "left"] if across < 0.6 else ["left", "right"]
        corners = [(v, h) for v in verticals for h in horizontals]
        corners += [(v, "center") for v in verticals] + [("middle", h) for h in horizontals]  # then beside or above
        others = [mark for mark in marks if math.hypot(mark[0] - at[0], mark[1] - at[1]) > MERGE * LABEL_SIDE]
        crowding = [_crowding(_label_box(at, extent, *corner), size, placed, others) for corner in corners]
        vertical, horizontal = corners[crowding.index(min(crowding))]  # the first free place, else the least crowded
        placed.append(_label_box(at, extent, vertical, horizontal))
        text = "<br>".join(f'<span style="color:{_colour(k, runs[k])}">●</span> {runs[k]["short"]}' for k in group)
        labels[group[0]] = (text, f"{vertical} {horizontal}")
    return labels


def _label_box(at: tuple[float, float], extent: tuple[float, float], vertical: str, horizontal: str) -> Box:
    """Where a label of `extent` (width, height) set beside the mark at `at` lies (Plotly's textposition words)."""
    width, height = extent
    left = {"right": at[0] + LABEL_OFFSET, "left": at[0] - LABEL_OFFSET - width, "center": at[0] - width / 2}
    bottom = {"top": at[1] + LABEL_OFFSET, "bottom": at[1] - LABEL_OFFSET - height, "middle": at[1] - height / 2}
    return left[horizontal], bottom[vertical], left[horizontal] + width, bottom[vertical] + height


def _crowding(
    box: Box, size: tuple[float, float], placed: Sequence[Box], marks: Sequence[tuple[float, float]]
) -> float:
    """How badly a label's box sits, in square pixels: its area outside the view (`size`), over the labels placed, and
    a mark's worth of area for each mark it covers (0: a free place)."""

    def overlap(a: Box, b: Box) -> float:
        return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))

    width, height = box[2] - box[0], box[3] - box[1]
    outside = width * height - overlap(box, (0.0, 0.0, *size))
    r = MARK_RADIUS
    covered = sum(box[0] - r <= x <= box[2] + r and box[1] - r <= y <= box[3] + r for x, y in marks) * (2 * r) ** 2
    return outside + sum(overlap(box, other) for other in placed) + covered


def add_paths(
    figure: go.Figure,
    runs: Mapping[str, dict],
    variables: Sequence[str] = ("x", "y"),
    *,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> go.Figure:
    """Each run's path on a contour map of f in x and y: dots at the iterates joined by lines, in the run's colour
    over a white halo (so that a dark colour shows on the map's dark valleys), the longest path lowest and a dense one
    thin (`_path_traces`); where the run ended its mark (`_end_mark`: a star, a saddle's or maximum's mark, ⊠ where it
    stopped), its message on hover, each run's star smaller than the one before, so that stars at one minimum nest
    instead of hiding each other, and a compared run's label beside it (`labels`, from `end_labels`: by default
    placed in the figure's axis ranges); the start as a ring; the legend says what each mark is. `runs` maps a
    method (or a compared run: `compared_runs`) to {"path": DataFrame, "success": bool, "message": str} (minimize's
    result as a dict) and, where the page has told, "end": "minimum", "saddle" or "maximum"; runs with no path are
    left out. Returns the figure.
    """
    x_name, y_name = variables
    drawn = {key: run for key, run in runs.items() if _has_path(run)}
    ranks = _ranks(drawn)
    for key, run in drawn.items():
        for trace in _path_traces(key, run, x_name, y_name, variables, ranks[key], len(drawn)):
            figure.add_trace(trace)
    ends = {
        key: (float(run["path"][x_name].iloc[-1]), float(run["path"][y_name].iloc[-1])) for key, run in drawn.items()
    }
    ranges = [figure.layout.xaxis.range, figure.layout.yaxis.range]
    if any(r is None for r in ranges):  # a figure without ranges of its own: the ends' own
        ranges = [_spread([end[i] for end in ends.values()]) for i in (0, 1)]
    first = next(iter(drawn.values()))["path"].iloc[0] if drawn else None
    if labels is None:
        start = [(float(first[x_name]), float(first[y_name]))] if first is not None else []
        labels = end_labels(ends, drawn, ranges, avoid=start)
    top = 2 * len(drawn) + 1  # the marks above every path
    where = f"{x_name} = %{{x:.10g}}, {y_name} = %{{y:.10g}}"
    _add_end_marks(figure, drawn, ends, where, labels, top, _screen(ranges, True))
    if first is not None:
        figure.add_trace(
            go.Scatter(
                x=[float(first[x_name])],
                y=[float(first[y_name])],
                mode="markers",
                name="start",
                marker={"symbol": "circle-open", "size": 16, "color": START_COLOUR, "line": {"width": 3}},
                hovertemplate=f"start: {x_name} = %{{x:.6g}}, {y_name} = %{{y:.6g}}<extra></extra>",
                zorder=top + len(drawn),
            )
        )
    add_end_legend(figure, drawn)
    figure.update_layout(legend={"entrywidth": PATH_LEGEND["entrywidth"]})
    return figure


def _add_end_marks(
    figure: go.Figure,
    drawn: Mapping[str, dict],
    ends: Mapping[str, tuple[float, float]],
    where: str,
    labels: Mapping[str, tuple[str, str]],
    layer: int,
    scale: tuple[float, float],
) -> None:
    """The runs' end marks (`_end_mark`) from `layer` up: first the marks of runs that found no minimum (⊠, a saddle's,
    a maximum's), then the stars, each STAR_STEP smaller than the one before, so that at one point they nest, a ring
    of each colour in sight; a mark of the first kind at a star (within COINCIDE on screen, `scale`: the length of a
    unit of x and of y) is drawn larger than every star there, a badge under them, not hidden by them."""
    stars = [key for key in drawn if _end(drawn[key]) == "minimum"]
    others = [key for key in drawn if key not in stars]

    def at_a_star(key: str) -> bool:
        (x, y), (sx, sy) = ends[key], scale
        return any(math.hypot((x - ends[k][0]) * sx, (y - ends[k][1]) * sy) < COINCIDE for k in stars)

    sizes = {key: STAR + 4 if at_a_star(key) else None for key in others}
    sizes |= {key: max(SMALLEST_STAR, STAR - STAR_STEP * i) for i, key in enumerate(stars)}
    for i, key in enumerate(others + stars):
        figure.add_trace(_end_mark(key, drawn[key], ends[key], where, sizes[key], labels.get(key), layer + i))


def _spread(values: Sequence[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)] or [0.0]
    low, high = min(finite), max(finite)
    return (low - 1.0, high + 1.0) if high == low else (low, high)


def _end(run: Mapping) -> str:
    """How a run ended: its "end" where the page has told (a minimum, a saddle, a maximum), else by its success."""
    return run.get("end") or ("minimum" if run.get("success") else "stopped")


def _end_mark(
    key: str,
    run: Mapping,
    at: tuple[float, float],
    where: str,
    size: int | None = None,
    text: tuple[str, str] | None = None,
    layer: int = 0,
) -> go.Scatter:
    """The mark where a run ended, at `at`, `size` pixels (else its kind's size): a star in its run's colour where it
    found a minimum, the saddle's or maximum's mark of derivlib.markers where it converged to one (f there is no
    minimum), ⊠ where it stopped without converging; `text` = (label, position) beside it. On hover: the run, how it
    ended, `where` (a hover template of the point) and the run's message."""
    end, colour = _end(run), _colour(key, run)
    if end in ("saddle", "maximum"):
        symbol, colour, _ = MARKERS[end]
        marker = {"symbol": symbol, "size": size or 14, "color": colour, "line": {"color": "white", "width": 1.5}}
    elif end == "stopped":
        marker = {"symbol": STOPPED, "size": size or 13, "color": colour, "line": {"color": "white", "width": 1}}
    else:
        marker = {"symbol": "star", "size": size or STAR, "color": colour, "line": {"color": "white", "width": 1}}
    name = f"{name_of(key, run)}: {END_WORDS[end]}"
    words = {}
    if text is not None:
        words = {
            "text": [text[0]],
            "textposition": text[1],
            "textfont": {"size": 12, "color": "#111", "shadow": LABEL_SHADOW},
        }
    return go.Scatter(
        x=[at[0]],
        y=[at[1]],
        mode="markers+text" if text is not None else "markers",
        name=name,
        legendgroup=key,
        showlegend=False,
        marker=marker,
        hovertemplate=f"{name}<br>{where}<extra>{_short(run.get('message', ''))}</extra>",
        zorder=layer,
        **words,
    )


def add_beyond(
    figure: go.Figure,
    keys: Sequence[str],
    runs: Mapping[str, dict],
    ranges: Sequence[tuple[float, float]],
    *,
    to_scale: bool = True,
    columns: Sequence[str] = ("x", "y"),
) -> go.Figure:
    """An arrow at the edge of the view for each run in `keys`, whose end lies beyond it: where its path last leaves
    the view (`exit_point`), pointing along that step, in the run's colour, with the run's short name (or name)
    beside it, inside the view (runs leaving at one place share one label), and on hover the end's coordinates (its
    path's `columns`: x and y, or x and f; the last finite point where it ended at ±∞ or NaN); the legend says what
    the arrow is. Returns the figure."""
    sx, sy = _screen(ranges, to_scale)
    (x0, x1), (y0, y1) = ranges
    placed: list[tuple[float, float, go.Scatter]] = []
    for key in keys:
        run = runs[key]
        points = run["path"][list(columns)].to_numpy(dtype=float)
        exit = exit_point(points, ranges)
        if exit is None:
            continue
        (x, y), (dx, dy) = exit[0], ((exit[1][0] - exit[0][0]) * sx, (exit[1][1] - exit[0][1]) * sy)
        across, up = (x - x0) / (x1 - x0), (y - y0) / (y1 - y0)
        horizontal = "left" if across > 0.75 else "right" if across < 0.25 else "center"
        vertical = "bottom" if up > 0.75 else "top" if up < 0.25 else "middle"
        end = last_finite(run["path"], columns)
        where = ", ".join(f"{n} = {v:.3g}" for n, v in zip(columns, end, strict=True))
        name = name_of(key, run)
        trace = go.Scatter(
            x=[x],
            y=[y],
            mode="markers+text",
            text=[run.get("short") or name],
            textposition=f"{vertical} {horizontal}",
            textfont={"size": 11, "color": "#111", "shadow": LABEL_SHADOW},
            marker={
                "symbol": "arrow",
                "angle": math.degrees(math.atan2(dx, dy)),  # clockwise from up, as Plotly turns a marker
                "size": 16,
                "color": _colour(key, run),
                "line": {"color": "white", "width": 1},
            },
            name=f"{name}: ends beyond the view",
            legendgroup=key,
            showlegend=False,
            hovertemplate=f"{name} ends beyond the view, at {where}<extra>{_short(run.get('message', ''))}</extra>",
            meta=BEYOND,
            zorder=1_000,
        )
        near = next((t for a, b, t in placed if math.hypot((a - x) * sx, (b - y) * sy) < MERGE), None)
        if near is not None:  # one label for the arrows at one place
            near.text = [f"{near.text[0]}<br>{trace.text[0]}"]
            trace.text, trace.mode = None, "markers"
        placed.append((x, y, trace))
    for _, _, trace in placed:
        figure.add_trace(trace)
    if placed:
        figure.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name="where a path leaves the view, its end beyond",
                marker={"symbol": "arrow", "angle": 90, "size": 12, "color": ENDS_COLOUR},
                hoverinfo="skip",
                meta="legend",
            )
        )
    return figure


def exit_point(
    points: np.ndarray, ranges: Sequence[tuple[float, float]], inset: float = EDGE_INSET
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """Where a path of (x, y) rows whose end lies beyond the view (`ranges`) last leaves it, set `inset` (a share of
    the view) inside its edge, and the point it is stepping to there: the step from the last iterate in the view to
    the next, cut at the edge (Liang and Barsky's clipping). None where no iterate is in the view.

    >>> exit_point(np.array([[0.0, 0.0], [0.5, 0.0], [10.0, 0.0]]), [(-1.0, 1.0), (-1.0, 1.0)], inset=0.0)
    ((1.0, 0.0), (10.0, 0.0))
    """
    (x0, x1), (y0, y1) = ranges
    low = np.array([x0 + inset * (x1 - x0), y0 + inset * (y1 - y0)])
    high = np.array([x1 - inset * (x1 - x0), y1 - inset * (y1 - y0)])
    with np.errstate(invalid="ignore"):
        inside = np.flatnonzero(np.all((points >= low) & (points <= high), axis=1))
    if not len(inside) or inside[-1] == len(points) - 1:
        return None
    a = points[inside[-1]]
    b = next((p for p in points[inside[-1] + 1 :] if np.all(np.isfinite(p))), None)
    if b is None:
        return None
    step = b - a
    t = 1.0
    for i in range(2):  # the largest t in [0, 1] with a + t·step inside, along each axis
        if step[i] > 0:
            t = min(t, (high[i] - a[i]) / step[i])
        elif step[i] < 0:
            t = min(t, (low[i] - a[i]) / step[i])
    at = a + t * step
    return (float(at[0]), float(at[1])), (float(b[0]), float(b[1]))


def last_finite(path: pd.DataFrame, columns: Sequence[str]) -> tuple[float, ...]:
    """A path's last point whose coordinates are all finite (its first where none is)."""
    values = path[list(columns)].to_numpy(dtype=float)
    finite = np.flatnonzero(np.isfinite(values).all(axis=1))
    return tuple(float(v) for v in values[finite[-1] if len(finite) else 0])


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
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    levels: Sequence[float],
    avoid: Sequence[tuple[float, float]] = (),
) -> list[tuple[float, float, float]]:
    """Where to write contour levels on a map of z (one row per y): (x, y, level) at points where the level crosses
    the grid, at most LABELS_PER_LEVEL for each, each label at least LABEL_GAP (on screen: the longer side = 1) from
    the others, AVOID_GAP from the points `avoid` (the marks of the runs' starts and ends) and LABEL_MARGIN from the
    edges; the first label of a level as central as can be, the next as far from those placed.

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
        for a, b in avoid:  # a mark's place is its own
            inside &= np.hypot(screen[:, 0] - (a - x[0]) / span, screen[:, 1] - (b - y[0]) / span) >= AVOID_GAP
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


def add_level_labels(figure: go.Figure, avoid: Sequence[tuple[float, float]] = ()) -> go.Figure:
    """The map's contour lines labelled by a few text marks (`level_labels`: every k-th level, LABELLED_LEVELS at
    most, none on the points `avoid`) instead of Plotly's own labels, which take 0.4–0.6 s of every draw. Returns the
    figure."""
    contour = figure.data[0]
    step, start, end = contour.contours.size, contour.contours.start, contour.contours.end
    contour.contours.showlabels = False
    if not step or start is None or end is None:  # no levels of its own (a map without a usable range)
        return figure
    levels = start + step * np.arange(round((end - start) / step) + 1)
    every = max(1, math.ceil(len(levels) / LABELLED_LEVELS))
    labels = level_labels(contour.x, contour.y, contour.z, levels[every - 1 :: every], avoid)
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
    frame: pd.DataFrame,
    runs: Mapping[str, dict],
    click: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    beyond: Mapping[str, tuple[float, ...]] | None = None,
    title: str | None = None,
    height: int | None = None,
    axes: tuple[str, str] = ("x", "y"),
) -> go.Figure:
    """The contour map of a `derivlib.surface_table` frame with a few labelled levels, none on the runs' starts and
    ends, drawn quickly (`quick_colours`), the runs' paths on it (`add_paths`), an arrow at the edge towards each end
    `beyond` the map (`View.beyond`: `add_beyond`), and the click layer at the points `click` = (x, y, f) with one of
    its markers drawn: a click picks the nearest of them all. `title` above the map (a small multiple's: "κ = 10"),
    `height` in pixels (contour_figure's by default). `axes` name the paths' columns along the map's x and y axes
    (the frame's x and y): a map of f in more variables is a slice across two of them, the paths projected on it."""
    u, v = axes
    drawn = [run["path"] for run in runs.values() if _has_path(run)]
    marks = [(float(p[u].iloc[i]), float(p[v].iloc[i])) for p in drawn for i in (0, -1)]
    contours = contour_figure(frame, height=height) if height else contour_figure(frame)
    figure = quick_colours(add_level_labels(contours, marks))
    add_paths(figure, runs, axes)
    if beyond:
        ranges = [tuple(figure.layout.xaxis.range), tuple(figure.layout.yaxis.range)]
        add_beyond(figure, list(beyond), runs, ranges, columns=axes)
    add_click_layer(figure, *click)
    for trace in figure.data:
        if trace.meta == CLICK:
            trace.marker.maxdisplayed = 1  # invisible anyway; each drawn one is an SVG node at every draw
    if axes != ("x", "y"):
        figure.update_xaxes(title_text=u)
        figure.update_yaxes(title_text=v)
        for trace in figure.data:
            if isinstance(trace.hovertemplate, str) and trace.hovertemplate.startswith("x = "):
                trace.hovertemplate = trace.hovertemplate.replace("x = ", f"{u} = ", 1).replace("y = ", f"{v} = ", 1)
    if title:
        figure.update_layout(
            title={"text": title, "x": 0.5, "xanchor": "center", "font": {"size": 14}},
            margin={"t": 40 + 20 * title.count("<br>")},
        )
    return figure


def curve_figure(
    x: np.ndarray,
    f: np.ndarray,
    runs: Mapping[str, dict],
    *,
    parabolas: Sequence[tuple[float, float, float, float]] = (),
    variable: str = "x",
    height: int = CURVE_HEIGHT,
    beyond: Mapping[str, tuple[float, ...]] | None = None,
) -> go.Figure:
    """f in one variable over x (the view: `view_ranges`) with each run's iterates on the curve (dots joined by
    lines, in the run's colour, the longest path lowest and a dense one thin), where each run ended marked (a
    compared run's label beside its mark), an arrow at the edge towards each end `beyond` the view (`add_beyond`), and
    Newton's tangent parabolas: (x_k, f, f′, f″) at an iterate gives q(t) = f + f′(t − x_k) + f″/2 (t − x_k)², whose
    minimum (where f″ > 0) is Newton's next point. The f axis shows the curve's shape (`value_range`) and every end in
    the view.
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
    drawn = {key: run for key, run in runs.items() if _has_path(run)}
    ends = {key: last_finite(run["path"], (variable, "f")) for key, run in drawn.items()}
    in_view = [value for end, value in ends.values() if low <= end <= high]
    shown_range = value_range(np.concatenate([f, in_view]) if in_view else f, pad=0.08)
    y_range = shown_range or _spread(in_view)
    ends_xy = {key: (end[0], end[1]) for key, end in ends.items()}
    starts = [(float(run["path"][variable].iloc[0]), float(run["path"]["f"].iloc[0])) for run in drawn.values()]
    labels = end_labels(ends_xy, drawn, [(low, high), y_range], to_scale=False, below=True, avoid=starts[:1])
    ranks = _ranks(drawn)
    for key, run in drawn.items():
        for trace in _path_traces(key, run, variable, "f", [variable], ranks[key], len(drawn), halo=False):
            figure.add_trace(trace)
    where = f"{variable} = %{{x:.10g}}<br>f = %{{y:.10g}}"
    scale = _screen([(low, high), y_range], False)
    _add_end_marks(figure, drawn, ends_xy, where, labels, 2 * len(drawn) + 1, scale)
    if beyond:
        keys = [key for key in beyond if key in drawn]
        add_beyond(figure, keys, drawn, [(low, high), y_range], to_scale=False, columns=(variable, "f"))
    add_end_legend(figure, drawn)
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": LEGEND_MARGIN},
        legend=PATH_LEGEND,
        hovermode="closest",
        xaxis={"title": {"text": variable}, "range": [low, high]},
        yaxis={"title": {"text": "f"}, "range": list(y_range)},
    )
    return figure


CONVERGENCE = {  # the two convergence charts: what each draws (the traces' meta) -> its title
    "‖∇f‖": "‖∇f‖, the gradient's length",
    "f − f_best": "f − f_best, the gap to the lowest f found",
}


def convergence_figures(runs: Mapping[str, dict], *, height: int = CONVERGENCE_HEIGHT) -> tuple[go.Figure, go.Figure]:
    """Two charts against the iteration k, on log scales, one line per run in its colour (and dash: a compared run's,
    `compared_runs`): ‖∇f‖, and f − f_best. f_best is the lowest f of every path (the second chart's meta);
    f − f_best = 0 (the best run's end, and values within rounding of it) cannot be drawn on a log scale and is left
    out. Two charts, not two panels of one: side by side on a laptop, one above the other on a phone, each with its
    own title and room for its axis.
    """
    paths = {key: run["path"] for key, run in runs.items() if _has_path(run)}
    finite = [p["f"].to_numpy()[np.isfinite(p["f"].to_numpy())] for p in paths.values()]
    best = min((float(v.min()) for v in finite if v.size), default=math.nan)
    figures = []
    for what, title in CONVERGENCE.items():
        figure = go.Figure()
        lines: dict[str, np.ndarray] = {}
        for key, path in paths.items():
            colour, name = _colour(key, runs[key]), name_of(key, runs[key])
            shown = path.iloc[path_indices(len(path), 4 * PATH_POINTS)]  # lines only: more points, still a few kB
            if what == "‖∇f‖":
                y = shown["grad_norm"].to_numpy()
            else:
                y = shown["f"].to_numpy() - best
                y = np.where(y > 0, y, np.nan)
            lines[key] = np.asarray(y, dtype=float)
            figure.add_trace(
                go.Scatter(
                    x=shown["k"].to_numpy(dtype=np.int32),
                    y=for_browser(y),
                    mode="lines+markers" if len(shown) <= 60 else "lines",
                    name=name,
                    legendgroup=key,
                    line={"color": colour, "width": 2, "dash": runs[key].get("dash", "solid")},
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
        _cap_divergence(figure, lines, runs, what)
        figures.append(figure)
    return figures[0], figures[1]


ABOVE_START = 1e4  # how far above the runs' starting values a convergence chart reaches: a diverging run leaves it


def _cap_divergence(figure: go.Figure, lines: Mapping[str, np.ndarray], runs: Mapping[str, dict], what: str) -> None:
    """Where a run diverges (gradient descent with too large a step: ‖∇f‖ to 1e32), the log axis would give it every
    decade and squash the others into a band: the axis stops ABOVE_START times above the largest starting value, and
    a note at the top names each run that leaves it and how far it went."""
    values = [v[np.isfinite(v) & (v > 0)] for v in lines.values()]
    starts = [float(v[0]) for v in lines.values() if v.size and np.isfinite(v[0]) and v[0] > 0]
    if not starts or not any(v.size for v in values):
        return
    top = max(starts) * ABOVE_START
    beyond = {key: float(np.nanmax(v)) for key, v in lines.items() if np.any(v[np.isfinite(v)] > top)}
    if not beyond:
        return
    low = min(float(v.min()) for v in values if v.size)
    figure.update_yaxes(range=[math.log10(low) - 0.3, math.log10(top)])
    words = "; ".join(f"{name_of(key, runs[key])} grows to {peak:.1e}" for key, peak in beyond.items())
    figure.add_annotation(
        text=f"↑ off the chart: {words}",
        xref="paper",
        yref="paper",
        x=0.0,
        y=1.0,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        font={"size": 11, "color": "#b02a2a"},
        bgcolor="rgba(255, 255, 255, 0.8)",
    )
    figure.layout.meta = {**figure.layout.meta, "capped": sorted(beyond)}


def tangent_parabolas(
    path: pd.DataFrame, derivatives: Mapping[str, np.ndarray], variable: str = "x"
) -> list[tuple[float, float, float, float]]:
    """(x_k, f, f′, f″) at the first PARABOLAS iterates of a path in `variable`, from partials at those points."""
    xs = path[variable].to_numpy()[:PARABOLAS]
    _, first, second = partial_names((variable,), 2)
    return [
        (float(x), float(derivatives["f"][i]), float(derivatives[first][i]), float(derivatives[second][i]))
        for i, x in enumerate(xs)
    ]
