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


def _everywhere(*arguments: float) -> bool:
    return True


def _angle(a: float) -> bool:
    return abs(a) < LARGEST_ANGLE


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
}
