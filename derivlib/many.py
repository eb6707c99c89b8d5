"""minimize_many(): one method from many starts at once, each start its own run of minimize()'s algorithm.

The starts are rows of arrays: every iterate, gradient, direction and line search state has one row per start, and
the formula is evaluated at all the starts still running in one call of its Taylor program (on the device asked
for), where minimize() makes one call per point. Everything else is the same algorithm, written again over rows: the
same directions (optimize.SteepestDescent, ModifiedNewton, ConjugateGradient, LBFGS), the same backtracking and
strong Wolfe searches (N&W Algorithms 3.1, 3.5 and 3.6) with each start's own trial steps, brackets and stopping,
the same checks (f undefined or unbounded below, a step too small to move x) and the same stopping rule, ‖∇f‖∞ ≤ tol.
A start that has stopped is left out of every later evaluation.

The arithmetic is numpy's, as minimize()'s is, and each operation on a row is the one minimize() makes on its point
(dot products by np.vecdot, which calls the same BLAS routine as `a @ b`; Cholesky and solves by numpy's stacked
LAPACK calls): where the formula's values are the same, so is every start's run, to the last bit. What minimize()
does beyond its method is left out: the kink watch (a run that keeps crossing a kink of f, Status.NOT_SMOOTH) and the
time limit; a start where f or ∇f is undefined ends there, Status.UNDEFINED, after no iteration (minimize() refuses
such a start).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import jet
from .engine import parameter_values, resolve_device, resolve_dtype
from .optimize import (
    C1,
    C2_CG,
    C2_NEWTON_LBFGS,
    DEFAULT_LR,
    LBFGS_MEMORY,
    MAX_LINE_SEARCH,
    MIN_SHIFT,
    NOISE,
    RECORDS,
    RESTART,
    RHO,
    SHIFT_GROWTH,
    UNBOUNDED,
    Status,
    checked_numbers,
    direction_seeds,
    formula_over,
    hessian_from_halves,
    hessian_from_partials,
)
from .partials import partials
from .tree import Expression

# minimize()'s own methods
BATCHED = ("gradient-descent", "gradient-descent-armijo", "newton", "newton-plain", "cg-fr", "cg-pr", "lbfgs")
RUNNING = -1  # a start's status while it runs
EPS = float(np.finfo(float).eps)


def minimize_many(
    expr: Expression | str,
    starts: Mapping[str, Any],
    *,
    method: str = "newton",
    params: Mapping[str, float] | None = None,
    tol: float = 1e-8,
    max_iter: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float64,
    lr: float = DEFAULT_LR,
    memory: int = LBFGS_MEMORY,
):
    """Minimize the formula by the method from every start at once: one row per start of a pandas DataFrame with the
    columns start_<variable> for each variable, then each variable's end point, fun, nit, success and status (an
    optimize.Status).

    `starts` maps each variable to a 1-D array of its starting values, all of one length, as `partials` takes points;
    text is read with those names as the variables. The methods are minimize()'s own (BATCHED), with its options
    (tol, max_iter, lr, memory); each start ends where minimize() from it alone ends (see the module's docstring for
    what is left out).

    >>> frame = minimize_many("(x - 1)^2 + 3(y + 2)^2", {"x": [0.0, 5.0], "y": [0.0, -1.0]})
    >>> frame[["x", "y", "nit", "success"]].round(12) + 0.0
         x    y  nit  success
    0  1.0 -2.0  1.0      1.0
    1  1.0 -2.0  1.0      1.0
    """
    import pandas as pd  # on first use: `import derivlib` does not load pandas

    if method not in BATCHED:
        raise ValueError(f"minimize_many runs derivlib's own methods: choose one of {', '.join(BATCHED)}")
    if not isinstance(starts, Mapping) or not starts:
        raise ValueError("starts must map each variable to its starting values, as {'x': [...], 'y': [...]}")
    variables = tuple(starts)
    expr = formula_over(expr, variables, params, ("starts has no values", "starts", "starts"))
    try:
        x0 = np.stack([np.asarray(starts[name], dtype=float).reshape(-1) for name in variables], axis=1)
    except ValueError:
        sizes = ", ".join(f"{name}: {np.size(starts[name])}" for name in variables)
        raise ValueError(f"every variable needs as many starts as the others ({sizes})") from None
    if not np.all(np.isfinite(x0)):
        raise ValueError("the starts must be finite numbers")
    tol, max_iter, lr, memory = checked_numbers(method, tol, max_iter, lr, memory)

    evaluate = _Evaluator(expr, variables, params, device, dtype)
    runs = _Runs(evaluate, x0, tol, max_iter, RECORDS[method].hessian)
    _SOLVERS[method](runs, lr, memory)
    columns: dict[str, Any] = {f"start_{name}": x0[:, i] for i, name in enumerate(variables)}
    columns |= {name: runs.x[:, i] for i, name in enumerate(variables)}
    columns |= {"fun": runs.f, "nit": runs.nit, "success": runs.status == Status.CONVERGED}
    frame = pd.DataFrame(columns)
    frame["status"] = [Status(int(s)) for s in runs.status]
    return frame


# ---------------------------------------------------------------------------------------------------------------------
# f, ∇f and ∇²f at many points: minimize()'s one-pass evaluation (optimize.Objective._series), over rows


class _Evaluator:
    """The formula's Taylor program, bound once, along minimize()'s directions at every row of x at once: e_i for
    the gradient, then e_i + e_j (i < j) for the Hessian; where a row's values are not all finite (or it lies on a
    seam), partials() decides that row, as minimize() falls back to it."""

    def __init__(self, expr: Expression, variables: tuple[str, ...], params, device, dtype) -> None:
        self.expr, self.variables, self.params = expr, variables, params
        self.like = torch.zeros((), dtype=resolve_dtype(dtype), device=resolve_device(device))
        self.values = parameter_values(expr, params, self.like)
        self.prepared: dict[int, tuple[jet.Bound, np.ndarray, Any]] = {}

    def _prepared(self, order: int) -> tuple[jet.Bound, np.ndarray, Any]:
        if order not in self.prepared:
            n = len(self.variables)
            bound = jet.compile_program(self.expr, order, self.variables).bind(self.values, like=self.like)
            seams = jet.seams(self.expr, order, self.values, self.like, self.variables)
            seeds = direction_seeds(n, order)
            self.prepared[order] = (bound, seeds, seams)
        return self.prepared[order]

    def __call__(self, x: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """f (m,), ∇f (m, n) and ∇²f (m, n, n) at the m rows of x (∇f and ∇²f NaN beyond the order)."""
        m, n = x.shape
        bound, seeds, seams = self._prepared(order)
        count = len(seeds)
        like = self.like
        points = [torch.as_tensor(np.repeat(x[:, v], count), dtype=like.dtype, device=like.device) for v in range(n)]
        if order:
            directions: list[Any] = [
                torch.as_tensor(np.tile(seeds[:, v], m), dtype=like.dtype, device=like.device) for v in range(n)
            ]
        else:
            directions = [0.0] * n
        series = bound.series_along(points, directions)
        rows = [
            np.broadcast_to(series[k].numpy(force=True) if k < len(series) else 0.0, (m * count,))
            .astype(float)
            .reshape(m, count)
            for k in range(order + 1)
        ]
        redo = ~np.all([np.all(np.isfinite(row), axis=1) for row in rows], axis=0)
        if seams is not None:
            on = seams.on([torch.as_tensor(x[:, v], dtype=like.dtype, device=like.device) for v in range(n)])
            redo |= on.numpy(force=True).astype(bool)
        f = rows[0][:, 0].copy()
        g = rows[1][:, :n].copy() if order >= 1 else np.full((m, n), math.nan)
        h = hessian_from_halves(rows[2], n) if order == 2 else np.full((m, n, n), math.nan)
        if redo.any():
            f[redo], g[redo], h[redo] = self._partials(x[redo], order)
        return f, g, h

    def _partials(self, x: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What partials() gives at these rows (it redoes NaN and ±inf by autograd, decides seams from both sides)."""
        m, n = x.shape
        points = {name: x[:, i] for i, name in enumerate(self.variables)}
        found = partials(
            self.expr, points, order=order, params=self.params, device=self.like.device, dtype=self.like.dtype
        )
        rows = np.stack([row.numpy(force=True) for row in found.values()]).astype(float)
        g = rows[1 : n + 1].T.copy() if order >= 1 else np.full((m, n), math.nan)
        h = hessian_from_partials(rows, n) if order == 2 else np.full((m, n, n), math.nan)
        return rows[0].copy(), g, h


# ---------------------------------------------------------------------------------------------------------------------
# The runs: every start's iterate, its counts and how it ended


@dataclass
class _Runs:
    evaluate: _Evaluator
    x: np.ndarray  # (B, n): each start's iterate
    tol: float
    max_iter: int
    hessian: bool
    f: np.ndarray = field(init=False)
    g: np.ndarray = field(init=False)
    h: np.ndarray = field(init=False)
    status: np.ndarray = field(init=False)
    nit: np.ndarray = field(init=False)
    floor: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.x = self.x.copy()
        size = len(self.x)
        self.f, self.g, self.h = self.evaluate(self.x, 2 if self.hessian else 1)
        self.status = np.full(size, RUNNING, dtype=np.int64)
        self.nit = np.zeros(size, dtype=np.int64)
        undefined = ~(np.isfinite(self.f) & np.all(np.isfinite(self.g), axis=1))
        self.status[undefined] = Status.UNDEFINED  # minimize() refuses such a start
        with np.errstate(invalid="ignore", over="ignore"):
            self.floor = self.f - UNBOUNDED * np.maximum(1.0, np.abs(self.f))

    def running(self) -> np.ndarray:
        """The starts still running, once those that have converged are marked so (‖∇f‖∞ ≤ tol)."""
        running = self.status == RUNNING
        with np.errstate(invalid="ignore"):
            converged = running & (np.max(np.abs(self.g), axis=1) <= self.tol)
        self.status[converged] = Status.CONVERGED
        return np.flatnonzero(running & ~converged)

    def stop(self, rows: np.ndarray, status: Status) -> None:
        self.status[rows] = status

    def moved(self, rows: np.ndarray, new: np.ndarray, f: np.ndarray, g: np.ndarray, h: np.ndarray | None, k: int):
        """The step to `new` taken at these rows (iteration k), checked as minimize() checks each iterate: f fallen
        without bound, or f or ∇f undefined, ends the start at its last iterate."""
        unbounded = (f == -math.inf) | (f < self.floor[rows])
        undefined = ~unbounded & ~(np.isfinite(f) & np.all(np.isfinite(g), axis=1))
        self.status[rows[unbounded]] = Status.UNBOUNDED
        self.status[rows[undefined]] = Status.UNDEFINED
        ok = ~(unbounded | undefined)
        kept = rows[ok]
        self.x[kept], self.f[kept], self.g[kept] = new[ok], f[ok], g[ok]
        if h is not None:
            self.h[kept] = h[ok]
        self.nit[kept] = k

    def end(self) -> None:
        """Those still running after max_iter steps: converged, or out of iterations."""
        self.running()
        self.status[self.status == RUNNING] = Status.MAX_ITER


def _too_small(x: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Rows where the step to new is too small for float64 to move x (optimize._moving)."""
    return np.all(np.abs(new - x) <= 4 * EPS * np.maximum(np.abs(x), 1e-300), axis=1)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each row's a @ b, as numpy computes it for one pair of vectors (the same BLAS routine, so the same bits)."""
    return np.vecdot(a, b)


def _norm(a: np.ndarray) -> np.ndarray:
    """Each row's np.linalg.norm: the square root of its dot product with itself."""
    return np.sqrt(_dot(a, a))


def _min(a, b) -> np.ndarray:
    """Python's min(a, b) elementwise, arguments in the same order: a unless b is smaller (so a NaN as b is not)."""
    return np.where(b < a, b, a)


def _max(a, b) -> np.ndarray:
    """Python's max(a, b) elementwise, arguments in the same order: a unless b is larger."""
    return np.where(b > a, b, a)


# ---------------------------------------------------------------------------------------------------------------------
# The line searches over rows (optimize.backtracking and optimize.strong_wolfe, each row its own search)


def _backtracking(runs: _Runs, rows: np.ndarray, p: np.ndarray, alpha: np.ndarray):
    """N&W Algorithm 3.1 at each row: (α, f(x + αp), found, unbounded) with found False where no trial of
    MAX_LINE_SEARCH decreased f enough, and unbounded where a trial fell below the start's floor."""
    x, f, g = runs.x[rows], runs.f[rows], runs.g[rows]
    slope = _dot(g, p)
    alpha = alpha.copy()
    value = np.full(len(rows), math.nan)
    found = np.zeros(len(rows), dtype=bool)
    unbounded = np.zeros(len(rows), dtype=bool)
    searching = np.ones(len(rows), dtype=bool)
    for _ in range(MAX_LINE_SEARCH):
        live = np.flatnonzero(searching)
        if not len(live):
            break
        trial = runs.evaluate(x[live] + alpha[live, None] * p[live], 0)[0]
        below = trial < runs.floor[rows[live]]
        unbounded[live[below]] = True
        with np.errstate(invalid="ignore"):
            good = ~below & np.isfinite(trial) & (trial <= f[live] + C1 * alpha[live] * slope[live])
        value[live[good]] = trial[good]
        found[live[good]] = True
        searching[live[below | good]] = False
        alpha[live[~(below | good)]] *= RHO
    return alpha, value, found, unbounded


@dataclass
class _Wolfe:
    """One strong Wolfe search per row (N&W Algorithms 3.5 and 3.6), as optimize.strong_wolfe: its bracketing phase,
    then its zoom, each row at its own stage; a trial for every row still searching is evaluated at once."""

    runs: _Runs
    rows: np.ndarray
    p: np.ndarray
    c2: float

    def search(self, alpha0: np.ndarray):
        """(α, f, ∇f, found, has_gradient, unbounded) per row: found False where no step met the conditions;
        has_gradient False where the zoom ended on its low end without a gradient there (optimize: `None`)."""
        runs, rows, p = self.runs, self.rows, self.p
        m = len(rows)
        x = runs.x[rows]
        phi0, dphi0 = runs.f[rows], _dot(runs.g[rows], p)
        noise = NOISE * np.abs(phi0)
        alpha, previous = alpha0.copy(), np.zeros(m)
        phi_previous, dphi_previous = phi0.copy(), dphi0.copy()
        low, high = np.zeros(m), np.zeros(m)
        phi_low, dphi_low, phi_high, dphi_high = (np.zeros(m) for _ in range(4))
        tries, zooms = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
        result_alpha, result_f = np.full(m, math.nan), np.full(m, math.nan)
        result_g = np.full((m, p.shape[1]), math.nan)
        found, has_gradient, unbounded = (np.zeros(m, dtype=bool) for _ in range(3))
        bracketing = dphi0 < 0  # not a descent direction: no search at all
        zooming = np.zeros(m, dtype=bool)

        def decreases(a, value, slope, i):
            return (value <= phi0[i] + C1 * a * dphi0[i]) | (
                (value <= phi0[i] + noise[i]) & (slope <= (2 * C1 - 1) * dphi0[i])
            )

        def accept(i, a, value, gradient):
            result_alpha[i], result_f[i], result_g[i] = a, value, gradient
            found[i] = has_gradient[i] = True

        def zoom(i, lo, hi, flo, dlo, fhi, dhi):
            bracketing[i] = False
            zooming[i] = True
            low[i], high[i], phi_low[i], dphi_low[i], phi_high[i], dphi_high[i] = lo, hi, flo, dlo, fhi, dhi

        while True:
            done = bracketing & (tries >= MAX_LINE_SEARCH)
            bracketing &= ~done
            ended = zooming & (zooms >= MAX_LINE_SEARCH)
            self._end_zoom(np.flatnonzero(ended), low, phi_low, result_alpha, result_f, found)
            zooming &= ~ended
            live = np.flatnonzero(bracketing | zooming)
            if not len(live):
                break
            in_zoom = zooming[live]
            trial = alpha[live].copy()
            z = live[in_zoom]
            trial[in_zoom] = _cubic_minimizer(low[z], phi_low[z], dphi_low[z], high[z], phi_high[z], dphi_high[z])
            value, gradient, _ = runs.evaluate(x[live] + trial[:, None] * p[live], 1)
            slope = _dot(gradient, p[live])
            below = value < runs.floor[rows[live]]
            unbounded[live[below]] = True
            bracketing[live[below]] = zooming[live[below]] = False
            with np.errstate(invalid="ignore", over="ignore"):
                finite = np.isfinite(value) & np.isfinite(slope)
                # Bracketing (Algorithm 3.5), row by row as strong_wolfe's loop body
                b = ~in_zoom & ~below
                i = live[b]
                tries[i] += 1
                ok = finite[b]
                nonfinite = i[~ok]
                alpha[nonfinite] = (previous[nonfinite] + alpha[nonfinite]) / 2
                i, a, v, s, gr = i[ok], trial[b][ok], value[b][ok], slope[b][ok], gradient[b][ok]
                first = tries[i] == 1
                rise = ~decreases(a, v, s, i) | (~first & (v > phi_previous[i] + noise[i]))
                zoom(
                    i[rise], previous[i[rise]], a[rise], phi_previous[i[rise]], dphi_previous[i[rise]], v[rise], s[rise]
                )
                rest = ~rise
                wolfe = rest & (np.abs(s) <= -self.c2 * dphi0[i])
                accept(i[wolfe], a[wolfe], v[wolfe], gr[wolfe])
                bracketing[i[wolfe]] = False
                rest &= ~wolfe
                up = rest & (s >= 0)
                zoom(i[up], a[up], previous[i[up]], v[up], s[up], phi_previous[i[up]], dphi_previous[i[up]])
                on = i[rest & ~up]
                a_on, v_on, s_on = a[rest & ~up], v[rest & ~up], s[rest & ~up]
                previous[on], phi_previous[on], dphi_previous[on] = a_on, v_on, s_on
                alpha[on] = a_on * 2.0
                # Zooming (Algorithm 3.6)
                zm = in_zoom & ~below
                i = live[zm]
                zooms[i] += 1
                ok = finite[zm]
                bad = i[~ok]
                high[bad], phi_high[bad], dphi_high[bad] = trial[zm][~ok], math.inf, math.inf
                i, a, v, s, gr = i[ok], trial[zm][ok], value[zm][ok], slope[zm][ok], gradient[zm][ok]
                shrink = ~decreases(a, v, s, i) | (v > phi_low[i] + noise[i])
                hi = i[shrink]
                high[hi], phi_high[hi], dphi_high[hi] = a[shrink], v[shrink], s[shrink]
                keep = ~shrink
                wolfe = keep & (np.abs(s) <= -self.c2 * dphi0[i])
                accept(i[wolfe], a[wolfe], v[wolfe], gr[wolfe])
                zooming[i[wolfe]] = False
                keep &= ~wolfe
                flip = keep & (s * (high[i] - low[i]) >= 0)
                fl = i[flip]
                high[fl], phi_high[fl], dphi_high[fl] = low[fl], phi_low[fl], dphi_low[fl]
                lo = i[keep]
                low[lo], phi_low[lo], dphi_low[lo] = a[keep], v[keep], s[keep]
                # The bracket too narrow to shrink further (not after a trial where f was undefined: `continue`)
                checked = i[~wolfe]
                narrow = np.abs(high[checked] - low[checked]) <= 4 * EPS * np.maximum(
                    np.maximum(np.abs(low[checked]), np.abs(high[checked])), 1e-300
                )
                self._end_zoom(checked[narrow], low, phi_low, result_alpha, result_f, found)
                zooming[checked[narrow]] = False
        return result_alpha, result_f, result_g, found, has_gradient, unbounded

    @staticmethod
    def _end_zoom(i, low, phi_low, result_alpha, result_f, found) -> None:
        """A zoom that ends without a step meeting the conditions: its low end where that is a step (α > 0)."""
        step = i[low[i] > 0]
        result_alpha[step], result_f[step] = low[step], phi_low[step]
        found[step] = True


def _cubic_minimizer(a, fa, da, b, fb, db) -> np.ndarray:
    """optimize._cubic_minimizer at each row."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        d1 = np.where(a != b, da + db - 3 * (fa - fb) / (a - b), math.nan)
        radicand = d1 * d1 - da * db
        usable = np.isfinite(radicand) & (radicand >= 0) & np.isfinite(fb)
        d2 = np.copysign(np.sqrt(np.where(usable, radicand, 0.0)), b - a)
        denominator = db - da + 2 * d2
        candidate = b - (b - a) * (db + d2 - d1) / np.where(denominator != 0, denominator, 1.0)
        margin = 0.1 * (high - low)
        inside = usable & (denominator != 0) & (low + margin <= candidate) & (candidate <= high - margin)
    return np.where(inside, candidate, (a + b) / 2)


# ---------------------------------------------------------------------------------------------------------------------
# The methods over rows: each direction's state has a row per start (optimize's Direction classes)


class _Directions:
    """A line-search method's own part at every row (optimize.Direction); `rows` index the starts."""

    hessian = False
    c2: float | None = None

    def direction(self, runs: _Runs, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def first_step(self, rows: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.ones(len(rows))

    def took(self, rows: np.ndarray, alpha: np.ndarray, p: np.ndarray) -> None:
        pass

    def restart(self, rows: np.ndarray) -> np.ndarray:
        """Forget what the rows have learnt; which had anything to forget."""
        return np.zeros(len(rows), dtype=bool)


class _SteepestDescent(_Directions):
    def __init__(self, size: int) -> None:
        self.guess = np.ones(size)

    def direction(self, runs: _Runs, rows: np.ndarray) -> np.ndarray:
        return -runs.g[rows]

    def first_step(self, rows: np.ndarray, p: np.ndarray) -> np.ndarray:
        return self.guess[rows].copy()

    def took(self, rows: np.ndarray, alpha: np.ndarray, p: np.ndarray) -> None:
        self.guess[rows] = _min(1.0, 2 * alpha)


class _ModifiedNewton(_Directions):
    hessian = True

    def direction(self, runs: _Runs, rows: np.ndarray) -> np.ndarray:
        g, h = runs.g[rows], runs.h[rows]
        m, n = g.shape
        diagonal = np.diagonal(h, axis1=1, axis2=2)
        smallest = np.min(diagonal, axis=1) if n else np.zeros(m)
        shift = np.zeros(m)
        with np.errstate(invalid="ignore"):
            shifted = smallest <= 0  # H is not positive definite: start from a shift that makes its diagonal positive
            largest = _max(np.max(np.abs(diagonal), axis=1), 1.0)[shifted]
            shift[shifted] = _max(MIN_SHIFT * largest, -smallest[shifted] + MIN_SHIFT)
        p = -g  # where no shift makes H positive definite (a Hessian of NaN, say): steepest descent
        todo = np.arange(m)
        eye = np.eye(n)
        for _ in range(60):
            if not len(todo):
                break
            shifted_h = h[todo] + shift[todo, None, None] * eye
            factored, factors = _cholesky(shifted_h)
            done = todo[factored]
            if len(done):
                factor = factors[factored]
                inner = np.linalg.solve(factor, g[done][..., None])
                p[done] = -np.linalg.solve(np.swapaxes(factor, 1, 2), inner)[..., 0]
            failed = todo[~factored]
            shift[failed] = _max(SHIFT_GROWTH * shift[failed], MIN_SHIFT)
            todo = failed
        return p


def _cholesky(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of the matrices numpy's Cholesky factors (LAPACK's potrf: every pivot positive), and their factors (0
    where it does not). The pivots are computed over the stack first; LAPACK itself then factors the matrices said to
    factor (in one stacked call, which raises if any fails) and those whose pivot was too close to 0 for the two to be
    sure to agree (one at a time): the factors are LAPACK's, as minimize() gets them."""
    m, n = h.shape[:2]
    lower = np.zeros_like(h)
    pivot = np.full(m, math.inf)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for j in range(n):
            d = h[:, j, j] - np.sum(lower[:, j, :j] ** 2, axis=1)
            pivot = np.fmin(pivot, np.where(np.isnan(d), -math.inf, d))
            lower[:, j, j] = np.sqrt(np.where(d > 0, d, 1.0))
            for i in range(j + 1, n):
                lower[:, i, j] = (h[:, i, j] - np.sum(lower[:, i, :j] * lower[:, j, :j], axis=1)) / lower[:, j, j]
        scale = np.max(np.abs(h).reshape(m, -1), axis=1, initial=0.0)
    ok = pivot > 0
    doubtful = np.abs(pivot) <= 1e-8 * scale
    sure = np.flatnonzero(ok & ~doubtful)
    factors = np.zeros_like(h)
    try:
        factors[sure] = np.linalg.cholesky(h[sure])
    except np.linalg.LinAlgError:
        doubtful[sure] = True
    for k in np.flatnonzero(doubtful):
        try:
            factors[k] = np.linalg.cholesky(h[k])
            ok[k] = True
        except np.linalg.LinAlgError:
            ok[k] = False
    return ok, factors


class _ConjugateGradient(_Directions):
    c2 = C2_CG

    def __init__(self, size: int, n: int, polak_ribiere: bool) -> None:
        self.polak_ribiere = polak_ribiere
        self.g = np.full((size, n), math.nan)
        self.has_g = np.zeros(size, dtype=bool)
        self.p = np.full((size, n), math.nan)
        self.length = np.ones(size)

    def direction(self, runs: _Runs, rows: np.ndarray) -> np.ndarray:
        g, previous, had = runs.g[rows], self.g[rows], self.has_g[rows]
        self.g[rows], self.has_g[rows] = g, True
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            fresh = ~had
            if not self.polak_ribiere:
                fresh |= np.abs(_dot(g, previous)) >= RESTART * _dot(g, g)
            denominator = _dot(previous, previous)
            fletcher_reeves = _dot(g, g) / denominator
            beta = _max(0.0, _dot(g, g - previous) / denominator) if self.polak_ribiere else fletcher_reeves
            new = -g + beta[:, None] * self.p[rows]
            descends = _dot(new, g) < 0
        p = np.where((fresh | ~descends)[:, None], -g, new)
        self.p[rows] = p
        return p

    def restart(self, rows: np.ndarray) -> np.ndarray:
        restarted = self.has_g[rows].copy()
        self.has_g[rows] = False
        return restarted

    def first_step(self, rows: np.ndarray, p: np.ndarray) -> np.ndarray:
        return _min(1.0, self.length[rows] / _max(_norm(p), 1e-300))

    def took(self, rows: np.ndarray, alpha: np.ndarray, p: np.ndarray) -> None:
        self.length[rows] = alpha * _max(_norm(p), 1e-300)


class _LBFGS(_Directions):
    c2 = C2_NEWTON_LBFGS

    def __init__(self, size: int, n: int, memory: int) -> None:
        self.memory = memory
        # Each row's last `count` pairs, the newest first: position j holds the same age in every row, so that the
        # two loops take a position of all the rows at once (the rows with fewer pairs left as they are).
        self.s = np.zeros((size, memory, n))
        self.y = np.zeros((size, memory, n))
        self.rho = np.zeros((size, memory))
        self.count = np.zeros(size, dtype=np.int64)
        self.last_x = np.full((size, n), math.nan)
        self.last_g = np.full((size, n), math.nan)
        self.has_last = np.zeros(size, dtype=bool)

    def direction(self, runs: _Runs, rows: np.ndarray) -> np.ndarray:
        x, g = runs.x[rows], runs.g[rows]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            s, y = x - self.last_x[rows], g - self.last_g[rows]
            curved = self.has_last[rows] & (_dot(s, y) > 1e-12 * (_norm(s) * _norm(y)))
            self._keep(rows[curved], s[curved], y[curved], 1.0 / _dot(y[curved], s[curved]))
        self.last_x[rows], self.last_g[rows], self.has_last[rows] = x, g, True
        pairs_s, pairs_y, rho, count = self.s[rows], self.y[rows], self.rho[rows], self.count[rows]
        q = g.copy()
        alphas = np.zeros((len(rows), self.memory))
        deepest = int(count.max(initial=0))
        with np.errstate(invalid="ignore", over="ignore"):
            for j in range(deepest):  # the first loop, newest pair first
                has = (j < count)[:, None]
                a = rho[:, j] * _dot(pairs_s[:, j], q)
                q = np.where(has, q - a[:, None] * pairs_y[:, j], q)
                alphas[:, j] = a
            if deepest:
                scale = _dot(pairs_s[:, 0], pairs_y[:, 0]) / _dot(pairs_y[:, 0], pairs_y[:, 0])
                q = np.where((count > 0)[:, None], q * scale[:, None], q)
            for j in reversed(range(deepest)):  # the second loop, oldest first
                has = (j < count)[:, None]
                correction = alphas[:, j] - rho[:, j] * _dot(pairs_y[:, j], q)
                q = np.where(has, q + pairs_s[:, j] * correction[:, None], q)
        return -q

    def _keep(self, rows: np.ndarray, s: np.ndarray, y: np.ndarray, rho: np.ndarray) -> None:
        """Put a pair first in each row's, the oldest dropped beyond `memory`."""
        self.s[rows, 1:], self.y[rows, 1:], self.rho[rows, 1:] = (
            self.s[rows, :-1],
            self.y[rows, :-1],
            self.rho[rows, :-1],
        )
        self.s[rows, 0], self.y[rows, 0], self.rho[rows, 0] = s, y, rho
        self.count[rows] = np.minimum(self.count[rows] + 1, self.memory)

    def first_step(self, rows: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.where(self.count[rows] > 0, 1.0, _min(1.0, 1.0 / _max(_norm(p), 1e-300)))

    def restart(self, rows: np.ndarray) -> np.ndarray:
        restarted = self.count[rows] > 0
        self.count[rows] = 0
        self.has_last[rows] = False
        return restarted


def _with_line_search(runs: _Runs, method: _Directions) -> None:
    """optimize._with_line_search over rows: the direction, its line search (retried once along steepest descent
    where a learnt direction fails), the step; each row stops as its own run would."""
    for k in range(1, runs.max_iter + 1):
        rows = runs.running()
        if not len(rows):
            return
        p = method.direction(runs, rows)
        if method.c2 is None:
            alpha, value, found, unbounded = _backtracking(runs, rows, p, method.first_step(rows, p))
            gradient, has_gradient = np.full(p.shape, math.nan), np.zeros(len(rows), dtype=bool)
        else:
            alpha, value, gradient, found, has_gradient, unbounded = _Wolfe(runs, rows, p, method.c2).search(
                method.first_step(rows, p)
            )
            again = np.flatnonzero(~found & ~unbounded)
            again = again[method.restart(rows[again])]
            if len(again):  # along steepest descent, once, before giving up
                retry = rows[again]
                p[again] = method.direction(runs, retry)
                results = _Wolfe(runs, retry, p[again], method.c2).search(method.first_step(retry, p[again]))
                for whole, part in zip((alpha, value, gradient, found, has_gradient, unbounded), results, strict=True):
                    whole[again] = part
        runs.stop(rows[unbounded], Status.UNBOUNDED)
        runs.stop(rows[~found & ~unbounded], Status.NO_PROGRESS)
        go = np.flatnonzero(found & ~unbounded)
        rows, p, alpha = rows[go], p[go], alpha[go]
        value, gradient, has_gradient = value[go], gradient[go], has_gradient[go]
        new = runs.x[rows] + alpha[:, None] * p
        if method.hessian:  # ∇²f only once x has moved
            small = _too_small(runs.x[rows], new)
            runs.stop(rows[small], Status.NO_PROGRESS)
            rows, new, p, alpha = rows[~small], new[~small], p[~small], alpha[~small]
            f, g, h = runs.evaluate(new, 2)
        else:
            look = np.flatnonzero(~has_gradient)
            f, g, h = value.copy(), gradient.copy(), None
            if len(look):  # ∇f there, where the line search did not give it
                f[look], g[look], _ = runs.evaluate(new[look], 1)
            small = _too_small(runs.x[rows], new)
            runs.stop(rows[small], Status.NO_PROGRESS)
            rows, new, p, alpha, f, g = rows[~small], new[~small], p[~small], alpha[~small], f[~small], g[~small]
        method.took(rows, alpha, p)
        runs.moved(rows, new, f, g, h, k)
    runs.end()


def _gradient_descent(runs: _Runs, lr: float, memory: int) -> None:
    for k in range(1, runs.max_iter + 1):
        rows = runs.running()
        if not len(rows):
            return
        new = runs.x[rows] - lr * runs.g[rows]
        small = _too_small(runs.x[rows], new)
        runs.stop(rows[small], Status.NO_PROGRESS)
        rows, new = rows[~small], new[~small]
        f, g, _ = runs.evaluate(new, 1)
        runs.moved(rows, new, f, g, None, k)
    runs.end()


def _plain_newton(runs: _Runs, lr: float, memory: int) -> None:
    """optimize._plain_newton over rows: the full step −(∇²f)⁻¹∇f; a row whose Hessian is singular stops there."""
    for k in range(1, runs.max_iter + 1):
        rows = runs.running()
        if not len(rows):
            return
        h, g = runs.h[rows], runs.g[rows]
        p = np.full(g.shape, math.nan)
        solvable = np.ones(len(rows), dtype=bool)
        try:  # numpy's stacked solve raises for one singular matrix among many: then each alone
            p = -np.linalg.solve(h, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            for i in range(len(rows)):
                try:
                    p[i] = -np.linalg.solve(h[i], g[i])
                except np.linalg.LinAlgError:
                    solvable[i] = False
        runs.stop(rows[~solvable], Status.NO_PROGRESS)
        rows, new = rows[solvable], runs.x[rows[solvable]] + p[solvable]
        small = _too_small(runs.x[rows], new)
        runs.stop(rows[small], Status.NO_PROGRESS)
        rows, new = rows[~small], new[~small]
        f, g, h = runs.evaluate(new, 2)
        runs.moved(rows, new, f, g, h, k)
    runs.end()


def _line_search(make):
    return lambda runs, lr, memory: _with_line_search(runs, make(runs, memory))


_SOLVERS = {
    "gradient-descent": _gradient_descent,
    "gradient-descent-armijo": _line_search(lambda runs, memory: _SteepestDescent(len(runs.x))),
    "newton": _line_search(lambda runs, memory: _ModifiedNewton()),
    "newton-plain": _plain_newton,
    "cg-fr": _line_search(lambda runs, memory: _ConjugateGradient(len(runs.x), runs.x.shape[1], False)),
    "cg-pr": _line_search(lambda runs, memory: _ConjugateGradient(len(runs.x), runs.x.shape[1], True)),
    "lbfgs": _line_search(lambda runs, memory: _LBFGS(len(runs.x), runs.x.shape[1], memory)),
}
