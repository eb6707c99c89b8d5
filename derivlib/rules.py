"""The rules of differentiation node by node: which ones a formula's derivative uses (`derivative_steps`), and the
common wrong form of each (`FORMS`), evaluated by forward mode over the tree on a grid (`Forward`).

Forward mode carries (value, derivative) up the tree, each node computing its pair from its children's by its rule
(sum, product, quotient, power, chain rule: f(u)′ = f′(u)·u′, with f′ derivlib's own exact derivative of the one
function at the points u). A mistake model is the same pass with one rule replaced by a wrong form at chosen
sub-formulas (a `Slip`): the chain rule without the inner derivative, the product rule as a product of derivatives,
and so on. Only the nodes above the slip are computed again.

>>> [rule for rule, _ in derivative_steps(parse("x^2 sin(5x)"))]
['product rule', 'power rule', 'derivative of sin', 'chain rule', 'constant multiple']
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction

import torch

from .engine import derivatives
from .functions import FUNCTIONS
from .parse import parse
from .tree import (
    Binary,
    Call,
    Constant,
    Expression,
    Node,
    Number,
    Parameter,
    Piecewise,
    Unary,
    Variable,
    children,
    constant_exponent,
    evaluate,
    odd_root_exponent,
    real_power,
    to_text,
    walk,
)

Tensor = torch.Tensor
Pair = tuple[Tensor, Tensor]  # a node's value and its first derivative at every point

# The mistakes a wrong derivative is named by, in the order they are tried (see checking.py for the whole answer's).
MISTAKES = (
    "chain rule",
    "product rule",
    "quotient rule",
    "power rule",
    "sign",
    "constant factor",
    "antiderivative",
    "wrong order",
)

# A few functions' derivatives as a student writes them, for messages ("the derivative of cos is −sin").
DERIVATIVE_OF = {
    "sin": "cos",
    "cos": "−sin",
    "tan": "sec²",
    "cot": "−csc²",
    "sec": "sec·tan",
    "csc": "−csc·cot",
    "exp": "exp",
    "log": "1/x",
    "sqrt": "1/(2√x)",
    "asin": "1/√(1 − x²)",
    "acos": "−1/√(1 − x²)",
    "atan": "1/(1 + x²)",
    "sinh": "cosh",
    "cosh": "sinh",
    "tanh": "1 − tanh²",
}
ARITHMETIC: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "+": torch.add,
    "-": torch.sub,
    "*": torch.mul,
    "/": torch.div,
}
ROOTS = {"sqrt": 0.5, "cbrt": 1 / 3}  # functions that are powers, where the power rule's mistakes are made too
MAX_DEGREE = 12  # highest degree of an inside written out as a polynomial in a message


# ---------------------------------------------------------------------------------------------------------------------
# What kind of rule each node takes


@functools.lru_cache(maxsize=4096)
def depends(node: Node, variable: str) -> bool:
    """Whether the sub-formula uses the variable (otherwise its derivative is 0)."""
    return any(isinstance(n, Variable) and n.name == variable for n in walk(node))


def kind(node: Node, variable: str) -> str:
    """The rule that differentiates the node: constant, variable, negation, sum, constant multiple, product, quotient,
    power (a constant exponent), exponential (a constant base), general power, function (of one argument), or box
    (piecewise definitions and functions of two arguments: derivlib differentiates them whole)."""
    if not depends(node, variable):
        return "constant"
    match node:
        case Variable():
            return "variable"
        case Unary():
            return "negation"
        case Binary("+" | "-"):
            return "sum"
        case Binary("*", left, right):
            both = depends(left, variable) and depends(right, variable)
            return "product" if both else "constant multiple"
        case Binary("/", _, right):
            return "quotient" if depends(right, variable) else "constant multiple"
        case Binary("^", left, right):
            if not depends(right, variable):
                return "power"
            return "general power" if depends(left, variable) else "exponential"
        case Call(_, (_,)):
            return "function"
    return "box"


def shown(node: Node) -> str:
    """A sub-formula as a student writes it: derivlib's canonical text with a number's `*` before a name or a
    parenthesis left out.

    >>> shown(parse("cos(5x) + 2 sin(x) - x*y + x^2 sin(x)").tree)
    'cos(5x) + 2sin(x) - x*y + x^2*sin(x)'
    """
    return re.sub(r"(?<![\w.^])(\d+(?:\.\d+)?)\*(?=[A-Za-z(])", r"\1", to_text(node))


# ---------------------------------------------------------------------------------------------------------------------
# The steps of the correct derivative


def derivative_steps(expr: Expression | str) -> tuple[tuple[str, str], ...]:
    """The rules that the derivative of the formula uses, outermost first, each with the sub-formula it applies to:
    ("sum rule", …), ("product rule", …), ("quotient rule", …), ("power rule", …), ("chain rule", …),
    ("constant multiple", …), or a function's own rule ("derivative of sin", …).

    >>> for rule, part in derivative_steps("sin(x)^2 + 3x"):
    ...     print(f"{rule}: {part}")
    sum rule: sin(x)^2 + 3x
    power rule: sin(x)^2
    chain rule: sin(x)^2
    derivative of sin: sin(x)
    constant multiple: 3x
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    variable = (expr.variables or ("x",))[0]
    steps: list[tuple[str, str]] = []
    for node in _outer_nodes(expr.tree, variable):
        for rule in _rules(node, variable):
            if (rule, shown(node)) not in steps:
                steps.append((rule, shown(node)))
    if not steps:
        steps.append(("constant", shown(expr.tree)))
    return tuple(steps)


def _outer_nodes(tree: Node, variable: str) -> Iterator[Node]:
    """Every node that uses the variable, parents first, not inside a box but the box itself (and the branches of a
    piecewise definition, which are differentiated on their own)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if not depends(node, variable):
            continue
        yield node
        if isinstance(node, Piecewise):
            branches = [value for _, value in node.branches] + ([node.otherwise] if node.otherwise else [])
            stack.extend(reversed(branches))
        elif kind(node, variable) != "box":
            stack.extend(reversed(children(node)))


def inside(node: Node, variable: str) -> Node:
    """Where the chain rule looks: a function's argument, a power's base, an exponential's exponent."""
    if isinstance(node, Binary) and kind(node, variable) == "exponential":
        return node.right
    return children(node)[0]


def _plain(node: Node, variable: str) -> bool:
    """Whether the inside is the variable itself (no chain rule)."""
    return isinstance(inside(node, variable), Variable)


def _rules(node: Node, variable: str) -> list[str]:
    match kind(node, variable):
        case "sum":
            return ["sum rule"]
        case "negation" | "constant multiple":
            return ["constant multiple"]
        case "product":
            return ["product rule"]
        case "quotient":
            return ["quotient rule"]
        case "power":
            return ["power rule"] + ([] if _plain(node, variable) else ["chain rule"])
        case "exponential":
            assert isinstance(node, Binary)
            return [f"derivative of {shown(node.left)}^x"] + ([] if _plain(node, variable) else ["chain rule"])
        case "general power":
            return ["logarithmic differentiation"]
        case "function":
            assert isinstance(node, Call)
            return [f"derivative of {node.function}"] + ([] if _plain(node, variable) else ["chain rule"])
        case "box" if isinstance(node, Call):
            plain = all(isinstance(a, Variable) or not depends(a, variable) for a in node.arguments)
            return [f"derivative of {node.function}"] + ([] if plain else ["chain rule"])
        case "box":
            return ["derivative of each piece"]
    return []


# ---------------------------------------------------------------------------------------------------------------------
# The wrong forms, one record each


@dataclass(frozen=True)
class Parts:
    """What a rule at a node is computed from: the node's value, its children's (value, derivative) pairs, the outer
    derivative (f′(u) for a function, n·u^(n−1) for a power, c^v·ln c for an exponential), a power's exponent n."""

    node: Node
    value: Tensor
    kids: tuple[Pair, ...]
    outer: Tensor | None
    exponent: float | None


@dataclass(frozen=True)
class Form:
    """A common wrong form of a rule: the kinds of node it applies to (and which of them, `applies`), its derivative
    from the node's parts, and the sentence that names it for a student."""

    mistake: str
    name: str
    kinds: tuple[str, ...]
    derivative: Callable[[Parts], Tensor]
    says: Callable[[tuple[Node, ...], Forward], str]  # the message, for the sub-formulas where it is made
    applies: Callable[[Node, str], bool] = lambda node, variable: True


def _first(parts: Parts) -> Pair:
    return parts.kids[0]


def _second(parts: Parts) -> Pair:
    return parts.kids[1]


def _varying(parts: Parts) -> Tensor:
    """The derivative of a constant multiple's child that uses the variable (the other one's is the 0-d zero)."""
    (_, da), (_, db) = parts.kids
    return da if da.ndim > 0 else db


def _quotient(parts: Parts, numerator: Callable[[Pair, Pair], Tensor], square: bool = True) -> Tensor:
    a, b = parts.kids
    return numerator(a, b) / (b[0] * b[0] if square else b[0])


UV = "(uv)′ = u′v + uv′"
QUOTIENT = "(u/v)′ = (u′v − uv′)/v²"
POWER = "(uⁿ)′ = n·uⁿ⁻¹·u′"

FORMS = (
    Form(
        "chain rule",
        "inner derivative missing",
        ("function", "power", "exponential"),
        lambda p: _as_tensor(p.outer),
        lambda nodes, forward: _inner_missing(nodes, forward),
        lambda node, variable: not _plain(node, variable),
    ),
    Form(
        "product rule",
        "product of the derivatives",
        ("product",),
        lambda p: _first(p)[1] * _second(p)[1],
        lambda nodes, _: f"{_derivative_of(nodes)} not the product of the derivatives: product rule, {UV}.",
    ),
    Form(
        "product rule",
        "a term missing",
        ("product",),
        lambda p: _first(p)[1] * _second(p)[0],
        lambda nodes, _: f"A term is missing from {_derivative_of(nodes, verb=False).lower()}: product rule, {UV}.",
    ),
    Form(
        "product rule",
        "a term missing",
        ("product",),
        lambda p: _first(p)[0] * _second(p)[1],
        lambda nodes, _: f"A term is missing from {_derivative_of(nodes, verb=False).lower()}: product rule, {UV}.",
    ),
    Form(
        "quotient rule",
        "terms swapped",
        ("quotient",),
        lambda p: _quotient(p, lambda a, b: a[0] * b[1] - a[1] * b[0]),
        lambda nodes, _: f"The terms of the quotient rule for {_part(nodes)} are the wrong way round: {QUOTIENT}.",
    ),
    Form(
        "quotient rule",
        "terms added",
        ("quotient",),
        lambda p: _quotient(p, lambda a, b: a[1] * b[0] + a[0] * b[1]),
        lambda nodes, _: f"The quotient rule for {_part(nodes)} subtracts its terms, not adds them: {QUOTIENT}.",
    ),
    Form(
        "quotient rule",
        "denominator not squared",
        ("quotient",),
        lambda p: _quotient(p, lambda a, b: a[1] * b[0] - a[0] * b[1], square=False),
        lambda nodes, _: f"The denominator in the quotient rule for {_part(nodes)} is squared: {QUOTIENT}.",
    ),
    Form(
        "quotient rule",
        "quotient of the derivatives",
        ("quotient",),
        lambda p: _first(p)[1] / _second(p)[1],
        lambda nodes, _: f"{_derivative_of(nodes)} not the quotient of the derivatives: quotient rule, {QUOTIENT}.",
    ),
    Form(
        "power rule",
        "exponent kept",
        ("power", "function"),
        lambda p: _exponent(p) * p.value * _first(p)[1],
        lambda nodes, _: _exponent_kept(nodes),
        lambda node, variable: isinstance(node, Binary) or (isinstance(node, Call) and node.function in ROOTS),
    ),
    Form(
        "power rule",
        "exponent not brought down",
        ("power",),
        lambda p: _as_tensor(p.outer) / _exponent(p) * _first(p)[1],
        lambda nodes, _: _exponent_not_brought_down(nodes),
    ),
    Form(
        "power rule",
        "exponential taken for a power",
        ("exponential",),
        lambda p: _second(p)[0] * torch.pow(_first(p)[0], _second(p)[0] - 1) * _second(p)[1],
        lambda nodes, _: _exponential(nodes),
    ),
    Form(
        "sign",
        "sign of a function's derivative",
        ("function",),
        lambda p: -_as_tensor(p.outer) * _first(p)[1],
        lambda nodes, _: _function_sign(nodes),
    ),
    Form(
        "sign",
        "difference added",
        ("sum",),
        lambda p: _first(p)[1] + _second(p)[1],
        lambda nodes, _: (
            f"In {_part(nodes)} the second term is subtracted, so its derivative is subtracted too: the sign is wrong."
        ),
        lambda node, variable: isinstance(node, Binary) and node.op == "-" and depends(node.right, variable),
    ),
    Form(
        "sign",
        "minus sign dropped",
        ("negation",),
        lambda p: _first(p)[1],
        lambda nodes, _: f"The minus sign of {_part(nodes)} is missing from the derivative: the sign is wrong.",
    ),
    Form(
        "constant factor",
        "constant dropped",
        ("constant multiple",),
        lambda p: _varying(p),
        lambda nodes, forward: _constant_dropped(nodes, forward.variable),
    ),
)


def _as_tensor(value: Tensor | None) -> Tensor:
    assert value is not None  # every kind that a form with an outer derivative applies to has one
    return value


def _exponent(parts: Parts) -> float:
    if isinstance(parts.node, Call):
        return ROOTS[parts.node.function]
    assert parts.exponent is not None
    return parts.exponent


@dataclass(frozen=True)
class Slip:
    """A mistake model: the wrong form `form` of a rule at the sub-formulas `nodes` (one, or every one it applies
    to), the rest of the derivative right."""

    form: Form
    nodes: tuple[Node, ...]

    @property
    def mistake(self) -> str:
        return self.form.mistake


def slips(tree: Node, variable: str) -> list[Slip]:
    """Every mistake model of the formula's first derivative, in the order they are tried: by mistake (as in
    MISTAKES), then form (as in FORMS), each sub-formula outermost first, then every place at once."""
    nodes = list(dict.fromkeys(_outer_nodes(tree, variable)))
    found = []
    for mistake in MISTAKES:
        for form in (f for f in FORMS if f.mistake == mistake):
            sites = [n for n in nodes if kind(n, variable) in form.kinds and form.applies(n, variable)]
            found += [Slip(form, (site,)) for site in sites]
            if len(sites) > 1:
                found.append(Slip(form, tuple(sites)))
    return found


# ---------------------------------------------------------------------------------------------------------------------
# Forward mode over the tree


@functools.lru_cache(maxsize=128)
def _function_of_x(name: str) -> Expression:
    return Expression(Call(name, (Variable("x"),)))


class Forward:
    """(value, first derivative) of every node of the tree at the points, by the rules above; `derivative(slip)` the
    first derivative with a wrong form at the slip's sub-formulas.

    >>> x = torch.tensor([0.0, 1.0], dtype=torch.float64)
    >>> f = Forward(parse("cos(5x)").tree, "x", {"x": x})
    >>> f.derivative().tolist(), f.derivative(slips(f.tree, "x")[0]).tolist()   # −5 sin 5x; the chain rule's slip
    ([-0.0, 4.794621373315692], [-0.0, 0.9589242746631385])
    """

    def __init__(self, tree: Node, variable: str, values: Mapping[str, Tensor]) -> None:
        self.tree: Node = tree
        self.variable: str = variable
        self.values = values
        self.x = values[variable]
        self.pairs: dict[Node, Pair] = {}
        self.outer: dict[Node, Tensor] = {}
        self.exponents: dict[Node, float] = {}  # a power's constant exponent
        self._pair(tree)

    def derivative(self, slip: Slip | None = None) -> Tensor:
        """The first derivative at the points (all of them, a constant broadcast), with `slip`'s wrong form."""
        if slip is None:
            return self.pairs[self.tree][1].expand_as(self.x)
        return self._slipped(self.tree, slip, {}).expand_as(self.x)

    def _slipped(self, node: Node, slip: Slip, done: dict[Node, Tensor]) -> Tensor:
        """The node's derivative with the slip's wrong form: computed again only at and above the slip's nodes."""
        if node not in done:
            right = self.pairs[node][1]
            done[node] = right
            wrong = node in slip.nodes
            if wrong or kind(node, self.variable) not in ("box", "constant"):
                kids = children(node)
                found = [self._slipped(kid, slip, done) for kid in kids]
                if wrong or any(d is not self.pairs[kid][1] for kid, d in zip(kids, found, strict=True)):
                    pairs = tuple((self.pairs[kid][0], d) for kid, d in zip(kids, found, strict=True))
                    parts = Parts(node, self.pairs[node][0], pairs, self.outer.get(node), self.exponents.get(node))
                    done[node] = slip.form.derivative(parts) if wrong else self._rule(parts)
        return done[node]

    def _pair(self, node: Node) -> Pair:
        if node in self.pairs:
            return self.pairs[node]
        rule = kind(node, self.variable)
        if rule == "constant":
            value = evaluate(node, self.values, self.x)
            pair = (value, torch.zeros((), dtype=self.x.dtype))
        elif rule == "box":
            pair = self._box(node)
        else:
            kids = tuple(self._pair(kid) for kid in children(node))
            value = self._value(node, kids)
            outer = self._outer(node, kids, value)
            if outer is not None:
                self.outer[node] = outer
            if rule == "power":
                self.exponents[node] = float(kids[1][0])
            parts = Parts(node, value, kids, outer, self.exponents.get(node))
            pair = (value, self._rule(parts))
        self.pairs[node] = pair
        return pair

    def _box(self, node: Node) -> Pair:
        """A piecewise definition or a function of two arguments, differentiated whole by derivlib."""
        expr = Expression(node)
        params = {name: float(self.values[name]) for name in expr.parameters}
        rows = derivatives(expr, self.x, order=1, params=params)
        return rows[0], rows[1]

    def _value(self, node: Node, kids: tuple[Pair, ...]) -> Tensor:
        """The node's value from its children's, as tree.evaluate computes it."""
        match node:
            case Variable():
                return self.x
            case Unary():
                return -kids[0][0]
            case Binary("^", _, right) if (fraction := odd_root_exponent(right)) is not None:
                return real_power(kids[0][0], *fraction)
            case Binary("^"):
                base, exponent = kids[0][0], kids[1][0]
                return torch.pow(base, float(exponent)) if exponent.ndim == 0 else torch.pow(base, exponent)
            case Binary(op):
                return ARITHMETIC[op](kids[0][0], kids[1][0])
            case Call(function):
                return FUNCTIONS[function].torch(kids[0][0])
        raise TypeError(f"no forward rule for {node!r}")

    def _outer(self, node: Node, kids: tuple[Pair, ...], value: Tensor) -> Tensor | None:
        """The outer derivative: f′(u) for a function (derivlib's own), n·u^(n−1) for a power, c^v·ln c for an
        exponential."""
        match kind(node, self.variable), node:
            case "function", Call(function):
                u = kids[0][0].expand_as(self.x)
                return derivatives(_function_of_x(function), u, order=1)[1]
            case "power", Binary(_, _, right):
                if (fraction := odd_root_exponent(right)) is not None:
                    p, q = fraction
                    return p / q * real_power(kids[0][0], p - q, q)
                n = float(kids[1][0])
                return n * torch.pow(kids[0][0], n - 1)
            case "exponential", Binary():
                return value * torch.log(kids[0][0])
        return None

    def _rule(self, p: Parts) -> Tensor:
        """The node's derivative by its (right) rule, from its parts."""
        match kind(p.node, self.variable), p.node:
            case "variable", _:
                return torch.ones_like(self.x)
            case "negation", _:
                return -p.kids[0][1]
            case "sum", Binary(op):
                return p.kids[0][1] + p.kids[1][1] if op == "+" else p.kids[0][1] - p.kids[1][1]
            case "constant multiple", Binary("*"):
                (a, da), (b, db) = p.kids
                return a * db if da.ndim == 0 else da * b
            case "constant multiple", Binary("/"):
                return p.kids[0][1] / p.kids[1][0]
            case "product", _:
                (a, da), (b, db) = p.kids
                return da * b + a * db
            case "quotient", _:
                (a, da), (b, db) = p.kids
                return (da * b - a * db) / (b * b)
            case "power" | "function", _:
                return _as_tensor(p.outer) * p.kids[0][1]
            case "exponential", _:
                return _as_tensor(p.outer) * p.kids[1][1]
            case "general power", _:
                (u, du), (v, dv) = p.kids
                return p.value * (dv * torch.log(u) + v * du / u)
        raise TypeError(f"no forward rule for {p.node!r}")


# ---------------------------------------------------------------------------------------------------------------------
# Messages


def message(slip: Slip, forward: Forward) -> str:
    """One sentence for a student that names the wrong form and the sub-formula where it is made."""
    return slip.form.says(slip.nodes, forward)


def _part(nodes: tuple[Node, ...]) -> str:
    return _listed([shown(node) for node in nodes])


def _derivative_of(nodes: tuple[Node, ...], verb: bool = True, has: bool = False) -> str:
    """Say 'The derivative of A is' or 'The derivatives of A and B are' (has: 'has', 'have'; no verb: neither)."""
    one = len(nodes) == 1
    text = f"The derivative{'' if one else 's'} of {_part(nodes)}"
    if not verb:
        return text
    return f"{text} {('has' if one else 'have') if has else ('is' if one else 'are')}"


def _inner_missing(nodes: tuple[Node, ...], forward: Forward) -> str:
    if len(nodes) > 1:
        return f"The derivatives of the insides of {_part(nodes)} are missing: chain rule."
    inner = inside(nodes[0], forward.variable)
    derivative = inner_derivative_text(inner, forward)
    if derivative:
        return f"The derivative of the inside, {derivative} for {_part(nodes)}, is missing: chain rule."
    return f"The derivative of the inside of {_part(nodes)}, {shown(inner)}, is missing: chain rule."


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _exponent_kept(nodes: tuple[Node, ...]) -> str:
    node, part = nodes[0], _part(nodes)
    if len(nodes) > 1:
        return f"In the derivatives of {part} the exponents are lowered by one: power rule, {POWER}."
    if isinstance(node, Call):  # sqrt, cbrt
        exponent = nice_number(ROOTS[node.function])
        return f"{part} is a power with the exponent {exponent}, which the power rule lowers by one: {POWER}."
    n = constant_exponent(node.right) if isinstance(node, Binary) else None
    if isinstance(node, Binary) and isinstance(node.left, Variable) and n is not None:
        right, wrong = _monomial(n, node.left, n - 1), _monomial(n, node.left, n)
        return f"The power rule lowers the exponent by one: the derivative of {part} is {right}, not {wrong}."
    return f"In the derivative of {part} the exponent is lowered by one: power rule, {POWER}."


def _exponent_not_brought_down(nodes: tuple[Node, ...]) -> str:
    node, part = nodes[0], _part(nodes)
    if len(nodes) > 1:
        return f"The exponents of {part} come down as factors: power rule, {POWER}."
    n = constant_exponent(node.right) if isinstance(node, Binary) else None
    if isinstance(node, Binary) and isinstance(node.left, Variable) and n is not None:
        right, wrong = _monomial(n, node.left, n - 1), _monomial(1.0, node.left, n - 1)
        return f"The exponent comes down as a factor: the derivative of {part} is {right}, not {wrong} (power rule)."
    return f"The exponent of {part} comes down as a factor: power rule, {POWER}."


def _exponential(nodes: tuple[Node, ...]) -> str:
    node = nodes[0]
    assert isinstance(node, Binary)
    base = shown(node.left)
    own = "e^u·u′" if node.left == Constant("e") else f"{base}^u·ln({base})·u′"
    return (
        f"{_part(nodes)} is an exponential, not a power: the power rule does not apply, and the derivative of "
        f"{base}^u is {own}."
    )


def _function_sign(nodes: tuple[Node, ...]) -> str:
    names = {node.function for node in nodes if isinstance(node, Call)}
    known = [f"the derivative of {name} is {DERIVATIVE_OF[name]}" for name in sorted(names) if name in DERIVATIVE_OF]
    wrong = f"{_derivative_of(nodes, has=True)} the wrong sign"
    return f"{wrong}: {_listed(known)}." if known else f"{wrong}."


def _constant_dropped(nodes: tuple[Node, ...], variable: str) -> str:
    factors = _listed([_constant_factor(node, variable) for node in nodes])
    if len(nodes) > 1:
        return f"The constant factors {factors} of {_part(nodes)} are missing from the derivative."
    return f"The constant factor {factors} of {_part(nodes)} is missing from the derivative."


def _constant_factor(node: Node, variable: str) -> str:
    """The constant of a constant multiple as a factor: 5 for 5x^2, 1/7 for x^2/7."""
    assert isinstance(node, Binary)
    constant = node.left if node.op == "*" and not depends(node.left, variable) else node.right
    text = shown(constant)
    if node.op == "*":
        return text
    return f"1/{text}" if isinstance(constant, Number | Constant | Parameter) else f"1/({text})"


def _monomial(coefficient: float, base: Node, exponent: float) -> str:
    """c·x^k as a student writes it: 3x^2, x, 1, -x^3, 0.5x^-0.5."""
    if exponent == 0:
        return nice_number(coefficient)
    if coefficient < 0:
        return "-" + _monomial(-coefficient, base, exponent)
    power = base if exponent == 1 else Binary("^", base, Number(float(exponent)))
    return shown(power) if coefficient == 1 else shown(Binary("*", Number(float(coefficient)), power))


def nice_number(value: float) -> str:
    """A number as a student writes it: 5, -2, 1/2, 2/3, 0.3183 (a simple fraction where it is one, else 4 figures).

    >>> [nice_number(v) for v in (5.0, -0.5, 2 / 3, 1 / math.pi, 1e-20, 2.5e20)]
    ['5', '-1/2', '2/3', '0.3183', '1e-20', '2.5e+20']
    """
    if value == 0 or not math.isfinite(value):
        return str(value + 0.0)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    fraction = Fraction(value).limit_denominator(12)
    if fraction.denominator > 1 and abs(float(fraction) - value) <= 1e-12 * abs(value):
        return str(fraction)
    return f"{value:.4g}"


def inner_derivative_text(inner: Node, forward: Forward) -> str:
    """The derivative of an inside as a student writes it: a number when it is constant (5 for 5x), a polynomial when
    the inside is one (2x for x^2 + 1), the constant of c·x (b for b*x), else "" (the message then names the inside
    instead)."""
    match inner:
        case Binary("*", Variable(), factor) | Binary("*", factor, Variable()) if not depends(factor, forward.variable):
            return shown(factor)
        case Binary("/", Variable(), divisor) if not depends(divisor, forward.variable):
            return _constant_factor(inner, forward.variable)
    if inner in forward.pairs:
        derivative = forward.pairs[inner][1]
        finite = derivative[torch.isfinite(derivative)] if derivative.ndim else derivative.reshape(1)
        if len(finite) and bool(torch.all(torch.abs(finite - finite[0]) <= 1e-12 * torch.abs(finite[0]))):
            return nice_number(float(finite[0]))
    coefficients = polynomial(inner, forward.variable)
    if coefficients is None:
        return ""
    slope = {k - 1: k * c for k, c in coefficients.items() if k > 0 and c != 0}
    return polynomial_text(slope, Variable(forward.variable))


def polynomial(node: Node, variable: str) -> dict[int, float] | None:
    """The coefficients {degree: c} of a sub-formula that is a polynomial in the variable (numbers only, degree at
    most MAX_DEGREE), else None.

    >>> polynomial(parse("3x^2 - (x + 1)/2").tree, "x")
    {2: 3.0, 1: -0.5, 0: -0.5}
    """
    match node:
        case Number(value):
            return {0: value}
        case Variable(name):
            return {1: 1.0} if name == variable else None
        case Unary(_, operand):
            inner = polynomial(operand, variable)
            return None if inner is None else {k: -c for k, c in inner.items()}
        case Binary("+" | "-" as op, left, right):
            a, b = polynomial(left, variable), polynomial(right, variable)
            if a is None or b is None:
                return None
            sign = 1.0 if op == "+" else -1.0
            return {k: a.get(k, 0.0) + sign * b.get(k, 0.0) for k in sorted({*a, *b}, reverse=True)}
        case Binary("*", left, right):
            a, b = polynomial(left, variable), polynomial(right, variable)
            return None if a is None or b is None else _times(a, b)
        case Binary("/", left, Number(value)) if value != 0:
            a = polynomial(left, variable)
            return None if a is None else {k: c / value for k, c in a.items()}
        case Binary("^", left, Number(value)) if value.is_integer() and 0 <= value <= MAX_DEGREE:
            a = polynomial(left, variable)
            result: dict[int, float] | None = {0: 1.0}
            for _ in range(int(value)):
                result = None if a is None or result is None else _times(result, a)
            return result
    return None


def _times(a: dict[int, float], b: dict[int, float]) -> dict[int, float] | None:
    product: dict[int, float] = {}
    for i, c in a.items():
        for j, d in b.items():
            product[i + j] = product.get(i + j, 0.0) + c * d
    if max(product, default=0) > MAX_DEGREE:
        return None
    return dict(sorted(product.items(), reverse=True))


def polynomial_text(coefficients: Mapping[int, float], variable: Node) -> str:
    """A polynomial {degree: c} as a student writes it, highest degree first: 6x - 2, -x^2 + 1, 0.

    >>> polynomial_text({2: -1.0, 0: 1.0}, Variable("x")), polynomial_text({1: 6.0, 0: -2.0}, Variable("x"))
    ('-x^2 + 1', '6x - 2')
    """
    terms = [(k, c) for k, c in sorted(coefficients.items(), reverse=True) if c != 0]
    if not terms:
        return "0"
    text = _monomial(terms[0][1], variable, terms[0][0])
    for k, c in terms[1:]:
        text += (" - " if c < 0 else " + ") + _monomial(abs(c), variable, k)
    return text
