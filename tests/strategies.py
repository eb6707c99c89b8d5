"""Hypothesis strategies for derivlib's formula language: random trees, and points to evaluate them at.

The trees are ones the parser can produce (numbers are never negative: a minus sign is a Unary node), built from the
whole language: every function in FUNCTIONS (with as many arguments as it takes), every binary operator, unary minus,
numbers, the constants, the variable x and, where asked, parameters. They are kept small enough for sympy to
differentiate them in milliseconds, so that they can serve as inputs to oracle tests of any derivative engine.
"""

from __future__ import annotations

from hypothesis import strategies as st

from derivlib.tree import (
    CONSTANTS,
    FUNCTIONS,
    Binary,
    Call,
    Constant,
    Node,
    Number,
    Parameter,
    Unary,
    Variable,
    children,
)

NUMBERS = (0.0, 1.0, 2.0, 3.0, 0.5, 1.5, 0.1)  # modest: no overflow from a product of a few of them
PARAMETERS = ("a", "b", "alpha")  # single letters and a Greek letter's name, as the parser reads them
BINARY_OPS = ("+", "-", "*", "/", "^")
SIMPLE_POINTS = (0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0)
MAX_TOWER = 2  # right-nested powers: 3^3^3 is 3^27, but 3^3^3^3 would make sympy compute a 3.6-trillion-digit integer

X = Variable("x")


def modest_numbers() -> st.SearchStrategy[float]:
    """The numbers that appear in formulas: a modest set, so that values and derivatives stay in range."""
    return st.sampled_from(NUMBERS)


def leaves(
    *,
    parameters: bool = False,
    numbers: st.SearchStrategy[float] | None = None,
    variables: tuple[str, ...] = ("x",),
) -> st.SearchStrategy[Node]:
    """A single node without children: a variable (each of x, y … as likely as x alone, twice as likely as each
    other kind), a number, a constant or a parameter."""
    options = [
        *(st.sampled_from([Variable(name) for name in variables]) for _ in range(2)),
        (modest_numbers() if numbers is None else numbers).map(Number),
        st.sampled_from(sorted(CONSTANTS)).map(Constant),
    ]
    if parameters:
        options.append(st.sampled_from(PARAMETERS).map(Parameter))
    return st.one_of(*options)


def tower_height(node: Node) -> int:
    """How many powers are nested in each other's exponents: 1 for x^2, 2 for 2^2^x, 3 for 2^2^2^x."""
    if isinstance(node, Binary) and node.op == "^":
        return max(tower_height(node.left), 1 + tower_height(node.right))
    return max((tower_height(child) for child in children(node)), default=0)


def trees(
    max_leaves: int = 5,
    *,
    parameters: bool = False,
    numbers: st.SearchStrategy[float] | None = None,
    max_wrappers: int = 3,
    variables: tuple[str, ...] = ("x",),
) -> st.SearchStrategy[Node]:
    """Random formula trees with 1 to `max_leaves` leaves, and at most `max_wrappers` calls and negations on any path.

    The number of leaves is drawn first, so that small and large trees are equally likely (hypothesis's own
    `st.recursive` mostly draws one or two leaves). `numbers` replaces the modest default set, for tests of the text
    form rather than of the values; `variables` names the variables the leaves draw from (x alone by default).
    """
    leaf = leaves(parameters=parameters, numbers=numbers, variables=variables)

    @st.composite
    def tree(draw: st.DrawFn, n_leaves: int, wrappers: int) -> Node:
        kinds = ["leaf"] if n_leaves == 1 else ["binary", "binary"]
        if wrappers > 0:
            kinds += ["call", "unary"]
        kind = draw(st.sampled_from(kinds))
        if kind == "leaf":
            return draw(leaf)
        if kind == "call":
            # a function of two arguments needs two leaves at least: one for each argument
            names = [name for name in sorted(FUNCTIONS) if FUNCTIONS[name].arity <= n_leaves]
            name = draw(st.sampled_from(names))
            if FUNCTIONS[name].arity == 1:
                return Call(name, draw(tree(n_leaves, wrappers - 1)))
            first = draw(st.integers(1, n_leaves - 1))
            return Call(name, (draw(tree(first, wrappers - 1)), draw(tree(n_leaves - first, wrappers - 1))))
        if kind == "unary":
            return Unary("-", draw(tree(n_leaves, wrappers - 1)))
        left = draw(st.integers(1, n_leaves - 1))
        return Binary(
            draw(st.sampled_from(BINARY_OPS)), draw(tree(left, wrappers)), draw(tree(n_leaves - left, wrappers))
        )

    sized = st.integers(1, max_leaves).flatmap(lambda n: tree(n, max_wrappers))
    return sized.filter(lambda node: tower_height(node) <= MAX_TOWER)


def points(min_value: float = -4.0, max_value: float = 4.0) -> st.SearchStrategy[float]:
    """Evaluation points in a range where the trees' values rarely overflow.

    Two in three are spread over the range: hypothesis's own floats are mostly 0 or subnormal, where many formulas
    sit on a pole or a kink. The rest are simple numbers (0, ±1/2, ±1, ±2), where special cases live.
    """
    spread = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False).filter(lambda p: abs(p) >= 0.01)
    simple = st.sampled_from([p for p in SIMPLE_POINTS if min_value <= p <= max_value])
    return st.one_of(spread, spread, simple)


def parameter_values() -> st.SearchStrategy[dict[str, float]]:
    """A value for every name in PARAMETERS (a formula ignores the ones it lacks; pass only its own to derivlib)."""
    return st.fixed_dictionaries({name: points(-3.0, 3.0) for name in PARAMETERS})
