"""Plotly figures of f(x, y): a contour map with the gradient field and the critical points, a 3-D surface, and small
maps of the partial derivatives, light enough for a browser however dense the grid.

A 1000 × 1000 grid is 11 MB of JSON as a float64 contour; a browser needs far less to draw a map a few hundred
pixels across. So each map is sampled down to at most MAP_AXIS points per axis (every k-th row and column, both ends
kept: exact values at exact grid points) and sent as float32. The full-resolution values stay in the CSV.

Arrows, the point marker and the click layer are drawn in *screen* proportions: `screen_scale` says how long one unit
of x and of y is on screen (the plot's longer side is 1), so that arrows all fit their cells and point, on screen,
the way the data vector points. The map keeps x and y to scale (one unit as long on either axis) unless the ranges
differ by more than ASPECT_LIMIT, when it is drawn square instead, and says so.

Drawn in SVG, a map is drawn anew whenever its figure changes, so what costs a browser time at every draw is kept
small: the arrows are two paths (shafts and heads alike, `add_gradient_arrows`), and of the click layer's thousands
of invisible markers one is drawn (`marker.maxdisplayed`: a click still picks the nearest of them all, from the
data; each drawn marker is an SVG node, and 6,561 of them took 0.6 s a draw).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from ..rounding import SAFETY, is_noise, zero_everywhere, zeroed
from .markers import markers
from .shared import LEGEND, LEGEND_MARGIN, QUANTILE_SAMPLE, for_browser, value_range

MAP_AXIS = 250  # grid points per axis sent for the contour map (250² float32: 0.33 MB of base64)
PANEL_AXIS = 90  # … for each small map of a partial derivative (nine of them: 0.4 MB)
SURFACE_AXIS = 120  # … for the 3-D surface (WebGL: fewer triangles redraw sooner when it is turned)
ARROWS = 17  # gradient arrows along the longer side of the map (a readable field: 15–20)
ARROW_FILL = 0.85  # of its cell, the length of the longest arrows
ARROW_HEAD = (0.25, 0.1)  # an arrow's head: this share of its length plus this share of the longest arrow's …
HEAD_ANGLE = 28  # … in two strokes back from the tip, each this many degrees off the shaft
CLICK_SPACING = 1 / 80  # at most this far apart on screen (plot side = 1) are the click layer's points
OUTER = (0.005, 0.5, 0.995)  # quantiles of a map's values: the outer ends of its bulk, and its median
LEVELS = 20  # contour lines of f, at most (the step is a round number: `nice_step`)
MAX_DECIMALS = 8  # contour labels with more decimals than this are written with an exponent
ErrorsAt = Callable[[np.ndarray, np.ndarray, int], np.ndarray]  # (x, y, order) -> each partial's error at the points
ERROR_SAMPLE = 50  # points per axis at which a map's rounding errors are estimated first (`zeroed_map`) …
ERROR_SPREAD = 1_000  # … and a value is looked at closer only within this many times the largest of them
ASPECT_LIMIT = 2.0  # ranges whose lengths differ more than this are drawn square, not to scale
MAP_HEIGHT = 640  # pixels of the contour map (plot and legend)
PANEL_HEIGHT = 250  # pixels of each small map
SURFACE_HEIGHT = 600
PLANE_SHARE = 0.09  # of the longer range, half the side of the tangent plane's square patch …
PLANE_LINES = 5  # … drawn with this many lines each way (its outline among them)
PLANE_LINE_COLOUR = "#8a0049"  # darker than the patch: the mesh reads as a flat sheet where it dips into the surface
POINT_COLOUR = "#e6007e"
ARROW_COLOUR = "#111111"
HALO_COLOUR = "rgba(255, 255, 255, 0.8)"
CRITICAL = "critical"  # the `meta` of the critical points' traces
CLICK = "click"  # … of the invisible click layer
CRITICAL_MARKERS = markers("minimum", "maximum", "saddle", "degenerate")  # derivlib.markers: as on every page
PANELS = {  # column -> title of its small map; diverging colours centred on 0, except |∇f|
    "fx": "∂f/∂x",
    "fy": "∂f/∂y",
    "grad": "|∇f|",
    "fxx": "∂²f/∂x²",
    "fxy": "∂²f/∂x∂y",
    "fyy": "∂²f/∂y²",
    "det": "det H = fxx·fyy − fxy²",
    "lmin": "λ₁, the smaller eigenvalue of H",
    "lmax": "λ₂, the larger eigenvalue of H",
}
DIVERGING = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#b2182b"]]


# ---------------------------------------------------------------------------------------------------------------------
# The grid, sampled for the browser


def grid_arrays(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From a `derivlib.surface_table` frame (x varying fastest): the grid's x and y values and the column as a 2-D
    array, one row per y.

    >>> import derivlib
    >>> xs, ys, z = grid_arrays(derivlib.surface_table("x + 10 y", (0, 1, 3), (0, 1, 2), order=1), "f")
    >>> xs.tolist(), ys.tolist(), z.tolist()
    ([0.0, 0.5, 1.0], [0.0, 1.0], [[0.0, 0.5, 1.0], [10.0, 10.5, 11.0]])
    """
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    changes = np.flatnonzero(y != y[0])
    nx = int(changes[0]) if changes.size else len(y)
    ny = len(y) // nx
    return x[:nx], y[::nx][:ny], frame[column].to_numpy().reshape(ny, nx)


def sample_indices(n: int, limit: int) -> np.ndarray:
    """At most `limit` indices spread evenly over range(n), the first and the last among them.

    >>> sample_indices(10, 4).tolist(), sample_indices(3, 4).tolist()
    ([0, 3, 6, 9], [0, 1, 2])
    """
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def sampled(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid with at most `limit` points per axis (every k-th row and column, the edges kept), as float32."""
    i, j = sample_indices(len(xs), limit), sample_indices(len(ys), limit)
    return for_browser(xs[i]), for_browser(ys[j]), for_browser(z[np.ix_(j, i)])


def map_errors(
    x: np.ndarray, y: np.ndarray, values: np.ndarray, errors_at: ErrorsAt, order: int
) -> tuple[np.ndarray, np.ndarray]:
    """The rounding errors of a map's values at the grid (x, y) (one row of `values` per y; `values` is a stack of
    maps, one per row of `errors_at(x, y, order)`'s answer, NaN for one not wanted): each value's error where it
    could be noise, 0 where it cannot; and where each value was looked at.

    `errors_at` at every point of a 250² map takes 0.5 s (it computes each value 18 times: in float32, and at nudged
    points). Most values are far from 0 for their rounding: so it is asked first at ERROR_SAMPLE² points spread over
    the map, and then only where a value is within SAFETY × ERROR_SPREAD times the largest error found there (a map's
    rounding errors vary smoothly: near a pole they grow with the values, which stay far above them). A value that
    is exactly 0 is shown as 0 whatever its error, so a point where every value looked at is 0 is not asked about:
    fxy of x² + y² is 0 everywhere, and asking there was the whole grid again, 18 times.

    >>> x = y = np.linspace(-1, 1, 101)
    >>> values = np.add.outer(np.zeros(101), x)[None] + 1e-16  # f = x + 1e-16: near 0 down the middle column only
    >>> errors, looked = map_errors(x, y, values, lambda x, y, order: np.full((1, len(x)), 1e-17), 0)
    >>> int(looked.sum()), float(errors.max())
    (101, 1e-17)
    """
    gx, gy = np.meshgrid(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    k, m = sample_indices(gy.shape[0], ERROR_SAMPLE), sample_indices(gx.shape[1], ERROR_SAMPLE)
    sample = errors_at(gx[np.ix_(k, m)].ravel(), gy[np.ix_(k, m)].ravel(), order)
    largest = np.nanmax(np.where(np.isfinite(sample), sample, np.nan), axis=1, initial=0.0)
    with np.errstate(invalid="ignore"):
        looked = np.isfinite(values) & (np.abs(values) <= SAFETY * ERROR_SPREAD * largest[:, None, None])
    errors = np.zeros(values.shape)
    anywhere = (looked & (values != 0)).any(axis=0)
    if anywhere.any():
        errors[:, anywhere] = errors_at(gx[anywhere], gy[anywhere], order)
    return np.where(looked, errors, 0.0), looked


def zeroed_surface_table(frame: pd.DataFrame, errors_at: ErrorsAt) -> pd.DataFrame:
    """A `derivlib.surface_table` frame (x, y, f, fx, fy, fxx, fxy, fyy) as a page lets it download: every value within
    its rounding error 0 (`map_errors`: looked at closely only where it could be noise, so a million rows take a
    fraction of a second more, not seconds).

    >>> import derivlib
    >>> frame = derivlib.surface_table("sin(x)^2 + cos(x)^2 + y", (0, 1, 3), (0, 1, 2))
    >>> shown = zeroed_surface_table(frame, lambda x, y, order: np.full((6, len(x)), 1e-16))
    >>> float(shown["fxx"].abs().max()), shown["fy"].tolist()
    (0.0, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    """
    xs, ys, _ = grid_arrays(frame, "f")
    names = ("f", "fx", "fy", "fxx", "fxy", "fyy")
    stack = np.stack([grid_arrays(frame, name)[2].astype(float) for name in names])
    errors, _ = map_errors(xs, ys, stack, errors_at, 2)
    shown = frame.copy()
    for row, name in enumerate(names):
        shown[name] = zeroed(stack[row], errors[row]).ravel().astype(frame[name].dtype)
    return shown


def colour_range(values: np.ndarray, *, centred: bool = False, noise: float = 0.0) -> tuple[float, float] | None:
    """The colour scale's ends: the bulk of the values, so that a spike towards a pole does not wash the map out;
    symmetric about 0 when `centred`, so that white means 0.

    The bulk is `figures.value_range`'s (unpadded), taken along the rows of the grid, then narrowed for what only a
    map has: a pole is a point, and each row passing beside it has a finite peak the grid resolves, which the rule
    for curves keeps. So the ends go no further beyond the 0.5th and 99.5th percentiles (OUTER) than those lie from
    the median: 1/(x² + y²) on [-5, 5]² shows 0.02 … 12.5, not 0.02 … 383 (its rows' resolved peaks) or … 4980.

    >>> x, y = np.meshgrid(np.linspace(-5, 5, 500), np.linspace(-5, 5, 500))
    >>> [round(v, 1) for v in colour_range(1 / (x**2 + y**2))]
    [0.0, 12.5]
    """
    flat = np.ravel(values)
    shown = value_range(flat, noise=noise, pad=0.0)
    if shown is None:
        return None
    low, high = shown
    finite = flat[np.isfinite(flat)]
    if finite.size > 100 and high > low:
        outer_low, middle, outer_high = np.quantile(finite[:: max(1, finite.size // QUANTILE_SAMPLE)], OUTER)
        low = max(low, float(outer_low - (middle - outer_low)))
        high = min(high, float(outer_high + (outer_high - middle)))
    if centred:
        reach = max(abs(low), abs(high)) or 1.0
        return -reach, reach
    if high == low:  # a constant: any range around it
        return low - max(abs(low), 1.0) * 0.5, high + max(abs(high), 1.0) * 0.5
    return low, high


def balanced_colours(
    values: np.ndarray, low: float, high: float, *, scale: str = "Viridis", stops: int = 20
) -> list[list]:
    """A colour scale for values from `low` to `high` whose colours are spread half by value, half by rank.

    A value v gets the colour at t = (v's fraction of the way from low to high + the fraction of the values below
    v) / 2 of `scale`. Where most of a map lies low (Himmelblau's four basins in a rim that rises to 900, Rosenbrock's
    valley), a linear scale paints nearly all of it one colour; ranks alone would paint tiny differences as large
    ones. Half of each keeps the shape visible and the colour bar honest: it still says which colour is which value.

    >>> stops = balanced_colours(np.array([0.0, 0.0, 0.0, 1.0]), 0.0, 1.0, stops=2)
    >>> [position for position, _ in stops], stops[0][1], stops[-1][1]
    ([0.0, 0.5, 1.0], 'rgb(68, 1, 84)', 'rgb(253, 231, 37)')
    """
    finite = np.asarray(values, dtype=float).ravel()
    finite = np.sort(np.clip(finite[np.isfinite(finite)], low, high)[:: max(1, finite.size // 100_000)])
    fractions = np.linspace(0.0, 1.0, stops + 1)
    if finite.size == 0 or not high > low:
        return [[float(t), colour] for t, colour in zip(fractions, sample_colorscale(scale, fractions), strict=True)]
    at = np.unique(np.concatenate([low + fractions * (high - low), np.quantile(finite, fractions)]))
    positions = np.clip((at - low) / (high - low), 0.0, 1.0)
    ranks = np.searchsorted(finite, at, side="right") / finite.size
    ranks[0], ranks[-1] = 0.0, 1.0  # the ends of the bar are the ends of the scale
    colours = sample_colorscale(scale, ((positions + ranks) / 2).tolist())
    return [[float(p), colour] for p, colour in zip(positions, colours, strict=True)]


def label_format(step: float) -> str:
    """A d3 format for contour labels at multiples of `step`: fixed decimals, as many as the step has, trailing zeros
    trimmed; so a level that the browser computes as start + k·step = 1.1e-16 reads 0, not 1.1e-16.

    >>> label_format(0.2), label_format(0.125), label_format(50.0), label_format(2.5e-9)
    ('.1~f', '.3~f', '.0~f', '.2~e')
    """
    for decimals in range(MAX_DECIMALS + 1):
        if abs(round(step, decimals) - step) <= 1e-9 * step:
            return f".{decimals}~f"
    return ".2~e"


def nice_step(span: float, count: int) -> float:
    """A step of 1, 1.25, 2, 2.5 or 5 × 10ᵏ that cuts `span` into about `count` pieces (at most `count`).

    >>> nice_step(10, 20), nice_step(10, 80), nice_step(0.3, 20)
    (0.5, 0.125, 0.02)
    """
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    for mantissa in (1, 1.25, 2, 2.5, 5, 10):
        if mantissa * power >= raw * (1 - 1e-12):
            return mantissa * power
    return 10 * power


# ---------------------------------------------------------------------------------------------------------------------
# Screen proportions


def screen_scale(x_range: tuple[float, float], y_range: tuple[float, float]) -> tuple[float, float, bool]:
    """How long one unit of x and one of y are on the map (its longer side has length 1), and whether the map is to
    scale (one unit as long on either axis): it is, unless the ranges' lengths differ by more than ASPECT_LIMIT, when
    the map is square instead.

    >>> screen_scale((-5, 5), (-5, 5)), screen_scale((0, 4), (0, 2)), screen_scale((0, 100), (0, 1))
    ((0.1, 0.1, True), (0.25, 0.25, True), (0.01, 1.0, False))
    """
    dx, dy = x_range[1] - x_range[0], y_range[1] - y_range[0]
    if max(dx, dy) <= ASPECT_LIMIT * min(dx, dy):
        longer = max(dx, dy)
        return 1 / longer, 1 / longer, True
    return 1 / dx, 1 / dy, False


def arrow_lattice(
    x_range: tuple[float, float], y_range: tuple[float, float], count: int = ARROWS
) -> tuple[np.ndarray, np.ndarray]:
    """Where the gradient arrows go: the centres of square cells on screen, `count` along the map's longer side; the
    points as two flat arrays (x varying fastest)."""
    sx, sy, _ = screen_scale(x_range, y_range)
    cells = [max(1, round(count * (high - low) * s)) for (low, high), s in ((x_range, sx), (y_range, sy))]
    centres = [
        low + (np.arange(n) + 0.5) * (high - low) / n for (low, high), n in zip((x_range, y_range), cells, strict=True)
    ]
    x, y = np.meshgrid(*centres)
    return x.ravel(), y.ravel()


def click_lattice(x_range: tuple[float, float], y_range: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """The click layer's points: multiples of a round step in each range (so a click picks (3, 2), not
    (2.9871, 2.0134)), at most CLICK_SPACING apart on screen; two flat arrays, x varying fastest.

    >>> x, y = click_lattice((-5, 5), (-5, 5))
    >>> len(x), float(x[1] - x[0]), (3.0, 2.0) in set(zip(x.tolist(), y.tolist()))
    (6561, 0.125, True)
    """
    sx, sy, _ = screen_scale(x_range, y_range)
    axes = []
    for (low, high), s in ((x_range, sx), (y_range, sy)):
        step = nice_step(high - low, max(1, math.floor((high - low) * s / CLICK_SPACING)))
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        axes.append(np.array([float(f"{k * step:.12g}") for k in range(first, last + 1)]))
    x, y = np.meshgrid(*axes)
    return x.ravel(), y.ravel()


# ---------------------------------------------------------------------------------------------------------------------
# The contour map


def contour_figure(
    frame: pd.DataFrame,
    *,
    limit: int = MAP_AXIS,
    levels: int = LEVELS,
    height: int = MAP_HEIGHT,
    errors_at: ErrorsAt | None = None,
) -> go.Figure:
    """f of a `derivlib.surface_table` frame as a contour map: colours and about `levels` labelled contour lines over
    the bulk of its values (`colour_range`: beyond it, the end colours), at most `limit` points per axis, float32.
    Undefined points are blank. x and y to scale where the ranges allow it (`screen_scale`). The lines are at round
    values, labelled with as many decimals as their step has (`label_format`: a level computed as 1.1e-16 reads 0);
    `errors_at(x, y, order)` (each partial derivative's rounding error at the points, `rounding.pointwise_errors`)
    sends every value within its rounding error as 0.

    >>> import derivlib
    >>> figure = contour_figure(derivlib.surface_table("x^2 + y^2", (-1, 1, 1000), (-1, 1, 1000)))
    >>> figure.data[0].z.shape, figure.data[0].z.dtype, figure.layout.yaxis.scaleanchor
    ((250, 250), dtype('float32'), 'x')
    """
    xs, ys, z = grid_arrays(frame, "f")
    x_range, y_range = (float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1]))
    shown = colour_range(z)
    contours: dict = {"coloring": "heatmap", "showlabels": True, "labelfont": {"size": 10, "color": "#222"}}
    if shown is not None:
        step = nice_step(shown[1] - shown[0], levels)
        contours |= {"start": math.ceil(shown[0] / step) * step, "end": math.floor(shown[1] / step) * step}
        contours |= {"size": step, "labelformat": label_format(step)}
    i, j = sample_indices(len(xs), limit), sample_indices(len(ys), limit)
    z = z[np.ix_(j, i)]
    if errors_at is not None:  # what the browser shows on hover, each value within its rounding error 0
        z = zeroed(z, map_errors(xs[i], ys[j], z[None], errors_at, 0)[0][0])
    x, y, z = for_browser(xs[i]), for_browser(ys[j]), for_browser(z)
    figure = go.Figure(
        go.Contour(  # coloured as a smooth heatmap, with lines at round values of f
            x=x,
            y=y,
            z=z,
            name="f",
            zmin=shown[0] if shown else None,
            zmax=shown[1] if shown else None,
            autocontour=shown is None,
            contours=contours,
            line={"width": 0.6, "color": "rgba(40, 40, 40, 0.45)"},
            colorscale=balanced_colours(z, *shown) if shown else "Viridis",
            colorbar={"title": {"text": "f"}, "thickness": 14, "len": 0.85, "y": 0.55},
            hovertemplate="x = %{x:.4g}, y = %{y:.4g}<br>f = %{z:.6g}<extra></extra>",
            showlegend=False,
        )
    )
    _map_layout(figure, x_range, y_range, height)
    return figure


def _map_layout(figure: go.Figure, x_range: tuple[float, float], y_range: tuple[float, float], height: int) -> None:
    sx, sy, to_scale = screen_scale(x_range, y_range)
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": LEGEND_MARGIN},
        legend=LEGEND,
        hovermode="closest",
        xaxis={"title": {"text": "x"}, "range": list(x_range), "constrain": "domain", "hoverformat": ".4g"},
        yaxis={
            "title": {"text": "y"},
            "range": list(y_range),
            "constrain": "domain",
            "scaleanchor": "x",
            "scaleratio": sy / sx,  # 1 to scale; else square
            "hoverformat": ".4g",
        },
        meta={"to_scale": to_scale},
    )


def _ranges(figure: go.Figure) -> tuple[tuple[float, float], tuple[float, float]]:
    return tuple(figure.layout.xaxis.range), tuple(figure.layout.yaxis.range)


def add_gradient_arrows(
    figure: go.Figure, x: np.ndarray, y: np.ndarray, fx: np.ndarray, fy: np.ndarray, *, count: int = ARROWS
) -> go.Figure:
    """Arrows of ∇f at the points (x, y) (from `arrow_lattice`), centred on them, pointing uphill.

    An arrow shows ∇f's direction as a vector of x and y. Its length grows with the square root of |∇f| up to the
    90th percentile over the points, where it fills ARROW_FILL of its cell (longer ones are capped): weak slopes stay
    visible beside steep ones, and no arrow runs into its neighbour. Where |∇f| is under 2 % of that percentile the
    slope is nil at the scale of the map and no arrow is drawn; undefined points get none either. A head grows with
    its arrow (ARROW_HEAD), so a short arrow is a small one. Returns the figure.
    """
    x_range, y_range = _ranges(figure)
    sx, sy, _ = screen_scale(x_range, y_range)
    x, y, fx, fy = (np.asarray(a, dtype=float) for a in (x, y, fx, fy))
    magnitude = np.hypot(fx, fy)
    usable = np.isfinite(magnitude) & (magnitude > 0)
    tails, tips, on_screen, cell = [], [], np.zeros(0), 1 / count
    if usable.any():
        reference = float(np.quantile(magnitude[usable], 0.9))
        keep = usable & (magnitude >= 0.02 * reference)
        ux, uy = fx[keep] / magnitude[keep], fy[keep] / magnitude[keep]
        on_screen = cell * ARROW_FILL * np.sqrt(np.minimum(1.0, magnitude[keep] / reference))
        per_unit = on_screen / np.hypot(ux * sx, uy * sy)  # data length for that screen length, in this direction
        dx, dy = ux * per_unit / 2, uy * per_unit / 2
        tails = [x[keep] - dx, y[keep] - dy]
        tips = [x[keep] + dx, y[keep] + dy]
    # One path of strokes, NaN between them: each arrow is its shaft, then its head (from one barb to the tip and on
    # to the other), drawn in screen proportions. Two SVG paths in all (a marker per head was an SVG node each).
    n = len(tails[0]) if tails else 0
    xs: np.ndarray = np.full((n, 7), np.nan)  # flattened below
    ys: np.ndarray = np.full((n, 7), np.nan)
    if n:
        xs[:, 0], xs[:, 1], ys[:, 0], ys[:, 1] = tails[0], tips[0], tails[1], tips[1]
        back = -np.stack([ux * sx, uy * sy]) / np.hypot(ux * sx, uy * sy)  # unit, on screen, from the tip back
        head = ARROW_HEAD[0] * on_screen + ARROW_HEAD[1] * cell * ARROW_FILL
        for column, turn in ((3, HEAD_ANGLE), (5, -HEAD_ANGLE)):
            cos, sin = math.cos(math.radians(turn)), math.sin(math.radians(turn))
            xs[:, column] = tips[0] + head * (cos * back[0] - sin * back[1]) / sx
            ys[:, column] = tips[1] + head * (sin * back[0] + cos * back[1]) / sy
        xs[:, 4], ys[:, 4] = tips[0], tips[1]
    xs, ys = xs.ravel(), ys.ravel()
    # Dark arrows on a pale halo (the same strokes, wider and pale, underneath): legible on the dark and the light
    # colours of the map alike.
    for line, extra in (
        ({"color": HALO_COLOUR, "width": 3.2}, {"showlegend": False}),
        ({"color": ARROW_COLOUR, "width": 1.3}, {"name": "∇f (uphill)"}),
    ):
        figure.add_trace(
            go.Scatter(
                x=for_browser(xs),
                y=for_browser(ys),
                mode="lines",
                line=line,
                connectgaps=False,
                hoverinfo="skip",
                meta="arrows",
                **extra,
            )
        )
    return figure


def add_critical_points(figure: go.Figure, points: pd.DataFrame) -> go.Figure:
    """The rows of `derivlib.critical_points` on the map, one trace per kind (symbol and colour by kind, in the
    legend); hovering shows f and the Hessian there, a click picks the point. Returns the figure."""
    for kind, (symbol, colour, label) in CRITICAL_MARKERS.items():
        rows = points[points["kind"] == kind]
        if rows.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=rows["x"].to_numpy(dtype=float),  # float64: a click picks the point to the last digit
                y=rows["y"].to_numpy(dtype=float),
                name=label,
                mode="markers",
                marker={"symbol": symbol, "color": colour, "size": 14, "line": {"width": 1.5, "color": "white"}},
                hovertext=[_critical_words(label, row) for _, row in rows.iterrows()],
                hovertemplate="%{hovertext}<extra></extra>",
                unselected={"marker": {"opacity": 1}},
                meta=CRITICAL,
            )
        )
    return figure


def _critical_words(label: str, row: pd.Series) -> str:
    """A critical point on hover: where, f, and the Hessian, or that ∇f is undefined there (a corner, crease, cone)."""
    where = f"<b>{label}</b> at x = {row['x'] + 0.0:.6g}, y = {row['y'] + 0.0:.6g}<br>f = {row['f'] + 0.0:.6g}"
    if not row.get("smooth", True):
        return where + ", ∇f undefined (not smooth: a corner, crease or cone)"
    hessian = ", ".join(f"{name} = {row[name] + 0.0:.4g}" for name in ("fxx", "fxy", "fyy"))
    return f"{where}, {hessian}"


def add_picked_point(
    figure: go.Figure, point: tuple[float, float], direction: tuple[float, float] | None = None
) -> go.Figure:
    """The picked point (x₀, y₀) and, where given, the direction u of the directional derivative as an arrow from
    it (a tenth of the map long, whatever u's length). Returns the figure."""
    x0, y0 = point
    if direction is not None:
        x_range, y_range = _ranges(figure)
        sx, sy, _ = screen_scale(x_range, y_range)
        ux, uy = direction
        scale = 0.1 / math.hypot(ux * sx, uy * sy)
        figure.add_trace(
            go.Scatter(
                x=[x0, x0 + scale * ux],
                y=[y0, y0 + scale * uy],
                name="direction u",
                mode="lines+markers",
                line={"color": POINT_COLOUR, "width": 2.5},
                marker={"symbol": "arrow", "angleref": "previous", "size": [0, 14], "color": POINT_COLOUR},
                hoverinfo="skip",
                unselected={"marker": {"opacity": 1}},
                meta="point",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[x0],
            y=[y0],
            name="picked point",
            mode="markers",
            # A ring: what lies under it (a critical point, the map) stays visible.
            marker={"symbol": "circle-open", "size": 15, "color": POINT_COLOUR, "line": {"width": 3}},
            hovertemplate="picked point (%{x:.6g}, %{y:.6g})<extra></extra>",
            unselected={"marker": {"opacity": 1}},
            meta="point",
        )
    )
    return figure


def add_click_layer(figure: go.Figure, x: np.ndarray, y: np.ndarray, f: np.ndarray) -> go.Figure:
    """Invisible markers at the points (from `click_lattice`), so that a click on the map selects the nearest one.

    A contour trace sends no selection events (Streamlit's `on_select` hears of markers only), so this layer lies
    over the map: never seen, selected or not, showing x, y and f on hover. Its x and y go as float64: a click
    returns the round numbers as they are. Added last, it is on top. One of its markers is drawn (`maxdisplayed`):
    hovering and clicking find the nearest point from the data, and each drawn marker would be an SVG node at every
    draw. Returns the figure.
    """
    hidden = {"opacity": 0}
    figure.add_trace(
        go.Scatter(
            x=np.asarray(x, dtype=float),
            y=np.asarray(y, dtype=float),
            customdata=for_browser(f),
            name="click to pick a point",
            mode="markers",
            marker={"size": 6, "opacity": 0, "color": "black", "maxdisplayed": 1},
            selected={"marker": hidden},
            unselected={"marker": hidden},
            hovertemplate="x = %{x:.6g}, y = %{y:.6g}<br>f = %{customdata:.6g}<extra>click to pick</extra>",
            showlegend=False,
            meta=CLICK,
        )
    )
    return figure


# ---------------------------------------------------------------------------------------------------------------------
# The 3-D surface and the small maps


def surface_figure(
    frame: pd.DataFrame,
    *,
    point: tuple[float, float, float] | None = None,
    gradient: tuple[float, float] | None = None,
    limit: int = SURFACE_AXIS,
    height: int = SURFACE_HEIGHT,
) -> go.Figure:
    """f as a 3-D surface (at most `limit` points per axis, float32), its height and colours over the bulk of its
    values: points beyond it (spikes towards a pole) are left out, not allowed to flatten the rest. With `point`
    (x₀, y₀, f(x₀, y₀)) and `gradient` (f_x, f_y there), the picked point and a patch of its tangent plane
    (`add_tangent_plane`).

    >>> import derivlib
    >>> frame = derivlib.surface_table("x y", (-1, 1, 500), (-1, 1, 500))
    >>> figure = surface_figure(frame, point=(0.0, 0.0, 0.0), gradient=(0.0, 0.0))
    >>> [trace.type for trace in figure.data], figure.data[0].z.shape
    (['surface', 'surface', 'scatter3d', 'scatter3d'], (120, 120))
    """
    xs, ys, z = grid_arrays(frame, "f")
    shown = colour_range(z)
    x, y, z = sampled(xs, ys, z, limit)
    if shown is not None:
        pad = 0.05 * (shown[1] - shown[0])
        z = np.where((z >= shown[0] - pad) & (z <= shown[1] + pad), z, np.float32(np.nan))
    figure = go.Figure(
        go.Surface(
            x=x,
            y=y,
            z=z,
            name="f",
            colorscale=balanced_colours(z, *shown) if shown else "Viridis",
            cmin=shown[0] if shown else None,
            cmax=shown[1] if shown else None,
            colorbar={"title": {"text": "f"}, "thickness": 14, "len": 0.7},
            hovertemplate="x = %{x:.4g}, y = %{y:.4g}<br>f = %{z:.6g}<extra></extra>",
        )
    )
    if point is not None and gradient is not None and all(map(math.isfinite, (*point, *gradient))):
        add_tangent_plane(figure, point, gradient, PLANE_SHARE * max(float(xs[-1] - xs[0]), float(ys[-1] - ys[0])))
    scene_z: dict[str, object] = {"title": {"text": "f"}}
    if shown is not None:
        pad = 0.05 * (shown[1] - shown[0])
        scene_z["range"] = [shown[0] - pad, shown[1] + pad]
    figure.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        scene={"xaxis": {"title": {"text": "x"}}, "yaxis": {"title": {"text": "y"}}, "zaxis": scene_z},
        showlegend=False,
    )
    return figure


def add_tangent_plane(
    figure: go.Figure, point: tuple[float, float, float], gradient: tuple[float, float], half: float
) -> go.Figure:
    """The tangent plane at `point` (x₀, y₀, f(x₀, y₀)) with slopes `gradient` (f_x, f_y there) on a 3-D surface: a
    square patch `half` either side of (x₀, y₀), translucent, with a mesh of PLANE_LINES lines each way, and the point.

    Where f curves away from its plane both ways (a saddle) the plane cuts through the surface, and a patch alone
    showed as scattered fragments where it dips in and out; the mesh and its outline keep reading as one flat sheet.
    Returns the figure.
    """
    x0, y0, f0 = point
    side = np.linspace(-half, half, PLANE_LINES)
    px, py = x0 + side, y0 + side
    plane = f0 + gradient[0] * (px[None, :] - x0) + gradient[1] * (py[:, None] - y0)
    figure.add_trace(
        go.Surface(
            x=px,
            y=py,
            z=plane,
            name="tangent plane",
            colorscale=[[0, POINT_COLOUR], [1, POINT_COLOUR]],
            showscale=False,
            opacity=0.45,
            hovertemplate="tangent plane: %{z:.6g}<extra></extra>",
        )
    )
    lines = [(px, np.full(PLANE_LINES, y), plane[k]) for k, y in enumerate(py)]  # along x, one per y …
    lines += [(np.full(PLANE_LINES, x), py, plane[:, k]) for k, x in enumerate(px)]  # … and along y
    gap = [np.array([np.nan])] * 3
    x, y, z = (np.concatenate([part for line in lines for part in (line[k], gap[k])]) for k in range(3))
    figure.add_trace(
        go.Scatter3d(
            x=x,
            y=y,
            z=z,
            name="tangent plane",
            mode="lines",
            line={"color": PLANE_LINE_COLOUR, "width": 4},
            connectgaps=False,
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter3d(
            x=[x0],
            y=[y0],
            z=[f0],
            name="picked point",
            mode="markers",
            marker={"size": 5, "color": POINT_COLOUR},
            hovertemplate="picked point: f = %{z:.6g}<extra></extra>",
        )
    )
    return figure


def hessian_columns(fxx: np.ndarray, fxy: np.ndarray, fyy: np.ndarray) -> dict[str, np.ndarray]:
    """det H and H's eigenvalues λ₁ ≤ λ₂, point by point: λ = (fxx + fyy)/2 ∓ √(((fxx − fyy)/2)² + fxy²).

    >>> columns = hessian_columns(np.array([2.0]), np.array([0.0]), np.array([-2.0]))
    >>> {name: value.tolist() for name, value in columns.items()}
    {'det': [-4.0], 'lmin': [-2.0], 'lmax': [2.0]}
    """
    mean, radius = (fxx + fyy) / 2, np.hypot((fxx - fyy) / 2, fxy)
    return {"det": fxx * fyy - fxy * fxy, "lmin": mean - radius, "lmax": mean + radius}


def partial_maps(
    frame: pd.DataFrame,
    *,
    noise: Mapping[str, float] | None = None,
    limit: int = PANEL_AXIS,
    errors_at: ErrorsAt | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, str]]]:
    """The small maps' values: fx, fy, |∇f|, fxx, fxy, fyy, det H and H's eigenvalues at most `limit` points per axis
    of a `derivlib.surface_table` frame, each with its title; and the maps' x and y. `noise` maps fx … fyy to their
    estimated rounding error: a map within rounding of 0 is 0 and titled so, not a pattern of noise.
    `errors_at(x, y, order)` (each partial's rounding error at the points) makes every value within its rounding error
    0, and decides which maps are 0 everywhere point by point (`rounding.zero_everywhere`).

    >>> import derivlib
    >>> x, y, maps = partial_maps(derivlib.surface_table("x^2 - y^2", (-1, 1, 300), (-1, 1, 300)))
    >>> list(maps) == list(PANELS), maps["det"][1], float(maps["det"][0].max()), len(x)
    (True, 'det H = fxx·fyy − fxy²', -4.0, 90)
    """
    noise = noise or {}
    xs, ys, _ = grid_arrays(frame, "f")
    i, j = sample_indices(len(xs), limit), sample_indices(len(ys), limit)
    names = ("fx", "fy", "fxx", "fxy", "fyy")
    computed = {name: grid_arrays(frame, name)[2][np.ix_(j, i)].astype(float) for name in names}
    errors = looked = None
    if errors_at is not None:  # rows as errors_at(…, 2) gives them: f (not wanted here: NaN), fx … fyy
        stack = np.stack([np.full_like(computed["fx"], np.nan)] + [computed[name] for name in names])
        errors, looked = map_errors(xs[i], ys[j], stack, errors_at, 2)
    columns, titles = {}, dict(PANELS)
    for row, name in enumerate(names, start=1):
        values = computed[name]
        if errors is not None and looked is not None:  # (set together)
            defined = np.isfinite(values)
            flat = bool(defined.any() and looked[row][defined].all())  # a value not looked at is not noise
            flat = flat and zero_everywhere(values[defined], errors[row][defined])
            values = zeroed(values, errors[row])
        else:
            flat = name in noise and is_noise(frame[name].to_numpy(), noise[name])
        if flat:
            largest = float(np.nanmax(np.abs(frame[name].to_numpy())))
            values = np.where(np.isnan(values), np.nan, 0.0)
            titles[name] += f" = 0 (up to rounding: |computed| ≤ {largest:.0e})" if largest else " = 0"
        columns[name] = values
    columns["grad"] = np.hypot(columns["fx"], columns["fy"])
    columns |= hessian_columns(columns["fxx"], columns["fxy"], columns["fyy"])
    return xs[i], ys[j], {name: (columns[name], titles[name]) for name in PANELS}


def panel_figure(x: np.ndarray, y: np.ndarray, values: np.ndarray, name: str, title: str) -> go.Figure:
    """One small map of `partial_maps` (the column `name`): diverging colours with white at 0 and a black line where
    the value is 0, so that a student sees where f is convex (λ₁ ≥ 0) at a glance; |∇f| from 0 in the map's colours.
    Its own figure, so that on a phone the maps stack one above the other, each the screen's width.

    >>> x = y = np.linspace(-1, 1, 3)
    >>> figure = panel_figure(x, y, np.add.outer(y, x), "fx", "∂f/∂x")
    >>> figure.data[0].zmin, figure.data[0].zmax, figure.data[0].contours.start, figure.layout.title.text
    (-2.0, 2.0, 0, '∂f/∂x')
    """
    shown = colour_range(values, centred=name != "grad")
    if name == "grad" and shown is not None:
        shown = (0.0, shown[1] or 1.0)
    figure = go.Figure(
        go.Contour(
            x=for_browser(x),
            y=for_browser(y),
            z=for_browser(values),
            name=PANELS[name],
            zmin=shown[0] if shown else None,
            zmax=shown[1] if shown else None,
            autocontour=False,
            # One contour line, at 0; the colours are a smooth heatmap.
            contours={"coloring": "heatmap", "start": 0, "end": 0, "size": 1, "showlines": True},
            line={"width": 1, "color": "black"},
            colorscale=balanced_colours(values, *shown) if name == "grad" and shown else DIVERGING,
            colorbar={"thickness": 8, "len": 0.9, "tickfont": {"size": 9}},
            hovertemplate=f"x = %{{x:.4g}}, y = %{{y:.4g}}<br>{PANELS[name].split(',')[0]} = %{{z:.6g}}<extra></extra>",
            showlegend=False,
        )
    )
    figure.update_layout(
        height=PANEL_HEIGHT,
        title={"text": title, "font": {"size": 12}, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
    )
    return figure


def partials_figures(
    frame: pd.DataFrame,
    *,
    noise: Mapping[str, float] | None = None,
    limit: int = PANEL_AXIS,
    errors_at: ErrorsAt | None = None,
) -> dict[str, go.Figure]:
    """Every small map of `partial_maps` as its own figure (`panel_figure`), by column: fx, fy, grad, fxx, fxy, fyy,
    det, lmin, lmax.

    >>> import derivlib
    >>> figures = partials_figures(derivlib.surface_table("x^2 - y^2", (-1, 1, 300), (-1, 1, 300)))
    >>> len(figures), figures["fx"].data[0].z.shape, figures["fx"].data[0].z.dtype
    (9, (90, 90), dtype('float32'))
    """
    x, y, maps = partial_maps(frame, noise=noise, limit=limit, errors_at=errors_at)
    return {name: panel_figure(x, y, values, name, title) for name, (values, title) in maps.items()}


def payload(figure: go.Figure) -> int:
    """Bytes of the figure as JSON, as Streamlit sends it."""
    return len(figure.to_json())
