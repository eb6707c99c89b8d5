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
        y.append(s.times(total, reciprocal))
    return y


def _cbrt_torch(t: Tensor) -> Tensor:
    # The real cube root (defined for negative x too, unlike x^(1/3)); torch has no cbrt of its own.
    return torch.sign(t) * torch.abs(t).pow(1.0 / 3.0)


def _cbrt(order: int, u: Series) -> Series:
    return s.power(u, 1 / 3, order + 1, _cbrt_torch(u[0]), torch.reciprocal(u[0]))


def _abs(order: int, u: Series) -> Series:
    sign = torch.sign(u[0])  # torch's sign(0) = 0, autograd's derivative of |u| at 0
    return [torch.abs(u[0]), *(torch.mul(row, sign) for row in u[1:])]


def _erf(order: int, u: Series) -> Series:
    """erf′(u) = (2/√π)·exp(−u²)."""
    w = s.constant_plus_square(u, order, 0.0, -1.0)
    e = [torch.exp(w[0])]
    for k in range(1, order):
        e.append(s.integral(k, w, e))
    return _with_derivative(order, u, torch.erf(u[0]), e, TWO_OVER_SQRT_PI)


# ---------------------------------------------------------------------------------------------------------------------
# Domain rules, as data


def _below(bound: float, why: str) -> DomainRule:
    return (lambda a: a < bound, why)


_LOG_DOMAIN = (_below(0, "log of a negative number"), (lambda a: a == 0, "log of zero"))
_UNIT_INTERVAL = "of a number outside [-1, 1]"


# ---------------------------------------------------------------------------------------------------------------------
# The records

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
    Function("sinh", "hyperbolic sine", torch.sinh, _sinh, lambda sp, a: sp.sinh(a), "torch.sinh({0})"),
    Function("cosh", "hyperbolic cosine", torch.cosh, _cosh, lambda sp, a: sp.cosh(a), "torch.cosh({0})"),
    Function("tanh", "hyperbolic tangent", torch.tanh, _tanh, lambda sp, a: sp.tanh(a), "torch.tanh({0})"),
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
    Function("exp", "exponential, e^x", torch.exp, _exp, lambda sp, a: sp.exp(a), "torch.exp({0})"),
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
        "abs",
        "absolute value",
        torch.abs,
        _abs,
        lambda sp, a: sp.Abs(a),
        "torch.abs({0})",
        convention="the derivative at 0 is 0 (torch's sign(0) = 0), like sympy's sign(0)",
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
)

FUNCTIONS: dict[str, Function] = {record.name: record for record in RECORDS}
ALIASES: dict[str, str] = {alias: record.name for record in RECORDS for alias in record.aliases}
NAMES: dict[str, Function] = FUNCTIONS | {alias: FUNCTIONS[name] for alias, name in ALIASES.items()}


def table() -> str:
    """The README's table of functions, one row per record (a test checks that the README holds it verbatim)."""
    rows = ["| function | what it is | also written |", "|---|---|---|"]
    for record in RECORDS:
        call = f"`{record.name}({', '.join('xy'[: record.arity])})`"
        also = ", ".join(f"`{alias}`" for alias in record.aliases)
        doc = record.doc + (f"; {record.convention}" if record.convention else "")
        rows.append(f"| {call} | {doc} | {also} |")
    return "\n".join(rows)


def names_in_words() -> str:
    """The functions' names as a sentence for the page's help: 'sin, cos, tan, …'."""
    return ", ".join(record.name for record in RECORDS)
