"""The derivlib dashboard: type a formula, see f, f′, f″ … over a dense grid, evaluate at points, download CSV.

Thin by design: widgets in, derivlib calls, Plotly figures and tables out. Every input is mirrored in the address's
query parameters (expr, xmin, xmax, points, order, device, dtype, at, overlay and p_<name> for each parameter), so a
copied address reproduces the view and opening it fills the inputs.
"""

from __future__ import annotations

import math
import re
import time

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

import derivlib
from derivlib.figures import column_labels, derivatives_figure
from derivlib.undefined import note as undefined_note

EXAMPLES = ["x^3 + sin(x)", "a*sin(b*x)", "exp(-x^2/2)", "log(x)", "sqrt(1 - x^2)", "sin(x)/x"]
GRID_SIZES = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000]
HIGHEST_ORDER = 8
DTYPES = ["float64", "float32"]
PARAMETER_RANGE = (-10.0, 10.0)
PARAMETER_DEFAULT = 1.0
PROGRESS_FROM = 100_000  # grid points from which a progress bar is shown
PREVIEW_ROWS = 1_000  # rows of the grid shown on the page; the CSV has them all
DEFAULTS = {
    "expr": EXAMPLES[0],
    "xmin": -5.0,
    "xmax": 5.0,
    "points": 10_000,
    "order": 2,
    "device": "cpu",
    "dtype": "float64",
    "at": "1, pi, 5",
    "overlay": False,
}
FORMULA_HELP = (
    "A formula in x. Powers with ^ (x^3), products with * or a space (2x, x sin x), functions such as sin, cos, exp, "
    "log, sqrt, abs, tanh; constants pi and e. Any other single letter (a, b, k …) is a parameter and gets a slider."
)


# ---------------------------------------------------------------------------------------------------------------------
# The share link: query parameters <-> widget values


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _whole_number(text: str) -> int:
    value = _number(text)
    if not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


def _switch(text: str) -> bool:
    if text.lower() not in ("1", "0", "true", "false"):
        raise ValueError("write 1 or 0")
    return text.lower() in ("1", "true")


def _choice(options: list, convert=str):
    def read(text: str):
        value = convert(text)
        if value not in options:
            raise ValueError(f"choose one of {', '.join(map(str, options))}")
        return value

    return read


def _formula(text: str) -> str:
    derivlib.parse(text)  # raises ExpressionError, a ValueError, for text that is not a formula
    return text


READERS = {
    "expr": _formula,
    "xmin": _number,
    "xmax": _number,
    "points": _choice(GRID_SIZES, _whole_number),
    "order": _choice(list(range(1, HIGHEST_ORDER + 1)), _whole_number),
    "dtype": _choice(DTYPES),
    "at": str,  # checked below, once the parameters' values are known
    "overlay": _switch,
}


def _parameter(text: str) -> float:
    value = _number(text)
    if not PARAMETER_RANGE[0] <= value <= PARAMETER_RANGE[1]:
        raise ValueError(f"parameters go from {PARAMETER_RANGE[0]:g} to {PARAMETER_RANGE[1]:g}")
    return value


def read_link(query: dict[str, str], devices: list[str]) -> tuple[dict, list[str]]:
    """Widget values from a share link's query parameters, and a note for each value that could not be used."""
    readers = READERS | {"device": _choice(devices)}
    values, notes = dict(DEFAULTS), []
    for name, text in query.items():
        reader = readers.get(name) or (_parameter if name.startswith("p_") else None)
        if reader is None:
            notes.append(f"`{_shown(name)}` is not a setting of this page: ignored")
            continue
        try:
            values[name] = reader(text)
        except ValueError as error:  # ExpressionError is one too
            default = DEFAULTS.get(name, PARAMETER_DEFAULT)
            notes.append(f"`{_shown(name)}={_shown(text)}` could not be used ({_first_line(error)}): using {default}")
    if values["xmin"] >= values["xmax"]:
        empty, default = (values["xmin"], values["xmax"]), (DEFAULTS["xmin"], DEFAULTS["xmax"])
        notes.append("the range {:g} … {:g} is empty: using {:g} … {:g}".format(*empty, *default))
        values["xmin"], values["xmax"] = DEFAULTS["xmin"], DEFAULTS["xmax"]
    parameters = derivlib.parse(values["expr"]).parameters
    for key in [key for key in values if key.startswith("p_") and key[2:] not in parameters]:
        notes.append(f"`{key}`: the formula has no parameter {key[2:]}, ignored")
        del values[key]
    try:
        derivlib.constants(values["at"], {name: values.get(f"p_{name}", PARAMETER_DEFAULT) for name in parameters})
    except derivlib.ExpressionError as error:
        notes.append(f"`at={_shown(values['at'])}` could not be used ({error.message}): using {DEFAULTS['at']}")
        values["at"] = DEFAULTS["at"]
    return values, notes


def _shown(text: str) -> str:
    """Link text as it is quoted in a note: short, and unable to close the note's code span."""
    text = text.replace("`", "'")
    return text if len(text) <= 60 else text[:59] + "…"


def _first_line(error: Exception) -> str:
    return error.message if isinstance(error, derivlib.ExpressionError) else str(error).splitlines()[0]


def link_of(inputs: dict) -> dict[str, str]:
    """The query parameters that reproduce these inputs."""
    link = {key: inputs[key] for key in DEFAULTS if key != "overlay"}
    link |= {f"p_{name}": value for name, value in inputs["params"]}
    link["overlay"] = int(inputs["overlay"])
    return {key: f"{value:.15g}" if isinstance(value, float) else str(value) for key, value in link.items()}


# ---------------------------------------------------------------------------------------------------------------------
# Computation: cached functions of plain values that return plain data


@st.cache_data(max_entries=16, max_size="1GiB", show_spinner=False)
def grid_result(
    expr: str, xmin: float, xmax: float, points: int, order: int, params: tuple, device: str, dtype: str
) -> tuple[pd.DataFrame, float, str]:
    """The grid table, the seconds it took, and a note on where and why f is undefined ('' if nowhere)."""
    # The bar is made inside the cached function: a cache hit replays it and its removal (an element made outside
    # could not be replayed). derivlib calls progress() after each chunk of the grid.
    bar = st.empty()

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Computed {done:,} of {total:,} points …")

    if points >= PROGRESS_FROM:
        progress(0, points)
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
        )
    finally:
        bar.empty()
    seconds = time.perf_counter() - started
    note = undefined_note(derivlib.parse(expr), frame["x"].to_numpy(), frame["f"].to_numpy(), dict(params))
    return frame, seconds, note


@st.cache_data(max_entries=64, show_spinner=False)
def points_table(expr: str, at: tuple, order: int, params: tuple, device: str, dtype: str) -> pd.DataFrame:
    return derivlib.table(expr, list(at), order=order, params=dict(params), device=device, dtype=dtype)


def compute(inputs: dict) -> tuple[tuple[pd.DataFrame, float, str], pd.DataFrame]:
    """The grid result and the points table for these inputs, from the caches where they are there already."""
    shared = {key: inputs[key] for key in ("order", "params", "device", "dtype")}
    grid = grid_result(inputs["expr"], inputs["xmin"], inputs["xmax"], inputs["points"], **shared)
    return grid, points_table(inputs["expr"], inputs["at_values"], **shared)


# ---------------------------------------------------------------------------------------------------------------------
# Small pieces of the page


def show_error(error: derivlib.ExpressionError) -> None:
    """The message, then the text with a caret under the problem, in monospace so that the caret lines up."""
    line, column = error.excerpt()
    message = re.sub(r"([\\`*_{}\[\]<>#|~$])", r"\\\1", error.message)  # plain text, not markdown
    st.error(f"{message}\n```text\n{line}\n{' ' * column}^\n```")


def use_example() -> None:
    st.session_state.expr = st.session_state.example
    st.session_state.example = None


def file_stem(expr: str) -> str:
    return re.sub(r"[^\w.+-]+", "_", expr).strip("_")[:60] or "formula"


def table_view(frame: pd.DataFrame, order: int) -> Styler:
    """The table with f′, f″ … as headers; values to 4 decimals (scientific when tiny or huge), x as computed."""
    x_digits = 7 if frame["x"].dtype == "float32" else 10  # enough to tell neighbouring grid points apart
    return (
        frame.rename(columns=column_labels(order))
        .style.format(lambda v: f"{v + 0.0:.4f}" if v == 0 or 1e-3 <= abs(v) < 1e7 else f"{v:.4e}", na_rep="undefined")
        .format(lambda v: f"{v:.{x_digits}g}", subset=["x"])
    )


# ---------------------------------------------------------------------------------------------------------------------
# The page

st.set_page_config(page_title="derivlib: derivatives of a formula", page_icon="∂", layout="wide")
devices = derivlib.available_devices()

if "link_notes" not in st.session_state:  # the session's first run: fill the inputs from the link
    values, st.session_state.link_notes = read_link(st.query_params.to_dict(), devices)
    st.session_state.update(values)

st.title("∂ derivlib: derivatives of a formula")
st.caption(
    "Type a formula in x and see f and its derivatives f′, f″ … over a range, and their values at the points you "
    "choose. The derivatives are exact (automatic differentiation with PyTorch), not finite differences."
)
if st.session_state.link_notes:
    st.warning(
        "Some values in the link could not be used:\n\n" + "\n".join(f"- {n}" for n in st.session_state.link_notes)
    )
    st.session_state.link_notes = []  # said once; the inputs now show what is used

with st.sidebar:
    st.header("Range and settings")
    left, right = st.columns(2)
    left.number_input("x from", key="xmin", step=1.0, format="%g")
    right.number_input("x to", key="xmax", step=1.0, format="%g")
    range_ok = st.session_state.xmin < st.session_state.xmax
    if not range_ok:
        st.error("'x from' must be less than 'x to'.")
    st.select_slider(
        "Grid points",
        GRID_SIZES,
        key="points",
        format_func=lambda n: f"{n:,}",
        help="Points evenly spaced over the range",
    )
    st.slider("Highest derivative", 1, HIGHEST_ORDER, key="order")
    st.selectbox("Device", devices, key="device", help="Only the devices present on this machine are listed")
    st.radio("Precision", DTYPES, key="dtype", horizontal=True)
    st.divider()
    st.caption(
        ":material/link: **Share this view:** the address bar holds every input. Copy it: whoever opens it sees this."
    )

formula, examples = st.columns([3, 1], vertical_alignment="bottom")
formula.text_input("Formula  f(x) =", key="expr", placeholder="for example x^3 + sin(x)", help=FORMULA_HELP)
examples.selectbox(
    "Examples", EXAMPLES, index=None, key="example", placeholder="Pick an example …", on_change=use_example
)
try:
    expr = derivlib.parse(st.session_state.expr)
    st.markdown(f"Read as  `f(x) = {expr}`")
except derivlib.ExpressionError as error:
    expr = None
    show_error(error)

good = st.session_state.get("good")
names = expr.parameters if expr else [name for name, _ in good["params"]] if good else []
columns = st.columns(4) if names else []
for i, name in enumerate(names):
    st.session_state.setdefault(f"p_{name}", PARAMETER_DEFAULT)
    columns[i % 4].slider(f"Parameter {name}", *PARAMETER_RANGE, step=0.01, key=f"p_{name}")
params = tuple((name, float(st.session_state[f"p_{name}"])) for name in names)

at_column, _ = st.columns(2)
at_column.text_input(
    "Evaluate at x =", key="at", help="Comma-separated values; each may be a constant formula: 1, pi/2, sqrt(2), 2e-3"
)
try:
    at = tuple(derivlib.constants(st.session_state.at, dict(params)))
except derivlib.ExpressionError as error:
    at = None
    with at_column:
        show_error(error)

inputs = None
if expr and at is not None and range_ok:
    keys = ("xmin", "xmax", "points", "order", "device", "dtype", "at")
    inputs = {key: st.session_state[key] for key in keys} | {"expr": str(expr), "params": params, "at_values": at}

result = None
for attempt in (inputs, good):  # the current inputs, or else the last ones that gave a result
    if attempt is None:
        continue
    try:
        result, good = compute(attempt), attempt
        break
    except ValueError as error:  # a setting the library refuses, e.g. float64 on Apple's MPS
        st.error(str(error))
if result is None:
    st.stop()

st.session_state.good = good
st.session_state.setdefault("overlay", False)
st.query_params.from_dict(link_of(good | {"overlay": st.session_state.overlay}))

(frame, seconds, note), points = result
if good is not inputs:
    st.info(
        f"Showing the last result that could be computed, for f(x) = {good['expr']}. Correct the input to update it."
    )

st.subheader("Values at your points")
st.table(table_view(points, good["order"]), hide_index=True, width="content")
st.download_button(
    "Download these values (CSV)",
    derivlib.to_csv(points),
    file_name=f"{file_stem(good['expr'])}_points.csv",
    mime="text/csv",
    on_click="ignore",
    key="download_points",
    icon=":material/download:",
)

st.subheader(f"Over the range {good['xmin']:g} ≤ x ≤ {good['xmax']:g}")
st.caption(
    f"f and {good['order']} derivative{'s' if good['order'] > 1 else ''} at {good['points']:,} points from "
    f"{good['xmin']:g} to {good['xmax']:g}, computed in {seconds:.3g} s on {good['device']} in {good['dtype']}."
)
if note:
    st.warning(note, icon=":material/warning:")
st.download_button(
    f"Download the whole grid (CSV, {len(frame):,} rows)",
    lambda: derivlib.to_csv(frame),  # built only when clicked: at 10⁶ rows it takes seconds
    file_name=f"{file_stem(good['expr'])}_grid.csv",
    mime="text/csv",
    on_click="ignore",
    key="download_grid",
    icon=":material/download:",
    type="primary",
)
st.toggle("Overlay all orders on one panel", key="overlay")
st.plotly_chart(derivatives_figure(frame, overlay=st.session_state.overlay), config={"displaylogo": False})

sample = frame.iloc[:: -(-len(frame) // PREVIEW_ROWS)]  # evenly spaced, to show the whole range
with st.expander(f"The grid's values ({len(sample):,} of {len(frame):,} rows shown, evenly spaced)"):
    st.dataframe(table_view(sample, good["order"]), hide_index=True, height=300)
