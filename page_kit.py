"""What the dashboard's pages share: the share link (a schema per page), messages, number formats, downloads.

Streamlit lives here and in views/, never in derivlib. Every page reads top to bottom: it declares its link schema,
fills its widgets from the link on its first run, and writes the link back on every run, so that a copied address
reproduces the view.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

import derivlib
from derivlib.limits import Limits
from derivlib.limits import read as read_limits

Result = TypeVar("Result")  # what a page's compute returns (last_good)

DTYPES = ["float64", "float32"]
PARAMETER_RANGE = (-derivlib.LIMITS.parameter, derivlib.LIMITS.parameter)  # DERIVLIB_MAX_PARAMETER (10)
PARAMETER_DEFAULT = 1.0
RANGE_HELP = "A number or a constant formula: -5, 2pi, -pi/2, e"
MAX_NOTES = 12  # notes on a link's values listed; a link of a thousand bad values gets a count for the rest
CHECK_POINTS = 10_000  # grid points on which symbolic cross-checks and float32-vs-float64 run (≤ 0.2 s)
FILE_FORMATS = {  # a table's downloads: file suffix, MIME type, builder
    "CSV": ("csv", "text/csv", derivlib.to_csv),
    "CSV, compressed": ("csv.gz", "application/gzip", derivlib.to_csv_gz),
    "Parquet": ("parquet", "application/vnd.apache.parquet", derivlib.to_parquet),
}


# ---------------------------------------------------------------------------------------------------------------------
# Reading link values: each reader turns text into a value or raises ValueError with what is wrong


TOP_CSS = """<style>
.stMainBlockContainer { padding-top: 2.5rem; }
.stMainBlockContainer h1 { font-size: 2rem; padding-top: 0; }
@media (max-width: 640px) {
  .stMainBlockContainer { padding-top: 4rem; }
  .stMainBlockContainer h1 { font-size: 1.5rem; }
  .stMarkdown .katex-display { font-size: 0.85em; }
}
.stMarkdown .katex-display { overflow-x: auto; overflow-y: hidden; padding-bottom: 2px; }
</style>"""  # less room above the title: on a 1366 × 768 screen the chart then starts in the first screen; on a phone,
# room under the header bar, which otherwise covers the title's first line; a formula wider than its column scrolls
# inside its own box instead of running off the page


def page_top(title: str, caption: str) -> None:
    """A page's title and one-paragraph caption, compact, so that the inputs and the chart come first."""
    st.html(TOP_CSS)
    st.title(title)
    st.caption(caption)


def read_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def read_constant(text: str) -> float:
    """A number, or a constant formula of the language (2pi, -pi/2, e): a range's end in a link."""
    return derivlib.constant(text)


def read_whole_number(text: str) -> int:
    value = read_number(text)
    if not value.is_integer():
        raise ValueError("not a whole number")
    return int(value)


def read_switch(text: str) -> bool:
    if text.lower() not in ("1", "0", "true", "false"):
        raise ValueError("write 1 or 0")
    return text.lower() in ("1", "true")


def read_choice(options: list, convert: Callable[[str], Any] = str) -> Callable[[str], Any]:
    def read(text: str):
        value = convert(text)
        if value not in options:
            raise ValueError(f"choose one of {', '.join(map(str, options))}")
        return value

    return read


def read_formula(variables: tuple[str, ...] = ("x",)) -> Callable[[str], str]:
    def read(text: str) -> str:
        derivlib.parse(text, variables=variables)  # raises ExpressionError, a ValueError, for text that is no formula
        return text

    return read


def read_parameter(text: str) -> float:
    value = read_number(text)
    if not PARAMETER_RANGE[0] <= value <= PARAMETER_RANGE[1]:
        raise ValueError(f"parameters go from {PARAMETER_RANGE[0]:g} to {PARAMETER_RANGE[1]:g}")
    return value


def quoted(text: str) -> str:
    """Link text as it is quoted in a note: short, and unable to close the note's code span."""
    text = text.replace("`", "'")
    return text if len(text) <= 60 else text[:59] + "…"


def first_line(error: Exception) -> str:
    return error.message if isinstance(error, derivlib.ExpressionError) else str(error).splitlines()[0]


# ---------------------------------------------------------------------------------------------------------------------
# The share link of a page


@dataclass
class Link:
    """A page's share link: each query parameter's default and reader; `p_<name>` carries a parameter's value.

    Widgets hold the values under `prefix + name` in the session (pages must not share widget keys).
    """

    page: str
    defaults: dict[str, Any]
    readers: dict[str, Callable[[str], Any]]
    prefix: str = ""
    notes: list[str] = field(default_factory=list)
    more: Callable[[str], Callable[[str], Any] | None] | None = None  # the reader of a name beyond `readers`, if any

    def read(self, query: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
        """Values from the query (the defaults where absent), and a note for each value that could not be used."""
        values, notes = dict(self.defaults), []
        for name, text in query.items():
            reader = self.readers.get(name) or (read_parameter if name.startswith("p_") else None)
            reader = reader or (self.more(name) if self.more else None)
            if reader is None:
                notes.append(f"`{quoted(name)}` is not a setting of this page: ignored")
                continue
            try:
                values[name] = reader(text)
            except ValueError as error:  # ExpressionError is one too
                default = self.defaults.get(name, PARAMETER_DEFAULT)
                notes.append(
                    f"`{quoted(name)}={quoted(text)}` could not be used ({first_line(error)}): using {default}"
                )
        return values, notes

    def fill(self, check: Callable[[dict[str, Any], list[str]], None]) -> None:
        """On this page's first run in the session, put the link's values into the widgets' state.

        `check` sees the values and the notes together (a range that is empty, a Taylor order above the highest
        derivative …), mends the values and adds a note for each mend.
        """
        done = f"_link_read_{self.page}"
        if done in st.session_state:
            return
        values, notes = self.read(st.query_params.to_dict())
        check(values, notes)
        typed = typed_in_browser()  # a page that reconnected to a new server: its boxes hold what it shows
        st.session_state.update({self.prefix + name: typed.get(self.prefix + name, v) for name, v in values.items()})
        st.session_state[done] = True
        st.session_state[f"_link_notes_{self.page}"] = notes

    def warn(self) -> None:
        """The notes on the link's values, once: afterwards the inputs show what is used."""
        key = f"_link_notes_{self.page}"
        if notes := st.session_state.get(key):
            more = [f"… and {len(notes) - MAX_NOTES:,} more"] if len(notes) > MAX_NOTES else []
            st.warning(
                "Some values in the link could not be used:\n\n" + "\n".join(f"- {n}" for n in notes[:MAX_NOTES] + more)
            )
            st.session_state[key] = []

    def write(self, values: Mapping[str, Any]) -> None:
        """Mirror these values into the address bar."""
        text = {
            name: f"{value:.15g}" if isinstance(value, float) else str(int(value) if isinstance(value, bool) else value)
            for name, value in values.items()
        }
        st.query_params.from_dict(text)

    def value(self, name: str) -> Any:
        return st.session_state[self.prefix + name]


def typed_in_browser() -> dict[str, Any]:
    """What the browser's text and number boxes and switches hold, by widget key, where it sent them with this run.
    Nothing on a page's first load. On a page whose server stopped, and which the balancer has reconnected to
    another replica (where its session is new), every box the page shows, with what the student typed since the
    link was last written: those win over the link, and nothing typed is lost. Read from Streamlit's session state,
    where such values wait, not yet decoded, under widget ids that end with their keys ("$$ID-<hash>-<key>",
    elements/lib/utils.py): no public API says which widgets came with a run."""
    context = get_script_run_ctx()
    state = getattr(getattr(context, "session_state", None), "_state", None)
    widgets = getattr(getattr(state, "_new_widget_state", None), "states", {})
    found = {}
    for widget, held in widgets.items():
        proto: Any = getattr(held, "value", None)  # a WidgetState message where not yet decoded
        kind = proto.WhichOneof("value") if hasattr(proto, "WhichOneof") else None
        if widget.startswith("$$ID-") and widget.count("-") >= 2 and kind in SCALAR_STATES:
            found[widget.split("-", 2)[2]] = getattr(proto, kind)
    return found


SCALAR_STATES = ("string_value", "double_value", "int_value", "bool_value")  # a box's text or number, a switch


# ---------------------------------------------------------------------------------------------------------------------
# Small pieces of a page


def limits() -> Limits:
    """This server's limits on a request (derivlib/limits.py: the DERIVLIB_* settings, checked at start-up).

    Read on every run, not once at import: this module outlives a page's runs, and a test sets them per run."""
    return read_limits()


def within_limits(**request) -> None:
    """ValueError with a one-line message (a sentence) for a request beyond this server's limits (`Limits.check`'s
    arguments: points, grid_2d, order, ranges, parameters, formula, iterations, methods)."""
    if problem := limits().check(**request):
        raise ValueError(problem[:1].upper() + problem[1:] + ".")


PREPARING = "; a compiled program for this formula is being prepared, and the next change will use it"
REUSE_SECONDS = 2.0  # a formula is compiled once it is asked for again this long after its first use …
REMEMBERED = 4096  # … the first uses of this many formulas kept (all sessions of the server), the oldest forgotten
_first_uses: collections.OrderedDict[str, float] = collections.OrderedDict()
_first_uses_lock = threading.Lock()


def fuse(formula: str) -> bool:
    """Whether to run the formula's compiled program once ready, asking the background compiler for it (derivlib's
    fuse=True): only for a formula still in use REUSE_SECONDS after its first use, by anyone on this server (a slider
    moved, a range changed, a second student on a shared link). A compile costs about 6 s of a core; a class typing
    formulas, each read once and replaced, kept a replica's cores busy compiling programs nobody ran again. The first
    uses are Taylor mode's eager program, which gives the same numbers.

    DERIVLIB_FUSE=0 in the server's environment turns it off, for a host without a C++ compiler or with no CPU to
    spare. Read on every run, as every limit is."""
    if not limits().fuse:
        return False
    now = time.monotonic()
    with _first_uses_lock:
        first = _first_uses.setdefault(formula, now)
        _first_uses.move_to_end(formula)
        while len(_first_uses) > REMEMBERED:
            _first_uses.popitem(last=False)
    return now - first >= REUSE_SECONDS


def range_problem(low: float, high: float, dtype: str, name: str = "x") -> str:
    """What is wrong with a variable's range, in a sentence ('' if nothing): empty, or too wide for the dtype's
    numbers (its width overflows, and the grid would be ±inf and NaN)."""
    if not low < high:
        return f"the range {low:g} … {high:g} is empty: '{name} from' must be less than '{name} to'."
    try:
        derivlib.grid(low, high, 2, dtype=dtype)
    except ValueError as error:
        return f"{error}."
    return ""


def last_good(compute: Callable[[dict], Result], inputs: dict | None, good: dict | None) -> tuple[Result, dict] | None:
    """compute(inputs), or else compute(good), the last inputs that gave a result: (result, the inputs that gave it).
    A setting the library refuses (a ValueError, e.g. float64 on Apple's MPS) is shown and the next is tried; None
    when neither gives a result."""
    for attempt in (inputs, good):
        if attempt is None:
            continue
        try:
            return compute(attempt), attempt
        except ValueError as error:
            st.error(str(error))
    return None


SHARE = ":material/link: **Share this view:** the address bar holds every input. Copy it: whoever opens it sees this."


def page_inputs(
    link,
    prefix: str,
    formula: dict[str, Any],
    *,
    dtype: str,
    on_parameter: Callable[[], None],
    between: Callable[[derivlib.Expression | None], None] | None = None,
    ranges: Mapping[str, str] | None = None,
) -> derivlib.Expression | None:
    """Everything above a page's parts, in one container whatever it holds: the link's warning, the formula row
    (`formula`: formula_row's arguments), the range boxes (whether they are usable goes to <prefix>range_usable) and
    a slider per parameter (of the formula, or else of the last good result, <prefix>good). The formula, or None.

    One container: a part's identity is its place on the page, and a part that moved (sliders appearing above it)
    left its old identity behind whenever a run was cut short, to be run a second time by the next st.rerun of its
    key (StreamlitDuplicateElementKey under load).

    `between(expr)` draws what goes between the formula and the ranges (the optimisation page's choice of variables);
    `ranges` maps the range boxes' keys' names to the names they show (by default the formula's variables')."""
    with st.container():
        link.warn()
        expr = formula_row(prefix=prefix, **formula)
        if between is not None:
            between(expr)
        variables = formula.get("variables", ("x",))
        labels = dict(ranges) if ranges is not None else {name: name for name in variables}
        st.session_state[f"{prefix}range_usable"] = range_inputs(tuple(labels), prefix, dtype, labels)
        good = st.session_state.get(f"{prefix}good")
        names = expr.parameters if expr else [name for name, _ in good["params"]] if good else []
        parameter_sliders(names, prefix=prefix, on_change=on_parameter)
    return expr


def formula_row(
    label: str,
    prefix: str,
    examples: list[str],
    on_example: Callable[[], None],
    *,
    placeholder: str,
    help: str,
    variables: tuple[str, ...] = ("x",),
    only_used: bool = False,
) -> derivlib.Expression | None:
    """The formula box (key <prefix>expr) beside the examples (key <prefix>example), then how the text was read
    ("Read as f(x, y) = …"; with `only_used`, f of the variables the formula uses) or the problem with a caret under
    it; the formula, or None."""
    box, examples_box = st.columns([3, 1], vertical_alignment="bottom")
    box.text_input(label, key=f"{prefix}expr", placeholder=placeholder, help=help)
    examples_box.selectbox(
        "Examples", examples, index=None, key=f"{prefix}example", placeholder="Pick an example …", on_change=on_example
    )
    try:
        expr = derivlib.parse(st.session_state[f"{prefix}expr"], variables=variables)
    except derivlib.ExpressionError as error:
        show_error(error)
        return None
    used = [name for name in variables if name in expr.variables] if only_used else variables
    st.markdown(f"Read as  `f({', '.join(used or variables[:1])}) = {expr}`")
    return expr


def range_inputs(variables: tuple[str, ...], prefix: str, dtype: str, labels: Mapping[str, str] | None = None) -> bool:
    """'from' and 'to' boxes for each variable's range, all in one row; each takes a number or a constant formula
    (2pi, -pi/2, e). The text is kept under <prefix><name>min_text (…max_text), its value under <prefix><name>min
    (…max); a problem is shown under the row, with its position, and leaves the last usable value. Whether every
    range can be used. `labels` name the boxes where their keys' names are not what they show (the optimisation
    page's map across x and z keeps its ranges under x and y)."""
    shown = labels or {}
    words = (("min", "from"), ("max", "to"))
    ends = [(shown.get(name, name), f"{prefix}{name}{end}", word) for name in variables for end, word in words]
    for _, key, _ in ends:  # the text starts as the value (from the link, or the default)
        if st.session_state.get(f"{key}_shown") != st.session_state[key]:
            st.session_state[f"{key}_text"] = f"{st.session_state[key]:.15g}"
    problems: list[derivlib.ExpressionError | str] = []
    for column, (name, key, label) in zip(st.columns(len(ends)), ends, strict=True):
        text = column.text_input(f"{name} {label}", key=f"{key}_text", help=RANGE_HELP)
        try:
            st.session_state[key] = st.session_state[f"{key}_shown"] = derivlib.constant(text)
        except derivlib.ExpressionError as error:
            problems.append(error)
    if not problems:
        for name in variables:
            low, high = (st.session_state[f"{prefix}{name}{end}"] for end in ("min", "max"))
            if message := range_problem(low, high, dtype, shown.get(name, name)):
                problems.append(message[:1].upper() + message[1:])
    for problem in problems:
        show_error(problem) if isinstance(problem, derivlib.ExpressionError) else st.error(problem)
    return not problems


def check_link_ranges_and_parameters(
    values: dict,
    notes: list[str],
    defaults: Mapping[str, Any],
    variables: tuple[str, ...],
    dtype: str,
    formula_variables: tuple[str, ...] | None = None,
) -> tuple[str, ...]:
    """What every page's link must satisfy together: each variable's range usable in the dtype (else its default,
    with a note), and a `p_<name>` only for a parameter the formula has (others dropped, with a note). Returns the
    formula's parameters, the formula read with `formula_variables` as its variables (by default the ranges')."""
    for name in variables:
        low, high = f"{name}min", f"{name}max"
        if problem := range_problem(values[low], values[high], dtype, name):
            values[low], values[high] = defaults[low], defaults[high]
            notes.append("{}: using {:g} … {:g}".format(problem.split(":")[0], values[low], values[high]))
    parameters = derivlib.parse(values["expr"], variables=formula_variables or variables).parameters
    for key in [key for key in values if key.startswith("p_") and key[2:] not in parameters]:
        notes.append(f"`{key}`: the formula has no parameter {key[2:]}, ignored")
        del values[key]
    return parameters


def show_error(error: derivlib.ExpressionError) -> None:
    """The message, then the text with a caret under the problem, in monospace so that the caret lines up; for an
    empty box, only what to type (a caret under nothing points at nothing)."""
    message = re.sub(r"([\\`*_{}\[\]<>#|~$])", r"\\\1", error.message)  # plain text, not markdown
    if not error.source.strip():
        st.info(message[:1].upper() + message[1:], icon=":material/edit:")
        return
    line, column = error.excerpt()
    st.error(f"{message}\n```text\n{line}\n{' ' * column}^\n```")


def file_stem(expr: str) -> str:
    return re.sub(r"[^\w.+-]+", "_", expr).strip("_")[:60] or "formula"


def download(label: str, data, expr: str, what: str, *, file_format: str = "CSV", **options) -> None:
    """A download button for a table file named after the formula; it never reruns the page (so never recomputes).

    `data` is the file's content or, for a big table, a callable that builds it when the button is clicked (the button
    shows a spinner meanwhile)."""
    suffix, mime, _ = FILE_FORMATS[file_format]
    st.download_button(
        label,
        data,
        file_name=f"{file_stem(expr)}_{what}.{suffix}",
        mime=mime,
        on_click="ignore",
        key=f"download_{what}",
        icon=":material/download:",
        **options,
    )


def grid_download(key: str, rows: int, build, expr: str, what: str, *, help: str) -> None:
    """The whole grid's download beside the choice of its file format (the radio `key`): `build(writer)` makes the
    file with that format's writer when the button is clicked (the button spins meanwhile), not at every run."""
    button_column, format_column = st.columns([2, 3], vertical_alignment="center")
    format_column.radio("File format", list(FILE_FORMATS), key=key, horizontal=True, label_visibility="collapsed")
    chosen = st.session_state[key]
    with button_column:
        download(
            f"Download the whole grid ({chosen}, {rows:,} rows)",
            functools.partial(build, FILE_FORMATS[chosen][2]),
            expr,
            what,
            file_format=chosen,
            type="primary",
            help=help,
        )


def found_list(
    notes: list[str], found, shown, expr: str, what: str, *, none: str, width: Literal["stretch", "content"] = "stretch"
) -> None:
    """What a search over the range found (points of interest, critical points): its notes, then its table as
    `shown(found)` with the table's download (`what` names the file), or `none` where it found nothing; nothing
    more where it could not search (found None: a note says why)."""
    for line in notes:
        st.caption(f":material/info: {line}")
    if found is not None and found.empty:
        st.caption(none)
    elif found is not None:
        st.table(shown(found), hide_index=True, width=width)
        download(f"Download the {what.replace('_', ' ')} (CSV)", derivlib.to_csv(found), expr, what)


def metric_number(value: float) -> str:
    """A value for a metric: 4 significant digits, so that it fits its column on any screen (0.002479, 1.235e+08);
    the tables hold more. ∞ is ∞ (a straight line's circle radius), NaN "undefined"."""
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value + 0.0:.4g}" if math.isfinite(value) else "undefined"


def parameter_sliders(
    names: tuple[str, ...] | list[str], prefix: str = "", on_change: Callable[[], None] | None = None
) -> tuple[tuple[str, float], ...]:
    """A slider per parameter of the formula, four to a row; their values as (name, value) pairs. `on_change` may
    rerun only the parts of the page a parameter changes (st.rerun with their fragments' keys)."""
    columns = st.columns(4) if names else []
    for i, name in enumerate(names):
        key = f"{prefix}p_{name}"
        st.session_state.setdefault(key, PARAMETER_DEFAULT)
        columns[i % 4].slider(f"Parameter {name}", *PARAMETER_RANGE, step=0.01, key=key, on_change=on_change)
    return parameters(names, prefix)


def parameters(names: tuple[str, ...] | list[str], prefix: str = "") -> tuple[tuple[str, float], ...]:
    """The parameters' values as the sliders hold them, as (name, value) pairs (in a fragment's run too, where the
    sliders are not drawn)."""
    return tuple((name, float(st.session_state.get(f"{prefix}p_{name}", PARAMETER_DEFAULT))) for name in names)


BACKGROUND = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="derivlib-page")


def in_background(function: Callable[..., Any], *args) -> concurrent.futures.Future:
    """function(*args) on a thread of its own, with this run's Streamlit context (its cached functions, which torch
    and numpy leave the interpreter for, then work as on the page's thread): work the chart waits for, done beside
    other such work on a second core. The result, or its exception, from .result()."""
    context = get_script_run_ctx()

    def run():
        add_script_run_ctx(threading.current_thread(), context)
        return function(*args)

    return BACKGROUND.submit(run)


@st.cache_resource(show_spinner=False)
def start_sympy_helper() -> threading.Thread:
    """Start sympy's helper process in the background once per server: it takes seconds (it imports torch)."""
    thread = threading.Thread(target=derivlib.derivative_formulas, args=("x",), kwargs={"order": 1}, daemon=True)
    thread.start()
    return thread
