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
from derivlib.figures.playback import iterate_name, iteration_overlay, iteration_words, phi_figure
from derivlib.figures.two_variables import click_lattice
from derivlib.functions import names_in_words
from derivlib.hessian import hessian_at, verdict_at
from derivlib.many import BATCHED
from derivlib.optimize import METHODS, MinimizeResult
from derivlib.parse import tokenize
from derivlib.rounding import pointwise_errors, zeroed
from derivlib.variables import CANDIDATES, MAX_VARIABLES, choosable_names, inferred_variables, ordered

VARIABLES = ("x", "y")  # the bowl's; the map's axes keep their ranges under these names (opt_xmin … opt_ymax)
ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"
CONDITION_NUMBERS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000]
MAP_AXIS = 150  # points per axis of the contour map of f (150² float32: 0.12 MB of the chart's JSON)
CURVE_POINTS = 1_000  # points of f in one variable
TIME_BUDGET = min(10.0, kit.limits().time_budget)  # seconds one method's run may take
PROGRESS_EVERY = 0.2  # seconds between two updates of the progress bar
PREFIX = "opt_"  # of every widget key on this page
DIGITS = 10  # significant digits of a coordinate, relative to the largest the run's path reached (below: 0)
RUNS_PART = "optimisation_runs"  # the fragment's key
PLAYBACK_PART = "optimisation_playback"  # the playback's own, inside it: while it plays, only it is drawn again
PLAY_EVERY = 1.0  # seconds between two iterations played
Parabola = tuple[float, float, float, float]  # (x_k, f, f′, f″): Newton's model of f at an iterate (curve_figure)
ENDS = {  # the Hessian's verdict where a run converged (derivlib.hessian) -> what that point is, in words
    "positive definite": "minimum",
    "negative definite": "maximum",
    "indefinite": "saddle",
}


def bowl(kappa: float) -> str:
    """A quadratic bowl whose Hessian has eigenvalues 4 and 4κ, along the diagonals: condition number κ."""
    return f"(x + y)^2 + {kappa:.15g}(x - y)^2"


# name -> (formula, start, ranges of the map's axes). The bowl's formula follows its condition-number slider.
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
    "Three variables: Rosenbrock's valley in x, y, z": (
        "100(y - x^2)^2 + (1 - x)^2 + 100(z - y^2)^2 + (1 - y)^2",
        (-1.2, 1.0, -1.2),
        (-2.0, 2.0, -1.0, 3.0),
    ),
    "Four variables x1 … x4: a chain of valleys": (
        "(x1 - 1)^2 + 10(x2 - x1^2)^2 + 10(x3 - x2^2)^2 + 10(x4 - x3^2)^2",
        (-1.2, 1.0, -1.2, 1.0),
        (-2.0, 2.0, -1.0, 3.0),
    ),
    "One variable: a double well": ("x^4 - 3x^2 + x", (2.0,), (-2.5, 2.5, -2.0, 2.0)),
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
PLAY_MAP_HEIGHT = 760  # pixels of the playback's map, half the width: its legend (a dozen marks) takes 300 of them
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
    "vars": "",  # the variables, comma-separated; none: inferred from the formula (x, y, z, x1 … x10 that it uses)
    "map_x": "",  # the map's axes, where f has three variables or more; none: the first two
    "map_y": "",
}
FORMULA_HELP = (
    f"A formula in x, y, z or x1 … x10 (at most {MAX_VARIABLES} variables; which are variables is shown, and can be "
    "changed, under the box). Powers with ^ (x^2), products with * or a space (2x y, x sin y), constants pi and "
    "e. Any other single letter (a, b, k …) is a parameter and gets a slider. The functions: " + names_in_words() + "."
)


# ---------------------------------------------------------------------------------------------------------------------
# The share link: query parameters <-> widget values


def start_key(name: str) -> str:
    """A variable's start in the link, and (after PREFIX) in the session: x0, y0, z0, a0 for a letter; x1_0 … x10_0
    for x1 … x10, whose x10 alone would be ambiguous."""
    return f"{name}0" if name.isalpha() else f"{name}_0"


def default_start(name: str) -> float:
    """Where a variable starts unless told: −1.2, 1, −1.2, 1 … along x, y, z and x1, x2, x3 … (the classic start of
    Rosenbrock's function in n variables); 1 for any other."""
    if name in ("x", "z") or (name in CANDIDATES[3:] and int(name[1:]) % 2):
        return -1.2
    return 1.0


def start_of(name: str) -> float:
    """A variable's start as its box holds it (or its default, for a box not drawn since its value was set)."""
    return float(st.session_state.get(PREFIX + start_key(name), default_start(name)))


def name_list(text: str) -> list[str]:
    """Comma-separated names of variables (`x,y,z`), each a letter, a Greek letter's name or x1 … x10, at most
    MAX_VARIABLES, none twice; whether the formula has them is `check_link`'s to say."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if not is_variable_name(name):
            raise ValueError(f"'{kit.quoted(name)}' is no name of a variable (x, y, z, x1 … x10, or a letter)")
    if len(set(names)) > MAX_VARIABLES:
        raise ValueError(f"{len(set(names))} variables: at most {MAX_VARIABLES}")
    return list(ordered(names))


def is_variable_name(name: str) -> bool:
    """Whether a name can be a variable: a letter (but e) or a Greek letter's name, or x1 … x10."""
    return bool(re.fullmatch(r"[a-z]+|x(?:[1-9]|10)", name)) and name != "e"


def more_reader(name: str) -> Callable[[str], float] | None:
    """The link's start of any variable but x and y (z0, a0, x1_0 …: `start_key` of a variable's name): a number."""
    variable = name.removesuffix("_0") if name.endswith("_0") else name.removesuffix("0")
    return kit.read_number if is_variable_name(variable) and start_key(variable) == name else None


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
        "expr": kit.read_formula(CANDIDATES),
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
        "vars": lambda text: ",".join(name_list(text)),
        "map_x": kit.read_choice(list(CANDIDATES)),
        "map_y": kit.read_choice(list(CANDIDATES)),
    },
    prefix=PREFIX,
    more=more_reader,
)


def check_link(values: dict, notes: list[str]) -> None:
    """What the link's values must satisfy together: ranges that are not empty, parameters the formula has, no more
    runs than may be (condition numbers compared: methods × κ), variables the formula has (else inferred, with a
    note), a start only for a variable; the methods and the variables become their multiselects' lists."""
    inferred = inferred_variables(values["expr"])
    chosen = list(inferred)
    if values["vars"]:
        try:
            chosen = list(ordered(values["vars"].split(",")))
            unknown = [name for name in chosen if name not in choosable_names(values["expr"], inferred)]
            if unknown:
                raise ValueError(f"the formula has no {unknown[0]}")
            derivlib.parse(values["expr"], variables=tuple(chosen))  # x1 … x10 cannot be parameters
        except ValueError as error:
            notes.append(
                f"`vars={kit.quoted(values['vars'])}` could not be used ({kit.first_line(error)}): using "
                f"{','.join(inferred)}"
            )
            chosen = list(inferred)
    values["vars"], values["vars_for"] = chosen, values["expr"]
    for key in [key for key in values if more_reader(key) and not any(start_key(n) == key for n in chosen)]:
        if key in st.query_params:
            notes.append(f"`{key}`: the formula has no variable {key.removesuffix('0').removesuffix('_')}, ignored")
        del values[key]
    kit.check_link_ranges_and_parameters(values, notes, DEFAULTS, VARIABLES, "float64", tuple(chosen))
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
            fuse=kit.fuse(expr),  # compiled programs at each iterate, for a formula still in use (kit.fuse)
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
def landscape(
    expr: str,
    axes: tuple[str, ...],
    fixed: tuple[tuple[str, float], ...],
    xmin: float,
    xmax: float,
    ymin: float,
    ymax: float,
    params: tuple,
) -> dict:
    """f over the ranges of the map's two `axes`, every other variable `fixed` (a slice through a point): a grid table
    (x and y its axes) for the contour map and f at the click layer's points; or, for one axis, f along it."""
    if len(axes) == 2:
        xs, ys = derivlib.grid(xmin, xmax, MAP_AXIS).numpy(), derivlib.grid(ymin, ymax, MAP_AXIS).numpy()
        gx, gy = np.meshgrid(xs, ys)  # x the faster, as surface_table lays it out
        cx, cy = click_lattice((xmin, xmax), (ymin, ymax))
        f = slice_values(expr, axes, fixed, np.concatenate([gx.ravel(), cx]), np.concatenate([gy.ravel(), cy]), params)
        frame = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel(), "f": f[: gx.size]})
        return {"frame": frame, "cx": cx, "cy": cy, "cf": f[gx.size :]}
    x = np.linspace(xmin, xmax, CURVE_POINTS)
    f = derivlib.partials(expr, {axes[0]: x}, order=0, params=dict(params))["f"].numpy()
    return {"x": x, "f": f}


def slice_values(
    expr: str, axes: tuple[str, ...], fixed: tuple[tuple[str, float], ...], u: np.ndarray, v: np.ndarray, params: tuple
) -> np.ndarray:
    """f at the points (u, v) of the map's axes, each other variable at its fixed value."""
    points = {axes[0]: u, axes[1]: v} | {name: np.full(len(u), value) for name, value in fixed}
    return derivlib.partials(expr, points, order=0, params=dict(params))["f"].numpy()


@st.cache_data(max_entries=64, show_spinner=False)
def ends(expr: str, variables: tuple[str, ...], points: tuple[tuple[float, ...], ...], params: tuple) -> list[dict]:
    """f and ‖∇f‖ at the points where the runs ended (as the table shows them: `ended_at`), each 0 within its
    rounding error, and what f does around each point: the Hessian's verdict (derivlib.hessian: its 2 × 2 view in x
    and y, its eigenvalues in any other variables; the sign of f″ in one variable) and its words."""
    found = []
    for point in points:
        if variables == VARIABLES:
            view = hessian_at(expr, *point, params=dict(params))
            found.append(
                {"f": view.f, "grad": math.hypot(*view.gradient), "verdict": view.verdict, "words": view.words}
            )
            continue
        if len(point) > 1:
            said = verdict_at(expr, dict(zip(variables, point, strict=True)), params=dict(params))
            found.append({"f": said.f, "grad": said.gradient_norm, "verdict": said.verdict, "words": said.words})
            continue
        values, errors = pointwise_errors(expr, {variables[0]: np.array(point)}, order=2, params=dict(params))
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
def parabolas(expr: str, variable: str, xs: tuple[float, ...], params: tuple) -> dict[str, np.ndarray]:
    """f, f′ and f″ at Newton's first iterates in one variable: its tangent parabolas."""
    found = derivlib.partials(expr, {variable: list(xs)}, order=2, params=dict(params))
    return {name: values.numpy() for name, values in found.items()}


# ---------------------------------------------------------------------------------------------------------------------
# Small pieces of the page


def use_example() -> None:
    name = st.session_state.opt_example
    if name is None:
        return
    text, starts, ranges = EXAMPLES[name]
    st.session_state.opt_expr = bowl(st.session_state.opt_kappa) if name == BOWL else text
    for variable, value in zip(inferred_variables(text), starts, strict=True):
        st.session_state[PREFIX + start_key(variable)] = value
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


def pick_start(key: str = "opt_map", axes: tuple[str, str] = VARIABLES) -> None:
    """A click on a map (`key`, across `axes`) moves the start to the clicked point (a round number of the click
    layer): the start of the map's two variables; any other keeps its start."""
    points = st.session_state[key].selection.get("points") or []
    if points and points[0].get("x") is not None and points[0].get("y") is not None:
        st.session_state[PREFIX + start_key(axes[0])] = float(points[0]["x"])
        st.session_state[PREFIX + start_key(axes[1])] = float(points[0]["y"])


def chosen_variables() -> tuple[str, ...]:
    """The formula's variables as chosen under its box, `ordered`; inferred again (derivlib.variables) whenever the
    formula's text has changed, since the choice was for another formula. A formula that cannot be read keeps the
    last choice (its problem is shown under the box)."""
    text = st.session_state.opt_expr
    if st.session_state.get("opt_vars") is None or st.session_state.get("opt_vars_for") != text:
        try:
            st.session_state.opt_vars = list(inferred_variables(text))
            st.session_state.opt_vars_for = text
            st.session_state.opt_vars_problem = None
        except derivlib.ExpressionError as error:
            st.session_state.setdefault("opt_vars", ["x", "y"])
            # more variables than may be: said under the box; any other problem is the formula row's to show
            st.session_state.opt_vars_problem = error if "variables" in error.message else None
    return ordered(st.session_state.opt_vars)


def map_axes(variables: tuple[str, ...]) -> tuple[str, str]:
    """The map's two axes: the variables, where there are two; where there are more, the two chosen (by default the
    first two), kept in the session for their boxes."""
    if len(variables) < 3:
        return (variables[0], variables[1]) if len(variables) == 2 else VARIABLES
    across = st.session_state.get("opt_map_x")
    across = across if across in variables else variables[0]
    up = st.session_state.get("opt_map_y")
    up = up if up in variables and up != across else next(name for name in variables if name != across)
    for key, name in (("opt_map_x", across), ("opt_map_y", up)):
        if st.session_state.get(key) != name:  # (a box already drawn in this run holds a valid one)
            st.session_state[key] = name
    return across, up


def variables_row(expr: derivlib.Expression | None) -> None:
    """Which names are variables (inferred, changeable) and which parameters, said in a line; with three variables or
    more, the two the map goes across."""
    variables = ordered(st.session_state.opt_vars)
    if problem := st.session_state.get("opt_vars_problem"):
        kit.show_error(problem)
    try:
        names = choosable_names(st.session_state.opt_expr, variables)
    except derivlib.ExpressionError:
        names = variables
    wide = len(variables) >= 3
    columns = st.columns([2, 1, 1] if wide else [1])
    columns[0].multiselect(
        "Variables",
        list(ordered([*names, *variables])),
        key="opt_vars",
        max_selections=MAX_VARIABLES,
        help=f"Inferred from the formula (x, y, z and x1 … x10 where it uses them, at most {MAX_VARIABLES}) each "
        "time it changes; any other letter is a parameter, with a slider. Take a letter out to hold it fixed as a "
        "parameter, or add one to minimize over it too",
    )
    if wide:
        across = map_axes(variables)[0]
        columns[1].selectbox("Map across", variables, key="opt_map_x", help="The map's horizontal axis")
        columns[2].selectbox(
            "and", [name for name in variables if name != across], key="opt_map_y", help="The map's vertical axis"
        )
    if expr is not None and variables:
        said = f"**Variables:** {', '.join(variables)}: a start for each below"
        if expr.parameters:
            said += f" · **parameters:** {', '.join(expr.parameters)}: held fixed, a slider each"
        st.caption(said + ".")
    elif not variables:
        st.info("Choose at least one variable to minimize over.", icon=":material/function:")


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
    variables = chosen_variables()
    if not variables or st.session_state.get("opt_vars_problem"):
        return None
    try:
        expr = derivlib.parse(st.session_state.opt_expr, variables=variables)
        compare = st.session_state.get("opt_compare", "methods")
        values = compared_values(shown_list(compare), compare) if compare != "methods" else []
    except derivlib.ExpressionError:
        return None
    methods = list(st.session_state.get("opt_methods", []))
    if runs_asked(compare, methods, values) or not st.session_state.get("opt_range_usable", True):
        return None
    if compare == "kappa":
        variables = VARIABLES
    two = len(variables) >= 2  # a map (of a slice across two of them where there are more)
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
        "axes": map_axes(variables) if two else None,
        "start": tuple((name, start_of(name)) for name in variables),
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
    ran = ("methods", "x0", "y0", "expr", "compare", "lrs", "kappas", "vars", "map_x", "map_y")  # as they ran
    LINK.write(
        # .get: a widget not drawn in a run (the basins' switch in one variable) has no state then
        {key: st.session_state.get(PREFIX + key, DEFAULTS[key]) for key in DEFAULTS if key not in ran}
        | {start_key(name): value for name, value in good["start"]}
        | ({"vars": ",".join(good["variables"])} if good["compare"] != "kappa" else {})
        | ({"map_x": good["axes"][0], "map_y": good["axes"][1]} if len(good["variables"]) > 2 else {})
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


def iteration_start(result: dict, k: int, variables: tuple[str, ...]) -> dict[str, float]:
    """x_{k−1}, where iteration k starts: row k − 1 of the run's path."""
    row = result["path"].iloc[k - 1]
    return {name: float(row[name]) for name in variables}


def as_result(result: dict) -> MinimizeResult:
    """A run as the page keeps it (`run`) as minimize's result again, for the playback's figures."""
    fields = ("method", "x", "fun", "jac", "hess", "nit", "nfev", "njev", "nhev", "success", "status", "message")
    return MinimizeResult(
        **{name: result[name] for name in fields}, path=result["path"], steps=result["steps"], trials=result["trials"]
    )


def next_iteration(last: int) -> None:
    st.session_state.opt_play_k = min(int(st.session_state.get("opt_play_k", 1)) + 1, last)


def toggle_play(last: int) -> None:
    """▶ Play: the iterations one after another from k (from 1 where k is the last); ■ Stop: stay at k."""
    playing = not st.session_state.get("opt_playing", False)
    st.session_state.opt_playing = playing
    if playing and int(st.session_state.get("opt_play_k", 1)) >= last:
        st.session_state.opt_play_k = 1
    st.session_state.opt_play_stepped = time.monotonic()
    st.rerun([RUNS_PART])  # the playback's part set up again, with its clock or without


def playback(good: dict, drawn: dict[str, dict]) -> None:
    """Iteration k of a run taken apart (`playback_part`), a part of its own: while it plays (▶), only it is drawn
    again, every PLAY_EVERY seconds, one iteration further each time, until the last."""
    own = {key: r for key, r in drawn.items() if r.get("steps") is not None and len(r["steps"])}
    if not own or good["compare"] == "kappa":
        return
    st.subheader("Each iteration taken apart")
    playing = bool(st.session_state.get("opt_playing"))
    part = st.fragment(playback_part, run_every=PLAY_EVERY if playing else None, key=PLAYBACK_PART)
    part(good, own, playing)


def played_to(last: int) -> None:
    """While playing, k one further where PLAY_EVERY has passed since the last step (a run of the part on its clock,
    not one the rest of the page asked for); at the last iteration, playing stops."""
    if time.monotonic() - st.session_state.get("opt_play_stepped", 0.0) < 0.9 * PLAY_EVERY:
        return
    k = min(int(st.session_state.get("opt_play_k", 1)) + 1, last)
    st.session_state.opt_play_k = k
    st.session_state.opt_play_stepped = time.monotonic()
    if k >= last:
        st.session_state.opt_playing = False


def playback_part(good: dict, own: dict[str, dict], armed: bool) -> None:
    """Iteration k of a run taken apart: on the map (two variables; a slice through the iterate in more) the
    iterate, −∇f, the method's direction and the line search's trial steps along it (Newton's quadratic model as
    contours); beside it φ(α) = f(x + αp) with every trial, the sufficient-decrease line and the curvature
    condition's band; what happened, in words. `armed`: whether the part was set up with its clock (playing)."""
    playing = bool(st.session_state.get("opt_playing"))
    if armed and not playing:  # it stopped at the last iteration, on the tick before: the clock goes
        st.rerun(scope="app")  # (a part's body may rerun the page, not another part; once, at the end)
    key = st.selectbox("Run", list(own), format_func=lambda k: name_of(k, own[k]), key="opt_play_run")
    result = own[key if key in own else next(iter(own))]
    last = len(result["steps"])
    if int(st.session_state.get("opt_play_k", 1)) > last:  # another run, with fewer iterations
        st.session_state.opt_play_k = last
    if playing:
        played_to(last)
        playing = bool(st.session_state.opt_playing)  # (stopped at the last iteration)
    slider, step, play = st.columns([6, 1, 1], vertical_alignment="bottom")
    with slider:
        k = st.slider("Iteration k", 1, max(last, 2), key="opt_play_k", disabled=last < 2) if last > 1 else 1
    step.button("Next ▸", on_click=next_iteration, args=(last,), disabled=k >= last, key="opt_play_next")
    play.button(
        "■ Stop" if playing else "▶ Play",
        on_click=toggle_play,
        args=(last,),
        disabled=last < 2,
        key="opt_play_go",
        help=f"One iteration after another, every {PLAY_EVERY:g} s",
    )
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
        axes, (xmin, xmax, ymin, ymax) = good["axes"], good["ranges"]
        view = view_ranges([(xmin, xmax), (ymin, ymax)], {key: result}, axes)
        (xmin, xmax), (ymin, ymax) = view.ranges
        here = iteration_start(result, k, variables)  # the slice through x_{k−1}, in more than two variables
        fixed = tuple((name, here[name]) for name in variables if name not in axes)
        ground = landscape(expr, axes, fixed, xmin, xmax, ymin, ymax, params)
        title = f"slice through {iterate_name(k)}: {where(dict(fixed))}" if fixed else None
        base = map_figure(
            ground["frame"],
            {key: result},
            (ground["cx"], ground["cy"], ground["cf"]),
            height=PLAY_MAP_HEIGHT,
            title=title,
            axes=axes,
        )
        with left:
            st.plotly_chart(
                iteration_overlay(base, taken, k, axes, expr, dict(params)),
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
    if good["variables"] != VARIABLES or good["compare"] != "methods":
        if len(good["variables"]) > 2:
            st.caption(
                "Basins of attraction are drawn for formulas in x and y: a map of every start in more variables "
                "would be a slice of starts, each run leaving it."
            )
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
    start_and_methods((inputs or good or {"variables": VARIABLES})["variables"])
    notice = st.empty()  # always there: the playback's part below keeps its place on the page
    if inputs is not None:
        good = st.session_state.opt_good = inputs
    elif good is not None:  # a formula, range or choice that cannot run: the last run stays on screen
        notice.info(f"Showing the last run, for `f = {good['text']}`. Correct the input to update it.")
    else:
        return
    write_link(good)
    plan, params, variables = good["plan"], good["run_params"], good["variables"]
    with st.container():  # each run's progress bar, in one block: the playback's part below keeps its place
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
        found |= dict(zip(keys, ends(expr, variables, points, params), strict=True))  # at the points as shown
    for key, result in drawn.items():  # what its end is marked as: a minimum, a saddle, a maximum, a stop
        result["end"] = ENDS.get(found[key]["verdict"], "minimum") if result["success"] else "stopped"
    draw_runs(good, drawn)
    with st.container():  # a line per run, in one block: the playback's part below keeps its place on the page
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


def start_inputs(variables: tuple[str, ...]) -> None:
    """A start box for each variable, two to a row (x₀, y₀, z₀ …; x1, x2 … by their names)."""
    on_map = map_axes(variables) if len(variables) >= 2 else ()  # the two a click on the map sets
    for row in range(0, len(variables), 2):
        for column, name in zip(st.columns(2), variables[row : row + 2], strict=False):
            key = PREFIX + start_key(name)
            st.session_state.setdefault(key, default_start(name))  # a box not drawn since: its default
            column.number_input(
                f"Start {name}₀ =" if name.isalpha() else f"Start {name} =",
                key=key,
                step=0.1,
                format="%g",
                help="Or click the map" if name in on_map else "Where every run starts along this variable",
            )


def start_and_methods(variables: tuple[str, ...]) -> None:
    """The start (a box per variable), what to compare, the methods or the values compared (each with its problem
    under it), and the methods' options, folded away."""
    compare = st.session_state.get("opt_compare", "methods")  # (a widget's value is gone after a visit elsewhere)
    start_column, methods_column = st.columns([2, 3])
    with start_column:
        start_inputs(variables)
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
    click on it starts every run from there. In more than two variables, the slice across the map's axes through the
    first run's end (`slice_point`), the paths projected onto it; its title says so. The view drawn."""
    axes = good["axes"]  # (x and y for the bowls compared: current_inputs)
    xmin, xmax, ymin, ymax = good["ranges"]
    view = view_ranges([(xmin, xmax), (ymin, ymax)], runs, axes)
    (xmin, xmax), (ymin, ymax) = view.ranges
    fixed, through = slice_point(good, runs, axes)
    ground = landscape(expr, axes, fixed, xmin, xmax, ymin, ymax, good["run_params"])
    if fixed:
        # two lines: one would run off a phone's screen
        at = where(dict(fixed)) if len(fixed) <= 3 else f"the other {len(fixed)} variables' values"
        title = f"f across {axes[0]} and {axes[1]}, paths projected<br>at {at} ({through})"
    figure = map_figure(
        ground["frame"],
        runs,
        (ground["cx"], ground["cy"], ground["cf"]),
        beyond=view.beyond,
        title=title,
        height=height,
        axes=axes,
    )
    st.plotly_chart(
        figure,
        config={"displaylogo": False},
        on_select=functools.partial(pick_start, key, axes),
        selection_mode="points",
        key=key,
    )
    return view


def slice_point(good: dict, runs: dict[str, dict], axes: tuple[str, str]) -> tuple[tuple[tuple[str, float], ...], str]:
    """Where the map of f in more than two variables cuts through: every variable but the map's two at the first
    run's end (where the runs went: the contours there show the minimum's shape), or at the start where no run has
    a path; and those words ("where Newton ended"). Nothing for two variables."""
    others = [name for name in good["variables"] if name not in axes]
    if not others:
        return (), ""
    for key, run in runs.items():
        if len(run.get("path", ())):
            end = ended_at(run, good["variables"])
            return tuple((name, end[name]) for name in others), f"where {name_of(key, run)} ended"
    start = dict(good["start"])
    return tuple((name, start[name]) for name in others), "the start"


def view_words(
    view: View, runs: dict[str, dict], variables: tuple[str, ...], axes: tuple[str, ...] | None = None
) -> str:
    """What a student must know of the view (across `axes`, by default the variables): that it is wider than the
    range typed, and why; where each end beyond it is; whose path leaves it."""

    def span(ranges: tuple[tuple[float, float], ...]) -> str:
        return ", ".join(
            f"{n} from {number(low, 6)} to {number(high, 6)}"
            for n, (low, high) in zip(axes or variables, ranges, strict=True)
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
        sliced = len(variables) > 2
        st.caption(
            " ".join(
                filter(
                    None,
                    [
                        (
                            f"f has {len(variables)} variables: the map is the slice of f across "
                            f"{good['axes'][0]} and {good['axes'][1]} named in its title, and each path is its "
                            "projection onto that plane (the path's other coordinates are in the iterations' tables "
                            "below). Choose the map's axes under the formula. "
                            if sliced
                            else ""
                        )
                        + "Click the map to start every run from there. The legend says what each mark is. The path of "
                        "most steps lies lowest, each path's line wider than the one above it: where paths share a "
                        "valley, each shows as a stripe.",
                        view_words(view, drawn, variables, good["axes"]),
                    ],
                )
            )
        )
        return
    variable = variables[0]
    view = view_ranges([good["ranges"][:2]], drawn, variables)
    (xmin, xmax), (ymin, ymax) = view.ranges[0], good["ranges"][2:]
    ground = landscape(expr, variables, (), xmin, xmax, ymin, ymax, params)
    newton = drawn.get("newton")
    tangents: list[Parabola] = []
    if newton is not None and not newton["path"].empty:
        xs = tuple(float(v) for v in newton["path"][variable].to_numpy()[:PARABOLAS])
        # four numbers each, as curve_figure takes them (tangent_parabolas is annotated with tuple[float, ...])
        tangents = tangent_parabolas(newton["path"], parabolas(expr, variable, xs, params), variable)
    st.plotly_chart(
        curve_figure(ground["x"], ground["f"], drawn, parabolas=tangents, beyond=view.beyond, variable=variable),
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
        f"Where each run ended: {', '.join(variables)} to {DIGITS} significant digits of the "
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
                column_config=PATH_COLUMNS
                | {name: st.column_config.NumberColumn(name, format="%.10g") for name in variables},
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
    "Type a formula in x, in x and y, or in up to ten variables, pick a start and some methods, and watch them run "
    "side by side: gradient "
    "descent, Newton with a line search, conjugate gradient and L-BFGS, with scipy's and torch's methods beside them. "
    "Every gradient and Hessian is exact (automatic differentiation with PyTorch), never a finite difference.",
)
with st.sidebar:
    st.caption(kit.SHARE)

chosen = chosen_variables()
kit.page_inputs(
    LINK,
    PREFIX,
    {
        "label": "Formula  f =",
        "examples": list(EXAMPLES),
        "on_example": use_example,
        "placeholder": "for example x^2 + 10 y^2",
        "help": FORMULA_HELP,
        # more variables than may be: read with them all, the problem said under the box (variables_row)
        "variables": CANDIDATES if st.session_state.get("opt_vars_problem") else chosen or ("x",),
        "only_used": True,
    },
    dtype="float64",  # the map's range only: the methods go where their steps go
    on_parameter=parameter_moved,
    between=variables_row,
    ranges=dict(zip(VARIABLES, map_axes(chosen), strict=True)) if len(chosen) != 1 else {"x": chosen[0]},
)

runs_part()
