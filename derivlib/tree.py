"""The parsed formula: a tree of allow-listed nodes, and what it turns into (torch, sympy, canonical text).

Only the node types below exist, and a Call names one of the records in functions.py, so evaluating a tree can do
nothing but arithmetic on tensors. Every function there is elementwise, which is what lets the engine differentiate
a whole grid with a single `grad_outputs=ones` backward pass.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

import torch

from .functions import FUNCTIONS

if TYPE_CHECKING:
    import sympy

Tensor = torch.Tensor


# ---------------------------------------------------------------------------------------------------------------------
# Nodes


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Variable:
    name: str  # "x" (a second variable will be another name, not another node type)


@dataclass(frozen=True)
class Constant:
    name: str  # a key of CONSTANTS


@dataclass(frozen=True)
class Parameter:
    name: str  # a single letter or a Greek letter's name; its value is given at evaluation


@dataclass(frozen=True)
class Unary:
    op: str  # "-" (a unary "+" is dropped by the parser)
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # one of "+ - * / ^"
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str  # a key of functions.FUNCTIONS
    arguments: tuple[Node, ...]  # as many as the function's arity; a single node is taken as a one-tuple

    def __post_init__(self) -> None:
        if not isinstance(self.arguments, tuple):
            object.__setattr__(self, "arguments", (self.arguments,))


@dataclass(frozen=True)
class Comparison:
    """The condition of a piecewise branch: `a < b`, or a chain `0 < x <= 1` that holds where every link does."""

    ops: tuple[str, ...]  # each one of COMPARISONS; a chain goes one way (all < and <=, or all > and >=)
    operands: tuple[Node, ...]  # one more than ops


@dataclass(frozen=True)
class Piecewise:
    """`{x < 0: -x, x^2}`: the value of the first branch whose condition holds, else `otherwise` (None: undefined).

    Each derivative is taken branch by branch; at a boundary between branches, the k-th derivative is defined where
    the one-sided values of orders 0 … k agree (see `seam_rows`).
    """

    branches: tuple[tuple[Comparison, Node], ...]  # (condition, value), tried in order
    otherwise: Node | None = None


Node = Number | Variable | Constant | Parameter | Unary | Binary | Call | Comparison | Piecewise


# ---------------------------------------------------------------------------------------------------------------------
# The allow-lists, as data


def _sympy():
    """sympy, imported on first use: it costs seconds, and only the symbolic cross-check needs it."""
    import sympy

    return sympy


CONSTANTS: dict[str, tuple[float, str]] = {  # value, and the name of the same constant in sympy
    "pi": (math.pi, "pi"),
    "e": (math.e, "E"),
}

# "pi" is the constant, not a parameter.
GREEK_LETTERS = [
    *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"),
    *("nu", "xi", "omicron", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"),
]


# ---------------------------------------------------------------------------------------------------------------------
# Evaluation with torch


def evaluate(node: Node, values: Mapping[str, Tensor], like: Tensor, side: Side | None = None) -> Tensor:
    """The tree's value, elementwise over the tensors in `values` (one per variable and parameter name).

    `like` gives the dtype and device of the numbers and constants. A subtree that uses no variable comes out as a
    0-d tensor and broadcasts. `side` (the autograd engine's, at branch boundaries) makes every piecewise definition
    take the branch that applies just left or just right of each point instead of the one that applies at it.
    """
    return _EVALUATORS[type(node)](node, values, like, side)


def _scalar(value: float, like: Tensor) -> Tensor:
    return torch.tensor(value, dtype=like.dtype, device=like.device)


def constant_exponent(node: Node) -> float | None:
    """The exponent as a Python float when it is a plain number (or its negation), else None."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Unary) and isinstance(node.operand, Number):
        return -node.operand.value
    return None


def odd_root_exponent(node: Node) -> tuple[int, int] | None:
    """(p, q) where an exponent is typed as a fraction p/q of whole numbers whose denominator, in lowest terms, is odd
    (and not 1): then u^(p/q) is the real root, defined for a negative u as Desmos and GeoGebra read it,
    (−1)^p·|u|^(p/q). None for anything else (x^0.6667, x^(a/3), x^(1/2)).

    >>> from derivlib import parse
    >>> [odd_root_exponent(parse(t).tree.right) for t in ("x^(2/3)", "x^(-1/3)", "x^(4/6)", "x^(1/2)", "x^0.5")]
    [(2, 3), (-1, 3), (2, 3), None, None]
    """
    sign = 1
    while isinstance(node, Unary):
        node, sign = node.operand, -sign
    if not (isinstance(node, Binary) and node.op == "/"):
        return None
    parts = []
    for part in (node.left, node.right):
        while isinstance(part, Unary):
            part, sign = part.operand, -sign
        if not (isinstance(part, Number) and part.value.is_integer() and abs(part.value) < 2**53):
            return None
        parts.append(int(part.value))
    p, q = parts
    if q == 0:
        return None
    divisor = math.gcd(p, q)
    p, q = sign * p // divisor, abs(q) // divisor
    return (p, q) if q % 2 == 1 and q > 1 else None


def real_power(u: Tensor, p: int, q: int) -> Tensor:
    """u^(p/q) for an odd q, the real root: |u|^(p/q), negated for a negative u where p is odd (`odd_root_exponent`).
    At u = 0 a derivative that is infinite on one side or both is NaN (sign(0)·∞), as for cbrt; a negative power is
    ∞ there, as 1/x is."""
    magnitude = torch.pow(torch.abs(u), p / q)
    return magnitude if p % 2 == 0 else torch.copysign(magnitude, u)


def _evaluate_binary(node: Binary, values: Mapping[str, Tensor], like: Tensor, side: Side | None) -> Tensor:
    left = evaluate(node.left, values, like, side)
    if node.op == "^" and (fraction := odd_root_exponent(node.right)) is not None:
        return real_power(left, *fraction)
    if node.op == "^":
        exponent = evaluate(node.right, values, like, side)
        if exponent.ndim == 0 and not exponent.requires_grad:  # no variable in it: a subtree without one is 0-d
            # A Python float exponent makes torch use its scalar power rule, whose derivatives are exact at 0 (x^2
            # at 0: 2·x^1 = 0, then 1·x^0 = 1, never 0·0^-1 = NaN), also for x^a and x^(4/2).
            return torch.pow(left, float(exponent))
        return _Power.apply(left, exponent)
    right = evaluate(node.right, values, like, side)
    return _BINARY_OPS[node.op](left, right)


class _Power(torch.autograd.Function):
    """u^v for an exponent that depends on x, with a power rule that stays right at every order.

    torch's own rule masks the base's derivative with where(v == 0, 0, v·u^(v-1)); the next derivative of that mask
    drops the term u^(v-1) wherever v is whole, so autograd's third derivative of x^x at 1 came out 2, not 3.
    Here the masks cover only the points where a rule really is 0·∞ (u = 0), and each masked-out branch is computed
    from a harmless value, so that its derivative is finite and the mask passes no NaN back.
    """

    @staticmethod
    def forward(ctx, u: Tensor, v: Tensor) -> Tensor:
        ctx.save_for_backward(u, v)
        return torch.pow(u, v)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None]:
        u, v = ctx.saved_tensors
        at_zero = u == 0
        safe_u = torch.where(at_zero, torch.ones_like(u), u)
        du = dv = None
        if ctx.needs_input_grad[0]:
            # d/du u^v = v·u^(v-1); at u = 0 with v = 0 that is 0·∞, and u^0 is flat: 0.
            flat = at_zero & (v == 0)
            du = torch.where(flat, torch.zeros_like(v), v * _Power.apply(torch.where(flat, safe_u, u), v - 1))
            du = (grad * du).sum_to_size(u.shape)
        if ctx.needs_input_grad[1]:
            # d/dv u^v = u^v·log u; at u = 0 with v > 0, 0^v is 0 all around: 0, not 0·(-∞).
            vanishing = at_zero & (v > 0)
            dv = torch.where(
                vanishing, torch.zeros_like(v), _Power.apply(u, v) * torch.log(torch.where(vanishing, safe_u, u))
            )
            dv = (grad * dv).sum_to_size(v.shape)
        return du, dv


_BINARY_OPS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "+": torch.add,
    "-": torch.sub,
    "*": torch.mul,
    "/": torch.div,
}


def _evaluate_call(node: Call, values: Mapping[str, Tensor], like: Tensor, side: Side | None) -> Tensor:
    return FUNCTIONS[node.function].torch(*(evaluate(argument, values, like, side) for argument in node.arguments))


_EVALUATORS: dict[type, Callable[..., Tensor]] = {
    Number: lambda node, values, like, side: _scalar(node.value, like),
    Constant: lambda node, values, like, side: _scalar(CONSTANTS[node.name][0], like),
    Variable: lambda node, values, like, side: values[node.name],
    Parameter: lambda node, values, like, side: values[node.name],
    Unary: lambda node, values, like, side: torch.neg(evaluate(node.operand, values, like, side)),
    Binary: _evaluate_binary,
    Call: _evaluate_call,
    Piecewise: lambda node, values, like, side: _evaluate_piecewise(node, values, like, side),
}


# ---------------------------------------------------------------------------------------------------------------------
# Piecewise definitions: which branch applies, at a point and on either side of it

COMPARISONS = ("<", "<=", ">", ">=")
SEAM_ULPS = 1024  # one-sided values this many units in the last place apart (relative) still agree at a boundary
SIDE_ORDER = 10  # Taylor coefficients (or derivatives) of a condition's sides that decide it beside a point

Masks = tuple[Tensor, Tensor]  # (where a condition holds, where it fails); neither where it is undefined


class Side:
    """How a condition is decided on one side of each point: by the sign, just left or right of the point, of
    (greater side − smaller side), which `sign` returns (+1, 0, −1, or NaN where it cannot be decided)."""

    def sign(self, difference: Tensor, values: Mapping[str, Tensor]) -> Tensor:
        raise NotImplementedError


def compare(op: str, a: Tensor, b: Tensor) -> Masks:
    """Where `a op b` holds and where it fails, exactly; NaN on either side leaves it undefined (neither)."""
    if op in (">", ">="):
        a, b, op = b, a, "<" if op == ">" else "<="
    if op == "<":
        return torch.lt(a, b), torch.ge(a, b)
    return torch.le(a, b), torch.gt(a, b)


def difference(op: str, a: Tensor, b: Tensor) -> Tensor:
    """The greater side minus the smaller one, as the comparison puts them: b − a for < and <=, a − b for > and >=."""
    return torch.sub(b, a) if op in ("<", "<=") else torch.sub(a, b)


def compare_sign(op: str, sign: Tensor) -> Masks:
    """Where `a op b` holds and fails, from the sign of `difference(op, a, b)` on a side (NaN: neither)."""
    zero = torch.zeros((), dtype=sign.dtype, device=sign.device)
    return compare("<" if op in ("<", ">") else "<=", zero, sign)


def side_sign(rows: Sequence[Tensor], exact: bool, left: bool) -> Tensor:
    """The sign of a function just right (or left) of each point, from its Taylor coefficients there (or its
    derivatives, which have the same signs): that of the first one that is not zero, with the odd ones negated on
    the left, since f(x₀ + t) = Σ c_k t^k and t < 0 there. Where every row is zero the function is 0 if the rows are
    `exact` (a polynomial of lower degree), else the sign is not known: NaN. Both engines look at SIDE_ORDER rows
    beyond the value, whatever the order asked for, so that asking for more derivatives never changes one.
    """
    sign = torch.zeros_like(rows[0]) if exact else torch.full_like(rows[0], math.nan)
    for k in reversed(range(len(rows))):
        row = torch.neg(rows[k]) if left and k % 2 else rows[k]
        # (torch's sign of NaN is 0: a NaN row must leave NaN, the sign of a coefficient that cannot be computed)
        sign = torch.where(row != 0, torch.where(torch.isnan(row), math.nan, torch.sign(row)), sign)
    return sign


def choose(conditions: Sequence[Masks]) -> tuple[list[Tensor], Tensor | bool, Tensor | bool]:
    """Which branch applies where: the first whose condition holds. Returns each branch's mask, where none holds
    (the `otherwise` branch's part), and where a condition that had to be decided is undefined (f is NaN there)."""
    reached: Tensor | bool = True
    undefined: Tensor | bool = False
    takes = []
    for holds, fails in conditions:
        takes.append(holds & reached)
        undefined = undefined | (reached & ~holds & ~fails)
        reached = fails & reached
    return takes, reached, undefined


def select(
    takes: Sequence[Tensor],
    undefined: Tensor | bool,
    rows: Sequence[Tensor],
    otherwise: Tensor | None,
) -> Tensor:
    """The chosen branch's row at each point (`rows[i]` for branch i), `otherwise` where none applies, else NaN."""
    if otherwise is not None:
        result = otherwise
    else:  # every piecewise definition has a branch at least: rows[0] is there
        result = torch.full((), math.nan, dtype=rows[0].dtype, device=rows[0].device)
    for take, row in zip(reversed(takes), reversed(rows), strict=True):
        result = torch.where(take, row, result)
    return torch.where(undefined, math.nan, result) if isinstance(undefined, Tensor) else result


def agree(a: Tensor, b: Tensor) -> Tensor:
    """Where two one-sided values are the same number, up to SEAM_ULPS units of rounding (NaN agrees with nothing)."""
    tolerance = SEAM_ULPS * torch.finfo(a.dtype).eps
    return torch.eq(a, b) | (torch.sub(a, b).abs() <= torch.maximum(a.abs(), b.abs()) * tolerance)


def seam_rows(f: Tensor, left: Sequence[Tensor], right: Sequence[Tensor], order: int) -> list[Tensor]:
    """f, then each order's value where the one-sided values of every order up to it agree, else NaN.

    `left` and `right` are the rows (Taylor coefficients or derivatives; fewer than order + 1 rows: the rest are
    zeros) of the formula with every piecewise definition taking the branch that applies just left or right of the
    point. f itself is the branch that applies at the point, and must agree with both (a removable jump is no
    derivative either). Away from boundaries all three are the same branch, and this gives its rows unchanged.
    """
    zero = f.new_zeros(())
    row = lambda rows, k: rows[k] if k < len(rows) else zero  # noqa: E731
    defined = agree(left[0], f) & agree(right[0], f)
    rows = [f]
    for k in range(1, order + 1):
        defined = defined & agree(row(left, k), row(right, k))
        rows.append(torch.where(defined, row(right, k), math.nan))
    return rows


def condition_masks(condition: Comparison, values: Mapping[str, Tensor], like: Tensor, side: Side | None) -> Masks:
    """Where a condition holds and fails (exactly, or on the given side)."""
    operands = [evaluate(operand, values, like, side) for operand in condition.operands]
    holds: Tensor | None = None
    fails: Tensor | None = None
    for op, (a, b) in zip(condition.ops, itertools.pairwise(operands), strict=True):
        if side is None:
            link_holds, link_fails = compare(op, a, b)
        else:
            link_holds, link_fails = compare_sign(op, side.sign(difference(op, a, b), values))
        holds = link_holds if holds is None else holds & link_holds
        fails = link_fails if fails is None else fails | link_fails
    assert holds is not None and fails is not None  # a comparison has one operator at least
    return holds, fails


def _evaluate_piecewise(node: Piecewise, values: Mapping[str, Tensor], like: Tensor, side: Side | None) -> Tensor:
    takes, rest, undefined = choose([condition_masks(c, values, like, side) for c, _ in node.branches])
    masks = [*takes, *([rest] if node.otherwise is not None else [])]
    nodes = [*(value for _, value in node.branches), *([node.otherwise] if node.otherwise is not None else [])]
    shape = torch.broadcast_shapes(
        *(t.shape for t in values.values()), *(m.shape for m in masks if isinstance(m, Tensor))
    )
    result = torch.full(shape, math.nan, dtype=like.dtype, device=like.device)
    # Each branch is computed only where it applies: computed everywhere and then masked, a branch that is undefined
    # where it does not apply (sqrt(-x) for x > 0) would still send NaN into autograd's gradients (0 · NaN).
    for mask, value in zip(masks, nodes, strict=True):
        mask = torch.as_tensor(mask, device=like.device).expand(shape)
        if not shape:
            result = torch.where(mask, evaluate(value, values, like, side), result)
            continue
        count = int(mask.sum())
        if count:
            part = {name: tensor.expand(shape)[mask] if tensor.ndim else tensor for name, tensor in values.items()}
            result = result.masked_scatter(mask, evaluate(value, part, like, side).expand(count).contiguous())
    if isinstance(undefined, Tensor):
        result = torch.where(undefined, math.nan, result)
    return result


def on_a_seam(tree: Node, values: Mapping[str, Tensor], like: Tensor, variables: str | Sequence[str]) -> Tensor:
    """The points where some condition that depends on the variables sits on its boundary (its sides are equal):
    there, the branches that apply just left and right of the point may differ from the one that applies at it.
    Give it the tree with its kinks as branches (`kinks_as_branches`): abs at 0 and a tie of min or max count too."""
    variables = (variables,) if isinstance(variables, str) else tuple(variables)
    seam = torch.zeros((), dtype=torch.bool, device=like.device)
    for node in walk(tree):
        if isinstance(node, Comparison) and any(_uses(operand, variables) for operand in node.operands):
            operands = [evaluate(operand, values, like) for operand in node.operands]
            for a, b in itertools.pairwise(operands):
                seam = seam | torch.eq(a, b)
    return seam


def _uses(node: Node, variables: Sequence[str]) -> bool:
    return any(isinstance(n, Variable) and n.name in variables for n in walk(node))


def has_seams(tree: Node, variables: str | Sequence[str]) -> bool:
    """Whether the tree has a piecewise definition with a condition that depends on the variables (give it the tree
    with its kinks as branches, `kinks_as_branches`, to count abs, min and max too)."""
    variables = (variables,) if isinstance(variables, str) else tuple(variables)
    return any(
        isinstance(node, Comparison) and any(_uses(operand, variables) for operand in node.operands)
        for node in walk(tree)
    )


# abs, min and max are smooth pieces joined where their derivative jumps: written as piecewise definitions, their
# kinks are boundaries between branches, and get what every boundary gets (a derivative only where both sides agree).
_AS_BRANCHES: dict[str, Callable[..., Node]] = {
    "abs": lambda u: Piecewise(((Comparison(("<",), (u, Number(0.0))), Unary("-", u)),), u),
    "min": lambda a, b: Piecewise(((Comparison(("<",), (a, b)), a),), b),
    "max": lambda a, b: Piecewise(((Comparison((">",), (a, b)), a),), b),
}


@functools.lru_cache(maxsize=256)
def kinks_as_branches(node: Node) -> Node:
    """The tree with every abs, min and max written as the piecewise definition it is: |u| = {u < 0: -u, u},
    min(a, b) = {a < b: a, b}, max(a, b) = {a > b: a, b}. Their values are the same numbers; at a kink (u = 0, a tie)
    the derivatives are then decided as at any boundary: |x| has none at 0, |x^2| = x^2 has all of them.

    >>> to_text(kinks_as_branches(Call("abs", (Variable("x"),))))
    '{x < 0: -x, x}'
    """
    match node:
        case Unary(op, operand):
            return Unary(op, kinks_as_branches(operand))
        case Binary(op, left, right):
            return Binary(op, kinks_as_branches(left), kinks_as_branches(right))
        case Call(function, arguments):
            arguments = tuple(map(kinks_as_branches, arguments))
            rewrite = _AS_BRANCHES.get(function)
            return rewrite(*arguments) if rewrite else Call(function, arguments)
        case Comparison(ops, operands):
            return Comparison(ops, tuple(map(kinks_as_branches, operands)))
        case Piecewise(branches, otherwise):
            return Piecewise(
                # A comparison comes back a comparison (the case above); lru_cache hides that from the checker.
                tuple((cast(Comparison, kinks_as_branches(c)), kinks_as_branches(v)) for c, v in branches),
                None if otherwise is None else kinks_as_branches(otherwise),
            )
    return node


# ---------------------------------------------------------------------------------------------------------------------
# Sympy, built from the tree (never from text)


def _sympy_number(value: float) -> sympy.Expr:
    sympy = _sympy()
    if value.is_integer():
        return sympy.Integer(int(value))
    # The shortest decimal that round-trips, as an exact rational: 0.5 -> 1/2, 1e-3 -> 1/1000.
    return sympy.Rational(repr(value))


def to_sympy(node: Node, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """The same formula as a sympy expression over real symbols, built unevaluated: exactly the tree.

    Nothing is computed while building it: sympy would otherwise merge 9^9^9^9 * 9^9^9^9 into one power and compute
    a huge integer. Differentiating or simplifying can still take that long, so do those where they can be stopped
    (derivlib.symbolic runs them in a child process with a time budget).
    """
    with _sympy().evaluate(False):
        return _to_sympy(node, symbols)


def _to_sympy(node: Node, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    to_sympy, sympy = _to_sympy, _sympy()
    match node:
        case Number(value):
            return _sympy_number(value)
        case Constant(name):
            return getattr(sympy, CONSTANTS[name][1])
        case Variable(name) | Parameter(name):
            return symbols[name]
        case Unary(_, operand):
            return -to_sympy(operand, symbols)
        case Binary("^", left, right) if (fraction := odd_root_exponent(right)) is not None:
            p, q = fraction  # the real root: |u|^(p/q), times sign(u) for an odd p
            base = to_sympy(left, symbols)
            magnitude = sympy.Pow(sympy.Abs(base), sympy.Rational(p, q), evaluate=False)
            return magnitude if p % 2 == 0 else sympy.sign(base) * magnitude
        case Binary("^", left, right):
            return sympy.Pow(to_sympy(left, symbols), to_sympy(right, symbols), evaluate=False)
        case Binary(op, left, right):
            a, b = to_sympy(left, symbols), to_sympy(right, symbols)
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]()
        case Call(function, arguments):
            return FUNCTIONS[function].sympy(sympy, *(to_sympy(argument, symbols) for argument in arguments))
        case Piecewise(branches, otherwise):
            pairs = [(to_sympy(value, symbols), _sympy_condition(condition, symbols)) for condition, value in branches]
            # Without an otherwise there is no (…, True) pair: sympy leaves the rest undefined, and differentiates
            # it as undefined (a (nan, True) pair would have the derivative 0).
            pairs += [(to_sympy(otherwise, symbols), sympy.true)] if otherwise is not None else []
            return sympy.Piecewise(*pairs)
    raise TypeError(f"not a derivlib node: {node!r}")


_SYMPY_RELATIONS = {"<": "Lt", "<=": "Le", ">": "Gt", ">=": "Ge"}


def _sympy_condition(condition: Comparison, symbols: Mapping[str, sympy.Symbol]):
    sympy = _sympy()
    if not any(isinstance(node, Variable | Parameter) for node in walk(condition)):
        # Numbers alone: decided here, in floats (an unevaluated 1 < 2 trips sympy's differentiation, and an exact
        # comparison could compute 9^9^9^9).
        holds, _ = condition_masks(condition, {}, torch.empty((), dtype=torch.float64), None)
        return sympy.true if bool(holds) else sympy.false
    operands = [_to_sympy(operand, symbols) for operand in condition.operands]
    links = [
        getattr(sympy, _SYMPY_RELATIONS[op])(a, b)
        for op, (a, b) in zip(condition.ops, itertools.pairwise(operands), strict=True)
    ]
    return links[0] if len(links) == 1 else sympy.And(*links)


# ---------------------------------------------------------------------------------------------------------------------
# Canonical text: explicit operators, the fewest parentheses that parse back to the same tree

_ADD, _MUL, _UNARY, _POW, _ATOM = range(1, 6)
_PRECEDENCE = {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "^": _POW}


def _precedence(node: Node) -> int:
    if isinstance(node, Binary):
        return _PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return _UNARY
    return _ATOM


def _number_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def to_text(node: Node) -> str:
    """Canonical text that parses back to the same tree: `-x^2 + 3*sin(x)`."""
    match node:
        case Number(value):
            return _number_text(value)
        case Variable(name) | Constant(name) | Parameter(name):
            return name
        case Call("factorial", (operand,)):
            # Postfix, as typed: x!, 3!, (x + 1)!, (x!)! (x!! is refused as a double factorial).
            inner = to_text(operand)
            if _precedence(operand) < _ATOM or (isinstance(operand, Call) and operand.function == "factorial"):
                inner = f"({inner})"
            return f"{inner}!"
        case Call(function, arguments):
            return f"{function}({', '.join(map(to_text, arguments))})"
        case Piecewise(branches, otherwise):
            parts = [f"{to_text(condition)}: {to_text(value)}" for condition, value in branches]
            return "{" + ", ".join(parts + ([to_text(otherwise)] if otherwise is not None else [])) + "}"
        case Comparison(ops, operands):
            return " ".join(
                [to_text(operands[0]), *(f"{op} {to_text(b)}" for op, b in zip(ops, operands[1:], strict=True))]
            )
        case Unary(op, operand):
            inner = to_text(operand)
            return f"{op}({inner})" if _precedence(operand) < _UNARY else f"{op}{inner}"
        case Binary("^", left, right):
            # Right-associative; the base needs parentheses unless it is an atom (-x^2 is -(x^2)).
            base = to_text(left)
            if _precedence(left) <= _POW:
                base = f"({base})"
            exponent = to_text(right)
            if _precedence(right) < _UNARY:
                exponent = f"({exponent})"
            return f"{base}^{exponent}"
        case Binary(op, left, right):
            precedence = _PRECEDENCE[op]
            a, b = to_text(left), to_text(right)
            if _precedence(left) < precedence:
                a = f"({a})"
            # Left-associative: an equal-precedence right operand keeps its parentheses, and so does a negation.
            if _precedence(right) <= precedence or isinstance(right, Unary):
                b = f"({b})"
            return f"{a} {op} {b}" if precedence == _ADD else f"{a}{op}{b}"
    raise TypeError(f"not a derivlib node: {node!r}")


# ---------------------------------------------------------------------------------------------------------------------
# Walking the tree


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Unary(_, operand):
            return (operand,)
        case Binary(_, left, right):
            return (left, right)
        case Call(_, arguments):
            return arguments
        case Comparison(_, operands):
            return operands
        case Piecewise(branches, otherwise):
            return (*(part for branch in branches for part in branch), *([otherwise] if otherwise is not None else []))
    return ()


def walk(node: Node):
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


# ---------------------------------------------------------------------------------------------------------------------
# The public object


class Expression:
    """A parsed formula: its tree, the text it came from, its variables and parameters.

    >>> from derivlib import parse
    >>> f = parse("2x^2 + a sin x")
    >>> str(f), f.parameters
    ('2*x^2 + a*sin(x)', ('a',))
    """

    def __init__(self, tree: Node, source: str = "") -> None:
        self.tree = tree
        self.source = source

    @cached_property
    def parameters(self) -> tuple[str, ...]:
        """The free parameters' names, sorted; each needs a value at evaluation."""
        return tuple(sorted({node.name for node in walk(self.tree) if isinstance(node, Parameter)}))

    @cached_property
    def variables(self) -> tuple[str, ...]:
        """The variables the formula uses (a subset of the parser's variables, e.g. `('x',)` or `()`)."""
        return tuple(sorted({node.name for node in walk(self.tree) if isinstance(node, Variable)}))

    @cached_property
    def size(self) -> int:
        """The number of nodes in the tree."""
        return sum(1 for _ in walk(self.tree))

    def evaluate(self, values: Mapping[str, Tensor], like: Tensor) -> Tensor:
        """The formula's value for the given variable and parameter tensors (see `tree.evaluate`)."""
        return evaluate(self.tree, values, like)

    def to_sympy(self) -> sympy.Expr:
        """The formula as a sympy expression, built from the tree, over real symbols named as in the formula."""
        names = set(self.variables) | set(self.parameters)
        return to_sympy(self.tree, {name: _sympy().Symbol(name, real=True) for name in names})

    def __str__(self) -> str:
        return to_text(self.tree)

    def __repr__(self) -> str:
        return f"Expression({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and self.tree == other.tree

    def __hash__(self) -> int:
        return hash(self.tree)
