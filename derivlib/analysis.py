"""Points of interest: roots, extrema, inflection points and poles, bracketed on a grid and refined by Newton.

Each kind is the zero set of one derivative: roots of f, critical points of f′, inflection points of f″. A dense
grid brackets them (a sign change between neighbours, or a dip of |g| that touches zero, as x² does at 0); Newton's
method driven by autograd's exact next derivative then polishes every bracket at once, falling back to bisection
whenever a step would leave its bracket, so it cannot wander off or diverge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .engine import derivatives
from .parse import parse
from .table import grid
from .tree import Expression

DEFAULT_POINTS = 20_001  # bracketing grid; an odd count puts the middle of a symmetric range on the grid
MAX_PER_KIND = 100  # points of one kind listed; beyond that the table says there are more
ITERATIONS = 100  # Newton/bisection steps; bisection alone halves a bracket to one ulp in about 60
POLE_RATIO = 1e3  # a sign change through |f| this many times larger than at the grid around it is a pole
ZERO_TOLERANCE = 1e-9  # |g| at a refined point, relative to |g| at its bracket's ends, that still counts as zero
SHRINK = 1e-3  # … or |g| at the refined bracket's ends, relative to the grid's: g is continuous through zero there
SIDE_DISTANCES = (0.1, 0.3, 1.0)  # in grid spacings: where a point's sides are probed for a sign change
NEIGHBOURS = 2  # grid points on each side whose rounding estimate also counts at a point
KINDS = ("root", "minimum", "maximum", "critical", "inflection", "pole")


@dataclass
class _Problem:
    """Find zeros of the k-th derivative (k = 0: roots, 1: critical points, 2: inflection points)."""

    expr: Expression
    params: Mapping[str, float] | None
    k: int
    spacing: float  # of the bracketing grid

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


def points_of_interest(
    expr: Expression | str,
    xmin: float,
    xmax: float,
    *,
    params: Mapping[str, float] | None = None,
    points: int | None = None,
) -> pd.DataFrame:
    """Roots, minima, maxima, inconclusive critical points, inflection points and poles of f in [xmin, xmax].

    Columns: kind, x, f, d1, d2, sorted by x. `frame.attrs["notes"]` lists what the table leaves out: more points
    of a kind than MAX_PER_KIND, oscillation faster than the grid, flat stretches.

    >>> frame = points_of_interest("x^3 - x", -2, 2)
    >>> list(frame["kind"])
    ['root', 'maximum', 'root', 'inflection', 'minimum', 'root']
    >>> [round(x, 6) + 0.0 for x in frame["x"]]
    [-1.0, -0.57735, 0.0, 0.0, 0.57735, 1.0]
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
    notes: list[str] = []
    found: list[tuple[str, np.ndarray]] = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k, name in ((0, "root"), (1, "critical point"), (2, "inflection point")):
            problem = _Problem(expr, params, k, spacing)
            zeros, singular = _zeros(problem, x, rows[k], _signs(rows[k], rows32[k]), notes, name)
            if k == 0:
                poles = _poles(problem, singular)
                found += [("root", zeros), ("pole", poles)]
                for jump in np.setdiff1d(singular.at, poles)[:3]:
                    if xmin <= jump <= xmax:
                        notes.append(f"f changes sign by a jump at x = {jump:.6g}, not through zero: not a root")
            elif k == 1:
                found += _classify_critical(problem, zeros)
                found += _classify_by_sides(problem, _continuous(problem, singular))
            else:
                kinks = _continuous(problem, singular)
                found.append(("inflection", np.concatenate([_real_sign_changes(problem, zeros), kinks])))

    kinds, positions = [], []
    margin = spacing * 1e-6  # a zero found a rounding error beyond an end still counts
    for kind, at in found:
        at = np.sort(at[(at >= xmin - margin) & (at <= xmax + margin)])
        if len(at) > MAX_PER_KIND:
            notes.append(f"more than {MAX_PER_KIND} {kind}s in the range: the table lists the first {MAX_PER_KIND}")
            at = at[:MAX_PER_KIND]
        kinds += [kind] * len(at)
        positions.append(at)
    at = np.concatenate(positions) if positions else np.empty(0)
    values = derivatives(expr, at, order=2, params=params).numpy()
    frame = pd.DataFrame({"kind": kinds, "x": at, "f": values[0], "d1": values[1], "d2": values[2]})
    frame["kind"] = pd.Categorical(frame["kind"], categories=KINDS)
    frame = frame.sort_values(["x", "kind"], kind="stable", ignore_index=True)
    frame["kind"] = frame["kind"].astype(str)
    frame.attrs["notes"] = notes
    return frame


def _zeros(
    problem: _Problem, x: np.ndarray, g: np.ndarray, sign: np.ndarray, notes: list[str], name: str
) -> tuple[np.ndarray, _Singular]:
    """Zeros of g (refined), and the places where g changes sign without passing through zero."""
    finite = np.isfinite(g)
    exact = np.flatnonzero(finite & (sign == 0))
    flat = _flat_stretches(exact)
    for start, stop in flat:
        notes.append(f"{_derivative_name(problem.k)} is 0 on [{x[start]:.6g}, {x[stop]:.6g}]: no {name}s listed there")
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
    f = problem.values(singular.at)[0] if len(singular.at) else np.empty(0)
    return singular.at[~np.isfinite(f) | (np.abs(f) > POLE_RATIO * np.maximum(singular.scale, 1.0))]


def _continuous(problem: _Problem, singular: _Singular) -> np.ndarray:
    """The sign changes of a derivative at a point where f itself is continuous: a kink (abs) or a cusp."""
    if len(singular.at) == 0:
        return singular.at
    f = derivatives(
        problem.expr, np.concatenate([singular.low, singular.high]), order=0, params=problem.params
    ).numpy()[0]
    low, high = f[: len(singular.at)], f[len(singular.at) :]
    close = np.abs(low - high) <= 1e-6 * np.maximum(1.0, np.maximum(np.abs(low), np.abs(high)))
    return singular.at[np.isfinite(low) & np.isfinite(high) & close]


def _signs(g: np.ndarray, g32: np.ndarray) -> np.ndarray:
    """The sign of g, or 0 where |g| is within its rounding error.

    The rounding error is estimated from the same derivative in float32: its difference from float64, scaled down
    by the ratio of the two precisions, is the error float64 makes on this formula here (abs(x)/x has f″ = ±1e-16
    from rounding alone, which is no sign change; x⁴ near 0 has a tiny f″ that is exact).
    """
    difference = np.abs(g32.astype(np.float64) - g)
    difference = np.where(np.isfinite(difference), difference, 0.0)
    # float32 can round exactly where float64 does not: take the largest estimate among neighbours.
    padded = np.pad(difference, NEIGHBOURS, mode="edge")
    difference = np.lib.stride_tricks.sliding_window_view(padded, 2 * NEIGHBOURS + 1).max(axis=1)
    noise = 8 * (np.finfo(np.float64).eps / np.finfo(np.float32).eps) * difference
    return np.sign(np.where(np.abs(g) <= noise, 0.0, g))


def _derivative_name(k: int) -> str:
    return ["f", "f′", "f″"][k]


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
    infinite = np.isinf(g)
    runs = []
    i = 0
    while i < len(g):
        if infinite[i]:
            j = i
            while j + 1 < len(g) and infinite[j + 1]:
                j += 1
            if i > 0 and j + 1 < len(g) and finite[i - 1] and finite[j + 1] and g[i - 1] * g[j + 1] < 0:
                runs.append(((x[i] + x[j]) / 2, x[i - 1], x[j + 1], max(abs(g[i - 1]), abs(g[j + 1]))))
            i = j + 1
        else:
            i += 1
    return (
        _Singular(*(np.array(column, dtype=float) for column in zip(*runs, strict=True)))
        if runs
        else _Singular(*(np.empty(0) for _ in range(4)))
    )


def _newton_bisection(
    problem: _Problem, a: np.ndarray, b: np.ndarray, ga: np.ndarray, gb: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Refine every bracket [a, b] (g changes sign) at once; returns the points, which are zeros, and the brackets.

    A zero is where g comes out (nearly) 0, or where |g| at the bracket's ends shrank far below its size on the grid
    (cbrt at 0, whose infinite slope keeps |g| at 1e-5 a few ulps away). A bracket whose g stays large (a jump) or
    grows (tan at π/2) is not a zero.
    """
    a, b, ga, gb = a.copy(), b.copy(), ga.copy(), gb.copy()
    scale = np.maximum(np.abs(ga), np.abs(gb))
    # Points are located to a few ulps of the range's scale: finer than that, x itself cannot be told apart.
    resolution = (
        4 * np.finfo(float).eps * max(np.max(np.abs(a), initial=0), np.max(np.abs(b), initial=0), problem.spacing)
    )
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


def _classify_by_sides(problem: _Problem, at: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The first-derivative test: f′ from - to + is a minimum, from + to - a maximum, else inconclusive."""
    if len(at) == 0:
        return []
    left, right = _sides(problem, at, 1)
    minimum, maximum = (left < 0) & (right > 0), (left > 0) & (right < 0)
    return [("minimum", at[minimum]), ("maximum", at[maximum]), ("critical", at[~minimum & ~maximum])]


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
