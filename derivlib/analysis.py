"""Points of interest: roots, extrema, stationary and inflection points and poles, bracketed on a grid and refined.

Each kind is the zero set of one derivative: roots of f, critical points of f′, inflection points of f″. A dense
grid brackets them (a sign change between neighbours, or a dip of |g| that touches zero, as x² does at 0); Newton's
method driven by autograd's exact next derivative then polishes every bracket at once, falling back to bisection
whenever a step would leave its bracket, so it cannot wander off or diverge.

Three places need more than that. Where f's domain ends inside the range (sqrt at 0) f is NaN on one side: the edge
is found by bisection on "f is defined", and f may have a root or a one-sided extremum there. Where |f| spikes
without changing sign (1/x² at 0) the pole is a peak of |f|, refined as a sign change of f′. And a point found within
rounding of a simpler number at which it holds exactly (x³'s root comes out at -9e-34; f(0) = 0) is reported at that
number, with every other point within rounding of it, so that the rows at one place carry one x.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .engine import derivatives
from .parse import parse
from .rounding import SAFETY, is_noise, rounding_errors, simplest_between
from .table import grid
from .tree import Expression

DEFAULT_POINTS = 20_001  # bracketing grid; an odd count puts the middle of a symmetric range on the grid
MAX_PER_KIND = 100  # points of one kind listed; beyond that the table says there are more
ITERATIONS = 100  # Newton/bisection steps; bisection alone halves a bracket to one ulp in about 60
POLE_RATIO = 1e3  # |f| at a pole is this many times larger than at the grid around it (1 at least)
ZERO_TOLERANCE = 1e-9  # |g| at a refined point, relative to |g| at its bracket's ends, that still counts as zero
SHRINK = 1e-3  # … or |g| at the refined bracket's ends, relative to the grid's: g is continuous through zero there
SIDE_DISTANCES = (0.1, 0.3, 1.0)  # in grid spacings: where a point's sides are probed for a sign change
NEIGHBOURS = 2  # grid points on each side whose rounding estimate also counts at a point
ULPS = 4  # ulps of the range's scale: points closer than this cannot be told apart
NAMED_STRETCHES = 2  # stretches where a derivative is 0 named in its note; the rest are counted
KINDS = ("root", "minimum", "maximum", "stationary", "critical", "inflection", "pole")
EXTREMUM_KINDS = ("minimum", "maximum", "stationary", "critical")  # where f′ is 0 (or undefined, or at an edge)
WORDS = {  # each kind as a table of places says it
    "root": "root",
    "minimum": "minimum",
    "maximum": "maximum",
    "stationary": "stationary point (no extremum)",
    "critical": "critical point (test inconclusive)",
    "inflection": "inflection point",
    "pole": "pole",
}


@dataclass
class _Problem:
    """Find zeros of the k-th derivative (k = 0: roots, 1: critical points, 2: inflection points) in [xmin, xmax]."""

    expr: Expression
    params: Mapping[str, float] | None
    k: int
    spacing: float  # of the bracketing grid
    xmin: float
    xmax: float

    @property
    def resolution(self) -> float:
        """How close two points of the range may be and still not be told apart."""
        return _resolution(max(abs(self.xmin), abs(self.xmax), self.spacing))

    def signs(self, x: np.ndarray, row: int | None = None) -> np.ndarray:
        """The sign of a derivative (g by default) at x, 0 where it is zero up to rounding."""
        row = self.k if row is None else row
        return _signs(
            *(
                derivatives(self.expr, x, order=row, params=self.params, dtype=dtype).numpy()[row]
                for dtype in (torch.float64, torch.float32)
            )
        )

    def values(self, x: np.ndarray) -> np.ndarray:
        """Rows 0 … k+1 of the derivatives at x (g = row k, its slope = row k + 1)."""
        return derivatives(self.expr, x, order=self.k + 1, params=self.params).numpy()

    def row(self, x: np.ndarray, row: int = 0) -> np.ndarray:
        """One derivative (f by default) at x."""
        return derivatives(self.expr, x, order=row, params=self.params).numpy()[row]


def points_of_interest(
    expr: Expression | str,
    xmin: float,
    xmax: float,
    *,
    params: Mapping[str, float] | None = None,
    points: int | None = None,
) -> pd.DataFrame:
    """Roots, extrema, stationary, inconclusive critical and inflection points, and poles of f in [xmin, xmax].

    Columns: kind, x, f, d1, d2, edge (True for a point at an edge of f's domain, as sqrt's root at 0), sorted by x.
    Rows at one place share one x. `frame.attrs["notes"]` lists what the table leaves out: more points of a kind
    than MAX_PER_KIND, oscillation faster than the grid, stretches where a derivative is 0.

    >>> frame = points_of_interest("x^3 - x", -2, 2)
    >>> list(frame["kind"])
    ['root', 'maximum', 'root', 'inflection', 'minimum', 'root']
    >>> [round(x, 6) + 0.0 for x in frame["x"]]
    [-1.0, -0.57735, 0.0, 0.0, 0.57735, 1.0]
    >>> points_of_interest("sqrt(x)", -1, 1)
          kind    x    f   d1    d2  edge
    0     root  0.0  0.0  inf  -inf  True
    1  minimum  0.0  0.0  inf  -inf  True
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    count = points or DEFAULT_POINTS
    grid(xmin, xmax, count)  # checks the range and the count
    if count < 3:
        raise ValueError(f"the bracketing grid needs at least 3 points, not {count}")
    # One more grid point beyond each end, so that a zero at an end (sin at 0) is bracketed like any other.
    spacing = (xmax - xmin) / (count - 1)
    x = grid(xmin - spacing, xmax + spacing, count + 2).numpy()
    rows = derivatives(expr, x, order=3, params=params).numpy()
    rows32 = derivatives(expr, x, order=3, params=params, dtype=torch.float32).numpy()
    problems = [_Problem(expr, params, k, spacing, xmin, xmax) for k in range(3)]
    notes: list[str] = []
    found: list[tuple[str, np.ndarray]] = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k, name in ((0, "root"), (1, "critical point"), (2, "inflection point")):
            problem = problems[k]
            # A derivative that is rounding noise everywhere (f″ of sin²x + cos²x) has no zeros worth searching.
            if is_noise(rows[k], rounding_errors(rows[k], rows32[k]).max(initial=0.0)):
                notes.append(_everywhere_note(k, name, exact=not np.any(rows[k][np.isfinite(rows[k])])))
                continue
            zeros, singular = _zeros(problem, x, rows[k], _signs(rows[k], rows32[k]), notes, name)
            if k == 0:
                poles = _poles(problem, singular)
                found += [("root", zeros), ("pole", poles)]
                for jump in np.setdiff1d(singular.at, poles)[:3]:
                    if xmin <= jump <= xmax:
                        notes.append(f"f changes sign by a jump at x = {jump:.6g}, not through zero: not a root")
            elif k == 1:
                found += _classify_critical(problem, zeros)
                found += _classify_by_sides(problem, _continuous(problem, singular), flat=False)
            else:
                kinks = _continuous(problem, singular)
                found.append(("inflection", np.concatenate([_real_sign_changes(problem, zeros), kinks])))
        found.append(("pole", _spikes(problems[1], x, rows[0], rows[1])))
        at_edges = _edges(problems[1], x, rows[0])
    return _table(problems[0], found, at_edges, notes)


def by_place(points: pd.DataFrame) -> pd.DataFrame:
    """The rows of `points_of_interest` gathered by place: one row per x, saying everything the point is.

    Columns: x, what ("root, stationary point (no extremum), inflection point"; "… at an edge of the domain"), f,
    d1, d2 (NaN at a pole: f has no value there, whatever 1/0 gives).

    >>> by_place(points_of_interest("x^3", -1, 1))[["x", "what"]].values.tolist()
    [[0.0, 'root, stationary point (no extremum), inflection point']]
    """
    rows = []
    for x, group in points.groupby("x", sort=True):
        what = ", ".join(WORDS[kind] for kind in sorted(group["kind"], key=KINDS.index))
        if group["edge"].any():
            what += " at an edge of the domain"
        first = group.iloc[0]
        values = [np.nan] * 3 if "pole" in set(group["kind"]) else [first["f"], first["d1"], first["d2"]]
        rows.append({"x": x, "what": what, **dict(zip(("f", "d1", "d2"), values, strict=True))})
    return pd.DataFrame(rows, columns=["x", "what", "f", "d1", "d2"])


def _table(
    problem: _Problem, found: list[tuple[str, np.ndarray]], at_edges: list[tuple[str, np.ndarray]], notes: list[str]
) -> pd.DataFrame:
    """The points in the range, at most MAX_PER_KIND of each kind, aligned (see _aligned), one row each, sorted by x."""
    entries = [(kind, at, False) for kind, at in found] + [(kind, at, True) for kind, at in at_edges]
    sizes = [len(at) for _, at, _ in entries]
    rank = np.repeat([KINDS.index(kind) for kind, _, _ in entries], sizes)
    at = np.concatenate([at for _, at, _ in entries])
    edge = np.repeat([edge for _, _, edge in entries], sizes).astype(bool)
    margin = problem.spacing * 1e-6  # a zero found a rounding error beyond an end still counts
    inside = (at >= problem.xmin - margin) & (at <= problem.xmax + margin)
    rank, at, edge = rank[inside], at[inside], edge[inside]
    order = np.lexsort((at, rank))  # by kind, then x
    rank, at, edge = rank[order], at[order], edge[order]
    listed = np.arange(len(rank)) - np.searchsorted(rank, rank) < MAX_PER_KIND  # the first of each kind
    for kind in np.unique(rank[~listed]):
        notes.append(f"more than {MAX_PER_KIND} {KINDS[kind]}s in the range: the table lists the first {MAX_PER_KIND}")
    rank, at, edge = rank[listed], at[listed], edge[listed]
    at = _aligned(problem, rank, at, edge) + 0.0  # + 0.0: -0.0 reads 0
    # Sorted by x, then kind; points of one kind that now coincide are one row, at an edge if either is.
    order = np.lexsort((~edge, rank, at))
    rank, at, edge = rank[order], at[order], edge[order]
    repeated = np.zeros(len(at), dtype=bool)
    repeated[1:] = (np.diff(at) == 0) & (np.diff(rank) == 0)
    rank, at, edge = rank[~repeated], at[~repeated], edge[~repeated]
    values = derivatives(problem.expr, at, order=2, params=problem.params).numpy()
    frame = pd.DataFrame(
        {
            "kind": np.array(KINDS, dtype=object)[rank],
            "x": at,
            "f": values[0],
            "d1": values[1],
            "d2": values[2],
            "edge": edge,
        }
    )
    frame.attrs["notes"] = notes
    return frame


def _aligned(problem: _Problem, rank: np.ndarray, at: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """The points (their kinds given by rank in KINDS), each cluster within rounding of each other moved onto one x.

    That x is the simplest number within rounding of the cluster if one of its points holds exactly there (a root
    where f = 0, an extremum where f′ = 0, an inflection point where f″ = 0, a pole where f is not finite, a point
    at an edge where f is defined): x³'s root found at -9e-34 is at 0. Otherwise it is the x of the point whose kind
    comes first in KINDS (tan's root and inflection point at -π, found an ulp apart, are at the root's x).
    """
    if len(at) == 0:
        return at
    resolution = problem.resolution
    order = np.argsort(at, kind="stable")
    rank, at, edge = rank[order], at[order], edge[order]
    kind = np.array(KINDS)[rank]
    cluster = np.concatenate([[0], np.cumsum(np.diff(at) > resolution)])
    starts = np.flatnonzero(np.diff(cluster, prepend=-1))
    stops = np.append(starts[1:], len(at)) - 1
    simple = np.array(
        [simplest_between(a - resolution, b + resolution) for a, b in zip(at[starts], at[stops], strict=True)]
    )
    f, d1, d2 = derivatives(problem.expr, simple, order=2, params=problem.params).numpy()[:, cluster]
    holds = np.select(
        [kind == "root", kind == "inflection", kind == "pole"],
        [f == 0, d2 == 0, ~np.isfinite(f)],
        (np.isin(kind, EXTREMUM_KINDS) & (d1 == 0)) | (edge & ~np.isnan(f)),
    )
    snapped = np.zeros(len(starts), dtype=bool)
    np.logical_or.at(snapped, cluster, holds)
    leaders = np.lexsort((rank, cluster))[starts]  # each cluster's point of the first kind
    chosen = np.where(snapped, simple, at[leaders])[cluster]
    aligned = np.empty_like(chosen)
    aligned[order] = chosen
    return aligned


def _zeros(
    problem: _Problem, x: np.ndarray, g: np.ndarray, sign: np.ndarray, notes: list[str], name: str
) -> tuple[np.ndarray, _Singular]:
    """Zeros of g (refined), and the places where g changes sign without passing through zero."""
    finite = np.isfinite(g)
    exact = np.flatnonzero(finite & (sign == 0))
    flat = _flat_stretches(exact)
    if flat:
        notes.append(_flat_note(problem, name, x, flat))
    inside_flat = np.zeros(len(x), dtype=bool)
    for start, stop in flat:
        inside_flat[start : stop + 1] = True
    exact = exact[~inside_flat[exact] & (exact > 0) & (exact < len(x) - 1)]

    # Sign changes between finite neighbours: refine inside the bracket.
    left = np.flatnonzero(finite[:-1] & finite[1:] & (sign[:-1] * sign[1:] < 0))
    if len(left) > 1 and np.any(np.diff(left) == 1):
        where = x[left[np.flatnonzero(np.diff(left) == 1)[0]]]
        notes.append(
            f"{_derivative_name(problem.k)} changes sign faster than the grid resolves near x = "
            f"{where:.6g}: there may be more {name}s than listed"
        )
    roots, converged, ends = _newton_bisection(problem, x[left], x[left + 1], g[left], g[left + 1])
    singular = _Singular(roots[~converged], ends[0][~converged], ends[1][~converged], np.abs(g[left][~converged]))

    # Sign changes across a run of inf (as 1/x at 0 on a symmetric grid).
    across = _sign_changes_across_infinities(x, g, finite)
    singular = _Singular(*(np.concatenate([a, b]) for a, b in zip(singular, across, strict=True)))

    # Dips of |g| that touch zero without a sign change (x^2 at 0): Newton from the dip, kept if it lands on a zero.
    size, before, after = np.abs(g[1:-1]), np.abs(g[:-2]), np.abs(g[2:])
    dips = (
        np.flatnonzero(
            finite[1:-1]
            & finite[:-2]
            & finite[2:]
            & (g[1:-1] != 0)
            & (sign[:-2] == sign[2:])
            & (sign[:-2] == sign[1:-1])
            & (size <= before)
            & (size <= after)
            & ((size < before) | (size < after))
        )
        + 1
    )
    # Grid points where g is zero up to rounding are polished the same way.
    dips = np.concatenate([dips, exact])
    touching = _newton_touching(problem, x[dips], x[dips - 1], x[dips + 1], np.abs(g[dips - 1]) + np.abs(g[dips + 1]))

    zeros = np.unique(np.concatenate([x[exact][g[exact] == 0], roots[converged], touching]))
    return _merge_close(zeros, problem.spacing), singular


@dataclass
class _Singular:
    """Where g changes sign without passing through zero: the point, its final bracket, |g| at the grid."""

    at: np.ndarray
    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray

    def __iter__(self):
        return iter((self.at, self.low, self.high, self.scale))


def _poles(problem: _Problem, singular: _Singular) -> np.ndarray:
    """The sign changes of f through ±inf or a value far larger than on the grid around it (tan at π/2)."""
    f = problem.row(singular.at) if len(singular.at) else np.empty(0)
    return singular.at[~np.isfinite(f) | (np.abs(f) > POLE_RATIO * np.maximum(singular.scale, 1.0))]


def _spikes(problem: _Problem, x: np.ndarray, f: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """The poles where |f| grows without bound on both sides with one sign (1/x² at 0), which no sign change shows.

    Each is a peak of |f| on the grid that is a spike (|f| convex on its way up, where a smooth maximum is concave),
    refined as a sign change of f′ = `slope` and kept where f′ is not 0 there and |f| is not finite or far larger
    than around it.
    Both grid neighbours must be defined: a domain's edge (log at 0) is no pole.
    """
    size = np.abs(f)
    far_left, left, middle, right, far_right = (size[i : len(size) - 4 + i] for i in range(5))
    peak = (
        np.isfinite(f[1:-3])
        & np.isfinite(f[3:-1])
        & (f[1:-3] * f[3:-1] > 0)
        & ~np.isnan(middle)
        & (middle >= np.maximum(left, right))
        & (middle > np.minimum(left, right))
        & ((middle - left > left - far_left) | (middle - right > right - far_right))
        & (slope[1:-3] * slope[3:-1] < 0)
    )
    i = np.flatnonzero(peak) + 2
    if len(i) == 0:
        return np.empty(0)
    at, flat, _ = _newton_bisection(problem, x[i - 1], x[i + 1], slope[i - 1], slope[i + 1])
    value = problem.row(at)
    around = np.maximum(np.maximum(size[i - 1], size[i + 1]), 1.0)
    # f′ = 0 there is a maximum of |f|, however sharp (1/(x² + 1e-12) at 0); at a pole f′ changes sign through ±inf.
    return at[~flat & (~np.isfinite(value) | (np.abs(value) > POLE_RATIO * around))]


def _edges(problem: _Problem, x: np.ndarray, f: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Roots and one-sided extrema at the edges of f's domain inside the range (sqrt at 0, acos at ±1).

    An edge is where f on the grid turns from NaN to defined; bisection on "f is defined" locates it to the range's
    resolution, and it moves to the simplest number within that where f is still defined (sqrt(1 - x²): 1). f must
    stay undefined beyond it (0/0 at one point is a hole, not an edge) and be finite at it (log at 0 is neither a
    root nor an extremum). The sign of f′ just inside tells a minimum (f rising away from the edge) from a maximum.
    """
    defined = ~np.isnan(f)
    before = np.flatnonzero(defined[:-1] != defined[1:])  # the grid point before each turn
    if len(before) == 0:
        return []
    inside = np.where(defined[before], x[before], x[before + 1])
    outside = np.where(defined[before], x[before + 1], x[before])
    into = np.sign(inside - outside)  # +1 where the domain lies to the right of the edge
    for _ in range(ITERATIONS):
        if np.all(np.abs(outside - inside) <= problem.resolution):
            break
        middle = (inside + outside) / 2
        ok = ~np.isnan(problem.row(middle))
        inside, outside = np.where(ok, middle, inside), np.where(ok, outside, middle)
    simple = np.array([simplest_between(a - problem.resolution, a + problem.resolution) for a in inside])
    beyond = inside - into * np.array(SIDE_DISTANCES)[:, None] * problem.spacing
    n = len(inside)
    f_simple, f_inside, f_beyond = np.split(problem.row(np.concatenate([simple, inside, beyond.ravel()])), [n, 2 * n])
    at = np.where(np.isnan(f_simple), inside, simple)
    value = np.where(np.isnan(f_simple), f_inside, f_simple)
    real = np.all(np.isnan(f_beyond.reshape(beyond.shape)), axis=0) & np.isfinite(value)
    at, value, into = at[real], value[real], into[real]
    if len(at) == 0:
        return []
    # The first-derivative test on the one side there is; several distances, so that rounding cannot decide it.
    left, right = _sides(problem, at, 1)
    rising = into * np.where(into > 0, right, left)  # > 0: f grows away from the edge
    return [("root", at[value == 0]), ("minimum", at[rising > 0]), ("maximum", at[rising < 0])]


def _continuous(problem: _Problem, singular: _Singular) -> np.ndarray:
    """The sign changes of a derivative at a point where f itself is continuous: a kink (abs) or a cusp."""
    if len(singular.at) == 0:
        return singular.at
    f = problem.row(np.concatenate([singular.low, singular.high]))
    low, high = f[: len(singular.at)], f[len(singular.at) :]
    close = np.abs(low - high) <= 1e-6 * np.maximum(1.0, np.maximum(np.abs(low), np.abs(high)))
    return singular.at[np.isfinite(low) & np.isfinite(high) & close]


def _signs(g: np.ndarray, g32: np.ndarray) -> np.ndarray:
    """The sign of g, or 0 where |g| is within SAFETY times its rounding error (estimated from float32, see rounding).

    abs(x)/x has f″ = ±1e-16 from rounding alone, which is no sign change; x⁴ near 0 has a tiny f″ that is exact.
    """
    error = rounding_errors(g, g32)
    # float32 can round exactly where float64 does not: take the largest estimate among neighbours.
    padded = np.pad(error, NEIGHBOURS, mode="edge")
    error = np.lib.stride_tricks.sliding_window_view(padded, 2 * NEIGHBOURS + 1).max(axis=1)
    return np.sign(np.where(np.abs(g) <= SAFETY * error, 0.0, g))


def _resolution(scale: float) -> float:
    """How close two points near `scale` may be and still not be told apart: a few ulps."""
    return ULPS * np.finfo(float).eps * scale


def _derivative_name(k: int) -> str:
    return ["f", "f′", "f″"][k]


def _everywhere_note(k: int, name: str, *, exact: bool) -> str:
    """The note for a derivative that is 0 on the whole range, exactly or up to rounding: it has no zeros to list."""
    return f"{_derivative_name(k)} is 0 everywhere in this range{'' if exact else ' (up to rounding)'}: no {name}s"


def _flat_note(problem: _Problem, name: str, x: np.ndarray, flat: list[tuple[int, int]]) -> str:
    """One note for all the stretches where g is 0, ends inside the range: 'f′ is 0 on [a, b] and 3 more stretches'."""
    if flat[0][0] <= 1 and flat[0][1] >= len(x) - 2:  # x[1] and x[-2] are the range's ends
        return _everywhere_note(problem.k, name, exact=True)
    named = [f"[{max(x[a], problem.xmin):.6g}, {min(x[b], problem.xmax):.6g}]" for a, b in flat[:NAMED_STRETCHES]]
    rest = len(flat) - len(named)
    where = ", ".join(named) + f" and {rest} more stretch{'es' if rest > 1 else ''}" if rest else " and ".join(named)
    return f"{_derivative_name(problem.k)} is 0 on {where}: no {name}s listed there"


def _flat_stretches(exact: np.ndarray) -> list[tuple[int, int]]:
    """Runs of three or more consecutive grid points where g is exactly zero."""
    if len(exact) == 0:
        return []
    breaks = np.flatnonzero(np.diff(exact) != 1)
    starts = np.concatenate([[exact[0]], exact[breaks + 1]])
    stops = np.concatenate([exact[breaks], [exact[-1]]])
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True) if b - a >= 2]


def _sign_changes_across_infinities(x: np.ndarray, g: np.ndarray, finite: np.ndarray) -> _Singular:
    """Runs of ±inf whose finite neighbours have opposite signs, as singular brackets."""
    steps = np.diff(np.concatenate([[False], np.isinf(g), [False]]).astype(np.int8))
    first, last = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1) - 1  # of each run
    inner = (first > 0) & (last < len(g) - 1)
    first, last = first[inner], last[inner]
    before, after = first - 1, last + 1
    opposite = finite[before] & finite[after] & (g[before] * g[after] < 0)
    first, last, before, after = first[opposite], last[opposite], before[opposite], after[opposite]
    scale = np.maximum(np.abs(g[before]), np.abs(g[after]))
    return _Singular((x[first] + x[last]) / 2, x[before], x[after], scale)


def _newton_bisection(
    problem: _Problem, a: np.ndarray, b: np.ndarray, ga: np.ndarray, gb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Refine every bracket [a, b] (g changes sign) at once; returns the points, which are zeros, and the brackets.

    A zero is where g comes out (nearly) 0, or where |g| at the bracket's ends shrank far below its size on the grid
    (cbrt at 0, whose infinite slope keeps |g| at 1e-5 a few ulps away). A bracket whose g stays large (a jump) or
    grows (tan at π/2) is not a zero.
    """
    a, b, ga, gb = a.copy(), b.copy(), ga.copy(), gb.copy()
    scale = np.maximum(np.abs(ga), np.abs(gb))
    # Points are located to a few ulps of the brackets' scale: finer than that, x itself cannot be told apart.
    resolution = _resolution(max(np.max(np.abs(a), initial=0), np.max(np.abs(b), initial=0), problem.spacing))
    x = (a + b) / 2
    for _ in range(ITERATIONS):
        rows = problem.values(x)
        g, slope = rows[problem.k], rows[problem.k + 1]
        if not np.any(g != 0) and len(g):
            break
        # Keep the half of the bracket in which g still changes sign.
        same = np.sign(g) == np.sign(ga)
        a, ga = np.where(same, x, a), np.where(same, g, ga)
        b, gb = np.where(same, b, x), np.where(same, gb, g)
        step = x - g / slope
        inside = np.isfinite(step) & (step > a) & (step < b)
        proposal = np.where(inside, step, (a + b) / 2)
        done = (g == 0) | (proposal == x) | (b - a <= resolution)
        x = np.where(done, x, proposal)
        if np.all(done):
            break
    g = problem.values(x)[problem.k] if len(x) else np.empty(0)
    shrunk = np.maximum(np.abs(ga), np.abs(gb)) <= SHRINK * scale
    return x, np.isfinite(g) & ((np.abs(g) <= ZERO_TOLERANCE * scale) | shrunk), (a, b)


def _newton_touching(
    problem: _Problem, start: np.ndarray, low: np.ndarray, high: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """Plain Newton from each dip of |g|; the zeros it reaches without leaving [low, high]."""
    x = start.copy()
    alive = np.ones(len(x), dtype=bool)
    for _ in range(ITERATIONS):
        if not np.any(alive):
            break
        rows = problem.values(x)
        g, slope = rows[problem.k], rows[problem.k + 1]
        step = np.where(alive & (g != 0) & (slope != 0), g / slope, 0.0)
        x = x - step
        alive &= np.isfinite(x) & (x >= low) & (x <= high) & (step != 0)
        x = np.where(np.isfinite(x), x, start)
    if len(x) == 0:
        return x
    g = problem.values(x)[problem.k]
    inside = (x >= low) & (x <= high)
    return x[inside & np.isfinite(g) & (np.abs(g) <= ZERO_TOLERANCE * scale)]


def _merge_close(points: np.ndarray, spacing: float) -> np.ndarray:
    """One point for each cluster closer than a millionth of the grid spacing (the same zero found twice)."""
    if len(points) < 2:
        return points
    keep = np.concatenate([[True], np.diff(points) > spacing * 1e-6])
    return points[keep]


def _sides(problem: _Problem, at: np.ndarray, row: int) -> tuple[np.ndarray, np.ndarray]:
    """Signs of a derivative just left and right of each point, 0 where they are not the same at SIDE_DISTANCES.

    Several distances guard against a sign that rounding decides: it would not hold steady across them.
    """
    offsets = np.array([d * problem.spacing for d in SIDE_DISTANCES])
    probes = np.concatenate([at[None, :] - offsets[:, None], at[None, :] + offsets[:, None]])
    signs = problem.signs(probes.ravel(), row).reshape(probes.shape)
    left, right = signs[: len(offsets)], signs[len(offsets) :]
    steady = lambda s: np.where(np.all(s == s[0], axis=0), s[0], 0.0)  # noqa: E731
    return steady(left), steady(right)


def _classify_by_sides(problem: _Problem, at: np.ndarray, *, flat: bool = True) -> list[tuple[str, np.ndarray]]:
    """The first-derivative test: f′ from - to + is a minimum, from + to - a maximum, else inconclusive.

    Where f′ keeps one sign on both sides there is no extremum: a stationary point if f′ is 0 there (`flat`, x³ at
    0), else (a kink, where f′ is undefined) an inconclusive critical point like the rest.
    """
    if len(at) == 0:
        return []
    left, right = _sides(problem, at, 1)
    minimum, maximum = (left < 0) & (right > 0), (left > 0) & (right < 0)
    stationary = (left == right) & (left != 0) & flat
    return [
        ("minimum", at[minimum]),
        ("maximum", at[maximum]),
        ("stationary", at[stationary]),
        ("critical", at[~minimum & ~maximum & ~stationary]),
    ]


def _classify_critical(problem: _Problem, at: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The second-derivative test where f″ is clearly non-zero, the first-derivative test where it is not."""
    if len(at) == 0:
        return []
    rows = derivatives(problem.expr, at, order=2, params=problem.params).numpy()
    decisive = np.abs(rows[2]) > 1e-8 * np.maximum(1.0, np.abs(rows[0]))
    return [
        ("minimum", at[decisive & (rows[2] > 0)]),
        ("maximum", at[decisive & (rows[2] < 0)]),
        *_classify_by_sides(problem, at[~decisive]),
    ]


def _real_sign_changes(problem: _Problem, at: np.ndarray) -> np.ndarray:
    """The zeros of f″ across which f″ really changes sign (x⁴ at 0 is not an inflection point)."""
    if len(at) == 0:
        return at
    left, right = _sides(problem, at, 2)
    return at[left * right < 0]
