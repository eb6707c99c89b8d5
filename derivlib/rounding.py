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


def rounding_errors(double: np.ndarray, single: np.ndarray) -> np.ndarray:
    """Point by point, an estimate of the rounding error in `double` (float64) from the same values in float32.

    Where either is NaN or ±inf the estimate is 0: there is nothing finite to compare.

    >>> rounding_errors(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2**-22]))   # float32 off by one of its ulps
    array([0.0000000e+00, 4.4408921e-16])
    """
    difference = np.abs(np.asarray(single, dtype=np.float64) - np.asarray(double, dtype=np.float64))
    return np.where(np.isfinite(difference), difference, 0.0) * EPSILON_RATIO


def noise_levels(
    expr: Expression | str,
    x: torch.Tensor | np.ndarray,
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    dtype: torch.dtype | str = torch.float64,
) -> np.ndarray:
    """For f, f′ … f⁽ᵒʳᵈᵉʳ⁾, the largest rounding error of a `dtype` computation at the points x (an estimate).

    float64 is compared with float32 (scaled by EPSILON_RATIO); float32 with float64 (its error is the difference).
    Sample points are enough: the level is a property of the formula and the range, not of one grid.
    """
    points = as_points(x, torch.float64, torch.device("cpu"))
    double = derivatives(expr, points, order=order, params=params, dtype=torch.float64).numpy()
    single = derivatives(expr, points, order=order, params=params, dtype=torch.float32).numpy()
    if resolve_dtype(dtype) == torch.float32:
        errors = rounding_errors(double, single) / EPSILON_RATIO
    else:
        errors = rounding_errors(double, single)
    return errors.max(axis=1, initial=0.0)


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
