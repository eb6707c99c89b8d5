"""Taylor mode: the truncated Taylor series of every node of the tree, every derivative order in one forward pass.

At each point x the formula is expanded as f(x + t) = c₀ + c₁t + … + c_K t^K, so c_k = f⁽ᵏ⁾(x)/k!. Each node turns
the series of its arguments into its own by a rule of a few lines: sums add rows, products convolve them (the
Cauchy product), quotients solve d·c = a for c, and every function solves its derivative's equation y′ = h(u)·u′
one coefficient at a time:

    k·y_k = Σ_{j=1..k} j·u_j·h_{k−j}        (h = y for exp, h = cos u for sin, h = 1 + y² for tan, …)

So order K costs O(K²) row operations per node, where autograd applied to its own result K times builds a graph
about three times larger per order.

A series is a list of rows, row k holding c_k at every point: a tensor of shape (n,), or a 0-d tensor where c_k is
the same at every point (the slope of x, a constant). A series shorter than K + 1 rows is a polynomial in t whose
missing rows are exact zeros, so constant and linear formulas get exact zeros and no work is spent on them.

A piecewise definition picks, at each point, the series of the branch that applies there. Its derivatives need
more: at a boundary between branches, the k-th derivative is defined where the branches that apply just left and
just right of the point agree with each other to order k (and with f itself). So a formula with a piecewise
definition whose conditions depend on x is computed three times: as it is at each point (row 0 alone), with every
piecewise definition taking the branch of the left side, and of the right side (`seam_rows` combines them). A side
is decided exactly, from the series of each comparison: the sign of the first non-zero coefficient of
(greater side − smaller side), negated for odd k on the left. Away from boundaries the three passes pick the same
branches, and the right side's rows are the answer.

Row 0 of every node is computed by the same torch function, on the same values, as `tree.evaluate`, so f is exactly
what autograd sees. Where a rule divides by zero (log or a power at 0, a pole, an edge of asin's domain) the
coefficients come out NaN or ±inf; `engine.derivatives` recomputes those points by autograd, whose conventions
(0^x, d|x|/dx = 0 at 0, …) stay the library's.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import torch

from . import series as s
from .functions import FUNCTIONS
from .series import Series
from .tree import (
    SIDE_ORDER,
    Binary,
    Call,
    Comparison,
    Expression,
    Node,
    Piecewise,
    Unary,
    Variable,
    children,
    choose,
    compare,
    compare_sign,
    constant_exponent,
    evaluate,
    has_seams,
    kinks_as_branches,
    odd_root_exponent,
    on_a_seam,
    seam_rows,
    select,
    side_sign,
)

Tensor = torch.Tensor

MAX_MULTIPLIED_POWER = 4  # u^p for p = 0 … 4 by repeated products: exact at u = 0, where p·u^(p−1)·… divides by u


# ---------------------------------------------------------------------------------------------------------------------
# Rules for the operators (the functions' rules are in their records, functions.py)


def _negative(order: int, a: Series) -> Series:
    return [torch.neg(row) for row in a]


def _sum(order: int, a: Series, b: Series, sign: float = 1.0) -> Series:
    rows = [torch.add(a[0], b[0]) if sign > 0 else torch.sub(a[0], b[0])]
    for k in range(1, max(len(a), len(b))):
        if k < len(a) and k < len(b):
            rows.append(torch.add(a[k], b[k]) if sign > 0 else torch.sub(a[k], b[k]))
        else:
            rows.append(a[k] if k < len(a) else b[k] if sign > 0 else torch.neg(b[k]))
    return rows


def _difference(order: int, a: Series, b: Series) -> Series:
    return _sum(order, a, b, sign=-1.0)


def _division(order: int, a: Series, d: Series) -> Series:
    first = torch.div(a[0], d[0])
    if len(d) == 1:  # by a constant: every row divided, and a polynomial stays one
        return [first, *(torch.div(row, d[0]) for row in a[1:])]
    return s.quotient(a, d, order, first)


def _power_of_number(order: int, u: Series, p: float) -> Series:
    """u^p for a number p typed in the formula (torch's scalar power, as tree.evaluate uses)."""
    first = torch.pow(u[0], p)
    if p == 0 or len(u) == 1:
        return [first]
    if not (p.is_integer() and 0 < p <= MAX_MULTIPLIED_POWER):
        return s.power(u, p, order + 1, first, torch.reciprocal(u[0]))
    p = int(p)
    if len(u) == 2:  # (u₀ + u₁t)^p = Σ C(p, k)·u₀^(p−k)·u₁^k·t^k
        powers = [first, u[0]]  # powers[m] = u₀^m (m ≥ 1)
        for _ in range(2, p):
            powers.append(torch.mul(powers[-1], u[0]))
        rows = [first]
        for k in range(1, min(p, order) + 1):
            slope = u[1] ** k * math.comb(p, k)
            rows.append(slope if k == p else torch.mul(powers[p - k], slope))
        return rows
    if p == 1:
        return [first, *u[1:]]
    if p == 2:
        return s.squared_series(order, u, first)
    square = s.squared_series(order, u)
    return s.product(order, square, u, first) if p == 3 else s.squared_series(order, square, first)


def _power_of_fraction(order: int, u: Series, p: int, q: int) -> Series:
    """u^(p/q) for a typed fraction with an odd q, the real root (tree.real_power): the series of |u|^(p/q), from
    that of |u| = sign(u₀)·u, negated where u₀ < 0 and p is odd. At u₀ = 0 the rule divides by zero: autograd then
    gives those points (NaN where a side's slope is infinite, as for cbrt)."""
    sign = torch.sign(u[0])
    y = _power_of_number(order, [torch.mul(row, sign) for row in u], p / q)
    if p % 2 == 0:
        return y
    return [torch.copysign(y[0], u[0]), *(torch.mul(row, sign) for row in y[1:])]  # row 0 as real_power writes it


def _power_of_constant(order: int, u: Series, p: Tensor) -> Series:
    """u^p for an exponent computed from parameters and numbers: a 0-d tensor, whatever its value.

    As for a typed number, k·u₀·y_k = Σ_{j=1..k} ((p + 1)·j − k)·u_j·y_{k−j}, the weights being tensors here.
    """
    y = [torch.pow(u[0], p)]
    reciprocal = torch.reciprocal(u[0])
    if len(u) == 2:  # u = a·x + b: y_k = y_{k−1}·a·(p − k + 1)/(k·u₀), exactly 0 past an integer p, as in autograd
        for k in range(1, order + 1):
            y.append(torch.mul(y[k - 1], reciprocal).mul_(u[1] / k * (p - (k - 1))))
        return y
    for k in range(1, order + 1):  # as (p + 1)·A − B, A = Σ (j/k)·u_j·y_{k−j}, B = Σ u_j·y_{k−j}
        top = min(k, len(u) - 1) + 1
        total = s.weighted_sum([(j / k, u[j], y[k - j]) for j in range(1, top)]).mul_(p + 1)
        total = s.plus(total, s.weighted_sum([(1.0, u[j], y[k - j]) for j in range(1, top)]), -1.0)
        y.append(s.times(total, reciprocal))
    return y


def _power_of_series(order: int, u: Series, v: Series) -> Series:
    """u^v where the exponent depends on x: exp(v·log u), whose derivatives autograd also takes."""
    y = [torch.pow(u[0], v[0])]
    log = s.log_series(order, u) if len(u) > 1 else [torch.log(u[0])]
    w = [y[0]]  # row 0 of v·log u is never read
    for k in range(1, order + 1):
        terms = [(1.0, v[i], log[k - i]) for i in range(max(0, k - len(log) + 1), min(k, len(v) - 1) + 1)]
        w.append(s.weighted_sum(terms) if terms else y[0].new_zeros(()))
    for k in range(1, order + 1):
        y.append(s.integral(k, w, y))
    return y


_BINARY_RULES = {"+": _sum, "-": _difference, "*": s.product, "/": _division}


def _call(order: int, *arguments: Series, function: str) -> Series:
    """A function's record applied: its Taylor rule, or at order 0 its torch function alone."""
    record = FUNCTIONS[function]
    if all(len(u) == 1 for u in arguments):  # order 0
        return [record.torch(*(u[0] for u in arguments))]
    return record.taylor(order, *arguments)


def _power_rule(order: int, u: Series, v: Series) -> Series:
    if len(u) == 1 and len(v) == 1:  # order 0
        return [torch.pow(u[0], v[0])]
    if len(v) == 1:
        return _power_of_constant(order, u, v[0])
    return _power_of_series(order, u, v)


EXACT, LEFT, RIGHT = 0, 1, 2  # the passes of a formula with a piecewise definition: at each point, and either side


def _piecewise(order: int, *inputs: Series, layout: tuple[tuple[str, ...], ...], otherwise: bool, side: int) -> Series:
    """A piecewise definition's series: the chosen branch's, row by row (NaN where no branch applies).

    `inputs` are, for each branch, the series of its condition's operands and then of its value, then the otherwise
    branch's; `layout` holds each condition's comparison operators. With `side` EXACT the conditions are compared at
    the point (row 0 alone); with LEFT or RIGHT they are decided just beside it, from their Taylor series.
    """
    conditions, values, at = [], [], 0
    for ops in layout:
        operands = inputs[at : at + len(ops) + 1]
        holds = fails = None
        for op, (a, b) in zip(ops, itertools.pairwise(operands), strict=True):
            if side == EXACT:
                link = compare(op, a[0], b[0])
            else:  # the sign of (greater side − smaller side) just left or right of the point, from SIDE_ORDER rows
                d = _difference(order, b, a) if op in ("<", "<=") else _difference(order, a, b)
                link = compare_sign(op, side_sign(d, len(d) <= SIDE_ORDER, side == LEFT))
            holds = link[0] if holds is None else holds & link[0]
            fails = link[1] if fails is None else fails | link[1]
        assert holds is not None and fails is not None  # a condition has one operator at least
        conditions.append((holds, fails))
        values.append(inputs[at + len(ops) + 1])
        at += len(ops) + 2
    rest = inputs[at] if otherwise else None
    takes, _, undefined = choose(conditions)
    zero = inputs[0][0].new_zeros(())
    row = lambda series, k: series[k] if k < len(series) else zero  # noqa: E731
    return [
        select(takes, undefined, [row(v, k) for v in values], row(rest, k) if rest is not None else None)
        for k in range(order + 1)
    ]


def _seam(order: int, exact: Series, left: Series, right: Series) -> Series:
    """The formula's rows from its three passes: f as it is at the point, each derivative where the sides agree."""
    return seam_rows(exact[0], left, right, order)


# ---------------------------------------------------------------------------------------------------------------------
# The tree as a program of rules, compiled once per formula and order


@dataclass(frozen=True)
class _Step:
    rule: Callable[..., Series]
    inputs: tuple[int, ...]  # slots holding the argument series
    extra: tuple = ()  # static arguments: a function's name, a typed exponent
    done: tuple[int, ...] = ()  # slots read for the last time here, freed after it
    order: int | None = None  # an order of its own (0 in the pass at each point: row 0 alone), else the program's


@dataclass(frozen=True)
class Program:
    """The tree in evaluation order. Slots: one per step (each node that depends on a variable, in post-order), then
    one per constant subtree (computed once per call, from the parameters), then one per variable. Equal subtrees
    share a slot, so sin(x) in sin(x)·exp(sin(x)) is computed once.

    With several variables the series run along a direction: f(p + t·d) for the points p and a direction d, whose
    coefficients are the directional derivatives (partials.py turns those into partial derivatives).
    """

    order: int
    steps: tuple[_Step, ...]
    constants: tuple[Node, ...]
    root: int
    live: int  # most series alive at once, for the memory budget
    variables: tuple[str, ...] = ("x",)

    @property
    def rows(self) -> int:
        """The most rows a series of the program holds: order + 1, or more for a condition's sides (SIDE_ORDER)."""
        return max([self.order, *(step.order for step in self.steps if step.order is not None)]) + 1

    def bind(self, values: Mapping[str, Tensor], like: Tensor) -> Bound:
        """The program with its constants computed from the parameters' values (0-d tensors), in like's dtype and
        device: a new value never changes the steps."""
        constants = [[evaluate(node, values, like)] for node in self.constants]
        return Bound(self, constants, torch.ones((), dtype=like.dtype, device=like.device))


@dataclass(frozen=True)
class Bound:
    program: Program
    constants: list[Series]
    one: Tensor  # the slope of x

    def series(self, x: Tensor) -> Series:
        """The Taylor series of the formula at every point of x: rows c_0 … c_d, d ≤ order."""
        return self.series_along([x], [self.one])

    def series_along(self, points: list[Tensor], direction: list[Tensor | float]) -> Series:
        """The Taylor series of t ↦ f(p + t·d) at every point p (one tensor per variable) along the direction d (one
        number per variable): row k holds the k-th directional derivative over k!. A variable whose component is 0
        stays constant along d, and costs nothing."""
        order, steps = self.program.order, self.program.steps
        leaves = [[p, self._slope(d)] if order and _moves(d) else [p] for p, d in zip(points, direction, strict=True)]
        slots: list[Series | None] = [None] * len(steps)
        slots += self.constants + leaves
        for index, step in enumerate(steps):
            if step.order is None:
                slots[index] = step.rule(order, *(slots[i] for i in step.inputs), *step.extra)
            else:  # its inputs cut to the rows of its own order
                # A step's inputs are computed before it, and freed only after their last step: none is None here.
                inputs = (cast(Series, slots[i])[: step.order + 1] for i in step.inputs)
                slots[index] = step.rule(step.order, *inputs, *step.extra)
            for i in step.done:
                slots[i] = None
        result = slots[self.program.root]
        assert result is not None  # the root is computed (or a constant or a variable), and never freed
        return result

    def _slope(self, d: Tensor | float) -> Tensor:
        return d if isinstance(d, Tensor) else torch.full((), d, dtype=self.one.dtype, device=self.one.device)

    def derivatives(self, x: Tensor, out: Tensor) -> None:
        """Write f, f′ … f⁽ᴷ⁾ at the points x into out, of shape (order + 1, len(x)): row k = k!·c_k."""
        rows = self.series(x)
        for k, row in enumerate(rows):
            if row.dim() == 0 or k < 2:
                out[k].copy_(row)
                if k >= 2:
                    out[k].mul_(math.factorial(k))
            else:
                torch.mul(row, math.factorial(k), out=out[k])
        out[len(rows) :].zero_()

    def rows(self, x: Tensor) -> tuple[Tensor, ...]:
        """f, f′ … f⁽ᴷ⁾ at the points x as new tensors of x's shape, rounded as `derivatives` rounds them (for a
        compiled program, which returns its rows rather than writing into an array it is given)."""
        rows = []
        for k, row in enumerate(self.series(x)):
            row = torch.mul(row, math.factorial(k)) if k >= 2 else row
            rows.append(row.expand_as(x).clone() if row.dim() == 0 or row is x else row)
        zero = x.new_zeros(())
        rows += [zero.expand_as(x).clone() for _ in range(len(rows), self.program.order + 1)]
        return tuple(rows)


@dataclass(frozen=True)
class Seams:
    """A formula's boundaries between branches and its kinks (abs at 0, a tie of min or max), where the program at
    each point is not enough: which points lie on one, and the program that gives their rows (`sides=True`)."""

    tree: Node  # the formula with its kinks as branches
    variables: tuple[str, ...]
    values: Mapping[str, Tensor]  # the parameters' values
    bound: Bound  # the program of `compile_program(..., sides=True)`, bound to them

    def on(self, points: list[Tensor]) -> Tensor:
        """Which of the points (one tensor per variable) lie on a seam, as a boolean tensor of their shape."""
        with torch.no_grad():
            values = {**self.values, **dict(zip(self.variables, points, strict=True))}
            return on_a_seam(self.tree, values, points[0], self.variables).expand_as(points[0])


def seams(
    expr: Expression, order: int, values: Mapping[str, Tensor], like: Tensor, variables: tuple[str, ...] | None = None
) -> Seams | None:
    """The formula's `Seams` for derivatives up to `order`, or None where it has none (or only f is asked for)."""
    if variables is None:
        (variable,) = expr.variables or ("x",)
        variables = (variable,)
    tree = kinks_as_branches(expr.tree)
    if order == 0 or not has_seams(tree, variables):
        return None
    program = compile_program(expr, order, variables, sides=True)
    return Seams(tree, tuple(variables), values, program.bind(values, like))


def _moves(d: Tensor | float) -> bool:
    """Whether a direction's component is not a plain 0 (a tensor, as the slope of x, always counts as moving)."""
    return isinstance(d, Tensor) or d != 0


def compile_program(
    expr: Expression, order: int, variables: tuple[str, ...] | None = None, *, sides: bool = False
) -> Program:
    """The formula's program for the given order, cached per tree and order; `variables` in the order their points
    and directions will come (default: the formula's own variable, or x).

    By default every piecewise definition takes the branch that applies at each point, and abs, min and max their
    own rules: right everywhere but on a boundary between branches or at a kink (`tree.on_a_seam`). `sides=True`
    gives the program for those points: abs, min and max written as branches (`kinks_as_branches`), and three passes
    where a condition depends on a variable (at the point, and just left and right of it), combined by `seam_rows`.
    """
    if variables is None:
        (variable,) = expr.variables or ("x",)
        variables = (variable,)
    tree = kinks_as_branches(expr.tree) if sides else expr.tree
    return _compile(tree, order, tuple(variables), sides)


Key = Node | tuple  # a node's step: the node itself, or (node, side) for a node in one of a piecewise formula's passes
_SEAM = ("seam",)  # the step that combines the three passes


@lru_cache(maxsize=128)
def _compile(tree: Node, order: int, variables: tuple[str, ...], sides: bool) -> Program:
    steps: list[tuple[Callable[..., Series], tuple[Key, ...], tuple, int | None]] = []
    constants: list[Node] = []
    index: dict[Key, int] = {}  # a node's step or constant, by structure
    uses_x: dict[Node, bool] = {}
    has_sides: dict[Node, bool] = {}

    def depends(node: Node) -> bool:
        if node not in uses_x:
            own = isinstance(node, Variable) and node.name in variables
            uses_x[node] = own or any(depends(child) for child in children(node))
        return uses_x[node]

    def sided(node: Node) -> bool:
        """Whether the node holds a condition that depends on x: it is computed once per pass (EXACT, LEFT, RIGHT)."""
        if order == 0 or not sides:  # f alone, or the program for points off the seams: the branch at each point
            return False
        if node not in has_sides:
            own = isinstance(node, Comparison) and depends(node)
            has_sides[node] = own or any(sided(child) for child in children(node))
        return has_sides[node]

    def key(node: Node, side: int, deep: bool = False) -> Key:
        if not depends(node) or isinstance(node, Variable):
            return node
        if deep:  # a condition's side, to SIDE_ORDER coefficients
            return (node, side, SIDE_ORDER) if sided(node) else (node, SIDE_ORDER)
        return (node, side) if sided(node) else node

    def visit(node: Node, side: int, deep: bool = False) -> None:
        if key(node, side, deep) in index:
            return
        if not depends(node):
            index[node] = len(constants)
            constants.append(node)
            return
        step: tuple[Callable[..., Series], tuple[Node, ...], tuple]  # (rule, children, static arguments)
        match node:
            case Variable():
                return
            case Unary(_, operand):
                step = (_negative, (operand,), ())
            case Binary("^", left, right) if constant_exponent(right) is not None:
                step = (_power_of_number, (left,), (constant_exponent(right),))
            case Binary("^", left, right) if (fraction := odd_root_exponent(right)) is not None:
                step = (_power_of_fraction, (left,), fraction)
            case Binary("^", left, right):
                step = (_power_rule, (left, right), ())
            case Binary(op, left, right):
                step = (_BINARY_RULES[op], (left, right), ())
            case Call(function, arguments):
                step = (functools.partial(_call, function=function), arguments, ())
            case Piecewise(branches, otherwise):
                inputs = [part for condition, value in branches for part in (*condition.operands, value)]
                inputs += [otherwise] if otherwise is not None else []
                layout = tuple(condition.ops for condition, _ in branches)
                rule = functools.partial(
                    _piecewise, layout=layout, otherwise=otherwise is not None, side=side if sided(node) else EXACT
                )
                step = (rule, tuple(inputs), ())
            case _:
                raise TypeError(f"not a derivlib node: {node!r}")
        # A condition decided beside the point needs its sides' series to SIDE_ORDER, whatever the order asked for.
        children_deep = [deep] * len(step[1])
        if isinstance(node, Piecewise) and sided(node):  # (the pass at each point shares them, row 0 alone)
            at = 0
            for condition, _ in node.branches:  # the operands of each condition, then its value
                children_deep[at : at + len(condition.operands)] = [True] * len(condition.operands)
                at += len(condition.operands) + 1
        for child, child_deep in zip(step[1], children_deep, strict=True):
            visit(child, side, child_deep)
        index[key(node, side, deep)] = len(steps)
        # The pass at each point gives f alone; a condition's side gives SIDE_ORDER rows.
        own_order = SIDE_ORDER if deep else 0 if side == EXACT and sided(node) else None
        keys = tuple(key(child, side, d) for child, d in zip(step[1], children_deep, strict=True))
        steps.append((step[0], keys, step[2], own_order))

    if sided(tree):
        for side in (EXACT, LEFT, RIGHT):
            visit(tree, side)
        index[_SEAM] = len(steps)
        steps.append((_seam, tuple(key(tree, side) for side in (EXACT, LEFT, RIGHT)), (), None))
        root: Key = _SEAM
    else:
        visit(tree, EXACT)
        root = tree

    def slot(k: Key) -> int:
        if isinstance(k, tuple):
            return index[k]
        if not depends(k):
            return len(steps) + index[k]
        return index[k] if not isinstance(k, Variable) else len(steps) + len(constants) + variables.index(k.name)

    last_use = {slot(child): i for i, (_, inputs, _, _) in enumerate(steps) for child in inputs}
    compiled: list[_Step] = []
    alive: set[int] = set()
    live = 1
    for i, (rule, inputs, extra, own_order) in enumerate(steps):
        done = tuple(sorted({s for s in map(slot, inputs) if s < len(steps) and last_use[s] == i}))
        compiled.append(_Step(rule, tuple(map(slot, inputs)), extra, done, own_order))
        alive = (alive | {i}) - set(done)
        live = max(live, len(alive) + len(done))
    return Program(order, tuple(compiled), tuple(constants), slot(root), live, variables)
