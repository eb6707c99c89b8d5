"""Why a formula is undefined where it is: which function's domain is broken, and over which stretches of x.

NaN and ±inf are data, not errors (see engine.py), so a chart simply has gaps. This module explains them: it walks
the formula's tree, evaluates the arguments of every function, division and power at the points where f is not a
finite number, and checks them against the function's domain (its record's rules, functions.py). A cause is
reported at the innermost node that breaks a rule, since an argument that is already NaN breaks nothing new. Within
a piecewise definition, each branch is checked only where it applies, and where none applies, that is the cause.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import torch

from .engine import parameter_values
from .functions import FUNCTIONS
from .rounding import simplest_between
from .tree import (
    Binary,
    Call,
    Expression,
    Node,
    Piecewise,
    children,
    choose,
    condition_masks,
    evaluate,
    odd_root_exponent,
)

MAX_STRETCHES = 3  # stretches of x named per cause; the rest are counted
NO_BRANCH = "no branch of the piecewise definition applies"


@dataclass(frozen=True)
class Cause:
    """One reason why f is undefined, at how many points and where: str() reads 'log of zero at x = 0'."""

    reason: str  # what breaks, e.g. "log of a negative number"
    count: int  # points where it leaves f undefined
    where: str  # e.g. "for x < 0", "at x = 0", "for x < -1 and x > 1"

    def __str__(self) -> str:
        return f"{self.reason} {self.where}"


def causes(
    expr: Expression,
    x: np.ndarray | torch.Tensor,
    f: np.ndarray | torch.Tensor,
    params: Mapping[str, float] | None = None,
) -> list[Cause]:
    """Why f (the formula's values at the points x) is NaN or ±inf where it is, most frequent cause first.

    f's precision (float32 or float64) is the one the reasons are checked in, so they are what the computation saw.

    >>> import derivlib
    >>> x = np.linspace(-2, 2, 5)
    >>> [str(cause) for cause in causes(derivlib.parse("log(x)"), x, derivlib.derivatives("log(x)", x, order=0)[0])]
    ['log of a negative number for x < 0', 'log of zero at x = 0']
    """
    x, f = _numpy(x), _numpy(f)
    order = np.argsort(x, kind="stable")  # stretches are runs of neighbouring x
    x, f = x[order], f[order]
    bad = np.flatnonzero(~np.isfinite(f))
    if len(bad) == 0:
        return []
    dtype = torch.float32 if f.dtype == np.float32 else torch.float64
    at = torch.as_tensor(x[bad], dtype=dtype)
    values = parameter_values(expr, params, at) | {name: at for name in expr.variables}
    found: dict[str, np.ndarray] = {}  # reason -> which of the bad points it explains
    with torch.no_grad():
        for node, active in _walk_where_evaluated(expr.tree, values, at):
            for broken, reason in _broken_rules(node, values, at):
                mask = (broken & active).expand_as(at).numpy(force=True)
                if mask.any():
                    found[reason] = found.get(reason, False) | mask
    unexplained = ~np.logical_or.reduce([*found.values(), np.zeros(len(bad), dtype=bool)])
    if (overflow := unexplained & np.isinf(f[bad])).any():
        found[f"a result too large for {str(dtype).removeprefix('torch.')}"] = overflow
    if (rest := unexplained & np.isnan(f[bad])).any():
        found["an undefined intermediate result (such as ∞ − ∞ or 0 × ∞)"] = rest
    found_causes = [Cause(reason, int(mask.sum()), _where(x, bad[mask])) for reason, mask in found.items()]
    return sorted(found_causes, key=lambda cause: -cause.count)


def note(
    expr: Expression,
    x: np.ndarray | torch.Tensor,
    f: np.ndarray | torch.Tensor,
    params: Mapping[str, float] | None = None,
) -> str:
    """One sentence on the points where f is undefined and why; '' where f is finite everywhere.

    >>> import derivlib
    >>> x = np.linspace(-1, 1, 201)
    >>> note(derivlib.parse("sqrt(x)"), x, derivlib.derivatives("sqrt(x)", x, order=0)[0])
    '100 of 201 points are undefined: square root of a negative number for x < 0.'
    """
    found = causes(expr, x, f, params)
    if not found:
        return ""
    undefined = int((~np.isfinite(_numpy(f))).sum())
    counted = len(found) > 1  # with several causes, say how many points each explains
    reasons = "; ".join(f"{cause} ({_points(cause.count)})" if counted else str(cause) for cause in found)
    return f"{undefined:,} of {_points(len(_numpy(f)))} {'is' if undefined == 1 else 'are'} undefined: {reasons}."


def _points(count: int) -> str:
    return f"{count:,} point{'s' if count != 1 else ''}"


def _numpy(values: np.ndarray | torch.Tensor) -> np.ndarray:
    return values.numpy(force=True) if isinstance(values, torch.Tensor) else np.asarray(values)


def _walk_where_evaluated(
    tree: Node, values: Mapping[str, torch.Tensor], at: torch.Tensor
) -> Iterator[tuple[Node, torch.Tensor]]:
    """Every node of the tree, parents first, with the points where its value counts: all of them, but for the
    branches of a piecewise definition (where each applies) and its conditions (where they are reached)."""
    stack = [(tree, torch.ones_like(at, dtype=torch.bool))]
    while stack:
        node, active = stack.pop()
        yield node, active
        if not isinstance(node, Piecewise):
            stack.extend((child, active) for child in reversed(children(node)))
            continue
        conditions = [condition_masks(condition, values, at, None) for condition, _ in node.branches]
        takes, rest, _ = choose(conditions)
        reached = active
        for (condition, value), take, (_, fails) in zip(node.branches, takes, conditions, strict=True):
            stack.append((condition, reached))
            stack.append((value, active & take))
            reached = reached & fails
        if node.otherwise is not None:
            stack.append((node.otherwise, active & rest))


def _broken_rules(
    node: Node, values: Mapping[str, torch.Tensor], at: torch.Tensor
) -> Iterator[tuple[torch.Tensor, str]]:
    """(where the node's operands are outside its domain, why) for each domain rule of this node.

    Only finite operands break a rule: one that is already NaN or ±inf was made so further in, where the cause is.
    """
    match node:
        case Call(function, arguments) if FUNCTIONS[function].domain:
            operands = [evaluate(argument, values, at) for argument in arguments]
            finite = functools.reduce(torch.logical_and, (torch.isfinite(a) for a in operands))
            for test, reason in FUNCTIONS[function].domain:  # the rules of the function's record (functions.py)
                yield finite & test(*operands), reason
        case Piecewise(branches, None):
            _, rest, _ = choose([condition_masks(condition, values, at, None) for condition, _ in branches])
            assert isinstance(rest, torch.Tensor)  # a piecewise definition has a branch at least: a mask, not True
            yield rest, NO_BRANCH  # every condition fails (one that is undefined is its operands' cause)
        case Binary("/", _, denominator):
            yield evaluate(denominator, values, at) == 0, "division by zero"
        case Binary("^", base, exponent):
            b, e = evaluate(base, values, at), evaluate(exponent, values, at)
            finite = torch.isfinite(b) & torch.isfinite(e)
            if odd_root_exponent(exponent) is None:  # a real root (a typed p/q, q odd) takes a negative base
                yield finite & (b < 0) & (e != torch.round(e)), "a negative number to a non-integer power"
            yield finite & (b == 0) & (e < 0), "zero to a negative power"


def _where(x: np.ndarray, indices: np.ndarray) -> str:
    """The stretches of the sorted grid x that the given (sorted) indices cover, in words: 'for x < 0'."""
    breaks = np.flatnonzero(np.diff(indices) != 1)
    firsts = indices[np.r_[0, breaks + 1]]
    lasts = indices[np.r_[breaks, len(indices) - 1]]
    stretches, points = [], []
    for first, last in zip(firsts[:MAX_STRETCHES], lasts[:MAX_STRETCHES], strict=True):
        if first == last:
            points.append(f"x = {_number(x[first])}")
            continue
        # Each boundary lies between the last point inside and the first outside: name the simplest number there.
        low = None if first == 0 else _number(simplest_between(x[first - 1], x[first]))
        high = None if last == len(x) - 1 else _number(simplest_between(x[last], x[last + 1]))
        if low is None and high is None:
            stretches.append("every x in the range")
        elif low is None:
            stretches.append(f"x < {high}")
        elif high is None:
            stretches.append(f"x > {low}")
        else:
            stretches.append(f"{low} < x < {high}")
    phrases = [f"for {_and(stretches)}"] if stretches else []
    phrases += [f"at {_and(points)}"] if points else []
    more = len(firsts) - MAX_STRETCHES
    if more > 0:
        phrases.append(f"and {more:,} more stretch{'es' if more > 1 else ''}")
    return ", ".join(phrases)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _number(value: float) -> str:
    return f"{float(value) + 0.0:.6g}"  # + 0.0 turns -0.0 into 0.0
