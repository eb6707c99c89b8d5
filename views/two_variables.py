"""Two variables: type f(x, y), see it as a contour map with its gradient field and its critical points, its partial
derivatives and Hessian over a 2-D grid, and what they say at a point you pick.

Thin by design, as the one-variable page: widgets in, derivlib calls, Plotly figures and tables out. Every input is
mirrored in the address's query parameters (LINK below: expr as typed, the ranges, the grid, the picked point, the
direction, the view, and p_<name> for each parameter), so a copied address reproduces the view, and opening it at
/two_variables?expr=… fills the inputs. Widget keys start with "xy_": they never collide with the first page's.
"""

from __future__ import annotations

import functools
import math
import threading
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

import derivlib
import page_kit as kit
from derivlib.figures.optimisation import add_level_labels
from derivlib.figures.two_variables import (
    add_click_layer,
    add_critical_points,
    add_gradient_arrows,
    add_picked_point,
    arrow_lattice,
    click_lattice,
    contour_figure,
    partials_figures,
    screen_scale,
    surface_figure,
    zeroed_surface_table,
)
from derivlib.functions import names_in_words
from derivlib.hessian import HessianView, hessian_at
from derivlib.latex import lines as latex_lines
from derivlib.partials import surface_grid
from derivlib.rounding import pointwise_errors
from derivlib.symbolic_partials import cross_check_partials, partial_formulas, partial_noise_levels

VARIABLES = ("x", "y")
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
EXAMPLES = [
    HIMMELBLAU,
    "(1 - x)^2 + 100(y - x^2)^2",
    "x^2 - y^2",
    "sin(x) cos(y)",
    "exp(-(x^2 + y^2))",
    "a x^2 + b y^2",
    "x^3 - 3x y^2",
]
LIMITS = kit.limits()  # this server's limits (derivlib/limits.py, DERIVLIB_* settings): the slider offers no more
GRID_SIZES = [n for n in (50, 100, 200, 300, 500, 700, 1_000, 2_000, 3_000) if n < LIMITS.grid_2d] + [LIMITS.grid_2d]
PROGRESS_FROM = 250_000  # grid points from which a progress bar is shown
PROGRESS_EVERY = 0.2  # seconds between two updates of the progress bar
CHECK_AXIS = 100  # points per axis of the symbolic check's sample of the grid (100² = kit.CHECK_POINTS)
SYMBOLIC_SECONDS = 3.0  # sympy's time for the five partial derivatives and their simplification; then killed
STEPS = (0.5, 0.1, 0.01)  # distances along u at which f is compared with its tangent plane and Taylor polynomial
PREFIX = "xy_"  # of every widget key on this page
TAYLOR_MODE = "in Taylor mode (derivatives carried through each operation as power series)"
COMPILED = "by the program compiled for this formula (every partial derivative in one loop over the points)"
DEFAULTS = {
    "expr": HIMMELBLAU,
    "xmin": -5.0,
    "xmax": 5.0,
    "ymin": -5.0,
    "ymax": 5.0,
    "points": 300,
    "device": "cpu",
    "dtype": "float64",
    "px": 1.0,
    "py": 1.0,
    "angle": 0.0,
    "surface": False,
    "file_format": "CSV",
}
# Inputs that change the view, not the computed grid.
VIEW_KEYS = ("px", "py", "angle", "surface", "file_format")
FORMULA_HELP = (
    "A formula in x and y. Powers with ^ (x^2), products with * or a space (2x y, x sin y), constants pi and e. Any "
    "other single letter (a, b, k …) is a parameter and gets a slider. The functions: " + names_in_words() + "."
)
PARTIAL_TEX = {
    "fx": r"\frac{\partial f}{\partial x}",
    "fy": r"\frac{\partial f}{\partial y}",
    "fxx": r"\frac{\partial^2 f}{\partial x^2}",
    "fxy": r"\frac{\partial^2 f}{\partial x\,\partial y}",
    "fyy": r"\frac{\partial^2 f}{\partial y^2}",
}
PARTIAL_WORDS = {"fx": "∂f/∂x", "fy": "∂f/∂y", "fxx": "∂²f/∂x²", "fxy": "∂²f/∂x∂y", "fyy": "∂²f/∂y²"}


# ---------------------------------------------------------------------------------------------------------------------
# The share link: query parameters <-> widget values


LINK = kit.Link(
    "two_variables",
    DEFAULTS,
    {
        "expr": kit.read_formula(VARIABLES),
        "xmin": kit.read_constant,
        "xmax": kit.read_constant,
        "ymin": kit.read_constant,
        "ymax": kit.read_constant,
        "points": kit.read_choice(GRID_SIZES, kit.read_whole_number),
        "device": kit.read_choice(derivlib.available_devices()),
        "dtype": kit.read_choice(kit.DTYPES),
        "px": kit.read_number,
        "py": kit.read_number,
        "angle": kit.read_number,
        "surface": kit.read_switch,
        "file_format": kit.read_choice(list(kit.FILE_FORMATS)),
    },
    prefix=PREFIX,
)


def check_link(values: dict, notes: list[str]) -> None:
    """What the link's values must satisfy together: ranges the dtype can hold, parameters the formula has, an angle
    within a turn."""
    kit.check_link_ranges_and_parameters(values, notes, DEFAULTS, VARIABLES, values["dtype"])
    values["angle"] = turned(values["angle"])


def turned(degrees: float) -> float:
    """The same direction as an angle in (-180, 180]."""
    degrees = math.remainder(degrees, 360.0)
    return 180.0 if degrees == -180.0 else degrees + 0.0


# ---------------------------------------------------------------------------------------------------------------------
# Computation: cached functions of plain values that return plain data


@st.cache_data(max_entries=8, max_size=LIMITS.cache_bytes, show_spinner=False)
def surface(
    expr: str, xmin: float, xmax: float, ymin: float, ymax: float, points: int, params: tuple, device: str, dtype: str
) -> tuple[pd.DataFrame, float, str]:
    """The grid table (x, y, f, fx, fy, fxx, fxy, fyy, one row per point), the seconds it took and how it was
    computed (in words, for the status line's details)."""
    bar = st.empty()  # made inside the cached function, so that a cache hit replays it and its removal
    shown = [-math.inf]  # when the bar was last drawn: each draw is a message to the browser

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - shown[0] >= PROGRESS_EVERY:
            bar.progress(done / total, text=f"Computed {done:,} of {total:,} points …")
            shown[0] = time.perf_counter()

    state = functools.partial(derivlib.fused_state, expr, order=2, device=device, dtype=dtype, variables=VARIABLES)
    fuse = kit.fuse(expr)  # a formula still in use a moment later: compiled
    before = state() if fuse else "none"
    started = time.perf_counter()
    try:
        frame = derivlib.surface_table(
            expr,
            (xmin, xmax, points),
            (ymin, ymax, points),
            order=2,
            params=dict(params),
            device=device,
            dtype=dtype,
            progress=progress if points * points >= PROGRESS_FROM else None,
            time_budget=kit.limits().time_budget,  # a TimeBudgetError is a ValueError: shown, with the last result
            fuse=fuse,
        )
    finally:
        bar.empty()
    seconds = time.perf_counter() - started
    after = state() if fuse else "none"
    how = COMPILED if before == after == "ready" else TAYLOR_MODE
    return frame, seconds, how + (kit.PREPARING if after == "waiting" else "")


@st.cache_data(max_entries=32, show_spinner=False)
def samples(
    expr: str, xmin: float, xmax: float, ymin: float, ymax: float, params: tuple, device: str, dtype: str
) -> dict[str, np.ndarray]:
    """∇f where the arrows go, f where the click layer's points are, computed there (not read off the grid)."""
    ax, ay = arrow_lattice((xmin, xmax), (ymin, ymax))
    cx, cy = click_lattice((xmin, xmax), (ymin, ymax))
    partials = functools.partial(derivlib.partials, expr, params=dict(params), device=device, dtype=dtype)
    arrows = partials({"x": ax, "y": ay}, order=1)
    clicks = partials({"x": cx, "y": cy}, order=0)
    found = {"ax": ax, "ay": ay, "fx": arrows["fx"].numpy(force=True), "fy": arrows["fy"].numpy(force=True)}
    return found | {"cx": cx, "cy": cy, "cf": clicks["f"].numpy(force=True)}


def check_sample(xmin: float, xmax: float, ymin: float, ymax: float, points: int) -> dict[str, np.ndarray]:
    """A grid of at most CHECK_AXIS² points over the ranges, for the checks that compare two computations."""
    n = min(points, CHECK_AXIS)
    x, y = surface_grid((xmin, xmax, n), (ymin, ymax, n))
    return {"x": x.numpy(), "y": y.numpy()}


@st.cache_data(max_entries=32, show_spinner=False)
def rounding_noise(
    expr: str, xmin: float, xmax: float, ymin: float, ymax: float, params: tuple, dtype: str
) -> dict[str, float]:
    """Each partial derivative's estimated rounding error over the ranges (derivlib.symbolic_partials)."""
    sample = check_sample(xmin, xmax, ymin, ymax, CHECK_AXIS)
    return partial_noise_levels(expr, sample, order=2, params=dict(params), dtype=dtype)


@st.cache_data(max_entries=32, show_spinner=False)
def critical(
    expr: str, xmin: float, xmax: float, ymin: float, ymax: float, params: tuple
) -> tuple[pd.DataFrame | None, list[str]]:
    """The critical points in the ranges and the notes on what their table leaves out."""
    try:
        frame = derivlib.critical_points(expr, x=(xmin, xmax), y=(ymin, ymax), params=dict(params), fuse=kit.fuse(expr))
    except ValueError as error:
        return None, [f"the critical points could not be computed: {kit.first_line(error)}"]
    return frame, list(frame.attrs.get("notes", []))


@st.cache_data(max_entries=64, show_spinner=False)
def at_point(expr: str, px: float, py: float, angle: float, params: tuple) -> tuple[dict[str, float], list[float]]:
    """f and its partial derivatives at (x₀, y₀) in float64, and f at the distances STEPS along u from there."""
    ux, uy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    x = [px] + [px + h * ux for h in STEPS]
    y = [py] + [py + h * uy for h in STEPS]
    found = derivlib.partials(expr, {"x": x, "y": y}, order=2, params=dict(params))
    return {name: float(row[0]) for name, row in found.items()}, [float(v) for v in found["f"][1:]]


@st.cache_data(max_entries=64, show_spinner=False)
def hessian(expr: str, px: float, py: float, params: tuple) -> HessianView:
    """f, ∇f and H at (x₀, y₀), each within its rounding error 0, and what H says there (derivlib.hessian)."""
    return hessian_at(expr, px, py, params=dict(params))


@st.cache_data(max_entries=64, show_spinner=False)
def errors_at(expr: str, params: tuple, dtype: str, x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:
    """Each partial derivative's rounding error at the points (x, y): what is within it is shown as 0."""
    return pointwise_errors(expr, {"x": x, "y": y}, order=order, params=dict(params), dtype=dtype)[1]


@st.cache_data(max_entries=64, show_spinner=False)
def formulas(expr: str) -> dict:
    """sympy's f, fx, fy, fxx, fxy, fyy; those not done within SYMBOLIC_SECONDS come with a note instead."""
    return partial_formulas(expr, VARIABLES, 2, timeout=SYMBOLIC_SECONDS)


@st.cache_data(max_entries=64, show_spinner=False)
def symbolic_check(
    expr: str, xmin: float, xmax: float, ymin: float, ymax: float, points: int, params: tuple
) -> pd.DataFrame:
    """sympy's formulas against the numbers the page shows (Taylor mode), per partial derivative."""
    sample = check_sample(xmin, xmax, ymin, ymax, points)
    return cross_check_partials(expr, sample, order=2, params=dict(params), formulas=formulas(expr))


@st.cache_resource(show_spinner=False)
def start_partials_helper() -> threading.Thread:
    """Start sympy's helper process for several variables in the background, once per server (it imports torch)."""
    thread = threading.Thread(target=partial_formulas, args=("x",), kwargs={"order": 1}, daemon=True)
    thread.start()
    return thread


def compute(inputs: dict) -> tuple[pd.DataFrame, float, str]:
    """The grid for these inputs, from the cache where it is there already."""
    keys = ("expr", "xmin", "xmax", "ymin", "ymax", "points", "params", "device", "dtype")
    return surface(*(inputs[key] for key in keys))


# ---------------------------------------------------------------------------------------------------------------------
# Small pieces of the page


def use_example() -> None:
    st.session_state.xy_expr = st.session_state.xy_example
    st.session_state.xy_example = None


def pick_point() -> None:
    """A click on the map moves (x₀, y₀) to the clicked point: a round number of the click layer, or a critical
    point to the last digit."""
    points = st.session_state.xy_map.selection.get("points") or []
    if points and points[0].get("x") is not None and points[0].get("y") is not None:
        st.session_state.xy_px = float(points[0]["x"])
        st.session_state.xy_py = float(points[0]["y"])
    point_moved()


def point_uphill() -> None:
    """Turn u to ∇f's direction, the steepest ascent (the button's on_click; ∇f is in session state)."""
    fx, fy = st.session_state.xy_gradient
    if fx or fy:
        st.session_state.xy_angle = round(math.degrees(math.atan2(fy, fx)), 2) + 0.0
    point_moved()


def point_moved() -> None:
    """(x₀, y₀) or u changed: the point's part is drawn again first, so that its values come soonest, then the map,
    which marks the point; nothing else depends on it."""
    st.rerun([POINT_PART, MAP_PART])


def parameter_moved() -> None:
    """A parameter's slider: everything below the sliders depends on it, the header, the formula and the sidebar do
    not. The map is drawn first."""
    st.rerun([MAP_PART, POINT_PART, REST_PART])


def current_inputs() -> dict | None:
    """The grid's inputs as the widgets hold them now, or None where the formula or a range cannot be used (the
    problem is shown beside its box). Read from the session, so that a part of the page drawn again on its own (a
    fragment) sees what the full run saw, and the parameters as they are now."""
    try:
        expr = derivlib.parse(st.session_state.xy_expr, variables=VARIABLES)
    except derivlib.ExpressionError:
        return None
    if not st.session_state.get("xy_range_usable", True):
        return None
    keys = ("xmin", "xmax", "ymin", "ymax", "points", "device", "dtype")
    inputs = {key: st.session_state[PREFIX + key] for key in keys} | {"expr": str(expr)}
    inputs["text"] = st.session_state.xy_expr  # as typed, for the link; "expr" (how it was read) keys the caches
    return inputs | {"params": kit.parameters(expr.parameters, PREFIX)}


def write_link(good: dict) -> None:
    """The address bar: the grid's inputs that gave the result shown, and the view."""
    LINK.write(
        {key: good[key] for key in DEFAULTS if key not in VIEW_KEYS}
        | {"expr": good["text"]}  # as typed: "Read as" shows how it was read
        | {f"p_{name}": value for name, value in good["params"]}
        | {key: st.session_state[PREFIX + key] for key in VIEW_KEYS}
    )


def number(value: float, digits: int = 10) -> str:
    return f"{value + 0.0:.{digits}g}" if math.isfinite(value) else "undefined"


def pointing(fx: float, fy: float) -> str:
    """Where ∇f points, as an angle: nowhere where it is 0, undefined where it is."""
    if not (math.isfinite(fx) and math.isfinite(fy)):
        return "undefined"
    return f"{math.degrees(math.atan2(fy, fx)):.6g}°" if fx or fy else "nowhere (∇f = 0)"


def tex(value: float, digits: int = 6) -> str:
    """A number for LaTeX: 6 significant digits, powers of ten written as such."""
    if not math.isfinite(value):
        return r"\text{undefined}"
    text = f"{value + 0.0:.{digits}g}"
    if "e" in text:
        mantissa, power = text.split("e")
        return rf"{mantissa} \times 10^{{{int(power)}}}"
    return text


def shift(name: str, at: float) -> str:
    """(x − x₀) with x₀'s value: 'x - 1', 'x + 2', 'x'."""
    if at == 0:
        return name
    return f"{name} - {tex(at)}" if at > 0 else f"{name} + {tex(-at)}"


def terms(pairs: list[tuple[float, str]]) -> str:
    """c₁·t₁ + c₂·t₂ …, signs folded in, zero terms left out (but a lone zero kept)."""
    text = ""
    for coefficient, term in pairs:
        if coefficient == 0 and term:
            continue
        sign = "-" if coefficient < 0 else "+"
        body = tex(abs(coefficient)) + (rf"\,{term}" if term else "")
        text += f" {sign} {body}" if text else (f"-{body}" if sign == "-" else body)
    return text or "0"


def critical_view(frame: pd.DataFrame) -> Styler:
    """x and y to 10 digits, the rest to 6 (the library's frame has every value within rounding of 0 at 0), and
    "undefined" where ∇f does not exist (a corner, crease or cone); `smooth` as words."""
    shown = frame.assign(smooth=np.where(frame["smooth"], "0", "undefined (not smooth)")).rename(
        columns={"smooth": "∇f"}
    )
    return shown.style.format(lambda v: f"{v + 0.0:.10g}", subset=["x", "y"], na_rep="undefined").format(
        lambda v: f"{v + 0.0:.6g}", subset=["f", "fx", "fy", "fxx", "fxy", "fyy"], na_rep="undefined"
    )


# ---------------------------------------------------------------------------------------------------------------------
# The page's parts: the map (the grid's status line, the contour map, the download), the picked point (its values,
# its Hessian, the 3-D surface), the rest (the critical points, the partial derivatives' maps and formulas). Each is a
# fragment: a click on the map, x₀, y₀ or u draw the point's part again, then the map (it marks the point), and
# nothing else; a parameter's slider draws all three, never the header, the formula box or the sidebar.

MAP_PART, POINT_PART, REST_PART = "two_variables_map", "two_variables_point", "two_variables_rest"
PAGE_CSS = """<style>
.st-key-xy_map_box { aspect-ratio: 1 / 1; max-height: 680px; }
.st-key-xy_3d_box { aspect-ratio: 1 / 1; max-height: 560px; }
@media (max-width: 640px) { .st-key-xy_map_box { aspect-ratio: 6 / 7; } }
</style>"""  # a chart's height follows its width (the charts' height "stretch"), up to a laptop's: on a phone, a map
# 640 pixels high was a square 250 wide with blank above and below; a square box left the map itself 130 pixels wide
# under its legend's six lines, a taller one lets it fill the width beside its colour bar


@st.cache_data(max_entries=8, show_spinner=False)
def base_map(
    expr: str,
    xmin: float,
    xmax: float,
    ymin: float,
    ymax: float,
    points: int,
    params: tuple,
    device: str,
    dtype: str,
    _frame: pd.DataFrame,  # the grid of these inputs (not hashed: the inputs name it)
) -> go.Figure:
    """The map without the picked point: contour with a few labelled levels, arrows of ∇f, critical points. A click
    moves the point and draws the map again; this part of it is then ready."""
    figure = add_level_labels(contour_figure(_frame, errors_at=functools.partial(errors_at, expr, params, dtype)))
    sampled = samples(expr, xmin, xmax, ymin, ymax, params, device, dtype)
    add_gradient_arrows(figure, sampled["ax"], sampled["ay"], sampled["fx"], sampled["fy"])
    found, _ = critical(expr, xmin, xmax, ymin, ymax, params)
    if found is not None:
        add_critical_points(figure, found)
    return figure


@st.fragment(key=MAP_PART)
def map_part() -> None:
    """The grid computed (or the last good one), its status line, the contour map with the picked point, the grid's
    download."""
    found = kit.last_good(compute, inputs := current_inputs(), st.session_state.get("xy_good"))
    if found is None:
        return
    result, good = found
    st.session_state.xy_good = good
    write_link(good)
    frame, seconds, how = result
    if good is not inputs:
        st.info(
            f"Showing the last result that could be computed, for `f(x, y) = {good['text']}`. Correct the input to "
            "update it."
        )
    ranges = (good["xmin"], good["xmax"], good["ymin"], good["ymax"])
    n = good["points"]
    undefined = int(np.isnan(frame["f"].to_numpy()).sum())
    if undefined:
        st.warning(
            f"f is undefined at {undefined:,} of the {n * n:,} points: blank on the maps, empty in the file.",
            icon=":material/warning:",
        )
    st.caption(
        f"f and its partial derivatives up to the second at {n:,} × {n:,} = {n * n:,} points over "
        f"{good['xmin']:g} ≤ x ≤ {good['xmax']:g}, {good['ymin']:g} ≤ y ≤ {good['ymax']:g}, computed in "
        f"{seconds:.3g} s.",
        help=f"Computed {how}, on {good['device']} in {good['dtype']}: exact derivatives to the precision of "
        f"{good['dtype']}, not finite differences. Values within their rounding error of 0 are shown as 0.",
    )
    figure = base_map(good["expr"], *ranges, good["points"], good["params"], good["device"], good["dtype"], frame)
    angle = math.radians(float(st.session_state.xy_angle))
    add_picked_point(
        figure, (float(st.session_state.xy_px), float(st.session_state.xy_py)), (math.cos(angle), math.sin(angle))
    )
    sampled = samples(good["expr"], *ranges, good["params"], good["device"], good["dtype"])
    add_click_layer(figure, sampled["cx"], sampled["cy"], sampled["cf"])
    with st.container(key="xy_map_box"):
        st.plotly_chart(
            figure,
            config={"displaylogo": False},
            on_select=pick_point,
            selection_mode="points",
            key="xy_map",
            height="stretch",
        )
    to_scale = screen_scale(ranges[:2], ranges[2:])[2]
    st.caption(
        "Click the map (or a critical point) to pick (x₀, y₀). The arrows are ∇f, pointing uphill, perpendicular to "
        "the contour lines"
        + ("" if to_scale else " in x and y (the map is drawn square, not to scale: on screen they may not look it)")
        + "; their length grows with the square root of |∇f|, capped, so weak slopes stay visible. The colours are "
        "spread over f's values half by value and half by rank, so that low ground shows its shape too (the colour "
        "bar says which is which); a spike towards a pole is clipped to the end colours, still there for hovering. "
        "A few of the contour lines are labelled with their value."
    )
    kit.grid_download(
        "xy_file_format",
        len(frame),
        lambda writer: writer(  # built when clicked, every value within its rounding error 0
            zeroed_surface_table(frame, functools.partial(errors_at, good["expr"], good["params"], good["dtype"]))
        ),
        good["expr"],
        "surface",
        help="Every point of the grid, x varying fastest: x, y, f, fx, fy, fxx, fxy, fyy, each value within its "
        "rounding error 0, as the page shows it, built when you click (the button spins meanwhile). Compressed CSV "
        "(.csv.gz) and Parquet arrive several times sooner than CSV for a big grid.",
    )


@st.fragment(key=POINT_PART)
def point_part() -> None:
    """What f, ∇f and H say at the picked point: its inputs, its table, ∇f and H in LaTeX with the second-derivative
    test's verdict, the tangent plane and Taylor polynomial, and the 3-D surface with its toggle."""
    good = st.session_state.get("xy_good")
    if good is None:
        return
    write_link(good)
    px, py = float(st.session_state.xy_px), float(st.session_state.xy_py)
    angle = float(st.session_state.xy_angle)
    direction = (math.cos(math.radians(angle)), math.sin(math.radians(angle)))
    _, along = at_point(good["expr"], px, py, angle, good["params"])
    view = hessian(good["expr"], px, py, good["params"])
    f0, (fx, fy), (fxx, fxy, fyy) = view.f, view.gradient, view.entries
    st.session_state.xy_gradient = (fx, fy)
    differentiable = math.isfinite(fx) and math.isfinite(fy)

    st.subheader("At the picked point (x₀, y₀)")
    inputs_column, table_column = st.columns([2, 3])
    with inputs_column:
        left, right = st.columns(2)
        left.number_input("x₀ =", key="xy_px", step=0.1, format="%g", help="Or click the map", on_change=point_moved)
        right.number_input("y₀ =", key="xy_py", step=0.1, format="%g", help="Or click the map", on_change=point_moved)
        st.number_input(
            "Direction u at angle θ (degrees) =",
            key="xy_angle",
            min_value=-360.0,
            max_value=360.0,
            step=15.0,
            format="%g",
            help="Measured from the x axis, counter-clockwise: u = (cos θ, sin θ)",
            on_change=point_moved,
        )
        st.button("Turn u along ∇f", on_click=point_uphill, help="The direction of steepest ascent")
        st.toggle(
            "3-D surface", key="xy_surface", help="f as a surface you can turn, with the tangent plane at (x₀, y₀)"
        )
        if st.session_state.xy_surface:
            frame = compute(good)[0]
            with st.container(key="xy_3d_box"):
                st.plotly_chart(
                    surface_figure(frame, point=(px, py, f0), gradient=(fx, fy) if differentiable else None),
                    config={"displaylogo": False},
                    key="xy_3d",
                    height="stretch",
                )
            st.caption(
                "Drag to turn it, scroll to zoom. The pink square with its mesh is the tangent plane at (x₀, y₀)"
                + ("." if differentiable else ": there is none here, f is not differentiable at (x₀, y₀).")
            )
    (low, high), vectors = view.eigenvalues, view.eigenvectors
    gradient = math.hypot(fx, fy)
    derivative, curvature = view.along(direction)
    with table_column:
        rows = [
            ("f(x₀, y₀)", number(f0)),
            ("∂f/∂x", number(fx)),
            ("∂f/∂y", number(fy)),
            ("|∇f|", number(gradient)),
            ("∇f points at θ =", pointing(fx, fy)),
            ("∂²f/∂x²", number(fxx)),
            ("∂²f/∂x∂y", number(fxy)),
            ("∂²f/∂y²", number(fyy)),
            ("det H", number(view.determinant)),
            ("eigenvalues λ₁ ≤ λ₂", f"{number(low, 8)}, {number(high, 8)}"),
            (f"Dᵤf = ∇f · u, along θ = {angle:g}°", number(derivative)),
            ("D²ᵤf = uᵀHu", number(curvature)),
        ]
        st.table(pd.DataFrame(rows, columns=[f"at ({px:g}, {py:g})", "value"]), hide_index=True)

    if not differentiable:  # a corner, crease or cone: no gradient, so no Hessian, plane or Taylor polynomial either
        st.caption(
            f":material/info: f is not differentiable at ({px:g}, {py:g}) (a corner, crease or cone): ∇f is undefined "
            "there, and so are H, the tangent plane and the Taylor polynomial. Pick a point beside it to see them."
        )
        return
    # Side by side on a laptop, one under the other on a phone (columns stack there): no formula wider than a phone.
    for pair in (
        (
            rf"\nabla f = \begin{{pmatrix}} {tex(fx)} \\ {tex(fy)} \end{{pmatrix}}, \quad |\nabla f| = {tex(gradient)}",
            rf"H = \begin{{pmatrix}} {tex(fxx)} & {tex(fxy)} \\ {tex(fxy)} & {tex(fyy)} \end{{pmatrix}}, \quad "
            rf"\det H = {tex(view.determinant)}",
        ),
        (
            rf"\lambda_1 = {tex(low)},\ v_1 = \begin{{pmatrix}} {tex(vectors[0, 0], 4)} \\ {tex(vectors[1, 0], 4)} "
            r"\end{pmatrix}",
            rf"\lambda_2 = {tex(high)},\ v_2 = \begin{{pmatrix}} {tex(vectors[0, 1], 4)} \\ {tex(vectors[1, 1], 4)} "
            r"\end{pmatrix}",
        ),
    ):
        for column, latex in zip(st.columns(2), pair, strict=True):
            column.latex(latex)
    if view.gradient_is_zero:
        gradient_words = "∇f = 0 here, up to rounding: a critical point."
    else:
        gradient_words = "∇f ≠ 0, so this is not a critical point: f rises fastest along ∇f, at the rate |∇f|."
    st.caption(
        f"{view.words}. {gradient_words} The second derivative along a direction, uᵀHu, is smallest along v₁ (where it "
        "is λ₁) and largest along v₂ (λ₂)."
    )
    dx, dy = shift("x", px), shift("y", py)
    st.latex(latex_lines(rf"T_1(x, y) = {terms([(f0, ''), (fx, f'({dx})'), (fy, f'({dy})')])}"))
    quadratic = terms([(fxx / 2, f"({dx})^2"), (fxy, f"({dx})({dy})"), (fyy / 2, f"({dy})^2")])
    st.latex(latex_lines(rf"T_2(x, y) = T_1(x, y) {quadratic if quadratic.startswith('-') else '+ ' + quadratic}"))
    st.caption("T₁ is the tangent plane at (x₀, y₀), T₂ the Taylor polynomial of degree 2 (T₁ and H's terms).")
    for column, latex in zip(
        st.columns(3),
        (
            rf"u = ({tex(direction[0], 4)}, {tex(direction[1], 4)})",
            rf"D_u f = \nabla f \cdot u = {tex(derivative)}",
            rf"D_u^2 f = u^\top H u = {tex(curvature)}",
        ),
        strict=True,
    ):
        column.latex(latex)
    ux, uy = direction
    taylor_rows = []
    for h, f_h in zip(STEPS, along, strict=True):
        plane = f0 + h * derivative
        taylor = plane + h * h * curvature / 2
        taylor_rows.append({"h": h, "x": px + h * ux, "y": py + h * uy, "f": f_h, "plane": plane, "T₂": taylor})
    taylor_table = pd.DataFrame(taylor_rows)
    taylor_table["|f − plane|"] = (taylor_table["f"] - taylor_table["plane"]).abs()
    taylor_table["|f − T₂|"] = (taylor_table["f"] - taylor_table["T₂"]).abs()
    st.caption(
        "f against its tangent plane and its second-order Taylor polynomial T₂ at distances h from (x₀, y₀) along u: "
        "the plane's error shrinks like h², T₂'s like h³ (each tenth of h, about a thousandth of the error)."
    )
    st.table(
        taylor_table.style.format(lambda v: f"{v + 0.0:.10g}", na_rep="undefined").format(
            lambda v: f"{v:.2e}", subset=["|f − plane|", "|f − T₂|"], na_rep="undefined"
        ),
        hide_index=True,
    )


@st.fragment(key=REST_PART)
def rest_part() -> None:
    """The critical points, the maps of the partial derivatives, and sympy's formulas checked against them."""
    good = st.session_state.get("xy_good")
    if good is None:
        return
    ranges = (good["xmin"], good["xmax"], good["ymin"], good["ymax"])
    found, found_notes = critical(good["expr"], *ranges, good["params"])
    st.subheader("Critical points")
    st.caption(
        "Where ∇f = 0 in the ranges, classified by the second-derivative test: a minimum (▼) where det H > 0 and "
        "fxx > 0, a maximum (▲) where det H > 0 and fxx < 0, a saddle point (×) where det H < 0; where det H = 0 the "
        "test says nothing (degenerate). And where ∇f does not exist (a corner, crease or cone: |x| + |y| at 0) but f "
        "still has a minimum, maximum or saddle there, classified by what f does all round it (∇f: undefined). Marked "
        "on the map as on every page; click one there to pick it. Values within rounding of 0 are 0, here and in the "
        "download."
    )
    kit.found_list(found_notes, found, critical_view, good["expr"], "critical_points", none="None in these ranges.")

    st.subheader("The partial derivatives, and where f is convex")
    noise = rounding_noise(good["expr"], *ranges, good["params"], good["dtype"])
    panels = partials_figures(
        compute(good)[0],
        noise=noise,
        errors_at=functools.partial(errors_at, good["expr"], good["params"], good["dtype"]),
    )
    names = list(panels)
    for row in range(0, len(names), 3):  # three to a row; on a phone, one under the other
        for column, name in zip(st.columns(3), names[row : row + 3], strict=True):
            column.plotly_chart(panels[name], config={"displaylogo": False}, key=f"xy_panel_{name}")
    st.caption(
        "Blue below 0, red above, white at 0, with a black line where the value is 0. f is convex where the smaller "
        "eigenvalue λ₁ of the Hessian H is ≥ 0 (and concave where λ₂ ≤ 0); det H = λ₁·λ₂ is negative between them, "
        "where f is saddle-shaped. A derivative that is zero up to rounding is drawn as 0 and its title says so."
    )

    st.subheader("The partial derivatives as formulas, checked against the numbers above")
    checked = symbolic_check(good["expr"], *ranges, good["points"], good["params"]).set_index("name")
    found_formulas = formulas(good["expr"])
    for name, words in PARTIAL_WORDS.items():
        formula, row = found_formulas[name], checked.loc[name]
        left, right = st.columns([3, 2], vertical_alignment="center")
        if formula.latex:
            left.latex(f"{PARTIAL_TEX[name]} = {formula.latex}")
        if formula.note:
            left.caption(f":material/info: {formula.note}")
        agrees = row["badge"].startswith("agrees")
        right.badge(
            f"{words} {row['badge']}",
            icon=":material/check:" if agrees else ":material/warning:",
            color="green" if agrees else "orange",
        )
    checked_points = min(good["points"], CHECK_AXIS) ** 2
    st.caption(
        f"Each formula is sympy's, evaluated on {checked_points:,} points of the grid and compared with derivlib's "
        "numbers as the maps and tables show them (the largest difference, relative to the largest value). sympy gets "
        f"{SYMBOLIC_SECONDS:g} s for all of them: a formula it has not simplified by then is shown as differentiated, "
        "and one it has not reached says so. They may legitimately differ where f is not smooth or not defined (a "
        "kink of abs, a removable singularity). Points where either side is undefined are not compared."
    )


# ---------------------------------------------------------------------------------------------------------------------
# The page

devices = derivlib.available_devices()
start_partials_helper()  # in the background: the formulas further down are then ready sooner
LINK.fill(check_link)  # on this page's first run: the inputs from the link
for view_key in VIEW_KEYS:
    st.session_state.setdefault(PREFIX + view_key, DEFAULTS[view_key])

kit.page_top(
    "∂ f(x, y): its gradient and Hessian",
    "Type a formula in x and y: its contour map with the gradient field and the critical points, its partial "
    "derivatives and Hessian over a grid, and what they say at a point you pick. Exact derivatives (automatic "
    "differentiation with PyTorch), not finite differences.",
)
st.html(PAGE_CSS)
with st.sidebar:
    st.header("Range and settings")
    st.select_slider(
        "Grid points per axis",
        GRID_SIZES,
        key="xy_points",
        format_func=lambda n: f"{n:,} × {n:,}",
        help="Points evenly spaced over each range; the maps show at most a few hundred per axis, the download all",
    )
    st.selectbox("Device", devices, key="xy_device", help="Only the devices present on this machine are listed")
    st.radio("Precision", kit.DTYPES, key="xy_dtype", horizontal=True)
    st.divider()
    st.caption(kit.SHARE)

kit.page_inputs(
    LINK,
    PREFIX,
    {
        "label": "Formula  f(x, y) =",
        "examples": EXAMPLES,
        "on_example": use_example,
        "placeholder": "for example x^2 - y^2",
        "help": FORMULA_HELP,
        "variables": VARIABLES,
    },
    dtype=st.session_state.xy_dtype,
    on_parameter=parameter_moved,
)

map_part()
point_part()
rest_part()
