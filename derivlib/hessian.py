"""The Hessian of f(x, y) at a point: its determinant and eigenvalues with their rounding errors, and what they say.

H = [[fxx, fxy], [fxy, fyy]] is computed exactly to rounding, but a verdict built on a sign must not rest on rounding:
sin(x)·cos(y) at (1, 1) has fxx = fxy = fyy = -0.4546, so det H = 0 and one eigenvalue is 0, yet the float64 numbers
give det H = 2.8e-17 and λ = -8.3e-17, and "negative definite" would be false. So each entry's rounding error is
estimated (`rounding.pointwise_errors`), carried to the determinant and the eigenvalues, and any of them within
SAFETY times its error is 0. Then H is positive or negative definite, indefinite (a saddle's), singular (an
eigenvalue is 0: the second derivatives alone cannot say how f curves along its eigenvector), or undefined (at a
corner, crease or cone, where f has no second derivatives).

>>> view = hessian_at("sin(x) cos(y)", 1.0, 1.0)
>>> view.determinant, view.eigenvalues[1], view.verdict
(0.0, 0.0, 'singular')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .optimize import hessian_from_partials
from .rounding import SAFETY, pointwise_errors, zeroed
from .tree import Expression

EPSILON = float(np.finfo(np.float64).eps)
VARIABLES = ("x", "y")


@dataclass(frozen=True)
class HessianView:
    """f, ∇f and H at a point, each value within its rounding error 0, and what H says there."""

    f: float
    gradient: tuple[float, float]  # fx, fy
    entries: tuple[float, float, float]  # fxx, fxy, fyy
    determinant: float  # 0 where within its rounding error
    eigenvalues: tuple[float, float]  # smaller first; 0 where within its rounding error
    eigenvectors: np.ndarray  # unit columns, first non-zero component positive
    verdict: str  # "positive definite", "negative definite", "indefinite", "singular", "zero" or "undefined"
    gradient_is_zero: bool  # ∇f = 0 up to rounding

    def along(self, u: tuple[float, float]) -> tuple[float, float]:
        """The first and second directional derivatives along the unit vector u, ∇f·u and uᵀHu, each 0 where it is
        within the rounding of its own sum (sin x cos y at (1, 1) along (1, -1)/√2: uᵀHu = 0, not -1e-16).

        >>> hessian_at("sin(x) cos(y)", 1.0, 1.0).along((0.5**0.5, -(0.5**0.5)))
        (0.7071067811865477, 0.0)
        """
        (fx, fy), (a, b, d) = self.gradient, self.entries
        terms = [(fx * u[0], fy * u[1]), (a * u[0] ** 2, 2 * b * u[0] * u[1], d * u[1] ** 2)]
        found = []
        for parts in terms:
            total = math.fsum(parts)
            size = sum(abs(p) for p in parts)
            found.append(0.0 if abs(total) <= SAFETY * 4 * EPSILON * size else total + 0.0)
        return found[0], found[1]

    @property
    def words(self) -> str:
        """What H says about f near the point, in a sentence."""
        high = self.eigenvalues[1]
        return {
            "positive definite": "H is positive definite: f curves up in every direction here (locally convex)",
            "negative definite": "H is negative definite: f curves down in every direction here (locally concave)",
            "indefinite": "H is indefinite: f curves up in one direction and down in another here (saddle-shaped)",
            "singular": "H is singular (det H = 0, an eigenvalue is 0 up to rounding): f curves "
            + ("up" if high > 0 else "down")
            + f" along v{'₂' if high > 0 else '₁'}, and the second derivatives alone do not say how it curves along "
            + f"v{'₁' if high > 0 else '₂'}",
            "zero": "H = 0: the second derivatives alone do not say how f curves here",
            "undefined": "H is undefined here: f has no second derivatives at this point (a corner, crease or cone, "
            "or the edge of its domain)",
        }[self.verdict]


def hessian_at(
    expr: Expression | str, x0: float, y0: float, *, params: Mapping[str, float] | None = None
) -> HessianView:
    """f, its gradient and its Hessian at (x0, y0) in float64, with the verdict that rounding cannot flip (see the
    module's docstring).

    >>> hessian_at("x^2 - y^2", 0.0, 0.0).verdict, hessian_at("x^2 + 3y^2 + x y", 1.0, 2.0).verdict
    ('indefinite', 'positive definite')
    """
    values, errors = pointwise_errors(expr, {"x": np.array([x0]), "y": np.array([y0])}, order=2, params=params)
    values, errors = values[:, 0], errors[:, 0]
    f, fx, fy, a, b, d = map(float, zeroed(values, errors))
    ea, eb, ed = (errors[3:6] + EPSILON * np.abs(values[3:6])).tolist()  # at least the entries' own last bits
    gradient_zero = bool(fx == 0 and fy == 0)
    if not all(math.isfinite(v) for v in (a, b, d)):
        nan = math.nan
        return HessianView(f, (fx, fy), (a, b, d), nan, (nan, nan), np.full((2, 2), nan), "undefined", gradient_zero)
    # det H = ad − b²: each product's error from its factors' errors, and the arithmetic's own rounding.
    determinant = a * d - b * b
    determinant_error = abs(d) * ea + abs(a) * ed + 2 * abs(b) * eb + 2 * EPSILON * (abs(a * d) + b * b)
    if abs(determinant) <= SAFETY * determinant_error:
        determinant = 0.0
    # Eigenvalues m ∓ r move by at most the size of the entries' error matrix (Weyl), ea + 2eb + ed bounds it.
    m, r = (a + d) / 2, math.hypot((a - d) / 2, b)
    eigen_error = ea + 2 * eb + ed + 2 * EPSILON * (abs(m) + r)
    large = m + math.copysign(r, m)  # the eigenvalue of larger size; the other is det / large, without cancellation
    small = (a * d - b * b) / large if large != 0 else 0.0
    low, high = sorted((small, large))
    low, high = (0.0 if abs(v) <= SAFETY * eigen_error else v for v in (low, high))
    if determinant == 0 and low != 0 and high != 0:  # both can be told from 0 but not their product: one is 0
        low, high = (0.0, high) if abs(low) <= abs(high) else (low, 0.0)
    if low == 0 or high == 0:
        determinant = 0.0
    vectors = _eigenvectors(a, b, d)
    if low == high == 0:
        verdict = "zero"
    elif low == 0 or high == 0:
        verdict = "singular"
    elif low > 0:
        verdict = "positive definite"
    elif high < 0:
        verdict = "negative definite"
    else:
        verdict = "indefinite"
    return HessianView(
        f, (fx, fy), (a, b, d), determinant + 0.0, (low + 0.0, high + 0.0), vectors, verdict, gradient_zero
    )


def _eigenvectors(a: float, b: float, d: float) -> np.ndarray:
    """H's unit eigenvectors as columns, for the smaller eigenvalue first, each with its first non-zero component
    positive."""
    _, vectors = np.linalg.eigh(np.array([[a, b], [b, d]]))
    for k in range(2):
        first = vectors[:, k][np.flatnonzero(np.abs(vectors[:, k]) > 1e-12)[0]]
        vectors[:, k] *= np.sign(first)
    return vectors + 0.0


@dataclass(frozen=True)
class PointVerdict:
    """f, ‖∇f‖ and the Hessian's eigenvalues at a point of f in any number of variables, each 0 within its rounding
    error, and what the Hessian says there (`hessian_at`'s verdicts but "singular" says no more than that)."""

    f: float
    gradient_norm: float
    eigenvalues: tuple[float, ...]  # smallest first
    verdict: str

    @property
    def words(self) -> str:
        return {
            "positive definite": "H is positive definite: f curves up in every direction here (locally convex)",
            "negative definite": "H is negative definite: f curves down in every direction here (locally concave)",
            "indefinite": "H is indefinite: f curves up in some direction and down in another here (saddle-shaped)",
            "singular": "H is singular (an eigenvalue is 0 up to rounding): the second derivatives alone do not say "
            "how f curves along its eigenvector",
            "zero": "H = 0: the second derivatives alone do not say how f curves here",
            "undefined": "H is undefined here: f has no second derivatives at this point (a corner, crease or cone, "
            "or the edge of its domain)",
        }[self.verdict]


def verdict_at(
    expr: Expression | str, point: Mapping[str, float], *, params: Mapping[str, float] | None = None
) -> PointVerdict:
    """What the Hessian of f in the point's variables (any number) says there, on no sign that rounding could flip:
    each eigenvalue moves by at most the spectral norm of the entries' error matrix (Weyl), bounded by its Frobenius
    norm, plus the eigensolver's own rounding; within SAFETY times that, it is 0.

    >>> verdict_at("x^2 + y^2 - z^2", {"x": 0.0, "y": 0.0, "z": 0.0}).verdict
    'indefinite'
    >>> verdict_at("sin(x) cos(y) + z^2", {"x": 1.0, "y": 1.0, "z": 0.0}).verdict  # H's (x, y) block is singular
    'singular'
    """
    names = tuple(point)
    n = len(names)
    values, errors = pointwise_errors(
        expr, {name: np.array([value]) for name, value in point.items()}, order=2, params=params
    )
    values, errors = values[:, 0], errors[:, 0]
    shown = zeroed(values, errors)
    f, gradient = float(shown[0]), np.asarray(shown[1 : n + 1], dtype=float)
    hessian = hessian_from_partials(values, n)
    if not np.all(np.isfinite(hessian)):
        return PointVerdict(f, float(np.sqrt(gradient @ gradient)), (math.nan,) * n, "undefined")
    spread = hessian_from_partials(errors + EPSILON * np.abs(values), n)  # at least the entries' own last bits
    bound = float(np.linalg.norm(spread)) + 4 * n * EPSILON * float(np.linalg.norm(hessian))
    eigenvalues = [0.0 if abs(v) <= SAFETY * bound else float(v) + 0.0 for v in np.linalg.eigvalsh(hessian)]
    if all(v == 0 for v in eigenvalues):
        verdict = "zero"
    elif any(v == 0 for v in eigenvalues):
        verdict = "singular"
    elif eigenvalues[0] > 0:
        verdict = "positive definite"
    elif eigenvalues[-1] < 0:
        verdict = "negative definite"
    else:
        verdict = "indefinite"
    return PointVerdict(f, float(np.sqrt(gradient @ gradient)), tuple(eigenvalues), verdict)
