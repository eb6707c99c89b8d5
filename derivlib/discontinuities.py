"""Where f or one of its derivatives is not continuous: jumps, corners and cusps, holes; and the limits on each side.

A grid shows a discontinuity of a derivative g (f itself, f′, …) as a step between two neighbours that g's slope
beside them does not explain (`steps`). Bisection on g itself, exact at every midpoint, then keeps the half that
holds the step, down to a few ulps (`jumps`): a step that shrinks with its interval was a steep but continuous
stretch (tanh(10⁵x), sin(1/x) near 0), one that stays is a jump. Where f is undefined at a single point (0/0, a
function at the edge of its domain) the limits on either side (`limits`) say what the point is: equal, a hole;
different, a jump; infinite, a pole; none, an oscillation. The formula itself points at those single points
(`undefined_points`): zeros of its denominators and of the arguments of functions undefined at 0, since a grid sees
them only by chance.

>>> import numpy as np
>>> left, right = limits("(x^2 - 1)/(x - 1)", np.array([1.0]), 0, spacing=1e-3)
>>> left.tolist(), right.tolist()
([2.0], [2.0])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from .engine import derivatives
from .functions import FUNCTIONS
from .rounding import SAFETY, pointwise_errors, simplest_between
from .tree import Binary, Call, Expression, Node, Number, Variable, walk

ITERATIONS = 100  # bisection steps; halving a grid interval to one ulp takes about 60
KEPT = 0.5  # a step is a jump if at least this share of what the slope left unexplained stays to the last ulps
UNEXPLAINED = 0.25  # a step is a candidate where the slope explains less than this share of it …
OUTLIER = 10.0  # … or where what it leaves unexplained is this many times what it leaves at the neighbours
SIGNIFICANT = 1e-7  # steps (and what the slope leaves of them) smaller than this share of g's spread are not looked at
POLE = 1e6  # a step whose sides reach this many times g's spread is the approach to a pole, not a jump
RELATIVE = 1e-12  # a step smaller than this share of |g| on either side of it is rounding, not a jump
LIMIT_DISTANCES = (1e-1, 1e-2, 1e-3)  # in grid spacings: where one-sided limits are taken from, outwards in
SETTLED = 1e-9  # relative to max(1, |limit|): Taylor-carried limits from two distances that agree this well settled
GROWTH = 10.0  # |g′|·distance up to this many times |g|: g may grow towards a point without bound (not oscillate)
LOOSE = 1e-3  # … and plain values a little off the point that agree this well still give a limit (x·sin(1/x) at 0)
CHUNK = 1 << 15  # grid intervals looked at together by `steps` (a few hundred kB of arrays: within the cache)
MAX_SUBTREES = 16  # parts of a formula whose zeros are looked for (denominators, arguments of log …)
_WHOLE = range(1, 2**53)  # exponents under which a base of 0 is 0, not undefined


def value(expr: Expression, x: np.ndarray, row: int, params: Mapping[str, float] | None) -> np.ndarray:
    """One derivative (0: f) at the points x, in float64."""
    if len(x) == 0:
        return np.empty(0)
    return derivatives(expr, x, order=row, params=params).numpy()[row]


def steps(x: np.ndarray, g: np.ndarray, slope: np.ndarray | None, errors: np.ndarray) -> np.ndarray:
    """The grid intervals [x_i, x_{i+1}] (their i) where g changes by more than its slope explains: by the trapezoid
    rule, g's change is the spacing times the mean slope at the ends, up to a small error that varies smoothly from
    one interval to the next; a jump leaves most of its change unexplained, or far more than the neighbours do.
    Without a slope (the highest derivative computed), an increment far larger than both neighbours' counts.
    Intervals with an end where g is NaN or ±inf are for the undefined points' own search.

    A step must leave more than SIGNIFICANT of g's spread unexplained, which a million-point grid's smooth intervals
    never do: that is looked at over the whole grid in a few passes, the rest only where it holds (a chart's redraw
    waits for this)."""
    if len(g) < 2:
        return np.empty(0, dtype=np.int64)
    threshold = SIGNIFICANT * spread(g)
    i = _worth_a_look(x, g, slope, threshold)
    if len(i) == 0:
        return i
    change = g[i + 1] - g[i]
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(g[i]) & np.isfinite(g[i + 1])
        unexplained = _unexplained(x, g, slope, i)
        last = len(g) - 2
        before = np.where(i > 0, _unexplained(x, g, slope, np.maximum(i - 1, 0)), np.nan if slope is None else 0.0)
        after = np.where(i < last, _unexplained(x, g, slope, np.minimum(i + 1, last)), np.nan if slope is None else 0.0)
        if slope is None:  # (an end has no neighbour there: any increment of its own counts)
            neighbours = np.maximum(np.where(i > 0, before, np.inf), np.where(i < last, after, np.inf))
            candidate = unexplained > OUTLIER * np.where(np.isfinite(neighbours), neighbours, 0.0)
        else:
            around = np.maximum(before, after)
            around = np.where(np.isfinite(around), around, np.inf)
            candidate = (unexplained > UNEXPLAINED * np.abs(change)) | (unexplained > OUTLIER * around)
        # (the smaller end's error: next to a jump, nudging x crosses it, and the estimate there is the jump itself)
        noise = SAFETY * np.minimum(errors[i], errors[i + 1])
        # … and larger than a few thousand ulps of g itself: a change of f′ = 1 by one ulp is rounding, not a jump
        floor = RELATIVE * np.maximum(np.abs(g[i]), np.abs(g[i + 1]))
        significant = np.minimum(np.abs(change), unexplained) > np.maximum(np.maximum(threshold, noise), floor)
    return i[finite & candidate & significant]


def _worth_a_look(x: np.ndarray, g: np.ndarray, slope: np.ndarray | None, threshold: float) -> np.ndarray:
    """The intervals that may hold a step: both g's change and what the trapezoid rule leaves of it above the
    threshold (without a slope: a change above it and above OUTLIER times both neighbours'), or not a number. In
    chunks that stay in the processor's cache: a million-point grid's smooth intervals are passed over in a few
    milliseconds."""
    found = []
    for start in range(0, len(g) - 1, CHUNK):
        stop = min(start + CHUNK, len(g) - 1)  # intervals start … stop - 1
        low, high = max(start - 1, 0), min(stop + 1, len(g) - 1)  # … and a neighbour on either side
        with np.errstate(invalid="ignore", over="ignore"):
            change = np.diff(g[low : high + 1])
            if slope is None:
                size = np.abs(change)
                neighbours = np.maximum(np.r_[np.inf, size[:-1]], np.r_[size[1:], np.inf])
                neighbours[~np.isfinite(neighbours)] = 0.0  # (as `steps` reads them: the grid's ends have none)
                keep = ~(size <= np.maximum(threshold, OUTLIER * neighbours))
            else:
                mean = (slope[low:high] + slope[low + 1 : high + 1]) / 2
                rough = np.minimum(np.abs(change), np.abs(change - np.diff(x[low : high + 1]) * mean))
                keep = ~(rough <= threshold)
        inside = np.flatnonzero(keep) + low
        found.append(inside[(inside >= start) & (inside < stop)])
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _unexplained(x: np.ndarray, g: np.ndarray, slope: np.ndarray | None, i: np.ndarray) -> np.ndarray:
    """What the slope leaves unexplained of g's change over the intervals i (all of it without a slope). A slope
    undefined at one end (a jump computed exactly at a grid point) leaves the other's."""
    change = g[i + 1] - g[i]
    if slope is None:
        return np.abs(change)
    left, right = slope[i], slope[i + 1]
    mean = np.where(
        np.isfinite(left) & np.isfinite(right),
        (left + right) / 2,
        np.where(np.isfinite(left), left, np.where(np.isfinite(right), right, 0.0)),
    )
    return np.abs(change - (x[i + 1] - x[i]) * mean)


def spread(g: np.ndarray) -> float:
    """How far g's values spread over most of the grid (the 5th to the 95th percentile of the finite ones): a scale
    that a pole's spike does not set."""
    sample = g[:: max(1, g.size // 100_000)]
    defined = sample[np.isfinite(sample)]
    if defined.size == 0:
        defined = g[np.isfinite(g)]  # (finite only between the sample's points)
    if defined.size == 0:
        return 0.0
    low, high = np.percentile(defined, [5, 95])
    return float(high - low) or float(np.max(np.abs(defined)))


@dataclass(frozen=True)
class Jumps:
    """Where a derivative jumps: the point (to a few ulps), and its values just left and right of it."""

    at: np.ndarray
    left: np.ndarray
    right: np.ndarray

    @staticmethod
    def none() -> Jumps:
        return Jumps(np.empty(0), np.empty(0), np.empty(0))


def jumps(
    expr: Expression,
    x: np.ndarray,
    g: np.ndarray,
    slope: np.ndarray | None,
    errors: np.ndarray,
    row: int,
    params: Mapping[str, float] | None,
    resolution: float,
    *,
    infinite: bool = False,
) -> tuple[Jumps, np.ndarray]:
    """The jumps of derivative `row` (values g, slopes `slope`, rounding errors `errors` on the grid x) between grid
    points, located by bisection to `resolution`; and the points where bisection met a point at which g is undefined
    (those are for `limits` to tell apart). `infinite` keeps a jump whose sides grow without bound (a cusp of f′);
    otherwise it is a pole, and left to the pole search."""
    i = steps(x, g, slope, errors)
    if len(i) == 0:
        return Jumps.none(), np.empty(0)
    a, b, ga, gb = x[i].copy(), x[i + 1].copy(), g[i].copy(), g[i + 1].copy()
    with np.errstate(invalid="ignore"):
        unexplained = _unexplained(x, g, slope, i)
    undefined = np.full(len(i), np.nan)
    for _ in range(ITERATIONS):
        live = np.flatnonzero((b - a > resolution) & np.isnan(undefined))
        if len(live) == 0:
            break
        middle = (a[live] + b[live]) / 2
        gm = value(expr, middle, row, params)
        met = np.isnan(gm)
        undefined[live[met]] = middle[met]
        with np.errstate(invalid="ignore"):
            into_left = np.abs(gm - ga[live]) >= np.abs(gb[live] - gm)  # the half with the larger change
        keep = ~met
        left, right = live[keep & into_left], live[keep & ~into_left]
        b[left], gb[left] = middle[keep & into_left], gm[keep & into_left]
        a[right], ga[right] = middle[keep & ~into_left], gm[keep & ~into_left]
    with np.errstate(invalid="ignore"):
        size = np.abs(gb - ga)
        bounded = np.maximum(np.abs(ga), np.abs(gb)) <= POLE * max(spread(g), np.finfo(float).tiny)
        step = np.minimum(unexplained, np.abs(g[i + 1] - g[i]))
        visible = size > RELATIVE * np.maximum(np.abs(ga), np.abs(gb))
        kept = np.isnan(undefined) & (size >= KEPT * step) & (bounded | infinite) & visible
    found = Jumps((a[kept] + b[kept]) / 2, ga[kept], gb[kept])
    return found, undefined[~np.isnan(undefined)]


def limits(
    expr: Expression | str,
    at: np.ndarray,
    row: int,
    *,
    spacing: float,
    params: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The limits of derivative `row` (0: f) at the points `at` from the left and from the right: NaN where there is
    none (sin(1/x) at 0), ±inf where it grows without bound on that side (1/x, the slope of x^(2/3) at 0).

    Each is g a little off the point (LIMIT_DISTANCES grid spacings, outwards in), carried to it by Taylor's formula
    with g′ and g″ there; two neighbouring distances must agree, within their rounding errors (which grow towards a
    0/0) and SETTLED, and the one with the smaller error is taken. Failing that: g itself at the two nearest
    distances, if they agree loosely (LOOSE: x·sin(1/x) → 0); or ±inf, where |g| grows with one sign at every step
    in, as fast as its slope says and no faster (an oscillation's slope is far larger than its values). A limit
    within rounding of a simpler number is that number: (x² − 1)/(x − 1) → 2, sin(x)/x → 1.
    """
    from .parse import parse

    expr = parse(expr) if isinstance(expr, str) else expr
    at = np.asarray(at, dtype=np.float64)
    distances = np.array(LIMIT_DISTANCES) * spacing
    found = []
    for side in (-1.0, 1.0):
        probes = at[None, :] + side * distances[:, None]
        values, errors = pointwise_errors(expr, probes.ravel(), order=row + 2, params=params)
        g, slope, curve = (r.reshape(probes.shape) for r in values[row:])
        h = at[None, :] - probes
        with np.errstate(invalid="ignore", over="ignore"):
            carried = g + h * slope + h * h / 2 * curve
            error = (
                errors[row].reshape(probes.shape)
                + np.abs(h) * errors[row + 1].reshape(probes.shape)
                + h * h / 2 * errors[row + 2].reshape(probes.shape)
            )
            found.append(
                np.array([_limit(carried[:, i], error[:, i], g[:, i], slope[:, i], distances) for i in range(len(at))])
            )
    return found[0], found[1]


def _limit(carried: np.ndarray, error: np.ndarray, g: np.ndarray, slope: np.ndarray, distances: np.ndarray) -> float:
    """The limit from one side, from g carried to the point with its error, g and its slope there (each by distance,
    outwards in); see `limits`."""
    limit = np.nan
    for far, near in zip(range(len(carried) - 1), range(1, len(carried)), strict=True):
        a, b = carried[far], carried[near]
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        scale = max(1.0, abs(a), abs(b))
        if abs(a - b) <= SAFETY * (error[far] + error[near]) + SETTLED * scale:
            best = far if error[far] <= error[near] else near
            limit, uncertainty = carried[best], max(abs(a - b), error[best])
            break
    else:
        if np.all(np.isfinite(g[-2:])) and abs(g[-1] - g[-2]) <= LOOSE * max(1.0, abs(g[-1])):
            limit, uncertainty = g[-1], float(np.max(np.abs(g - g[-1])))  # as far as any distance strays from it
        elif _diverges(g, slope, distances):
            return float(np.copysign(np.inf, g[-1]))
        else:
            return np.nan
    margin = 10 * uncertainty + 64 * np.finfo(float).eps * max(1.0, abs(limit))
    return simplest_between(limit - margin, limit + margin) + 0.0


def _diverges(g: np.ndarray, slope: np.ndarray, distances: np.ndarray) -> bool:
    """Whether g runs off to ±∞ towards the point: |g| growing at every step in, with one sign, and no faster than
    its slope allows (|g′|·distance within GROWTH of |g|: 1/x, log|x| and x^(-1/3) do, sin(1/x) does not)."""
    if np.all(np.isinf(g)) and np.all(np.sign(g) == np.sign(g[0])):
        return True
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(slope))) or g[0] == 0:
        return False
    with np.errstate(over="ignore"):
        return bool(
            np.all(np.sign(g) == np.sign(g[0]))
            and np.all(np.diff(np.abs(g)) > 0)
            and np.all(np.abs(slope) * distances <= GROWTH * np.abs(g))
        )


def undefined_points(
    expr: Expression,
    x: np.ndarray,
    f: np.ndarray,
    params: Mapping[str, float] | None,
    resolution: float,
) -> np.ndarray:
    """Single points where f is undefined (NaN or ±inf) among or between the grid points x (f: its values there).

    From the grid: a lone point where f is not finite between two where it is. From the formula: the zeros, on the
    grid's span, of every denominator, of every base of a power, and of every argument of a function undefined at 0
    (log, cot …), where f then is not finite: a grid sees (x² − 1)/(x − 1)'s hole at 1 only if 1 is one of its points.
    """
    lone = np.flatnonzero(~np.isfinite(f[1:-1]) & np.isfinite(f[:-2]) & np.isfinite(f[2:])) + 1
    found = [x[lone]]
    for part in _parts_undefined_at_zero(expr.tree)[:MAX_SUBTREES]:
        zeros = _zeros(Expression(part), x, params, resolution)
        if len(zeros):
            found.append(zeros[~np.isfinite(value(expr, zeros, 0, params))])
    points = np.unique(np.concatenate(found))
    if len(points) < 2:
        return points
    return points[np.r_[True, np.diff(points) > resolution]]


def _parts_undefined_at_zero(tree: Node) -> list[Node]:
    """The subtrees that depend on a variable and where a zero leaves f undefined: denominators, bases of powers that
    are not whole and positive, arguments of functions whose records say they are undefined at 0."""
    parts = []
    for node in walk(tree):
        match node:
            case Binary("/", _, denominator):
                parts.append(denominator)
            case Binary("^", base, exponent) if not (isinstance(exponent, Number) and exponent.value in _WHOLE):
                parts.append(base)
            case Call(function, (argument, *_)) if _undefined_at_zero(function):
                parts.append(argument)
    unique = list(dict.fromkeys(part for part in parts if any(isinstance(n, Variable) for n in walk(part))))
    return unique


def _undefined_at_zero(function: str) -> bool:
    """Whether the function's record says it is undefined at 0 (its first argument 0, the others 1)."""
    record = FUNCTIONS[function]
    arguments = [torch.tensor(0.0, dtype=torch.float64), *[torch.tensor(1.0, dtype=torch.float64)] * (record.arity - 1)]
    return any(bool(test(*arguments)) for test, _ in record.domain)


def _zeros(part: Expression, x: np.ndarray, params: Mapping[str, float] | None, resolution: float) -> np.ndarray:
    """The zeros of a part of the formula on the grid's span: where it is exactly 0 at a grid point, where it changes
    sign between two (bisected to `resolution`), and where |part| dips towards 0 without a sign change (x² at 0,
    followed down by golden-section search); each moved to the simplest number within `resolution` where the part is
    exactly 0 there (a grid rarely holds 0 or 1 exactly: its points are start + i·spacing, rounded)."""
    names = {name: params[name] for name in part.parameters} if params else None
    g = value(part, x, 0, names)
    exact = x[g == 0]
    with np.errstate(invalid="ignore"):
        i = np.flatnonzero(np.isfinite(g[:-1]) & np.isfinite(g[1:]) & (np.sign(g[:-1]) * np.sign(g[1:]) < 0))
        size = np.abs(g)
        dips = np.flatnonzero((size[1:-1] < size[:-2]) & (size[1:-1] < size[2:]) & (g[1:-1] != 0)) + 1
    a, b, ga = x[i].copy(), x[i + 1].copy(), g[i].copy()
    for _ in range(ITERATIONS):  # down to neighbouring floats: a 0/0 is undefined at one float only
        middle = (a + b) / 2
        live = (middle != a) & (middle != b)
        if not live.any():
            break
        gm = value(part, middle, 0, names)
        same = np.sign(gm) == np.sign(ga)
        a, ga = np.where(live & same, middle, a), np.where(live & same, gm, ga)
        b = np.where(live & ~same, middle, b)
    # The end of each bracket or its middle where the part is smallest (exactly 0 at one of them, where there is one).
    ends = np.stack([a, b, (a + b) / 2])
    crossing = ends[np.argmin(np.abs(value(part, ends.ravel(), 0, names).reshape(3, -1)), axis=0), np.arange(len(a))]
    with np.errstate(invalid="ignore"):  # a sign change across a pole or a jump is no zero
        crossing = crossing[np.abs(value(part, crossing, 0, names)) <= np.maximum(np.abs(g[i]), np.abs(g[i + 1]))]
    low, high = x[dips - 1].copy(), x[dips + 1].copy()
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(ITERATIONS):  # golden-section search for the smallest |part| in each dip
        if not np.any(high - low > resolution):
            break
        inner, outer = high - ratio * (high - low), low + ratio * (high - low)
        lower = np.abs(value(part, inner, 0, names)) <= np.abs(value(part, outer, 0, names))
        high, low = np.where(lower, outer, high), np.where(lower, low, inner)
    bottom = (low + high) / 2
    found = np.concatenate([exact, crossing, bottom])
    simple = np.array([simplest_between(z - resolution, z + resolution) for z in found])
    at_simple = value(part, simple, 0, names) == 0 if len(found) else np.zeros(0, dtype=bool)
    found = np.where(at_simple, simple, found)
    touching = np.r_[np.ones(len(exact) + len(crossing), dtype=bool), np.zeros(len(bottom), dtype=bool)]
    return found[touching | at_simple]


def breaks(
    expr: Expression,
    x: np.ndarray,
    rows: np.ndarray,
    params: Mapping[str, float] | None,
    levels: np.ndarray | None = None,
) -> list[np.ndarray]:
    """For each row of derivatives over the grid x (f, f′ … as computed, one per row), the points between two grid
    neighbours where it jumps, where a chart must not draw a line: a step that the next row's slope does not explain
    (or, for the last row, far larger than its neighbours), confirmed by bisection. `levels` (each row's rounding
    error over the range) keeps rounding noise from counting as steps."""
    x = np.asarray(x, dtype=np.float64)
    resolution = 4 * np.finfo(float).eps * max(float(np.max(np.abs(x), initial=0.0)), 1e-300)
    found = []
    for k, g in enumerate(rows):
        level = 0.0 if levels is None else float(levels[k])
        errors = np.broadcast_to(level, np.shape(g))
        slope = rows[k + 1] if k + 1 < len(rows) else None
        # (a point where bisection met g undefined, as at |x|'s corner between two grid points, is a break too)
        row, met = jumps(expr, x, np.asarray(g, dtype=np.float64), slope, errors, k, params, resolution, infinite=k > 0)
        found.append(np.sort(np.concatenate([row.at, met])))
    return found
