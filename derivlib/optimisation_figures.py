"""Plotly figures of minimize()'s runs: the paths on the contour map (two variables) or on the curve (one), and the
convergence of every method on a log scale. Pure Plotly, no Streamlit: the optimisation page draws them, the tests
read them.

A path can have tens of thousands of iterations (gradient descent's); the browser gets at most PATH_POINTS of them
per method (the first half of that all of them, where a path turns most, then evenly spaced, the last kept), as
float32 where a value is only drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import LEGEND, LEGEND_MARGIN, _for_browser, value_range

PATH_POINTS = 400  # iterates per method sent to the browser (of a path's possibly 20 000)
PARABOLAS = 6  # Newton's tangent parabolas drawn, at its first iterates (later ones shrink onto the minimum)
CURVE_POINTS = 1_000  # points of f drawn in one variable
MESSAGE_LENGTH = 60  # characters of a failed run's message written beside its path on the chart
CONVERGENCE_HEIGHT = 420  # pixels
CURVE_HEIGHT = 520
PATH = "path"  # the `meta` of a method's path traces
LABELS = {  # what the page and the charts call each method of derivlib.optimize.METHODS
    "gradient-descent": "gradient descent",
    "gradient-descent-armijo": "gradient descent + Armijo",
    "newton": "Newton",
    "cg-fr": "CG (Fletcher–Reeves)",
    "cg-pr": "CG (Polak–Ribière+)",
    "lbfgs": "L-BFGS",
    "torch-lbfgs": "torch L-BFGS",
    "scipy-bfgs": "scipy BFGS",
    "scipy-lbfgsb": "scipy L-BFGS-B",
    "scipy-newton-cg": "scipy Newton-CG",
    "scipy-trust-exact": "scipy trust-exact",
}
COLOURS = {  # one per method, the same on every chart; readable on the contour map's light and dark ends
    "gradient-descent": "#ff7f0e",
    "gradient-descent-armijo": "#d62728",
    "newton": "#1f3fbf",
    "cg-fr": "#8c564b",
    "cg-pr": "#9467bd",
    "lbfgs": "#e6007e",
    "torch-lbfgs": "#17becf",
    "scipy-bfgs": "#2ca02c",
    "scipy-lbfgsb": "#bcbd22",
    "scipy-newton-cg": "#7f7f7f",
    "scipy-trust-exact": "#000000",
}
START_COLOUR = "#111111"
HALO = "rgba(255, 255, 255, 0.75)"  # under each path
PATH_LEGEND = LEGEND | {"entrywidth": 180}  # room for "gradient descent + Armijo", "Newton's tangent parabolas"


def label(method: str) -> str:
    return LABELS.get(method, method)


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
    colour over a white halo (so that a dark colour shows on the map's dark valleys); where the run ended a star
    (converged) or a cross (stopped otherwise) with its message beside it, each method's star smaller than the one
    before, so that stars at one minimum nest instead of hiding each other; the start as a ring. `runs` maps a method
    to {"path": DataFrame, "success": bool, "message": str} (minimize's result as a dict); runs with no path are
    left out. Returns the figure.
    """
    x_name, y_name = variables
    drawn = {m: r for m, r in runs.items() if r.get("path") is not None and not r["path"].empty}
    for method, run in drawn.items():
        colour, name = COLOURS.get(method, "#444"), label(method)
        shown = run["path"].iloc[path_indices(len(run["path"]))]
        x, y = _for_browser(shown[x_name]), _for_browser(shown[y_name])
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
        colour, name = COLOURS.get(method, "#444"), label(method)
        last, ok = run["path"].iloc[-1], bool(run.get("success"))
        what = "minimum found" if ok else "stopped"
        figure.add_trace(
            go.Scatter(
                x=[float(last[x_name])],
                y=[float(last[y_name])],
                mode="markers" if ok else "markers+text",
                text=None if ok else [f"{name}: {_short(run.get('message', ''))}"],
                textposition="top right",
                textfont={"color": colour, "size": 12},
                name=f"{name}: {what}",
                legendgroup=method,
                showlegend=False,
                marker={
                    "symbol": "star" if ok else "x",
                    "size": max(10, 24 - 4 * i) if ok else 14,
                    "color": colour,
                    "line": {"color": "white", "width": 1.5},
                },
                hovertemplate=f"{name}: {what}<br>{x_name} = %{{x:.10g}}, {y_name} = %{{y:.10g}}"
                f"<extra>{_short(run.get('message', ''))}</extra>",
            )
        )
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
    figure.update_layout(legend={"entrywidth": PATH_LEGEND["entrywidth"]})
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
            x=_for_browser(x),
            y=_for_browser(f),
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
                x=_for_browser(t),
                y=_for_browser(q),
                mode="lines",
                name="Newton's tangent parabolas",
                legendgroup="parabolas",
                showlegend=i == 0,
                line={"color": COLOURS["newton"], "width": 1.2, "dash": "dash"},
                opacity=0.7,
                hovertemplate=f"parabola at {variable} = {at:.4g}<extra></extra>",
            )
        )
    for method, run in runs.items():
        path: pd.DataFrame | None = run.get("path")
        if path is None or path.empty:
            continue
        colour, name = COLOURS.get(method, "#444"), label(method)
        shown = path.iloc[path_indices(len(path))]
        figure.add_trace(
            go.Scatter(
                x=_for_browser(shown[variable]),
                y=_for_browser(shown["f"]),
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
        ok = bool(run.get("success"))
        figure.add_trace(
            go.Scatter(
                x=[float(last[variable])],
                y=[float(last["f"])],
                mode="markers" if ok else "markers+text",
                text=None if ok else [f"{name}: {_short(run.get('message', ''))}"],
                textposition="top center",
                textfont={"color": colour, "size": 12},
                name=f"{name}: {'minimum found' if ok else 'stopped'}",
                legendgroup=method,
                showlegend=False,
                marker={"symbol": "star" if ok else "x", "size": 18 if ok else 14, "color": colour},
                hovertemplate=f"{variable} = %{{x:.10g}}<br>f = %{{y:.10g}}<extra>{name}</extra>",
            )
        )
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


def convergence_figure(runs: Mapping[str, dict], *, height: int = CONVERGENCE_HEIGHT) -> go.Figure:
    """‖∇f‖ and f − f_best against the iteration k, on log scales, one line per method in its colour (the two panels
    share a legend entry). f_best is the lowest f of every path; f − f_best = 0 (the best run's end, and values
    within rounding of it) cannot be drawn on a log scale and is left out.
    """
    paths = {m: r["path"] for m, r in runs.items() if r.get("path") is not None and not r["path"].empty}
    finite = [p["f"].to_numpy()[np.isfinite(p["f"].to_numpy())] for p in paths.values()]
    best = min((float(v.min()) for v in finite if v.size), default=math.nan)
    figure = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("‖∇f‖, the gradient's length", "f − f_best, the gap to the lowest f found"),
        horizontal_spacing=0.08,
    )
    for method, path in paths.items():
        colour, name = COLOURS.get(method, "#444"), label(method)
        keep = path_indices(len(path), 4 * PATH_POINTS)  # lines only: more points, still a few kB
        shown = path.iloc[keep]
        gap = shown["f"].to_numpy() - best
        gap = np.where(gap > 0, gap, np.nan)
        for column, (y, what) in enumerate(((shown["grad_norm"].to_numpy(), "‖∇f‖"), (gap, "f − f_best")), start=1):
            figure.add_trace(
                go.Scatter(
                    x=shown["k"].to_numpy(dtype=np.int32),
                    y=_for_browser(y),
                    mode="lines+markers" if len(shown) <= 60 else "lines",
                    name=name,
                    legendgroup=method,
                    showlegend=column == 1,
                    line={"color": colour, "width": 2},
                    marker={"size": 5, "color": colour},
                    hovertemplate=f"k = %{{x}}<br>{what} = %{{y:.3e}}<extra>{name}</extra>",
                    meta=what,
                ),
                row=1,
                col=column,
            )
    figure.update_yaxes(type="log", exponentformat="power", showexponent="all", dtick=None)
    figure.update_xaxes(title_text="iteration k")
    figure.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": LEGEND_MARGIN + 20},
        legend=PATH_LEGEND,
        hovermode="closest",
        meta={"f_best": best},
    )
    return figure


def tangent_parabolas(path: pd.DataFrame, derivatives: Mapping[str, np.ndarray]) -> list[tuple[float, ...]]:
    """(x_k, f, f′, f″) at the first PARABOLAS iterates of a path in x, from partials at those points."""
    xs = path["x"].to_numpy()[:PARABOLAS]
    return [
        (float(x), float(derivatives["f"][i]), float(derivatives["fx"][i]), float(derivatives["fxx"][i]))
        for i, x in enumerate(xs)
    ]
