"""Exercises in differentiation by hand: a formula by topic and level, the same for the same seed.

Each exercise is put together from the language's function records (functions.py: a name is used only if it is a
record), from the functions a student differentiates by hand, with small whole-number coefficients and powers; no
formula is taken from a fixed list. TOPIC_FUNCTIONS says which functions each topic may use and from which level on;
the shapes (a power of a linear term, a function of a quadratic, a product of two functions …) are chosen by level.

Each exercise comes with the range of x to check it on: the first of RANGES on which its derivative is defined and
not huge almost everywhere, so that ln x is checked on 0 … 5 and e^(3x) on -2 … 2 rather than where the chart would
be one spike.

>>> first = exercise("chain", 1, seed=7)
>>> first == exercise("chain", 1, seed=7), first.topic, first.level
(True, 'chain', 1)
>>> len(exercise_set("product", 2, seed=3, count=5))
5

A class set is `topic`, `level`, `seed` and `count`: `exercise_set(topic, level, seed, count)` gives the same
exercises to everyone who opens it (the practice page's link carries these four).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engine import derivatives
from .errors import ExpressionError
from .functions import FUNCTIONS
from .parse import parse
from .table import grid
from .tree import Binary, Call, Node, Number, Unary, Variable, to_text

TOPICS = ("power", "chain", "product", "quotient", "trigonometric", "exponential and logarithmic", "mixed")
LEVELS = (1, 2, 3)
MAX_SEED = 10**9  # seeds go from 0 to this, exclusive: a link stays short
MAX_COUNT = 20  # exercises in one set
MAX_NODES = 24  # parts of an exercise's tree: more is not a by-hand exercise (a test checks every topic and level)

# Which functions each topic may use, and from which level on. Every name is a record of functions.py, and each is
# one a student differentiates by hand; "mixed" may use whatever the others use at its level.
TOPIC_FUNCTIONS: dict[str, dict[str, int]] = {
    "power": {"sqrt": 3},
    "chain": {"sin": 1, "cos": 1, "exp": 1, "log": 2, "sqrt": 2, "tan": 2},
    "product": {"sin": 1, "cos": 1, "exp": 1, "log": 1, "sqrt": 3},
    "quotient": {"sin": 1, "cos": 1, "exp": 2, "log": 2},
    "trigonometric": {"sin": 1, "cos": 1, "tan": 1, "sec": 2, "csc": 2, "cot": 2, "asin": 3, "acos": 3, "atan": 3},
    "exponential and logarithmic": {"exp": 1, "log": 1},
}

# The ranges an exercise may be checked on, in the order they are tried; the first where its derivative is defined
# on FINITE_SHARE of RANGE_POINTS points and within LARGEST at TYPICAL_SHARE of them is the exercise's.
RANGES = ((-5.0, 5.0), (0.0, 5.0), (-2.0, 2.0), (0.0, 2.0), (1.0, 5.0), (-1.0, 1.0))
RANGE_POINTS = 201
FINITE_SHARE = 0.9
TYPICAL_SHARE = 0.9
LARGEST = 1e4

X = Variable("x")


@dataclass(frozen=True)
class Exercise:
    """One exercise: the formula to differentiate as it is shown and typed, what made it, and the range of x its
    answer is checked on."""

    text: str
    topic: str
    level: int
    seed: int
    x: tuple[float, float] = (-5.0, 5.0)


def allowed(topic: str, level: int) -> tuple[str, ...]:
    """The functions a topic's exercises may use at a level (for "mixed", those of every other topic).

    >>> allowed("trigonometric", 1)
    ('sin', 'cos', 'tan')
    """
    check(topic, level, 0)
    topics = [t for t in TOPIC_FUNCTIONS if topic in (t, "mixed")]
    names = {name: None for t in topics for name, first in TOPIC_FUNCTIONS[t].items() if first <= level}
    return tuple(FUNCTIONS[name].name for name in names)  # a name that is no record fails here, loudly


def check(topic: str, level: int, seed: int, count: int = 1) -> None:
    """ValueError, with what would be right, for a topic, level, seed or count that makes no exercise."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}: the topics are {', '.join(TOPICS)}")
    if level not in LEVELS:
        raise ValueError(f"the levels are {', '.join(map(str, LEVELS))}, not {level!r}")
    if not (isinstance(seed, int) and 0 <= seed < MAX_SEED):
        raise ValueError(f"a seed is a whole number from 0 to {MAX_SEED - 1:,}, not {seed!r}")
    if not (isinstance(count, int) and 1 <= count <= MAX_COUNT):
        raise ValueError(f"a set holds 1 to {MAX_COUNT} exercises, not {count!r}")


def exercise(topic: str, level: int, seed: int) -> Exercise:
    """The exercise of this topic and level for this seed: always the same one.

    >>> exercise("power", 1, seed=0).text, exercise("chain", 1, seed=0).text
    ('x^5 - 5x^4', 'sin(5x)')
    """
    check(topic, level, seed)
    rng = random.Random(f"derivlib exercise/{topic}/{level}/{seed}")  # a text seed: the same on every machine
    shape = topic if topic != "mixed" else rng.choice(TOPICS[:-1])
    tree = SHAPES[shape](rng, level, allowed(shape, level))
    text = readable(tree)
    return Exercise(text, topic, level, seed, practice_range(text))


def exercise_set(topic: str, level: int, seed: int, count: int) -> tuple[Exercise, ...]:
    """`count` different exercises of a topic and level: those of seeds seed, seed + 1 … that differ from the ones
    before (each keeps its own seed, so each can be opened alone).

    >>> [e.seed for e in exercise_set("chain", 2, seed=40, count=3)][0]
    40
    """
    check(topic, level, seed, count)
    found: dict[str, Exercise] = {}
    for next_seed in range(seed, min(seed + 20 * count, MAX_SEED)):
        if len(found) == count:
            break
        item = exercise(topic, level, next_seed)
        found.setdefault(item.text, item)
    return tuple(found.values())


def practice_range(text: str) -> tuple[float, float]:
    """The range of x to check an answer for this formula's derivative on: the first of RANGES where the derivative
    is defined almost everywhere and not huge (ln x: 0 … 5; e^(3x): -2 … 2); where none is, the one that comes
    closest.

    >>> practice_range("sin(x)"), practice_range("ln(x)"), practice_range("asin(x)")
    ((-5.0, 5.0), (0.0, 5.0), (-1.0, 1.0))
    """
    expr = parse(text)
    shares = []
    for low, high in RANGES:
        slope = derivatives(expr, grid(low, high, RANGE_POINTS), order=1)[1].numpy()
        finite = np.isfinite(slope)
        typical = finite & (np.abs(np.where(finite, slope, 0.0)) <= LARGEST)
        if finite.mean() >= FINITE_SHARE and typical.mean() >= TYPICAL_SHARE:
            return low, high
        shares.append(min(finite.mean() / FINITE_SHARE, typical.mean() / TYPICAL_SHARE))
    return RANGES[int(np.argmax(shares))]


def readable(tree: Node) -> str:
    """The tree's text as a student writes it: 3x^2, 2 sin(3x) and x ln(x) rather than 3*x^2, 2*sin(3*x) and
    x*log(x). It parses back to the same formula (checked here; the canonical text where it would not).

    >>> readable(Binary("*", Number(2.0), Call("log", (X,)))), readable(Binary("*", Number(3.0), power(X, 2)))
    ('2 ln(x)', '3x^2')
    """
    canonical = to_text(tree)
    text = _written(tree)
    try:
        return text if parse(text).tree == parse(canonical).tree else canonical
    except ExpressionError:
        return canonical


def _written(node: Node) -> str:
    """tree.to_text's parentheses, with a product written as juxtaposition and log as ln."""
    match node:
        case Call(function, arguments):
            return f"{WRITTEN.get(function, function)}({', '.join(map(_written, arguments))})"
        case Unary(op, operand):
            inner = _written(operand)
            return f"{op}({inner})" if _binds(operand) < _binds(node) else f"{op}{inner}"
        case Binary("^", left, right):
            base, exponent = _written(left), _written(right)
            base = f"({base})" if _binds(left) <= _binds(node) else base
            return f"{base}^{exponent}" if _binds(right) == ATOM else f"{base}^({exponent})"  # 2^(x^2), not 2^x^2
        case Binary(op, left, right):
            a, b = _written(left), _written(right)
            a = f"({a})" if _binds(left) < _binds(node) else a
            b = f"({b})" if _binds(right) <= _binds(node) or isinstance(right, Unary) else b
            if op in "+-":
                return f"{a} {op} {b}"
            if op == "/":
                return f"{a}/{b}"
            number_first = isinstance(left, Number) or (isinstance(left, Unary) and isinstance(left.operand, Number))
            if b[0].isdigit():  # 3*4^x: two numbers side by side would read as one
                return f"{a}*{b}"
            return f"{a}{b}" if number_first and b[0] in "x(" else f"{a} {b}"  # 3x^2, 2(x + 1); 2 sin(x), x ln(x)
    return to_text(node)


WRITTEN = {"log": "ln"}  # how a record's name is written in an exercise, where textbooks write it otherwise


UNARY, ATOM = 3, 5  # how tightly a unary minus binds, between × ÷ (2) and ^ (4); a number, name or call


def _binds(node: Node) -> int:
    """How tightly a node binds (tree.to_text's order): + −, then × ÷, then unary −, then ^, then atoms."""
    if isinstance(node, Binary):
        return {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}[node.op]
    return UNARY if isinstance(node, Unary) else ATOM


# ---------------------------------------------------------------------------------------------------------------------
# Building blocks: small whole numbers, sums with their signs, powers and calls of records


def number(value: float) -> Number:
    return Number(float(value))


def nonzero(rng: random.Random, largest: int) -> int:
    """A whole number from -largest to largest, not 0."""
    return rng.choice([k for k in range(-largest, largest + 1) if k])


def times(c: int, node: Node) -> Node:
    """c·node for c > 0, written without the 1."""
    return node if c == 1 else Binary("*", number(c), node)


def total(*terms: tuple[int, Node | None]) -> Node:
    """c₁·t₁ ± c₂·t₂ …, each term's sign as a + or a −, no 1· and no 0 terms; None stands for the number 1."""
    out: Node | None = None
    for c, node in terms:
        if c == 0:
            continue
        piece = number(abs(c)) if node is None else times(abs(c), node)
        if out is None:
            if c > 0:
                out = piece
            elif node is None or abs(c) == 1:
                out = Unary("-", piece)
            else:
                out = Binary("*", Unary("-", number(abs(c))), node)
        else:
            out = Binary("+" if c > 0 else "-", out, piece)
    return out if out is not None else number(0)


def power(base: Node, p: int, q: int = 1) -> Node:
    """base^(p/q), written as base for 1 and as base^p for whole p."""
    if q == 1:
        return base if p == 1 else Binary("^", base, number(p))
    return Binary("^", base, Binary("/", number(p) if p > 0 else Unary("-", number(-p)), number(q)))


def call(name: str, argument: Node) -> Call:
    return Call(FUNCTIONS[name].name, (argument,))  # a record, or a KeyError


def linear(rng: random.Random, *, shift: float = 0.6) -> Node:
    """ax + b with a from 2 to 5; b from -4 to 4 (with probability `shift`), or no b."""
    return total((rng.randint(2, 5), X), (nonzero(rng, 4) if rng.random() < shift else 0, None))


def gentle(rng: random.Random) -> Node:
    """kx for an exponential: k from -2 to 3, so that e^(kx) stays on the chart over a few units of x."""
    k = rng.choice([-2, -1, 2, 3])
    return Unary("-", X) if k == -1 else Binary("*", Unary("-", number(2)), X) if k == -2 else times(k, X)


def positive_quadratic(rng: random.Random) -> Node:
    """x² + k with k from 1 to 4: positive everywhere, for ln and √."""
    return total((1, power(X, 2)), (rng.randint(1, 4), None))


def quadratic(rng: random.Random) -> Node:
    """x², ax², x² + k or x² ± bx: what a chain rule takes inside at level 2."""
    return rng.choice(
        [
            power(X, 2),
            times(rng.randint(2, 3), power(X, 2)),
            positive_quadratic(rng),
            total((1, power(X, 2)), (nonzero(rng, 3), X)),
        ]
    )


def of(name: str, rng: random.Random, inner: Node | None = None) -> Node:
    """name(inner), inner x² + k where the function needs a positive argument (ln, √) and none is given."""
    if name in ("log", "sqrt") and inner is None:
        inner = positive_quadratic(rng)
    return call(name, X if inner is None else inner)


def among(rng: random.Random, names: tuple[str, ...], *wanted: str) -> str:
    """One of the wanted functions that the topic allows at this level (any allowed one where none is wanted)."""
    usable = [name for name in names if name in wanted] or list(names)
    return rng.choice(usable)


def two_of(rng: random.Random, names: tuple[str, ...], *wanted: str) -> tuple[str, str]:
    usable = [name for name in names if name in wanted] or list(names)
    first, second = rng.sample(usable, 2) if len(usable) > 1 else (usable[0], usable[0])
    return first, second


# ---------------------------------------------------------------------------------------------------------------------
# The shapes of each topic, by level: each takes the random source, the level and the functions allowed


def power_rule(rng: random.Random, level: int, names: tuple[str, ...]) -> Node:
    """3x⁴ − 2x + 7; 4x³ − 5/x²; 6x^(2/3) + 4√x."""
    n = rng.randint(2, 6)
    if level == 1:
        lower = power(X, rng.randint(1, n - 1))
        return total((nonzero(rng, 5), power(X, n)), (nonzero(rng, 5), lower), (rng.choice([0, nonzero(rng, 9)]), None))
    if level == 2:
        c = nonzero(rng, 5)
        over = Binary("/", number(abs(c)), power(X, rng.randint(1, 3)))
        return total((nonzero(rng, 5), power(X, n)), (1 if c > 0 else -1, over), (rng.choice([0, nonzero(rng, 4)]), X))
    q = rng.choice([2, 3])
    p = rng.choice([k for k in range(-4, 8) if k and k % q])
    c = nonzero(rng, 5)
    if "sqrt" in names and rng.random() < 0.5:
        return total((rng.randint(1, 6), power(X, p, q)), (c, of("sqrt", rng, X)))
    return total((rng.randint(1, 6), power(X, p, q)), (1 if c > 0 else -1, Binary("/", number(abs(c)), X)))


def chain_rule(rng: random.Random, level: int, names: tuple[str, ...]) -> Node:
    """(2x + 1)⁵, sin(4x); cos(x² + 1), √(x² + 3); sin(3x)⁴, e^(cos 2x)."""
    if level == 1:
        if rng.random() < 0.4:
            return power(linear(rng, shift=1), rng.randint(2, 5))
        name = among(rng, names, "sin", "cos", "exp")
        return times(rng.randint(1, 3), of(name, rng, gentle(rng) if name == "exp" else linear(rng)))
    if level == 2:
        choice = rng.random()
        if choice < 0.25:
            return power(positive_quadratic(rng), rng.randint(2, 4))
        name = among(rng, names, "sin", "cos", "exp", "log", "sqrt", "tan")
        if name in ("log", "sqrt"):
            return of(name, rng, positive_quadratic(rng) if choice < 0.7 else linear(rng))
        return of(name, rng, quadratic(rng) if name != "tan" else linear(rng, shift=0))
    if rng.random() < 0.5:  # a power of a function: sin(3x)^4, tan(2x)^2, ln(x^2 + 1)^3, sqrt(x^2 + 2)^3
        name = among(rng, names, "sin", "cos", "tan", "log", "sqrt")
        inner = of(name, rng, linear(rng, shift=0) if name not in ("log", "sqrt") else None)
        return power(inner, 3 if name == "sqrt" else rng.randint(2, 4))  # an even power of a root is no root
    inner_name = among(rng, names, "sin", "cos", "exp", "log", "sqrt")  # not tan: its poles would crowd the chart
    inner = of(inner_name, rng, {"exp": gentle(rng), "log": None, "sqrt": None}.get(inner_name, linear(rng, shift=0)))
    outer = among(rng, tuple(name for name in names if name != inner_name), "sin", "cos", "exp")
    return of(outer, rng, inner)


def product_rule(rng: random.Random, level: int, names: tuple[str, ...]) -> Node:
    """x² sin(x), 3x ln(x); (2x + 1) eˣ, eˣ cos(x); x³ e^(2x) sin(x), x² ln(x² + 1)."""
    n = rng.randint(1, 3)
    if level == 1:
        factor = rng.choice([power(X, rng.randint(1, 4)), times(rng.randint(2, 5), power(X, n)), linear(rng, shift=1)])
        return Binary("*", factor, call(among(rng, names, "sin", "cos", "exp", "log"), X))
    if level == 2:
        if rng.random() < 0.5:
            return Binary("*", linear(rng), call(among(rng, names, "sin", "cos", "exp", "log"), X))
        first, second = two_of(rng, names, "sin", "cos", "exp", "log")
        return Binary("*", call(first, X), call(second, X))
    if rng.random() < 0.5:
        first, second = two_of(rng, names, "sin", "cos", "exp")
        return Binary("*", Binary("*", power(X, n), call(first, X)), call(second, X))
    name = among(rng, names, "sin", "cos", "exp", "log", "sqrt")
    inner = (
        positive_quadratic(rng) if name in ("log", "sqrt") else gentle(rng) if name == "exp" else linear(rng, shift=0)
    )
    return Binary("*", power(X, n), call(name, inner))


def quotient_rule(rng: random.Random, level: int, names: tuple[str, ...]) -> Node:
    """(2x + 1)/(x − 3), sin(x)/x; x²/(x² + 1), eˣ/(x² + 2); sin(2x)/(2 + cos x), ln(x)/x²."""
    if level == 1:
        if rng.random() < 0.5:
            a, c = rng.randint(1, 4), rng.randint(1, 4)
            b, d = nonzero(rng, 4), nonzero(rng, 4)
            d = d if a * d != b * c else d + 1 if d != -1 else 2  # not a constant in disguise
            return Binary("/", total((a, X), (b, None)), total((c, X), (d, None)))
        top = times(rng.randint(1, 3), call(among(rng, names, "sin", "cos"), X))
        bottom = rng.choice([power(X, rng.randint(1, 2)), total((1, X), (nonzero(rng, 3), None))])
        return Binary("/", top, bottom)
    if level == 2:
        top = rng.choice(
            [
                times(rng.randint(1, 3), power(X, rng.randint(1, 3))),
                call(among(rng, names, "sin", "cos", "exp"), X),
                total((1, power(X, 2)), (-rng.randint(1, 4), None)),
            ]
        )
        return Binary("/", top, positive_quadratic(rng))
    if rng.random() < 0.5:
        top_name = among(rng, names, "sin", "cos", "exp")
        bottom = total((rng.randint(2, 3), None), (1, call(among(rng, names, "sin", "cos"), X)))
        return Binary("/", call(top_name, gentle(rng) if top_name == "exp" else linear(rng, shift=0)), bottom)
    name = among(rng, names, "log", "exp")
    top = call(name, X if name == "log" or rng.random() < 0.5 else gentle(rng))
    return Binary("/", top, rng.choice([power(X, rng.randint(1, 3)), total((1, X), (rng.randint(1, 3), None))]))


RECIPROCALS = [{"sin", "csc"}, {"cos", "sec"}, {"tan", "cot"}]


def trigonometric(rng: random.Random, level: int, names: tuple[str, ...]) -> Node:
    """3 sin(x) − 2 cos(x); sec(3x − 1), tan(x) sin(x); atan(2x), asin(x), x atan(x)."""
    if level == 1:
        if rng.random() < 0.6:
            first, second = two_of(rng, names, "sin", "cos", "tan")
            return total((nonzero(rng, 5), call(first, X)), (nonzero(rng, 5), call(second, X)))
        return total((nonzero(rng, 4), call(among(rng, names, "sin", "cos", "tan"), X)), (nonzero(rng, 5), power(X, 2)))
    if level == 2:
        choice = rng.random()
        if choice < 0.4:
            return times(rng.randint(1, 3), call(rng.choice(names), linear(rng)))
        if choice < 0.7:
            first, second = two_of(rng, names)
            return Binary("*", call(first, X), call(second, X))
        return power(call(rng.choice(names), X), rng.randint(2, 3))
    choice = rng.random()
    inverse = [name for name in names if name in ("asin", "acos", "atan")]
    if choice < 0.35 and inverse:
        name = rng.choice(inverse)
        if name == "atan":
            return times(rng.randint(1, 3), call(name, rng.choice([linear(rng, shift=0), power(X, 2)])))
        return rng.choice([times(rng.randint(1, 4), call(name, X)), power(call(name, X), 2)])
    if choice < 0.6 and inverse:
        return Binary("*", power(X, rng.randint(1, 2)), call(rng.choice(inverse), X))
    first, second = two_of(rng, names, "sin", "cos", "tan", "sec", "csc", "cot")
    if {first, second} in RECIPROCALS:  # sin(x)^2 csc(x) is sin(x): no product rule left
        second = {"sin": "cos", "cos": "sin", "tan": "sin", "sec": "tan", "csc": "cot", "cot": "csc"}[first]
    return Binary("*", power(call(first, X), rng.randint(2, 3)), call(second, X))


def exponential_and_logarithmic(rng: random.Random, level: int, names: tuple[str, ...]) -> Node:
    """2e^(3x) − 4 ln(x), ln(5x); e^(x² − 2x), ln(x² + 3), 2^x; x^x, 3^(x²), ln(x² + 1)³, ln(eˣ + 2), ln(ln x)."""
    if level == 1:
        choice = rng.random()
        if choice < 0.5:
            return total((nonzero(rng, 5), call("exp", gentle(rng))), (nonzero(rng, 5), call("log", X)))
        if choice < 0.75:
            return call("log", times(rng.randint(2, 6), X))
        return total((nonzero(rng, 5), call("exp", X)), (nonzero(rng, 5), power(X, rng.randint(2, 4))))
    if level == 2:
        choice = rng.random()
        if choice < 0.35:
            return call("exp", quadratic(rng))
        if choice < 0.7:
            return call("log", positive_quadratic(rng) if rng.random() < 0.6 else linear(rng))
        return times(rng.randint(1, 3), Binary("^", number(rng.randint(2, 5)), X))
    choice = rng.random()
    if choice < 0.1:
        return Binary("^", X, X)  # logarithmic differentiation
    if choice < 0.3:
        return Binary("^", number(rng.randint(2, 5)), rng.choice([power(X, 2), linear(rng, shift=0)]))
    if choice < 0.5:
        return power(call("log", positive_quadratic(rng)), rng.randint(2, 3))
    if choice < 0.65:
        return call("log", total((1, call("exp", X)), (rng.randint(1, 4), None)))
    if choice < 0.8:
        return times(rng.randint(1, 3), power(call("log", X), rng.randint(2, 3)))
    if choice < 0.9:
        return call("log", call("log", X))
    return call("exp", total((nonzero(rng, 2), power(X, 2)), (nonzero(rng, 3), X)))


SHAPES: dict[str, Callable[[random.Random, int, tuple[str, ...]], Node]] = {
    "power": power_rule,
    "chain": chain_rule,
    "product": product_rule,
    "quotient": quotient_rule,
    "trigonometric": trigonometric,
    "exponential and logarithmic": exponential_and_logarithmic,
}

assert set(SHAPES) == set(TOPICS) - {"mixed"} == set(TOPIC_FUNCTIONS)  # one shape and one allow-list per topic
