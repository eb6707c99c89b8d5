"""One test row per function of the language: where it is smooth, where tests draw points, where it is undefined.

A record in derivlib/functions.py and its row here are all that adding a function takes: tests/test_functions.py
checks every record against autograd and sympy from its row, and the oracle tests that build random trees
(test_engine.py) compare only where every function in the tree is smooth, as its row says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

MARGIN = 1e-3  # how far inside a function's domain (from a pole, a kink or a branch point) a point must be
LARGEST_ANGLE = 100.0  # |argument| of a periodic function above which the angle's rounding error shows in its value


@dataclass(frozen=True)
class Row:
    smooth: Callable[..., bool]  # whether the function is smooth at these argument values (floats)
    interval: tuple[float, float] = (-3.0, 3.0)  # where the function of x alone is smooth: tests draw points there
    outside: tuple[float, ...] | None = None  # arguments where the function is undefined (its domain rules say why)
    second: tuple[float, float] | None = None  # a two-argument function's: where tests draw its second argument
    # (and its first from `interval`, keeping the pairs where `smooth` holds)


def _everywhere(*arguments: float) -> bool:
    return True


def _angle(a: float) -> bool:
    return abs(a) < LARGEST_ANGLE


def _off_whole_numbers(a: float) -> bool:
    """Away from the jumps of floor, ceil, frac (and of mod's quotient), at an argument small enough that its own
    rounding (|a|·ε) stays far below MARGIN and leaves frac's value most of its digits, as for sin's angle."""
    return _angle(a) and abs(a - round(a)) > MARGIN


def _off_poles(a: float) -> bool:
    """Away from 0, -1, -2, …, the poles of gamma and digamma."""
    return a > MARGIN or _off_whole_numbers(a)


def _odd_whole_number(n: float) -> bool:
    return n == round(n) and round(n) % 2 == 1


def _root(a: float, n: float) -> bool:
    return abs(n) > MARGIN and (a > MARGIN or (_odd_whole_number(n) and abs(a) > MARGIN))


ROWS: dict[str, Row] = {
    "sin": Row(_angle),
    "cos": Row(_angle),
    "tan": Row(lambda a: _angle(a) and abs(math.cos(a)) > MARGIN, (-1.4, 1.4)),
    "sec": Row(lambda a: _angle(a) and abs(math.cos(a)) > MARGIN, (-1.4, 1.4)),  # cos(float π/2) is not 0
    "csc": Row(lambda a: _angle(a) and abs(math.sin(a)) > MARGIN, (0.2, 3.0), (0.0,)),
    "cot": Row(lambda a: _angle(a) and abs(math.sin(a)) > MARGIN, (0.2, 3.0), (0.0,)),
    "asin": Row(lambda a: abs(a) < 1 - MARGIN, (-0.9, 0.9), (2.0,)),
    "acos": Row(lambda a: abs(a) < 1 - MARGIN, (-0.9, 0.9), (-2.0,)),
    "atan": Row(_everywhere),
    "sinh": Row(_everywhere),
    "cosh": Row(_everywhere),
    "tanh": Row(_everywhere),
    "asinh": Row(_everywhere),
    "acosh": Row(lambda a: a > 1 + MARGIN, (1.1, 4.0), (0.5,)),
    "atanh": Row(lambda a: abs(a) < 1 - MARGIN, (-0.9, 0.9), (1.5,)),
    "exp": Row(_everywhere),
    "log": Row(lambda a: a > MARGIN, (0.1, 4.0), (-1.0,)),
    "log10": Row(lambda a: a > MARGIN, (0.1, 4.0), (-1.0,)),
    "log2": Row(lambda a: a > MARGIN, (0.1, 4.0), (0.0,)),
    "sqrt": Row(lambda a: a > MARGIN, (0.1, 4.0), (-1.0,)),
    "cbrt": Row(lambda a: abs(a) > MARGIN, (0.1, 3.0)),
    "abs": Row(lambda a: abs(a) > MARGIN, (0.1, 3.0)),
    "sigmoid": Row(_everywhere),
    "erf": Row(_everywhere),
    "atan2": Row(lambda y, x: math.hypot(y, x) > MARGIN and not (x < 0 and abs(y) <= MARGIN), second=(-3.0, 3.0)),
    "asec": Row(lambda a: abs(a) > 1 + MARGIN, (1.1, 4.0), (0.5,)),
    "acsc": Row(lambda a: abs(a) > 1 + MARGIN, (1.1, 4.0), (-0.5,)),
    "acot": Row(lambda a: abs(a) > MARGIN, (0.1, 3.0)),
    "sech": Row(_everywhere),
    "csch": Row(lambda a: abs(a) > MARGIN, (0.2, 3.0), (0.0,)),
    "coth": Row(lambda a: abs(a) > MARGIN, (0.2, 3.0), (0.0,)),
    "asech": Row(lambda a: MARGIN < a < 1 - MARGIN, (0.1, 0.9), (2.0,)),
    "acsch": Row(lambda a: abs(a) > MARGIN, (0.2, 3.0), (0.0,)),
    "acoth": Row(lambda a: abs(a) > 1 + MARGIN, (1.1, 4.0), (0.5,)),
    "exp2": Row(_everywhere),
    "expm1": Row(_everywhere),
    "log1p": Row(lambda a: a > -1 + MARGIN, (-0.9, 3.0), (-2.0,)),
    "root": Row(_root, (0.1, 4.0), (-8.0, 2.0), second=(1.5, 4.0)),
    "hypot": Row(lambda a, b: math.hypot(a, b) > MARGIN, second=(-3.0, 3.0)),
    "sign": Row(lambda a: abs(a) > MARGIN, (0.1, 3.0)),
    "heaviside": Row(lambda a: abs(a) > MARGIN, (0.1, 3.0)),
    "floor": Row(_off_whole_numbers, (0.1, 0.9)),
    "ceil": Row(_off_whole_numbers, (0.1, 0.9)),
    "round": Row(lambda a: _off_whole_numbers(a + 0.5), (0.6, 1.4)),
    "frac": Row(_off_whole_numbers, (0.1, 0.9)),
    "mod": Row(lambda a, b: abs(b) > MARGIN and _off_whole_numbers(a / b), (0.1, 0.9), (1.0, 0.0), second=(0.5, 2.5)),
    "min": Row(lambda a, b: abs(a - b) > MARGIN, second=(-3.0, 3.0)),
    "max": Row(lambda a, b: abs(a - b) > MARGIN, second=(-3.0, 3.0)),
    "erfc": Row(_everywhere),
    "erfinv": Row(lambda a: abs(a) < 1 - MARGIN, (-0.9, 0.9), (1.5,)),
    "gamma": Row(_off_poles, (0.1, 4.0), (-2.0,)),
    "lgamma": Row(lambda a: a > MARGIN, (0.1, 4.0), (0.0,)),  # sympy's loggamma is complex for a < 0
    "digamma": Row(_off_poles, (0.1, 4.0), (-1.0,)),
    "factorial": Row(lambda a: _off_poles(a + 1), (-0.9, 4.0), (-3.0,)),
    "sinc": Row(_everywhere),
}


def call(name: str, argument: str) -> str:
    """The function applied to `argument` (text); where it takes two, a second argument that moves with x too, in
    the upper half of the row's `second` interval (away from 0, where atan2 and hypot meet their singular point)."""
    row = ROWS[name]
    if row.second is None:
        return f"{name}({argument})"
    low, high = row.second
    return f"{name}({argument}, {low + 0.75 * (high - low)!r} + {(high - low) / 8!r}*sin(x))"
