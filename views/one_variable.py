"""One variable: type a formula, see f, f′, f″ … over a dense grid, evaluate at points, download the table.

Thin by design: widgets in, derivlib calls, Plotly figures and tables out. Every input is mirrored in the address's
query parameters (LINK below: expr as typed, the range, the grid, the view, and p_<name> for each parameter), so a
copied address reproduces the view and opening it fills the inputs.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pandas.io.formats.style import Styler

import derivlib
import page_kit as kit
from derivlib.analysis import by_place, reasons_at, shown_places
from derivlib.discontinuities import breaks
from derivlib.figures.one_variable import (
    add_point_view,
    add_points_of_interest,
    circle_problem,
    clickable,
    column_labels,
    derivative_name,
    derivatives_figure,
    finite_difference_figure,
)
from derivlib.functions import names_in_words
from derivlib.latex import lines as latex_lines
from derivlib.rounding import noise_levels, pointwise_errors, zeroed, zeroed_table
from derivlib.taylor import PointView, at_point, defined_point
from derivlib.undefined import note as undefined_note

EXAMPLES = ["x^3 + sin(x)", "a*sin(b*x)", "exp(-x^2/2)", "log(x)", "sqrt(1 - x^2)", "sin(x)/x"]
LIMITS = kit.limits()  # this server's limits (derivlib/limits.py, DERIVLIB_* settings): the sliders offer no more
SIZES = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 10**7]
GRID_SIZES = [n for n in SIZES if n < LIMITS.points] + [LIMITS.points]  # up to DERIVLIB_MAX_POINTS
HIGHEST_ORDER = LIMITS.order  # DERIVLIB_MAX_ORDER: 8 on a CPU
PROGRESS_FROM = 100_000  # grid points from which a progress bar is shown
PROGRESS_EVERY = 0.2  # seconds between two updates of the progress bar
NOISE_POINTS = 2_000  # points on which each column's rounding error over the range is estimated (a level: a sample
# is enough, and each slider step waits for it); even, so that the middle of a symmetric range, where 1/x has its
# pole, is not among them
PREVIEW_ROWS = 1_000  # rows of the grid shown on the page; the CSV has them all
SYMBOLIC_SECONDS = 2.0  # sympy's time for a formula's derivatives up to order 4; then killed, and what is done shown
SYMBOLIC_SECONDS_PER_ORDER = 0.5  # … beyond order 4 (order 8: 4 s); cached by formula and order, so paid once
X0_DEFAULT = 1.0
DEFAULTS = {
    "expr": EXAMPLES[0],
    "xmin": -5.0,
    "xmax": 5.0,
    "points": min(10_000, LIMITS.points),
    "order": 2,
    "device": "cpu",
    "dtype": "float64",
    "at": "1, pi, 5",
    "overlay": False,
    "x0": X0_DEFAULT,
    "taylor_order": 2,
    "remainder": False,
    "fd_order": 1,
    "file_format": "CSV",
}
COMPILED = "by the program compiled for this formula"
TAYLOR_MODE = "in Taylor mode (derivatives carried through each operation as power series)"
# Inputs that change the view, not the computed grid.
VIEW_KEYS = ("overlay", "x0", "taylor_order", "remainder", "fd_order", "file_format")
FORMULA_HELP = (
    "A formula in x. Powers with ^ (x^3), products with * or a space (2x, x sin x), constants pi and e. Any other "
    "single letter (a, b, k …) is a parameter and gets a slider. The functions: " + names_in_words() + "."
)


# ---------------------------------------------------------------------------------------------------------------------
# The share link: query parameters <-> widget values


ORDERS = list(range(1, HIGHEST_ORDER + 1))
LINK = kit.Link(
    "one_variable",
    DEFAULTS,
    {
        "expr": kit.read_formula(),
        "xmin": kit.read_constant,
        "xmax": kit.read_constant,
        "points": kit.read_choice(GRID_SIZES, kit.read_whole_number),
        "order": kit.read_choice(ORDERS, kit.read_whole_number),
        "device": kit.read_choice(derivlib.available_devices()),
        "dtype": kit.read_choice(kit.DTYPES),
        "at": str,  # checked below, once the parameters' values are known
        "overlay": kit.read_switch,
        "x0": kit.read_number,
        "taylor_order": kit.read_choice(ORDERS, kit.read_whole_number),  # at most `order`: checked below
        "remainder": kit.read_switch,
        "fd_order": kit.read_choice([1, 2], kit.read_whole_number),
        "file_format": kit.read_choice(list(kit.FILE_FORMATS)),
    },
)


def check_link(values: dict, notes: list[str]) -> None:
    """What the link's values must satisfy together: a range the dtype can hold, a Taylor order up to the highest
    derivative, parameters the formula has, points that are numbers."""
    parameters = kit.check_link_ranges_and_parameters(values, notes, DEFAULTS, ("x",), values["dtype"])
    if values["taylor_order"] > values["order"]:
        notes.append(
            f"`taylor_order={values['taylor_order']}` is above the highest derivative ({values['order']}): "
            f"using {values['order']}"
        )
        values["taylor_order"] = values["order"]
    try:
        derivlib.constants(values["at"], {name: values.get(f"p_{name}", kit.PARAMETER_DEFAULT) for name in parameters})
    except derivlib.ExpressionError as error:
        notes.append(f"`at={kit.quoted(values['at'])}` could not be used ({error.message}): using {DEFAULTS['at']}")
        values["at"] = DEFAULTS["at"]


# ---------------------------------------------------------------------------------------------------------------------
# Computation: cached functions of plain values that return plain data


@st.cache_data(max_entries=LIMITS.cache_entries, max_size=LIMITS.cache_bytes, show_spinner=False)
def grid_result(
    expr: str, xmin: float, xmax: float, points: int, order: int, params: tuple, device: str, dtype: str
) -> tuple[pd.DataFrame, float, str, str]:
    """The grid table, the seconds it took, how it was computed (in words, for the status line's details), and a note
    on where and why f is undefined ('' if nowhere)."""
    # The bar is made inside the cached function: a cache hit replays it and its removal (an element made outside
    # could not be replayed). derivlib calls progress() after each chunk of the grid.
    bar = st.empty()
    shown = [-math.inf]  # when the bar was last drawn: each draw is a message to the browser, so at most every 0.2 s

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - shown[0] >= PROGRESS_EVERY:
            bar.progress(done / total, text=f"Computed {done:,} of {total:,} points …")
            shown[0] = time.perf_counter()

    if points >= PROGRESS_FROM:
        progress(0, points)
    state = functools.partial(derivlib.fused_state, expr, order=order, device=device, dtype=dtype)
    fuse = kit.fuse(expr)  # a formula still in use a moment later: compiled
    before = state() if fuse else "none"
    started = time.perf_counter()
    try:
        frame = derivlib.grid_table(
            expr,
            xmin,
            xmax,
            points,
            order=order,
            params=dict(params),
            device=device,
            dtype=dtype,
            progress=progress if points >= PROGRESS_FROM else None,
            fuse=fuse,
            time_budget=kit.limits().time_budget,  # a TimeBudgetError is a ValueError: shown, with the last result
        )
    finally:
        bar.empty()
    seconds = time.perf_counter() - started
    after = state() if fuse else "none"
    how = COMPILED if before == after == "ready" else TAYLOR_MODE
    if after == "waiting":
        how += kit.PREPARING
    note = undefined_note(derivlib.parse(expr), frame["x"].to_numpy(), frame["f"].to_numpy(), dict(params))
    return frame, seconds, how, note


@st.cache_data(max_entries=64, show_spinner=False)
def points_table(expr: str, at: tuple, order: int, params: tuple, device: str, dtype: str) -> pd.DataFrame:
    """The values at the points typed, every one within its rounding error 0 (tan(π) = -1.2e-16 is 0)."""
    frame = derivlib.table(expr, list(at), order=order, params=dict(params), device=device, dtype=dtype)
    return zeroed_table(frame, expr, params=dict(params), dtype=dtype)


def compute(inputs: dict) -> tuple[float, str, str, int]:
    """The grid's summary for these inputs (computed, or from the cache); ValueError for inputs beyond this server's
    limits."""
    kit.within_limits(
        points=inputs["points"],
        order=inputs["order"],
        ranges=[(inputs["xmin"], inputs["xmax"])],
        parameters=dict(inputs["params"]),
        formula=inputs["text"],
    )
    return grid_summary(*grid_key(inputs))


GRID_KEYS = ("expr", "xmin", "xmax", "points", "order", "params", "device", "dtype")


def grid_key(inputs: dict) -> tuple:
    """What a grid is computed from, in grid_result's order: the key of every cache below."""
    return tuple(inputs[key] for key in GRID_KEYS)


@st.cache_data(max_entries=LIMITS.cache_entries, show_spinner=False)
def grid_summary(*key) -> tuple[float, str, str, int]:
    """grid_result without its table: the seconds, how, the note, the rows (read back from the cache in microseconds;
    the table of a million rows takes 20 ms to unpickle, on every change of the view)."""
    frame, seconds, how, note = grid_result(*key)
    return seconds, how, note, len(frame)


def grid_frame(key: tuple) -> pd.DataFrame:
    """The grid's table, held by the session while its grid is shown (the download's button holds it anyway): the
    cache's copy is read back once per grid, not by every function that needs it."""
    held = st.session_state.get("_grid")
    if held is None or held[0] != key:
        held = st.session_state._grid = (key, grid_result(*key)[0])
    return held[1]


@st.cache_data(max_entries=LIMITS.cache_entries, show_spinner=False)
def chart_base(*key, overlay: bool) -> dict:
    """The chart before x₀'s lines, as Plotly's dict: f, f′ … over the grid, no line across a jump, values within
    rounding 0, the points of interest marked. A change of x₀ or of the Taylor order adds its lines to a copy."""
    expr, xmin, xmax, _, order, params, _, dtype = key
    found = kit.in_background(interest, expr, xmin, xmax, params)  # meanwhile, on the other core
    figure = derivatives_figure(
        grid_frame(key),
        overlay=overlay,
        noise=rounding_noise(expr, xmin, xmax, order, params, dtype),
        breaks=jumps(*key),
        errors_at=functools.partial(errors_at, expr, order, params, dtype),
    )
    with contextlib.suppress(ValueError):  # (said under the chart, by the table of places)
        add_points_of_interest(figure, found.result()[0])
    return figure.to_dict()


@st.cache_data(max_entries=64, show_spinner=False)
def rounding_noise(expr: str, xmin: float, xmax: float, order: int, params: tuple, dtype: str) -> dict[str, float]:
    """Each column's estimated rounding error over the range, from NOISE_POINTS points (see derivlib.rounding)."""
    x = derivlib.grid(xmin, xmax, NOISE_POINTS)
    levels = noise_levels(expr, x, order=order, params=dict(params), dtype=dtype)
    return dict(zip(derivlib.columns(order)[1:], map(float, levels), strict=True))


@st.cache_data(max_entries=64, show_spinner=False)
def interest(expr: str, xmin: float, xmax: float, params: tuple) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Points of interest, the same gathered by place (one row each, as shown and downloaded), and the notes on what
    their table leaves out."""
    frame = derivlib.points_of_interest(expr, xmin, xmax, params=dict(params))
    return frame, by_place(frame), list(frame.attrs.get("notes", []))


@st.cache_data(max_entries=LIMITS.cache_entries, show_spinner=False)
def jumps(expr: str, xmin: float, xmax: float, points: int, order: int, params: tuple, device: str, dtype: str) -> list:
    """Per column of the grid, where it jumps between two grid points: the chart draws no line across."""
    frame = grid_frame((expr, xmin, xmax, points, order, params, device, dtype))
    rows = frame.iloc[:, 1:].to_numpy(dtype="float64").T
    levels = rounding_noise(expr, xmin, xmax, order, params, dtype).values()
    return breaks(derivlib.parse(expr), frame["x"].to_numpy(), rows, dict(params), np.array(list(levels)))


@st.cache_data(max_entries=64, show_spinner=False)
def errors_at(expr: str, order: int, params: tuple, dtype: str, x):
    """Each column's rounding error at the points x (the chart's): what is within it is shown as 0."""
    return pointwise_errors(expr, x, order=order, params=dict(params), dtype=dtype)[1]


@st.cache_data(max_entries=64, show_spinner=False)
def shown_sample(
    expr: str, xmin: float, xmax: float, points: int, order: int, params: tuple, device: str, dtype: str
) -> pd.DataFrame:
    """PREVIEW_ROWS rows of the grid, evenly spaced to show the whole range, each value within its rounding error 0."""
    frame = grid_frame((expr, xmin, xmax, points, order, params, device, dtype))
    sample = frame.iloc[:: -(-len(frame) // PREVIEW_ROWS)]
    return zeroed_table(sample.reset_index(drop=True), expr, params=dict(params), dtype=dtype)


def shown_file(write, frame: pd.DataFrame, expr: str, params: tuple, dtype: str):
    """The grid's file, as a page shows values: each within its rounding error 0 (built when the button is clicked)."""
    return write(zeroed_table(frame, expr, params=dict(params), dtype=dtype))


@st.cache_data(max_entries=64, show_spinner=False)
def start_point(expr: str, xmin: float, xmax: float, params: tuple) -> float:
    """x₀ until one is chosen: 1, or a simple number near it where f and f′ are defined."""
    return defined_point(expr, xmin, xmax, params=dict(params))


@st.cache_data(max_entries=64, show_spinner=False)
def point_view(expr: str, x0: float, order: int, params: tuple) -> PointView:
    return at_point(expr, x0, order=max(order, 2), params=dict(params))


def symbolic_seconds(order: int) -> float:
    return SYMBOLIC_SECONDS + SYMBOLIC_SECONDS_PER_ORDER * max(0, order - 4)


@st.cache_data(max_entries=64, show_spinner=False)
def formulas(expr: str, order: int) -> list:
    """f, f′ … f⁽ⁿ⁾ as sympy's formulas; those not done within symbolic_seconds(order) come with a note instead."""
    return derivlib.derivative_formulas(expr, order, timeout=symbolic_seconds(order))


@st.cache_data(max_entries=64, show_spinner=False)
def symbolic_check(expr: str, xmin: float, xmax: float, points: int, order: int, params: tuple) -> pd.DataFrame:
    """The formulas against the numbers the page shows (Taylor mode), per order. Not against autograd: nested
    reverse mode costs seconds at order 8 (sin(x)/x: 4.5 s on 10,000 points, Taylor mode 0.01 s)."""
    x = derivlib.grid(xmin, xmax, min(points, kit.CHECK_POINTS))
    found = formulas(expr, order)
    return derivlib.cross_check(expr, x, order=order, params=dict(params), formulas=found, method="taylor")


@st.cache_data(max_entries=64, show_spinner=False)
def lab(expr: str, at: tuple, order: int, params: tuple) -> tuple[str, pd.DataFrame, bool]:
    """The tutorial's script, the backward() trap's table, and whether the formula passed the elementwise check."""
    code = derivlib.tutorial_code(expr, list(at), params=dict(params), order=order)
    trap = derivlib.backward_trap(expr, list(at), params=dict(params))
    return code, trap, derivlib.is_elementwise(expr, params=dict(params))


@st.cache_data(max_entries=64, show_spinner=False)
def step_errors(expr: str, x0: float, order: int, params: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    errors = derivlib.finite_difference_errors(expr, x0, order=order, params=dict(params))
    return errors, derivlib.best_step(errors)


@st.cache_data(max_entries=64, show_spinner=False)
def precision(expr: str, xmin: float, xmax: float, points: int, order: int, params: tuple) -> pd.DataFrame:
    x = derivlib.grid(xmin, xmax, min(points, kit.CHECK_POINTS))
    return derivlib.precision_errors(expr, x, order=order, params=dict(params))


# ---------------------------------------------------------------------------------------------------------------------
# Small pieces of the page


def use_example() -> None:
    st.session_state.expr = st.session_state.example
    st.session_state.example = None


def table_view(frame: pd.DataFrame, order: int, reasons: list[str] | None = None) -> Styler:
    """The table with f′, f″ … as headers; values to 4 decimals (scientific when tiny or huge), x as computed;
    "undefined", and why where a point is a corner, a jump, a hole or a pole (`reasons`, one per row)."""
    x_digits = 7 if frame["x"].dtype == "float32" else 10  # enough to tell neighbouring grid points apart
    styler = (
        frame.rename(columns=column_labels(order))
        .style.format(value_text, na_rep="undefined")
        .format(lambda v: f"{v:.{x_digits}g}", subset=["x"])
    )
    values = list(column_labels(order).values())[1:]
    for row, reason in zip(frame.index, reasons or [], strict=False):
        if reason:
            styler = styler.format(value_text, na_rep=f"undefined ({reason})", subset=([row], values))
    return styler


def value_text(value: float, undefined: str = "undefined") -> str:
    """A value for a table: 4 decimals, scientific when tiny or huge, `undefined` where it is not a number."""
    if not math.isfinite(value):
        return undefined if math.isnan(value) else ("∞" if value > 0 else "−∞")
    return f"{value + 0.0:.4f}" if value == 0 or 1e-3 <= abs(value) < 1e7 else f"{value:.4e}"


def pick_x0() -> None:
    """A click on the chart moves x₀ to the clicked point's x, or to a marked point (a root, an extremum …) within
    SNAP of the range from it: a click on a marker often lands on the curve beside it. Only the chart and the lab
    depend on x₀: they alone are drawn again."""
    points = st.session_state.chart.selection.get("points") or []
    if points and points[0].get("x") is not None:
        x = float(points[0]["x"])
        marked = st.session_state.get("marked_x", [])
        near = [m for m in marked if abs(m - x) <= SNAP * st.session_state.get("x_width", 0.0)]
        x = min(near, key=lambda m: abs(m - x)) if near else float(f"{x:.6g}")  # the chart sends float32 digits
        st.session_state.x0 = x
        st.session_state.x0_chosen = True
    st.rerun([CHART_PART, LAB_PART])


def choose_x0() -> None:
    st.session_state.x0_chosen = True
    st.rerun([CHART_PART, LAB_PART])


def parameter_moved() -> None:
    """A parameter's slider: everything below the formula depends on it, the header, the formula and the sidebar
    do not. The chart is drawn first."""
    st.rerun([CHART_PART, DETAILS_PART, LAB_PART])


def order_changed() -> None:
    """Fewer derivatives: the Taylor order follows them down (more: it stays)."""
    st.session_state.taylor_order = min(st.session_state.taylor_order, st.session_state.order)


def raise_order() -> None:
    """The Taylor order asks for more derivatives than are computed: compute them (a new grid: the whole page)."""
    st.session_state.order = st.session_state.taylor_order
    st.rerun()


def latex_name(order: int) -> str:
    """The k-th derivative's name in LaTeX: primes up to the third (f', f''), then f^{(4)}, f^{(5)} …"""
    return "f" + "'" * order if order <= 3 else f"f^{{({order})}}"


def current_inputs() -> dict | None:
    """The grid's inputs as the widgets hold them now, or None where the formula or the range cannot be used (the
    problem is shown beside its box). Read from the session, so that a part of the page drawn again on its own
    (a fragment) sees what the full run saw, and the parameters as they are now."""
    try:
        expr = derivlib.parse(st.session_state.expr)
    except derivlib.ExpressionError:
        return None
    if not st.session_state.get("range_usable", True):
        return None
    keys = ("xmin", "xmax", "points", "order", "device", "dtype")
    inputs = {key: st.session_state[key] for key in keys} | {"expr": str(expr), "text": st.session_state.expr}
    return inputs | {"params": kit.parameters(expr.parameters)}


def write_link(good: dict) -> None:
    """The address bar: the grid's inputs that gave the result shown, the points typed, and the view."""
    LINK.write(
        {key: good[key] for key in DEFAULTS if key not in VIEW_KEYS and key != "at"}
        | {"expr": good["text"], "at": st.session_state.get("good_at", (DEFAULTS["at"],))[0]}
        | {f"p_{name}": value for name, value in good["params"]}
        | {key: st.session_state[key] for key in VIEW_KEYS}
    )


def reasons_for(good: dict, places: pd.DataFrame | None, x: list[float]) -> list[str]:
    """Why f or a derivative is undefined at each point, where it is a corner, a jump, a hole or a pole."""
    if places is None or places.empty:
        return [""] * len(x)
    return reasons_at(places, np.array(x), 4 * np.finfo(float).eps * max(abs(good["xmin"]), abs(good["xmax"]), 1.0))


def places_of_interest(good: dict) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[str]]:
    try:
        return interest(good["expr"], good["xmin"], good["xmax"], good["params"])
    except ValueError as error:
        return None, None, [f"points of interest could not be computed: {kit.first_line(error)}"]


# ---------------------------------------------------------------------------------------------------------------------
# The page's parts: the chart (with x₀ and the view), the tables and formulas, the lab. Each is a fragment: a
# parameter's slider draws them again, the chart first, and leaves the rest of the page as it is; a change of the
# view draws the chart alone.

CHART_PART, DETAILS_PART, LAB_PART = "one_variable_chart", "one_variable_details", "one_variable_lab"
SNAP = 0.01  # a click this share of the range from a marked point moves x₀ onto it


@st.fragment(key=CHART_PART)
def chart_part() -> None:
    """The status line, the chart with x₀'s tangent, Taylor polynomial and circle, the values at x₀, the view's
    controls and the grid's download."""
    found = kit.last_good(compute, inputs := current_inputs(), st.session_state.get("good"))
    if found is None:
        return
    result, good = found
    st.session_state.good = good
    if not st.session_state.x0_chosen:  # never on an undefined point: (x² − 1)/(x − 1) starts at 0.5, not at its hole
        st.session_state.x0 = start_point(good["expr"], good["xmin"], good["xmax"], good["params"])
    write_link(good)
    seconds, how, note, rows = result
    if good is not inputs:
        st.info(
            f"Showing the last result that could be computed, for `f(x) = {good['text']}`. Correct the input to "
            "update it."
        )
    highest = column_labels(good["order"])[f"d{good['order']}"]
    derivatives = {1: "f and f′", 2: "f, f′ and f″", 3: "f, f′, f″ and f‴"}.get(good["order"], f"f, f′ … {highest}")
    st.caption(
        f"{derivatives} at {good['points']:,} points from {good['xmin']:g} to {good['xmax']:g}, computed in "
        f"{seconds:.3g} s.",
        help=f"Computed {how}, on {good['device']} in {good['dtype']}: exact derivatives to the precision of "
        f"{good['dtype']}, not finite differences. Values within their rounding error of 0 are shown as 0.",
    )
    if note:
        st.warning(note, icon=":material/warning:")
    x0 = float(st.session_state.x0)
    _, places, _ = places_of_interest(good)
    view = point_view(good["expr"], x0, good["order"], good["params"])
    (why,) = reasons_for(good, places, [x0])
    if why:  # at a corner, a jump, a hole or a pole there is no tangent: the point's own numbers are one side's
        first = 0 if why in ("hole", "pole") else 1
        values = tuple(v if k < first else math.nan for k, v in enumerate(view.derivatives))
        view = PointView(x0, values, math.nan, None, math.inf)
    figure = go.Figure(chart_base(*grid_key(good), overlay=st.session_state.overlay))
    st.session_state.marked_x = [] if places is None else [float(x) for x in places["x"]]
    st.session_state.x_width = good["xmax"] - good["xmin"]
    taylor_order = min(st.session_state.taylor_order, good["order"])
    x_range = (good["xmin"], good["xmax"])
    no_circle = "" if why else circle_problem(view.radius, figure, x_range)
    add_point_view(
        figure,
        view,
        x_range,
        taylor_order=taylor_order,
        remainder_of=(grid_frame(grid_key(good))["x"].to_numpy(), grid_frame(grid_key(good))["f"].to_numpy())
        if st.session_state.remainder
        else None,
    )
    st.plotly_chart(
        clickable(figure),
        config={"displaylogo": False},
        on_select=pick_x0,
        selection_mode="points",
        key="chart",
    )
    at_x0 = zeroed(*pointwise_errors(good["expr"], np.array([x0]), order=2, params=dict(good["params"])))[:, 0]
    at_x0 = np.where(np.isnan(view.derivatives[:3]), math.nan, at_x0)
    cells = st.columns(5)  # "undefined" alone fits a phone's column; the caption under them says why
    for cell, label, value in zip(cells, ("f(x₀)", "f′(x₀)", "f″(x₀)"), at_x0, strict=False):
        cell.metric(label, kit.metric_number(value))
    curvature = view.curvature if math.isfinite(at_x0[2]) else math.nan
    cells[3].metric("curvature κ", kit.metric_number(curvature), help="κ = |f″| / (1 + f′²)^(3/2)")
    cells[4].metric("circle radius 1/κ", kit.metric_number(view.radius if math.isfinite(curvature) else math.nan))
    if why:
        st.caption(
            f":material/info: x₀ = {x0:g} is a {why} of f: f′ is undefined there, so there is no tangent, Taylor "
            "polynomial or osculating circle (the table of points of interest gives its one-sided values)."
        )
    circle = (
        f"The osculating circle, the circle that bends as f does at x₀, is not drawn: {no_circle}. Narrow the range "
        "around x₀ to see it."
        if no_circle
        else "The osculating circle, the circle that bends as f does at x₀, is drawn in the chart's own units: it "
        "looks round only where one unit of x and one of f take the same length on screen."
    )
    st.caption(
        f"Click the f curve (or a marked point) to move x₀ there. At x₀ = {x0:g}: the tangent "
        f"f(x₀) + f′(x₀)(x − x₀) and the Taylor polynomial of order {taylor_order}. {circle}"
    )

    point, degree, toggles = st.columns([2, 2, 3], vertical_alignment="bottom")
    point.number_input(
        "Tangent and Taylor at x₀ =",
        key="x0",
        step=0.1,
        format="%g",
        help="Or click a point of the f curve on the chart",
        on_change=choose_x0,
    )
    degree.number_input(
        "Taylor order n",
        1,
        HIGHEST_ORDER,
        key="taylor_order",
        help="Up to the highest derivative computed (the sidebar's “Highest derivative”)",
    )
    toggles.toggle("Show the remainder |f − Tₙ|", key="remainder")
    if st.session_state.taylor_order > good["order"]:
        wanted = st.session_state.taylor_order
        st.warning(
            f"Order {wanted} needs the derivatives up to {derivative_name(wanted)}, and {good['order']} are computed "
            f"(the sidebar's “Highest derivative”): T{good['order']} is drawn.",
            icon=":material/info:",
        )
        st.button(f"Compute {wanted} derivatives", on_click=raise_order, icon=":material/add:")
    kit.grid_download(
        "file_format",
        rows,
        functools.partial(  # built when clicked, every value within its rounding error 0
            shown_file, frame=grid_frame(grid_key(good)), expr=good["expr"], params=good["params"], dtype=good["dtype"]
        ),
        good["expr"],
        "grid",
        help="Every point of the grid, each value within its rounding error 0, as the page shows it, built when you "
        "click (the button spins meanwhile). CSV opens in a spreadsheet; the server compresses it as it sends it, "
        "which takes a few seconds for a million rows. Compressed CSV (.csv.gz) is compressed once, in parallel, "
        "and arrives several times sooner; pandas and R read it as it is. Parquet is the smallest, for pandas, R or "
        "polars.",
    )
    st.toggle("Overlay all orders on one panel", key="overlay")


@st.fragment(key=DETAILS_PART)
def details_part() -> None:
    """The values at the points typed, the points of interest, the grid's values, and sympy's formulas."""
    good = st.session_state.get("good")
    params = dict(good["params"]) if good else {}
    try:  # the points typed: a problem is shown under their box, and the last points that could be used stay
        st.session_state.good_at = (st.session_state.at, tuple(derivlib.constants(st.session_state.at, params)))
        at_error = None
    except derivlib.ExpressionError as error:
        at_error = error
    st.subheader("Values at your points")
    at_column, _ = st.columns(2)
    at_column.text_input(
        "Evaluate at x =",
        key="at",
        help="Comma-separated values; each may be a constant formula: 1, pi/2, sqrt(2), 2e-3",
    )
    if at_error is not None:
        with at_column:
            kit.show_error(at_error)
    if good is None or "good_at" not in st.session_state:
        return
    write_link(good)
    shared = {key: good[key] for key in ("order", "params", "device", "dtype")}
    at = st.session_state.good_at[1]
    try:
        points = points_table(good["expr"], at, **shared)
    except ValueError as error:  # a device that refuses, a limit: said, and the rest of the page stays
        st.error(kit.first_line(error))
        points = None
    _, places, found_notes = places_of_interest(good)
    if points is not None:
        reasons = reasons_for(good, places, points["x"].tolist())
        st.table(table_view(points, good["order"], reasons), hide_index=True, width="content")
        kit.download("Download these values (CSV)", derivlib.to_csv(points), good["expr"], "points")

    st.subheader("Points of interest")
    st.caption(
        "Roots, minima, maxima, inflection points, poles, corners (where f′ jumps), jumps and holes in the range, "
        "and roots and extrema where f's domain ends, found on a dense grid and refined by Newton's method with exact "
        "derivatives, to float64 precision. Where f is not smooth its derivatives are undefined, and the table says "
        "why; f(x⁻) and f(x⁺) are the limits from the left and the right, f′(x⁻) and f′(x⁺) a corner's two slopes. "
        "A point found within rounding of a simpler number at which it holds exactly (0, say) is shown at that "
        "number, and a value within its rounding error of 0 as 0. Marked on the f panel: ▲ a maximum, ▼ a minimum, "
        "as on every page."
    )
    kit.found_list(
        found_notes,
        places,
        shown_places,
        good["expr"],
        "points_of_interest",
        none="None in this range.",
        width="content",
    )

    shown_rows = min(good["points"], -(-good["points"] // -(-good["points"] // PREVIEW_ROWS)))
    values_view = st.expander(
        f"The grid's values ({shown_rows:,} of {good['points']:,} rows shown, evenly spaced)",
        key="values_open",
        on_change="rerun",
    )
    if values_view.open:  # (sent only when opened)
        values_view.dataframe(table_view(shown_sample(*grid_key(good)), good["order"]), hide_index=True, height=300)

    st.subheader("The derivatives as formulas, checked against the numbers above")
    checked = symbolic_check(good["expr"], good["xmin"], good["xmax"], good["points"], good["order"], good["params"])
    for formula, row in zip(formulas(good["expr"], good["order"])[1:], list(checked.itertuples())[1:], strict=True):
        name = derivative_name(formula.order)
        left, right = st.columns([3, 2], vertical_alignment="center")
        if formula.latex:
            left.latex(latex_lines(f"{latex_name(formula.order)}(x) = {formula.latex}"))
        if formula.note:
            left.caption(f":material/info: {formula.note}")
        agrees = row.badge.startswith("agrees")
        right.badge(
            f"{name} {row.badge}",
            icon=":material/check:" if agrees else ":material/warning:",
            color="green" if agrees else "orange",
        )
    st.caption(
        f"Each formula is sympy's, evaluated on {min(good['points'], kit.CHECK_POINTS):,} points of the range and "
        "compared with derivlib's numbers as the chart and tables show them (the largest difference, relative to the "
        f"largest value). sympy gets {symbolic_seconds(good['order']):g} s for all of them: a formula it has not "
        "simplified by then is shown as differentiated, and one it has not reached says so. Each holds where f is "
        "smooth: at a corner (|x| at 0) there is no derivative, whatever sign(0) = 0 would say, and sympy's Dirac "
        "deltas there are left out. They may legitimately differ at a removable singularity (sin(x)/x at 0 is "
        "undefined for derivlib, while a simplified formula may have cancelled it), and near such points, where the "
        "formula as typed loses digits to cancellation and the simplified one does not, more with each order. Points "
        "where either side is undefined are not compared."
    )


@st.fragment(key=LAB_PART)
def lab_part() -> None:
    """The autograd lab: the tutorial's script for this formula, the backward() trap, finite differences at x₀, and
    float32 against float64."""
    good = st.session_state.get("good")
    if good is None or "good_at" not in st.session_state:
        return
    x0 = float(st.session_state.x0)
    lab_view = st.expander(
        "Autograd lab: how these derivatives are computed, and how far to trust them", key="lab_open", on_change="rerun"
    )
    with lab_view:
        if not lab_view.open:  # computed and sent only when opened: each x₀ would otherwise redo it unseen
            return
        code, trap, elementwise = lab(good["expr"], st.session_state.good_at[1], good["order"], good["params"])
        st.markdown("**The tutorial's method, for your formula.** Copy it and run it: it prints the numbers above.")
        st.code(code, language="python")
        st.markdown(
            "**The `backward()` trap.** After `y.backward(ones, create_graph=True)` and then `x.grad.backward(ones)`, "
            "x.grad holds f′ + f″, not f″: backward *adds* to x.grad. `torch.autograd.grad` returns the derivative "
            "instead, which is why the method above uses it."
        )
        st.table(
            trap.rename(columns={"d1": "f′", "d2": "f″", "x_grad": "x.grad (= f′ + f″)"}).style.format(
                lambda v: f"{v + 0.0:.4f}", na_rep="undefined"
            ),
            hide_index=True,
            width="content",
        )
        st.markdown(
            "**Why `grad_outputs=ones` is legitimate.** Each y[i] depends on x[i] alone, so the Jacobian dy/dx is "
            "diagonal, and ones times that Jacobian is exactly its diagonal: f′ at every point from one backward "
            "pass. For a formula that mixed points (a sum or a cumulative sum over x) the same call would silently "
            "add up columns instead."
        )
        if elementwise:
            st.caption(":material/check: Checked: the Jacobian of this formula at 16 random points is diagonal.")
        else:
            st.error("This formula's Jacobian at random points is not diagonal: grad_outputs=ones does not apply.")

        st.markdown(f"**Finite differences against autograd at x₀ = {x0:g}.**")
        fd_order = st.radio(
            "Derivative", [1, 2], key="fd_order", horizontal=True, format_func=lambda k: derivative_name(k)
        )
        errors, best = step_errors(good["expr"], x0, fd_order, good["params"])
        st.plotly_chart(
            finite_difference_figure(errors, best, title="Central differences: error against step size h"),
            config={"displaylogo": False},
            key="steps",
        )
        st.caption(
            "Right of the best h the truncation error (∝ h²) dominates; left of it, rounding: f is known only to "
            "about machine epsilon, and dividing by h magnifies that. float32's epsilon is about 10⁹ times larger, "
            "so its best h is larger and its best error far worse. Autograd has no step size: its error is rounding "
            "alone."
        )
        st.dataframe(
            best,
            hide_index=True,
            column_config={
                "h": st.column_config.NumberColumn(format="%.1e"),
                "error": st.column_config.NumberColumn(format="%.2e"),
            },
        )

        checked_points = min(good["points"], kit.CHECK_POINTS)
        st.markdown(f"**float32 against float64**, per derivative order, on {checked_points:,} points.")
        errors32 = precision(good["expr"], good["xmin"], good["xmax"], good["points"], good["order"], good["params"])
        shown = errors32[["order", "max_abs", "max_rel", "worst_x"]].copy()
        shown["order"] = [column_labels(good["order"])["f" if k == 0 else f"d{k}"] for k in shown["order"]]
        st.dataframe(
            shown.rename(
                columns={
                    "order": "derivative",
                    "max_abs": "largest difference",
                    "max_rel": "relative",
                    "worst_x": "at x",
                }
            ),
            hide_index=True,
            column_config={c: st.column_config.NumberColumn(format="%.2e") for c in ("largest difference", "relative")},
        )
    write_link(good)  # the lab's own view setting (fd_order) is in the link too


# ---------------------------------------------------------------------------------------------------------------------
# The page

devices = derivlib.available_devices()
kit.start_sympy_helper()  # in the background: the formulas further down are then ready sooner
LINK.fill(check_link)  # on this page's first run: the inputs from the link
st.session_state.setdefault("x0_chosen", "x0" in st.query_params)  # else x₀ follows the formula (start_point)
for view_key in VIEW_KEYS:
    st.session_state.setdefault(view_key, DEFAULTS[view_key])

kit.page_top(
    "∂ derivlib: derivatives of a formula",
    "Type a formula in x and see f and its derivatives f′, f″ … over a range, and their values at the points you "
    "choose. The derivatives are exact (automatic differentiation with PyTorch), not finite differences.",
)
with st.sidebar:
    st.header("Grid and settings")
    st.select_slider(
        "Grid points",
        GRID_SIZES,
        key="points",
        format_func=lambda n: f"{n:,}",
        help="Points evenly spaced over the range",
    )
    st.slider("Highest derivative", 1, HIGHEST_ORDER, key="order", on_change=order_changed)
    st.selectbox("Device", devices, key="device", help="Only the devices present on this machine are listed")
    st.radio("Precision", kit.DTYPES, key="dtype", horizontal=True)
    st.divider()
    st.caption(kit.SHARE)

kit.page_inputs(
    LINK,
    "",
    {
        "label": "Formula  f(x) =",
        "examples": EXAMPLES,
        "on_example": use_example,
        "placeholder": "for example x^3 + sin(x)",
        "help": FORMULA_HELP,
    },
    dtype=st.session_state.dtype,
    on_parameter=parameter_moved,
)

chart_part()
details_part()
lab_part()
