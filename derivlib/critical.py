"""Critical points of f(x, y): every point of a box where ∇f = 0, found on a grid, refined by Newton's method.

A grid one spacing wider than the box on each side (so that a point on an edge is bracketed like any other) gives
the candidates: the cells where fx and fy both change sign among their four corners, each started where the bilinear
interpolations of fx and fy both vanish in it (or at its centre), and the grid points where |∇f|² is a local minimum
of its 3×3 neighbourhood (where ∇f touches zero without changing sign). Newton's method on ∇f = 0, whose Jacobian is
the exact Hessian from `partials`, refines every candidate at once. It is damped by Deuflhard's natural monotonicity
test, backtracking spread over the iterations so that each is one batched evaluation: a step after which the
simplified Newton step would not be shorter is not taken, and the next is a quarter as long; one that is taken lets
the next be twice as long, up to the full step. No step is longer than MAX_STEP of the box, and a candidate that
strays OUTSIDE it is dropped. Where the Hessian is singular to rounding, the pseudo-inverse's step leaves its null
direction alone.

A point is critical where |∇f| came down to rounding level. Points that coincide are one; a point within rounding of
a simpler number at which ∇f is exactly 0 is reported there (x² + y² gives exactly (0, 0), Booth's function exactly
(1, 3)), as `analysis` does in one variable. The Hessian test names each point a minimum, maximum or saddle, or
degenerate where an eigenvalue is 0 to within DEGENERATE of the Hessian's scale (x⁴ + y⁴ at 0). Degenerate points
that chain through neighbouring grid cells, or that have more critical points PROBE_CELLS around them, lie on a line,
curve or region of critical points ((x − y)², x²y²): they are not listed. `frame.attrs["notes"]` says so, and where
the grid may be too coarse (Newton from a cell where ∇f interpolates to 0 lands far from it), where ∇f changes sign
across a kink or a pole, and when there is no critical point in the box.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .parse import parse
from .partials import partials
from .rounding import is_noise, pointwise_errors, rounding_errors, simplest_between, zeroed
from .table import grid
from .tree import Expression

VARIABLES = ("x", "y")
COLUMNS = ["kind", "x", "y", "f", "fx", "fy", "fxx", "fxy", "fyy", "smooth"]  # smooth: ∇f exists (and is 0) there
KINDS = ("minimum", "maximum", "saddle", "degenerate")

DEFAULT_POINTS = 301  # grid points per axis; odd, so that the middle of a symmetric box is on the grid
MIN_POINTS = 3  # per axis: the fewest that make a 3×3 neighbourhood
MAX_POINTS = 2001  # per axis: 4 million grid points, a few seconds of partial derivatives on a CPU
MAX_CANDIDATES = 100_000  # starting points refined at once; beyond that every k-th is (a note says so)
ITERATIONS = 100  # Newton steps; quadratic convergence takes < 10, x⁴'s linear one (2/3 a step) about 80
MAX_STEP = 0.1  # longest Newton step, as a fraction of the box's width along each axis
OUTSIDE = 0.25  # in box widths: a candidate this far beyond the box has gone elsewhere, and is dropped
SINGULAR = 1e-13  # |λmin| / |λmax| below this (≈ 500 ulps) may be rounding noise: if Newton fails, pseudo-inverse
ULPS = 4  # the resolution along each axis: this many ulps of its largest coordinate (as analysis.py)
SAFETY = 8  # |∇f| up to this many times its rounding error (from the point's and from the arithmetic) is zero …
CLOSE = 1e-8  # … and no more than this fraction of its largest over the grid in any case (a cone's tip is no zero)
DEGENERATE = 1e-8  # |λ| ≤ DEGENERATE · max(|λ|max there, the median Hessian size over the grid) counts as 0; the
#                    floor keeps a degenerate point found 1e-14 off (x⁴ + y⁴: H = 1e-27 · I) from passing as a minimum
SNAP_STEPS = 8  # a point may snap as far as this many of its last Newton steps (x⁴: 3 steps from its root) …
MERGE = 1e-7  # in box widths: points closer than this are one, the one with the smaller |∇f| kept
MARGIN = 1e-6  # in grid spacings: a point found this little beyond the box is still in it
COARSE_CELLS = 2  # in cells: Newton from a zero of ∇f's bilinear model in a cell landing farther away missed it
CONTINUUM_CELLS = 3  # degenerate points chained over this many grid cells (or more) are a line or curve
PROBES = 16  # angles probed around a degenerate point, for more critical points on a line through it …
PROBE_CELLS = 2  # … at this many grid spacings away
PROBE_ITERATIONS = 30  # Gauss–Newton steps along the probes' ellipse (quadratic where |∇f| reaches 0 on it)
SMOOTH = 0.5  # |∇f| where it interpolates to 0 in a cell, beside its smallest at the corners, above which: no zero
NOISY = 0.25  # the share of cells where fx and fy change sign above which ∇f may be rounding noise (checked)
HESSIAN_SAMPLE = 4096  # grid points at which the Hessian's size over the grid is estimated
ZERO_SEARCH = 30  # Levenberg–Marquardt steps looking for a zero of ∇f next to a cell that may hide one
CROSSING_ROUNDS = 6  # rounds of bisection along x and then y towards a corner where ∇f is undefined
ZOOM = 11  # points per axis of each zoomed grid around a grid extremum of f
ROUGH_SNAP = 64  # resolutions within which a point where ∇f is undefined moves to simpler numbers
ONE_SIDED = 1e-6  # in grid spacings: where ∇f is looked at on either side of a point, for a jump across it
JUMP = 1e-3  # fx (fy) on either side differing by this much (relative to max(1, |value|)) jumps across the point
RING_ANGLES = 32  # points on each small circle around a point where ∇f is undefined …
RING_RADII = (1e-3, 1e-2)  # … at these radii, in grid spacings
LEVEL = 1e-7  # a change of f around a point this small beside its largest around the same circle is level
POLE_RATIO = 1e3  # |f| at a point this many times its largest on a small circle around it: a pole's approach


def critical_points(
    expr: Expression | str,
    x: tuple[float, float],
    y: tuple[float, float],
    *,
    params: Mapping[str, float] | None = None,
    points: int | None = None,
    fuse: bool = False,
) -> pd.DataFrame:
    """Every point of the box x × y where ∇f = 0, with f, its gradient and its Hessian there, sorted by x then y.

    Columns kind (minimum, maximum, saddle or degenerate, by the eigenvalues of the exact Hessian), x, y, f, fx, fy,
    fxx, fxy, fyy. Text is read with x and y as the variables. `points` sets the search grid's points per axis
    (DEFAULT_POINTS); `fuse=True` runs compiled programs once they are ready (see `partials`). `frame.attrs["notes"]`
    says what the table cannot list or may have missed: lines or curves of critical points, cells where ∇f
    interpolates to 0 but no critical point was found near them (a grid too coarse), kinks and poles across which ∇f
    changes sign; or that there is no critical point in the box.

    >>> critical_points("x^3 - 3x + y^2", x=(-2, 2), y=(-1, 1))[["kind", "x", "y", "f"]]
          kind    x    y    f
    0   saddle -1.0  0.0  2.0
    1  minimum  1.0  0.0 -2.0
    >>> critical_points("x + y", x=(-1, 1), y=(-1, 1)).attrs["notes"]
    ['no critical point in this box']
    """
    low, high, count = _box(x, y, points)
    expr = parse(expr, variables=VARIABLES) if isinstance(expr, str) else expr
    spacing = (high - low) / (count - 1)
    # One spacing beyond each edge, so that a critical point on an edge lies inside a cell like any other.
    axes = [grid(float(low[i] - spacing[i]), float(high[i] + spacing[i]), count + 2).numpy() for i in range(2)]
    flat = np.stack([np.tile(axes[0], count + 2), np.repeat(axes[1], count + 2)], axis=1)  # x varying fastest
    rows = _partials(expr, params, flat, order=1, fuse=fuse)
    rows_f = (axes, rows[0].reshape(count + 2, count + 2))  # f on the grid, [row j (y), column i (x)]
    sample = flat[:: max(1, len(flat) // HESSIAN_SAMPLE)]
    notes: list[str] = []
    with np.errstate(all="ignore"):
        search = _Search(
            expr,
            params,
            low,
            high,
            spacing,
            origin=flat[0],
            largest=float(np.max(np.hypot(rows[1], rows[2]), initial=0.0, where=np.isfinite(rows[1:3]).all(axis=0))),
            hessian_scale=_median(np.max(np.abs(_partials(expr, params, sample, fuse=fuse)[3:6]), axis=0)),
            fuse=fuse,
        )
        starts, crossing = _candidates(rows, axes, count + 2)
        if np.count_nonzero(crossing) > NOISY * (count + 1) ** 2 and _gradient_is_noise(expr, params, flat, rows):
            notes.append("∇f is 0 everywhere in this box (up to rounding): every point is critical, none listed")
            return _frame(search, np.empty((0, 2)), np.empty((6, 0)), np.empty(0), np.empty(0, dtype=bool), notes)
        if len(starts) > MAX_CANDIDATES:
            every = math.ceil(len(starts) / MAX_CANDIDATES)
            notes.append(f"{len(starts):,} candidates on the grid: one in {every} was refined, so some may be missed")
            starts, crossing = starts[::every], crossing[::every]

        at, rows, critical = search.refine(starts)
        keep = critical & search.inside(at)
        continua = search.continua(at, keep & (search.kinds(rows[3:6]) == "degenerate"))
        on_continuum = np.zeros(len(at), dtype=bool)
        for members in continua:
            on_continuum[members] = True
        # A cell where ∇f interpolates to 0 holds a critical point, or is next to one, where the grid resolves ∇f …
        far = np.max(np.abs(at - starts) / spacing, axis=1) > COARSE_CELLS
        failed = np.flatnonzero(crossing & ~critical)
        smooth = search.smooth(starts[failed])
        coarse = crossing & critical & far & ~on_continuum
        coarse[failed[smooth]] = True
        # … only if |∇f| really comes down to 0 in or next to the cell: in Rosenbrock's bent valley the bilinear
        # models of fx and fy meet in cells that ∇f never reaches 0 in (Newton from them goes to the minimum beyond).
        coarse[coarse] = search.zero_nearby(starts[coarse])
        # … unless |∇f| is as large there as at the corners: it changes sign across a kink or a pole, not through 0
        # (or it is the edge of a region where ∇f is 0, as where e^(−x² − y²) underflows).
        singular = starts[failed[~smooth]]
        singular = singular[~search.near(singular, at[on_continuum])]

        keep &= ~on_continuum
        found = search.snapped(at[keep], rows[:, keep])
        found, rows = search.merged(found[search.inside(found)])
        kinds = search.kinds(rows[3:6])
        degenerate = np.flatnonzero(kinds == "degenerate")
        lined, around = search.on_a_line(found[degenerate])
        isolated = np.ones(len(found), dtype=bool)
        isolated[degenerate[lined]] = False

        along = np.concatenate([at[on_continuum], found[~isolated], around])
        # Where ∇f does not exist (a corner, crease or cone: |x| + |y| at 0), f may still have its extremum: from the
        # places where ∇f changes sign across a kink, and from the grid's own extrema of f that Newton did not reach.
        rough, rough_kinds, creases = search.not_smooth(singular, _grid_extrema(rows_f, n=count + 2), found[isolated])
        explained = np.concatenate([rough, creases])
        singular = singular[~search.near(singular, explained)] if len(explained) else singular
        notes += search.notes(along, starts[coarse], singular, count)
        if len(creases):
            notes.append(
                f"∇f is undefined along a crease where f is flat along it (near {search.place(creases[0])}): its "
                "points are critical, none listed"
            )
        if not isolated.any() and not len(rough) and not notes:
            notes.append("no critical point in this box")
        located = np.concatenate([found[isolated], rough])
        partial_rows = np.concatenate([rows[:, isolated], search.partials(rough)], axis=1)
        smooth = np.r_[np.ones(isolated.sum(), dtype=bool), np.zeros(len(rough), dtype=bool)]
        return _frame(search, located, partial_rows, np.concatenate([kinds[isolated], rough_kinds]), smooth, notes)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@dataclass
class _Search:
    """The formula, the box and the scales that say what counts as zero in it."""

    expr: Expression
    params: Mapping[str, float] | None
    low: np.ndarray  # (xmin, ymin)
    high: np.ndarray  # (xmax, ymax)
    spacing: np.ndarray  # of the grid, along x and y
    origin: np.ndarray  # the grid's first point, one spacing beyond (xmin, ymin)
    largest: float  # the largest finite |∇f| over the grid
    hessian_scale: float  # the median of max(|fxx|, |fxy|, |fyy|) over the grid
    fuse: bool = False  # run compiled programs of f, ∇f and H in float64 once they are ready (partials(fuse=True))

    @property
    def width(self) -> np.ndarray:
        return self.high - self.low

    @property
    def resolution(self) -> np.ndarray:
        """Along each axis, how close two points may be and still not be told apart: a few ulps."""
        largest = np.maximum(np.maximum(np.abs(self.low), np.abs(self.high)), self.spacing)
        return ULPS * np.finfo(float).eps * largest

    def partials(self, at: np.ndarray, order: int = 2, dtype: torch.dtype = torch.float64) -> np.ndarray:
        return _partials(self.expr, self.params, at, order, dtype, fuse=self.fuse and dtype == torch.float64)

    def refine(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Newton from every start at once: the points reached, their partials (6 × n), and which are critical (and
        did not stray OUTSIDE)."""
        at, rows, gone = _newton(self, starts)
        return at, rows, ~gone & self.critical(at, rows)

    def critical(self, at: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Where ∇f is 0 up to rounding: |∇f| within SAFETY times what moving the point by the resolution changes it
        by (fx by |fxx| δx + |fxy| δy) and the arithmetic's own error (estimated, as `rounding` does, from the same
        partials in float32: fx of y² + sin²x + cos²x is ±1e-16 noise), and in any case below CLOSE of its largest
        over the grid (at the tip of a cone ∇f jumps by O(1) within rounding: it is not 0 there)."""
        h, delta = np.abs(rows[3:6]), self.resolution
        moved = np.stack([h[0] * delta[0] + h[1] * delta[1], h[1] * delta[0] + h[2] * delta[1]])
        arithmetic = rounding_errors(rows[1:3], self.partials(at, order=1, dtype=torch.float32)[1:3])
        size = np.abs(rows[1:3])
        zero = (size <= SAFETY * (moved + arithmetic)) & (size <= CLOSE * self.largest)
        return np.isfinite(rows).all(axis=0) & zero.all(axis=0)

    def smooth(self, at: np.ndarray) -> np.ndarray:
        """Whether |∇f| at these zeros of its bilinear model is small beside its smallest at the cell's corners, as
        where the grid resolves a smooth ∇f (O(h²) there against O(h)); not across a kink (|∇f| the same) or a pole."""
        if len(at) == 0:
            return np.zeros(0, dtype=bool)
        cell = np.floor((at - self.origin) / self.spacing)
        corners = [self.origin + (cell + corner) * self.spacing for corner in ([0, 0], [1, 0], [0, 1], [1, 1])]
        rows = self.partials(np.concatenate([at, *corners]), order=1)
        size = np.hypot(rows[1], rows[2]).reshape(5, len(at))
        return size[0] <= SMOOTH * size[1:].min(axis=0)

    def near(self, at: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Which points are in a grid cell next to (or in) one of the others'."""
        cells = {tuple(cell) for cell in np.floor((others - self.origin) / self.spacing).astype(np.int64).tolist()}
        mine = np.floor((at - self.origin) / self.spacing).astype(np.int64).tolist()
        around = [(di, dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)]
        return np.array([any((i + di, j + dj) in cells for di, dj in around) for i, j in mine], dtype=bool)

    def zero_nearby(self, starts: np.ndarray) -> np.ndarray:
        """Whether |∇f| comes down to 0 (as `critical` judges it) within a grid spacing of each start: Levenberg–
        Marquardt on |∇f|²/2, whose Jacobian is the Hessian, each step kept within that reach (Nocedal & Wright,
        §10.3)."""
        if len(starts) == 0:
            return np.zeros(0, dtype=bool)
        at, rows = starts.copy(), self.partials(starts)
        damping = np.full(len(at), 1e-3) * np.maximum(np.abs(rows[3:6]).max(axis=0), 1e-300) ** 2
        for _ in range(ZERO_SEARCH):
            (gx, gy), (a, b, d) = rows[1:3], rows[3:6]
            big_a, big_b, big_d = a * a + b * b + damping, a * b + b * d, b * b + d * d + damping
            r0, r1 = a * gx + b * gy, b * gx + d * gy
            det = big_a * big_d - big_b * big_b
            with np.errstate(invalid="ignore", divide="ignore"):
                step = -np.stack([(big_d * r0 - big_b * r1) / det, (big_a * r1 - big_b * r0) / det], axis=1)
            trial = np.clip(np.nan_to_num(at + step), starts - self.spacing, starts + self.spacing)
            tried = self.partials(trial)
            with np.errstate(invalid="ignore"):
                better = np.hypot(*tried[1:3]) < np.hypot(*rows[1:3])
            at[better], rows[:, better] = trial[better], tried[:, better]
            damping = np.where(better, damping / 3, damping * 10)
        return self.critical(at, rows)

    def inside(self, at: np.ndarray) -> np.ndarray:
        margin = MARGIN * self.spacing  # a point found a rounding error beyond an edge still counts
        return np.all((at >= self.low - margin) & (at <= self.high + margin), axis=1)

    def kinds(self, h: np.ndarray) -> np.ndarray:
        """The Hessian test, from the eigenvalues of H = [[fxx, fxy], [fxy, fyy]] at each point."""
        a, b, d = h
        m, r = (a + d) / 2, np.hypot((a - d) / 2, b)
        large = m + np.copysign(r, m)  # the eigenvalue of larger size; the other is det / large, without cancellation
        small = (a * d - b * b) / np.where(large != 0, large, 1.0)
        zero = DEGENERATE * np.maximum(np.abs(large), self.hessian_scale)
        degenerate = ~np.isfinite(large) | ~np.isfinite(small) | (np.abs(small) <= zero)
        kinds = np.select([degenerate, small * large < 0, large > 0], ["degenerate", "saddle", "minimum"], "maximum")
        return kinds.astype(object)

    def continua(self, at: np.ndarray, degenerate: np.ndarray) -> list[np.ndarray]:
        """The groups of degenerate points (indices into `at`) that chain through neighbouring grid cells over
        CONTINUUM_CELLS or more: a line, curve or region of critical points, not one point found several times
        (which lands in one cell, or two where it lies on a cell's edge)."""
        chosen = np.flatnonzero(degenerate)
        cells = np.floor((at[chosen] - self.origin) / self.spacing).astype(np.int64)
        by_cell: dict[tuple[int, int], list[int]] = {}
        for index, cell in zip(chosen.tolist(), map(tuple, cells.tolist()), strict=True):
            by_cell.setdefault(cell, []).append(index)
        seen: set[tuple[int, int]] = set()
        found = []
        for first in by_cell:
            if first in seen:
                continue
            seen.add(first)
            group, frontier = [first], [first]
            while frontier:  # breadth first through the 8 neighbouring cells
                i, j = frontier.pop()
                for near in ((i + di, j + dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)):
                    if near in by_cell and near not in seen:
                        seen.add(near)
                        group.append(near)
                        frontier.append(near)
            if (np.ptp(np.array(group), axis=0) + 1).max() >= CONTINUUM_CELLS:
                found.append(np.array(sorted(index for cell in group for index in by_cell[cell])))
        return found

    def on_a_line(self, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which degenerate points have more critical points PROBE_CELLS around them, on a line or curve through them;
        and those critical points.

        x²y² has ∇f = 0 on both axes, but fy does not change sign across x = 0: the grid sees the origin alone. Around
        each point, from PROBES angles θ on the ellipse q(θ) = p + PROBE_CELLS · spacing · (cos θ, sin θ), Gauss–Newton
        in θ minimises |∇f(q(θ))|² (its Jacobian is H q′(θ)); a point is on a line or curve where this comes down to
        zero, as `critical` judges it, at two places on the ellipse at least (x⁴ + y⁴ has none)."""
        if len(at) == 0:
            return np.zeros(0, dtype=bool), np.empty((0, 2))
        theta = np.tile(np.arange(PROBES) * (2 * math.pi / PROBES), len(at))
        centre = np.repeat(at, PROBES, axis=0)
        radius = PROBE_CELLS * self.spacing
        for _ in range(PROBE_ITERATIONS):
            along = np.stack([-radius[0] * np.sin(theta), radius[1] * np.cos(theta)])
            rows = self.partials(centre + np.stack([radius[0] * np.cos(theta), radius[1] * np.sin(theta)], axis=1))
            slope = np.stack([rows[3] * along[0] + rows[4] * along[1], rows[4] * along[0] + rows[5] * along[1]])
            norm = (slope**2).sum(axis=0)
            step = np.where(norm > 0, -(slope * rows[1:3]).sum(axis=0) / np.where(norm > 0, norm, 1.0), 0.0)
            step = np.clip(np.nan_to_num(step), -math.pi / PROBES, math.pi / PROBES)
            if not np.any(step):
                break
            theta = theta + step
        landed = centre + np.stack([radius[0] * np.cos(theta), radius[1] * np.sin(theta)], axis=1)
        zero = self.critical(landed, self.partials(landed)).reshape(len(at), PROBES)
        scaled = (landed / self.width).reshape(len(at), PROBES, 2)
        lined = np.zeros(len(at), dtype=bool)
        for i in range(len(at)):
            found = scaled[i][zero[i]]
            lined[i] = bool((np.hypot(*(found[:, None] - found[None]).T) > MERGE).any())
        on = (zero & lined[:, None]).ravel()
        return lined, landed[on & self.inside(landed)]

    def snapped(self, at: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each point moved to the simplest numbers within rounding of it (rounding.simplest_between) where ∇f is
        exactly 0: both coordinates if that holds, else one. Rounding is the resolution, or at a degenerate point
        SNAP_STEPS of its last Newton step (where Newton converges slowly, that is how far off the point may be), up to
        half a grid spacing. Failing that, a coordinate within the resolution of a simpler number moves to it if |∇f|
        is no larger there (cos x cos y e^(−(x² + y²)/20) has a minimum at y = 0, found at y = −3e-29: fy is then
        exactly 0, fx at the irrational x is not, and the same as before)."""
        if len(at) == 0:
            return at
        step, _, _ = _steps(rows[1:3], rows[3:6])
        step = np.where(np.isfinite(step), np.abs(step), 0.0).T
        reach = np.maximum(self.resolution, np.minimum(SNAP_STEPS * step, self.spacing / 2))
        simple = np.array(
            [
                [simplest_between(v - r, v + r) for v, r in zip(p, near, strict=True)]
                for p, near in zip(at, reach, strict=True)
            ]
        )
        tries = np.stack([simple, np.stack([simple[:, 0], at[:, 1]], 1), np.stack([at[:, 0], simple[:, 1]], 1)])
        size = np.abs(self.partials(tries.reshape(-1, 2), order=1)[1:3]).max(axis=0).reshape(len(tries), len(at))
        exact = size == 0  # tries × points
        close = np.all(np.abs(tries - at) <= self.resolution, axis=2) & (size <= np.abs(rows[1:3]).max(axis=0))
        fallback = np.where(close.any(axis=0), close.argmax(axis=0), -1)
        chosen = np.where(exact.any(axis=0), exact.argmax(axis=0), fallback)
        result = at.copy()
        for k, attempt in enumerate(tries):
            result[chosen == k] = attempt[chosen == k]
        return result

    def merged(self, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One point for each cluster closer than MERGE box widths, the one with the smallest |∇f|; and its partials."""
        rows = self.partials(at)
        scaled = at / self.width
        kept: list[int] = []
        for index in np.argsort(np.hypot(rows[1], rows[2]), kind="stable"):
            if not kept or np.min(np.hypot(*(scaled[kept] - scaled[index]).T)) > MERGE:
                kept.append(int(index))
        kept.sort()
        return at[kept], rows[:, kept]

    def notes(self, along: np.ndarray, coarse: np.ndarray, singular: np.ndarray, count: int) -> list[str]:
        """What the table leaves out: the critical points found on lines or curves, the starts of the cells that led to
        no critical point near them, the places where ∇f changes sign across a kink or a pole."""
        notes = []
        if len(along):
            low, high = along.min(axis=0), along.max(axis=0)
            # Examples: the point nearest the middle of them all, and the one farthest from that.
            first = along[np.argmin(np.hypot(*((along - (low + high) / 2) / self.width).T))]
            second = along[np.argmax(np.hypot(*((along - first) / self.width).T))]
            such = " and ".join(dict.fromkeys(self.place(p) for p in (first, second)))  # one where they are one
            box = (
                f"[{self.tidy(low[0], 0)}, {self.tidy(high[0], 0)}] × [{self.tidy(low[1], 1)}, {self.tidy(high[1], 1)}]"
            )
            notes.append(
                f"∇f is 0 along lines, curves or regions, not at isolated points: "
                f"{_count(len(along), 'critical point')} found on them in {box}, such as {such}, are not listed"
            )
        if len(coarse):
            notes.append(
                f"{_count(len(coarse), 'grid cell')} where ∇f interpolates to 0 led to no critical point in or next to "
                f"{'them' if len(coarse) > 1 else 'it'} (the first near {self.place(coarse[0])}): the search grid "
                f"({count} × {count}) may be too coarse there, and critical points missed"
            )
        if len(singular):
            more = f" and {_count(len(singular) - 1, 'more place')}" if len(singular) > 1 else ""
            notes.append(
                f"∇f changes sign without passing through 0 (a kink or a pole) near {self.place(singular[0])}{more}: "
                "no critical point there"
            )
        return notes

    def not_smooth(
        self, singular: np.ndarray, extrema: tuple[np.ndarray, np.ndarray], found: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Critical points where ∇f does not exist (a corner, crease or cone: |x| + |y|, sqrt(x² + y²) at 0) and the
        kind their neighbourhood gives them; and points of creases where f is flat along the crease (|x|: every
        point of x = 0 is a minimum), which are not listed.

        From where ∇f changes sign across a kink (`singular`), the point where fx and fy both change sign is found
        by bisection along x and y in turn; from a grid extremum of f that no smooth critical point explains
        (`extrema`: points and +1 for a minimum), by zooming in on f's smallest (largest) value. A point counts where
        ∇f is undefined there, or jumps across it, and f is defined; its kind is what f does on small circles around
        it: higher all round, a minimum; lower, a maximum; both, a saddle; level in some direction, a crease."""
        points, signs = extrema
        if len(points) and len(found):
            unexplained = ~self.near(points, found)
            points, signs = points[unexplained], signs[unexplained]
        at = np.concatenate([self.crossing(singular), self.zoomed(points, signs)])
        empty = np.empty((0, 2))
        if len(at) == 0:
            return empty, np.empty(0, dtype=object), empty
        at = at[self.inside(at)]
        at = np.array([self.snap_rough(p) for p in at]).reshape(-1, 2)
        rough = self.gradient_undefined(at)
        at = at[rough]
        kept: list[int] = []  # the same point found from several starts is one
        for index in range(len(at)):
            if not kept or np.min(np.hypot(*((at[kept] - at[index]) / self.width).T)) > MERGE:
                kept.append(index)
        at = at[kept]
        kinds = self.kinds_around(at)
        flat, listed = kinds == "crease", np.isin(kinds, KINDS)
        return at[listed], kinds[listed], at[flat]

    def crossing(self, starts: np.ndarray) -> np.ndarray:
        """From each start, the point where fx changes sign along x and fy along y: bisection along each axis in turn
        (CROSSING_ROUNDS), within two grid spacings of where it is; an axis without a sign change there is left."""
        at = starts.copy()
        for _ in range(CROSSING_ROUNDS if len(at) else 0):
            for axis in (0, 1):
                reach = np.zeros(2)
                reach[axis] = 2 * self.spacing[axis]
                low, high = at - reach, at + reach
                g_low = self.partials(low, order=1)[1 + axis]
                g_high = self.partials(high, order=1)[1 + axis]
                change = np.sign(g_low) * np.sign(g_high) < 0
                done = ~change
                for _ in range(ITERATIONS):
                    if done.all():
                        break
                    middle = (low + high) / 2
                    g = self.partials(middle, order=1)[1 + axis]
                    same = np.sign(g) == np.sign(g_low)
                    low = np.where((same & ~done)[:, None], middle, low)
                    high = np.where((~same & ~done)[:, None], middle, high)
                    g_low = np.where(same & ~done, g, g_low)
                    # Where the partial is undefined, the bisection has found the kink itself.
                    undefined = np.isnan(g) & ~done
                    low[undefined], high[undefined] = middle[undefined], middle[undefined]
                    done |= undefined | (np.abs(high - low)[:, axis] <= self.resolution[axis])
                at = np.where(change[:, None], (low + high) / 2, at)
        return at

    def zoomed(self, points: np.ndarray, signs: np.ndarray) -> np.ndarray:
        """From each grid minimum (sign +1) or maximum (-1) of f, the smallest (largest) value of f nearby: a ZOOM ×
        ZOOM grid of a box a grid spacing either way, then one a fifth as wide around its best point, down to the
        resolution. It needs f alone, so it finds the tip of a cone or the corner of |x| + |y| as well as a smooth
        minimum."""
        at, half = points.copy(), np.tile(self.spacing, (len(points), 1))
        offsets = np.stack(np.meshgrid(*[np.linspace(-1, 1, ZOOM)] * 2), axis=-1).reshape(-1, 2)
        while len(at) and np.any(half > self.resolution):
            trial = at[:, None, :] + offsets[None, :, :] * half[:, None, :]
            f = self.partials(trial.reshape(-1, 2), order=0)[0].reshape(len(at), -1)
            best = np.nanargmin(np.where(np.isnan(f), np.inf, signs[:, None] * f), axis=1)
            at = trial[np.arange(len(at)), best]
            half = half / 5
        return at

    def snap_rough(self, point: np.ndarray) -> np.ndarray:
        """The point moved to the simplest numbers within ROUGH_SNAP resolutions of it, where ∇f is undefined too
        (|x| + |y|'s corner comes out at 1e-17, not 0)."""
        reach = ROUGH_SNAP * self.resolution
        simple = np.array([simplest_between(v - r, v + r) for v, r in zip(point, reach, strict=True)])
        if np.array_equal(simple, point):
            return point
        rows = self.partials(simple[None, :], order=1)
        return simple if np.isfinite(rows[0, 0]) and not np.isfinite(rows[1:3, 0]).all() else point

    def gradient_undefined(self, at: np.ndarray) -> np.ndarray:
        """Where f is defined and ∇f is not: undefined at the point itself, or jumping across it along x or y."""
        if len(at) == 0:
            return np.zeros(0, dtype=bool)
        here = self.partials(at, order=1)
        step = ONE_SIDED * self.spacing
        beside = [at + sign * np.eye(2)[axis] * step for axis in (0, 1) for sign in (-1, 1)]
        rows = self.partials(np.concatenate(beside), order=1).reshape(3, 4, len(at))
        jumps = np.zeros(len(at), dtype=bool)
        for axis in (0, 1):
            left, right = rows[1 + axis, 2 * axis], rows[1 + axis, 2 * axis + 1]
            with np.errstate(invalid="ignore"):
                jumps |= np.abs(left - right) > JUMP * np.maximum(1.0, np.maximum(np.abs(left), np.abs(right)))
        return np.isfinite(here[0]) & (~np.isfinite(here[1:3]).all(axis=0) | jumps)

    def kinds_around(self, at: np.ndarray) -> np.ndarray:
        """What f does on small circles around each point (RING_ANGLES points at each of RING_RADII grid spacings):
        higher all round, a minimum; lower all round, a maximum; higher and lower in turn twice or more, a saddle;
        never lower (or never higher) but level along a line, a crease (f flat along it: one of a line of critical
        points, as |x| on x = 0); higher on one side and lower on the other, "regular": not a critical point (the
        crease of max(|x|, |y|) away from 0, where f still falls towards 0). Both circles must agree, or "regular"."""
        if len(at) == 0:
            return np.empty(0, dtype=object)
        angle = np.arange(RING_ANGLES) * (2 * math.pi / RING_ANGLES)
        circle = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        found = []
        for radius in RING_RADII:
            ring = at[:, None, :] + radius * self.spacing * circle[None]
            f = self.partials(ring.reshape(-1, 2), order=0)[0].reshape(len(at), -1)
            centre = self.partials(at, order=0)[0][:, None]
            with np.errstate(invalid="ignore"):
                rise = f - centre
                scale = np.max(np.abs(rise), axis=1, keepdims=True)
                sign = np.where(np.abs(rise) <= LEVEL * scale, 0.0, np.sign(rise))
                # f far larger than all round it is a pole's approach (1/(x² + y²) near 0), not an extremum
                pole = np.abs(centre[:, 0]) > POLE_RATIO * np.maximum(np.max(np.abs(f), axis=1), 1.0)
            kinds = np.array([_ring_kind(row) for row in sign], dtype=object)
            found.append(np.where(pole, "regular", kinds))
        return np.where(found[0] == found[1], found[0], "regular").astype(object)

    def place(self, point: np.ndarray) -> str:
        return f"({self.tidy(point[0], 0)}, {self.tidy(point[1], 1)})"

    def tidy(self, value: float, axis: int) -> str:
        """A coordinate for a note, rounding noise taken off (-3.5e-18 is 0)."""
        near = 1e3 * self.resolution[axis]
        return f"{simplest_between(value - near, value + near) + 0.0:.4g}"


def _box(x: Sequence[float], y: Sequence[float], points: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """The box's lower and upper corners and the grid's points per axis; ValueError for settings that make no box."""
    ends = []
    for name, span in (("x", x), ("y", y)):
        if isinstance(span, str) or not isinstance(span, Sequence | np.ndarray) or len(span) != 2:
            raise ValueError(f"{name} must be a range ({name}min, {name}max), not {span!r}")
        for end, value in zip(("min", "max"), span, strict=True):
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
                raise ValueError(f"{name}{end} must be a number, not {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{name}{end} must be a finite number, not {value!r}")
        if not span[0] < span[1]:
            raise ValueError(f"the box is empty: {name}min must be less than {name}max, not {span[0]} … {span[1]}")
        if not math.isfinite(float(span[1]) - float(span[0])):
            raise ValueError(f"the box is too wide: {name}max − {name}min overflows float64")
        ends.append((float(span[0]), float(span[1])))
    count = DEFAULT_POINTS if points is None else points
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise ValueError(f"points must be a whole number of grid points per axis, not {count!r}")
    if not MIN_POINTS <= count <= MAX_POINTS:
        raise ValueError(f"points must be from {MIN_POINTS} to {MAX_POINTS:,} per axis, not {count:,}")
    low, high = np.array(ends).T
    return low, high, int(count)


def _partials(
    expr: Expression,
    params: Mapping[str, float] | None,
    at: np.ndarray,
    order: int = 2,
    dtype: torch.dtype = torch.float64,
    fuse: bool = False,
) -> np.ndarray:
    """Rows f, fx, fy (and fxx, fxy, fyy for order 2) at the points `at` (n × 2), as float64."""
    if len(at) == 0:
        return np.empty((3 if order == 1 else 6, 0))
    columns = {name: np.ascontiguousarray(at[:, i]) for i, name in enumerate(VARIABLES)}
    values = partials(expr, columns, order=order, params=params, dtype=dtype, fuse=fuse).values()
    return np.stack([row.numpy() for row in values]).astype(np.float64)


def _median(values: np.ndarray) -> float:
    """The median of the finite values that are not 0 (where f is flat over half the box, of the rest); 0 if none."""
    chosen = values[np.isfinite(values) & (values != 0)]
    return float(np.median(chosen)) if chosen.size else 0.0


def _gradient_is_noise(
    expr: Expression, params: Mapping[str, float] | None, flat: np.ndarray, rows: np.ndarray
) -> bool:
    """Whether fx and fy are 0 over the whole grid, exactly or up to rounding (sin²x + cos²x + sin²y + cos²y).

    Rounding is estimated as `rounding` does, from the same partials in float32."""
    gradient = rows[1:3][np.isfinite(rows[1:3])]
    if not gradient.size or not gradient.any():
        return bool(gradient.size)
    columns = {name: np.ascontiguousarray(flat[:, i]) for i, name in enumerate(VARIABLES)}
    single = partials(expr, columns, order=1, params=params, dtype=torch.float32)
    return all(
        is_noise(rows[k], rounding_errors(rows[k], single[name].numpy()).max(initial=0.0))
        for k, name in ((1, "fx"), (2, "fy"))
    )


def _candidates(rows: np.ndarray, axes: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Starting points (m × 2), and which of them are zeros of ∇f's bilinear model in their cell.

    First the cells where fx and fy both change sign, each started where the bilinear interpolations of fx and fy
    between the corners are both 0 if they are somewhere in the cell, else at its centre; then the grid points where
    |∇f|² is a local minimum of its 3×3 neighbourhood (∇f touching zero without changing sign)."""
    fx, fy = rows[1].reshape(n, n), rows[2].reshape(n, n)  # [row j (y), column i (x)]

    def corners(g: np.ndarray) -> np.ndarray:  # (x_i, y_j), (x_i+1, y_j), (x_i, y_j+1), (x_i+1, y_j+1)
        return np.stack([g[:-1, :-1], g[:-1, 1:], g[1:, :-1], g[1:, 1:]])

    def changes(c: np.ndarray) -> np.ndarray:
        return np.isfinite(c).all(axis=0) & (c.min(axis=0) <= 0) & (c.max(axis=0) >= 0)

    cx, cy = corners(fx), corners(fy)
    j, i = np.nonzero(changes(cx) & changes(cy))
    s, t, crossing = _bilinear_zeros(cx[:, j, i], cy[:, j, i])
    cells = np.stack([axes[0][i] + s * (axes[0][i + 1] - axes[0][i]), axes[1][j] + t * (axes[1][j + 1] - axes[1][j])])

    size = np.where(np.isfinite(fx) & np.isfinite(fy), fx**2 + fy**2, np.inf)
    middle = size[1:-1, 1:-1]
    lowest, highest = _around(size, n)
    j, i = np.nonzero(np.isfinite(middle) & (middle <= lowest) & (middle < highest))
    dips = np.stack([axes[0][i + 1], axes[1][j + 1]], axis=1)
    return np.concatenate([cells.T, dips]), np.concatenate([crossing, np.zeros(len(dips), dtype=bool)])


def _bilinear_zeros(cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where, in cell coordinates s, t ∈ [0, 1], the bilinear interpolations of fx and fy between the corners (4 × n
    each, ordered as `_candidates` takes them) are both 0: (0.5, 0.5) where they have no such common zero.

    With fx ≈ a0 + a1 s + a2 t + a3 st and fy ≈ b0 + …, s = −(a0 + a2 t) / (a1 + a3 t) from the first, and the
    second is then a quadratic in t."""
    a = np.stack([cx[0], cx[1] - cx[0], cx[2] - cx[0], cx[3] - cx[1] - cx[2] + cx[0]])
    b = np.stack([cy[0], cy[1] - cy[0], cy[2] - cy[0], cy[3] - cy[1] - cy[2] + cy[0]])
    c2 = b[2] * a[3] - b[3] * a[2]
    c1 = b[0] * a[3] + b[2] * a[1] - b[1] * a[2] - b[3] * a[0]
    c0 = b[0] * a[1] - b[1] * a[0]
    size = np.maximum(np.maximum(np.abs(c2), np.abs(c1)), np.abs(c0))
    root = np.sqrt(np.maximum(c1**2 - 4 * c2 * c0, 0))
    q = -(c1 + np.copysign(root, c1)) / 2  # the roots q / c2 and c0 / q, without cancellation
    real = c1**2 - 4 * c2 * c0 >= 0
    linear = np.abs(c2) <= 1e-12 * size
    ts = [np.where(linear, -c0 / c1, np.where(real, q / c2, np.nan)), np.where(linear | ~real, np.nan, c0 / q)]
    s, t = np.full(len(c0), 0.5), np.full(len(c0), 0.5)
    crossing = size == 0  # fx and fy proportional in the cell ((x − y)²): the model is 0 along a line
    for candidate in ts[::-1]:  # the first root wins
        first, second = a[1] + a[3] * candidate, b[1] + b[3] * candidate
        use_first = np.abs(first) >= np.abs(second)
        across = np.where(use_first, -(a[0] + a[2] * candidate) / first, -(b[0] + b[2] * candidate) / second)
        inside = (candidate >= 0) & (candidate <= 1) & (across >= 0) & (across <= 1)
        s, t, crossing = np.where(inside, across, s), np.where(inside, candidate, t), crossing | inside
    return s, t, crossing


def _steps(g: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Newton steps −H⁻¹∇f (2 × n), the pseudo-inverse's steps, and where H is singular up to SINGULAR.

    For a 2 × 2 symmetric H = [[a, b], [b, d]] both are closed forms: Cramer's rule, exact for a diagonal H (a step
    along one axis leaves the other coordinate as it was; where det = 0, the pseudo-inverse's); the pseudo-inverse
    keeps only the eigenvalue of larger size, λ = m ± r, and its eigenvector, from whichever of its two formulas has
    the larger norm."""
    (gx, gy), (a, b, d) = g, h
    det = a * d - b * b
    m, r = (a + d) / 2, np.hypot((a - d) / 2, b)
    big = np.abs(m) + r
    singular = ~(np.abs(det) > SINGULAR * big**2)  # |λmin| / |λmax| = |det| / λmax²; NaN counts as singular
    lam = m + np.copysign(r, m)
    first, second = np.stack([lam - d, b]), np.stack([b, lam - a])
    v = np.where(np.hypot(*first) >= np.hypot(*second), first, second)
    v = v / np.hypot(*v)
    pseudo = np.nan_to_num(np.where(big > 0, -(v[0] * gx + v[1] * gy) / lam, 0.0) * v)
    newton = np.stack([-(d * gx - b * gy) / det, -(a * gy - b * gx) / det])
    return np.where(np.isfinite(newton).all(axis=0), newton, pseudo), pseudo, singular


def _newton(search: _Search, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Damped Newton from every start at once: the points reached, their partials (6 × n), which strayed off.

    A step is taken if it passes Deuflhard's natural monotonicity test (Newton Methods for Nonlinear Problems, 2004,
    §3.1.4): the simplified Newton step from the trial point, with the Hessian from here, is shorter than this step,
    in box widths. Unlike a fall of |∇f|², this does not depend on how fx and fy are scaled against each other, and
    rounding noise in one of them (fy = ±1e-21 where fxy is noise) does not stop the other converging (fx = 4δ³ of
    (x − √2)⁴ + y², whose steps δ/3 shrink slowly). A step not taken is tried a quarter as long next time, one taken
    lets the next be twice as long, up to the full step.

    Where H is singular up to SINGULAR the Newton step is still tried first if it stays within a grid cell (it is
    right for x⁴ + y², whose fxx = 12x² is tiny but exact), and the pseudo-inverse's otherwise or after it fails
    (along a curve of critical points the small eigenvalue is rounding noise, and dividing by it sends the step
    anywhere along the curve). A candidate stops when ∇f is exactly 0, its step is within the resolution, or it is
    OUTSIDE the box."""
    at = starts.copy()
    rows = search.partials(at)
    low, width, resolution = search.low, search.width, search.resolution
    scale = np.ones(len(at))  # of the full step: a quarter after a failure, doubled (up to 1) after a success
    pseudo = np.zeros(len(at), dtype=bool)  # the next step is the pseudo-inverse's
    gone = np.zeros(len(at), dtype=bool)
    active = np.isfinite(rows[1:]).all(axis=0) & (rows[1:3] != 0).any(axis=0)
    for _ in range(ITERATIONS):
        live = np.flatnonzero(active)
        if len(live) == 0:
            break
        hessian = rows[3:6, live]
        newton, inverse, singular = _steps(rows[1:3, live], hessian)
        # At a singular H, Newton may go where the tiny eigenvalue sends it only within a grid cell: further, it is
        # sliding along a curve of critical points on rounding noise.
        wild = singular & (np.max(np.abs(newton) / search.spacing[:, None], axis=0) > 1)
        inverted = pseudo[live] | wild
        full = np.where(inverted, inverse, newton)
        length = np.hypot(*(full / width[:, None]))
        step = full * np.minimum(1.0, MAX_STEP / np.where(length > 0, length, 1.0)) * scale[live]
        trial = at[live] + step.T
        tried = search.partials(trial)
        newton, inverse, _ = _steps(tried[1:3], hessian)  # the simplified Newton step from the trial point
        simplified = np.hypot(*(np.where(inverted, inverse, newton) / width[:, None]))
        better = np.isfinite(tried[1:]).all(axis=0) & (simplified < length)
        at[live[better]], rows[:, live[better]] = trial[better], tried[:, better]
        switch = ~better & singular & ~inverted  # a failed Newton step at a singular H: the pseudo-inverse's next
        scale[live] = np.where(better, np.minimum(1.0, 2 * scale[live]), np.where(switch, 1.0, 0.25) * scale[live])
        pseudo[live] = switch
        beyond = np.any((at[live] < low - OUTSIDE * width) | (at[live] > low + (1 + OUTSIDE) * width), axis=1)
        gone[live] |= beyond
        done = (
            beyond
            | ~np.isfinite(step).all(axis=0)
            | (np.all(np.abs(step) <= resolution[:, None], axis=0) & ~switch)
            | (better & (tried[1:3] == 0).all(axis=0))
        )
        active[live[done]] = False
    return at, rows, gone


def _frame(
    search: _Search, at: np.ndarray, rows: np.ndarray, kinds: np.ndarray, smooth: np.ndarray, notes: list[str]
) -> pd.DataFrame:
    """The table: each value within its rounding error 0 (`rounding.pointwise_errors`: ∇f at a critical point is 0,
    not ±1e-16), the gradient and Hessian undefined where ∇f is (`smooth` False)."""
    if len(at):
        values, errors = pointwise_errors(search.expr, {"x": at[:, 0], "y": at[:, 1]}, order=2, params=search.params)
        rows = zeroed(values, errors)
        rows[1:3, smooth] = 0.0  # a smooth critical point: ∇f = 0, as found
        rows[1:, ~smooth] = np.nan  # where ∇f does not exist, nor does H
    frame = pd.DataFrame(
        {
            "kind": pd.Series(np.asarray(kinds, dtype=object), dtype=object),
            "x": at[:, 0] + 0.0,  # + 0.0: -0.0 reads 0
            "y": at[:, 1] + 0.0,
            **{name: rows[k] for k, name in enumerate(COLUMNS[3:9])},
            "smooth": np.asarray(smooth, dtype=bool),
        },
        columns=COLUMNS,
    )
    frame = frame.sort_values(["x", "y"], kind="stable", ignore_index=True)
    frame.attrs["notes"] = notes
    return frame


def _ring_kind(sign: np.ndarray) -> str:
    """The kind of point whose circle around it has these signs of f − f(point) (0: level; see kinds_around)."""
    if np.isnan(sign).any():
        return "regular"
    if np.all(sign > 0):
        return "minimum"
    if np.all(sign < 0):
        return "maximum"
    turns = sign[sign != 0]
    changes = int(np.count_nonzero(turns != np.roll(turns, 1))) if len(turns) else 0
    if changes >= 4:
        return "saddle"
    if changes == 0 and len(turns):
        return "crease"
    return "regular"


def _around(values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each inner point of an n × n grid, the smallest and the largest of its 8 neighbours (NaN ignored)."""
    middle = values[1:-1, 1:-1]
    lowest, highest = np.full_like(middle, np.inf), np.full_like(middle, -np.inf)
    for dj, di in ((dj, di) for dj in (-1, 0, 1) for di in (-1, 0, 1) if dj or di):
        around = values[1 + dj : n - 1 + dj, 1 + di : n - 1 + di]
        np.fmin(lowest, around, out=lowest)
        np.fmax(highest, around, out=highest)
    return lowest, highest


def _grid_extrema(grid: tuple[list[np.ndarray], np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid points where f is strictly below (or above) its 8 neighbours: (n × 2 points, +1 for a minimum)."""
    axes, f = grid
    middle = f[1:-1, 1:-1]
    lowest, highest = _around(f, n)
    with np.errstate(invalid="ignore"):
        minimum, maximum = middle < lowest, middle > highest
    j, i = np.nonzero(np.isfinite(middle) & (minimum | maximum))
    points = np.stack([axes[0][i + 1], axes[1][j + 1]], axis=1)
    return points, np.where(minimum[j, i], 1.0, -1.0)
