"""What the derivatives say near one point x₀: the tangent, Taylor polynomials, curvature, the osculating circle."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .engine import derivatives
from .tree import Expression


@dataclass(frozen=True)
class PointView:
    """f and its derivatives at x₀, with the curvature κ = |f″| / (1 + f′²)^{3/2} and the osculating circle."""

    x0: float
    derivatives: tuple[float, ...]  # f(x₀), f′(x₀), f″(x₀), …
    curvature: float
    center: tuple[float, float] | None  # of the osculating circle; None where f″ = 0 (the circle is a line)
    radius: float  # 1/κ, inf where f″ = 0

    def taylor(self, x: np.ndarray, order: int | None = None) -> np.ndarray:
        """The Taylor polynomial of the given order (default: every derivative known) at the points x."""
        return taylor_polynomial(
            self.derivatives[: (order if order is not None else len(self.derivatives) - 1) + 1], self.x0, x
        )

    def tangent(self, x: np.ndarray) -> np.ndarray:
        """The tangent line f(x₀) + f′(x₀)(x − x₀)."""
        return self.taylor(x, order=1)


def at_point(
    expr: Expression | str, x0: float, *, order: int = 2, params: Mapping[str, float] | None = None
) -> PointView:
    """f, f′ … f⁽ᵒʳᵈᵉʳ⁾ at x₀ and the geometry they give (order at least 2).

    >>> view = at_point("x^2", 1.0)
    >>> view.derivatives, view.tangent(np.array([0.0, 2.0])).tolist()
    ((1.0, 2.0, 2.0), [-1.0, 3.0])
    """
    values = tuple(float(v) for v in derivatives(expr, [x0], order=max(order, 2), params=params)[:, 0])
    f, d1, d2 = values[:3]
    return PointView(float(x0), values, curvature(d1, d2), *osculating_circle(x0, f, d1, d2))


SIMPLE = (1.0, 0.5, 2.0, 1.5, 0.0, -0.5, -1.0, 3.0, 0.25, -2.0, 2.5, -1.5, 4.0, -3.0, 0.75)  # x₀ candidates, in turn


def defined_point(
    expr: Expression | str, xmin: float, xmax: float, *, params: Mapping[str, float] | None = None
) -> float:
    """A point to look at first: the first of SIMPLE in [xmin, xmax] where f and f′ are defined (1 for most formulas;
    for (x² − 1)/(x − 1), whose hole is at 1, 0.5), else the middle of the range.

    >>> defined_point("x^2", -5, 5), defined_point("(x^2 - 1)/(x - 1)", -5, 5), defined_point("log(x)", 10, 20)
    (1.0, 0.5, 15.0)
    """
    candidates = np.array([x for x in SIMPLE if xmin <= x <= xmax] + [(xmin + xmax) / 2])
    f, d1 = derivatives(expr, candidates, order=1, params=params).numpy()
    defined = np.flatnonzero(np.isfinite(f) & np.isfinite(d1))
    return float(candidates[defined[0]]) if len(defined) else float(candidates[-1])


def taylor_polynomial(values: tuple[float, ...] | np.ndarray, x0: float, x: np.ndarray) -> np.ndarray:
    """Σ values[k]/k! · (x − x₀)^k, by Horner's rule, from f(x₀), f′(x₀), … .

    >>> taylor_polynomial((1.0, 1.0, 1.0), 0.0, np.array([1.0])).tolist()   # 1 + x + x²/2 for e^x
    [2.5]
    """
    h = np.asarray(x, dtype=float) - x0
    result = np.zeros_like(h)
    with np.errstate(invalid="ignore", over="ignore"):  # at a point where f′ is infinite the polynomial is undefined
        for k in range(len(values) - 1, -1, -1):
            result = result * h + values[k] / math.factorial(k)
    return result


def curvature(d1: float, d2: float) -> float:
    """κ = |f″| / (1 + f′²)^{3/2}, the reciprocal of the radius of the circle that fits the graph best."""
    return abs(d2) / (1.0 + d1 * d1) ** 1.5


def osculating_circle(x0: float, f: float, d1: float, d2: float) -> tuple[tuple[float, float] | None, float]:
    """The osculating circle's center and radius; (None, inf) where f″ = 0 and the graph is locally straight."""
    if d2 == 0 or not math.isfinite(d2):
        return None, math.inf
    lift = (1.0 + d1 * d1) / d2  # signed: the center lies on the concave side
    return (x0 - d1 * lift, f + lift), abs(lift) * math.sqrt(1.0 + d1 * d1)
