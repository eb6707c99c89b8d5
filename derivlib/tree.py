"""The parsed formula: a tree of allow-listed nodes, and what it turns into (torch, sympy, canonical text).

Only the node types below exist, and a Call names one of the records in functions.py, so evaluating a tree can do
nothing but arithmetic on tensors. Every function there is elementwise, which is what lets the engine differentiate
a whole grid with a single `grad_outputs=ones` backward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

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


Node = Number | Variable | Constant | Parameter | Unary | Binary | Call


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


def evaluate(node: Node, values: Mapping[str, Tensor], like: Tensor) -> Tensor:
    """The tree's value, elementwise over the tensors in `values` (one per variable and parameter name).

    `like` gives the dtype and device of the numbers and constants. A subtree that uses no variable comes out as a
    0-d tensor and broadcasts.
    """
    return _EVALUATORS[type(node)](node, values, like)


def _scalar(value: float, like: Tensor) -> Tensor:
    return torch.tensor(value, dtype=like.dtype, device=like.device)


def _constant_exponent(node: Node) -> float | None:
    """The exponent as a Python float when it is a plain number (or its negation), else None."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Unary) and isinstance(node.operand, Number):
        return -node.operand.value
    return None


def _evaluate_binary(node: Binary, values: Mapping[str, Tensor], like: Tensor) -> Tensor:
    left = evaluate(node.left, values, like)
    if node.op == "^":
        exponent = evaluate(node.right, values, like)
        if exponent.ndim == 0 and not exponent.requires_grad:  # no variable in it: a subtree without one is 0-d
            # A Python float exponent makes torch use its scalar power rule, whose derivatives are exact at 0 (x^2
            # at 0: 2·x^1 = 0, then 1·x^0 = 1, never 0·0^-1 = NaN), also for x^a and x^(4/2).
            return torch.pow(left, float(exponent))
        return _Power.apply(left, exponent)
    right = evaluate(node.right, values, like)
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

_EVALUATORS: dict[type, Callable[..., Tensor]] = {
    Number: lambda node, values, like: _scalar(node.value, like),
    Constant: lambda node, values, like: _scalar(CONSTANTS[node.name][0], like),
    Variable: lambda node, values, like: values[node.name],
    Parameter: lambda node, values, like: values[node.name],
    Unary: lambda node, values, like: torch.neg(evaluate(node.operand, values, like)),
    Binary: _evaluate_binary,
    Call: lambda node, values, like: FUNCTIONS[node.function].torch(
        *(evaluate(argument, values, like) for argument in node.arguments)
    ),
}


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
        case Binary("^", left, right):
            return sympy.Pow(to_sympy(left, symbols), to_sympy(right, symbols), evaluate=False)
        case Binary(op, left, right):
            a, b = to_sympy(left, symbols), to_sympy(right, symbols)
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[op]()
        case Call(function, arguments):
            return FUNCTIONS[function].sympy(sympy, *(to_sympy(argument, symbols) for argument in arguments))
    raise TypeError(f"not a derivlib node: {node!r}")


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
        case Call(function, arguments):
            return f"{function}({', '.join(map(to_text, arguments))})"
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
