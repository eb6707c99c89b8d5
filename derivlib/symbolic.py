"""The symbolic cross-check: f′, f″ … as formulas from sympy, and how closely they agree with autograd on a grid.

derivlib builds the sympy expression from its own tree (`Expression.to_sympy`), never from text. sympy can still
take forever on it, in building it, in `diff` and in `simplify` (a literal like 9^9^9^9 stays an unevaluated power
until sympy decides to compute it), so all sympy work happens in a worker process that is killed when the time
budget runs out: a child forked, for each request, by a helper process that imports derivlib once. The tree goes
there pickled; the derivatives come back pickled, and are unpickled with sympy's automatic evaluation switched off,
so that rebuilding them cannot set off that computation in this process either. The helper process itself, started
once and restarted when it dies or hangs, is helper_process.py's `Helper`.

Evaluating a sympy expression on the grid is done by `to_torch`, an allow-listed walker from sympy nodes to torch
operations: an evaluation path that shares nothing with autograd but torch's elementwise functions.
"""

from __future__ import annotations

import contextlib
import functools
import math
import multiprocessing
import os
import pickle
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import pandas as pd
import sympy
import torch

from .engine import as_points, check_order, derivatives, parameter_values
from .functions import FUNCTIONS, RECORDS, polygamma
from .helper_process import Answer, Helper
from .helper_process import serve as serve_with
from .parse import parse
from .rounding import SAFETY, noise_levels
from .tree import Call, Expression, Node, walk

Tensor = torch.Tensor

SIMPLIFY_TIMEOUT = 2.0  # seconds of sympy work (differentiating and simplifying) before the worker is killed
AGREEMENT = 1e-9  # largest relative difference that the badge still calls agreement
MAX_LATEX = 20_000  # characters of LaTeX worth sending to a page; a longer formula is not shown, only noted


# ---------------------------------------------------------------------------------------------------------------------
# Sympy -> torch, allow-listed


def _heaviside(t: Tensor, at_zero: Tensor | float = 0.5) -> Tensor:
    return torch.heaviside(t, torch.as_tensor(at_zero, dtype=t.dtype, device=t.device))


def _walker() -> dict[type, Callable[..., Tensor]]:
    """Every sympy node type that `to_torch` evaluates, and how: derivlib's functions from their records (the sympy
    function each builds, and those it also evaluates), then what sympy's derivatives bring in besides. Numbers,
    constants and symbols are handled on their own."""
    table: dict[type, Callable[..., Tensor]] = {}
    for record in RECORDS:
        built = record.sympy(sympy, *[sympy.Symbol(name, real=True) for name in "xy"[: record.arity]])
        if isinstance(built, sympy.Function) and all(isinstance(a, sympy.Symbol) for a in built.args):
            table[type(built)] = record.torch
        for name in record.sympy_also:
            table[getattr(sympy, name)] = record.torch
    besides: dict[type, Callable[..., Tensor]] = {
        sympy.Add: lambda *terms: functools.reduce(torch.add, terms),
        sympy.Mul: lambda *factors: functools.reduce(torch.mul, factors),
        sympy.Pow: torch.pow,
        # Not sympy Functions, so not found from min's and max's records; they may hold more than two arguments.
        sympy.Min: lambda *arguments: functools.reduce(torch.minimum, arguments),
        sympy.Max: lambda *arguments: functools.reduce(torch.maximum, arguments),
        # The derivatives of gamma, lgamma, digamma and factorial: polygamma(n, x), n a whole number.
        sympy.polygamma: lambda n, t: polygamma(int(n), t),
        # The derivative of a kink or a step: zero everywhere but at one point, where a grid cannot see it.
        sympy.DiracDelta: lambda t, *derivative_order: torch.zeros_like(t),
        sympy.Heaviside: _heaviside,
    }
    return besides | table


SYMPY_FUNCTIONS: dict[type, Callable[..., Tensor]] = _walker()


def to_torch(expr: sympy.Expr, values: Mapping[str, Tensor], like: Tensor) -> Tensor:
    """A sympy expression's value, elementwise over the tensors in `values` (one per symbol name).

    Only the node types in SYMPY_FUNCTIONS, numbers, constants such as pi, and symbols are evaluated; anything else
    raises ValueError. `like` gives the dtype and device of numbers. Shared subexpressions are evaluated once.

    >>> x = sympy.Symbol("x", real=True)
    >>> to_torch(x**2 * sympy.sin(x) + sympy.pi, {"x": torch.tensor([0.0, 1.0])}, like=torch.tensor(0.0))
    tensor([3.1416, 3.9831])
    """
    done: dict[sympy.Basic, Tensor] = {}

    def value(node: sympy.Basic) -> Tensor:
        if node not in done:
            done[node] = _evaluate_node(node, value, values, like)
        return done[node]

    return value(expr)


def _evaluate_node(
    node: sympy.Basic, value: Callable[[sympy.Basic], Tensor], values: Mapping[str, Tensor], like: Tensor
) -> Tensor:
    if isinstance(node, sympy.Symbol):
        if node.name not in values:
            raise ValueError(f"no value for the symbol {node.name!r}")
        return values[node.name]
    if isinstance(node, sympy.Number | sympy.NumberSymbol) or node is sympy.zoo:
        number = math.nan if node is sympy.zoo else float(node)  # zoo is sympy's 1/0, infinite in no direction
        return torch.tensor(number, dtype=like.dtype, device=like.device)
    if isinstance(node, sympy.Pow) and node.exp.is_Number:
        # A plain-number exponent as a Python float, as derivlib itself writes powers.
        return torch.pow(value(node.base), float(node.exp))
    if isinstance(node, sympy.Piecewise):
        return _evaluate_piecewise(node, value, like)
    if (logic := _LOGIC.get(type(node))) is not None:
        return logic(*(value(argument) for argument in node.args))
    if isinstance(node, sympy.logic.boolalg.BooleanAtom):
        return torch.tensor(bool(node), device=like.device)
    function = SYMPY_FUNCTIONS.get(type(node))
    if function is None:
        raise ValueError(f"derivlib cannot evaluate sympy's {type(node).__name__} numerically")
    return function(*(value(argument) for argument in node.args))


# Piecewise definitions and their conditions, as sympy writes them (simplify may bring in = and ≠, and, or, not).
_LOGIC: dict[type, Callable[..., Tensor]] = {
    sympy.StrictLessThan: torch.lt,
    sympy.LessThan: torch.le,
    sympy.StrictGreaterThan: torch.gt,
    sympy.GreaterThan: torch.ge,
    sympy.Equality: torch.eq,
    sympy.Unequality: torch.ne,
    sympy.And: lambda *terms: functools.reduce(torch.logical_and, terms),
    sympy.Or: lambda *terms: functools.reduce(torch.logical_or, terms),
    sympy.Not: torch.logical_not,
}


def _evaluate_piecewise(node: sympy.Piecewise, value: Callable[[sympy.Basic], Tensor], like: Tensor) -> Tensor:
    """The first branch whose condition holds, else NaN (as derivlib reads a piecewise definition)."""
    result = torch.tensor(math.nan, dtype=like.dtype, device=like.device)
    for expression, condition in reversed(node.args):
        result = torch.where(value(condition), value(expression), result)
    return result


# ---------------------------------------------------------------------------------------------------------------------
# Formulas, from a worker process that can be killed


def unevaluated() -> contextlib.AbstractContextManager:
    """sympy with its automatic evaluation switched off, for rebuilding what the worker sent: 9^9^9^9 stays a power,
    which sympy would otherwise compute, in this process, for ever."""
    return sympy.evaluate(False)


@dataclass(frozen=True)
class Formula:
    """The k-th derivative as a formula.

    `expr` is what to show: simplified when sympy managed within the budget, else `unsimplified`, the derivative as
    `sympy.diff` gave it. Both are None when even differentiating took too long; `note` then says so, as it says
    when simplification was skipped or the LaTeX is too long to show (`latex` is then "").
    """

    order: int
    expr: sympy.Expr | None
    latex: str
    unsimplified: sympy.Expr | None
    note: str = ""

    def __reduce__(self):
        # Pickled (by a cache, say) and rebuilt without evaluation, like everything the worker sends.
        fields = (self.order, self.expr, self.latex, self.unsimplified, self.note)
        return (_unpickle_formula, (pickle.dumps(fields),))

    @classmethod
    def from_worker(cls, results: Mapping[tuple[str, Any], tuple], key: Any, order: int, why: str) -> Formula:
        """The derivative that sympy's worker sent under `key` (its order, or its name such as "fxy") as a Formula:
        simplified where that arrived (f itself as derivlib reads it), else with a note saying what is missing and
        `why`, as it says when the LaTeX is too long to show.

        >>> x = sympy.Symbol("x", real=True)
        >>> Formula.from_worker({("derivative", 1): (2 * x, "2 x")}, 1, 1, "took longer than 2 s").note
        'simplification skipped: took longer than 2 s'
        """
        if ("derivative", key) not in results:
            return cls(order, None, "", None, f"differentiation skipped: {why}")
        unsimplified, latex = results["derivative", key]
        note = ""
        if order == 0 or unsimplified.is_Atom:  # f is shown as typed; a number or a symbol is as simple as it gets
            shown = unsimplified
        elif ("simplified", key) in results:
            shown, latex = results["simplified", key]
        else:
            shown, note = unsimplified, f"simplification skipped: {why}"
        if len(latex) > MAX_LATEX:
            note = "; ".join(filter(None, [note, f"too long to show: {len(latex):,} characters of LaTeX"]))
            latex = ""
        return cls(order, shown, latex, unsimplified, note)


def _unpickle_formula(data: bytes) -> Formula:
    with unevaluated():
        return Formula(*pickle.loads(data))


def derivative_formulas(expr: Expression | str, order: int = 2, *, timeout: float = SIMPLIFY_TIMEOUT) -> list[Formula]:
    """f, f′, … up to `order` as sympy expressions and LaTeX, simplified if sympy manages within `timeout` seconds.

    f itself is shown as derivlib reads it, unsimplified. The budget covers all of sympy's work for the call; it
    runs in a child of the helper process, which the first call starts (that takes seconds: it imports derivlib)
    and later calls reuse, one call at a time.

    >>> [str(formula.expr) for formula in derivative_formulas("x^3 + sin(x)")]
    ['x**3 + sin(x)', '3*x**2 + cos(x)', '6*x - sin(x)']
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    order = check_order(order)
    if not timeout > 0:
        raise ValueError(f"the time budget must be a positive number of seconds, not {timeout!r}")
    (variable,) = expr.variables or ("x",)
    results, why = HELPER.ask((expr.tree, variable, order, timeout), timeout)
    return [Formula.from_worker(results, k, k, why) for k in range(order + 1)]


def _messages(tree: Node, variable: str, order: int) -> Iterator[tuple[str, int, sympy.Expr | None, str]]:
    """sympy's work, one message (kind, order, expression, LaTeX) at a time: f, each derivative, each simplified."""
    symbol = sympy.Symbol(variable, real=True)  # the symbol that Expression.to_sympy uses
    expressions = [Expression(tree).to_sympy()]
    yield ("derivative", 0, expressions[0], sympy.latex(expressions[0]))
    for k in range(1, order + 1):
        expressions.append(sympy.diff(expressions[-1], symbol))
        shown = off_the_kinks(expressions[k])
        yield ("derivative", k, shown, sympy.latex(shown))
    for k in range(1, order + 1):
        if not expressions[k].is_Atom:
            simplified = off_the_kinks(sympy.simplify(expressions[k]))
            yield ("simplified", k, simplified, sympy.latex(simplified))
    yield ("done", 0, None, "")


def off_the_kinks(expr: sympy.Expr) -> sympy.Expr:
    """sympy's derivative as it holds where it is one: without DiracDelta terms (0 off a kink, and at one no
    derivative), and without the piecewise branches that give a value at a single point (`Eq(x, 0)`: sympy's 0 for
    the slope of x^(2/3) at its cusp, which has none). derivlib says "undefined" there; the formula says nothing.

    >>> x = sympy.Symbol("x", real=True)
    >>> off_the_kinks(sympy.Piecewise((0, sympy.Eq(x, 0)), (2 * x * (1 + sympy.DiracDelta(x)), True)))
    2*x
    """
    without = expr.replace(sympy.DiracDelta, lambda *arguments: sympy.Integer(0))

    def general(piecewise: sympy.Piecewise) -> sympy.Expr:
        kept = [(value, condition) for value, condition in piecewise.args if not isinstance(condition, sympy.Eq)]
        if len(kept) == 1 and kept[0][1] == sympy.true:
            return kept[0][0]
        return sympy.Piecewise(*kept) if kept else piecewise

    def at_a_point(node: sympy.Basic) -> bool:
        return isinstance(node, sympy.Piecewise) and any(isinstance(c, sympy.Eq) for _, c in node.args)

    return without.replace(at_a_point, general)


def _receive(receiver: Connection, timeout: float) -> tuple[dict[tuple[str, int], tuple], str]:
    """The messages that arrive within `timeout` seconds, keyed by (kind, order), and why the rest is missing."""
    results: dict[tuple[str, int], tuple] = {}
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0 and receiver.poll(remaining):
        try:
            with unevaluated():
                kind, k, expression, latex = receiver.recv()
        except EOFError:
            return results, "sympy's worker process stopped unexpectedly"
        if kind == "done":
            return results, ""
        results[kind, k] = (expression, latex)
    return results, f"took longer than {timeout:g} s"


def answer_in_child(messages: Iterator[tuple], timeout: float) -> Answer:
    """In a helper: sympy's work (the generator `messages`, ending with a "done" message) run in a forked child,
    killed when `timeout` seconds have passed; what it sent by then, keyed by (kind, order or name), and why the rest
    is missing ("" when nothing is)."""
    if not hasattr(os, "fork"):  # Windows: the work runs here, and the page's process ends this helper if it is late
        return {(kind, k): (e, latex) for kind, k, e, latex in messages if kind != "done"}, ""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    pid = os.fork()  # the helper has one thread, and the child touches neither torch nor the helper's pipes
    if pid == 0:
        receiver.close()
        try:
            for message in messages:
                sender.send(message)
        finally:
            os._exit(0)  # never return into the helper's loop
    sender.close()
    try:
        return _receive(receiver, timeout)
    finally:
        os.kill(pid, signal.SIGKILL)  # done or not: a finished child is a zombie, and can still be signalled
        os.waitpid(pid, 0)
        receiver.close()


def _answer(tree: Node, variable: str, order: int, timeout: float) -> Answer:
    """In the helper: sympy's derivatives of the tree, computed in a forked child within `timeout` seconds."""
    return answer_in_child(_messages(tree, variable, order), timeout)


def serve() -> None:
    """The helper process's program: answer requests (tree, variable, order, timeout) with sympy's derivatives."""
    serve_with(_answer)


def sympy_helper(command: str) -> Helper:
    """A helper process for sympy's work, running `command`: its answers are rebuilt unevaluated."""
    return Helper(command, name="sympy's helper process", receiving=unevaluated)


HELPER = sympy_helper("from derivlib.symbolic import serve; serve()")


# ---------------------------------------------------------------------------------------------------------------------
# The cross-check


def cross_check(
    expr: Expression | str,
    x: Tensor | np.ndarray | Sequence[float],
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    timeout: float = SIMPLIFY_TIMEOUT,
    formulas: Sequence[Formula] | None = None,
    method: str = "autograd",
) -> pd.DataFrame:
    """Per order, how far autograd's derivative is from sympy's formula evaluated on the same points, in float64.

    `method="taylor"` checks Taylor mode's numbers instead (see `derivatives`).

    Columns: `order`, `max_abs` (the largest absolute difference), `max_rel` (that, relative to the largest
    magnitude of the symbolic derivative on the grid, so that a zero crossing does not turn a rounding difference
    into a huge ratio), `worst_x` (where the largest difference is), `compared` and `skipped` (points where both
    values are finite, and the others), `noise` (derivlib's estimated rounding error, `rounding.noise_levels`: a
    difference within it is rounding, as where the derivative is 0 and derivlib's is ±2e-16), `note` (why a formula
    is unsimplified or missing) and `badge` (see `badge`).
    Pass `formulas` from `derivative_formulas` to reuse them; otherwise they are computed within `timeout`.

    The two may legitimately differ, or one side may be missing, where the formula is not smooth:

    - kinks: autograd's derivative of abs at 0 is sign(0) = 0, and sympy's is sign(x) and then DiracDelta(x),
      which the grid evaluates as 0 (the same numbers); at the kink of cbrt, or of abs(x)^p, one side may be
      finite where the other is inf or NaN;
    - removable singularities: sin(x)/x is NaN at 0 for autograd (0/0), and so are its derivatives, while a
      simplified formula may have cancelled the singularity; near such a point, the original formula loses digits
      to cancellation, more with each order, and the simplified one does not: (x^2 - 1)/(x - 1) near 1, whose
      second derivative autograd gives to about 1e-10 instead of 0;
    - wherever sympy's simplified form is defined and the original is not, such as (x^2 - 1)/(x - 1) at 1.

    Points where either value is NaN or infinite are not compared, only counted in `skipped`.

    >>> cross_check("x^3 + sin(x)", [1.0, 3.141592653589793, 5.0])[["order", "compared", "badge"]]
       order  compared           badge
    0      0         3  agrees exactly
    1      1         3  agrees exactly
    2      2         3  agrees exactly
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    order = check_order(order)
    points = as_points(x, torch.float64, torch.device("cpu"))
    autograd = derivatives(expr, points, order=order, params=params, method=method)
    formulas = formulas if formulas is not None else derivative_formulas(expr, order, timeout=timeout)
    if len(formulas) <= order:
        raise ValueError(f"formulas up to order {order} are needed, not only up to {len(formulas) - 1}")
    (variable,) = expr.variables or ("x",)
    values = {**parameter_values(expr, params, points), variable: points}
    noise = noise_levels(expr, points, order=order, params=params)  # a difference within it is rounding
    rows = []
    for k in range(order + 1):
        note = formulas[k].note
        try:
            symbolic = evaluate_formula(formulas[k], values, points)
        except ValueError as error:
            symbolic = torch.full_like(points, math.nan)
            note = "; ".join(filter(None, [note, str(error)]))
        row = {"order": k, **compare(autograd[k], symbolic, points), "noise": float(noise[k]), "note": note}
        rows.append(row | {"badge": badge(row, kinks=functions_with_kinks(expr))})
    return pd.DataFrame(rows)


def evaluate_formula(formula: Formula, values: Mapping[str, Tensor], points: Tensor) -> Tensor:
    """The formula on the grid; the unsimplified derivative where simplify wrote something the walker lacks."""
    if formula.expr is None:
        return torch.full_like(points, math.nan)  # sympy ran out of time; the note says so
    with torch.no_grad():
        try:
            return to_torch(formula.expr, values, like=points).expand_as(points)
        except ValueError:
            if formula.unsimplified is formula.expr:
                raise
            return to_torch(formula.unsimplified, values, like=points).expand_as(points)


def compare(values: Tensor, reference: Tensor, points: Tensor) -> dict[str, Any]:
    """The largest difference between two evaluations on the same points, where both are finite.

    `max_rel` is `max_abs` relative to the largest magnitude of `reference` on those points (not point by point, so
    that near a zero of the function a rounding difference does not become a huge ratio). `worst_x` is where
    `max_abs` is; `compared` and `skipped` count the points where both are finite, and the others.

    >>> compare(torch.tensor([1.0, 2.0, math.nan]), torch.tensor([1.0, 2.5, 3.0]), torch.tensor([0.0, 1.0, 2.0]))
    {'max_abs': 0.5, 'max_rel': 0.2, 'worst_x': 1.0, 'compared': 2, 'skipped': 1}
    """
    values, reference = values.to(torch.float64), reference.to(torch.float64)
    both = torch.isfinite(values) & torch.isfinite(reference)
    compared = int(both.sum())
    if compared == 0:
        return {"max_abs": math.nan, "max_rel": math.nan, "worst_x": math.nan, "compared": 0, "skipped": len(points)}
    difference = (values - reference).abs().where(both, 0.0)
    worst = int(difference.argmax())
    max_abs = float(difference[worst])
    scale = float(reference.abs().where(both, 0.0).max())
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else math.inf)
    return {
        "max_abs": max_abs,
        "max_rel": max_rel,
        "worst_x": float(points[worst]),
        "compared": compared,
        "skipped": len(points) - compared,
    }


def functions_with_kinks(expr: Expression) -> list[str]:
    """The functions in the formula that have a kink (where autograd and sympy may choose different values)."""
    calls = {node.function for node in walk(expr.tree) if isinstance(node, Call)}
    return sorted(name for name in calls if FUNCTIONS[name].kink)


def badge(row: Mapping[str, Any], *, kinks: Sequence[str] = ()) -> str:
    """One line for a row of `cross_check`: "agrees to 3e-16", "differs by 1e-03 at x = 0", or why not checked.

    `kinks` names functions with a kink in the formula, mentioned as a likely reason when the two differ.

    >>> badge({"compared": 200, "max_rel": 3.1e-16, "max_abs": 4e-15, "worst_x": 2.0})
    'agrees to 3e-16'
    >>> badge({"compared": 200, "max_rel": 0.5, "max_abs": 1.0, "worst_x": 0.0}, kinks=["abs"])
    'differs by 1e+00 at x = 0 (near a kink of abs?)'
    >>> badge({"compared": 200, "max_rel": math.inf, "max_abs": 2e-16, "worst_x": 1.0, "noise": 2e-16})
    'agrees up to rounding (2e-16)'
    """
    if row["compared"] == 0:
        reason = row.get("note") or "neither side is finite at any point"
        return f"not checked: {reason}"
    if row["max_rel"] == 0:
        return "agrees exactly"
    if row["max_rel"] <= AGREEMENT:
        return f"agrees to {row['max_rel']:.0e}"
    if row["max_abs"] <= SAFETY * row.get("noise", 0.0):  # f″ of sin²x + cos²x: 2e-16 against sympy's 0
        return f"agrees up to rounding ({row['max_abs']:.0e})"
    where = f" (near a kink of {' or '.join(kinks)}?)" if kinks else ""
    return f"differs by {row['max_abs']:.0e} at x = {row['worst_x']:g}{where}"
