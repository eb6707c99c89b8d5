"""Optimisation lab: type f(x) or f(x, y), pick a start and several methods, and watch them run side by side on it:
gradient descent, Newton with a line search, conjugate gradient, L-BFGS, and scipy's and torch's methods fed with the
same exact derivatives (derivlib.minimize).

Thin by design, as the other pages: widgets in, derivlib calls, Plotly figures and tables out. Every input is
mirrored in the address's query parameters (LINK below: expr as typed, the start x0 and y0, the methods as
comma-separated names, the options, the ranges, the bowl's condition number and p_<name> for each parameter), so a
copied address reproduces the view. Widget keys start with "opt_".
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import streamlit as st

import derivlib
import page_kit as kit
from derivlib.functions import names_in_words
from derivlib.optimisation_figures import (
    PARABOLAS,
    add_paths,
    convergence_figure,
    curve_figure,
    label,
    tangent_parabolas,
)
from derivlib.optimize import METHODS
from derivlib.surface_figures import add_click_layer, click_lattice, contour_figure

VARIABLES = ("x", "y")
ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"
CONDITION_NUMBERS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000]
MAP_AXIS = 150  # points per axis of the contour map of f (150² float32: 0.12 MB of the chart's JSON)
CURVE_POINTS = 1_000  # points of f in one variable
TIME_BUDGET = min(10.0, kit.limits().time_budget)  # seconds one method's run may take
PROGRESS_EVERY = 0.2  # seconds between two updates of the progress bar
PREFIX = "opt_"  # of every widget key on this page


def bowl(kappa: float) -> str:
    """A quadratic bowl whose Hessian has eigenvalues 4 and 4κ, along the diagonals: condition number κ."""
    return f"(x + y)^2 + {kappa:g}(x - y)^2"


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
        raise ValueError(f"unknown method '{kit.shown(unknown[0])}': the methods are {', '.join(METHODS)}")
    if not names:
        raise ValueError("name at least one method")
    kit.within_limits(methods=len(dict.fromkeys(names)))
    return ",".join(dict.fromkeys(names))


def positive(text: str) -> float:
    value = kit.number(text)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def count(low: int, high: int):
    def read(text: str) -> int:
        value = kit.whole_number(text)
        if not low <= value <= high:
            raise ValueError(f"must be from {low:,} to {high:,}")
        return value

    return read


LINK = kit.Link(
    "optimisation",
    DEFAULTS,
    {
        "expr": kit.formula(VARIABLES),
        "x0": kit.number,
        "y0": kit.number,
        "methods": method_list,
        "lr": positive,
        "tol": positive,
        "max_iter": count(1, kit.limits().iterations),
        "memory": count(1, 100),
        "xmin": kit.constant_number,
        "xmax": kit.constant_number,
        "ymin": kit.constant_number,
        "ymax": kit.constant_number,
        "kappa": kit.choice(CONDITION_NUMBERS, kit.whole_number),
    },
    prefix=PREFIX,
)


def check_link(values: dict, notes: list[str]) -> None:
    """What the link's values must satisfy together: ranges that are not empty, parameters the formula has; the
    methods become the multiselect's list."""
    kit.check_link_ranges_and_parameters(values, notes, DEFAULTS, VARIABLES, "float64")
    values["methods"] = values["methods"].split(",")


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
        )
    except ValueError as error:  # a start where f is undefined, a setting the method refuses
        return {"error": kit.first_line(error)}
    finally:
        bar.empty()
    return {name: getattr(result, name) for name in ("x", "fun", "grad", "nit", "nfev", "ngev", "nhev")} | {
        "success": result.success,
        "status": result.status,
        "message": result.message,
        "path": result.path,
        "seconds": result.seconds,
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
    """The condition-number slider puts the bowl with that κ in the formula box (and its start and ranges)."""
    st.session_state.opt_example = BOWL
    use_example()


def pick_start() -> None:
    """A click on the map moves the start to the clicked point (a round number of the click layer)."""
    points = st.session_state.opt_map.selection.get("points") or []
    if points and points[0].get("x") is not None and points[0].get("y") is not None:
        st.session_state.opt_x0 = float(points[0]["x"])
        st.session_state.opt_y0 = float(points[0]["y"])


def number(value: float, digits: int = 10) -> str:
    return f"{value + 0.0:.{digits}g}" if math.isfinite(value) else "undefined"


def summary(results: dict[str, dict], variables: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for method, result in results.items():
        if "error" in result:
            rows.append({"method": label(method), "message": result["error"]})
            continue
        row = {"method": label(method), "nit": result["nit"], "nfev": result["nfev"]}
        row |= {name: number(result["x"][name]) for name in variables}
        grad = math.sqrt(sum(v * v for v in result["grad"].values()))
        row |= {"f": number(result["fun"]), "‖∇f‖": f"{grad:.3g}", "time": f"{result['seconds'] * 1e3:.3g} ms"}
        rows.append(row | {"message": result["message"]})
    columns = ["method", "nit", "nfev", *variables, "f", "‖∇f‖", "time", "message"]
    return pd.DataFrame(rows, columns=columns).astype({"nit": "Int64", "nfev": "Int64"})


# ---------------------------------------------------------------------------------------------------------------------
# The page

kit.use_the_entry_navigation()  # before anything is drawn: the page list and the link come from the entry
LINK.fill(check_link)  # on this page's first run: the inputs from the link

kit.page_top(
    "∂ derivlib: optimisation lab",
    "Type a formula in x, or in x and y, pick a start and some methods, and watch them run side by side: gradient "
    "descent, Newton with a line search, conjugate gradient and L-BFGS, with scipy's and torch's methods beside them. "
    "Every gradient and Hessian is exact (automatic differentiation with PyTorch), never a finite difference.",
)
LINK.warn()

with st.sidebar:
    st.caption(
        ":material/link: **Share this view:** the address bar holds every input. Copy it: whoever opens it sees this."
    )

expr = kit.formula_row(
    "Formula  f =",
    PREFIX,
    list(EXAMPLES),
    use_example,
    placeholder="for example x^2 + 10 y^2",
    help=FORMULA_HELP,
    variables=VARIABLES,
    only_used=True,
)
two = expr is None or "y" in expr.variables
range_ok = kit.range_inputs(VARIABLES, PREFIX, "float64")  # the map's range only: the methods go where their steps go

good = st.session_state.get("opt_good")
names = expr.parameters if expr else [name for name, _ in good["params"]] if good else []
params = kit.parameter_sliders(names, prefix=PREFIX)

start_column, methods_column = st.columns([2, 3])
with start_column:
    left, right = st.columns(2)
    left.number_input("Start x₀ =", key="opt_x0", step=0.1, format="%g", help="Or click the map")
    right.number_input("Start y₀ =", key="opt_y0", step=0.1, format="%g", help="Or click the map", disabled=not two)
with methods_column:
    st.multiselect(
        "Methods",
        list(METHODS),
        key="opt_methods",
        format_func=label,
        max_selections=kit.limits().methods,
        help="Each runs from the same start with the same exact derivatives; their paths are drawn side by side",
    )
with st.expander("Options of the methods", icon=":material/tune:"):
    left, middle, right, far = st.columns(4)
    left.number_input(
        "Step lr (plain gradient descent)",
        key="opt_lr",
        min_value=1e-12,
        format="%g",
        step=1e-4,
        help="Gradient descent's fixed step: x ← x − lr·∇f",
    )
    middle.number_input(
        "Tolerance on ‖∇f‖∞", key="opt_tol", min_value=1e-15, format="%g", step=1e-8, help="A run stops there: success"
    )
    right.number_input("Most iterations", key="opt_max_iter", min_value=1, max_value=kit.limits().iterations, step=100)
    far.number_input("L-BFGS memory", key="opt_memory", min_value=1, max_value=100, step=1, help="Pairs (s, y) kept")
    st.select_slider(
        "Condition number κ of the ill-conditioned bowl",
        CONDITION_NUMBERS,
        key="opt_kappa",
        on_change=use_bowl,
        help=f"Moving it puts the bowl {bowl(100).replace('100', 'κ')} in the formula box: its Hessian's eigenvalues "
        "are 4 and 4κ, so gradient descent zig-zags more as κ grows, while Newton takes one step",
    )
    st.caption(f"Each method's run stops after {TIME_BUDGET:g} s at most, and says so.")

methods = list(st.session_state.opt_methods)
variables = VARIABLES if two else VARIABLES[:1]
start = tuple((name, float(st.session_state[f"{PREFIX}{name}0"])) for name in variables)
settings = {
    "tol": float(st.session_state.opt_tol),
    "max_iter": int(st.session_state.opt_max_iter),
    "lr": float(st.session_state.opt_lr),
    "memory": int(st.session_state.opt_memory),
}
inputs = None
if expr is not None and range_ok and methods:
    inputs = {"expr": str(expr), "text": st.session_state.opt_expr, "two": two, "variables": variables}
    inputs |= {"start": start, "params": params, "settings": settings, "methods": methods}
    inputs["ranges"] = tuple(float(st.session_state[PREFIX + key]) for key in ("xmin", "xmax", "ymin", "ymax"))
elif expr is not None and range_ok:
    st.info("Pick at least one method.", icon=":material/route:")
if inputs is None and good is None:
    st.stop()
if inputs is None:  # a formula, range or choice that cannot run: the last run stays on screen
    st.info(f"Showing the last run, for `f = {good['text']}`. Correct the input to update it.")
else:
    good = st.session_state.opt_good = inputs
expr_text, two, variables, params = good["expr"], good["two"], good["variables"], good["params"]
LINK.write(
    {key: st.session_state[PREFIX + key] for key in DEFAULTS if key not in ("methods", "y0")}
    | ({"y0": st.session_state.opt_y0} if two else {})
    | {"methods": ",".join(methods)}
    | {f"p_{name}": value for name, value in params}
    | {"expr": good["text"]}  # the formula that ran, as typed
)
results = {method: run(expr_text, good["start"], method, params, **good["settings"]) for method in good["methods"]}
ranges = good["ranges"]
ground = landscape(expr_text, two, *ranges, params)

drawn = {m: r for m, r in results.items() if "error" not in r}
if two:
    figure = contour_figure(ground["frame"])
    add_paths(figure, drawn)
    add_click_layer(figure, ground["cx"], ground["cy"], ground["cf"])
    st.plotly_chart(figure, config={"displaylogo": False}, on_select=pick_start, selection_mode="points", key="opt_map")
    st.caption(
        "Click the map to start from there. Each method's iterates are joined in order; a star marks the minimum it "
        "found, a cross where it stopped without converging, the black ring the start."
    )
else:
    newton = drawn.get("newton")
    tangents = []
    if newton is not None and not newton["path"].empty:
        xs = tuple(float(v) for v in newton["path"]["x"].to_numpy()[:PARABOLAS])
        tangents = tangent_parabolas(newton["path"], parabolas(expr_text, xs, params))
    st.plotly_chart(
        curve_figure(ground["x"], ground["f"], drawn, parabolas=tangents),
        config={"displaylogo": False},
        key="opt_curve",
    )
    st.caption(
        "Each method's iterates on the curve of f, joined in order; a star marks the minimum it found. "
        + (
            "The dashed parabolas are Newton's model of f at its first iterates (f's Taylor polynomial of degree 2): "
            "each step goes to the parabola's lowest point, or, where f″ ≤ 0, downhill instead."
            if tangents
            else "Add Newton to see its tangent parabolas."
        )
    )

failed = [m for m, r in results.items() if "error" in r or not r["success"]]
for method in failed:
    result = results[method]
    if "error" in result:
        st.error(f"{label(method)} did not start: {result['error']}", icon=":material/error:")
    else:
        st.warning(
            f"{label(method)} did not converge ({result['nit']:,} iteration{'' if result['nit'] == 1 else 's'}): "
            f"{result['message']}. Its path so far "
            "is drawn, its end marked ×.",
            icon=":material/warning:",
        )

st.subheader("Convergence")
st.plotly_chart(convergence_figure(drawn), config={"displaylogo": False}, key="opt_convergence")
st.caption(
    "Both on a log scale: a straight falling line is linear convergence (gradient descent's, slower the worse "
    "f is conditioned), a line that bends down ever more steeply is superlinear (L-BFGS) or quadratic (Newton: the "
    "number of correct digits doubles each step). f_best is the lowest f any method reached; where f equals it, "
    "log 0 is not drawn."
)
st.dataframe(summary(results, variables), hide_index=True)
st.caption(
    "nit: iterations; nfev: evaluations of f (each with its gradient, or Hessian for Newton), counting those in the "
    "line searches; final x, f and ‖∇f‖ where the run ended; time on this server."
)

st.subheader("Each method's iterations")
for method, result in drawn.items():
    path = result["path"]
    with st.expander(f"{label(method)}: {len(path):,} rows", icon=":material/table:"):
        st.dataframe(path, hide_index=True, height=min(400, 40 + 35 * len(path)))
        kit.download(f"Download {label(method)}'s iterations (CSV)", derivlib.to_csv(path), expr_text, f"path_{method}")
