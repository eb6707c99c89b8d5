"""Derivatives of every order over a grid, chunk by chunk, on the chosen device: by Taylor mode or by autograd.

Every function in the formula language is elementwise: the value at point i depends on x[i] alone. Two methods use
this. Taylor mode (`jet.py`, the default) carries the truncated Taylor series of every node forward through the
tree in one pass, every order at once, at a cost that grows with the square of the order. Autograd: the Jacobian of
f over a grid is diagonal, and the vector-Jacobian product with a vector of ones, which is what
`autograd.grad(y, x, grad_outputs=ones)` computes, is exactly that diagonal: f'(x[i]) at every i, in one pass.
Repeating it on the result (with `create_graph=True`) gives f'', f''' and so on, at a cost that triples per order.
The two agree up to rounding. Where a Taylor rule divides by zero, the point is recomputed by autograd, so the
conventions at such points (d|x|/dx = 0 at 0, 0^x, ...) are autograd's whichever method is chosen.

A piecewise definition is differentiated branch by branch. At a boundary between branches, both methods take the
k-th derivative only where the branches that apply just left and just right of the point agree to order k (and with
f itself), and give NaN elsewhere (`tree.seam_rows`). Autograd recomputes the points that lie on a boundary with every
piecewise definition taking the branch of one side and then of the other, each side decided by the sign of the first
derivative of (greater side − smaller side) of each comparison that is not zero there.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from . import fused, jet
from .errors import ExpressionError
from .limits import MAX_ORDER, MAX_OUTPUT_BYTES, Budget, chunks
from .parse import name_position, parse, parse_list
from .tree import (
    SIDE_ORDER,
    Expression,
    Side,
    evaluate,
    has_seams,
    kinks_as_branches,
    on_a_seam,
    seam_rows,
    side_sign,
)

# MAX_ORDER (10) and MAX_OUTPUT_BYTES (4 GiB) are the library's ceilings, in limits.py with every other limit.
MEMORY_BUDGET = 256 * 2**20  # bytes of working memory per chunk (autograd graph, Taylor series); chunks stay under it
MAX_CHUNK = 2**18  # points per chunk, however small the formula (bigger chunks gain no speed on a CPU)
MIN_CHUNK = 2**10  # points per chunk, however large the formula
GRAPH_GROWTH = 3  # factor by which the graph grows per order (measured 2-3x on nested formulas)
TAYLOR_CHUNK = 2**16  # points per chunk and CPU thread in Taylor mode: fewer chunks, rows still mostly in cache
TAYLOR_ROWS = 3  # rows of scratch per point per live series in Taylor mode, on top of the series' own rows
FUSED_CHUNK = {"cpu": 2**20, "cuda": 2**24}  # points per chunk of a compiled program (fused.py), by device type

METHODS = ("taylor", "autograd")

DTYPES = {"float64": torch.float64, "float32": torch.float32}

Progress = Callable[[int, int], None]  # called with (points done, points in all) after each chunk


def resolve_dtype(dtype: torch.dtype | str) -> torch.dtype:
    """torch.float64 or torch.float32, from either the dtype or its name; ValueError for anything else."""
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    if not isinstance(dtype, str) and dtype in DTYPES.values():
        return dtype
    raise ValueError(f"unknown dtype {dtype!r}: choose float64 or float32")


def available_devices() -> list[str]:
    """The devices this machine can compute on: 'cpu', then 'cuda:0', 'cuda:1', ... and 'mps' where present."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(device: torch.device | str | None) -> torch.device:
    """A torch.device that exists here (default: the CPU); ValueError naming the available ones otherwise."""
    if device is None:
        return torch.device("cpu")
    name = str(device).strip().lower()
    try:
        resolved = torch.device(name)
    except RuntimeError:
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {str(device)!r}: choose one of {', '.join(available_devices())}")
    if resolved.type == "cuda" and resolved.index is None and torch.cuda.is_available():
        resolved = torch.device("cuda", torch.cuda.current_device())
    if resolved.type != "cpu" and str(resolved) not in available_devices():
        raise ValueError(f"device {name!r} is not available here: choose one of {', '.join(available_devices())}")
    return resolved


def check_order(order: int) -> int:
    """The order, if it is a whole number from 0 to MAX_ORDER; ValueError otherwise."""
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise ValueError(f"the order must be a whole number, not {order!r}")
    if not 0 <= order <= MAX_ORDER:
        raise ValueError(f"the order must be from 0 to {MAX_ORDER}, not {order}")
    return int(order)


@dataclass(frozen=True)
class Settings:
    """The settings every grid computation takes, checked once: `derivatives` and `partials` read them alike."""

    order: int
    dtype: torch.dtype
    device: torch.device
    method: str
    chunk_size: int | None


def checked_settings(
    order: int, dtype: torch.dtype | str, device: torch.device | str | None, method: str, chunk_size: int | None
) -> Settings:
    """The settings, resolved (a dtype's name, the default device) and checked; ValueError naming what is wrong."""
    order, dtype, device = check_order(order), resolve_dtype(dtype), resolve_device(device)
    if device.type == "mps" and dtype == torch.float64:
        raise ValueError("MPS (Apple GPUs) has no float64: choose float32 for the mps device")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose {' or '.join(METHODS)}")
    if chunk_size is not None and (isinstance(chunk_size, bool) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive number of points, not {chunk_size!r}")
    return Settings(order, dtype, device, method, chunk_size)


def check_size(points: int, order: int, dtype: torch.dtype) -> None:
    """ValueError unless a result of (order + 1) rows of `points` values fits MAX_OUTPUT_BYTES."""
    if points < 1:
        raise ValueError("the grid is empty: ask for at least one point")
    needed = (order + 1) * points * dtype.itemsize
    if needed > MAX_OUTPUT_BYTES:
        most = MAX_OUTPUT_BYTES // ((order + 1) * dtype.itemsize)
        raise ValueError(
            f"{points:,} points of order {order} need {needed / 2**30:.1f} GiB; at most {most:,} points fit "
            f"the {MAX_OUTPUT_BYTES // 2**30} GiB budget"
        )


def default_chunk_size(expr: Expression, order: int, dtype: torch.dtype) -> int:
    """Points per chunk so that one chunk's autograd graph stays within MEMORY_BUDGET.

    The graph holds about one array per node for f, and each further order builds the backward graph of the
    previous one on top of it, about GRAPH_GROWTH times as large: a conservative estimate, so memory stays bounded.
    """
    arrays_per_point = (expr.size + 1) * GRAPH_GROWTH**order
    return max(MIN_CHUNK, min(MAX_CHUNK, MEMORY_BUDGET // (arrays_per_point * dtype.itemsize)))


def taylor_chunk_size(program: jet.Program, dtype: torch.dtype, device: torch.device) -> int:
    """Points per chunk in Taylor mode: the series alive at once stay within MEMORY_BUDGET, and on a CPU within its
    caches (TAYLOR_CHUNK per thread); a GPU takes as many as the budget allows, to keep its cores busy."""
    bytes_per_point = program.live * (program.rows + TAYLOR_ROWS) * dtype.itemsize
    largest = MEMORY_BUDGET // bytes_per_point
    if device.type == "cpu":
        largest = min(largest, TAYLOR_CHUNK * torch.get_num_threads())
    return max(MIN_CHUNK, largest)


def fused_chunk_size(device: torch.device) -> int:
    """Points per chunk of a compiled program. It writes straight into the result and keeps nothing else, so a chunk
    only sets how often progress is reported and the result checked for NaN and ±inf (on a GPU, a wait for it)."""
    return FUSED_CHUNK.get(device.type, FUSED_CHUNK["cpu"])


def parameter_values(
    expr: Expression, params: Mapping[str, float] | None, like: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The formula's parameters as 0-d tensors; ValueError for one without a value or a value for none."""
    params = dict(params or {})
    missing = [name for name in expr.parameters if name not in params]
    if missing:
        raise ValueError(
            f"parameter {missing[0]!r} needs a value (the formula's parameters: {', '.join(expr.parameters)})"
        )
    unknown = [name for name in params if name not in expr.parameters]
    if unknown:
        listed = ", ".join(expr.parameters) or "none"
        raise ValueError(f"the formula has no parameter {unknown[0]!r} (its parameters: {listed})")
    values = {}
    for name, value in params.items():
        try:
            values[name] = torch.tensor(float(value), dtype=like.dtype, device=like.device)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name!r} needs a number, not {value!r}") from None
    return values


def as_points(x: torch.Tensor | np.ndarray | Sequence[float] | float, dtype: torch.dtype, device: torch.device):
    """x as a 1-D tensor of the given dtype on the given device (a single number becomes one point)."""
    if isinstance(x, np.ndarray) and not x.flags.writeable:  # as pandas hands out columns: torch would warn
        x = x.copy()
    try:
        points = torch.as_tensor(x, dtype=dtype, device=device)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"x must be numbers: {error}") from None
    if points.ndim > 1:
        raise ValueError(f"x must be one-dimensional, not of shape {tuple(points.shape)}")
    return points.reshape(-1)


def derivatives(
    expr: Expression | str,
    x: torch.Tensor | np.ndarray | Sequence[float] | float,
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float64,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    method: str = "taylor",
    fuse: bool = False,
    time_budget: float | None = None,
) -> torch.Tensor:
    """Row k holds the k-th derivative of `expr` at every point of x: a tensor of shape (order + 1, len(x)).

    Where f is undefined (NaN) so is every derivative; elsewhere NaN and ±inf are what the maths gives. The
    result at each point is what that point alone would give, whatever the chunk size. `method` is "taylor"
    (Taylor mode: one forward pass gives every order) or "autograd" (autograd applied to its own result, once per
    order); the two agree up to rounding. `fuse=True` (Taylor mode) asks for the formula's program to be compiled in
    the background, and runs the compiled program once it is ready: the same numbers up to rounding, sooner.
    `time_budget` (seconds) ends a computation that takes longer with `derivlib.TimeBudgetError` (a ValueError),
    checked between chunks and, by autograd, before each order that would end past it.

    >>> derivatives("x^3 + sin(x)", [1.0], order=2)
    tensor([[1.8415],
            [3.5403],
            [5.1585]], dtype=torch.float64)
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    settings = checked_settings(order, dtype, device, method, chunk_size)
    order, dtype, device, chunk_size = settings.order, settings.dtype, settings.device, settings.chunk_size
    points = as_points(x, dtype, device)
    check_size(max(len(points), 1), order, dtype)
    values = parameter_values(expr, params, points)
    budget = (
        None if time_budget is None else Budget(time_budget, f"computation of order {order} on {len(points):,} points")
    )

    result = torch.empty((order + 1, len(points)), dtype=dtype, device=device)
    chunk: Callable[[torch.Tensor, torch.Tensor], None]
    if method == "taylor":
        program = jet.compile_program(expr, order)
        bound = program.bind(values, like=points)
        compute: Callable[[torch.Tensor, torch.Tensor], bool | None] = bound.derivatives
        if fuse and (compiled := fused.lookup(expr, program, dtype, device)) is not None:
            compute = functools.partial(compiled.derivatives, bound)
            chunk_size = chunk_size or fused_chunk_size(device)
        chunk_size = chunk_size or taylor_chunk_size(program, dtype, device)
        seams = jet.seams(expr, order, values, points)  # boundaries between branches and kinks, redone from both sides
        chunk = functools.partial(_taylor_derivatives_of_chunk, compute, expr, values, budget=budget, seams=seams)
    else:
        chunk_size = chunk_size or default_chunk_size(expr, order, dtype)

        def chunk(x: torch.Tensor, out: torch.Tensor) -> None:
            out.copy_(_derivatives_of_chunk(expr, values, x, order, budget=budget))

    for start, stop in chunks(len(points), chunk_size, budget):
        chunk(points[start:stop], result[:, start:stop])
        if progress is not None:
            progress(stop, len(points))
    return result


def fused_state(
    expr: Expression | str,
    *,
    order: int = 2,
    device: torch.device | str | None = None,
    dtype=torch.float64,
    variables: tuple[str, ...] | None = None,
) -> str:
    """Where the formula's compiled program stands (see `derivatives(..., fuse=True)`, or with `variables` named,
    `partials(..., fuse=True)` in them): 'ready', 'waiting' (for the compiler), 'failed: <why>', or 'none' (never
    asked for).

    >>> fused_state("x^3 + sin(x)", order=7)
    'none'
    """
    if isinstance(expr, str):
        expr = parse(expr, variables=variables) if variables else parse(expr)
    kind = fused.PARTIALS if variables else None
    return fused.state(expr, check_order(order), resolve_dtype(dtype), resolve_device(device), variables, kind)


def _taylor_derivatives_of_chunk(
    compute: Callable[[torch.Tensor, torch.Tensor], bool | None],
    expr: Expression,
    params: Mapping[str, torch.Tensor],
    x: torch.Tensor,
    out: torch.Tensor,
    budget: Budget | None = None,
    seams: jet.Seams | None = None,
) -> None:
    finite = compute(x, out)  # True or False where the computation knows whether everything is finite
    if seams is not None and (on := seams.on([x])).any():
        # On a boundary between branches or at a kink, each derivative is the one both sides share (f stays as it is).
        out[1:, on] = torch.stack(seams.bound.rows(x[on])[1:])
        finite = None
    # Otherwise one sum tells whether anything is NaN or ±inf (or overflows, which costs only the closer look below).
    if finite or (finite is None and math.isfinite(out.sum())):
        return
    defined = ~torch.isnan(out[0])
    # A rule divided by zero (log or a power at 0, a pole) and left NaN or ±inf in the series: those points get
    # autograd's conventions, from autograd.
    redo = defined & ~torch.isfinite(out).all(dim=0)
    if redo.any():
        out[:, redo] = _derivatives_of_chunk(expr, params, x[redo], len(out) - 1, budget=budget)
    out[1:, ~defined] = math.nan


def _derivatives_of_chunk(
    expr: Expression,
    params: Mapping[str, torch.Tensor],
    x: torch.Tensor,
    order: int,
    side: Side | None = None,
    budget: Budget | None = None,
) -> torch.Tensor:
    (variable,) = expr.variables or ("x",)
    x = x.detach().clone().requires_grad_(order > 0)
    rows = torch.empty((order + 1, len(x)), dtype=x.dtype, device=x.device)
    with torch.enable_grad():
        # Beside a seam, abs, min and max are decided like any branch (see jet.compile_program).
        tree = expr.tree if side is None else kinks_as_branches(expr.tree)
        y = evaluate(tree, {**params, variable: x}, x, side).expand_as(x)  # a constant formula is 0-d
        rows[0] = y.detach()
        steps = [0.0]  # seconds each order took
        for k in range(1, order + 1):
            # Once y no longer depends on x (f = 4, or f = 3x after one step), every later derivative is 0.
            if not y.requires_grad:
                rows[k:] = 0
                break
            # One order's step cannot be interrupted, and each builds on a graph about GRAPH_GROWTH (or, as measured
            # here, more) times as large as the last: stop before one that would end past the budget.
            growth = max(GRAPH_GROWTH, steps[-1] / steps[-2]) if len(steps) > 2 and steps[-2] > 0 else GRAPH_GROWTH
            if budget is not None and k > 1 and steps[-1] * growth > budget.left():
                raise budget.spent(
                    f"autograd reached order {k - 1} on {len(x):,} points, and order {k} would take about "
                    f"{steps[-1] * growth:.2g} s more"
                )
            began = time.monotonic()
            # The gradient of y.sum() is the vector-Jacobian product with ones, i.e. grad_outputs=ones (see above), and
            # spares the first call the half second torch takes to import what grad_outputs makes it check.
            (y,) = torch.autograd.grad(y.sum(), x, create_graph=k < order, allow_unused=True, materialize_grads=True)
            rows[k] = y.detach()
            steps.append(time.monotonic() - began)
    # Autograd knows only local rules: it would give 1/x as the derivative of log(x) at x = -1, where log is NaN.
    rows[1:, torch.isnan(rows[0])] = math.nan
    if side is None and order > 0 and has_seams(kinks_as_branches(expr.tree), variable):
        # At a boundary between branches or a kink, the derivatives are those of the sides, where they agree.
        with torch.no_grad():
            seam = on_a_seam(kinks_as_branches(expr.tree), {**params, variable: x.detach()}, x, variable)
            seam = seam.expand_as(x)
        if seam.any():
            points = x.detach()[seam]
            left = _derivatives_of_chunk(expr, params, points, order, _AutogradSide(variable, left=True), budget)
            right = _derivatives_of_chunk(expr, params, points, order, _AutogradSide(variable, left=False), budget)
            rows[:, seam] = torch.stack(seam_rows(rows[0, seam], list(left), list(right), order))
    return rows


class _AutogradSide(Side):
    """A comparison decided just left or right of each point, from autograd's derivatives of (greater − smaller)."""

    def __init__(self, variable: str, left: bool) -> None:
        self.variable, self.left = variable, left

    def sign(self, difference: torch.Tensor, values: Mapping[str, torch.Tensor]) -> torch.Tensor:
        x = values[self.variable]  # the points this comparison is evaluated at (within a branch: some of them)
        rows = [difference]
        while len(rows) <= SIDE_ORDER and rows[-1].requires_grad:
            (derivative,) = torch.autograd.grad(  # y.sum(): as in _derivatives_of_chunk
                rows[-1].sum(), x, create_graph=True, allow_unused=True, materialize_grads=True
            )
            rows.append(derivative)
        exact = not rows[-1].requires_grad  # the next derivatives are all 0
        return side_sign([row.detach() for row in rows], exact, self.left)


def constants(text: str, params: Mapping[str, float] | None = None) -> list[float]:
    """The values of comma-separated constant formulas, as for points to evaluate at (parameters given in `params`).

    >>> constants("1, pi, 2^-1")
    [1.0, 3.141592653589793, 0.5]
    """
    params = params or {}
    values = []
    like = torch.empty((), dtype=torch.float64)
    for expr in parse_list(text, variables=()):
        unknown = [name for name in expr.parameters if name not in params]
        if unknown:
            what = "a value cannot depend on x" if unknown[0] == "x" else f"'{unknown[0]}' has no value here"
            raise ExpressionError(
                f"{what}: write a number such as 1, pi/2 or 2e-3", text, name_position(text, unknown[0])
            )
        known = {name: params[name] for name in expr.parameters}
        values.append(float(expr.evaluate(parameter_values(expr, known, like), like=like)))
    return values


def constant(text: str) -> float:
    """The value of one constant formula, as for a range's end typed as 2pi, -pi/2 or e; ExpressionError, with the
    position, where the text is not one finite number.

    >>> constant("-pi/2")
    -1.5707963267948966
    """
    if not text.strip():
        raise ExpressionError("empty: write a number such as 5, 2pi or -pi/2", text, 0)
    values = constants(text)
    if len(values) != 1:
        raise ExpressionError("one value here, not a list", text, text.find(","))
    if not math.isfinite(values[0]):
        raise ExpressionError("not a finite number", text, len(text) - len(text.lstrip()))
    return values[0]
