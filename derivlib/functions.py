"""The functions of the formula language: one record each, holding everything derivlib knows about it.

A record gives the function's evaluation in torch (row 0 of every engine, and autograd's derivatives), its Taylor-mode
rule (jet.py), its sympy form (the symbolic cross-check and the LaTeX), the PyTorch source the autograd lab prints,
its domain (why f is undefined where it is), its convention at special points, and its line in the documentation.
Everything else is derived from the records: the parser's names, the README's function table, the page's help, the
symbolic check's sympy→torch walker. tests/test_functions.py checks every record against autograd and sympy (from
the record's test row, tests/function_rows.py), so a record cannot be half-written.

Taylor rules take the order and the series of the arguments (see series.py), at least one of which depends on x (has
two rows or more), and return the function's series. Row 0 is computed by the record's own torch function, so that
every engine's f is exactly autograd's.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from . import series as s
from .series import Series

Tensor = torch.Tensor
DomainRule = tuple[Callable[..., Tensor], str]  # (where the arguments are outside the domain, why)
TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
HALF_SQRT_PI = math.sqrt(math.pi) / 2
LN_2 = math.log(2)


@dataclass(frozen=True)
class Function:
    """One function of the language (see the module's docstring for what each part is used for)."""

    name: str  # as typed and as written in canonical text
    doc: str  # one line for the README's table and the page's help
    torch: Callable[..., Tensor]  # the evaluation: elementwise over broadcast tensors
    taylor: Callable[..., Series]  # (order, *argument series) -> the function's series
    sympy: Callable[..., Any]  # (the sympy module, *arguments) -> the same function in sympy
    code: str  # PyTorch source for the lab, "{0}" (and "{1}") standing for the arguments
    arity: int = 1
    aliases: tuple[str, ...] = ()  # other spellings people type
    domain: tuple[DomainRule, ...] = ()
    convention: str = ""  # what derivlib returns at special points, and why
    kink: bool = False  # not differentiable at some points where it is defined (autograd and sympy may disagree)
    helper: str = ""  # Python source that `code` calls (defined once in the lab's script)
    sympy_also: tuple[str, ...] = ()  # further sympy functions that this record's torch function evaluates
    arguments: tuple[str, ...] = ()  # the arguments' names in the documentation, where not x (and y)
    defaults: tuple[float, ...] = ()  # values of trailing arguments that may be left out (root(x) = root(x, 2))

    @property
    def written_out(self) -> bool:
        """Whether `code` is an expression rather than a single call (the lab parenthesises it then)."""
        return _SINGLE_CALL.fullmatch(self.code) is None


_SINGLE_CALL = re.compile(r"[\w.]+\(\{0\}(, \{1\})?\)")


# ---------------------------------------------------------------------------------------------------------------------
# Taylor rules: u has at least two rows (the engine handles constants and order 0)


def _sin(order: int, u: Series) -> Series:
    return s.sine_pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (order + 1, 1))[0]


def _cos(order: int, u: Series) -> Series:
    return s.sine_pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (1, order + 1))[1]


def _sinh(order: int, u: Series) -> Series:
    return s.sine_pair(order, u, torch.sinh(u[0]), torch.cosh(u[0]), 1.0, (order + 1, 1))[0]


def _cosh(order: int, u: Series) -> Series:
    return s.sine_pair(order, u, torch.sinh(u[0]), torch.cosh(u[0]), 1.0, (1, order + 1))[1]


def _sec(order: int, u: Series) -> Series:
    _, c = s.sine_pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (1, order + 1))
    return s.reciprocal(c, order + 1, 1 / c[0])  # row 0 as the record's torch function writes it


def _csc(order: int, u: Series) -> Series:
    sine, _ = s.sine_pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (order + 1, 1))
    return s.reciprocal(sine, order + 1, 1 / sine[0])


def _cot(order: int, u: Series) -> Series:
    sine, cosine = s.sine_pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (order + 1, order + 1))
    return s.quotient(cosine, sine, order, cosine[0] / sine[0])


def _exp(order: int, u: Series) -> Series:
    y = [torch.exp(u[0])]
    for k in range(1, order + 1):
        y.append(s.integral(k, u, y))
    return y


def _with_derivative(order: int, u: Series, first: Tensor, h: Series, scale: float = 1.0) -> Series:
    """y from y₀ and the series of h = y′/u′ (its first `order` rows)."""
    return [first, *(s.integral(k, u, h, scale) for k in range(1, order + 1))]


def _tan(order: int, u: Series) -> Series:
    y = [torch.tan(u[0])]
    h = [torch.mul(y[0], y[0]).add_(1.0)]  # 1 + tan², the derivative autograd uses
    for k in range(1, order + 1):
        y.append(s.integral(k, u, h))
        if k < order:
            h.append(s.weighted_sum(s.square_terms(y, k)))
    return y


def _tanh_or_sigmoid(order: int, u: Series, first: Tensor, linear: float) -> Series:
    """tanh (h = 1 − y², linear = 0) or sigmoid (h = y − y², linear = 1), the derivatives autograd uses."""
    y = [first]
    h = [torch.sub(1.0, first).mul_(first) if linear else torch.mul(first, first).neg_().add_(1.0)]
    for k in range(1, order + 1):
        y.append(s.integral(k, u, h))
        if k < order:
            total = s.weighted_sum(s.square_terms(y, k, -1.0))
            h.append(s.plus(total, y[k]) if linear else total)
    return y


def _tanh(order: int, u: Series) -> Series:
    return _tanh_or_sigmoid(order, u, torch.tanh(u[0]), 0.0)


def _sigmoid(order: int, u: Series) -> Series:
    return _tanh_or_sigmoid(order, u, torch.sigmoid(u[0]), 1.0)


def _inverse_sine(order: int, u: Series, first: Tensor, constant: float, sign: float, scale: float = 1.0) -> Series:
    """asin (1 − u²)^(−1/2), acos (its negative), asinh (u² + 1)^(−1/2), acosh (u² − 1)^(−1/2)."""
    w = s.constant_plus_square(u, order, constant, sign)
    h = s.power(w, -0.5, order, torch.rsqrt(w[0]), torch.reciprocal(w[0]))
    return _with_derivative(order, u, first, h, scale)


def _asin(order: int, u: Series) -> Series:
    return _inverse_sine(order, u, torch.asin(u[0]), 1.0, -1.0)


def _acos(order: int, u: Series) -> Series:
    return _inverse_sine(order, u, torch.acos(u[0]), 1.0, -1.0, scale=-1.0)


def _asinh(order: int, u: Series) -> Series:
    return _inverse_sine(order, u, torch.asinh(u[0]), 1.0, 1.0)


def _acosh(order: int, u: Series) -> Series:
    return _inverse_sine(order, u, torch.acosh(u[0]), -1.0, 1.0)


def _inverse_tangent(order: int, u: Series, first: Tensor, sign: float) -> Series:
    """atan: h = 1/(1 + u²); atanh: h = 1/(1 − u²)."""
    w = s.constant_plus_square(u, order, 1.0, sign)
    return _with_derivative(order, u, first, s.reciprocal(w, order, torch.reciprocal(w[0])))


def _atan(order: int, u: Series) -> Series:
    return _inverse_tangent(order, u, torch.atan(u[0]), 1.0)


def _atanh(order: int, u: Series) -> Series:
    return _inverse_tangent(order, u, torch.atanh(u[0]), -1.0)


def _log(order: int, u: Series) -> Series:
    return s.log_series(order, u)


def _log10(order: int, u: Series) -> Series:
    return s.log_series(order, u, torch.log10(u[0]), 1 / math.log(10))


def _log2(order: int, u: Series) -> Series:
    return s.log_series(order, u, torch.log2(u[0]), 1 / math.log(2))


def _sqrt(order: int, u: Series) -> Series:
    """y² = u: 2·y₀·y_k = u_k − Σ_{j=1..k−1} y_j·y_{k−j}."""
    y = [torch.sqrt(u[0])]
    reciprocal = torch.reciprocal(y[0])
    for k in range(1, order + 1):
        terms = s.square_terms(y, k, -0.5)  # y has rows 0 … k−1 here, and y₀ takes no part: the pairs of 1 … k−1
        total = s.weighted_sum(terms) if terms else None
        if k < len(u):
            total = torch.mul(u[k], 0.5) if total is None else s.plus(total, u[k], 0.5)
        assert total is not None  # u has 2 rows or more here (order 0 never reaches a Taylor rule)
        y.append(s.times(total, reciprocal))
    return y


def _cbrt_torch(t: Tensor) -> Tensor:
    # The real cube root (defined for negative x too, unlike x^(1/3)); torch has no cbrt of its own.
    return torch.sign(t) * torch.abs(t).pow(1.0 / 3.0)


def _cbrt(order: int, u: Series) -> Series:
    return s.power(u, 1 / 3, order + 1, _cbrt_torch(u[0]), torch.reciprocal(u[0]))


def _abs(order: int, u: Series) -> Series:
    # At u = 0 the rows are sign(0)·u_k = 0, a placeholder: the engine decides a kink from both sides (jet.Seams).
    sign = torch.sign(u[0])
    return [torch.abs(u[0]), *(torch.mul(row, sign) for row in u[1:])]


def _error_function(order: int, u: Series, first: Tensor, scale: float) -> Series:
    """erf′(u) = (2/√π)·exp(−u²), erfc′ its negative."""
    w = s.constant_plus_square(u, order, 0.0, -1.0)
    e = [torch.exp(w[0])]
    for k in range(1, order):
        e.append(s.integral(k, w, e))
    return _with_derivative(order, u, first, e, scale)


def _erf(order: int, u: Series) -> Series:
    return _error_function(order, u, torch.erf(u[0]), TWO_OVER_SQRT_PI)


def _erfc(order: int, u: Series) -> Series:
    return _error_function(order, u, torch.erfc(u[0]), -TWO_OVER_SQRT_PI)


def _erfinv(order: int, u: Series) -> Series:
    """erfinv′(u) = (√π/2)·exp(y²), as autograd writes it: h = exp(y²) from y's own rows, one order behind."""
    y = [torch.erfinv(u[0])]
    w = [torch.mul(y[0], y[0])]
    h = [torch.exp(w[0])]
    for k in range(1, order + 1):
        y.append(s.integral(k, u, h, HALF_SQRT_PI))
        if k < order:
            w.append(s.weighted_sum(s.square_terms(y, k)))
            h.append(s.integral(k, w, h))
    return y


def _exp2(order: int, u: Series) -> Series:
    y = [torch.exp2(u[0])]
    for k in range(1, order + 1):
        y.append(s.integral(k, u, y, LN_2))
    return y


def _expm1(order: int, u: Series) -> Series:
    first = torch.expm1(u[0])
    e = [torch.add(first, 1.0)]  # e^u, as torch's derivative of expm1 writes it: the result + 1
    for k in range(1, order + 1):
        e.append(s.integral(k, u, e))
    return [first, *e[1:]]


def _log1p(order: int, u: Series) -> Series:
    return s.log_series(order, [torch.add(u[0], 1.0), *u[1:]], torch.log1p(u[0]))


def _sech(order: int, u: Series) -> Series:
    _, c = s.sine_pair(order, u, torch.sinh(u[0]), torch.cosh(u[0]), 1.0, (1, order + 1))
    return s.reciprocal(c, order + 1, 1 / c[0])


def _csch(order: int, u: Series) -> Series:
    sine, _ = s.sine_pair(order, u, torch.sinh(u[0]), torch.cosh(u[0]), 1.0, (order + 1, 1))
    return s.reciprocal(sine, order + 1, 1 / sine[0])


def _coth(order: int, u: Series) -> Series:
    tangent = _tanh(order, u)
    return s.reciprocal(tangent, order + 1, 1 / tangent[0])


def _of_reciprocal(rule: Callable[[int, Series], Series]) -> Callable[[int, Series], Series]:
    """asec = acos(1/u), …: the inverse function's rule on the series of 1/u (row 0 as the record writes it, 1 / u)."""

    def taylor(order: int, u: Series) -> Series:
        return rule(order, s.reciprocal(u, order + 1, 1 / u[0]))

    return taylor


# ---------------------------------------------------------------------------------------------------------------------
# Jumps: where a function's value jumps, every derivative is NaN (in both engines, at every order)


class _Jumps(torch.autograd.Function):
    """−0 everywhere (adding it changes no value, not even the sign of a zero), with derivatives that are NaN where
    `jumps` holds and 0 elsewhere: what a step function adds to its value so that autograd finds NaN at its jumps
    (torch's floor, round and sign have derivative 0 everywhere). Each derivative is again such a function plus NaN at
    the jumps, so that the second, third … derivatives are NaN there too, and not 0."""

    @staticmethod
    def forward(ctx, jumps: Tensor, *inputs: Tensor) -> Tensor:
        ctx.save_for_backward(jumps, *inputs)
        return torch.full(jumps.shape, -0.0, dtype=inputs[0].dtype, device=jumps.device)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, ...]:
        jumps, *inputs = ctx.saved_tensors
        derivative = grad * (torch.zeros_like(grad).masked_fill(jumps, math.nan) + _Jumps.apply(jumps, *inputs))
        needed = ctx.needs_input_grad[1:]
        return None, *(
            derivative.sum_to_size(t.shape) if need else None for need, t in zip(needed, inputs, strict=True)
        )


def _with_jumps(value: Tensor, jumps: Tensor, *inputs: Tensor) -> Tensor:
    """value, whose derivatives autograd finds NaN where `jumps` holds (see _Jumps)."""
    if torch.is_grad_enabled() and any(t.requires_grad for t in inputs):
        return value + _Jumps.apply(jumps, *inputs)
    return value


def _nan_where(jumps: Tensor, like: Tensor) -> Tensor:
    return torch.zeros_like(like).masked_fill_(jumps, math.nan)


def _steps(parts: Callable[[Tensor], tuple[Tensor, Tensor]], slope: float = 0.0):
    """The torch function and the Taylor rule of a function that is flat (slope 0) or of slope 1 between its jumps,
    from `parts`, which gives its value (with autograd's slope) and where it jumps. At a jump every derivative is NaN,
    also where the argument only touches the jump (floor(x²) at 0, flat on both sides): autograd sees only the
    argument's value there, never its derivatives."""

    def evaluate(t: Tensor) -> Tensor:
        value, jumps = parts(t)
        return _with_jumps(value, jumps, t)

    def taylor(order: int, u: Series) -> Series:
        value, jumps = parts(u[0])
        flat = _nan_where(jumps, value)
        if not slope:
            return [value, *([flat] * order)]
        return [value, *(torch.add(u[k], flat) if k < len(u) else flat for k in range(1, order + 1))]

    return evaluate, taylor


def _floor_parts(t: Tensor) -> tuple[Tensor, Tensor]:
    value = torch.floor(t)
    return value, value == t


def _ceil_parts(t: Tensor) -> tuple[Tensor, Tensor]:
    value = torch.ceil(t)
    return value, value == t


def _round_parts(t: Tensor) -> tuple[Tensor, Tensor]:
    # Halves away from zero, as calculators do (torch.round rounds them to even); t − trunc(t) is exact.
    whole = torch.trunc(t)
    half = (t - whole).abs() == 0.5
    return torch.where(half, whole + torch.sign(t), torch.round(t)), half


def _sign_parts(t: Tensor) -> tuple[Tensor, Tensor]:
    return torch.sign(t), t == 0


def _heaviside_parts(t: Tensor) -> tuple[Tensor, Tensor]:
    # torch's heaviside has no derivative at all (autograd refuses it): the value from t's number alone
    return torch.heaviside(t.detach(), torch.tensor(0.5, dtype=t.dtype, device=t.device)), t == 0


def _frac_parts(t: Tensor) -> tuple[Tensor, Tensor]:
    whole = torch.floor(t)
    return t - whole, whole == t  # autograd's derivative of t − floor(t): 1


_floor_torch, _floor = _steps(_floor_parts)
_ceil_torch, _ceil = _steps(_ceil_parts)
_round_torch, _round = _steps(_round_parts)
_sign_torch, _sign = _steps(_sign_parts)
_heaviside_torch, _heaviside = _steps(_heaviside_parts)
_frac_torch, _frac = _steps(_frac_parts, slope=1.0)


def _acot_torch(t: Tensor) -> Tensor:
    # sympy's acot: atan(1/x) for x ≠ 0 and π/2 at 0, so it jumps there from −π/2 to π/2. Written as ±π/2 − atan(x)
    # where |x| ≤ 1 (no 1/x there: its derivative −1/x² would overflow for tiny x), atan(1/x) beyond (where
    # π/2 − atan(x) would cancel).
    small = t.abs() <= 1
    beyond = torch.atan(1 / torch.where(small, 1.0, t))
    within = torch.full_like(t, math.pi / 2).masked_fill_(t < 0, -math.pi / 2) - torch.atan(torch.where(small, t, 0.0))
    return _with_jumps(torch.where(small, within, beyond), t == 0, t)


def _acot(order: int, u: Series) -> Series:
    """acot′(u) = −1/(1 + u²) (NaN at 0, where acot jumps)."""
    w = s.constant_plus_square(u, order, 1.0, 1.0)
    y = _with_derivative(order, u, _acot_torch(u[0]), s.reciprocal(w, order, torch.reciprocal(w[0])), -1.0)
    jump = _nan_where(u[0] == 0, u[0])
    return [y[0], *(torch.add(row, jump) for row in y[1:])]


# ---------------------------------------------------------------------------------------------------------------------
# Functions whose derivatives are known pointwise: the gamma family, sinc


class _Pointwise(torch.autograd.Function):
    """f⁽ᵏ⁾(t) from `derivative(k, t)`, which gives every derivative of f pointwise; its backward is f⁽ᵏ⁺¹⁾, so that
    autograd's every order is as accurate as `derivative` is (torch's backward of digamma, its trigamma, is good to
    about 1e-10 only)."""

    @staticmethod
    def forward(ctx, t: Tensor, derivative: Callable[[int, Tensor], Tensor], k: int) -> Tensor:
        ctx.save_for_backward(t)
        ctx.derivative, ctx.k = derivative, k
        return derivative(k, t)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:
        (t,) = ctx.saved_tensors
        return grad * _Pointwise.apply(t, ctx.derivative, ctx.k + 1), None, None


def _pointwise(t: Tensor, derivative: Callable[[int, Tensor], Tensor]) -> Tensor:
    if torch.is_grad_enabled() and t.requires_grad:
        return _Pointwise.apply(t, derivative, 0)
    return derivative(0, t)


def polygamma(n: int, t: Tensor) -> Tensor:
    """ψ⁽ⁿ⁾(t), the n-th derivative of digamma: torch's, except trigamma (n = 1), which torch computes to about 1e-10
    only; ψ⁽¹⁾(t) = ζ(2, t), the Hurwitz zeta function, is good to 1e-15."""
    if n == 0:
        return torch.digamma(t)
    if n == 1:
        return torch.special.zeta(torch.tensor(2.0, dtype=t.dtype, device=t.device), t)
    return torch.special.polygamma(n, t)


def _lgamma_derivative(k: int, t: Tensor) -> Tensor:
    return torch.lgamma(t) if k == 0 else polygamma(k - 1, t)


def _lgamma_torch(t: Tensor) -> Tensor:
    return _pointwise(t, _lgamma_derivative)


def _digamma_torch(t: Tensor) -> Tensor:
    return _pointwise(t, polygamma)


def _gamma_torch(t: Tensor) -> Tensor:
    # torch has lgamma = log|Γ| but no Γ: |Γ| = exp(lgamma), negative on (−1, 0), (−3, −2), … where floor(t) is odd.
    magnitude = torch.exp(_lgamma_torch(t))
    negative = (t < 0) & (torch.remainder(torch.floor(t), 2) == 1)
    pole = (t <= 0) & (torch.floor(t) == t)
    return torch.where(pole, math.nan, torch.where(negative, -magnitude, magnitude))


def _factorial_torch(t: Tensor) -> Tensor:
    return _gamma_torch(t + 1)


def _coefficients(order: int, t: Tensor, first: Tensor, derivative: Callable[[int, Tensor], Tensor]) -> list[Tensor]:
    """[f(t), f′(t), f″(t)/2!, …]: Taylor coefficients from pointwise derivatives (row 0 given as `first`)."""
    return [first, *(derivative(j, t) / math.factorial(j) for j in range(1, order + 1))]


def _lgamma(order: int, u: Series) -> Series:
    return s.compose(order, u, _coefficients(order, u[0], torch.lgamma(u[0]), _lgamma_derivative))


def _digamma(order: int, u: Series) -> Series:
    return s.compose(order, u, _coefficients(order, u[0], torch.digamma(u[0]), polygamma))


def _gamma_series(order: int, u: Series, first: Tensor) -> Series:
    """Γ(u) = ±exp(lgamma(u)): y′ = y·lgamma(u)′, the sign carried by row 0."""
    log = _lgamma(order, u)
    y = [first]
    for k in range(1, order + 1):
        y.append(s.integral(k, log, y))
    return y


def _gamma(order: int, u: Series) -> Series:
    return _gamma_series(order, u, _gamma_torch(u[0]))


def _factorial(order: int, u: Series) -> Series:
    return _gamma_series(order, [torch.add(u[0], 1), *u[1:]], _factorial_torch(u[0]))


# |x| below which sinc comes from its power series: sin(x)/x loses digits near 0, and the derivatives of the
# quotient lose more the higher the order (at 4, tenth derivatives good to 1e-12 by autograd, 1e-14 by Taylor mode)
SINC_SERIES_REACH = 4.0
SINC_SERIES_TERMS = 26  # terms after the 1: the next, 4^54/55!, is 3e-41 (its tenth derivative 1e-27): exhausted


def _sinc_torch(t: Tensor) -> Tensor:
    # Each branch is computed where it is used and from a harmless value elsewhere, so that neither passes NaN back
    # through autograd; the series as 1 − x²/(2·3)·(1 − x²/(4·5)·(1 − …)).
    near = t.abs() < SINC_SERIES_REACH
    inside = torch.where(near, t, 0.0)
    outside = torch.where(near, SINC_SERIES_REACH, t)
    square = inside * inside
    series = torch.ones_like(t)
    for n in range(SINC_SERIES_TERMS, 0, -1):
        series = 1 - square * series / (2 * n * (2 * n + 1))
    return torch.where(near, series, torch.sin(outside) / outside)


def _sinc(order: int, u: Series) -> Series:
    """Taylor coefficients of sinc at u₀, composed with u: near 0 from the power series Σ (−1)ⁿ x²ⁿ/(2n + 1)!
    differentiated term by term; beyond, from x·sinc(x) = sin(x): u₀·c_j = sin⁽ʲ⁾(u₀)/j! − c_{j−1}."""
    t = u[0]
    near = t.abs() < SINC_SERIES_REACH
    inside = torch.where(near, t, 0.0)
    outside = torch.where(near, SINC_SERIES_REACH, t)
    square, reciprocal = inside * inside, torch.reciprocal(outside)
    sine, cosine = torch.sin(outside), torch.cos(outside)
    coefficients = [_sinc_torch(t)]
    for j in range(1, order + 1):
        series = torch.zeros_like(t)
        for n in range(SINC_SERIES_TERMS, (j - 1) // 2, -1):  # Horner over x² of Σ_{2n ≥ j} C(2n, j)·x^(2n−j)/(2n+1)!
            series.mul_(square).add_((-1) ** n * math.comb(2 * n, j) / math.factorial(2 * n + 1))
        if j % 2:
            series.mul_(inside)
        derivative = (sine, cosine, -sine, -cosine)[j % 4] / math.factorial(j)
        beyond = (derivative - coefficients[j - 1]) * reciprocal
        coefficients.append(torch.where(near, series, beyond))
    return s.compose(order, u, coefficients)


# ---------------------------------------------------------------------------------------------------------------------
# Functions of two arguments


def _atan2_torch(y: Tensor, x: Tensor) -> Tensor:
    # torch's atan2, whose derivatives at (0, 0), where the angle has no limit, are NaN (torch's first one is 0 there)
    return _with_jumps(torch.atan2(y, x), (y == 0) & (x == 0), y, x)


def _atan2(order: int, y: Series, x: Series) -> Series:
    """θ = atan2(y, x): θ′ = (x·y′ − y·x′)/(x² + y²), a quotient of series; θ_k = [θ′]_{k−1}/k."""
    rows = [torch.atan2(y[0], x[0])]
    squares = [torch.add(torch.mul(x[0], x[0]), torch.mul(y[0], y[0]))]
    for m in range(1, order):
        terms = s.square_terms(x, m) + s.square_terms(y, m)
        squares.append(s.weighted_sum(terms) if terms else squares[0].new_zeros(()))
    numerator = []  # [x·y′ − y·x′]_m = Σ_{i+j=m+1} j·(x_i·y_j − y_i·x_j)
    for m in range(order):
        terms = [(float(j), x[m + 1 - j], y[j]) for j in range(1, m + 2) if j < len(y) and m + 1 - j < len(x)]
        terms += [(-float(j), y[m + 1 - j], x[j]) for j in range(1, m + 2) if j < len(x) and m + 1 - j < len(y)]
        numerator.append(s.weighted_sum(terms) if terms else squares[0].new_zeros(()))
    derivative = s.quotient(numerator, squares, order - 1, numerator[0] / squares[0])
    return rows + [torch.div(derivative[k - 1], k) for k in range(1, order + 1)]


def _hypot(order: int, a: Series, b: Series) -> Series:
    """y² = a² + b²: 2·y₀·y_k = [a²]_k + [b²]_k − Σ_{j=1..k−1} y_j·y_{k−j} (row 0 by torch, which never overflows)."""
    y = [torch.hypot(a[0], b[0])]
    reciprocal = torch.reciprocal(y[0])
    for k in range(1, order + 1):
        terms = s.square_terms(a, k, 0.5) + s.square_terms(b, k, 0.5) + s.square_terms(y, k, -0.5)
        y.append(s.times(s.weighted_sum(terms), reciprocal) if terms else y[0].new_zeros(()))
    return y


def _min_or_max(order: int, a: Series, b: Series, first: Tensor, sign: float) -> Series:
    """The series of the argument that is smaller (sign 1) or larger (sign −1); at a tie the mean of both, a placeholder
    (as autograd splits the gradient evenly there) until the engine decides the tie from both sides (jet.Seams)."""
    a_wins = sign * a[0] < sign * b[0]
    b_wins = sign * b[0] < sign * a[0]
    rows = [first]
    zero = first.new_zeros(())
    for k in range(1, max(len(a), len(b))):
        ak, bk = a[k] if k < len(a) else zero, b[k] if k < len(b) else zero
        rows.append(torch.where(a_wins, ak, torch.where(b_wins, bk, (ak + bk) * 0.5)))
    return rows


def _min(order: int, a: Series, b: Series) -> Series:
    return _min_or_max(order, a, b, torch.minimum(a[0], b[0]), 1.0)


def _max(order: int, a: Series, b: Series) -> Series:
    return _min_or_max(order, a, b, torch.maximum(a[0], b[0]), -1.0)


def _mod_parts(x: Tensor, m: Tensor) -> tuple[Tensor, Tensor]:
    value = torch.remainder(x, m)  # the sign of m, as Python's %; exact (it is fmod, then + m where the signs differ)
    return value, value == 0  # x a whole multiple of m: where mod jumps, in x and in m


def _mod_torch(x: Tensor, m: Tensor) -> Tensor:
    value, jumps = _mod_parts(x, m)
    return _with_jumps(value, jumps, x, m)  # torch's own derivatives between the jumps: 1 and −floor(x/m)


def _mod(order: int, x: Series, m: Series) -> Series:
    """x − m·floor(x/m) with floor(x/m) constant between the jumps: rows x_k − floor(x/m)·m_k, NaN at the jumps."""
    value, jumps = _mod_parts(x[0], m[0])
    flat = _nan_where(jumps, value)
    quotient = torch.div(x[0], m[0], rounding_mode="floor")  # as torch's derivative of remainder in m writes it
    rows = [value]
    for k in range(1, order + 1):
        row = flat if k >= len(x) else torch.add(x[k], flat)
        rows.append(row if k >= len(m) else torch.sub(row, torch.mul(quotient, m[k])))
    return rows


def _root_parts(a: Tensor, n: Tensor) -> tuple[Tensor, Tensor]:
    """Where the root is −|a|^(1/n) (an odd whole n and a negative a), and the base |a| there, a elsewhere."""
    negative = (torch.remainder(n, 2) == 1) & (a < 0)
    return negative, torch.where(negative, -a, a)


def _root_torch(a: Tensor, n: Tensor) -> Tensor:
    negative, base = _root_parts(a, n)
    magnitude = torch.pow(base, 1 / n)
    return torch.where(n == 0, math.nan, torch.where(negative, -magnitude, magnitude))


def _root(order: int, a: Series, n: Series) -> Series:
    """±base^(1/n) with base = |a| or a (see _root_parts): for a constant n, base·y′ = p·y·base′ (p = 1/n, a tensor);
    otherwise exp(log(base)/n)."""
    negative, _ = _root_parts(a[0], n[0])
    sign = torch.where(negative, -1.0, 1.0).to(a[0].dtype)
    base = [row * sign for row in a]
    first = _root_torch(a[0], n[0])
    y = [first * sign]  # base^(1/n) itself (sign is ±1: exact)
    if len(n) == 1:
        p, reciprocal = 1 / n[0], torch.reciprocal(base[0])
        for k in range(1, order + 1):  # k·base₀·y_k = Σ_{j=1..k} ((p + 1)·j − k)·base_j·y_{k−j}
            top = min(k, len(base) - 1) + 1
            total = s.weighted_sum([(j / k, base[j], y[k - j]) for j in range(1, top)]).mul_(p + 1)
            total = s.plus(total, s.weighted_sum([(1.0, base[j], y[k - j]) for j in range(1, top)]), -1.0)
            y.append(s.times(total, reciprocal))
    else:
        log = s.log_series(order, base) if len(base) > 1 else [torch.log(base[0])]
        exponent = s.product(order, s.reciprocal(n, order + 1, 1 / n[0]), log)
        for k in range(1, order + 1):
            y.append(s.integral(k, exponent, y))
    return [first, *(row * sign for row in y[1:])]


# ---------------------------------------------------------------------------------------------------------------------
# sympy's step functions, with derivatives

# sympy leaves the derivatives of floor, ceiling and frac unevaluated (Derivative(floor(x), x)), which neither the
# symbolic check nor the tests' oracle can evaluate. These subclasses give 0 (frac: 1), the derivative wherever the
# function is smooth. They are built on first use (sympy takes a while to import); pickle finds them by name.
_SYMPY_STEPS = {"SympyFloor": ("floor", 0), "SympyCeiling": ("ceiling", 0), "SympyFrac": ("frac", 1)}


@functools.cache
def sympy_step(name: str) -> type:
    """The sympy class `name` of _SYMPY_STEPS: sympy's own function, with its derivative where it is smooth."""
    import sympy

    base, slope = _SYMPY_STEPS[name]

    def fdiff(self, argindex: int = 1) -> Any:
        return sympy.Integer(slope)

    parent = getattr(sympy, base)
    return type(parent)(base, (parent,), {"fdiff": fdiff, "__module__": __name__, "__qualname__": name})


def __getattr__(name: str) -> type:
    if name in _SYMPY_STEPS:
        return sympy_step(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _root_sympy(sp: Any, a: Any, n: Any) -> Any:
    """The real root in sympy: sign(a)·|a|^(1/n) for an odd whole n that sympy can see (root(x, 3)), else a^(1/n)."""
    if n.is_odd:
        return sp.sign(a) * sp.Abs(a) ** (1 / n)
    return a ** (1 / n)


# ---------------------------------------------------------------------------------------------------------------------
# The lab's helpers: Python source for what torch lacks, computing exactly what the records' torch functions compute

_JUMPS_HELPER = """\\
class Jumps(torch.autograd.Function):  # -0, with derivatives NaN at the jumps (every order), 0 elsewhere
    @staticmethod
    def forward(ctx, jumps, *inputs):
        ctx.save_for_backward(jumps, *inputs)
        return torch.full(jumps.shape, -0.0, dtype=inputs[0].dtype, device=jumps.device)

    @staticmethod
    def backward(ctx, grad):
        jumps, *inputs = ctx.saved_tensors
        derivative = grad * (torch.zeros_like(grad).masked_fill(jumps, torch.nan) + Jumps.apply(jumps, *inputs))
        needed = ctx.needs_input_grad[1:]
        return None, *(derivative.sum_to_size(t.shape) if need else None for need, t in zip(needed, inputs))


"""


def _jumps_helper(source: str) -> str:
    return _JUMPS_HELPER + source


def _simple_helper(name: str, body: str) -> str:
    return f"def {name}(t):\n    return {body}"


_GAMMA_BODY = """\\
    magnitude = torch.exp(torch.lgamma(t))
    negative = (t < 0) & (torch.remainder(torch.floor(t), 2) == 1)
    pole = (t <= 0) & (torch.floor(t) == t)
    return torch.where(pole, torch.nan, torch.where(negative, -magnitude, magnitude))"""


# ---------------------------------------------------------------------------------------------------------------------
# Domain rules, as data


def _below(bound: float, why: str) -> DomainRule:
    return (lambda a: a < bound, why)


def _pole(name: str, shift: float = 0.0) -> DomainRule:
    return (lambda a: (a + shift <= 0) & (torch.floor(a) == a), f"{name} (a pole)")


_LOG_DOMAIN = (_below(0, "log of a negative number"), (lambda a: a == 0, "log of zero"))
_UNIT_INTERVAL = "of a number outside [-1, 1]"
_INSIDE_UNIT_INTERVAL = "of a number strictly between -1 and 1"


# ---------------------------------------------------------------------------------------------------------------------
# The records

_STEP = "derivative 0 where it is flat, undefined at the jumps"

RECORDS: tuple[Function, ...] = (
    Function("sin", "sine", torch.sin, _sin, lambda sp, a: sp.sin(a), "torch.sin({0})"),
    Function("cos", "cosine", torch.cos, _cos, lambda sp, a: sp.cos(a), "torch.cos({0})"),
    Function("tan", "tangent", torch.tan, _tan, lambda sp, a: sp.tan(a), "torch.tan({0})"),
    Function(
        "sec",
        "secant, 1/cos",
        lambda t: 1 / torch.cos(t),
        _sec,
        lambda sp, a: 1 / sp.cos(a),  # sympy's unevaluated sec(0) crashes
        "1 / torch.cos({0})",
        domain=((lambda a: torch.cos(a) == 0, "sec where cos is zero"),),
        sympy_also=("sec",),
    ),
    Function(
        "csc",
        "cosecant, 1/sin",
        lambda t: 1 / torch.sin(t),
        _csc,
        lambda sp, a: 1 / sp.sin(a),  # … and so does csc(0)
        "1 / torch.sin({0})",
        domain=((lambda a: torch.sin(a) == 0, "csc where sin is zero"),),
        sympy_also=("csc",),
    ),
    Function(
        "cot",
        "cotangent, cos/sin",
        lambda t: torch.cos(t) / torch.sin(t),
        _cot,
        lambda sp, a: sp.cot(a),
        "cot({0})",  # cos(u)/sin(u) needs u twice, and two copies would round the chain rule differently
        domain=((lambda a: torch.sin(a) == 0, "cot where sin is zero"),),
        helper="def cot(t):  # torch has no cot; derivlib computes it as cos / sin\n"
        "    return torch.cos(t) / torch.sin(t)",
    ),
    Function(
        "asin",
        "inverse sine",
        torch.asin,
        _asin,
        lambda sp, a: sp.asin(a),
        "torch.asin({0})",
        aliases=("arcsin",),
        domain=((lambda a: a.abs() > 1, f"asin {_UNIT_INTERVAL}"),),
    ),
    Function(
        "acos",
        "inverse cosine",
        torch.acos,
        _acos,
        lambda sp, a: sp.acos(a),
        "torch.acos({0})",
        aliases=("arccos",),
        domain=((lambda a: a.abs() > 1, f"acos {_UNIT_INTERVAL}"),),
    ),
    Function(
        "atan", "inverse tangent", torch.atan, _atan, lambda sp, a: sp.atan(a), "torch.atan({0})", aliases=("arctan",)
    ),
    Function(
        "atan2",
        "angle of the point (x, y) from the x-axis, in (-π, π]",
        _atan2_torch,
        _atan2,
        lambda sp, y, x: sp.atan2(y, x),
        "atan2({0}, {1})",
        arity=2,
        arguments=("y", "x"),
        convention="atan2(0, 0) = 0, as in C and numpy, its derivatives undefined; on the negative x-axis, where the "
        "angle jumps by 2π, the derivatives are those of both sides",
        helper=_jumps_helper(
            "def atan2(y, x):  # torch.atan2, whose derivatives are NaN at (0, 0) (torch's first one is 0 there)\n"
            "    return torch.atan2(y, x) + Jumps.apply((y == 0) & (x == 0), y, x)"
        ),
    ),
    Function(
        "asec",
        "inverse secant, acos(1/x)",
        lambda t: torch.acos(1 / t),
        _of_reciprocal(_acos),
        lambda sp, a: sp.asec(a),
        "asec({0})",
        aliases=("arcsec",),
        domain=((lambda a: a.abs() < 1, f"asec {_INSIDE_UNIT_INTERVAL}"),),
        helper=_simple_helper("asec", "torch.acos(1 / t)"),
    ),
    Function(
        "acsc",
        "inverse cosecant, asin(1/x)",
        lambda t: torch.asin(1 / t),
        _of_reciprocal(_asin),
        lambda sp, a: sp.asin(1 / a),  # sympy's unevaluated acsc(0) crashes its assumptions
        "acsc({0})",
        aliases=("arccsc",),
        domain=((lambda a: a.abs() < 1, f"acsc {_INSIDE_UNIT_INTERVAL}"),),
        helper=_simple_helper("acsc", "torch.asin(1 / t)"),
        sympy_also=("acsc",),
    ),
    Function(
        "acot",
        "inverse cotangent, atan(1/x)",
        _acot_torch,
        _acot,
        lambda sp, a: sp.acot(a),
        "acot({0})",
        aliases=("arccot",),
        convention="acot(0) = π/2, as sympy's: it jumps there from -π/2, and its derivatives are undefined at 0",
        kink=True,
        helper=_jumps_helper(
            "def acot(t):  # sympy's acot: atan(1/t), and pi/2 at 0, where it jumps\n"
            "    small = t.abs() <= 1\n"
            "    beyond = torch.atan(1 / torch.where(small, 1.0, t))\n"
            "    quarter_turn = torch.full_like(t, torch.pi / 2).masked_fill(t < 0, -torch.pi / 2)\n"
            "    within = quarter_turn - torch.atan(torch.where(small, t, 0.0))\n"
            "    return torch.where(small, within, beyond) + Jumps.apply(t == 0, t)"
        ),
    ),
    Function("sinh", "hyperbolic sine", torch.sinh, _sinh, lambda sp, a: sp.sinh(a), "torch.sinh({0})"),
    Function("cosh", "hyperbolic cosine", torch.cosh, _cosh, lambda sp, a: sp.cosh(a), "torch.cosh({0})"),
    Function("tanh", "hyperbolic tangent", torch.tanh, _tanh, lambda sp, a: sp.tanh(a), "torch.tanh({0})"),
    Function(
        "sech",
        "hyperbolic secant, 1/cosh",
        lambda t: 1 / torch.cosh(t),
        _sech,
        lambda sp, a: sp.sech(a),
        "sech({0})",
        helper=_simple_helper("sech", "1 / torch.cosh(t)"),
    ),
    Function(
        "csch",
        "hyperbolic cosecant, 1/sinh",
        lambda t: 1 / torch.sinh(t),
        _csch,
        lambda sp, a: sp.csch(a),
        "csch({0})",
        domain=((lambda a: a == 0, "csch of zero"),),
        helper=_simple_helper("csch", "1 / torch.sinh(t)"),
    ),
    Function(
        "coth",
        "hyperbolic cotangent, 1/tanh",
        lambda t: 1 / torch.tanh(t),
        _coth,
        lambda sp, a: 1 / sp.tanh(a),  # sympy's unevaluated coth(0) crashes its assumptions
        "coth({0})",
        domain=((lambda a: a == 0, "coth of zero"),),
        helper=_simple_helper("coth", "1 / torch.tanh(t)"),
        sympy_also=("coth",),
    ),
    Function(
        "asinh",
        "inverse hyperbolic sine",
        torch.asinh,
        _asinh,
        lambda sp, a: sp.asinh(a),
        "torch.asinh({0})",
        aliases=("arsinh", "arcsinh"),
    ),
    Function(
        "acosh",
        "inverse hyperbolic cosine",
        torch.acosh,
        _acosh,
        lambda sp, a: sp.acosh(a),
        "torch.acosh({0})",
        aliases=("arcosh", "arccosh"),
        domain=(_below(1, "acosh of a number below 1"),),
    ),
    Function(
        "atanh",
        "inverse hyperbolic tangent",
        torch.atanh,
        _atanh,
        lambda sp, a: sp.atanh(a),
        "torch.atanh({0})",
        aliases=("artanh", "arctanh"),
        domain=((lambda a: a.abs() > 1, f"atanh {_UNIT_INTERVAL}"), (lambda a: a.abs() == 1, "atanh of ±1")),
    ),
    Function(
        "asech",
        "inverse hyperbolic secant, acosh(1/x)",
        lambda t: torch.acosh(1 / t),
        _of_reciprocal(_acosh),
        lambda sp, a: sp.asech(a),
        "asech({0})",
        aliases=("arsech", "arcsech"),
        domain=((lambda a: (a < 0) | (a > 1), "asech of a number outside [0, 1]"), (lambda a: a == 0, "asech of zero")),
        helper=_simple_helper("asech", "torch.acosh(1 / t)"),
    ),
    Function(
        "acsch",
        "inverse hyperbolic cosecant, asinh(1/x)",
        lambda t: torch.asinh(1 / t),
        _of_reciprocal(_asinh),
        lambda sp, a: sp.acsch(a),
        "acsch({0})",
        aliases=("arcsch", "arccsch"),
        domain=((lambda a: a == 0, "acsch of zero"),),
        helper=_simple_helper("acsch", "torch.asinh(1 / t)"),
    ),
    Function(
        "acoth",
        "inverse hyperbolic cotangent, atanh(1/x)",
        lambda t: torch.atanh(1 / t),
        _of_reciprocal(_atanh),
        lambda sp, a: sp.acoth(a),
        "acoth({0})",
        aliases=("arcoth", "arccoth"),
        domain=((lambda a: a.abs() < 1, f"acoth {_INSIDE_UNIT_INTERVAL}"), (lambda a: a.abs() == 1, "acoth of ±1")),
        helper=_simple_helper("acoth", "torch.atanh(1 / t)"),
    ),
    Function("exp", "exponential, e^x", torch.exp, _exp, lambda sp, a: sp.exp(a), "torch.exp({0})"),
    Function("exp2", "2^x", torch.exp2, _exp2, lambda sp, a: sp.Pow(2, a), "torch.exp2({0})"),
    Function("expm1", "e^x - 1, accurate near 0", torch.expm1, _expm1, lambda sp, a: sp.exp(a) - 1, "torch.expm1({0})"),
    Function(
        "log",
        "natural logarithm",
        torch.log,
        _log,
        lambda sp, a: sp.log(a),
        "torch.log({0})",
        aliases=("ln",),
        domain=_LOG_DOMAIN,
    ),
    Function(
        "log10",
        "logarithm to base 10",
        torch.log10,
        _log10,
        lambda sp, a: sp.log(a) / sp.log(10),
        "torch.log10({0})",
        aliases=("lg",),
        domain=_LOG_DOMAIN,
    ),
    Function(
        "log2",
        "logarithm to base 2",
        torch.log2,
        _log2,
        lambda sp, a: sp.log(a) / sp.log(2),
        "torch.log2({0})",
        domain=_LOG_DOMAIN,
    ),
    Function(
        "log1p",
        "log(1 + x), accurate near 0",
        torch.log1p,
        _log1p,
        lambda sp, a: sp.log(1 + a),
        "torch.log1p({0})",
        domain=(_below(-1, "log1p of a number below -1"), (lambda a: a == -1, "log1p of -1")),
    ),
    Function(
        "sqrt",
        "square root (also √)",
        torch.sqrt,
        _sqrt,
        lambda sp, a: sp.sqrt(a),
        "torch.sqrt({0})",
        domain=(_below(0, "square root of a negative number"),),
    ),
    Function(
        "cbrt",
        "real cube root, defined for negative x too (x^(1/3) is not)",
        _cbrt_torch,
        _cbrt,
        lambda sp, a: sp.sign(a) * sp.Abs(a) ** sp.Rational(1, 3),  # the real root
        "torch.sign({0}) * torch.abs({0}) ** (1 / 3)",  # the sign's derivative is 0: one copy of {0} is enough
        convention="infinite slope at 0: f′ is ±inf there, as the limit is",
        kink=True,
    ),
    Function(
        "root",
        "real n-th root: for an odd whole n defined for negative x too (root(-8, 3) = -2), like cbrt; root(x) is the "
        "square root",
        _root_torch,
        _root,
        _root_sympy,
        "root({0}, {1})",
        arity=2,
        arguments=("x", "n"),
        defaults=(2.0,),  # root(x) is the square root, as math.js's nthRoot(x)
        aliases=("nthroot",),
        domain=(
            (lambda a, n: n == 0, "root of index 0"),
            (lambda a, n: (a < 0) & (torch.remainder(n, 2) != 1), "root of a negative number, not an odd whole index"),
        ),
        convention="infinite slope at 0, as cbrt",
        kink=True,
        helper="def root(a, n):  # the real n-th root: -|a|^(1/n) for a negative a and an odd whole n\n"
        "    negative = (torch.remainder(n, 2) == 1) & (a < 0)\n"
        "    magnitude = torch.pow(torch.where(negative, -a, a), 1 / n)\n"
        "    return torch.where(n == 0, torch.nan, torch.where(negative, -magnitude, magnitude))",
    ),
    Function(
        "hypot",
        "√(x² + y²), without overflow",
        torch.hypot,
        _hypot,
        lambda sp, a, b: sp.sqrt(a**2 + b**2),
        "torch.hypot({0}, {1})",
        arity=2,
        convention="its derivatives are undefined at (0, 0), the tip of the cone",
        kink=True,
    ),
    Function(
        "abs",
        "absolute value",
        torch.abs,
        _abs,
        lambda sp, a: sp.Abs(a),
        "torch.abs({0})",
        convention="a corner at 0: no derivative there where the sides' differ (|x|), every one where they agree "
        "(|x²| = x²), as for a piecewise definition",
        kink=True,
    ),
    Function(
        "sign",
        "sign: -1, 0 or 1",
        _sign_torch,
        _sign,
        lambda sp, a: sp.sign(a),
        "sign({0})",
        aliases=("sgn",),
        convention="sign(0) = 0; derivative 0 for x ≠ 0, undefined at 0 (a jump)",
        kink=True,
        helper=_jumps_helper(_simple_helper("sign", "torch.sign(t) + Jumps.apply(t == 0, t)")),
    ),
    Function(
        "heaviside",
        "unit step: 0 for x < 0, 1 for x > 0",
        _heaviside_torch,
        _heaviside,
        lambda sp, a: (1 + sp.sign(a)) / 2,  # sympy's Heaviside refuses a complex argument where sign does not
        "heaviside({0})",
        aliases=("step",),
        convention="1/2 at 0, as sympy's Heaviside, (1 + sign(x))/2; derivative 0 for x ≠ 0, undefined at 0 (a jump)",
        kink=True,
        helper=_jumps_helper(
            "def heaviside(t):  # 1/2 at 0; torch's heaviside has no derivative, so its value from t's numbers alone\n"
            "    half = torch.tensor(0.5, dtype=t.dtype, device=t.device)\n"
            "    return torch.heaviside(t.detach(), half) + Jumps.apply(t == 0, t)"
        ),
    ),
    Function(
        "floor",
        "largest whole number ≤ x",
        _floor_torch,
        _floor,
        lambda sp, a: sympy_step("SympyFloor")(a),
        "floor({0})",
        convention=f"{_STEP} (the whole numbers)",
        kink=True,
        sympy_also=("floor",),
        helper=_jumps_helper(
            "def floor(t):  # torch.floor, whose derivatives are NaN at the jumps (torch's are 0 there)\n"
            "    value = torch.floor(t)\n"
            "    return value + Jumps.apply(value == t, t)"
        ),
    ),
    Function(
        "ceil",
        "smallest whole number ≥ x",
        _ceil_torch,
        _ceil,
        lambda sp, a: sympy_step("SympyCeiling")(a),
        "ceil({0})",
        aliases=("ceiling",),
        convention=f"{_STEP} (the whole numbers)",
        kink=True,
        sympy_also=("ceiling",),
        helper=_jumps_helper(
            "def ceil(t):  # torch.ceil, whose derivatives are NaN at the jumps (torch's are 0 there)\n"
            "    value = torch.ceil(t)\n"
            "    return value + Jumps.apply(value == t, t)"
        ),
    ),
    Function(
        "round",
        "nearest whole number, halves away from zero (round(2.5) = 3, round(-2.5) = -3), as calculators and Desmos "
        "(torch.round rounds halves to even)",
        _round_torch,
        _round,
        lambda sp, a: sp.sign(a) * sympy_step("SympyFloor")(sp.Abs(a) + sp.Rational(1, 2)),
        "round({0})",
        convention=f"{_STEP} (the halves)",
        kink=True,
        helper=_jumps_helper(
            "def round(t):  # halves away from zero (torch.round rounds them to even); NaN derivatives at the jumps\n"
            "    whole = torch.trunc(t)\n"
            "    half = (t - whole).abs() == 0.5\n"
            "    return torch.where(half, whole + torch.sign(t), torch.round(t)) + Jumps.apply(half, t)"
        ),
    ),
    Function(
        "frac",
        "fractional part, x - floor(x), in [0, 1)",
        _frac_torch,
        _frac,
        lambda sp, a: sympy_step("SympyFrac")(a),
        "frac({0})",
        convention="derivative 1, undefined at the whole numbers (the jumps)",
        kink=True,
        sympy_also=("frac",),
        helper=_jumps_helper(
            "def frac(t):  # t - floor(t): derivative 1, NaN at the jumps\n"
            "    whole = torch.floor(t)\n"
            "    return t - whole + Jumps.apply(whole == t, t)"
        ),
    ),
    Function(
        "mod",
        "remainder of x divided by m, with the sign of m, as Python's % and Desmos: x - m·floor(x/m)",
        _mod_torch,
        _mod,
        lambda sp, a, b: a - b * sympy_step("SympyFloor")(a / b),
        "mod({0}, {1})",
        arity=2,
        arguments=("x", "m"),
        domain=((lambda a, b: b == 0, "mod by zero"),),
        convention="derivatives 1 in x and -floor(x/m) in m; undefined where x/m is a whole number (the jumps)",
        kink=True,
        helper=_jumps_helper(
            "def mod(x, m):  # the sign of m, as Python's %; NaN derivatives where x is a whole multiple of m\n"
            "    value = torch.remainder(x, m)\n"
            "    return value + Jumps.apply(value == 0, x, m)"
        ),
    ),
    Function(
        "min",
        "the smaller of x and y",
        torch.minimum,
        _min,
        lambda sp, a, b: (a + b - sp.Abs(a - b)) / 2,  # sympy's Min refuses arguments it cannot compare (zoo)
        "torch.minimum({0}, {1})",
        arity=2,
        convention="at a tie, a derivative only where x's and y's sides agree (min(x, 1) has none at 1), as for a "
        "piecewise definition",
        kink=True,
    ),
    Function(
        "max",
        "the larger of x and y",
        torch.maximum,
        _max,
        lambda sp, a, b: (a + b + sp.Abs(a - b)) / 2,
        "torch.maximum({0}, {1})",
        arity=2,
        convention="at a tie, a derivative only where x's and y's sides agree, as for min",
        kink=True,
    ),
    Function(
        "sigmoid",
        "logistic function, 1/(1 + e^-x)",
        torch.sigmoid,
        _sigmoid,
        lambda sp, a: 1 / (1 + sp.exp(-a)),
        "torch.sigmoid({0})",
    ),
    Function("erf", "error function", torch.erf, _erf, lambda sp, a: sp.erf(a), "torch.erf({0})"),
    Function(
        "erfc",
        "complementary error function, 1 - erf(x)",
        torch.erfc,
        _erfc,
        lambda sp, a: sp.erfc(a),
        "torch.erfc({0})",
    ),
    Function(
        "erfinv",
        "inverse error function, on (-1, 1)",
        torch.erfinv,
        _erfinv,
        lambda sp, a: sp.erfinv(a),
        "torch.erfinv({0})",
        domain=((lambda a: a.abs() > 1, f"erfinv {_UNIT_INTERVAL}"), (lambda a: a.abs() == 1, "erfinv of ±1")),
        convention="erfinv(±1) = ±inf",
    ),
    Function(
        "gamma",
        "gamma function Γ(x), (x - 1)! for whole x",
        _gamma_torch,
        _gamma,
        lambda sp, a: sp.gamma(a),
        "gamma({0})",
        domain=(_pole("gamma at a non-positive integer"),),
        convention="undefined at 0, -1, -2, … (its poles, where it has no sign)",
        helper=f"def gamma(t):  # torch has lgamma = log|Γ| but not Γ: its sign is -1 where floor(t) < 0 is odd\n"
        f"{_GAMMA_BODY}",
    ),
    Function(
        "lgamma",
        "log of abs(Γ(x)), as torch's lgamma (sympy's loggamma is complex for x < 0, where Γ(x) may be negative)",
        _lgamma_torch,
        _lgamma,
        lambda sp, a: sp.loggamma(a),
        "torch.lgamma({0})",
        aliases=("loggamma",),
        domain=(_pole("lgamma at a non-positive integer"),),
    ),
    Function(
        "digamma",
        "digamma function ψ(x) = Γ′(x)/Γ(x)",
        _digamma_torch,
        _digamma,
        lambda sp, a: sp.digamma(a),
        "torch.digamma({0})",
        domain=(_pole("digamma at a non-positive integer"),),
        sympy_also=("digamma",),  # sympy writes digamma(x) as polygamma(0, x), but not while building unevaluated
    ),
    Function(
        "factorial",
        "x!, that is Γ(x + 1), for every real x but the negative integers",
        _factorial_torch,
        _factorial,
        lambda sp, a: sp.factorial(a),
        "factorial({0})",
        domain=(_pole("factorial of a negative integer", shift=1.0),),
        helper=f"def factorial(t):  # x! = Γ(x + 1): torch has lgamma = log|Γ| but not Γ\n    t = t + 1\n{_GAMMA_BODY}",
    ),
    Function(
        "sinc",
        "sin(x)/x, 1 at 0: the unnormalised sinc, as sympy's and most texts' (numpy's and torch's sinc is "
        "sin(πx)/(πx))",
        _sinc_torch,
        _sinc,
        lambda sp, a: sp.sinc(a),
        "sinc({0})",
        helper="def sinc(t):  # sin(t)/t, 1 at 0; near 0 its power series, where sin(t)/t loses digits\n"
        f"    near = t.abs() < {SINC_SERIES_REACH!r}\n"
        "    inside = torch.where(near, t, 0.0)\n"
        f"    outside = torch.where(near, {SINC_SERIES_REACH!r}, t)\n"
        "    square = inside * inside\n"
        "    series = torch.ones_like(t)\n"
        f"    for n in range({SINC_SERIES_TERMS}, 0, -1):\n"
        "        series = 1 - square * series / (2 * n * (2 * n + 1))\n"
        "    return torch.where(near, series, torch.sin(outside) / outside)",
    ),
)

FUNCTIONS: dict[str, Function] = {record.name: record for record in RECORDS}
ALIASES: dict[str, str] = {alias: record.name for record in RECORDS for alias in record.aliases}
NAMES: dict[str, Function] = FUNCTIONS | {alias: FUNCTIONS[name] for alias, name in ALIASES.items()}


def table() -> str:
    """The README's table of functions, one row per record (a test checks that the README holds it verbatim)."""
    rows = ["| function | what it is | also written |", "|---|---|---|"]
    for record in RECORDS:
        call = f"`{record.name}({', '.join(record.arguments or 'xy'[: record.arity])})`"
        also = ", ".join(f"`{alias}`" for alias in record.aliases)
        doc = record.doc + (f"; {record.convention}" if record.convention else "")
        rows.append(f"| {call} | {doc} | {also} |")
    return "\n".join(rows)


def names_in_words() -> str:
    """The functions' names as a sentence for the page's help: 'sin, cos, tan, …'."""
    return ", ".join(record.name for record in RECORDS)
