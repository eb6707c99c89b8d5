"""Several variables: every partial derivative of a formula up to an order, over a batch of points at once.

Taylor mode (the default) carries the formula's Taylor series along a few directions d through each point p: the
coefficients of t ↦ f(p + t·d) are the directional derivatives Dᵐ_d f = Σ_{|α|=m} m!/α! · dᵅ · ∂ᵅf. For each order
m the directions of the lattice {i : |i| = m} (for two variables (m, 0), (m − 1, 1), …, (0, m)) make that a square
system with an exact inverse (the lattice is unisolvent for the polynomials of degree m), solved once per number of
variables and order: so f_x comes from d = (1, 0) alone, f_xx and f_yy from the axes, and f_xy from the directions
(1, 0), (0, 1) and (1, 1) by polarization. Each direction is one pass of the one-variable program, and a pass gives
every order at once; two variables at order 2 take three passes. Each mixed partial is computed once, from a single
formula, so f_xy = f_yx by construction, to the last bit.

`method="autograd"` differentiates instead, per point: the formula is elementwise in its variables, so the gradient
of the sum of its values is, at each point, that point's own partial derivative; f_xy is the derivative in y of f_x
(computed once, so again f_xy = f_yx). Where a Taylor rule divides by zero, the point is recomputed by autograd, as
for one variable.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations_with_replacement

import numpy as np
import torch

from . import fused, jet
from .engine import (
    Progress,
    as_points,
    check_size,
    checked_settings,
    default_chunk_size,
    fused_chunk_size,
    parameter_values,
    resolve_device,
    resolve_dtype,
    taylor_chunk_size,
)
from .limits import Budget, chunks
from .parse import parse
from .tree import Expression, evaluate

Tensor = torch.Tensor
Points = Mapping[str, Tensor | np.ndarray | Sequence[float]]


def multi_indices(count: int, order: int) -> list[tuple[int, ...]]:
    """The exponents α of the partial derivatives of one order in `count` variables, as names list them: for two
    variables and order 2, (2, 0), (1, 1), (0, 2) (f_xx, f_xy, f_yy).

    >>> multi_indices(2, 3)
    [(3, 0), (2, 1), (1, 2), (0, 3)]
    """
    found = []
    for chosen in combinations_with_replacement(range(count), order):
        found.append(tuple(chosen.count(i) for i in range(count)))
    return found


def partial_name(variables: Sequence[str], alpha: tuple[int, ...]) -> str:
    """The name of ∂ᵅf: 'f', 'fx', 'fxy' … for one-letter variables, 'f_x1_x2' otherwise.

    >>> partial_name(("x", "y"), (1, 1)), partial_name(("x1", "x2"), (2, 0))
    ('fxy', 'f_x1_x1')
    """
    letters = [name for name, count in zip(variables, alpha, strict=True) for _ in range(count)]
    if all(len(name) == 1 for name in variables):
        return "f" + "".join(letters)
    return "_".join(["f", *letters])


def partial_names(variables: Sequence[str], order: int) -> list[str]:
    """Every partial derivative's name up to `order`, by order: f, fx, fy, fxx, fxy, fyy … for (x, y).

    >>> partial_names(("x", "y"), 2)
    ['f', 'fx', 'fy', 'fxx', 'fxy', 'fyy']
    """
    return [partial_name(variables, alpha) for m in range(order + 1) for alpha in multi_indices(len(variables), m)]


@functools.lru_cache(maxsize=64)
def _plan(count: int, order: int) -> tuple[list[tuple[int, ...]], list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The primitive directions to run along, and for each order m ≥ 1: which direction each lattice point is, its
    scale (lattice point = scale · direction), and the inverse that turns their m-th directional derivatives into
    the m-th partial derivatives (in `multi_indices` order)."""
    directions: list[tuple[int, ...]] = []
    orders = []
    for m in range(1, order + 1):
        lattice = multi_indices(count, m)
        which, scales = [], []
        for point in lattice:
            divisor = math.gcd(*point)
            primitive = tuple(c // divisor for c in point)
            if primitive not in directions:
                directions.append(primitive)
            which.append(directions.index(primitive))
            scales.append(float(divisor) ** m)
        system = np.array(
            [
                [
                    math.factorial(m)
                    / math.prod(map(math.factorial, a))
                    * math.prod(p**e for p, e in zip(point, a, strict=True))
                    for a in lattice
                ]
                for point in lattice
            ],
            dtype=np.float64,
        )
        orders.append((np.array(which), np.array(scales), np.linalg.inv(system)))
    return directions or [(1,) + (0,) * (count - 1)], orders


def partials(
    expr: Expression | str,
    points: Points,
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float64,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    method: str = "taylor",
    time_budget: float | None = None,
    fuse: bool = False,
) -> dict[str, Tensor]:
    """Every partial derivative of `expr` up to `order` at the points, by name (see `partial_names`).

    `points` maps each variable's name to a 1-D array, all of one length; text is read with those names as the
    variables (so y is a variable here, where the one-variable page reads it as a parameter). Batched over all the
    points at once in chunks within the memory budget, on the device and in the dtype asked for; where f is undefined
    so is every derivative; bad settings raise ValueError, as `derivatives` does for one variable, and so does a
    computation that takes longer than `time_budget` seconds (`derivlib.TimeBudgetError`, checked between chunks).

    `fuse=True` (Taylor mode) works as it does for `derivatives`: the first call answers with the eager program and
    asks fused.py's worker to compile the formula's partials program (every pass in one loop over the points); later
    calls run it once it is ready, checked against the eager program on its first use. The numbers are the same.

    >>> d = partials("x^2 y + sin(y)", {"x": [1.0], "y": [0.0]})
    >>> {name: round(float(v), 12) + 0.0 for name, v in d.items()}
    {'f': 0.0, 'fx': 0.0, 'fy': 2.0, 'fxx': 0.0, 'fxy': 2.0, 'fyy': 0.0}
    """
    if not isinstance(points, Mapping) or not points:
        raise ValueError("points must map each variable's name to its values, as {'x': [...], 'y': [...]}")
    variables = tuple(points)
    expr = _formula(expr, variables)
    settings = checked_settings(order, dtype, device, method, chunk_size)
    order, dtype, device, chunk_size = settings.order, settings.dtype, settings.device, settings.chunk_size
    columns = [as_points(points[name], dtype, device) for name in variables]
    lengths = {len(column) for column in columns}
    if len(lengths) > 1:
        sizes = ", ".join(f"{name}: {len(column):,}" for name, column in zip(variables, columns, strict=True))
        raise ValueError(f"every variable needs as many points as the others ({sizes})")
    count = lengths.pop()
    names = partial_names(variables, order)
    check_size(max(count, 1), len(names) - 1, dtype)
    like = columns[0]
    values = parameter_values(expr, params, like)

    result = torch.empty((len(names), count), dtype=dtype, device=device)
    if method == "taylor":
        program = jet.compile_program(expr, order, variables)
        bound = program.bind(values, like=like)
        compiled = fused.lookup(expr, program, dtype, device, variables, fused.PARTIALS) if fuse else None
        if compiled is not None:
            chunk_size = chunk_size or fused_chunk_size(device)
        chunk_size = chunk_size or taylor_chunk_size(program, dtype, device)
        seams = jet.seams(expr, order, values, like, variables)
        compute: Callable[[list[Tensor], Tensor], None] = functools.partial(
            _taylor_chunk, bound, compiled, seams, expr, values, variables, order
        )
    else:
        chunk_size = chunk_size or default_chunk_size(expr, order, dtype)
        compute = functools.partial(_autograd_into, expr, values, variables, order)
    what = f"computation of the partial derivatives to order {order} on {count:,} points"
    budget = None if time_budget is None else Budget(time_budget, what)
    for start, stop in chunks(count, chunk_size, budget):
        compute([column[start:stop] for column in columns], result[:, start:stop])
        if progress is not None:
            progress(stop, count)
    undefined = torch.isnan(result[0])
    if undefined.any():  # where f is undefined, so is every derivative (a rule may have given a number)
        result[1:, undefined] = math.nan
    return dict(zip(names, result, strict=True))


def _formula(expr: Expression | str, variables: tuple[str, ...]) -> Expression:
    """The formula, text read with these variables; an Expression must not hold one of them as a parameter."""
    if isinstance(expr, str):
        return parse(expr, variables=variables)
    read_as_parameters = [name for name in variables if name in expr.parameters]
    if read_as_parameters:
        raise ValueError(
            f"the formula reads {read_as_parameters[0]!r} as a parameter: parse it with "
            f"variables={variables!r} (derivlib.parse(text, variables=…)), or pass the text"
        )
    extra = [name for name in expr.variables if name not in variables]
    if extra:
        raise ValueError(f"the formula's variable {extra[0]!r} has no points: give points for {', '.join(variables)}")
    return expr


def _taylor_chunk(
    bound: jet.Bound,
    compiled: fused.Fused | None,
    seams: jet.Seams | None,
    expr: Expression,
    params: Mapping[str, Tensor],
    variables: tuple[str, ...],
    order: int,
    columns: list[Tensor],
    out: Tensor,
) -> None:
    """Write every partial derivative at these points into out (see `_partials_into`); on a boundary between
    branches or at a kink, those both sides share along each direction; other points whose series a rule left NaN
    or ±inf are redone by autograd. A compiled program (fused.py), where there is one, computes what the eager
    passes would, in one loop."""
    eager = functools.partial(_partials_into, bound, len(variables), order)
    finite = None  # unknown: the eager passes do not tell
    if compiled is None:
        eager(columns, out)
    else:
        finite = compiled.partials(bound, columns, out, eager)
    on = seams.on(columns) if seams is not None else None
    if seams is not None and on is not None and on.any():
        sided = torch.empty((len(out), int(on.sum())), dtype=out.dtype, device=out.device)
        _partials_into(seams.bound, len(variables), order, [column[on] for column in columns], sided)
        out[1:, on] = sided[1:]  # f stays as the program at each point gives it
        finite = None
    if finite or (finite is None and math.isfinite(float(out.sum()))):  # one pass tells whether anything is NaN
        return
    defined = ~torch.isnan(out[0])
    # (autograd knows no sides: a point on a seam keeps what its sides gave, NaN where they disagree)
    redo = defined & ~torch.isfinite(out).all(dim=0) & (~on if on is not None else True)
    if redo.any():
        out[:, redo] = _autograd(expr, params, [column[redo] for column in columns], variables, order)


def _partials_into(bound: jet.Bound, count: int, order: int, columns: list[Tensor], out: Tensor) -> None:
    """Taylor passes along the plan's directions, then the exact inverse per order, written straight into the rows."""
    directions, combinations = _combinations(count, order)
    along = [bound.series_along(columns, list(direction)) for direction in directions]
    out[0].copy_(along[0][0])
    for row, terms in zip(out[1:], combinations, strict=True):
        _weighted_into(row, [(weight, along[w][m]) for weight, w, m in terms if m < len(along[w])])


def _weighted_into(row: Tensor, terms: list[tuple[float, Tensor]]) -> None:
    """row = Σ weight · series row (0 without terms; a 0-d series row is the same at every point)."""
    if not terms:
        row.zero_()
        return
    (weight, first), *rest = terms
    if first.dim():
        torch.mul(first, weight, out=row)
    else:
        row.fill_(first * weight)
    for weight, term in rest:
        row.add_(term, alpha=weight)


def partial_rows(bound: jet.Bound, count: int, order: int, columns: list[Tensor]) -> list[Tensor]:
    """Every partial derivative at the points as new rows, in `partial_names` order, computed as `_partials_into`
    computes them (what fused.py's compiled PARTIALS program returns: one loop over the points for all the passes)."""
    directions, combinations = _combinations(count, order)
    along = [bound.series_along(columns, list(direction)) for direction in directions]
    shape = columns[0].shape
    rows = [along[0][0].expand(shape)]
    for terms in combinations:
        row = columns[0].new_zeros(shape)
        for weight, w, m in terms:
            if m < len(along[w]):
                row = row + weight * along[w][m]
        rows.append(row)
    return rows


@functools.lru_cache(maxsize=64)
def _combinations(count: int, order: int) -> tuple[list[tuple[float, ...]], list[list[tuple[float, int, int]]]]:
    """The plan as arithmetic: the directions (as floats), and for each partial derivative past f, in `partial_names`
    order, its terms (weight, direction, m): ∂ᵅf = Σ weight · (row m of the series along that direction)."""
    directions, orders = _plan(count, order)
    combinations = []
    for m, (which, scales, inverse) in enumerate(orders, start=1):
        for r in range(len(inverse)):  # ∂ᵅf = Σ_j inverse[r, j] · (lattice point j's m-th directional derivative)
            combinations.append(
                [
                    (float(inverse[r, j]) * float(scales[j]) * math.factorial(m), w, m)
                    for j, w in enumerate(which.tolist())
                    if inverse[r, j] != 0
                ]
            )
    return [tuple(float(c) for c in direction) for direction in directions], combinations


def _autograd_into(
    expr: Expression,
    params: Mapping[str, Tensor],
    variables: tuple[str, ...],
    order: int,
    columns: list[Tensor],
    out: Tensor,
) -> None:
    out.copy_(_autograd(expr, params, columns, variables, order))


def _autograd(
    expr: Expression, params: Mapping[str, Tensor], columns: list[Tensor], variables: tuple[str, ...], order: int
) -> Tensor:
    """Every partial derivative by autograd: ∂ᵅf is the derivative of its parent (α less its last variable) in that
    variable, each computed once."""
    inputs = [column.detach().clone().requires_grad_(order > 0) for column in columns]
    n = len(inputs[0])
    rows = torch.empty((len(partial_names(variables, order)), n), dtype=inputs[0].dtype, device=inputs[0].device)
    with torch.enable_grad():
        found = {
            (0,) * len(variables): evaluate(
                expr.tree, {**params, **dict(zip(variables, inputs, strict=True))}, inputs[0]
            ).expand(n)
        }
        at = 0
        for m in range(order + 1):
            for alpha in multi_indices(len(variables), m):
                if m:
                    last = max(i for i, e in enumerate(alpha) if e)
                    parent = found[tuple(e - (i == last) for i, e in enumerate(alpha))]
                    if parent.requires_grad:
                        (found[alpha],) = torch.autograd.grad(  # y.sum(): see engine._derivatives_of_chunk
                            parent.sum(),
                            inputs[last],
                            create_graph=m < order,
                            retain_graph=True,  # a parent has a derivative in each variable
                            allow_unused=True,
                            materialize_grads=True,
                        )
                    else:  # no longer depends on the variables: every later derivative is 0
                        found[alpha] = torch.zeros_like(inputs[0])
                rows[at] = found[alpha].detach()
                at += 1
    rows[1:, torch.isnan(rows[0])] = math.nan
    return rows


def surface_grid(
    x: tuple[float, float, int], y: tuple[float, float, int], *, dtype: torch.dtype | str = torch.float64, device=None
) -> tuple[Tensor, Tensor]:
    """The points of a num_x × num_y grid as two flat tensors, x varying fastest (row j·num_x + i is (x_i, y_j)),
    each range checked as `grid` checks one (a range whose width overflows is refused)."""
    from .table import grid  # here: table imports this module's neighbours, not the other way round

    xs = grid(*x, dtype=dtype, device=device)
    ys = grid(*y, dtype=dtype, device=device)
    return xs.repeat(len(ys)), ys.repeat_interleave(len(xs))


def surface_table(
    expr: Expression | str,
    x: tuple[float, float, int],
    y: tuple[float, float, int],
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float64,
    progress: Progress | None = None,
    method: str = "taylor",
    time_budget: float | None = None,
    fuse: bool = False,
):
    """f(x, y) and its partial derivatives over a grid, one row per point (x varying fastest): columns x, y, f, fx,
    fy, fxx, fxy, fyy for order 2; `derivlib.to_csv` writes it (`fuse`: see `partials`).

    >>> surface_table("x y", (0, 1, 2), (0, 2, 2), order=1)
         x    y    f   fx   fy
    0  0.0  0.0  0.0  0.0  0.0
    1  1.0  0.0  0.0  0.0  1.0
    2  0.0  2.0  0.0  2.0  0.0
    3  1.0  2.0  2.0  2.0  1.0
    """
    import pandas as pd  # on first use: `import derivlib` does not load pandas

    for name, spec in (("x", x), ("y", y)):
        if not (isinstance(spec, tuple | list) and len(spec) == 3):
            raise ValueError(f"{name} must be (start, stop, number of points), not {spec!r}")
    xs, ys = surface_grid(x, y, dtype=resolve_dtype(dtype), device=resolve_device(device))
    values = partials(
        expr,
        {"x": xs, "y": ys},
        order=order,
        params=params,
        device=device,
        dtype=dtype,
        progress=progress,
        method=method,
        time_budget=time_budget,
        fuse=fuse,
    )
    columns = {"x": xs.numpy(force=True), "y": ys.numpy(force=True)}
    return pd.DataFrame(columns | {name: row.numpy(force=True) for name, row in values.items()})
