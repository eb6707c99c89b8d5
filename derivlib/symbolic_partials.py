"""The symbolic cross-check for several variables: sympy's partial derivatives, time-boxed, against derivlib's numbers.

The machinery is symbolic.py's, for one variable: sympy works in a child forked, per request, by a helper process
that imports derivlib once, and the child is killed when the time budget runs out, so no formula can hang the page;
the answers come back pickled and are rebuilt with sympy's evaluation switched off; `symbolic.to_torch` evaluates
them, sharing nothing with derivlib's engine but torch's elementwise functions. Only the work differs: every partial
derivative up to an order, each the derivative of its parent (f_xy is the derivative of f_x in y), then each
simplified while the budget lasts. So this module runs its own helper (a helper_process.Helper), with its own loop,
beside symbolic.py's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import sympy
import torch

from .engine import as_points, check_order, parameter_values, resolve_dtype
from .helper_process import Answer
from .helper_process import serve as serve_with
from .parse import parse
from .partials import multi_indices, partial_name, partials
from .rounding import EPSILON_RATIO, rounding_errors
from .symbolic import (
    Formula,
    answer_in_child,
    badge,
    compare,
    evaluate_formula,
    functions_with_kinks,
    sympy_helper,
)
from .tree import Expression, Node

SIMPLIFY_TIMEOUT = 3.0  # seconds of sympy work (every partial derivative, then simplifying them) before it is killed


def partial_formulas(
    expr: Expression | str,
    variables: tuple[str, ...] = ("x", "y"),
    order: int = 2,
    *,
    timeout: float = SIMPLIFY_TIMEOUT,
) -> dict[str, Formula]:
    """Every partial derivative of `expr` up to `order` as sympy expressions and LaTeX, by name (f, fx, fy, fxx …),
    simplified where sympy manages within `timeout` seconds; a `Formula` per name, whose `order` is the derivative's.

    f itself is shown as derivlib reads it. What sympy has not done in time is shown unsimplified, or, when even the
    differentiation was not reached, comes with `expr` None and a note.

    >>> found = partial_formulas("x^2 y + sin(y)")
    >>> {name: str(formula.expr) for name, formula in found.items()}
    {'f': 'x**2*y + sin(y)', 'fx': '2*x*y', 'fy': 'x**2 + cos(y)', 'fxx': '2*y', 'fxy': '2*x', 'fyy': '-sin(y)'}
    """
    expr = parse(expr, variables=variables) if isinstance(expr, str) else expr
    order = check_order(order)
    if not timeout > 0:
        raise ValueError(f"the time budget must be a positive number of seconds, not {timeout!r}")
    results, why = HELPER.ask((expr.tree, tuple(variables), order, timeout), timeout)
    orders = {partial_name(variables, alpha): m for m in range(order + 1) for alpha in multi_indices(len(variables), m)}
    return {name: Formula.from_worker(results, name, m, why) for name, m in orders.items()}


def _messages(tree: Node, variables: tuple[str, ...], order: int) -> Iterator[tuple[str, str, sympy.Expr | None, str]]:
    """sympy's work, one message (kind, name, expression, LaTeX) at a time: f, each partial derivative, each
    simplified, the first-order ones first."""
    symbols = [sympy.Symbol(name, real=True) for name in variables]  # those Expression.to_sympy uses
    found = {(0,) * len(variables): Expression(tree).to_sympy()}
    yield ("derivative", "f", found[(0,) * len(variables)], sympy.latex(found[(0,) * len(variables)]))
    for m in range(1, order + 1):
        for alpha in multi_indices(len(variables), m):
            last = max(i for i, e in enumerate(alpha) if e)
            parent = tuple(e - (i == last) for i, e in enumerate(alpha))
            found[alpha] = sympy.diff(found[parent], symbols[last])
            yield ("derivative", partial_name(variables, alpha), found[alpha], sympy.latex(found[alpha]))
    for alpha, expression in found.items():
        if sum(alpha) and not expression.is_Atom:
            simplified = sympy.simplify(expression)
            yield ("simplified", partial_name(variables, alpha), simplified, sympy.latex(simplified))
    yield ("done", "", None, "")


def _answer(tree: Node, variables: tuple[str, ...], order: int, timeout: float) -> Answer:
    """In the helper: sympy's partial derivatives of the tree, computed in a forked child within `timeout` seconds."""
    return answer_in_child(_messages(tree, variables, order), timeout)


def serve() -> None:
    """The helper process's program: answer requests (tree, variables, order, timeout) with the partial derivatives."""
    serve_with(_answer)


HELPER = sympy_helper("from derivlib.symbolic_partials import serve; serve()")


# ---------------------------------------------------------------------------------------------------------------------
# The cross-check


def partial_noise_levels(
    expr: Expression | str,
    points: Mapping[str, Sequence[float] | np.ndarray | torch.Tensor],
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    dtype: torch.dtype | str = torch.float64,
) -> dict[str, float]:
    """Per partial derivative, the largest rounding error of a `dtype` computation at the points (an estimate, as
    `rounding.noise_levels` makes it for one variable: float64 against float32, scaled by their epsilons' ratio).

    >>> levels = partial_noise_levels("sin(x) + cos(y)", {"x": [0.3, 1.0], "y": [2.0, -1.0]})
    >>> 0 < levels["fxy"] < 1e-15   # 0 in exact arithmetic, ±1e-16 as computed: the estimate says so
    True
    """
    double = partials(expr, points, order=order, params=params, dtype=torch.float64)
    single = partials(expr, points, order=order, params=params, dtype=torch.float32)
    float32 = resolve_dtype(dtype) == torch.float32
    levels = {}
    for name in double:
        errors = rounding_errors(double[name].numpy(), single[name].numpy())
        if float32:  # float32's own error is the difference itself
            errors = errors / EPSILON_RATIO
        levels[name] = float(errors.max(initial=0.0))
    return levels


def cross_check_partials(
    expr: Expression | str,
    points: Mapping[str, Sequence[float] | np.ndarray | torch.Tensor],
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    formulas: Mapping[str, Formula] | None = None,
    timeout: float = SIMPLIFY_TIMEOUT,
    method: str = "taylor",
) -> pd.DataFrame:
    """Per partial derivative, how far derivlib's numbers (`partials`, by `method`) are from sympy's formula
    evaluated on the same points, in float64.

    Columns: `name` (f, fx …), `order`, `max_abs`, `max_rel` (relative to the largest magnitude of the formula's
    values), `worst_<variable>` for each variable (where the largest difference is), `compared` and `skipped`,
    `noise` (the estimated rounding error: a difference within it is rounding), `note` and `badge` (as
    `symbolic.badge` words it, the place given in every variable). Pass `formulas` from `partial_formulas` to reuse
    them. Points where either side is NaN or infinite are not compared; kinks and removable singularities may
    legitimately differ, as `symbolic.cross_check` explains.

    >>> cross_check_partials("x^2 y + sin(y)", {"x": [1.0, 2.0], "y": [0.5, -1.0]})[["name", "badge"]]
      name           badge
    0    f  agrees exactly
    1   fx  agrees exactly
    2   fy  agrees exactly
    3  fxx  agrees exactly
    4  fxy  agrees exactly
    5  fyy  agrees exactly
    """
    if not isinstance(points, Mapping) or not points:
        raise ValueError("points must map each variable's name to its values, as {'x': [...], 'y': [...]}")
    variables = tuple(points)
    expr = parse(expr, variables=variables) if isinstance(expr, str) else expr
    columns = {name: as_points(values, torch.float64, torch.device("cpu")) for name, values in points.items()}
    numbers = partials(expr, columns, order=order, params=params, method=method)
    formulas = formulas if formulas is not None else partial_formulas(expr, variables, order, timeout=timeout)
    like = next(iter(columns.values()))
    values = {**parameter_values(expr, params, like), **columns}
    noise = partial_noise_levels(expr, columns, order=order, params=params)
    index = torch.arange(len(like), dtype=torch.float64)  # compare() says where, as an index into the points
    kinks = functions_with_kinks(expr)
    rows = []
    for name, computed in numbers.items():
        formula = formulas.get(name)
        note = formula.note if formula is not None else "no formula"
        try:
            symbolic = evaluate_formula(formula, values, like) if formula is not None else like * math.nan
        except ValueError as error:
            symbolic = torch.full_like(like, math.nan)
            note = "; ".join(filter(None, [note, str(error)]))
        found = compare(computed, symbolic, index)
        worst = found.pop("worst_x")
        where = {f"worst_{v}": float(columns[v][int(worst)]) if math.isfinite(worst) else math.nan for v in variables}
        row = {"name": name, "order": formula.order if formula else 0, **found, **where, "noise": noise[name]}
        row["note"] = note
        rows.append(row | {"badge": _badge(row, variables, kinks)})
    return pd.DataFrame(rows)


def _badge(row: Mapping, variables: tuple[str, ...], kinks: Sequence[str]) -> str:
    """symbolic.badge's words, with the place of a difference given in every variable.

    >>> _badge({"compared": 9, "max_rel": 0.5, "max_abs": 1.0, "worst_x": 0.0, "worst_y": 2.0}, ("x", "y"), ())
    'differs by 1e+00 at x = 0, y = 2'
    """
    text = badge({**row, "worst_x": row.get(f"worst_{variables[0]}", math.nan)}, kinks=kinks)
    if not text.startswith("differs"):
        return text
    where = ", ".join(f"{name} = {row[f'worst_{name}']:g}" for name in variables)
    hint = f" (near a kink of {' or '.join(kinks)}?)" if kinks else ""
    return f"differs by {row['max_abs']:.0e} at {where}{hint}"
