"""minimize(): gradient descent, Newton with a line search, nonlinear conjugate gradient and L-BFGS on a typed formula.

Every gradient and Hessian comes from derivlib's exact derivatives (`partials`), never from finite differences. The
methods follow Nocedal & Wright, Numerical Optimization (2nd ed., 2006), cited by algorithm number; the two line
searches are written once and shared: backtracking (Algorithm 3.1) and the strong Wolfe search (Algorithms 3.5 and
3.6, with cubic interpolation, eq. 3.59). Beside them, as the references people use in practice: torch.optim.LBFGS
and scipy.optimize.minimize, fed with the same exact gradient and Hessian, their iterates collected so that their
paths draw like the others.

Each method of derivlib's own is a search direction (SteepestDescent, ModifiedNewton, ConjugateGradient, LBFGS) in
one shared loop: the direction, a line search along it, the step; the loop checks and records each iterate and stops.

The result is named as scipy's OptimizeResult names it (x, fun, jac, hess, nit, nfev, njev, nhev, success, status,
message; status a Status, 0 alone success), with the path as a DataFrame: one row per iteration (k, each variable, f,
grad_norm, step, evaluations). For derivlib's own methods each iteration is also kept taken apart: `steps`, the
gradient it started from, the direction and the step taken with the line search's constants, and `trials`, every
trial step of every line search with φ(α) = f(x + αp) and its slope there; `line_search_at(result, k)` gathers one
iteration's for a plot of φ. They are what the searches computed anyway: recording them costs no evaluation.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
import torch

from . import fused, jet
from .engine import parameter_values, resolve_device, resolve_dtype
from .limits import LIMITS
from .parse import parse
from .partials import partials
from .rounding import simplest_between
from .tree import Expression

# Line search constants (Nocedal & Wright's usual choices).
C1 = 1e-4  # sufficient decrease (Armijo) in both line searches
RHO = 0.5  # backtracking's contraction factor
C2_NEWTON_LBFGS = 0.9  # curvature condition for quasi-Newton methods (N&W p. 34)
C2_CG = 0.1  # … and for conjugate gradient (N&W p. 125)
MAX_LINE_SEARCH = 60  # trial steps in one line search before it gives up
RESTART = 0.1  # Fletcher–Reeves restarts where |∇f_kᵀ∇f_{k−1}| ≥ this·‖∇f_k‖² (N&W eq. 5.52, their ν)
NOISE = 1e-10  # relative: a change of f this small beside |f| is read from the slope (approximate Wolfe, Hager–Zhang)
LBFGS_MEMORY = 10  # pairs (s, y) that L-BFGS keeps
DEFAULT_LR = 1e-3  # gradient descent's fixed step
DEFAULT_MAX_ITER = 1_000
UNBOUNDED = 1e12  # a fall of f below its start by this many times max(1, |f(x0)|) is taken as unbounded below
SHIFT_GROWTH = 10.0  # Algorithm 3.3: the identity's multiple grows tenfold until Cholesky succeeds
MIN_SHIFT = 1e-3  # … starting from this, relative to the Hessian's largest diagonal entry
KINK_WINDOW = 6  # iterations in which a partial derivative that flips sign at (nearly) every step is looked at …
KINK_SHRINK = 0.25  # … if it keeps this share of its largest size in them (at a kink it does not shrink)
ITERATIONS_TO_KINK = 80  # bisection steps along the last step, to neighbouring floats
KINK_NEAR = 1e-7  # relative: how far either side of a run's last point a kink is looked for
TIME_LIMIT = LIMITS.time_budget  # seconds a run may take unless `time_limit` says otherwise (DERIVLIB_TIME_BUDGET)


class Status(IntEnum):
    """How a run ended (MinimizeResult.status): 0 alone is success, as in scipy, and the members compare as numbers."""

    CONVERGED = 0  # ‖∇f‖∞ ≤ tol
    MAX_ITER = 1  # max_iter iterations and not converged
    NO_PROGRESS = 2  # no step found that decreases f, or one too small for float64 to move x
    UNDEFINED = 3  # f or its gradient NaN or ±inf at a point the run reached
    UNBOUNDED = 4  # f fell without bound
    TIME_LIMIT = 5  # the run's seconds were spent
    NOT_SMOOTH = 6  # f is not differentiable where the iterates went (they keep crossing a kink)


@dataclass
class MinimizeResult:
    """What a run found, named as scipy's OptimizeResult names it, plus the path it took. x, jac and the Hessian's
    rows and columns follow the variables in the order of x0."""

    method: str
    x: dict[str, float]
    fun: float
    jac: dict[str, float]  # ∇f at x
    hess: np.ndarray | None  # ∇²f at x for the methods that use it (RECORDS[method].hessian), else None
    nit: int
    nfev: int
    njev: int
    nhev: int
    success: bool
    status: Status
    message: str
    path: Any  # pandas.DataFrame: k, each variable, f, grad_norm, step, evaluations
    seconds: float = 0.0
    # pandas.DataFrames of each iteration taken apart (STEP_COLUMNS, TRIAL_COLUMNS), derivlib's own methods only: for
    # scipy's and torch's they are empty, and None in a result made by hand
    steps: Any = None
    trials: Any = None


Outcome = tuple[np.ndarray, Status, str]  # where a run ended, how, and the message that says so

# MinimizeResult.steps: one row per iteration k ≥ 1 (as path's rows 1 … nit), columns in this order, with g_<v> and
# p_<v> for each variable v in x0's order in place of "g" and "p":
STEP_COLUMNS = (
    "k",
    "g",  # ∇f at x_{k−1}, the iterate the step starts from
    "p",  # the direction the step was taken along (after a failed search, the retry's: steepest descent)
    "alpha",  # the step taken: x_k = x_{k−1} + α·p
    "c1",  # sufficient decrease constant of the line search (NaN without one)
    "c2",  # curvature constant of the strong Wolfe search (NaN for backtracking and without a line search)
    "search",  # "backtracking", "strong wolfe" or "none" (fixed-step gradient descent, plain Newton)
    "shift",  # τ of H + τI in Newton's direction (N&W Algorithm 3.3; 0 for plain Newton; inf: none worked, p = −g)
    "curvature",  # pᵀ∇²f(x_{k−1})p, the second term of Newton's quadratic model along p; NaN without a Hessian
)
# MinimizeResult.trials: one row per trial step of every line search (including a last one that found no step, with
# k = nit + 1), in the order the search tried them
TRIAL_COLUMNS = (
    "k",  # the iteration the search belongs to
    "alpha",  # the trial step
    "phi",  # φ(α) = f(x_{k−1} + α·p)
    "slope",  # φ′(α) = ∇f(x_{k−1} + α·p)·p, NaN where the search did not evaluate ∇f (backtracking)
    "accepted",  # the step taken (one per row of steps)
    "direction",  # 0 for the method's direction, 1 for the retry along steepest descent after a failed search
)


class _Undefined(Exception):
    """f or its gradient is NaN or ±inf at a point the run reached."""

    def __init__(self, x: np.ndarray) -> None:
        super().__init__()
        self.x = x


class _Unbounded(Exception):
    def __init__(self, x: np.ndarray, value: float) -> None:
        super().__init__()
        self.x, self.value = x, value


class _OutOfTime(Exception):
    pass


class _NoProgress(Exception):
    """A step ends the run where it is: no step decreases f, or none moves x (the message says which)."""


class _NotSmooth(Exception):
    """∇f jumps across a kink of f that the iterates keep crossing: no gradient method converges there."""

    def __init__(self, x: np.ndarray, variable: str, left: float, right: float) -> None:
        super().__init__()
        self.x, self.variable, self.left, self.right = x, variable, left, right


@dataclass(frozen=True)
class Iterate:
    """A point of a run with what its method knows there: f, ∇f, and ∇²f for the methods that use it."""

    x: np.ndarray
    f: float
    g: np.ndarray
    h: np.ndarray | None = None


def direction_seeds(n: int, order: int) -> np.ndarray:
    """The directions of the one pass that gives f (order 0: none), ∇f (e_i) and ∇²f (e_i, then e_i + e_j for i < j)
    at a point: one row each (minimize() and minimize_many() evaluate along them)."""
    seeds = np.zeros((1, n)) if order == 0 else np.eye(n)
    if order == 2:
        pairs = [np.eye(n)[i] + np.eye(n)[j] for i in range(n) for j in range(i + 1, n)]
        seeds = np.vstack([seeds, *pairs]) if pairs else seeds
    return seeds


def hessian_from_halves(halves: np.ndarray, n: int) -> np.ndarray:
    """∇²f from the series' second coefficients along `direction_seeds(n, 2)` (the last axis of `halves`; any axes
    before it are points): along e_i ½H_ii, along e_i + e_j ½(H_ii + 2H_ij + H_jj)."""
    hessian = np.zeros((*halves.shape[:-1], n, n))
    at = n
    for i in range(n):
        hessian[..., i, i] = 2 * halves[..., i]
        for j in range(i + 1, n):
            hessian[..., i, j] = hessian[..., j, i] = halves[..., at] - halves[..., i] - halves[..., j]
            at += 1
    return hessian


def hessian_from_partials(rows: np.ndarray, n: int) -> np.ndarray:
    """∇²f from `partials`' rows at order 2 (the first axis of `rows`: f, the gradient, then (i, j) with i ≤ j, row by
    row, as partials.multi_indices orders them; any axes after it are points)."""
    hessian = np.zeros((*rows.shape[1:], n, n))
    at = n + 1
    for i in range(n):
        for j in range(i, n):
            hessian[..., i, j] = hessian[..., j, i] = rows[at]
            at += 1
    return hessian


@dataclass
class Objective:
    """f, its gradient and its Hessian at one point, from derivlib's exact derivatives, with counts of each."""

    expr: Expression
    variables: tuple[str, ...]
    params: Mapping[str, float] | None
    device: torch.device | str | None
    dtype: torch.dtype | str
    deadline: float = math.inf
    fuse: bool = False  # run the formula's compiled ALONG program (fused.py) once the compiler has it ready
    nfev: int = 0
    njev: int = 0
    nhev: int = 0

    programs: dict[int, tuple[Any, list[torch.Tensor], np.ndarray, Any]] = field(default_factory=dict, repr=False)
    compiled: dict[int, tuple[fused.Fused, torch.Tensor, torch.Tensor]] = field(default_factory=dict, repr=False)

    def _partials(self, x: np.ndarray, order: int) -> dict[str, torch.Tensor]:
        if time.monotonic() > self.deadline:
            raise _OutOfTime
        points = {name: [float(value)] for name, value in zip(self.variables, x, strict=True)}
        return partials(self.expr, points, order=order, params=self.params, device=self.device, dtype=self.dtype)

    def _prepared(self, order: int) -> tuple[Any, list[torch.Tensor], np.ndarray, Any]:
        """The formula's Taylor program of this order, compiled and bound to the parameters once per run, and the
        directions of its one pass: none for f; e_i for each variable (the gradient); e_i, then e_i + e_j for i < j
        (the Hessian). Each direction is a copy of the point in the batch, so one pass gives every derivative a
        method needs, where partials() makes a pass per direction and checks its arguments on every call. Last, the
        formula's seams (jet.Seams: boundaries between branches, kinks), or None."""
        if order not in self.programs:
            n = len(self.variables)
            like = torch.zeros((), dtype=resolve_dtype(self.dtype), device=resolve_device(self.device))
            bound = jet.compile_program(self.expr, order, self.variables).bind(
                parameter_values(self.expr, self.params, like), like=like
            )
            seams = jet.seams(self.expr, order, parameter_values(self.expr, self.params, like), like, self.variables)
            seeds = direction_seeds(n, order)
            columns = [torch.as_tensor(seeds[:, v], dtype=like.dtype, device=like.device) for v in range(n)]
            seeded: list[Any] = list(columns) if order else [0.0] * n  # order 0: f alone, no direction to seed
            self.programs[order] = (bound, seeded, seeds, seams)
        return self.programs[order]

    def _series(self, x: np.ndarray, order: int) -> list[np.ndarray] | None:
        """Rows c_0 … c_order of f's Taylor series along each prepared direction at x (row k: the k-th directional
        derivative over k!), as float64 arrays; None where a value is NaN or ±inf: partials() then decides (it redoes
        such points by autograd, and blanks the derivatives where f is undefined)."""
        if time.monotonic() > self.deadline:
            raise _OutOfTime
        bound, directions, seeds, seams = self._prepared(order)
        like = bound.one
        count = len(seeds)
        if seams is not None:
            at = [torch.full((1,), float(v), dtype=like.dtype, device=like.device) for v in x]
            if bool(seams.on(at).any()):
                return None  # on a boundary between branches or at a kink: partials() decides it from both sides
        found = self._compiled_rows(bound, x, order) if self.fuse else None
        if found is not None:
            found = found[:, :count]
            return list(found) if np.isfinite(found).all() else None
        points = [torch.full((count,), float(v), dtype=like.dtype, device=like.device) for v in x]
        series = bound.series_along(points, directions)
        rows = [
            np.broadcast_to(series[k].numpy(force=True) if k < len(series) else 0.0, (count,)).astype(float)
            for k in range(order + 1)
        ]
        return rows if all(np.all(np.isfinite(row)) for row in rows) else None

    def _compiled_rows(self, bound: jet.Bound, x: np.ndarray, order: int) -> np.ndarray | None:
        """The rows from the formula's compiled ALONG program (asked for on first use, kept for the run), at least
        fused.MIN_POINTS columns (the directions repeated); None while it is not ready, or where it failed. What
        does not change within a run (the directions, the program's scalars) is made once: a call costs tens of µs
        of Python around a loop of a few µs, and an iteration makes several."""
        if order not in self.compiled:
            program = bound.program
            asked = fused.lookup(self.expr, program, bound.one.dtype, bound.one.device, self.variables, waiting=True)
            if asked is None:
                return None
            seeds = self._prepared(order)[2]
            columns = np.resize(seeds, (max(len(seeds), fused.MIN_POINTS), len(self.variables))).T
            directions = torch.as_tensor(np.ascontiguousarray(columns), dtype=bound.one.dtype, device=bound.one.device)
            self.compiled[order] = asked, directions, fused.program_scalars(bound)
        compiled, directions, scalars = self.compiled[order]
        if compiled.entry.state != "ready":
            return None
        at = np.repeat(np.asarray(x, dtype=float)[:, None], directions.shape[1], axis=1)  # one column per direction
        points = torch.as_tensor(at, dtype=directions.dtype, device=directions.device)
        rows = compiled.along(bound, points, directions, scalars)
        return None if rows is None else rows.numpy(force=True)

    def jump_along(self, a: np.ndarray, b: np.ndarray, i: int) -> tuple[np.ndarray, float, float] | None:
        """Where the i-th partial derivative jumps on the segment from a to b, at whose ends it has opposite signs,
        and its values just before and after; None where it passes through 0 (bisection to neighbouring floats on
        its sign; the jump must keep at least a KINK_SHRINK share of the partial's size at the ends). Not counted as
        evaluations: it is a diagnosis, not the method's work."""

        def partial(point: np.ndarray) -> float:
            # The run's own one-pass gradient (partials() only where it is not finite): a partials() call per probe
            # made this diagnosis 90% of a CG run on the 10-D Rosenbrock.
            with self.aside():
                return float(self.value_and_gradient(point)[1][i])

        low, high = np.array(a, dtype=float), np.array(b, dtype=float)
        g_low, g_high = partial(low), partial(high)
        scale = min(abs(g_low), abs(g_high))
        if not np.sign(g_low) * np.sign(g_high) < 0:
            return None
        for _ in range(ITERATIONS_TO_KINK):
            middle = (low + high) / 2
            if np.array_equal(middle, low) or np.array_equal(middle, high):
                break
            g = partial(middle)
            if math.isnan(g):  # undefined at the kink itself
                low = high = middle
                break
            if np.sign(g) == np.sign(g_low):
                low, g_low = middle, g
            else:
                high, g_high = middle, g
        if abs(g_high - g_low) >= KINK_SHRINK * scale:
            where = np.array([simplest_between(*sorted((u, v))) for u, v in zip(low, high, strict=True)])
            left_first = a[i] <= b[i]  # the values as seen from left to right along the variable
            return where + 0.0, *((g_low, g_high) if left_first else (g_high, g_low))
        return None

    def kink_at(self, x: np.ndarray) -> tuple[np.ndarray, int, float, float] | None:
        """A kink of f at x, along one of the variables: its partial derivative of opposite signs KINK_NEAR (relative)
        either side of x, and jumping between them (`jump_along`); with the variable's index."""
        for i in range(len(x)):
            step = np.zeros(len(x))
            step[i] = KINK_NEAR * max(1.0, abs(float(x[i])))
            found = self.jump_along(x - step, x + step, i)
            if found is not None:
                return found[0], i, found[1], found[2]
        return None

    def value(self, x: np.ndarray) -> float:
        self.nfev += 1
        rows = self._series(x, 0)
        return float(rows[0][0]) if rows is not None else float(self._partials(x, 0)["f"][0])

    def value_and_gradient(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.nfev += 1
        self.njev += 1
        rows = self._series(x, 1)
        if rows is not None:
            return float(rows[0][0]), rows[1].copy()
        found = [float(v[0]) for v in self._partials(x, 1).values()]
        return found[0], np.array(found[1:])

    def with_hessian(self, x: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        self.nfev += 1
        self.njev += 1
        self.nhev += 1
        n = len(x)
        rows = self._series(x, 2)
        if rows is not None:
            f, slopes, halves = rows
            return float(f[0]), slopes[:n].copy(), hessian_from_halves(halves, n)
        found = np.array([float(v[0]) for v in self._partials(x, 2).values()])
        return float(found[0]), found[1 : n + 1].copy(), hessian_from_partials(found, n)

    def at(self, x: np.ndarray, hessian: bool = False) -> Iterate:
        """x as an iterate: f and ∇f there, and ∇²f where the method uses it."""
        return Iterate(x, *self.with_hessian(x)) if hessian else Iterate(x, *self.value_and_gradient(x))

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """∇²f at x, counted as a Hessian alone (scipy asks for it apart from f and ∇f, which come with it)."""
        with self.uncounted():
            found = self.with_hessian(x)[2]
        self.nhev += 1
        return found

    @contextmanager
    def uncounted(self) -> Iterator[None]:
        """Evaluations inside are not the method's own (a look for the path, the message or the summary): the counts
        are left as they were."""
        counts = self.nfev, self.njev, self.nhev
        try:
            yield
        finally:
            self.nfev, self.njev, self.nhev = counts

    @contextmanager
    def aside(self) -> Iterator[None]:
        """Looks that are not the method's work (for the path, the message, the end point, a diagnosis): not counted,
        and not held to the time limit, which stops the method, not them."""
        deadline, self.deadline = self.deadline, math.inf
        try:
            with self.uncounted():
                yield
        finally:
            self.deadline = deadline


@dataclass
class _Run:
    """The path so far, and how the run ends."""

    objective: Objective
    tol: float
    max_iter: int
    start: float  # f(x0)
    lr: float = DEFAULT_LR  # gradient descent's fixed step
    memory: int = LBFGS_MEMORY  # the pairs (s, y) L-BFGS keeps
    rows: list[dict[str, float]] = field(default_factory=list)
    progress: Callable[[int], None] | None = None  # told each iteration's number as it is recorded
    recent: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # the last KINK_WINDOW (x, ∇f)
    quiet_until: int = 0  # the next iteration at which to look for a kink again
    # Each iteration taken apart, as plain tuples (the DataFrames are made once, at the end): the trials of the line
    # searches (k, α, φ, φ′, direction); the steps recorded (k, g, p, α, c1, c2, search, τ, pᵀHp, accepted trial's
    # index); the step being taken, recorded with its iterate (a step whose iterate is not recorded is not kept)
    trials: list[tuple[int, float, float, float, int]] = field(default_factory=list)
    steps: list[tuple[Any, ...]] = field(default_factory=list)
    pending: tuple[Any, ...] | None = None
    direction: int = 0  # the current iteration's direction: 0, or 1 for the retry along steepest descent

    @property
    def floor(self) -> float:
        """Below this, f is taken to fall without bound."""
        return self.start - UNBOUNDED * max(1.0, abs(self.start))

    def record(self, k: int, x: np.ndarray, f: float, g: np.ndarray, step: float) -> None:
        names = self.objective.variables
        row = {"k": k, **dict(zip(names, x.tolist(), strict=True))}
        with np.errstate(over="ignore"):  # a diverging run's gradient may overflow its norm: inf, then it stops
            norm = math.sqrt(float(g @ g))  # as np.linalg.norm computes it for a vector, without its checks
        row |= {"f": f, "grad_norm": norm, "step": step, "evaluations": self.objective.nfev}
        self.rows.append(row)
        if self.pending is not None:
            self.steps.append((k, *self.pending))
            self.pending = None
        if self.progress is not None:
            self.progress(k)
        self.recent = [*self.recent[1 - KINK_WINDOW :], (np.array(x, dtype=float), np.array(g, dtype=float))]
        if len(self.recent) == KINK_WINDOW and k >= self.quiet_until:
            self._look_for_a_kink(k)

    def _look_for_a_kink(self, k: int) -> None:
        """Raise _NotSmooth where the iterates keep crossing a kink of f (|x| + y² at x = 0): a partial derivative
        that flips sign at every step or nearly, without shrinking, and jumps across the last step (bisection along
        it, as `discontinuities` does along a grid: a smooth gradient that a too-long step oscillates across passes
        through 0 in between, and is left alone, for KINK_WINDOW iterations)."""
        points, gradients = (np.array(column) for column in zip(*self.recent, strict=True))
        for i, name in enumerate(self.objective.variables):
            g = gradients[:, i]
            flips = int(np.count_nonzero(np.sign(g[1:]) * np.sign(g[:-1]) < 0))
            size = np.abs(g)
            if flips < KINK_WINDOW - 2 or size.min() < KINK_SHRINK * size.max() or size.min() <= self.tol:
                continue
            jump = self.objective.jump_along(points[-2], points[-1], i)
            if jump is not None:
                where, left, right = jump
                raise _NotSmooth(where, name, left, right)
        self.quiet_until = k + KINK_WINDOW

    def trial(self, alpha: float, value: float, slope: float = math.nan) -> None:
        """A line search's trial step α, with φ(α) and φ′(α) where it has them, for `MinimizeResult.trials`."""
        self.trials.append((len(self.rows), alpha, value, slope, self.direction))

    def retry(self) -> None:
        """The line search along the method's direction failed: the next trials are along steepest descent."""
        self.direction = 1

    def step_taken(
        self,
        g: np.ndarray,
        p: np.ndarray,
        alpha: float,
        search: str,
        c1: float = math.nan,
        c2: float = math.nan,
        shift: float = math.nan,
        curvature: float = math.nan,
    ) -> None:
        """The step x + α·p from the iterate where ∇f = g (STEP_COLUMNS), kept once its iterate is recorded; with a
        line search, its trial at α (the last one at α: zoom may return an earlier trial than its last) is the one
        accepted."""
        accepted = -1
        if search != "none":
            for i in range(len(self.trials) - 1, -1, -1):
                if self.trials[i][1] == alpha:
                    accepted = i
                    break
        self.pending = (g, p, alpha, c1, c2, search, shift, curvature, accepted)
        self.direction = 0

    def check(self, x: np.ndarray, f: float, g: np.ndarray | None = None) -> None:
        """Raise where the run met an undefined value, or f has fallen without bound."""
        if f == -math.inf or f < self.floor:
            raise _Unbounded(x, f)
        if not math.isfinite(f) or (g is not None and not np.all(np.isfinite(g))):
            raise _Undefined(x)

    def converged(self, g: np.ndarray) -> bool:
        return float(np.max(np.abs(g))) <= self.tol

    def begin(self, x: np.ndarray, hessian: bool = False) -> Iterate:
        """Every method's opening: f and ∇f (and ∇²f) at x, checked and recorded as iteration 0."""
        at = self.objective.at(x, hessian)
        self.check(at.x, at.f, at.g)
        self.record(0, at.x, at.f, at.g, math.nan)
        return at

    def ending(self, x: np.ndarray, g: np.ndarray) -> Outcome:
        """How a run ends at x that stopped for no other reason: converged, or out of iterations."""
        if self.converged(g):
            return x, Status.CONVERGED, "converged: ‖∇f‖∞ ≤ tol"
        return x, Status.MAX_ITER, f"stopped after max_iter = {self.max_iter} iterations"


Solver = Callable[[_Run, np.ndarray], Outcome]  # a method's run from x0


def minimize(
    expr: Expression | str,
    x0: Mapping[str, float] | float,
    *,
    method: str = "newton",
    params: Mapping[str, float] | None = None,
    tol: float = 1e-8,
    max_iter: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float64,
    **options: Any,
) -> MinimizeResult:
    """Minimize the formula from x0 by the method: see METHODS, and the module's docstring.

    `x0` maps each variable to its start (`{"x": -1.2, "y": 1.0}`), or is a number for a formula in x alone; text is
    read with those names as the variables. It stops where ‖∇f‖∞ ≤ tol (success), after max_iter iterations, where
    a step makes no progress, where f or its gradient is undefined, or where f falls without bound; the message says
    which and where, and the path so far is kept. Options: `lr` (gradient descent's step), `memory` (L-BFGS's),
    `time_limit` (seconds, TIME_LIMIT by default), `progress` (a function told each iteration's number k as the run
    reaches it, for a progress bar), `fuse` (True: the formula's f, ∇f and ∇²f at a point are asked of a compiled
    program, fused.py's ALONG kind, compiled in the background on first use and run once ready: the same numbers up
    to rounding, sooner for a long formula). For derivlib's own methods the result's `steps` and `trials` take each
    iteration apart (STEP_COLUMNS, TRIAL_COLUMNS; `line_search_at`), recorded from what the run computed anyway.

    >>> result = minimize("(x - 1)^2 + 3(y + 2)^2", {"x": 0.0, "y": 0.0})
    >>> result.success, {k: round(v, 12) + 0.0 for k, v in result.x.items()}, result.nit
    (True, {'x': 1.0, 'y': -2.0}, 1)
    """
    import pandas as pd  # on first use: `import derivlib` does not load pandas

    settings = _checked(expr, x0, method, params, tol, max_iter, options)
    began = time.monotonic()
    objective = Objective(settings.expr, settings.variables, params, device, dtype, fuse=settings.fuse)
    start = _start(objective, settings.x0)  # the looks at the start and the end are not the method's: no deadline
    objective.deadline = began + settings.time_limit
    run = _Run(
        objective, settings.tol, settings.max_iter, start, settings.lr, settings.memory, progress=settings.progress
    )
    x, status, message = _ended(run, settings.method.solver, settings.x0, settings.time_limit)
    fun, jac, hess = _end_point(run, x, settings.method.hessian)
    names = settings.variables
    return MinimizeResult(
        method=method,
        x=dict(zip(names, map(float, x), strict=True)),
        fun=float(fun),
        jac=dict(zip(names, map(float, jac), strict=True)),
        hess=hess,
        nit=max(0, len(run.rows) - 1),
        nfev=objective.nfev,
        njev=objective.njev,
        nhev=objective.nhev,
        success=status == Status.CONVERGED,
        status=status,
        message=message,
        path=pd.DataFrame(run.rows, columns=["k", *names, "f", "grad_norm", "step", "evaluations"]),
        seconds=time.monotonic() - began,
        steps=_steps_frame(run.steps, names),
        trials=_trials_frame(run.trials, run.steps),
    )


def _steps_frame(steps: list[tuple[Any, ...]], names: tuple[str, ...]) -> Any:
    """MinimizeResult.steps from the run's tuples, column by column (a DataFrame of tuples is slower to make)."""
    import pandas as pd

    n, count = len(names), len(steps)
    k, g, p, alpha, c1, c2, search, shift, curvature, _ = zip(*steps, strict=True) if steps else ((),) * 10
    gradients, directions = (np.array(v, dtype=float).reshape(count, n) for v in (g, p))
    return pd.DataFrame(
        {
            "k": np.array(k, dtype=np.int64),
            **{f"g_{name}": gradients[:, i] for i, name in enumerate(names)},
            **{f"p_{name}": directions[:, i] for i, name in enumerate(names)},
            **{name: np.array(v, dtype=float) for name, v in (("alpha", alpha), ("c1", c1), ("c2", c2))},
            "search": np.array(search, dtype=object),
            "shift": np.array(shift, dtype=float),
            "curvature": np.array(curvature, dtype=float),
        }
    )


def _trials_frame(trials: list[tuple[int, float, float, float, int]], steps: list[tuple[Any, ...]]) -> Any:
    """MinimizeResult.trials from the run's tuples, each step's accepted trial marked."""
    import pandas as pd

    k, alpha, phi, slope, direction = zip(*trials, strict=True) if trials else ((),) * 5
    accepted = np.zeros(len(trials), dtype=bool)
    accepted[[step[-1] for step in steps if step[-1] >= 0]] = True
    return pd.DataFrame(
        {
            "k": np.array(k, dtype=np.int64),
            "alpha": np.array(alpha, dtype=float),
            "phi": np.array(phi, dtype=float),
            "slope": np.array(slope, dtype=float),
            "accepted": accepted,
            "direction": np.array(direction, dtype=np.int64),
        }
    )


@dataclass(frozen=True)
class LineSearch:
    """Iteration k of a run along its direction, as N&W draw a line search (Figs. 3.3 to 3.5): φ(α) = f(x_{k−1} + αp)
    with its trial steps, the sufficient decrease line, the slopes the curvature condition accepts and, for Newton's
    methods, the quadratic model. Made by `line_search_at`; plain numbers and arrays, for a page to draw."""

    k: int
    search: str  # "backtracking", "strong wolfe" or "none"
    phi0: float  # φ(0) = f(x_{k−1})
    slope0: float  # φ′(0) = ∇f(x_{k−1})·p, negative along a descent direction
    alpha: float  # the step taken
    c1: float  # NaN without a line search
    c2: float  # NaN but for the strong Wolfe search
    curvature: float  # pᵀ∇²f(x_{k−1})p for Newton's methods, else NaN
    trials: Any  # DataFrame: the rows of MinimizeResult.trials of iteration k along this direction

    def sufficient_decrease(self, alpha: Any) -> np.ndarray:
        """The line φ(0) + c1·α·φ′(0) (Armijo, N&W eq. 3.4): both searches accept a step where φ is on or below it."""
        return self.phi0 + self.c1 * np.asarray(alpha, dtype=float) * self.slope0

    def curvature_band(self) -> tuple[float, float]:
        """The slopes φ′(α) the strong Wolfe condition accepts (N&W eq. 3.7b), −c2·|φ′(0)| to c2·|φ′(0)|: the band a
        tangent at the accepted step lies in; NaN for backtracking, which does not look at slopes."""
        bound = self.c2 * abs(self.slope0)
        return -bound, bound

    def model(self, alpha: Any) -> np.ndarray:
        """Newton's quadratic model along p, m(α) = φ(0) + α·φ′(0) + ½α²·pᵀ∇²f p (N&W eq. 2.14 along the line);
        NaN for the methods without a Hessian."""
        a = np.asarray(alpha, dtype=float)
        return self.phi0 + a * self.slope0 + 0.5 * a * a * self.curvature


def line_search_at(result: MinimizeResult, k: int) -> LineSearch:
    """Iteration k (1 … nit) of a run of derivlib's own methods taken apart along its direction (see LineSearch).

    >>> result = minimize("(1 - x)^2 + 100(y - x^2)^2", {"x": -1.2, "y": 1.0}, method="newton")
    >>> first = line_search_at(result, 1)
    >>> first.search, first.alpha, bool(first.trials["phi"].iloc[-1] <= first.sufficient_decrease(first.alpha))
    ('backtracking', 1.0, True)
    """
    steps = result.steps
    found = None if steps is None else steps[steps["k"] == k]
    if found is None or len(found) != 1:
        count = 0 if steps is None else len(steps)
        raise ValueError(f"k must be an iteration of the run taken apart, 1 … {count}, not {k!r}")
    step = found.iloc[0]
    names = list(result.x)
    g = step[[f"g_{name}" for name in names]].to_numpy(dtype=float)
    p = step[[f"p_{name}" for name in names]].to_numpy(dtype=float)
    trials = result.trials[result.trials["k"] == k]
    if len(trials):  # along the direction taken: after a retry, the first direction's trials are along another line
        trials = trials[trials["direction"] == trials["direction"].max()]
    return LineSearch(
        k=k,
        search=str(step["search"]),
        phi0=float(result.path["f"].iloc[k - 1]),
        slope0=float(g @ p),
        alpha=float(step["alpha"]),
        c1=float(step["c1"]),
        c2=float(step["c2"]),
        curvature=float(step["curvature"]),
        trials=trials.reset_index(drop=True),
    )


@dataclass(frozen=True)
class _Settings:
    """minimize()'s arguments, checked, in the forms a run uses."""

    expr: Expression
    variables: tuple[str, ...]  # x0's names, in its order
    x0: np.ndarray
    method: Method
    tol: float
    max_iter: int
    lr: float
    memory: int
    time_limit: float
    progress: Callable[[int], None] | None
    fuse: bool


def _checked(
    expr: Expression | str,
    x0: Mapping[str, float] | float,
    method: str,
    params: Mapping[str, float] | None,
    tol: float,
    max_iter: int | None,
    options: Mapping[str, Any],
) -> _Settings:
    """minimize()'s arguments, each bad one a ValueError that names it and says what would be right (a bad formula an
    ExpressionError)."""
    start = x0 if isinstance(x0, Mapping) else {"x": x0}
    if not start:
        raise ValueError("x0 needs a starting value for at least one variable, as {'x': -1.2, 'y': 1.0}")
    variables = tuple(start)
    expr = formula_over(expr, variables, params, ("x0 has no starting value", "a start in x0", "a start"))
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    rest = dict(options)
    tol, max_iter, lr, memory = checked_numbers(
        method, tol, max_iter, rest.pop("lr", DEFAULT_LR), rest.pop("memory", LBFGS_MEMORY)
    )
    time_limit = rest.pop("time_limit", TIME_LIMIT)
    if isinstance(time_limit, bool) or not (isinstance(time_limit, int | float) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds (inf: none), not {time_limit!r}")
    progress = rest.pop("progress", None)
    fuse = rest.pop("fuse", False)
    if not isinstance(fuse, bool):
        raise ValueError(f"fuse must be True or False, not {fuse!r}")
    if rest:
        raise ValueError(
            f"unknown option {next(iter(rest))!r}: the options are lr, memory, time_limit, progress and fuse"
        )
    try:
        x = np.array([float(start[name]) for name in variables])
    except (TypeError, ValueError):
        raise ValueError(f"x0's values must be numbers, not {start!r}") from None
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x0's values must be finite numbers, not {start!r}")
    return _Settings(expr, variables, x, RECORDS[method], tol, max_iter, lr, memory, time_limit, progress, fuse)


def formula_over(
    expr: Expression | str, variables: tuple[str, ...], params: Mapping[str, float] | None, words: tuple[str, str, str]
) -> Expression:
    """The formula to minimize over these variables (text read with them as its variables), a ValueError where one of
    its variables has no start or one of its parameters no value; `words` name the starts as the caller takes them
    (minimize(): "x0 has no starting value", "a start in x0", "a start"). minimize() and minimize_many() share it."""
    no_start, in_starts, a_start = words
    expr = parse(expr, variables=variables) if isinstance(expr, str) else expr
    missing = [name for name in expr.variables if name not in variables]
    if missing:
        raise ValueError(f"{no_start} for the variable {missing[0]!r}")
    unset = [name for name in expr.parameters if name not in (params or {})]
    if unset:  # text names its variables by the starts: a letter they do not name is a parameter
        raise ValueError(
            f"{unset[0]!r} has neither {in_starts} nor a value in params: give it {a_start} to minimize over it too, "
            "or a value"
        )
    return expr


def checked_numbers(method: str, tol: Any, max_iter: Any, lr: Any, memory: Any) -> tuple[float, int, float, int]:
    """A run's numbers, each bad one a ValueError that names it (minimize() and minimize_many() take the same):
    tol, max_iter (the method's own cap where None), gradient descent's lr and L-BFGS's memory."""
    if not (isinstance(tol, int | float) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number, not {tol!r}")
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, not {lr!r}")
    if isinstance(memory, bool) or not (isinstance(memory, int) and memory >= 1):
        raise ValueError(f"memory must be a whole number of at least 1, not {memory!r}")
    if max_iter is None:
        max_iter = RECORDS[method].max_iter
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 0:
        raise ValueError(f"max_iter must be a whole number of at least 0, not {max_iter!r}")
    return float(tol), max_iter, lr, memory


def _start(objective: Objective, x: np.ndarray) -> float:
    """f at the start, where f and ∇f must be defined: there is no run from a point where they are not."""
    f, g = objective.value_and_gradient(x)
    if not (math.isfinite(f) and np.all(np.isfinite(g))):
        where = ", ".join(f"{n} = {v:g}" for n, v in zip(objective.variables, x, strict=True))
        raise ValueError(f"f or its gradient is undefined at the start ({where}): start somewhere else")
    return f


def _ended(run: _Run, solver: Solver, x: np.ndarray, time_limit: float) -> Outcome:
    """The method's run from x, to where it ended and why: the stops raised on the way as a status and a message,
    and a run that stalled at a kink said to be there."""
    objective, variables = run.objective, run.objective.variables
    try:
        x, status, message = solver(run, x)
    except _Undefined as stop:
        where = _where(variables, stop.x)
        x, status = stop.x, Status.UNDEFINED
        message = f"f or its gradient is undefined or infinite at {where}: stopped there"
        with objective.aside():  # a look for the message, not one of the method's evaluations
            value = objective.value(stop.x)
        if math.isfinite(value):  # f is there, its gradient is not: a corner, crease or cone
            message = f"∇f is undefined at {where}, where f is not differentiable (a kink): stopped there"
    except _Unbounded as stop:
        x, status = stop.x, Status.UNBOUNDED
        message = f"f decreases without bound: f = {stop.value:.3g} at {_where(variables, stop.x)}"
    except _OutOfTime:
        status, message = Status.TIME_LIMIT, f"stopped after the time limit of {time_limit:g} s"
    except _NotSmooth as stop:
        status = Status.NOT_SMOOTH
        message = (
            f"f is not differentiable near {_where(variables, stop.x)}: ∂f/∂{stop.variable} jumps there from "
            f"{stop.left:.3g} to {stop.right:.3g} (a kink), and the iterates keep crossing it; no gradient method "
            "converges to such a point: stopped"
        )
    if run.rows:
        last = run.rows[-1]
        x = np.array([last[name] for name in variables])
    stalled = status in (Status.MAX_ITER, Status.NO_PROGRESS)
    if stalled and (kink := objective.kink_at(x)) is not None:  # stuck at a kink: say so, not only that it stopped
        kink_x, i, left, right = kink
        status = Status.NOT_SMOOTH
        message = (
            f"{message}, at a kink of f: ∂f/∂{variables[i]} jumps from {left:.3g} to {right:.3g} across "
            f"{_where(variables, kink_x)}, where f is not differentiable and no gradient method converges"
        )
    return x, status, message


def _end_point(run: _Run, x: np.ndarray, hessian: bool) -> tuple[float, np.ndarray, np.ndarray | None]:
    """f, ∇f and, for a method that uses it, ∇²f where the run ended; not counted as the method's evaluations."""
    objective = run.objective
    with np.errstate(invalid="ignore"), objective.aside():
        fun, jac = objective.value_and_gradient(x)
        return fun, jac, (objective.with_hessian(x)[2] if hessian else None)


def _where(variables: tuple[str, ...], x: np.ndarray) -> str:
    return "(" + ", ".join(f"{name} = {value:.6g}" for name, value in zip(variables, x, strict=True)) + ")"


def _moving(x: np.ndarray, new: np.ndarray, why: str) -> np.ndarray:
    """new, or _NoProgress(why) where the step to it is too small for float64 to move x."""
    if np.all(np.abs(new - x) <= 4 * np.finfo(float).eps * np.maximum(np.abs(x), 1e-300)):
        raise _NoProgress(why)
    return new


# ---------------------------------------------------------------------------------------------------------------------
# The line searches, written once


def backtracking(
    objective: Objective, run: _Run, x: np.ndarray, f: float, g: np.ndarray, p: np.ndarray, alpha: float = 1.0
) -> tuple[float, float] | None:
    """N&W Algorithm 3.1: shrink α by RHO until f(x + αp) ≤ f(x) + C1·α·∇fᵀp. Returns (α, f(x + αp)), or None when
    no step of MAX_LINE_SEARCH trials decreases f enough. A trial where f is undefined counts as too long a step."""
    slope = float(g @ p)
    for _ in range(MAX_LINE_SEARCH):
        trial = objective.value(x + alpha * p)
        run.trial(alpha, trial)
        if trial < run.floor:
            run.check(x + alpha * p, trial)
        if math.isfinite(trial) and trial <= f + C1 * alpha * slope:
            return alpha, trial
        alpha *= RHO
    return None


def strong_wolfe(
    objective: Objective,
    run: _Run,
    x: np.ndarray,
    f: float,
    g: np.ndarray,
    p: np.ndarray,
    c2: float,
    alpha: float = 1.0,
) -> tuple[float, float, np.ndarray] | None:
    """N&W Algorithm 3.5 (with zoom, Algorithm 3.6): a step α meeting the strong Wolfe conditions
    f(x + αp) ≤ f(x) + C1·α·∇fᵀp and |∇f(x + αp)ᵀp| ≤ c2·|∇fᵀp|. Returns (α, f, ∇f) there, or None.

    Close to a minimum, f changes along p by less than its own rounding while its slope is still exact to many digits:
    there the values cannot tell a step that decreases f from one that does not, so, as Hager and Zhang's approximate
    Wolfe conditions do (SIAM J. Optim. 16, 2005, eq. 4.1), a change of f within NOISE·|f(x)| is judged by the slope
    instead: decrease where φ′(α) ≤ (2·C1 − 1)·φ′(0), a rise (a bracket) only where φ′(α) ≥ 0."""
    phi0, dphi0 = f, float(g @ p)
    if dphi0 >= 0:
        return None  # not a descent direction
    noise = NOISE * abs(phi0)

    def decreases(a: float, value: float, slope: float) -> bool:
        return value <= phi0 + C1 * a * dphi0 or (value <= phi0 + noise and slope <= (2 * C1 - 1) * dphi0)

    def phi(a: float) -> tuple[float, float, np.ndarray]:
        value, gradient = objective.value_and_gradient(x + a * p)
        slope = float(gradient @ p)
        run.trial(a, value, slope)
        if value < run.floor:
            run.check(x + a * p, value)
        return value, slope, gradient

    previous, phi_previous, dphi_previous = 0.0, phi0, dphi0
    for i in range(MAX_LINE_SEARCH):
        value, slope, gradient = phi(alpha)
        if not (math.isfinite(value) and math.isfinite(slope)):  # undefined out there: look nearer
            alpha = (previous + alpha) / 2
            continue
        if not decreases(alpha, value, slope) or (i > 0 and value > phi_previous + noise):
            return _zoom(phi, decreases, noise, dphi0, c2, previous, alpha, phi_previous, dphi_previous, value, slope)
        if abs(slope) <= -c2 * dphi0:
            return alpha, value, gradient
        if slope >= 0:
            return _zoom(phi, decreases, noise, dphi0, c2, alpha, previous, value, slope, phi_previous, dphi_previous)
        previous, phi_previous, dphi_previous = alpha, value, slope
        alpha *= 2.0
    return None


def _zoom(phi, decreases, noise, dphi0, c2, low, high, phi_low, dphi_low, phi_high, dphi_high):
    """N&W Algorithm 3.6: shrink [low, high], which brackets a strong Wolfe step, by cubic interpolation (eq. 3.59);
    `decreases` and `noise` as strong_wolfe judges a step (a change of f within noise by its slope)."""
    for _ in range(MAX_LINE_SEARCH):
        alpha = _cubic_minimizer(low, phi_low, dphi_low, high, phi_high, dphi_high)
        value, slope, gradient = phi(alpha)
        if not (math.isfinite(value) and math.isfinite(slope)):
            high, phi_high, dphi_high = alpha, math.inf, math.inf
            continue
        if not decreases(alpha, value, slope) or value > phi_low + noise:
            high, phi_high, dphi_high = alpha, value, slope
        else:
            if abs(slope) <= -c2 * dphi0:
                return alpha, value, gradient
            if slope * (high - low) >= 0:
                high, phi_high, dphi_high = low, phi_low, dphi_low
            low, phi_low, dphi_low = alpha, value, slope
        if abs(high - low) <= 4 * np.finfo(float).eps * max(abs(low), abs(high), 1e-300):
            break
    return (low, phi_low, None) if low > 0 else None


def _cubic_minimizer(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """The minimizer of the cubic through (a, fa, da) and (b, fb, db) (N&W eq. 3.59), kept well inside [a, b]; the
    midpoint where the cubic has none or it is not a number."""
    low, high = min(a, b), max(a, b)
    with np.errstate(invalid="ignore", over="ignore"):
        d1 = da + db - 3 * (fa - fb) / (a - b) if a != b else math.nan
        radicand = d1 * d1 - da * db
    if math.isfinite(radicand) and radicand >= 0 and math.isfinite(fb):
        d2 = math.copysign(math.sqrt(radicand), b - a)
        denominator = db - da + 2 * d2
        if denominator != 0:
            candidate = b - (b - a) * (db + d2 - d1) / denominator
            margin = 0.1 * (high - low)
            if low + margin <= candidate <= high - margin:
                return candidate
    return (a + b) / 2


# ---------------------------------------------------------------------------------------------------------------------
# The methods: each runs from x and returns its Outcome


Step = Callable[
    [Iterate], tuple[Iterate, float]
]  # a method's step from an iterate: the next one, and the step's length


def _iterate(run: _Run, x: np.ndarray, step: Step, hessian: bool = False) -> Outcome:
    """The loop of every method but scipy's: from x, the method's step at a time, each iterate checked and recorded,
    until ‖∇f‖∞ ≤ tol or max_iter steps, or a step that makes no progress (_NoProgress) ends the run where it is."""
    at = run.begin(x, hessian)
    for k in range(1, run.max_iter + 1):
        if run.converged(at.g):
            break
        try:
            at, length = step(at)
        except _NoProgress as stop:
            return at.x, Status.NO_PROGRESS, f"no progress: {stop}"
        run.check(at.x, at.f, at.g)
        run.record(k, at.x, at.f, at.g, length)
    return run.ending(at.x, at.g)


def _gradient_descent(run: _Run, x: np.ndarray) -> Outcome:
    """Steepest descent with a fixed step, x − lr·∇f, as machine learning does it: no line search."""

    def step(at: Iterate) -> tuple[Iterate, float]:
        new = _moving(at.x, at.x - run.lr * at.g, "the step lr·∇f is too small for float64 to move x")
        run.step_taken(at.g, -at.g, run.lr, "none")
        return run.objective.at(new), run.lr

    return _iterate(run, x, step)


def _plain_newton(run: _Run, x: np.ndarray) -> Outcome:
    """Newton's method as textbooks first state it: the full step −(∇²f)⁻¹∇f, no line search and no change to the
    Hessian. Quadratic convergence near any point where ∇f = 0 and the Hessian is invertible, so it is drawn to a
    saddle or a maximum as readily as to a minimum (the modified Newton above is not); it stops where the Hessian is
    singular."""

    def step(at: Iterate) -> tuple[Iterate, float]:
        assert at.h is not None  # hessian=True: every iterate of the run has it
        try:
            p = -np.linalg.solve(at.h, at.g)
        except np.linalg.LinAlgError:
            raise _NoProgress("the Hessian is singular: Newton's step is undefined there") from None
        new = _moving(at.x, at.x + p, "Newton's step is too small for float64 to move x")
        run.step_taken(at.g, p, 1.0, "none", shift=0.0, curvature=float(p @ at.h @ p))
        return run.objective.at(new, hessian=True), 1.0

    return _iterate(run, x, step, hessian=True)


class Direction:
    """A line-search method's own part (N&W §3.1: x_{k+1} = x_k + α_k·p_k): its direction p_k at each iterate, the
    line search's first trial step along it, and what it keeps of the step taken. The loop, the line searches and
    the stopping are shared (_with_line_search)."""

    hessian = False  # whether it needs ∇²f at every iterate
    c2: float | None = None  # the strong Wolfe search's curvature constant; None: backtracking (Algorithm 3.1)
    shift = math.nan  # τ of H + τI in its last direction, where it modifies the Hessian (MinimizeResult.steps)

    def direction(self, at: Iterate) -> np.ndarray:
        raise NotImplementedError

    def first_step(self, p: np.ndarray) -> float:
        """α₀, the line search's first trial: 1 where the method's steps have a natural scale (N&W p. 59)."""
        return 1.0

    def took(self, alpha: float, p: np.ndarray) -> None:
        """Told the step α·p the run took along the direction."""

    def restart(self) -> bool:
        """Forget what it has learnt, so that its next direction is −∇f; whether there was anything to forget (a
        line search that fails along a learnt direction is tried once more along steepest descent)."""
        return False


class SteepestDescent(Direction):
    """p = −∇f, backtracking (Armijo) from the last step accepted, doubled, at most 1: steepest descent's steps have
    no natural scale, and the last one is the best guess at the next."""

    def __init__(self) -> None:
        self.guess = 1.0

    def direction(self, at: Iterate) -> np.ndarray:
        return -at.g

    def first_step(self, p: np.ndarray) -> float:
        return self.guess

    def took(self, alpha: float, p: np.ndarray) -> None:
        self.guess = min(1.0, 2 * alpha)


class ModifiedNewton(Direction):
    """Newton's direction with the Hessian modified to be positive definite, N&W Algorithm 3.3 (Cholesky with added
    multiple of the identity): H + τI for the smallest τ of a growing sequence that makes Cholesky succeed, then
    p = −(H + τI)⁻¹∇f; so where H is not positive definite the step bends towards steepest descent instead of
    climbing to a maximum or a saddle. Backtracking from α = 1 (Algorithm 3.1): near a minimum with a positive
    definite Hessian, the full step, and quadratic convergence."""

    hessian = True

    def direction(self, at: Iterate) -> np.ndarray:
        g, h = at.g, at.h
        assert h is not None  # `hessian`: every iterate of the run has it
        n = len(g)
        smallest = float(np.min(np.diag(h))) if n else 0.0
        shift = 0.0
        if smallest <= 0:  # H is not positive definite: start from a shift that makes its diagonal positive
            shift = max(MIN_SHIFT * max(float(np.max(np.abs(np.diag(h)))), 1.0), -smallest + MIN_SHIFT)
        for _ in range(60):
            try:
                factor = np.linalg.cholesky(h + shift * np.eye(n))
                self.shift = shift
                return -np.linalg.solve(factor.T, np.linalg.solve(factor, g))
            except np.linalg.LinAlgError:
                shift = max(SHIFT_GROWTH * shift, MIN_SHIFT)
        self.shift = math.inf  # no shift made it positive definite (a Hessian of NaN, say): steepest descent
        return -g


class ConjugateGradient(Direction):
    """N&W Algorithm 5.4 (Fletcher–Reeves) and the Polak–Ribière+ variant (eq. 5.44, β⁺ = max(β, 0)), strong Wolfe
    line search with c2 = 0.1 (so that every direction is a descent direction, Lemma 5.6). Restarted with steepest
    descent wherever a direction does not descend; Fletcher–Reeves also where successive gradients are far from
    orthogonal, |∇f_kᵀ∇f_{k−1}| ≥ RESTART·‖∇f_k‖² (N&W eq. 5.52: it jams otherwise), Polak–Ribière+ by its β⁺ = 0
    alone (restarting every n iterations, as the theory does, left it crawling like steepest descent on a badly
    scaled problem). Its steps have no natural scale: the first trial keeps the last step's length,
    α₀ = α_{k−1}‖p_{k−1}‖ / ‖p_k‖, at most 1."""

    c2 = C2_CG

    def __init__(self, polak_ribiere: bool) -> None:
        self.polak_ribiere = polak_ribiere
        self.g: np.ndarray | None = None  # the last gradient …
        self.p: np.ndarray | None = None  # … and direction
        self.length = 1.0  # of the last step, α‖p‖

    def direction(self, at: Iterate) -> np.ndarray:
        g, previous = at.g, self.g
        self.g = g
        if previous is None or (not self.polak_ribiere and abs(float(g @ previous)) >= RESTART * float(g @ g)):
            self.p = -g
            return self.p
        denominator = float(previous @ previous)
        beta = max(0.0, float(g @ (g - previous)) / denominator) if self.polak_ribiere else float(g @ g) / denominator
        assert self.p is not None  # set with the last gradient, at the first step or a restart
        new = -g + beta * self.p
        self.p = new if float(new @ g) < 0 else -g  # not a descent direction: restart
        return self.p

    def restart(self) -> bool:
        restarted, self.g = self.g is not None, None
        return restarted

    def first_step(self, p: np.ndarray) -> float:
        return min(1.0, self.length / max(float(np.linalg.norm(p)), 1e-300))

    def took(self, alpha: float, p: np.ndarray) -> None:
        self.length = alpha * max(float(np.linalg.norm(p)), 1e-300)


class LBFGS(Direction):
    """N&W Algorithm 7.5 (L-BFGS), the direction by the two-loop recursion (Algorithm 7.4) over the last `memory`
    pairs s = x_{k+1} − x_k, y = ∇f_{k+1} − ∇f_k, with H₀ = (sᵀy/yᵀy)·I (eq. 7.20); strong Wolfe line search with
    c2 = 0.9. Its steps are scaled once it has a pair (α₀ = 1); before, the first trial is 1/‖p‖, at most 1."""

    c2 = C2_NEWTON_LBFGS

    def __init__(self, memory: int) -> None:
        self.memory = memory
        self.pairs: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, ρ = 1/yᵀs), ρ computed once
        self.last: Iterate | None = None

    def direction(self, at: Iterate) -> np.ndarray:
        if self.last is not None:
            s, y = at.x - self.last.x, at.g - self.last.g
            if float(s @ y) > 1e-12 * float(np.linalg.norm(s) * np.linalg.norm(y)):  # keep H positive definite
                self.pairs.append((s, y, 1.0 / float(y @ s)))
                del self.pairs[: -self.memory]
        self.last = at
        q = at.g.copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):  # Algorithm 7.4: the first loop, newest pair first
            a = rho * s.dot(q)
            q -= a * y
            alphas.append(a)
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= s.dot(y) / y.dot(y)
        for (s, y, rho), a in zip(self.pairs, reversed(alphas), strict=True):  # the second loop, oldest first
            q += s * (a - rho * y.dot(q))
        return -q

    def first_step(self, p: np.ndarray) -> float:
        return 1.0 if self.pairs else min(1.0, 1.0 / max(float(np.linalg.norm(p)), 1e-300))

    def restart(self) -> bool:
        restarted = bool(self.pairs)
        self.pairs, self.last = [], None
        return restarted


def _with_line_search(run: _Run, x: np.ndarray, method: Direction) -> Outcome:
    """A line-search method's run: at each iterate its direction p, a step α along it from the line search it asks
    for (strong Wolfe or backtracking), x + αp."""
    objective = run.objective
    too_small = "the step is too small for float64 to move x"

    def step(at: Iterate) -> tuple[Iterate, float]:
        p = method.direction(at)
        g: np.ndarray | None = None  # ∇f at the step, where the line search gives it
        if method.c2 is None:
            stepped = backtracking(objective, run, at.x, at.f, at.g, p, alpha=method.first_step(p))
            if stepped is None:
                raise _NoProgress("the line search found no step that decreases f")
            alpha, f = stepped
        else:
            found = strong_wolfe(objective, run, at.x, at.f, at.g, p, method.c2, alpha=method.first_step(p))
            if found is None and method.restart():  # along steepest descent, once, before giving up
                run.retry()
                p = method.direction(at)
                found = strong_wolfe(objective, run, at.x, at.f, at.g, p, method.c2, alpha=method.first_step(p))
            if found is None:
                raise _NoProgress("the line search found no step meeting the Wolfe conditions")
            alpha, f, g = found
        new = at.x + alpha * p
        run.step_taken(
            at.g,
            p,
            alpha,
            "backtracking" if method.c2 is None else "strong wolfe",
            C1,
            math.nan if method.c2 is None else method.c2,
            method.shift,
            math.nan if at.h is None else float(p @ at.h @ p),
        )
        if method.hessian:  # ∇²f, the costly part, only once x has moved
            after = objective.at(_moving(at.x, new, too_small), hessian=True)
        else:  # ∇f there, where the line search did not give it (backtracking never does)
            after = objective.at(new) if g is None else Iterate(new, f, g)
            _moving(at.x, new, too_small)
        method.took(alpha, p)
        return after, alpha

    return _iterate(run, x, step, hessian=method.hessian)


def _line_search(new: Callable[[_Run], Direction]) -> Solver:
    """The solver of a line-search method: a new direction for each run, since it keeps what it learns in one."""
    return lambda run, x: _with_line_search(run, x, new(run))


def _torch_lbfgs(run: _Run, x: np.ndarray) -> Outcome:
    """torch.optim.LBFGS with its strong Wolfe line search, one iteration per step() so that each iterate is kept;
    its closure returns f and sets the gradient from derivlib's exact derivatives (no autograd graph)."""
    objective = run.objective
    point = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [point],
        lr=1.0,
        max_iter=1,
        max_eval=1 + 25,  # per step: its default, max_iter·5/4 = 1, would leave the line search no evaluation
        history_size=run.memory,
        tolerance_grad=run.tol,
        tolerance_change=0.0,
        line_search_fn="strong_wolfe",
    )

    seen: dict[bytes, tuple[float, np.ndarray]] = {}  # the last point: each step() evaluates it again

    def closure() -> torch.Tensor:
        at = point.detach().numpy().copy()
        if at.tobytes() in seen:
            value, gradient = seen[at.tobytes()]
        else:
            value, gradient = objective.value_and_gradient(at)
            seen.clear()
            seen[at.tobytes()] = (value, gradient)
        if value < run.floor:
            run.check(at, value)
        point.grad = torch.tensor(gradient, dtype=torch.float64)
        return torch.tensor(value, dtype=torch.float64)

    def step(at: Iterate) -> tuple[Iterate, float]:
        before = point.detach().numpy().copy()
        optimizer.step(closure)
        new = point.detach().numpy().copy()
        if np.array_equal(new, before):
            raise _NoProgress("torch's L-BFGS did not move x")
        f, g = seen[new.tobytes()] if new.tobytes() in seen else objective.value_and_gradient(new)
        seen.clear()
        seen[new.tobytes()] = (f, g)
        return Iterate(new, f, g), float(optimizer.state[point].get("t", math.nan))

    return _iterate(run, x, step)


def _scipy(kind: str, hessian: bool) -> Solver:
    """scipy.optimize.minimize fed with derivlib's exact gradient (and Hessian), its iterates from the callback."""

    def solve(run: _Run, x: np.ndarray) -> Outcome:
        import scipy.optimize  # on first use: only these methods need it

        objective = run.objective
        last = run.begin(x).x  # the last iterate recorded

        def fun(point: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient = objective.value_and_gradient(point)
            if value < run.floor:
                run.check(point, value)
            return value, gradient

        def callback(intermediate_result) -> None:
            nonlocal last
            point = np.asarray(intermediate_result.x, dtype=float)
            with objective.aside():  # a look for the path, not one of scipy's evaluations
                value, gradient = objective.value_and_gradient(point)
            run.check(point, value, gradient)
            step = float(np.linalg.norm(point - last))
            last = point
            run.record(len(run.rows), point, value, gradient, step)
            if run.converged(gradient):
                raise StopIteration

        def hess(point: np.ndarray) -> np.ndarray:
            found = objective.hessian(point)
            if not np.all(np.isfinite(found)):  # at a kink: scipy's methods would stop with numpy's error instead
                raise _Undefined(point)
            return found

        extra = {"hess": hess} if hessian else {}
        tolerances = {"gtol": run.tol} if kind in ("BFGS", "L-BFGS-B", "trust-exact") else {"xtol": run.tol}
        if kind == "BFGS":
            tolerances["norm"] = math.inf
        if kind == "L-BFGS-B":
            tolerances["ftol"] = 0.0
        found = scipy.optimize.minimize(
            fun, x, jac=True, method=kind, callback=callback, options={"maxiter": run.max_iter, **tolerances}, **extra
        )
        point = np.array([run.rows[-1][name] for name in objective.variables])
        with objective.aside():  # ours, to say how it ended
            gradient = objective.value_and_gradient(point)[1]
        if run.converged(gradient) or len(run.rows) - 1 >= run.max_iter:
            return run.ending(point, gradient)
        return point, Status.NO_PROGRESS, f"no progress: scipy says: {found.message}"

    return solve


@dataclass(frozen=True)
class Method:
    """One method of minimize(): everything the library, the page, its charts and the tests know of it, in one place
    (the page's list, the charts' names and colours, the README and the tests' parametrisation are read from here)."""

    name: str  # as minimize(method=...) and the share link spell it
    label: str  # as the page and the charts call it
    colour: str  # the same on every chart; readable on the contour map's light and dark ends
    solver: Solver  # runs the method: (run, x0) -> where it ended, its Status and message
    max_iter: int = DEFAULT_MAX_ITER  # its iteration cap unless max_iter says otherwise
    hessian: bool = False  # whether it uses the exact Hessian (Newton's steps); then its result has `hess`
    reference: str | None = None  # the trusted library whose method it is ("scipy", "torch"), shown beside derivlib's


def _scipy_method(name: str, label: str, colour: str, kind: str, hessian: bool = False) -> Method:
    return Method(name, label, colour, _scipy(kind, hessian), hessian=hessian, reference="scipy")


RECORDS: dict[str, Method] = {
    method.name: method
    for method in (
        Method("gradient-descent", "gradient descent", "#ff7f0e", _gradient_descent, max_iter=20_000),
        Method(
            "gradient-descent-armijo",
            "gradient descent + Armijo",
            "#d62728",
            _line_search(lambda _: SteepestDescent()),
            20_000,
        ),
        Method("newton", "Newton", "#1f3fbf", _line_search(lambda _: ModifiedNewton()), hessian=True),
        Method("newton-plain", "Newton (plain)", "#6f8fe8", _plain_newton, hessian=True),
        Method(
            "cg-fr", "CG (Fletcher–Reeves)", "#8c564b", _line_search(lambda _: ConjugateGradient(polak_ribiere=False))
        ),
        Method(
            "cg-pr", "CG (Polak–Ribière+)", "#9467bd", _line_search(lambda _: ConjugateGradient(polak_ribiere=True))
        ),
        Method("lbfgs", "L-BFGS", "#e6007e", _line_search(lambda run: LBFGS(run.memory))),
        Method("torch-lbfgs", "torch L-BFGS", "#17becf", _torch_lbfgs, reference="torch"),
        _scipy_method("scipy-bfgs", "scipy BFGS", "#2ca02c", "BFGS"),
        _scipy_method("scipy-lbfgsb", "scipy L-BFGS-B", "#bcbd22", "L-BFGS-B"),
        _scipy_method("scipy-newton-cg", "scipy Newton-CG", "#7f7f7f", "Newton-CG", hessian=True),
        _scipy_method("scipy-trust-exact", "scipy trust-exact", "#000000", "trust-exact", hessian=True),
    )
}
METHODS = RECORDS.keys()  # the methods' names in order, as a live view: a method added to RECORDS is in it
