"""Optimisation lab: type f(x) or f(x, y), pick a start and several methods, and watch them run side by side on it:
gradient descent, Newton with a line search, conjugate gradient, L-BFGS, and scipy's and torch's methods fed with the
same exact derivatives (derivlib.minimize).

Thin by design, as the other pages: widgets in, derivlib calls, Plotly figures and tables out. Every input is
mirrored in the address's query parameters (LINK below: expr as typed, the start x0 and y0, the methods as
comma-separated names, the options, the ranges, the bowl's condition number and p_<name> for each parameter), so a
copied address reproduces the view. Widget keys start with "opt_".

Everything below the formula, its range and its parameters is one fragment (`st.fragment`): a new start (typed or
clicked on the map), a method, one of its options or a parameter's slider draws the runs again, the map first, then
the convergence and the tables, and leaves the header, the formula and the sidebar as they are.

For teaching, the page compares (COMPARE, the link's `compare`) methods, as above; or gradient descent's fixed step
at several step sizes lr (`lrs`) on one map; or the chosen methods on the bowl (x + y)² + κ(x − y)² at several
condition numbers κ (`kappas`), a map for each κ, their convergence on one chart. At most as many runs at once as
methods may be chosen. The view grows past the range typed to show every path (derivlib.figures.optimisation).
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

import derivlib
import page_kit as kit
from derivlib.basins import Basins, basins
from derivlib.critical import critical_points
from derivlib.figures.basins import basins_figure, basins_legend
from derivlib.figures.optimisation import (
    PARABOLAS,
    View,
    compared_runs,
    convergence_figures,
    curve_figure,
    label,
    map_figure,
    name_of,
    setting_text,
    tangent_parabolas,
    view_ranges,
)
from derivlib.figures.playback import iteration_overlay, iteration_words, phi_figure
from derivlib.figures.two_variables import click_lattice
from derivlib.functions import names_in_words
from derivlib.hessian import hessian_at
from derivlib.many import BATCHED
from derivlib.optimize import METHODS, MinimizeResult
from derivlib.parse import tokenize
from derivlib.rounding import pointwise_errors, zeroed

VARIABLES = ("x", "y")
ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"
CONDITION_NUMBERS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000]
MAP_AXIS = 150  # points per axis of the contour map of f (150² float32: 0.12 MB of the chart's JSON)
CURVE_POINTS = 1_000  # points of f in one variable
TIME_BUDGET = min(10.0, kit.limits().time_budget)  # seconds one method's run may take
PROGRESS_EVERY = 0.2  # seconds between two updates of the progress bar
PREFIX = "opt_"  # of every widget key on this page
DIGITS = 10  # significant digits of a coordinate, relative to the largest the run's path reached (below: 0)
RUNS_PART = "optimisation_runs"  # the fragment's key
Parabola = tuple[float, float, float, float]  # (x_k, f, f′, f″): Newton's model of f at an iterate (curve_figure)
ENDS = {  # the Hessian's verdict where a run converged (derivlib.hessian) -> what that point is, in words
    "positive definite": "minimum",
    "negative definite": "maximum",
    "indefinite": "saddle",
}


def bowl(kappa: float) -> str:
    """A quadratic bowl whose Hessian has eigenvalues 4 and 4κ, along the diagonals: condition number κ."""
    return f"(x + y)^2 + {kappa:.15g}(x - y)^2"


# name -> (formula, start, ranges x then y). The bowl's formula follows its condition-number slider.
EXAMPLES = {
    "Rosenbrock's banana valley": (ROSENBROCK, (-1.2, 1.0), (-2.0, 2.0, -1.0, 3.0)),
    "Himmelblau (four minima)": ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", (0.0, 0.0), (-5.0, 5.0, -5.0, 5.0)),
    "Beale": (
        "(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
        (1.0, 1.0),
        (-4.5, 4.5, -4.5, 4.5),
    ),
    "Booth (a quadratic)": ("(x + 2y - 7)^2 + (2x + y - 5)^2", (-5.0, -5.0), (-10.0, 10.0, -10.0, 10.0)),
    "Ill-conditioned bowl (condition number κ)": (bowl(100), (1.5, 0.5), (-2.0, 2.0, -2.0, 2.0)),
    "One variable: a double well": ("x^4 - 3x^2 + x", (2.0, 0.0), (-2.5, 2.5, -2.0, 2.0)),
}
BOWL = "Ill-conditioned bowl (condition number κ)"
DEFAULT_METHODS = "newton,lbfgs,cg-pr,gradient-descent-armijo"
COMPARE = {  # what the runs compare (the link's compare=) -> the choice's words
    "methods": "methods",
    "lr": "step sizes",
    "kappa": "condition numbers",
}
STEP_METHOD = "gradient-descent"  # the method whose step sizes are compared: its fixed step is lr
KAPPA_MAX = 1e6  # the largest condition number compared
MAP_SMALL = 460  # pixels of each small map when condition numbers are compared (two to a row on a laptop)
DEFAULTS = {
    "expr": ROSENBROCK,
    "x0": -1.2,
    "y0": 1.0,
    "methods": DEFAULT_METHODS,
    "lr": 1e-3,
    "tol": 1e-8,
    "max_iter": 1_000,
    "memory": 10,
    "xmin": -2.0,
    "xmax": 2.0,
    "ymin": -1.0,
    "ymax": 3.0,
    "kappa": 100,
    "compare": "methods",
    "lrs": "0.0005, 0.001, 0.002",
    "kappas": "1, 10, 100",
    "basins": False,
}
FORMULA_HELP = (
    "A formula in x, or in x and y. Powers with ^ (x^2), products with * or a space (2x y, x sin y), constants pi and "
    "e. Any other single letter (a, b, k …) is a parameter and gets a slider. The functions: " + names_in_words() + "."
)


# ---------------------------------------------------------------------------------------------------------------------
# The share link: query parameters <-> widget values


def method_list(text: str) -> str:
    """Comma-separated method names, each one of derivlib's (`newton,lbfgs`), at least one, none twice."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        raise ValueError(f"unknown method '{kit.quoted(unknown[0])}': the methods are {', '.join(METHODS)}")
    if not names:
        raise ValueError("name at least one method")
    kit.within_limits(methods=len(dict.fromkeys(names)))
    return ",".join(dict.fromkeys(names))


def positive(text: str) -> float:
    value = kit.read_number(text)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def count(low: int, high: int):
    def read(text: str) -> int:
        value = kit.read_whole_number(text)
        if not low <= value <= high:
            raise ValueError(f"must be from {low:,} to {high:,}")
        return value

    return read


def item_starts(text: str) -> list[int]:
    """Where each value of a comma-separated list begins (its first token; commas in a call do not separate), so
    that a caret can point at a value that parses but cannot be used.

    >>> item_starts("0.001,  max(1, 2), 2e-3")
    [0, 8, 19]
    """
    starts, depth, fresh = [], 0, True
    for token in tokenize(text):
        if token.kind == "end":
            break
        if fresh:
            starts.append(token.position)
            fresh = False
        if token.kind == "op":
            depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(token.text, 0)
            fresh = token.text == "," and depth == 0
    return starts


def compared_values(text: str, setting: str) -> list[float]:
    """The values typed for a comparison ("lr": step sizes, each > 0; "kappa": condition numbers, 1 ≤ κ ≤ KAPPA_MAX),
    each a number or a constant formula (derivlib.constants), none twice, at most as many as runs may be: an
    ExpressionError whose position is the value that cannot be used.

    >>> compared_values("1e-3, 2/1000, 0.001", "lr")
    [0.001, 0.002]
    >>> compared_values("1, 0.5", "kappa")
    Traceback (most recent call last):
    ...
    derivlib.errors.ExpressionError: a condition number κ is at least 1, not 0.5
      1, 0.5
         ^
    """
    values, starts = derivlib.constants(text), item_starts(text)
    for value, start in zip(values, starts, strict=False):
        if setting == "lr" and not (math.isfinite(value) and value > 0):
            raise derivlib.ExpressionError(f"a step size lr must be greater than 0, not {value:g}", text, start)
        if setting == "kappa" and not 1 <= value <= KAPPA_MAX:
            raise derivlib.ExpressionError(
                f"a condition number κ is at least 1{f' and at most {KAPPA_MAX:g}' if value > 1 else ''}, "
                f"not {value:g}",
                text,
                start,
            )
    unique = list(dict.fromkeys(values))
    most = kit.limits().methods
    if len(unique) > most:
        beyond = starts[values.index(unique[most])] if len(starts) == len(values) else len(text)
        raise derivlib.ExpressionError(
            f"{len(unique)} values: at most {most} runs at once (DERIVLIB_MAX_METHODS)", text, beyond
        )
    return unique


def compared_list(setting: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        compared_values(text, setting)  # raises ExpressionError, a ValueError, for a list that cannot be used
        return text

    return read


LINK = kit.Link(
    "optimisation",
    DEFAULTS,
    {
        "expr": kit.read_formula(VARIABLES),
        "x0": kit.read_number,
        "y0": kit.read_number,
        "methods": method_list,
        "lr": positive,
        "tol": positive,
        "max_iter": count(1, kit.limits().iterations),
        "memory": count(1, 100),
        "xmin": kit.read_constant,
        "xmax": kit.read_constant,
        "ymin": kit.read_constant,
        "ymax": kit.read_constant,
        "kappa": kit.read_choice(CONDITION_NUMBERS, kit.read_whole_number),
        "compare": kit.read_choice(list(COMPARE)),
        "lrs": compared_list("lr"),
        "kappas": compared_list("kappa"),
        "basins": kit.read_switch,
    },
    prefix=PREFIX,
)


def check_link(values: dict, notes: list[str]) -> None:
    """What the link's values must satisfy together: ranges that are not empty, parameters the formula has, no more
    runs than may be (condition numbers compared: methods × κ); the methods become the multiselect's list."""
    kit.check_link_ranges_and_parameters(values, notes, DEFAULTS, VARIABLES, "float64")
    values["methods"] = values["methods"].split(",")
    if values["compare"] == "kappa":
        kappas = len(compared_values(values["kappas"], "kappa"))
        most = max(1, kit.limits().methods // kappas)
        if len(values["methods"]) > most:
            notes.append(
                f"{len(values['methods'])} methods × {kappas} condition numbers are more than "
                f"{kit.limits().methods} runs: using the first {most} of the methods"
            )
            values["methods"] = values["methods"][:most]


# ---------------------------------------------------------------------------------------------------------------------
# Computation: cached functions of plain values that return plain data


@st.cache_data(max_entries=64, show_spinner=False)
def run(
    expr: str,
    start: tuple[tuple[str, float], ...],
    method: str,
    params: tuple,
    tol: float,
    max_iter: int,
    lr: float,
    memory: int,
) -> dict:
    """One method's run as plain data: minimize's result as a dict (the path a DataFrame), or {"error": message}."""
    bar = st.empty()  # made inside the cached function, so that a cache hit replays it and its removal
    shown = [time.perf_counter()]  # a run that ends within PROGRESS_EVERY draws no bar at all

    def progress(k: int) -> None:
        if time.perf_counter() - shown[0] >= PROGRESS_EVERY:
            bar.progress(min(k / max_iter, 1.0), text=f"{label(method)}: iteration {k:,} of at most {max_iter:,} …")
            shown[0] = time.perf_counter()

    try:
        result = derivlib.minimize(
            expr,
            dict(start),
            method=method,
            params=dict(params),
            tol=tol,
            max_iter=max_iter,
            lr=lr,
            memory=memory,
            time_limit=TIME_BUDGET,
            progress=progress,
            fuse=kit.fuse(),  # compiled programs at each iterate once the background compiler has them
        )
    except ValueError as error:  # a start where f is undefined, a setting the method refuses
        return {"error": kit.first_line(error)}
    finally:
        bar.empty()
    return {name: getattr(result, name) for name in ("x", "fun", "jac", "nit", "nfev", "njev", "nhev")} | {
        "success": result.success,
        "status": result.status,
        "message": result.message,
        "path": result.path,
        "seconds": result.seconds,
        "method": result.method,
        "hess": result.hess,
        "steps": result.steps,  # each iteration taken apart (derivlib's own methods): the playback below
        "trials": result.trials,
    }


@st.cache_data(max_entries=16, show_spinner=False)
def landscape(expr: str, two: bool, xmin: float, xmax: float, ymin: float, ymax: float, params: tuple) -> dict:
    """f over the ranges: a grid table for the contour map and f at the click layer's points (two variables), or
    f along x (one)."""
    if two:
        frame = derivlib.surface_table(
            expr, (xmin, xmax, MAP_AXIS), (ymin, ymax, MAP_AXIS), order=0, params=dict(params)
        )
        cx, cy = click_lattice((xmin, xmax), (ymin, ymax))
        cf = derivlib.partials(expr, {"x": cx, "y": cy}, order=0, params=dict(params))["f"].numpy()
        return {"frame": frame, "cx": cx, "cy": cy, "cf": cf}
    x = np.linspace(xmin, xmax, CURVE_POINTS)
    f = derivlib.partials(expr, {"x": x}, order=0, params=dict(params))["f"].numpy()
    return {"x": x, "f": f}


@st.cache_data(max_entries=64, show_spinner=False)
def ends(expr: str, points: tuple[tuple[float, ...], ...], params: tuple) -> list[dict]:
    """f and ‖∇f‖ at the points where the runs ended (as the table shows them: `ended_at`), each 0 within its
    rounding error, and what f does around each point: the Hessian's verdict (derivlib.hessian, or the sign of f″ in
    one variable) and its words."""
    found = []
    for point in points:
        if len(point) == 2:
            view = hessian_at(expr, *point, params=dict(params))
            found.append(
                {"f": view.f, "grad": math.hypot(*view.gradient), "verdict": view.verdict, "words": view.words}
            )
            continue
        values, errors = pointwise_errors(expr, {"x": np.array(point)}, order=2, params=dict(params))
        f, slope, curvature = (float(v) for v in zeroed(values[:, 0], errors[:, 0]))
        verdict = (
            "undefined"
            if not math.isfinite(curvature)
            else "positive definite"
            if curvature > 0
            else "negative definite"
            if curvature < 0
            else "zero"
        )
        words = {
            "positive definite": f"f″ = {curvature:.4g} > 0: f curves up here",
            "negative definite": f"f″ = {curvature:.4g} < 0: f curves down here",
            "zero": "f″ = 0 up to rounding: the second derivative alone does not say how f curves here",
            "undefined": "f″ is undefined here",
        }[verdict]
        found.append({"f": f, "grad": abs(slope), "verdict": verdict, "words": words})
    return found


@st.cache_data(max_entries=32, show_spinner=False)
def parabolas(expr: str, xs: tuple[float, ...], params: tuple) -> dict[str, np.ndarray]:
    """f, f′ and f″ at Newton's first iterates in one variable: its tangent parabolas."""
    found = derivlib.partials(expr, {"x": list(xs)}, order=2, params=dict(params))
    return {name: values.numpy() for name, values in found.items()}


# ---------------------------------------------------------------------------------------------------------------------
# Small pieces of the page


def use_example() -> None:
    name = st.session_state.opt_example
    if name is None:
        return
    text, (x0, y0), ranges = EXAMPLES[name]
    st.session_state.opt_expr = bowl(st.session_state.opt_kappa) if name == BOWL else text
    st.session_state.opt_x0, st.session_state.opt_y0 = x0, y0
    for key, value in zip(("xmin", "xmax", "ymin", "ymax"), ranges, strict=True):
        st.session_state[PREFIX + key] = value
    st.session_state.opt_example = None


def use_bowl() -> None:
    """The condition-number slider puts the bowl with that κ in the formula box (and its start and ranges): a new
    formula, the whole page."""
    st.session_state.opt_example = BOWL
    use_example()
    st.rerun()


def parameter_moved() -> None:
    """A parameter's slider: the runs and all that shows them are drawn again, the map first; the header, the formula
    and the sidebar stay as they are. (The start, the methods and their options are in the fragment: a change of
    them reruns it without being asked, and without the full garbage collection that Streamlit runs between a run a
    callback's st.rerun cuts short and the next, a tenth of a second here.)"""
    st.rerun([RUNS_PART])


def compare_changed() -> None:
    """Condition numbers compare the bowl: its example fills the formula box, the start and the ranges, as the
    condition-number slider does (a new formula, the whole page), and of the methods chosen as many stay as run at
    every κ within the limit on runs, gradient descent's first: κ slows them most, what the comparison is for."""
    if st.session_state.opt_compare != "kappa":
        return
    try:
        kappas = len(compared_values(st.session_state.opt_kappas, "kappa"))
    except derivlib.ExpressionError:
        kappas = 1
    methods = sorted(st.session_state.opt_methods, key=lambda name: not name.startswith("gradient-descent"))
    st.session_state.opt_methods = methods[: max(1, kit.limits().methods // kappas)]
    use_bowl()


def pick_start(key: str = "opt_map") -> None:
    """A click on a map (`key`) moves the start to the clicked point (a round number of the click layer)."""
    points = st.session_state[key].selection.get("points") or []
    if points and points[0].get("x") is not None and points[0].get("y") is not None:
        st.session_state.opt_x0 = float(points[0]["x"])
        st.session_state.opt_y0 = float(points[0]["y"])


def shown_list(setting: str) -> str:
    """The list of values typed for a comparison ("lr", "kappa"), or the default's where there is none (a widget's
    value is gone after a visit to another page)."""
    return st.session_state.get(f"{PREFIX}{setting}s", DEFAULTS[f"{setting}s"])


def runs_asked(compare: str, methods: list[str], values: list[float]) -> str:
    """What is wrong with the runs asked for, in a sentence ('' if nothing): none, or more than may run at once."""
    if compare != "lr" and not methods:
        return "Pick at least one method."
    runs = len(methods) * len(values) if compare == "kappa" else 0
    if runs > kit.limits().methods:
        return (
            f"{len(methods)} methods × {len(values)} condition numbers are {runs} runs: at most "
            f"{kit.limits().methods} run at once (DERIVLIB_MAX_METHODS). Choose fewer methods or condition numbers."
        )
    return ""


def current_inputs() -> dict | None:
    """The runs' inputs as the widgets hold them now, or None where the formula, the range or a list of values cannot
    be used (the problem is shown beside its box) or the runs asked for cannot run (`runs_asked`). Read from the
    session, so that a fragment drawn again on its own sees what a full run would.

    "plan" holds each run: what it runs ("method", "expr", and "lr" where it is compared) and how the charts name
    and draw it (derivlib's `compared_runs`); "values" the values compared."""
    try:
        expr = derivlib.parse(st.session_state.opt_expr, variables=VARIABLES)
        compare = st.session_state.get("opt_compare", "methods")
        values = compared_values(shown_list(compare), compare) if compare != "methods" else []
    except derivlib.ExpressionError:
        return None
    methods = list(st.session_state.get("opt_methods", []))
    if runs_asked(compare, methods, values) or not st.session_state.get("opt_range_usable", True):
        return None
    two = "y" in expr.variables or compare == "kappa"
    variables = VARIABLES if two else VARIABLES[:1]
    settings = {
        "tol": float(st.session_state.opt_tol),
        "max_iter": int(st.session_state.opt_max_iter),
        "lr": float(st.session_state.opt_lr),
        "memory": int(st.session_state.opt_memory),
    }
    params = kit.parameters(expr.parameters, PREFIX)
    if compare == "methods":
        plan = {method: {"method": method, "expr": str(expr)} for method in methods}
    elif compare == "lr":
        plan = {key: spec | {"expr": str(expr)} for key, spec in compared_runs([STEP_METHOD], "lr", values).items()}
    else:
        plan = {
            key: spec | {"expr": str(derivlib.parse(bowl(spec["kappa"]), variables=VARIABLES))}
            for key, spec in compared_runs(methods, "kappa", values).items()
        }
    return {
        "expr": str(expr),
        "text": st.session_state.opt_expr,
        "two": two,
        "variables": variables,
        "start": tuple((name, float(st.session_state[f"{PREFIX}{name}0"])) for name in variables),
        "params": params,
        "run_params": () if compare == "kappa" else params,  # the bowls have none
        "settings": settings,
        "methods": methods,
        "compare": compare,
        "values": values,
        "lists": {name: shown_list(name[:-1]) for name in ("lrs", "kappas")},
        "plan": plan,
        "ranges": tuple(float(st.session_state[PREFIX + key]) for key in ("xmin", "xmax", "ymin", "ymax")),
    }


def write_link(good: dict) -> None:
    """The address bar: the inputs as they are; the formula, its parameters, what is compared and the methods and
    values of the runs shown."""
    ran = ("methods", "y0", "expr", "compare", "lrs", "kappas")  # as they ran, not as typed since
    LINK.write(
        # .get: a widget not drawn in a run (the basins' switch in one variable) has no state then
        {key: st.session_state.get(PREFIX + key, DEFAULTS[key]) for key in DEFAULTS if key not in ran}
        | ({"y0": st.session_state.opt_y0} if good["two"] else {})
        | {"methods": ",".join(good["methods"]), "compare": good["compare"]}
        | good["lists"]
        | {f"p_{name}": value for name, value in good["params"]}
        | {"expr": good["text"]}  # the formula that ran, as typed
    )


def coordinate(value: float, scale: float) -> float:
    """A coordinate to DIGITS significant digits of `scale` (the largest the path reached): 3.6e-15 after a step
    from 1.5 is 0, the float64 residue of a step that lands on 0.

    >>> coordinate(3.552713678800501e-15, 1.5), coordinate(1.29e-9, 1.5), coordinate(0.9999999999400667, 1.2)
    (0.0, 1.29e-09, 0.9999999999400667)
    """
    return 0.0 if abs(value) < 0.5 * 10.0 ** (math.floor(math.log10(scale or 1.0)) + 1 - DIGITS) else value + 0.0


def plain(text: str) -> str:
    """Text as a table cell shows it, not read as Markdown (st.table renders Markdown in its cells)."""
    return re.sub(r"([\\`*$|\[\]<>~])", r"\\\1", text)


def number(value: float, digits: int = DIGITS) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value + 0.0:.{digits}g}" if math.isfinite(value) else "undefined"


def duration(seconds: float) -> str:
    """A run's time as people write it, the number and its unit kept together (a no-break space).

    >>> [duration(s).replace("\u00a0", " ") for s in (0.0004, 0.0762, 1.7712, 12.34)]
    ['0.4 ms', '76 ms', '1.77 s', '12.3 s']
    """
    if seconds < 0.01:
        text = f"{seconds * 1e3:.1g} ms" if seconds < 0.001 else f"{seconds * 1e3:.2g} ms"
    else:
        text = f"{seconds * 1e3:,.0f} ms" if seconds < 1 else f"{seconds:.3g} s"
    return text.replace(" ", "\u00a0")


def steps(n: int) -> str:
    return f"{n:,} step{'' if n == 1 else 's'}"


def ended_at(result: dict, variables: tuple[str, ...]) -> dict[str, float]:
    """The run's last point, each coordinate to DIGITS digits of the largest its path reached."""
    path = result["path"]
    scale = float(np.nanmax(np.abs(path[list(variables)].to_numpy()))) if len(path) else 1.0
    return {name: coordinate(result["x"][name], scale) for name in variables}


def where(point: dict[str, float]) -> str:
    return ", ".join(f"{name} = {number(value)}" for name, value in point.items())


def status(name: str, result: dict, end: dict | None, settings: dict, variables: tuple[str, ...]) -> tuple[str, str]:
    """How the run `name` ended, in words, and the details for the help: (icon and text, details)."""
    if "error" in result:
        return f":material/error: **{name}** did not start: {result['error']}", ""
    assert end is not None  # every run that started has its end (runs_part: ends() at each drawn run)
    point, nit = where(ended_at(result, variables)), result["nit"]
    details = (
        f"{result['message'][:1].upper()}{result['message'][1:]}. {nit:,} iterations, {result['nfev']:,} "
        f"evaluations of f, {duration(result['seconds'])} on this server."
    )
    if result["success"]:
        details = details.replace("≤ tol", f"≤ tol = {settings['tol']:g}") + f" {end['words']}."
        kind = ENDS.get(end["verdict"])
        if kind == "minimum":
            return f":material/check_circle: **{name}** found a minimum, f = {number(end['f'], 6)} at {point}, in " + (
                f"{steps(nit)}."
            ), details
        if kind in ("saddle", "maximum"):
            shape = "f falls away in another direction" if kind == "saddle" else "f falls away in every direction"
            return (
                f":material/warning: **{name}** came to rest at a {'saddle point' if kind == 'saddle' else kind} of f, "
                f"{point}: the gradient is 0 there, but {shape}, so it is no minimum. A start off the line it came "
                "along leads elsewhere.",
                details,
            )
        return (
            f":material/help: **{name}** reached a point where the gradient is 0, f = {number(end['f'], 6)} at "
            f"{point}, in {steps(nit)}; the second derivatives there do not say whether it is a minimum.",
            details,
        )
    why = {
        1: f"used all its {steps(settings['max_iter'])} before the gradient reached 0 (‖∇f‖ = "
        f"{number(end['grad'], 3)} where it stopped): allow more under “Options of the methods”",
        2: f"could not go further downhill after {steps(nit)}",
        3: f"stopped after {steps(nit)}, at a point where "
        + ("f is not differentiable (a kink)" if "not differentiable" in result["message"] else "f is undefined"),
        4: "found that f decreases without bound: f has no minimum that way, "
        + result["message"].removeprefix("f decreases without bound: "),
        5: f"ran out of its {TIME_BUDGET:g} s after {steps(nit)}",
        6: f"is stuck at a kink of f, where f is not differentiable: no gradient method converges there (after "
        f"{steps(nit)})",
    }.get(result["status"], result["message"])
    return f":material/warning: **{name}** {why}. Its path so far is drawn, its end marked ⊠.", details


def summary(results: dict[str, dict], found: dict[str, dict], variables: tuple[str, ...]) -> pd.DataFrame:
    """One row per run (a method, or a method at a compared value: "gradient descent, lr = 0.001"), for people: where
    it ended (coordinates to DIGITS digits of its path's scale), f and ‖∇f‖ there (0 within their rounding error), its
    counts and time, and how it ended, in full."""
    rows = []
    for key, result in results.items():
        if "error" in result:
            rows.append({"method": name_of(key, result), "how it ended": plain(result["error"])})
            continue
        end = found[key]
        row = {
            "method": name_of(key, result),
            "iterations": f"{result['nit']:,}",
            "evaluations of f": f"{result['nfev']:,}",
        }
        row |= {name: number(value) for name, value in ended_at(result, variables).items()}
        row |= {"f": number(end["f"], 6), "‖∇f‖": number(end["grad"], 3), "time": duration(result["seconds"])}
        rows.append(row | {"how it ended": plain(result["message"])})
    columns = ["method", "iterations", "evaluations of f", *variables, "f", "‖∇f‖", "time", "how it ended"]
    return pd.DataFrame([{name: row.get(name, "") for name in columns} for row in rows], columns=columns)


def shown_path(path: pd.DataFrame, variables: tuple[str, ...]) -> pd.DataFrame:
    """A run's iterations as the table shows and the file holds them: coordinates to DIGITS digits of the largest the
    path reached."""
    shown = path.copy()
    coordinates = shown[list(variables)].to_numpy()
    scale = float(np.nanmax(np.abs(coordinates))) if len(shown) else 1.0
    shown[list(variables)] = np.vectorize(lambda v: coordinate(v, scale), otypes=[float])(coordinates)
    return shown


PATH_COLUMNS = {  # a path's columns (minimize's names, kept in the file) as the table names and formats them
    "k": st.column_config.NumberColumn("iteration k", format="%d"),
    "x": st.column_config.NumberColumn("x", format="%.10g"),
    "y": st.column_config.NumberColumn("y", format="%.10g"),
    "f": st.column_config.NumberColumn("f", format="%.6g"),
    "grad_norm": st.column_config.NumberColumn("‖∇f‖", format="%.3g", help="The gradient's length at the iterate"),
    "step": st.column_config.NumberColumn(
        "step size α",
        format="%.4g",
        help="The multiple of the search direction taken to reach this iterate: x ← x + α·p (1: Newton's full step)",
    ),
    "evaluations": st.column_config.NumberColumn(
        "evaluations of f", format="%d", help="So far, line searches included"
    ),
}


# ---------------------------------------------------------------------------------------------------------------------
# Each iteration taken apart, and the basins of attraction

BASIN_SIDE = 80  # starts per axis of the basins map (6,400 starts, each a run of the method)


def as_result(result: dict) -> MinimizeResult:
    """A run as the page keeps it (`run`) as minimize's result again, for the playback's figures."""
    fields = ("method", "x", "fun", "jac", "hess", "nit", "nfev", "njev", "nhev", "success", "status", "message")
    return MinimizeResult(
        **{name: result[name] for name in fields}, path=result["path"], steps=result["steps"], trials=result["trials"]
    )


def next_iteration(last: int) -> None:
    st.session_state.opt_play_k = min(int(st.session_state.get("opt_play_k", 1)) + 1, last)


def playback(good: dict, drawn: dict[str, dict]) -> None:
    """Iteration k of a run taken apart: on the map (two variables) the iterate, −∇f, the method's direction and the
    line search's trial steps along it (Newton's quadratic model as contours); beside it φ(α) = f(x + αp) with every
    trial, the sufficient-decrease line and the curvature condition's band; what happened, in words."""
    own = {key: r for key, r in drawn.items() if r.get("steps") is not None and len(r["steps"])}
    if not own or good["compare"] == "kappa":
        return
    st.subheader("Each iteration taken apart")
    key = st.selectbox("Run", list(own), format_func=lambda k: name_of(k, own[k]), key="opt_play_run")
    result = own[key if key in own else next(iter(own))]
    last = len(result["steps"])
    if int(st.session_state.get("opt_play_k", 1)) > last:  # another run, with fewer iterations
        st.session_state.opt_play_k = last
    slider, step = st.columns([5, 1], vertical_alignment="bottom")
    with slider:
        k = st.slider("Iteration k", 1, max(last, 2), key="opt_play_k", disabled=last < 2) if last > 1 else 1
    step.button("Next ▸", on_click=next_iteration, args=(last,), disabled=k >= last, key="opt_play_next")
    expr, params, variables = good["plan"][key]["expr"], good["run_params"], good["variables"]
    taken = as_result(result)
    st.caption(iteration_words(taken, k))
    try:
        phi = phi_figure(expr, taken, k, dict(params))
    except ValueError as error:
        st.warning(kit.first_line(error))
        return
    if good["two"]:
        left, right = st.columns(2)
        xmin, xmax, ymin, ymax = good["ranges"]
        view = view_ranges([(xmin, xmax), (ymin, ymax)], {key: result})
        (xmin, xmax), (ymin, ymax) = view.ranges
        ground = landscape(expr, True, xmin, xmax, ymin, ymax, params)
        base = map_figure(ground["frame"], {key: result}, (ground["cx"], ground["cy"], ground["cf"]), height=MAP_SMALL)
        with left:
            st.plotly_chart(
                iteration_overlay(base, taken, k, variables, expr, dict(params)),
                config={"displaylogo": False},
                key="opt_play_map",
            )
        right.plotly_chart(phi, config={"displaylogo": False}, key="opt_play_phi")
    else:
        st.plotly_chart(phi, config={"displaylogo": False}, key="opt_play_phi")


@st.cache_data(max_entries=8, show_spinner=False)
def box_critical_points(expr: str, xmin: float, xmax: float, ymin: float, ymax: float, params: tuple) -> pd.DataFrame:
    return critical_points(expr, x=(xmin, xmax), y=(ymin, ymax), params=dict(params))


@st.cache_data(max_entries=16, show_spinner="Running the method from every start of the grid …")
def basin_map(
    expr: str, method: str, xmin: float, xmax: float, ymin: float, ymax: float, params: tuple, max_iter: int
) -> Basins:
    critical = box_critical_points(expr, xmin, xmax, ymin, ymax, params)
    box = ((xmin, xmax), (ymin, ymax))
    return basins(expr, *box, method=method, side=BASIN_SIDE, params=dict(params), max_iter=max_iter, critical=critical)


def basins_part(good: dict) -> None:
    """Where every start of the map's box goes, for each chosen method that runs many starts at once: one map each,
    side by side (stacked on a phone), coloured by the critical point reached."""
    if not good["two"] or good["compare"] != "methods":
        return
    methods = [m for m in good["methods"] if m in BATCHED]
    st.toggle(
        "Basins of attraction: run each method from every start of the map",
        key="opt_basins",
        help=f"{BASIN_SIDE} × {BASIN_SIDE} starts over the range typed, all at once (derivlib.minimize_many); each "
        "start coloured by the critical point its run reaches, darker for more iterations",
        disabled=not methods,
    )
    if not st.session_state.get("opt_basins") or not methods:
        return
    xmin, xmax, ymin, ymax = good["ranges"]
    maps = [
        basin_map(good["expr"], method, xmin, xmax, ymin, ymax, good["run_params"], good["settings"]["max_iter"])
        for method in methods
    ]
    for row in range(0, len(maps), 2):
        for column, found in zip(st.columns(2), maps[row : row + 2], strict=False):
            column.plotly_chart(
                basins_figure(found, label(found.method)),
                config={"displaylogo": False},
                key=f"opt_basins_{found.method}",
            )
            shares = "; ".join(f"{words} {share:.0%}" for _, words, share in basins_legend(found) if share > 0)
            column.caption(f"{label(found.method)}: {shares}.")
    st.caption(
        "Each start is coloured by the critical point its run reaches (▼ minima green, × saddles orange, ▲ the "
        "maximum red, each its own shade), darker for more iterations; dark grey: the run did not converge; light "
        "grey: it converged outside the box. Plain Newton is drawn to saddles and maxima, where ∇f = 0 too; the "
        "modified Newton, with a Hessian made positive definite, and the line-search methods go downhill."
    )


# ---------------------------------------------------------------------------------------------------------------------
# The page's part that the runs make: one fragment, the map first


@st.fragment(key=RUNS_PART)
def runs_part() -> None:
    """The start, what to compare (methods, step sizes, condition numbers) and the methods or values, the methods'
    options, the map (a map per condition number; the curve in one variable) with every run's path, how each run
    ended, the convergence of every run, the table of their ends, and each one's iterations."""
    inputs = current_inputs()
    good: dict | None = st.session_state.get("opt_good")
    start_and_methods(two=(inputs or good or {"two": True})["two"])
    if inputs is not None:
        good = st.session_state.opt_good = inputs
    elif good is not None:  # a formula, range or choice that cannot run: the last run stays on screen
        st.info(f"Showing the last run, for `f = {good['text']}`. Correct the input to update it.")
    else:
        return
    write_link(good)
    plan, params, variables = good["plan"], good["run_params"], good["variables"]
    results = {
        key: run(
            spec["expr"],
            good["start"],
            spec["method"],
            params,
            **(good["settings"] | {"lr": spec.get("lr", good["settings"]["lr"])}),
        )
        | {name: spec[name] for name in ("label", "short", "colour", "dash") if name in spec}
        for key, spec in plan.items()
    }
    drawn = {key: result for key, result in results.items() if "error" not in result}
    found: dict[str, dict] = {}
    for expr in dict.fromkeys(plan[key]["expr"] for key in drawn):  # the ends of the runs on each formula
        keys = [key for key in drawn if plan[key]["expr"] == expr]
        points = tuple(tuple(ended_at(drawn[key], variables).values()) for key in keys)
        found |= dict(zip(keys, ends(expr, points, params), strict=True))  # at the points as shown
    for key, result in drawn.items():  # what its end is marked as: a minimum, a saddle, a maximum, a stop
        result["end"] = ENDS.get(found[key]["verdict"], "minimum") if result["success"] else "stopped"
    draw_runs(good, drawn)
    for key, result in results.items():
        text, more = status(name_of(key, result), result, found.get(key), good["settings"], variables)
        if "error" in result:
            st.error(text.removeprefix(":material/error: "), icon=":material/error:")
        else:
            st.caption(text, help=more)
    details(good, results, found)


VALUES_HELP = {  # a compared setting -> its box's label and help
    "lr": (
        "Step sizes lr of gradient descent",
        "Comma-separated, each greater than 0 (numbers or constant formulas: 1e-3, 1/500). Gradient descent with a "
        "fixed step, x ← x − lr·∇f, runs from the same start once for each: too small and it crawls; too large "
        "(beyond 2 / the Hessian's largest eigenvalue) and it overshoots, zig-zags or blows up",
    ),
    "kappa": (
        "Condition numbers κ of the bowl",
        f"Comma-separated, from 1 to {KAPPA_MAX:g}. The bowl {bowl(100).replace('100', 'κ')} has Hessian eigenvalues 4 "
        "and 4κ: each chosen method runs on it for each κ, a map each, their convergence together",
    ),
}


def start_and_methods(two: bool) -> None:
    """The start (y₀ only for a formula in x and y), what to compare, the methods or the values compared (each with
    its problem under it), and the methods' options, folded away."""
    compare = st.session_state.get("opt_compare", "methods")  # (a widget's value is gone after a visit elsewhere)
    start_column, methods_column = st.columns([2, 3])
    with start_column:
        left, right = st.columns(2)
        left.number_input("Start x₀ =", key="opt_x0", step=0.1, format="%g", help="Or click the map")
        right.number_input("Start y₀ =", key="opt_y0", step=0.1, format="%g", help="Or click the map", disabled=not two)
        st.radio(
            "Compare",
            list(COMPARE),
            key="opt_compare",
            format_func=COMPARE.__getitem__,
            horizontal=True,
            on_change=compare_changed,
            help="Methods: several methods side by side. Step sizes: gradient descent with a fixed step at several "
            "step sizes lr, on one map. Condition numbers: the chosen methods on the bowl "
            f"{bowl(100).replace('100', 'κ')} at several κ, a map for each",
        )
    with methods_column:
        if compare != "lr":
            st.multiselect(
                "Methods",
                list(METHODS),
                key="opt_methods",
                format_func=label,
                max_selections=kit.limits().methods,
                select_all=False,  # all of them is more than may be chosen
                wrap=True,  # in a column the chips would scroll sideways and cut the first one ("wton")
                help=f"Up to {kit.limits().methods} of them. Each runs from the same start with the same exact "
                "derivatives; their paths are drawn side by side",
                persist_state="page",  # kept while step sizes are compared and the box is not shown
            )
        values: list[float] = []
        if compare != "methods":
            text, help = VALUES_HELP[compare]
            st.session_state[f"opt_{compare}s"] = shown_list(compare)
            st.text_input(text, key=f"opt_{compare}s", help=help, persist_state="page")
            try:
                values = compared_values(st.session_state[f"opt_{compare}s"], compare)
            except derivlib.ExpressionError as error:
                kit.show_error(error)
        methods = list(st.session_state.get("opt_methods", []))
        if problem := runs_asked(compare, methods, values if compare == "kappa" else []):
            if problem.startswith("Pick"):
                st.info(problem, icon=":material/route:")
            else:
                st.error(problem)
    options()


def draw_map(
    expr: str,
    runs: dict[str, dict],
    good: dict,
    *,
    key: str = "opt_map",
    title: str | None = None,
    height: int | None = None,
) -> View:
    """The contour map of f with the runs' paths, over the range typed grown to show them all (`view_ranges`); a
    click on it starts every run from there. The view drawn."""
    xmin, xmax, ymin, ymax = good["ranges"]
    view = view_ranges([(xmin, xmax), (ymin, ymax)], runs)
    (xmin, xmax), (ymin, ymax) = view.ranges
    ground = landscape(expr, True, xmin, xmax, ymin, ymax, good["run_params"])
    figure = map_figure(
        ground["frame"],
        runs,
        (ground["cx"], ground["cy"], ground["cf"]),
        beyond=view.beyond,
        title=title,
        height=height,
    )
    st.plotly_chart(
        figure,
        config={"displaylogo": False},
        on_select=functools.partial(pick_start, key),
        selection_mode="points",
        key=key,
    )
    return view


def view_words(view: View, runs: dict[str, dict], variables: tuple[str, ...]) -> str:
    """What a student must know of the view: that it is wider than the range typed, and why; where each end beyond
    it is; whose path leaves it."""

    def span(ranges: tuple[tuple[float, float], ...]) -> str:
        return ", ".join(
            f"{n} from {number(low, 6)} to {number(high, 6)}" for n, (low, high) in zip(variables, ranges, strict=True)
        )

    words = []
    if view.grown:
        words.append(
            f"The view is wider than the range typed ({span(view.typed)}), to show every path: {span(view.ranges)}."
        )
    for key in view.beyond:
        words.append(
            f"**{name_of(key, runs[key])}** ended beyond the view, at {where(ended_at(runs[key], variables))}; the "
            "arrow at the edge marks where its path last leaves the view."
        )
    if view.leaving:
        names = " and ".join(f"**{name_of(key, runs[key])}**'s" for key in view.leaving)
        words.append(f"Part of {names} path{'s' if len(view.leaving) > 1 else ''} lies beyond the view.")
    return " ".join(words)


def draw_runs(good: dict, drawn: dict[str, dict]) -> None:
    """Every run's path on the map of f, which a click starts them from (two variables; a map per condition number
    when they are compared), or on the curve of f with Newton's tangent parabolas (one); the view grown to show every
    path, and said so."""
    expr, params, variables = good["expr"], good["run_params"], good["variables"]
    if good["compare"] == "kappa":
        st.caption(
            f"Each map is the bowl f = {bowl(100).replace('100', 'κ')} at one condition number κ (its Hessian's "
            "eigenvalues are 4 and 4κ, along the diagonals); the formula box above is not used while condition "
            "numbers are compared."
        )
        said = []
        for row in range(0, len(good["values"]), 2):
            for column, (i, value) in zip(st.columns(2), list(enumerate(good["values"]))[row : row + 2], strict=False):
                keys = [key for key, spec in good["plan"].items() if spec["kappa"] == value and key in drawn]
                runs = {key: drawn[key] | {"short": None} for key in keys}  # the map's title says which κ
                with column:
                    view = draw_map(
                        bowl(value),
                        runs,
                        good,
                        key=f"opt_map_{i}",
                        title=setting_text("kappa", value),
                        height=MAP_SMALL,
                    )
                if words := view_words(view, runs, variables):
                    said.append(f"On the map of {setting_text('kappa', value)}: {words[:1].lower()}{words[1:]}")
        st.caption(" ".join(["Click a map to start every run from there.", *filter(None, said)]))
        return
    if good["two"]:
        view = draw_map(expr, drawn, good)
        st.caption(
            " ".join(
                filter(
                    None,
                    [
                        "Click the map to start every run from there. The legend says what each mark is. The path of "
                        "most steps lies lowest, each path's line wider than the one above it: where paths share a "
                        "valley, each shows as a stripe.",
                        view_words(view, drawn, variables),
                    ],
                )
            )
        )
        return
    view = view_ranges([good["ranges"][:2]], drawn, variables)
    (xmin, xmax), (ymin, ymax) = view.ranges[0], good["ranges"][2:]
    ground = landscape(expr, False, xmin, xmax, ymin, ymax, params)
    newton = drawn.get("newton")
    tangents: list[Parabola] = []
    if newton is not None and not newton["path"].empty:
        xs = tuple(float(v) for v in newton["path"]["x"].to_numpy()[:PARABOLAS])
        # four numbers each, as curve_figure takes them (tangent_parabolas is annotated with tuple[float, ...])
        tangents = tangent_parabolas(newton["path"], parabolas(expr, xs, params))
    st.plotly_chart(
        curve_figure(ground["x"], ground["f"], drawn, parabolas=tangents, beyond=view.beyond),
        config={"displaylogo": False},
        key="opt_curve",
    )
    st.caption(
        " ".join(
            filter(
                None,
                [
                    "Each run's iterates on the curve of f, joined in order. "
                    + (
                        "The dashed parabolas are Newton's model of f at its first iterates (f's Taylor polynomial of "
                        "degree 2): each step goes to the parabola's lowest point, or, where f″ ≤ 0, downhill instead."
                        if tangents
                        else "Add Newton to see its tangent parabolas."
                        if good["compare"] == "methods"
                        else ""
                    ),
                    view_words(view, drawn, variables),
                ],
            )
        )
    )


def options() -> None:
    """The methods' options, folded away."""
    with st.expander("Options of the methods", icon=":material/tune:"):
        left, middle, right, far = st.columns(4)
        comparing = st.session_state.get("opt_compare") == "lr"
        left.number_input(
            "Step lr (plain gradient descent)",
            key="opt_lr",
            min_value=1e-12,
            format="%g",
            step=1e-4,
            disabled=comparing,
            help="Gradient descent's fixed step: x ← x − lr·∇f"
            + (" (not used while step sizes are compared: they are typed above)" if comparing else ""),
        )
        middle.number_input(
            "Tolerance on ‖∇f‖∞",
            key="opt_tol",
            min_value=1e-15,
            format="%g",
            step=1e-8,
            help="A run stops there: success",
        )
        right.number_input(
            "Most iterations",
            key="opt_max_iter",
            min_value=1,
            max_value=kit.limits().iterations,
            step=100,
        )
        far.number_input(
            "L-BFGS memory",
            key="opt_memory",
            min_value=1,
            max_value=100,
            step=1,
            help="Pairs (s, y) kept",
        )
        st.select_slider(
            "Condition number κ of the ill-conditioned bowl",
            CONDITION_NUMBERS,
            key="opt_kappa",
            on_change=use_bowl,
            help=f"Moving it puts the bowl {bowl(100).replace('100', 'κ')} in the formula box: its Hessian's "
            "eigenvalues are 4 and 4κ, so gradient descent zig-zags more as κ grows, while Newton takes one step",
        )
        st.caption(f"Each method's run stops after {TIME_BUDGET:g} s at most, and says so.")


CONVERGENCE_WORDS = {  # what to read in the convergence charts, by what is compared
    "methods": "",
    "lr": "Each line is gradient descent at one step size lr: a larger step falls faster, until it is too large "
    "(beyond 2 / the Hessian's largest eigenvalue along the path), where the steps overshoot and the line stalls, "
    "zig-zags or climbs.",
    "kappa": "On a quadratic bowl, steepest descent with even the best step along each direction cuts f − f_best by "
    "a factor of only ((κ − 1)/(κ + 1))² per step at worst (Nocedal & Wright, Theorem 3.3): the larger κ, the slower "
    "it falls; Newton's step lands on the minimum of a quadratic, whatever κ.",
}


def details(good: dict, results: dict[str, dict], found: dict[str, dict]) -> None:
    """The convergence of every run, the table of how each ended, and each one's iterations."""
    variables = good["variables"]
    drawn = {m: r for m, r in results.items() if "error" not in r}

    several = good["compare"] == "kappa" and len(good["methods"]) > 1  # compared_runs: dashes tell the κ apart
    st.subheader("Convergence")
    for column, figure, key in zip(st.columns(2), convergence_figures(drawn), ("opt_gradient", "opt_gap"), strict=True):
        column.plotly_chart(figure, config={"displaylogo": False}, key=key)
    st.caption(
        "Both on a log scale: a straight falling line is linear convergence (gradient descent's, slower the worse "
        "f is conditioned), a line that bends down ever more steeply is superlinear (L-BFGS) or quadratic (Newton: "
        "the number of correct digits doubles each step). f_best is the lowest f any run reached; where f equals "
        "it, log 0 is not drawn. "
        + ("Each method has its colour, each κ a dash of its own. " if several else "")
        + CONVERGENCE_WORDS[good["compare"]]
    )
    st.table(summary(results, found, variables), hide_index=True)
    st.caption(
        f"Where each run ended: x{' and y' if len(variables) == 2 else ''} to {DIGITS} significant digits of the "
        "largest coordinate its path reached (smaller is 0: what is left of a step that lands on 0), f and ‖∇f‖ "
        "there, each 0 within its rounding error. Iterations: steps taken; evaluations of f: each with its gradient "
        "(and Hessian for Newton), line searches included; time on this server."
    )

    playback(good, drawn)
    basins_part(good)

    st.subheader("Each run's iterations")
    for key, result in drawn.items():
        path, name = shown_path(result["path"], variables), name_of(key, result)
        with st.expander(f"{name}: {len(path):,} rows", icon=":material/table:"):
            st.dataframe(
                path,
                hide_index=True,
                height=min(400, 40 + 35 * len(path)),
                column_config=PATH_COLUMNS,
                placeholder="—",  # the start has no step
            )
            kit.download(  # built when clicked: no file sent with every run
                f"Download {name}'s iterations (CSV)",
                functools.partial(derivlib.to_csv, path),
                good["plan"][key]["expr"],
                "path_" + re.sub(r"[^\w.-]+", "_", key),  # gradient-descent_lr_0.001
            )


# ---------------------------------------------------------------------------------------------------------------------
# The page

LINK.fill(check_link)  # on this page's first run: the inputs from the link

kit.page_top(
    "∂ derivlib: optimisation lab",
    "Type a formula in x, or in x and y, pick a start and some methods, and watch them run side by side: gradient "
    "descent, Newton with a line search, conjugate gradient and L-BFGS, with scipy's and torch's methods beside them. "
    "Every gradient and Hessian is exact (automatic differentiation with PyTorch), never a finite difference.",
)
with st.sidebar:
    st.caption(kit.SHARE)

kit.page_inputs(
    LINK,
    PREFIX,
    {
        "label": "Formula  f =",
        "examples": list(EXAMPLES),
        "on_example": use_example,
        "placeholder": "for example x^2 + 10 y^2",
        "help": FORMULA_HELP,
        "variables": VARIABLES,
        "only_used": True,
    },
    dtype="float64",  # the map's range only: the methods go where their steps go
    on_parameter=parameter_moved,
)

runs_part()
