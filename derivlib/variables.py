"""Which names of a formula are its variables, where a page lets the formula say: x, y, z and x1 … x10.

The one- and two-variable pages fix their variables (x; x and y). A formula to minimize may have any number, so its
variables are inferred from the names it uses, never silently: a page shows them and lets its user change them, and
every other letter is a parameter with a value of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import ExpressionError
from .parse import parse

INDEXED = tuple(f"x{i}" for i in range(1, 11))  # x1 … x10
CANDIDATES = ("x", "y", "z", *INDEXED)  # the names read as variables unless said otherwise, in this order
MAX_VARIABLES = 10


def ordered(names: Iterable[str]) -> tuple[str, ...]:
    """The names in their order on a page: x, y, z, x1 … x10 (x2 before x10), then any other in the alphabet's.

    >>> ordered(["x10", "a", "x2", "z", "x"])
    ('x', 'z', 'x2', 'x10', 'a')
    """
    rank = {name: i for i, name in enumerate(CANDIDATES)}
    return tuple(sorted(set(names), key=lambda name: (rank.get(name, len(rank)), name)))


def inferred_variables(text: str) -> tuple[str, ...]:
    """The variables of a formula to minimize: those of x, y, z and x1 … x10 it uses (`ordered`), or ("x",) where it
    uses none; any other letter is a parameter. ExpressionError for text that is no formula, and for more than
    MAX_VARIABLES variables, at the first name past the limit.

    >>> inferred_variables("x^2 + y^2 + z^2"), inferred_variables("a x1^2 + x2^2"), inferred_variables("3")
    (('x', 'y', 'z'), ('x1', 'x2'), ('x',))
    """
    found = ordered(parse(text, variables=CANDIDATES).variables) or ("x",)
    if len(found) > MAX_VARIABLES:
        at = re.search(rf"(?<![A-Za-z0-9]){found[MAX_VARIABLES]}(?![0-9])", text)
        raise ExpressionError(
            f"{len(found)} variables ({', '.join(found)}): at most {MAX_VARIABLES}", text, at.start() if at else 0
        )
    return found


def choosable_names(text: str, variables: Iterable[str]) -> tuple[str, ...]:
    """The letters of the formula that may be variables or parameters as its user says (its variables among
    CANDIDATES, and its parameters), `ordered`; ExpressionError as parse raises it.

    >>> choosable_names("a x^2 + b y", ("x",))
    ('x', 'y', 'a', 'b')
    """
    expr = parse(text, variables=tuple(dict.fromkeys([*variables, *CANDIDATES])))
    return ordered([*expr.variables, *expr.parameters])
