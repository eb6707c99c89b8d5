"""Rounding noise: how large a computed value can be and still be nothing but rounding error.

A derivative that is zero in exact arithmetic (f″ of sin²x + cos²x) comes out of float64 as ±2e-16; drawn, it is a
band of noise, and searched for zeros, hundreds of sign changes. Its size depends on the terms that cancelled
(cosh²x − sinh²x leaves 1e-11 at x = 5), so no fixed tolerance tells it apart from a small true value. It is
estimated instead the way numerical analysts check a computation: do it again in a coarser precision and compare.
float32 rounds 2²⁹ times as coarsely as float64, so |float32 − float64| / 2²⁹ estimates float64's own rounding error
for this formula at this point; against float64, float32's error is the difference itself. A value within SAFETY
times that estimate is zero up to rounding.

>>> import derivlib
>>> x = derivlib.grid(-5, 5, 1001)
>>> levels = noise_levels("sin(x)^2 + cos(x)^2", x, order=2)
>>> rows = derivlib.derivatives("sin(x)^2 + cos(x)^2", x, order=2).numpy()
>>> [is_noise(row, level) for row, level in zip(rows, levels)]   # f = 1 is not noise; f′ and f″ are
[False, True, True]
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch

from .engine import as_points, derivatives, resolve_dtype
from .tree import Expression

EPSILON_RATIO = float(torch.finfo(torch.float64).eps / torch.finfo(torch.float32).eps)  # 2⁻²⁹
SAFETY = 8  # a value up to this many times its estimated rounding error counts as zero
# ulps (of the precision computed in) by which x is moved either way to see that precision's own noise: at one of
# them, noise that happened to round the same way twice (1 point in 100 at any single one) shows after all
NUDGES = (4, 64, 1024, 16384)


def rounding_errors(double: np.ndarray, single: np.ndarray) -> np.ndarray:
    """Point by point, an estimate of the rounding error in `double` (float64) from the same values in float32.

    Where either is NaN or ±inf the estimate is 0: there is nothing finite to compare.

    >>> rounding_errors(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2**-22]))   # float32 off by one of its ulps
    array([0.0000000e+00, 4.4408921e-16])
    """
    difference = np.abs(np.asarray(single, dtype=np.float64) - np.asarray(double, dtype=np.float64))
    return np.where(np.isfinite(difference), difference, 0.0) * EPSILON_RATIO


def pointwise_errors(
    expr: Expression | str,
    x: torch.Tensor | np.ndarray | Mapping[str, np.ndarray],
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    dtype: torch.dtype | str = torch.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """f, f′ … f⁽ᵒʳᵈᵉʳ⁾ at the points x computed in `dtype`, and point by point an estimate of each one's rounding
    error: rows × points arrays, both. With several variables, x maps each to its points and the rows are the partial
    derivatives (`partials`, in `partial_names` order).

    Two estimates, the larger taken. float64 against float32 (`rounding_errors`), which misses the noise where
    float32 happens to round exactly (f″ of (x² − 1)/(x − 1) comes out 0 in float32 and ±4e-17 in float64); and the
    same precision at x moved a few ulps either way (NUDGES): that changes which way the last bits round, so noise
    changes by about its own size, and such a change is taken as the error where it is (a true value barely moves,
    by its slope times a few ulps of x).

    >>> values, errors = pointwise_errors("(x^2 - 1)/(x - 1)", np.array([-4.96, 3.0]), order=2)
    >>> values[2].tolist(), bool(abs(values[2][0]) <= SAFETY * errors[2][0])
    ([-3.7255806195475053e-17, 0.0], True)
    """
    from .partials import partials  # several variables: their partial derivatives

    precision = resolve_dtype(dtype)
    if isinstance(x, Mapping):
        points = {name: np.asarray(v, dtype=np.float64) for name, v in x.items()}

        def compute(at: Mapping[str, np.ndarray], precision: torch.dtype) -> np.ndarray:
            found = partials(expr, at, order=order, params=params, dtype=precision)
            return np.stack([row.numpy(force=True) for row in found.values()]).astype(np.float64)

        def moved(factors: np.ndarray) -> Mapping[str, np.ndarray]:
            return {name: np.outer(factors, v).ravel() for name, v in points.items()}
    else:
        points = as_points(x, torch.float64, torch.device("cpu")).numpy()

        def compute(at: np.ndarray, precision: torch.dtype) -> np.ndarray:
            return derivatives(expr, at, order=order, params=params, dtype=precision).numpy().astype(np.float64)

        def moved(factors: np.ndarray) -> np.ndarray:
            return np.outer(factors, points).ravel()

    double, single = compute(points, torch.float64), compute(points, torch.float32)
    if precision == torch.float32:
        values, errors = single, rounding_errors(double, single) / EPSILON_RATIO
    else:
        values, errors = double, rounding_errors(double, single)
    ulp = float(torch.finfo(precision).eps)
    factors = np.array([1 + sign * n * ulp for n in NUDGES for sign in (-1, 1)])
    if values.shape[1]:  # every nudged copy of the points in one call
        nudged = compute(moved(factors), precision).reshape(len(values), len(factors), -1)
        with np.errstate(invalid="ignore", over="ignore"):
            change = np.abs(nudged - values[:, None, :])
            change = np.where(np.isfinite(change), change, 0.0).max(axis=1)
        # Only where the change is as large as the value itself (noise): a steep true value changes by its slope
        # times the nudge, which is no measure of its rounding error (a few ulps of x, not thousands).
        errors = np.where(SAFETY * change >= np.abs(values), np.maximum(errors, change), errors)
    return values, errors


def zeroed(values: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """The values with each one within SAFETY times its rounding error set to 0 (NaN and ±inf kept as they are).

    >>> zeroed(np.array([3e-17, 0.5, np.nan]), np.array([1e-17, 1e-17, 0.0])).tolist()
    [0.0, 0.5, nan]
    """
    values = np.asarray(values, dtype=np.float64)
    noise = np.isfinite(values) & (np.abs(values) <= SAFETY * np.asarray(errors, dtype=np.float64))
    return np.where(noise, 0.0, values) + 0.0  # + 0.0: -0.0 reads 0


def noise_levels(
    expr: Expression | str,
    x: torch.Tensor | np.ndarray,
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    dtype: torch.dtype | str = torch.float64,
) -> np.ndarray:
    """For f, f′ … f⁽ᵒʳᵈᵉʳ⁾, the largest rounding error of a `dtype` computation at the points x (an estimate,
    `pointwise_errors`). Sample points are enough: the level is a property of the formula and the range, not of one
    grid."""
    return pointwise_errors(expr, x, order=order, params=params, dtype=dtype)[1].max(axis=1, initial=0.0)


def is_noise(values: np.ndarray, level: float) -> bool:
    """Whether every finite value is zero up to rounding (within SAFETY × level); False when none is finite.

    >>> is_noise(np.array([2e-16, -1e-16, np.nan]), 1e-16), is_noise(np.array([0.0, 1e-9]), 1e-16)
    (True, False)
    """
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return bool(finite.size > 0 and float(np.abs(finite).max()) <= SAFETY * level)


def simplest_between(low: float, high: float) -> float:
    """The number with the fewest significant digits from low to high: 0 if it lies between, else 1, 0.5, 3.14 …

    >>> simplest_between(-0.01, 0.01), simplest_between(0.97, 1.02), simplest_between(3.1406, 3.1456)
    (0.0, 1.0, 3.141)
    >>> simplest_between(-1e-15, -5e-16), simplest_between(0.9999999999999998, 1.0000000000000002)
    (-1e-15, 1.0)
    """
    low, high = float(low), float(high)
    if low <= 0 <= high:
        return 0.0
    step = 10.0 ** math.floor(math.log10(max(abs(low), abs(high))))
    while step > abs(high - low) * 1e-3:
        candidate = math.ceil(low / step) * step
        if candidate <= high:
            tidy = float(f"{candidate:.15g}")  # 0.1 * 3 is 0.30000000000000004
            return tidy if low <= tidy <= high else candidate
        step /= 10
    return (low + high) / 2
