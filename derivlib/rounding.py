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
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .engine import as_points, derivatives, resolve_dtype
from .tree import Expression

if TYPE_CHECKING:
    import pandas as pd

EPSILON_RATIO = float(torch.finfo(torch.float64).eps / torch.finfo(torch.float32).eps)  # 2⁻²⁹
SAFETY = 8  # a value up to this many times its estimated rounding error counts as zero
# ulps (of the precision computed in) by which x is moved either way to see that precision's own noise: at one of
# them, noise that happened to round the same way twice (1 point in 100 at any single one) shows after all
NUDGES = (4, 64, 1024, 16384)
NEARLY = 1e-2  # the share of values whose rounding estimate may come out low where a row is 0 everywhere


def rounding_errors(double: np.ndarray, single: np.ndarray) -> np.ndarray:
    """Point by point, an estimate of the rounding error in `double` (float64) from the same values in float32.

    Where either is NaN or ±inf the estimate is 0: there is nothing finite to compare.

    >>> rounding_errors(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2**-22]))   # float32 off by one of its ulps
    array([0.0000000e+00, 4.4408921e-16])
    """
    with np.errstate(invalid="ignore"):  # inf − inf: nothing finite to compare
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
    same precision at x moved a few ulps either way (NUDGES, relative to x and to the points' scale): that changes
    which way the last bits round, so noise changes by about its own size, and such a change is taken as the error
    where it is (a true value barely moves, by its slope times a few ulps of x). Noise that no nudge changes (rare:
    1 point in 1000 of the identities tried) is missed; `zero_everywhere` allows for it.

    >>> values, errors = pointwise_errors("(x^2 - 1)/(x - 1)", np.array([-4.96, 3.0]), order=2)
    >>> values[2].tolist(), bool(abs(values[2][0]) <= SAFETY * errors[2][0])
    ([-3.7255806195475053e-17, 0.0], True)
    """
    from .partials import partials  # several variables: their partial derivatives

    precision = resolve_dtype(dtype)
    # `compute` takes the points as `moved` gives them: a mapping of each variable's points (several variables), or
    # the array of the one variable's; either definition of each has the other's signature, so `at` is Any.
    if isinstance(x, Mapping):
        points = {name: np.asarray(v, dtype=np.float64) for name, v in x.items()}

        def compute(at: Any, precision: torch.dtype) -> np.ndarray:  # at: Mapping[str, np.ndarray]
            found = partials(expr, at, order=order, params=params, dtype=precision)
            return np.stack([row.numpy(force=True) for row in found.values()]).astype(np.float64)

        def moved(steps: np.ndarray, own: bool) -> Mapping[str, np.ndarray] | np.ndarray:
            return {name: _nudged(v, steps, own) for name, v in points.items()}
    else:
        points = as_points(x, torch.float64, torch.device("cpu")).numpy()

        def compute(at: Any, precision: torch.dtype) -> np.ndarray:  # at: np.ndarray
            return derivatives(expr, at, order=order, params=params, dtype=precision).numpy().astype(np.float64)

        def moved(steps: np.ndarray, own: bool) -> Mapping[str, np.ndarray] | np.ndarray:
            return _nudged(points, steps, own)

    double, single = compute(points, torch.float64), compute(points, torch.float32)
    if precision == torch.float32:
        values, errors = single, rounding_errors(double, single) / EPSILON_RATIO
    else:
        values, errors = double, rounding_errors(double, single)
    ulp = float(torch.finfo(precision).eps)
    steps = np.array([sign * n * ulp for sign in (-1, 1) for n in NUDGES])
    if values.shape[1]:  # every nudged copy of the points in one call
        for own in (True, False):
            nudged = compute(moved(steps, own), precision).reshape(len(values), 2, len(NUDGES), -1)
            with np.errstate(invalid="ignore", over="ignore"):
                change = np.abs(nudged - values[:, None, None, :])
                # Noise changes on both sides; beside a jump a value changes on one side only, by the jump: the
                # smaller side's change counts.
                change = np.where(np.isfinite(change), change, 0.0).max(axis=2).min(axis=1)
            # Only where the change is as large as the value itself (noise): a steep true value changes by its slope
            # times the nudge, which is no measure of its rounding error (a few ulps of x, not thousands).
            errors = np.where(SAFETY * change >= np.abs(values), np.maximum(errors, change), errors)
    return values, errors


def _nudged(v: np.ndarray, steps: np.ndarray, own: bool) -> np.ndarray:
    """Copies of the points v, each moved by the relative steps of its own size (`own`) or of the points' scale (the
    largest |v| among them, a range's). Both, since each misses some noise: near 0 a step of the point's own size is
    too small to change any rounding of f's terms (sin² x + cos² x at x = 5e-4), and away from it a step of one
    size may round every term as before."""
    scale = np.abs(v) if own else np.maximum(np.abs(v), float(np.max(np.abs(v), initial=0.0)))
    return (v[None, :] + steps[:, None] * scale[None, :]).ravel()


def zeroed(values: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """The values with each one within SAFETY times its rounding error set to 0 (NaN and ±inf kept as they are).

    >>> zeroed(np.array([3e-17, 0.5, np.nan]), np.array([1e-17, 1e-17, 0.0])).tolist()
    [0.0, 0.5, nan]
    """
    values = np.asarray(values, dtype=np.float64)
    noise = np.isfinite(values) & (np.abs(values) <= SAFETY * np.asarray(errors, dtype=np.float64))
    return np.where(noise, 0.0, values) + 0.0  # + 0.0: -0.0 reads 0


def zeroed_table(
    frame: pd.DataFrame,
    expr: Expression | str,
    *,
    params: Mapping[str, float] | None = None,
    dtype: torch.dtype | str = torch.float64,
) -> pd.DataFrame:
    """A table of derivatives (columns x, f, d1 … dN, as `table` and `grid_table` make it) with every value within its
    rounding error set to 0 (`pointwise_errors` at its points, `zeroed`): what a page shows and lets download. tan(π)
    is -1.2e-16, the tangent of the float nearest π; within its rounding it is 0.

    >>> import derivlib
    >>> zeroed_table(derivlib.table("tan(x)", [3.141592653589793, 1.0], order=1), "tan(x)")["f"].tolist()
    [0.0, 1.5574077246549023]
    """
    order = len(frame.columns) - 2
    _, errors = pointwise_errors(expr, frame["x"].to_numpy(), order=order, params=params, dtype=dtype)
    values = frame.iloc[:, 1:].to_numpy(dtype=np.float64).T
    shown = frame.copy()
    shown.iloc[:, 1:] = zeroed(values, errors).T.astype(frame.iloc[:, 1].dtype)
    return shown


def zero_everywhere(values: np.ndarray, errors: np.ndarray, signs: np.ndarray | None = None) -> bool:
    """Whether values (defined ones, with their rounding errors) are all 0 up to rounding: each within SAFETY times
    its own error; or, where a few estimates came out low (noise that stays the same under every nudge of x), all but
    NEARLY of them so and every one within SAFETY times the largest error of all. `signs` (0 where a value is noise)
    may be given where the errors were spread over neighbours.

    >>> zero_everywhere(np.array([3e-17, -4e-17, 2e-17]), np.array([1e-17, 0.0, 1e-17]))  # one estimate came out 0
    False
    >>> zero_everywhere(np.array([3e-17] * 99 + [-4e-17]), np.array([1e-17] * 99 + [0.0]))
    True
    """
    values, errors = np.asarray(values, dtype=np.float64), np.asarray(errors, dtype=np.float64)
    noise = np.abs(values) <= SAFETY * errors if signs is None else np.asarray(signs) == 0
    if noise.all():
        return True
    largest = float(np.max(errors, initial=0.0))
    return bool(np.count_nonzero(~noise) <= NEARLY * len(values) and np.all(np.abs(values) <= SAFETY * largest))


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
    if values.size == 0:
        return False
    with np.errstate(invalid="ignore"):  # (two passes without copies: a chart's million-point columns, each change)
        low, high = float(np.fmin.reduce(values, axis=None)), float(np.fmax.reduce(values, axis=None))
    if math.isfinite(low) and math.isfinite(high):
        return bool(max(-low, high) <= SAFETY * level)
    finite = values[np.isfinite(values)]  # all NaN, or an infinite value among them
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
