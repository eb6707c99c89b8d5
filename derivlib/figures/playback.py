"""Each iteration of a run taken apart, for a page's slider over k: φ(α) = f(x_{k−1} + α·p_k) with the line search's
trial steps, the sufficient-decrease line, the curvature condition and Newton's model (`phi_figure`); the iterate,
−∇f, the method's direction, the trials and Newton's quadratic model on the contour map (`iteration_overlay`); and
the iteration in words (`iteration_words`). Pure Plotly, no Streamlit; drawn from what minimize() recorded
(`MinimizeResult.steps`, `.trials`, `line_search_at`) and f along the line from derivlib's exact derivatives.

The pictures are Nocedal & Wright's (Numerical Optimization, 2nd ed.): the sufficient decrease line of Fig. 3.3,
the curvature condition of Fig. 3.4 (here as the α ranges where |φ′(α)| ≤ c₂|φ′(0)|, the strong Wolfe condition of
eq. 3.7b, and a short tangent at each trial), and the quadratic model m(d) = f + ∇fᵀd + ½dᵀ∇²f d of eq. 2.14, whose
minimum is where the full Newton step lands.

Numbers in hovers and words have DIGITS significant digits, and a change of f within rounding (NOISE of |f|, as
the line search judges one) reads as such, not as its digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..optimize import NOISE, RECORDS, LineSearch, MinimizeResult, line_search_at
from ..parse import parse
from ..partials import partial_names, partials
from ..tree import Expression
from .shared import LEGEND, LEGEND_MARGIN, for_browser
from .two_variables import screen_scale

PHI_POINTS = 400  # points of φ's curve, the trial steps among them
BEYOND = 1.2  # φ drawn out to this many times the largest trial step …
FIXED_BEYOND = 2.0  # … or, without a line search, the step taken: what a longer step would have met
CLIP = 10.0  # the φ axis reaches at most this many times φ's dip below φ(0) above φ(0); trials higher sit at its top
PAD = 0.08  # of the φ axis's span, room above and below
TANGENT = 0.07  # the tangents at the trials, this long on screen (the chart's sides = 1)
PHI_HEIGHT = 520  # pixels, the legend's rows among them
LOG_SPAN = 50  # trials whose largest is this many times their smallest get a log α axis …
LOG_ROOM = 3.0  # … reaching this many times below the smallest
DIGITS = 4  # significant digits of the numbers shown
WIGGLE = (
    1_000  # φ varying by less than this many ulps of φ(0) along the chart: its wiggles are rounding, and it says so
)
ARROW = 0.12  # −∇f on the map, this long on screen (the map's longer side = 1) …
TRUE_LENGTH = (0.03, 0.4)  # … and p at its own length where that is within these, …
DIRECTION_ARROW = 0.18  # … else this long: longer than −∇f, so that both show where p is −∇f
MODEL_AXIS = 101  # grid points per axis of Newton's quadratic model on the map
MODEL_ROOM = 1.05  # the model's grid reaches this far beyond its largest ellipse …
MODEL_SQUARE = 0.2  # … or, where ∇²f is not positive definite, this far about x_{k−1} on screen
MODEL_LEVELS = (0.25, 1.5, 0.25)  # the model's levels q_min + t·(f − q_min), t from, to, by: t = 1 passes x_{k−1}

ACCEPTED_COLOUR = "#009e73"  # the step taken, on both charts (Okabe–Ito's bluish green)
REJECTED_COLOUR = "#7f7f7f"  # trials the line search turned down
ARMIJO_COLOUR = "#d55e00"  # the sufficient decrease line
BAND_COLOUR = "rgba(0, 158, 115, 0.14)"  # the α ranges the curvature condition accepts
STEEP_COLOUR = "#cc79a7"  # a tangent at a trial outside the curvature band
GRADIENT_COLOUR = "#111111"  # −∇f on the map
HALO = "rgba(255, 255, 255, 0.8)"
PHI_LEGEND = LEGEND | {"entrywidth": 0}  # entries as wide as their words: they say what each line is

# The `meta` of the overlay's traces, for a page or a test to find them
ITERATE, DESCENT, DIRECTION, SEARCH_LINE, TRIALS, MODEL = "iterate", "−∇f", "direction", "line", "trials", "model"

DIRECTION_WORDS = {  # method -> what its direction p_k is called
    "gradient-descent": "steepest descent",
    "gradient-descent-armijo": "steepest descent",
    "newton": "Newton step",
    "newton-plain": "Newton step",
    "cg-fr": "CG direction",
    "cg-pr": "CG direction",
    "lbfgs": "L-BFGS direction",
}
ORDINALS = ("first", "second", "third", "fourth", "fifth")


@dataclass(frozen=True)
class Iteration:
    """Iteration k of a run as the figures draw it: the iterate x_{k−1} it starts from, ∇f there, the direction p_k,
    the line search along p (`line_search_at`), f where it ended (x_k), what p is called, and whether p is the retry
    along −∇f after the method's own direction's search failed."""

    k: int
    method: str
    variables: tuple[str, ...]
    x: np.ndarray  # x_{k−1}
    g: np.ndarray  # ∇f(x_{k−1})
    p: np.ndarray  # p_k
    search: LineSearch
    f_next: float  # f(x_k)
    kind: str  # "Newton step", "L-BFGS direction" …
    retried: bool
    shift: float  # τ of Newton's H + τI (0: none; inf: none worked, p = −∇f); NaN for the other methods

    @property
    def trials(self) -> Any:
        """The trial steps (TRIAL_COLUMNS) in the order tried; without a line search, the one step taken, its slope
        not known (NaN)."""
        if self.search.search != "none":
            return self.search.trials
        import pandas as pd

        row = {"k": self.k, "alpha": self.search.alpha, "phi": self.f_next, "slope": math.nan, "accepted": True}
        return pd.DataFrame([row | {"direction": 0}])


def iteration(result: MinimizeResult, k: int) -> Iteration:
    """Iteration k (1 … nit) of a run of derivlib's own methods, gathered from its steps, trials and path; ValueError
    for any other k, and for a run whose iterations were not taken apart (scipy's, torch's)."""
    if result.steps is None or (len(result.steps) == 0 and result.nit > 0):
        raise ValueError(
            f"{_label(result.method)} does not record its iterations taken apart: derivlib's own methods do"
        )
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"k must be a whole number, an iteration 1 … {len(result.steps)}, not {k!r}")
    search = line_search_at(result, int(k))  # ValueError for a k out of range
    k = int(k)
    step = result.steps[result.steps["k"] == k].iloc[0]
    variables = tuple(result.x)
    row = result.path.iloc[k - 1]
    x = np.array([float(row[name]) for name in variables])
    g = np.array([float(step[f"g_{name}"]) for name in variables])
    p = np.array([float(step[f"p_{name}"]) for name in variables])
    tried = result.trials[result.trials["k"] == k] if result.trials is not None else None
    retried = tried is not None and len(tried) > 0 and int(tried["direction"].max()) > 0
    shift = float(step["shift"])
    return Iteration(
        k=k,
        method=result.method,
        variables=variables,
        x=x,
        g=g,
        p=p,
        search=search,
        f_next=float(result.path["f"].iloc[k]),
        kind=_kind(result.method, g, p, retried, shift),
        retried=retried,
        shift=shift,
    )


def _label(method: str) -> str:
    return RECORDS[method].label if method in RECORDS else method


def _kind(method: str, g: np.ndarray, p: np.ndarray, retried: bool, shift: float) -> str:
    """What the direction is called: the method's kind, and where it is −∇f itself for a reason, the reason."""
    own = DIRECTION_WORDS.get(method, "direction")
    if retried:
        return f"steepest descent (a retry: the {own}'s line search failed)"
    if method.startswith("newton") and shift == math.inf:
        return "steepest descent (no shift made the Hessian positive definite)"
    if method.startswith("newton") and shift > 0:
        return "modified Newton step"
    if len(g) > 1 and not method.startswith("newton") and own != "steepest descent" and _along(p, -g):
        return f"{own} (here −∇f itself)"
    return own


def _along(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a and b point the same way, up to rounding."""
    size = float(np.linalg.norm(a) * np.linalg.norm(b))
    return size > 0 and float(a @ b) >= (1 - 1e-12) * size


def _expression(expr: Expression | str, variables: tuple[str, ...]) -> Expression:
    return parse(expr, variables=variables) if isinstance(expr, str) else expr


def phi_along(
    expr: Expression | str, it: Iteration, alphas: np.ndarray, params: Mapping[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """φ(α) = f(x_{k−1} + α·p) and φ′(α) = ∇f(x_{k−1} + α·p)·p at the steps `alphas`, from derivlib's exact partial
    derivatives (the points as the line search made them, x + α·p, so a trial's φ is the search's to the last bit)."""
    alphas = np.asarray(alphas, dtype=float)
    points = {name: it.x[i] + alphas * it.p[i] for i, name in enumerate(it.variables)}
    found = partials(_expression(expr, it.variables), points, order=1, params=params)
    gradient = [found[name].numpy(force=True) for name in partial_names(it.variables, 1)[1:]]
    slope = sum((column * p for column, p in zip(gradient, it.p, strict=True)), np.zeros(len(alphas)))
    return found["f"].numpy(force=True).astype(float), slope


# ---------------------------------------------------------------------------------------------------------------------
# Numbers as the charts and words show them


def number(value: float, scale: float = 0.0) -> str:
    """A number to DIGITS significant digits, its exponent short; 0 where it is within rounding (NOISE) of `scale`.

    >>> number(0.123456), number(-1.5e-05), number(2e-12, scale=4.0), number(1411.845179), number(float("nan"))
    ('0.1235', '-1.5e-5', '0', '1412', 'undefined')
    """
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if abs(value) <= NOISE * abs(scale):
        value = 0.0
    text = re.sub(r"e([+-])0*(\d)", lambda m: f"e{m[1].replace('+', '')}{m[2]}", f"{value + 0.0:.{DIGITS}g}")
    return text


def _subscript(n: int | str) -> str:
    return str(n).translate(str.maketrans("0123456789−+", "₀₁₂₃₄₅₆₇₈₉₋₊"))


def iterate_name(k: int) -> str:
    """x_{k−1} written with subscripts: x₂."""
    return f"x{_subscript(k - 1)}"


# ---------------------------------------------------------------------------------------------------------------------
# φ along the direction


def phi_figure(
    expr: Expression | str,
    result: MinimizeResult,
    k: int,
    params: Mapping[str, float] | None = None,
    *,
    log_alpha: bool | None = None,
    height: int = PHI_HEIGHT,
) -> go.Figure:
    """Iteration k's line search as N&W draw one: φ(α) = f(x_{k−1} + α·p_k) over α from 0 to a little beyond the
    largest trial step (BEYOND), f's exact values and slopes along the line (`phi_along`); the trial steps on it,
    numbered in the order tried (the accepted one filled, ACCEPTED_COLOUR; the rejected ones open and grey; on hover
    α, φ, φ′ and which conditions each met); the sufficient decrease line φ(0) + c₁αφ′(0), dashed; for the strong
    Wolfe search the curvature condition, the α ranges where |φ′(α)| ≤ c₂|φ′(0)| shaded and a short tangent at each
    trial; and, for Newton's methods, the quadratic model φ(0) + αφ′(0) + ½α²·pᵀ∇²f p with its minimum. Without a
    line search (gradient descent's fixed step, plain Newton) the one step taken, and the title says so.

    The α axis is logarithmic where the trials span LOG_SPAN or more (`log_alpha` None; True or False to choose):
    backtracking that halved ten times is then ten evenly spaced trials, not a pile at α = 0 (which a log axis does
    not have: φ(0) is a level line there). The curve is sampled evenly and geometrically, so that its shape near 0
    shows either way. It goes to the browser in float64, not float32: the changes of f a line search judges are often
    below float32's seven digits of f. A trial far above φ(0) (more than CLIP times the dip below it) sits at the top
    edge as ▲, its φ on hover. The layout's meta holds the numbers drawn: k, search, c1, c2, phi0, slope0, alpha,
    curvature and band (the shaded α ranges).
    """
    it = iteration(result, k)
    ls, trials = it.search, it.trials
    searched = ls.search != "none"
    tried = trials["alpha"].to_numpy(dtype=float)
    largest, smallest = float(np.nanmax(tried)), float(np.nanmin(tried[tried > 0]))
    reach = largest * (BEYOND if searched else FIXED_BEYOND)
    log = largest >= LOG_SPAN * smallest if log_alpha is None else bool(log_alpha)
    first = smallest / LOG_ROOM  # the log axis's left end
    alphas = np.union1d(  # the trials on the curve exactly, and its shape near 0 resolved
        np.union1d(np.linspace(0.0, reach, PHI_POINTS), np.geomspace(first, reach, PHI_POINTS)), tried
    )
    phi, slope = phi_along(expr, it, alphas, params)
    phi0, slope0 = ls.phi0, ls.slope0
    at = {float(a): i for i, a in enumerate(alphas)}
    trial_slopes = np.array([slope[at[float(a)]] for a in tried])
    recorded = trials["slope"].to_numpy(dtype=float)
    trial_slopes = np.where(np.isfinite(recorded), recorded, trial_slopes)  # the search's own, where it has them
    trial_phi = trials["phi"].to_numpy(dtype=float)

    shown = (alphas <= largest) & ((alphas >= first) if log else True)
    low, high = _phi_range(phi[shown], trial_phi, phi0, trial_phi[trials["accepted"].to_numpy(dtype=bool)])
    axis = _Axis(log, (first if log else 0.0, reach), high - low)
    figure = go.Figure()
    band = _add_band(figure, ls, alphas, slope, axis, (low, high)) if ls.search == "strong wolfe" else []
    figure.add_trace(
        go.Scatter(
            x=alphas,
            y=phi,
            customdata=slope,
            mode="lines",
            name=f"φ(α) = f({iterate_name(k)} + α·p{_subscript(k)})",
            line={"color": "#444", "width": 2.2},
            hovertemplate="α = %{x:.4g}<br>φ(α) = %{y:.6g}<br>φ′(α) = %{customdata:.4g}<extra></extra>",
            meta="phi",
        )
    )
    if searched:
        line = alphas if log else np.array([0.0, reach])  # straight on a linear axis; a curve on a log one
        figure.add_trace(
            go.Scatter(
                x=line,
                y=ls.sufficient_decrease(line),
                mode="lines",
                name="sufficient decrease (Armijo): φ(0) + c₁αφ′(0)",
                line={"color": ARMIJO_COLOUR, "width": 2, "dash": "dash"},
                hovertemplate=f"φ(0) + c₁αφ′(0), c₁ = {number(ls.c1)}<br>a step is accepted on or under it"
                "<extra></extra>",
                meta="armijo",
            )
        )
    if math.isfinite(ls.curvature):
        _add_model(figure, ls, alphas)
    if ls.search == "strong wolfe":
        _add_tangents(figure, ls, tried, trial_phi, trial_slopes, axis)
    _add_trials(figure, it, tried, trial_phi, trial_slopes, (low, high))
    start = f"α = 0: {iterate_name(k)}, where the step starts"
    hover = f"α = 0<br>φ(0) = {number(phi0)}<br>φ′(0) = {number(slope0)}<extra></extra>"
    if log:  # no α = 0 on a log axis: φ(0) as a level line
        figure.add_trace(
            go.Scatter(
                x=[first, reach],
                y=[phi0, phi0],
                mode="lines",
                name=f"φ(0), at {iterate_name(k)} (α = 0 is off a log axis)",
                line={"color": "#111", "width": 1, "dash": "dot"},
                hovertemplate=hover,
                meta="start",
            )
        )
    else:
        figure.add_trace(
            go.Scatter(
                x=[0.0],
                y=[phi0],
                mode="markers",
                name=start,
                marker={"symbol": "circle-open", "size": 11, "color": "#111", "line": {"width": 2.5}},
                hovertemplate=hover,
                meta="start",
            )
        )
    # Two lines (Plotly does not wrap a title): the second, the search, would run off a phone's screen after the first
    title = f"Iteration {k}: φ along the {it.kind}<br><sup>{_search_title(ls, it)}</sup>"
    if _within_rounding(phi, phi0):
        title += "<br><sup>f changes along this step by about its rounding: the wiggles are rounding, not f</sup>"
    x_axis = {"title": {"text": "step α" + (" (log scale)" if log else "")}, "zeroline": False}
    x_axis |= (
        {"type": "log", "range": [math.log10(first), math.log10(reach)]} if log else {"range": [-0.02 * reach, reach]}
    )
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 14}},
        height=height,
        margin={"l": 10, "r": 10, "t": 80, "b": LEGEND_MARGIN + 40},
        legend=PHI_LEGEND,
        hovermode="closest",
        xaxis=x_axis,
        yaxis={"title": {"text": "φ(α)"}, "range": [low, high], "exponentformat": "power"},  # 4×10⁻¹⁵, not "4f"
        meta={
            "k": k,
            "search": ls.search,
            "c1": ls.c1,
            "c2": ls.c2,
            "phi0": phi0,
            "slope0": slope0,
            "alpha": ls.alpha,
            "curvature": ls.curvature,
            "band": band,
            "log_alpha": log,
        },
    )
    return figure


@dataclass(frozen=True)
class _Axis:
    """The α axis as drawn: linear or log, its range in α, and the φ axis's span (for lengths on screen)."""

    log: bool
    alphas: tuple[float, float]
    height: float

    def to_screen(self, alpha: float) -> float:
        """α as a position along the axis, in the axis's own units (α, or log₁₀α)."""
        return math.log10(alpha) if self.log else alpha

    def from_screen(self, u: np.ndarray) -> np.ndarray:
        return 10.0**u if self.log else u

    @property
    def width(self) -> float:
        return self.to_screen(self.alphas[1]) - self.to_screen(self.alphas[0])


def _search_title(ls: LineSearch, it: Iteration) -> str:
    if ls.search == "backtracking":
        return f"backtracking (Armijo), c₁ = {number(ls.c1)}"
    if ls.search == "strong wolfe":
        return f"strong Wolfe, c₁ = {number(ls.c1)}, c₂ = {number(ls.c2)}"
    if it.method == "gradient-descent":
        return f"no line search: the fixed step α = lr = {number(ls.alpha)}"
    return f"no line search: the full step α = {number(ls.alpha)}, whatever φ is there"


def _within_rounding(phi: np.ndarray, phi0: float) -> bool:
    finite = phi[np.isfinite(phi)]
    return finite.size > 1 and float(finite.max() - finite.min()) <= WIGGLE * float(np.finfo(float).eps) * abs(phi0)


def _phi_range(curve: np.ndarray, trial_phi: np.ndarray, phi0: float, taken: np.ndarray) -> tuple[float, float]:
    """The φ axis: φ(0), the curve up to the largest trial and the trials, except that it reaches at most CLIP times
    φ's dip below φ(0) above φ(0) (a trial that overshot by a factor of a thousand would flatten the rest), yet
    always the step taken (`taken`: its φ); padded."""
    values = np.concatenate([curve, trial_phi, [phi0]])
    values = values[np.isfinite(values)]
    bottom, top = float(values.min()), float(values.max())
    dip = phi0 - bottom
    if dip > 0:
        top = min(top, max(phi0 + CLIP * dip, *taken[np.isfinite(taken)].tolist()))
    span = top - bottom or max(abs(phi0), 1.0) * 1e-3
    return bottom - PAD * span, top + PAD * span


def _add_band(
    figure: go.Figure, ls: LineSearch, alphas: np.ndarray, slope: np.ndarray, axis: _Axis, y_range: tuple[float, float]
) -> list[list[float]]:
    """The α ranges where the curvature condition holds, |φ′(α)| ≤ c₂|φ′(0)| (N&W eq. 3.7b), shaded: found on the
    curve's grid from the exact slope, each range's ends where |φ′| crosses the bound between grid points (linear
    interpolation), so that a range holds every grid point inside it. Returns the ranges."""
    bound, (low, high) = ls.curvature_band()[1], y_range
    excess = np.abs(slope) - bound  # ≤ 0 inside
    inside = np.isfinite(excess) & (excess <= 0)
    ranges = []
    i, n = 0, len(alphas)
    while i < n:
        if not inside[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and inside[j + 1]:
            j += 1
        left = _crossing(alphas, excess, i - 1, i) if i > 0 else float(alphas[0])
        right = _crossing(alphas, excess, j, j + 1) if j + 1 < n else float(alphas[-1])
        ranges.append([left, right])
        i = j + 1
    xs: list[float] = []
    ys: list[float] = []
    for left, right in ranges:  # each a rectangle across the φ axis, NaN between them
        if axis.log:
            left = max(left, axis.alphas[0])
        if right > left:
            xs += [left, right, right, left, left, math.nan]
            ys += [low, low, high, high, low, math.nan]
    if xs:
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=BAND_COLOUR,
                line={"width": 0},
                name="curvature condition |φ′(α)| ≤ c₂|φ′(0)|",
                hoverinfo="skip",
                meta="band",
            )
        )
    return ranges


def _crossing(alphas: np.ndarray, excess: np.ndarray, i: int, j: int) -> float:
    """Where the excess crosses 0 between grid points i and j (one in the band, one not); the outer point where the
    other is undefined."""
    a, b = float(excess[i]), float(excess[j])
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return float(alphas[j] if math.isfinite(b) and b <= 0 else alphas[i])
    t = a / (a - b)
    return float(alphas[i] + t * (alphas[j] - alphas[i]))


def _add_model(figure: go.Figure, ls: LineSearch, alphas: np.ndarray) -> None:
    """Newton's quadratic model along p, m(α) = φ(0) + αφ′(0) + ½α²·pᵀ∇²f p, and its minimum where pᵀ∇²f p > 0."""
    figure.add_trace(
        go.Scatter(
            x=alphas,
            y=ls.model(alphas),
            mode="lines",
            name="Newton's model: φ(0) + αφ′(0) + ½α²·pᵀ∇²f p",
            line={"color": RECORDS["newton"].colour, "width": 1.8, "dash": "dot"},
            hovertemplate=f"Newton's quadratic model, pᵀ∇²f p = {number(ls.curvature)}<br>"
            "α = %{x:.4g}, m(α) = %{y:.6g}<extra></extra>",
            meta="model",
        )
    )
    if ls.curvature > 0:
        best = -ls.slope0 / ls.curvature
        figure.add_trace(
            go.Scatter(
                x=[best],
                y=[float(ls.model(best))],
                mode="markers",
                name="the model's minimum",
                marker={"symbol": "diamond-open", "size": 10, "color": RECORDS["newton"].colour, "line": {"width": 2}},
                hovertemplate=f"the model's minimum, α = {number(best)}<extra></extra>",
                meta="model minimum",
            )
        )


def _add_tangents(
    figure: go.Figure,
    ls: LineSearch,
    tried: np.ndarray,
    trial_phi: np.ndarray,
    trial_slopes: np.ndarray,
    axis: _Axis,
) -> None:
    """A short tangent of slope φ′(α) at each trial (about TANGENT long on screen, whatever its slope; on a log axis
    a few points of the line, which bends there), green where it lies in the curvature condition's band, pink where
    too steep; and on a linear axis the tangent at α = 0, whose slope the band is measured by."""
    bound = ls.curvature_band()[1]
    groups: dict[str, list[tuple[float, float, float]]] = {"within": [], "steep": []}
    for a, value, s in zip(tried, trial_phi, trial_slopes, strict=True):
        if math.isfinite(value) and math.isfinite(s) and a > 0:
            groups["within" if abs(s) <= bound else "steep"].append((float(a), float(value), float(s)))
    words = {
        "within": ("slope at a trial: |φ′(α)| ≤ c₂|φ′(0)|", ACCEPTED_COLOUR),
        "steep": ("slope at a trial: too steep, |φ′(α)| > c₂|φ′(0)|", STEEP_COLOUR),
        "start": ("slope at α = 0: φ′(0)", "#111"),
    }
    if not axis.log:
        groups["start"] = [(0.0, ls.phi0, ls.slope0)]
    for key, segments in groups.items():
        if not segments:
            continue
        xs: list[float] = []
        ys: list[float] = []
        for a, value, s in segments:
            rate = a * math.log(10) if axis.log else 1.0  # dα per unit along the axis, at a
            half = TANGENT / 2 / math.hypot(1 / axis.width, s * rate / axis.height)  # on screen: TANGENT long
            u = axis.to_screen(a) + np.linspace(
                0.0 if key == "start" else -half, 2 * half if key == "start" else half, 7
            )
            line = axis.from_screen(u)
            xs += [*line.tolist(), math.nan]
            ys += [*(value + s * (line - a)).tolist(), math.nan]
        name, colour = words[key]
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=name,
                line={"color": colour, "width": 3 if key != "start" else 1.5},
                hoverinfo="skip",
                meta=f"tangents {key}",
            )
        )


def _conditions(ls: LineSearch, alpha: float, value: float, slope: float) -> list[str]:
    """Which of the line search's conditions a trial met, in words."""
    if ls.search == "none":
        return []
    line = float(ls.sufficient_decrease(alpha))
    armijo = math.isfinite(value) and value <= line
    said = [f"Armijo {'✓' if armijo else '✗'}: φ {'≤' if armijo else '>'} {number(line)}"]
    if ls.search == "strong wolfe" and math.isfinite(slope):
        bound = ls.curvature_band()[1]
        curved = abs(slope) <= bound
        said.append(f"curvature {'✓' if curved else '✗'}: |φ′| {'≤' if curved else '>'} {number(bound)}")
    return said


def _add_trials(
    figure: go.Figure,
    it: Iteration,
    tried: np.ndarray,
    trial_phi: np.ndarray,
    trial_slopes: np.ndarray,
    y_range: tuple[float, float],
) -> None:
    """The trial steps on φ: accepted filled, rejected open and grey, each numbered in the order tried; a trial above
    the axis at its top, as ▲."""
    ls, trials = it.search, it.trials
    accepted = trials["accepted"].to_numpy(dtype=bool)
    top = y_range[1]
    for taken in (False, True):
        rows = np.flatnonzero(accepted == taken)
        if not len(rows):
            continue
        y = trial_phi[rows]
        above = np.isfinite(y) & (y > top)
        hover = []
        for i in rows:
            said = [
                f"trial {i + 1}: α = {number(tried[i])}",
                f"φ(α) = {number(trial_phi[i])} (φ(0) {_change(trial_phi[i] - ls.phi0, ls.phi0)})",
                f"φ′(α) = {number(trial_slopes[i])}"
                + (" (backtracking does not use it)" if ls.search == "backtracking" else ""),
                *_conditions(ls, float(tried[i]), float(trial_phi[i]), float(trial_slopes[i])),
                ("accepted: the step taken" if ls.search != "none" else "the step taken") if taken else "rejected",
            ]
            hover.append("<br>".join(said))
        symbols = np.where(above, "triangle-up" if taken else "triangle-up-open", "circle" if taken else "circle-open")
        figure.add_trace(
            go.Scatter(
                x=tried[rows],
                y=np.where(above, top, y),
                customdata=np.column_stack([y, trial_slopes[rows]]),
                mode="markers+text",
                text=[str(i + 1) for i in rows] if ls.search != "none" else None,
                textposition="top center",
                textfont={"size": 11, "color": ACCEPTED_COLOUR if taken else REJECTED_COLOUR},
                cliponaxis=False,
                name=("step accepted" if ls.search != "none" else "the step taken")
                if taken
                else "trial rejected (numbered in the order tried)",
                marker={
                    "symbol": list(symbols),
                    "size": 13 if taken else 11,
                    "color": ACCEPTED_COLOUR if taken else REJECTED_COLOUR,
                    "line": {"width": 1.5 if taken else 2, "color": "white" if taken else REJECTED_COLOUR},
                },
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                meta="accepted" if taken else "rejected",
            )
        )


def _rejections(ls: LineSearch, rejected: Any) -> list[tuple[str, list[str]]]:
    """The trials tried before the accepted one, grouped in runs by why they were turned down: above the
    sufficient-decrease line; or, for the strong Wolfe search, too steep (still falling fast: a longer step is tried;
    or rising: the search zooms back)."""
    groups: list[tuple[str, list[str]]] = []
    bound = ls.curvature_band()[1]
    for alpha, value, slope in zip(rejected["alpha"], rejected["phi"], rejected["slope"], strict=True):
        if not math.isfinite(value):
            why = "where f is undefined"
        elif value > float(ls.sufficient_decrease(alpha)):
            why = "ended above the sufficient-decrease line"
        elif ls.search == "strong wolfe" and math.isfinite(slope) and abs(slope) > bound:
            why = "were too steep, f still falling fast" if slope < 0 else "were too steep, f rising again"
        else:
            why = "were passed over by the search"
        if groups and groups[-1][0] == why:
            groups[-1][1].append(number(float(alpha)))
        else:
            groups.append((why, [number(float(alpha))]))
    return [(why if len(steps) > 1 else why.replace("were", "was"), steps) for why, steps in groups]


def _change(delta: float, scale: float) -> str:
    """A change of f from φ(0) in words: + or −, or 'within rounding'."""
    if not math.isfinite(delta):
        return "undefined"
    if abs(delta) <= NOISE * abs(scale):
        return "± its rounding"
    return f"{'+' if delta > 0 else '−'} {number(abs(delta))}"


# ---------------------------------------------------------------------------------------------------------------------
# The iteration on the contour map


def iteration_overlay(
    figure: go.Figure,
    result: MinimizeResult,
    k: int,
    variables: Sequence[str] = ("x", "y"),
    expr: Expression | str | None = None,
    params: Mapping[str, float] | None = None,
) -> go.Figure:
    """Iteration k drawn on a contour map of f in two variables (the optimisation page's map): the iterate x_{k−1},
    the arrow −∇f there (ARROW long on screen, whatever |∇f|), the method's direction p_k (named as the method's
    kind: "Newton step", "L-BFGS direction" …; at its own length where that is readable, TRUE_LENGTH, else
    DIRECTION_ARROW long), the line x_{k−1} + α·p out to the farthest trial, and the trial points on it as on the φ
    chart (accepted filled, rejected open and numbered). For Newton's methods, given `expr`, the quadratic model
    q(d) = f + ∇fᵀd + ½dᵀ∇²f d around x_{k−1} (∇²f from derivlib.partials there) as a few dotted contours, q_min +
    t·(f − q_min) for t in MODEL_LEVELS (t = 1 through x_{k−1}), and its minimum. `variables` name the map's x and y
    axes: two of the run's variables. With more than two, the map is a slice through x_{k−1} across them: the
    vectors, the line and the trials are projected onto it, and the model is its slice (its lowest point in the
    plane, not where the full Newton step lands), and the legend says so. Points go as float64 (a few); the model's
    grid as float32. Returns the figure."""
    it = iteration(result, k)
    names = tuple(variables)
    if len(names) != 2 or len(set(names)) != 2 or not set(names) <= set(it.variables):
        raise ValueError(f"the map's variables must be two of the run's, {it.variables}, not {tuple(variables)!r}")
    order = [it.variables.index(name) for name in names]
    projected = f" (projected onto the {names[0]}–{names[1]} plane)" if len(it.variables) > 2 else ""
    x, g, p = it.x[order], it.g[order], it.p[order]
    alphas = it.trials["alpha"].to_numpy(dtype=float)
    points = x[None, :] + alphas[:, None] * p[None, :]
    ranges = _map_ranges(figure, np.vstack([x, points]))
    sx, sy, _ = screen_scale(*ranges)

    def on_screen(v: np.ndarray) -> float:
        return math.hypot(float(v[0]) * sx, float(v[1]) * sy)

    def readable(v: np.ndarray, length: float = ARROW) -> np.ndarray:
        return v * (length / on_screen(v)) if on_screen(v) > 0 else v

    if expr is not None and it.method in RECORDS and RECORDS[it.method].hessian:
        _add_quadratic_model(figure, expr, it, names, params, ranges)

    far = float(np.nanmax(alphas))
    figure.add_trace(
        go.Scatter(
            x=[x[0], x[0] + far * p[0]],
            y=[x[1], x[1] + far * p[1]],
            mode="lines",
            name="the line searched, x + αp" + (" (projected)" if projected else ""),
            line={"color": _colour(it.method), "width": 1.2, "dash": "dash"},
            hoverinfo="skip",
            meta=SEARCH_LINE,
        )
    )
    descent = readable(-g)
    length = on_screen(p)
    true_length = TRUE_LENGTH[0] <= length <= TRUE_LENGTH[1]
    drawn = p if true_length else readable(p, DIRECTION_ARROW)
    p_words = f"{it.kind} p{_subscript(k)}, ‖p‖ = {number(float(np.linalg.norm(it.p)))}"
    p_words += (", drawn at its length" if true_length else ", drawn to a readable length") + projected
    g_words = f"−∇f at {iterate_name(k)}, |∇f| = {number(float(np.linalg.norm(it.g)))}, drawn to a readable length"
    g_words += projected
    for vector, name, colour, meta, words in (
        (descent, "−∇f", GRADIENT_COLOUR, DESCENT, g_words),
        (drawn, it.kind, _colour(it.method), DIRECTION, p_words),
    ):
        _add_arrow(figure, x, vector, name, colour, meta, words)
    _add_map_trials(figure, it, points, x)
    figure.add_trace(
        go.Scatter(
            x=[x[0]],
            y=[x[1]],
            mode="markers",
            name=f"{iterate_name(k)}, iteration {k}'s start",
            marker={"symbol": "circle-open", "size": 15, "color": "#111", "line": {"width": 3}},
            hovertemplate=f"{iterate_name(k)}: {names[0]} = {number(x[0])}, {names[1]} = {number(x[1])}<br>"
            f"f = {number(it.search.phi0)}<extra></extra>",
            meta=ITERATE,
        )
    )
    return figure


def _colour(method: str) -> str:
    return RECORDS[method].colour if method in RECORDS else "#444"


def _map_ranges(figure: go.Figure, points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """The map's axis ranges, or, for a figure without its own, the points' (padded; a point alone, ±1 around it)."""
    xr, yr = figure.layout.xaxis.range, figure.layout.yaxis.range
    if xr is not None and yr is not None:
        return (float(xr[0]), float(xr[1])), (float(yr[0]), float(yr[1]))
    finite = points[np.all(np.isfinite(points), axis=1)]
    low, high = finite.min(axis=0), finite.max(axis=0)
    span = max(float(np.max(high - low)), 1e-300) if np.any(high > low) else 1.0
    return (float(low[0] - span / 2), float(high[0] + span / 2)), (float(low[1] - span / 2), float(high[1] + span / 2))


def _add_arrow(
    figure: go.Figure, at: np.ndarray, vector: np.ndarray, name: str, colour: str, meta: str, words: str
) -> None:
    """An arrow from `at` along `vector`, over a pale halo, named at its tip."""
    xs, ys = [at[0], at[0] + vector[0]], [at[1], at[1] + vector[1]]
    figure.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="lines", line={"color": HALO, "width": 6}, hoverinfo="skip", showlegend=False, meta="halo"
        )
    )
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers+text",
            name=name,
            line={"color": colour, "width": 3},
            marker={"symbol": "arrow", "angleref": "previous", "size": [0, 16], "color": colour},
            text=["", name],
            textposition="top right",
            textfont={"size": 12, "color": colour, "shadow": "0 0 2px white, 0 0 3px white, 0 0 4px white"},
            hovertext=[words, words],
            hovertemplate="%{hovertext}<extra></extra>",
            meta=meta,
        )
    )


def _add_map_trials(figure: go.Figure, it: Iteration, points: np.ndarray, x: np.ndarray) -> None:
    """The trial points x_{k−1} + α·p on the map, as on the φ chart."""
    trials = it.trials
    accepted = trials["accepted"].to_numpy(dtype=bool)
    for taken in (False, True):
        rows = np.flatnonzero(accepted == taken)
        if not len(rows):
            continue
        hover = [
            f"trial {i + 1}: α = {number(float(trials['alpha'].iloc[i]))}, f = {number(float(trials['phi'].iloc[i]))}"
            + ("<br>accepted: the next iterate" if taken else "<br>rejected")
            for i in rows
        ]
        figure.add_trace(
            go.Scatter(
                x=points[rows, 0],
                y=points[rows, 1],
                mode="markers+text",
                text=[str(i + 1) for i in rows] if it.search.search != "none" else None,
                textposition="bottom center",
                textfont={"size": 11, "color": "#111", "shadow": "0 0 2px white, 0 0 3px white"},
                name="step accepted" if taken else "trial rejected",
                marker={
                    "symbol": "circle" if taken else "circle-open",
                    "size": 12 if taken else 10,
                    "color": ACCEPTED_COLOUR if taken else REJECTED_COLOUR,
                    "line": {"width": 1.5 if taken else 2, "color": "white" if taken else REJECTED_COLOUR},
                },
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                meta=f"{TRIALS} {'accepted' if taken else 'rejected'}",
            )
        )


def quadratic_model(
    expr: Expression | str, it: Iteration, params: Mapping[str, float] | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Newton's quadratic model at x_{k−1}: f, ∇f and ∇²f there from derivlib.partials (rows and columns in the run's
    variables' order), q(d) = f + ∇fᵀd + ½dᵀ∇²f d."""
    n = len(it.variables)
    found = partials(
        _expression(expr, it.variables), {name: [it.x[i]] for i, name in enumerate(it.variables)}, params=params
    )
    values = [float(found[name][0]) for name in partial_names(it.variables, 2)]
    hessian = np.empty((n, n))
    at = n + 1
    for i in range(n):  # partial_names' order at order 2: (i, j) with i ≤ j, row by row
        for j in range(i, n):
            hessian[i, j] = hessian[j, i] = values[at]
            at += 1
    return values[0], np.array(values[1 : n + 1]), hessian


def _add_quadratic_model(
    figure: go.Figure,
    expr: Expression | str,
    it: Iteration,
    names: tuple[str, str],
    params: Mapping[str, float] | None,
    ranges: tuple[tuple[float, float], tuple[float, float]],
) -> None:
    """Newton's quadratic model around x_{k−1} as dotted contours over a pale halo, and its minimum where ∇²f is
    positive definite. There its levels are ellipses about the minimum, and the grid is the box around the largest
    one, (d − s)ᵀ∇²f(d − s) = 2t·(f − q_min) reaching sqrt(2t·(f − q_min)·(∇²f)⁻¹_ii) along axis i; elsewhere a
    square MODEL_SQUARE on screen about x_{k−1}; either cut to the map's ranges."""
    f, g, h = quadratic_model(expr, it, params)
    order = [it.variables.index(name) for name in names]
    g, h, x = g[order], h[np.ix_(order, order)], it.x[order]
    sx, sy, _ = screen_scale(*ranges)
    positive = bool(np.all(np.isfinite(h))) and bool(np.all(np.linalg.eigvalsh(h) > 0))
    step = -np.linalg.solve(h, g) if positive else None
    if step is not None:
        lowest = f + 0.5 * float(g @ step)
        start, end, size = (lowest + t * (f - lowest) for t in MODEL_LEVELS)
        size -= lowest
        centre = x + step
        half = MODEL_ROOM * np.sqrt(2 * MODEL_LEVELS[1] * (f - lowest) * np.diag(np.linalg.inv(h)))
    else:  # no minimum: levels evenly about f, the middle one through x_{k−1}
        centre, half = x, np.array([MODEL_SQUARE / sx, MODEL_SQUARE / sy])
    axes = []
    for i, (low, high) in enumerate(ranges):
        a, b = max(centre[i] - half[i], low), min(centre[i] + half[i], high)
        axes.append(np.linspace(a, b, MODEL_AXIS) if b > a else np.array([centre[i]]))
    u, v = axes
    du, dv = np.meshgrid(u - x[0], v - x[1])
    q = f + g[0] * du + g[1] * dv + 0.5 * (h[0, 0] * du * du + 2 * h[0, 1] * du * dv + h[1, 1] * dv * dv)
    if step is None:
        spread = float(np.nanmax(q) - np.nanmin(q)) if np.isfinite(q).any() else 0.0
        size = spread / 8 or 1.0
        start, end = f - 3 * size, f + 3 * size
    colour = RECORDS["newton"].colour
    for line, extra in (
        ({"width": 3.5, "color": HALO}, {"showlegend": False, "meta": f"{MODEL} halo"}),
        ({"width": 1.6, "dash": "dot"}, {"showlegend": True, "meta": MODEL, "name": "Newton's quadratic model"}),
    ):
        figure.add_trace(
            go.Contour(
                x=for_browser(u),
                y=for_browser(v),
                z=for_browser(q),
                contours={"coloring": "lines", "start": start, "end": end, "size": size, "showlabels": False},
                autocontour=False,
                colorscale=[[0, line.get("color", colour)], [1, line.get("color", colour)]],
                showscale=False,
                line=line,
                hoverinfo="skip",
                **extra,
            )
        )
    if step is None:
        return
    figure.add_trace(
        go.Scatter(
            x=[centre[0]],
            y=[centre[1]],
            mode="markers",
            name="the model's minimum" if len(it.variables) == 2 else "the model's lowest point in this plane",
            marker={"symbol": "diamond-open", "size": 11, "color": colour, "line": {"width": 2}},
            hovertemplate=f"the model's minimum, {iterate_name(it.k)} − (∇²f)⁻¹∇f: where the full Newton step "
            "lands<extra></extra>"
            if len(it.variables) == 2
            else "the lowest point of the model's slice through the iterate: the full Newton step, in all the "
            "variables, lands elsewhere<extra></extra>",
            meta=f"{MODEL} minimum",
        )
    )


# ---------------------------------------------------------------------------------------------------------------------
# The iteration in words


def iteration_words(result: MinimizeResult, k: int) -> str:
    """Iteration k in a sentence or two: the direction, the step taken, at which trial, and why the line search
    accepted it (the Armijo fall against the one required; the curvature condition's slopes).

    >>> from derivlib.optimize import minimize
    >>> result = minimize("(1 - x)^2 + 100(y - x^2)^2", {"x": -1.2, "y": 1.0}, method="newton")
    >>> print(iteration_words(result, 2))  # doctest: +NORMALIZE_WHITESPACE
    Iteration 2: Newton step, α = 0.125 accepted at the fourth trial, after α = 1, 0.5, 0.25 ended above the
    sufficient-decrease line. Armijo: f fell by 0.6445, at least the required c₁·α·|φ′(0)| = 0.0001 × 0.125 × 8.433
    = 0.0001054.
    """
    it = iteration(result, k)
    ls, trials = it.search, it.trials
    phi0, alpha = ls.phi0, ls.alpha
    if ls.search == "none":
        fixed = "the fixed step α = lr = " if it.method == "gradient-descent" else "the full step α = "
        change = it.f_next - phi0
        went = (
            "f stayed within its rounding"
            if abs(change) <= NOISE * abs(phi0)
            else f"f {'fell' if change < 0 else 'rose'} from {number(phi0)} to {number(it.f_next)}"
        )
        checked = "" if change < 0 else ": nothing checks it"
        return f"Iteration {k}: {it.kind}, {fixed}{number(alpha)} with no line search; {went}{checked}."
    accepted = np.flatnonzero(trials["accepted"].to_numpy(dtype=bool))
    place = int(accepted[0]) if len(accepted) else len(trials) - 1
    where = ORDINALS[place] if place < len(ORDINALS) else f"{place + 1}th"
    said = f"Iteration {k}: {it.kind}, α = {number(alpha)} accepted at the {where} trial"
    rejected = _rejections(ls, trials.iloc[:place])
    if rejected:
        said += ", after " + "; ".join(f"α = {', '.join(steps)} {why}" for why, steps in rejected)
    value = float(trials["phi"].iloc[place])
    fall = phi0 - value
    required = ls.c1 * alpha * abs(ls.slope0)
    armijo = (
        f"Armijo: f fell by {number(fall)}, at least the required c₁·α·|φ′(0)| = {number(ls.c1)} × {number(alpha)} "
        f"× {number(abs(ls.slope0))} = {number(required)}"
    )
    if abs(fall) <= NOISE * abs(phi0):  # the values cannot judge the step
        armijo = f"f changed by no more than its rounding (under {number(NOISE)}·|f|)"
        if value > float(ls.sufficient_decrease(alpha)):
            armijo += ": the search judged the step by its slope instead (approximate Wolfe, Hager–Zhang)"
        else:
            armijo += ", so Armijo holds only as far as rounding can tell"
    said += f". {armijo}"
    slope = float(trials["slope"].iloc[place])
    if ls.search == "strong wolfe" and math.isfinite(slope):
        bound = ls.curvature_band()[1]
        if abs(slope) <= bound:
            said += (
                f"; curvature: |φ′(α)| = {number(abs(slope))} ≤ c₂|φ′(0)| = {number(ls.c2)} × "
                f"{number(abs(ls.slope0))} = {number(bound)}"
            )
        else:
            said += (
                f"; curvature not met, |φ′(α)| = {number(abs(slope))} > c₂|φ′(0)| = {number(bound)}: the search's "
                "bracket shrank to a point and it took the best step it had"
            )
    return said + "."
