"""Taylor mode: the truncated Taylor series of every node of the tree, every derivative order in one forward pass.

At each point x the formula is expanded as f(x + t) = c₀ + c₁t + … + c_K t^K, so c_k = f⁽ᵏ⁾(x)/k!. Each node turns
the series of its arguments into its own by a rule of a few lines: sums add rows, products convolve them (the
Cauchy product), quotients solve d·c = a for c, and every function solves its derivative's equation y′ = h(u)·u′
one coefficient at a time:

    k·y_k = Σ_{j=1..k} j·u_j·h_{k−j}        (h = y for exp, h = cos u for sin, h = 1 + y² for tan, …)

So order K costs O(K²) row operations per node, where autograd applied to its own result K times builds a graph
about three times larger per order.

A series is a list of rows, row k holding c_k at every point: a tensor of shape (n,), or a 0-d tensor where c_k is
the same at every point (the slope of x, a constant). A series shorter than K + 1 rows is a polynomial in t whose
missing rows are exact zeros, so constant and linear formulas get exact zeros and no work is spent on them.

Row 0 of every node is computed by the same torch function, on the same values, as `tree.evaluate`, so f is exactly
what autograd sees. Where a rule divides by zero (log or a power at 0, a pole, an edge of asin's domain) the
coefficients come out NaN or ±inf; `engine.derivatives` recomputes those points by autograd, whose conventions
(0^x, d|x|/dx = 0 at 0, …) stay the library's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import torch

from .tree import FUNCTIONS, Binary, Call, Expression, Node, Unary, Variable, _constant_exponent, children, evaluate

Tensor = torch.Tensor
Series = list[Tensor]  # rows c_0 … c_d (d ≤ order); rows past d are exact zeros

MAX_MULTIPLIED_POWER = 4  # u^p for p = 0 … 4 by repeated products: exact at u = 0, where p·u^(p−1)·… divides by u
TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


# ---------------------------------------------------------------------------------------------------------------------
# Row arithmetic: every rule below is a loop of weighted sums of products of rows


def _weighted_sum(terms: list[tuple[float, Tensor, Tensor]]) -> Tensor:
    """Σ w·a·b over (w, a, b), as a new tensor (0-d where every a and b is): one product, then fused multiply-adds."""
    like = terms[0][1]
    terms = [term for term in terms if term[0] != 0]
    if not terms:
        return like.new_zeros(())
    (w, a, b), *rest = terms
    if w != 1 and (a.dim() == 0 or b.dim() == 0):  # the weight rides on the 0-d factor: no pass over the points
        a, b = (a * w, b) if a.dim() == 0 else (a, b * w)
        w = 1.0
    total = torch.mul(a, b)
    for v, c, d in rest:
        if total.dim() or not (c.dim() or d.dim()):
            total.addcmul_(c, d, value=v / w)
        else:
            total = torch.addcmul(total, c, d, value=v / w)
    return total.mul_(w) if w != 1 else total


def _plus(total: Tensor, row: Tensor, alpha: float = 1.0) -> Tensor:
    """total + alpha·row, in place where total (a new tensor) already has the result's shape."""
    return total.add_(row, alpha=alpha) if total.dim() or not row.dim() else torch.add(total, row, alpha=alpha)


def _times(total: Tensor, row: Tensor) -> Tensor:
    """total·row, in place where total (a new tensor) already has the result's shape."""
    return total.mul_(row) if total.dim() or not row.dim() else torch.mul(total, row)


def _integral(k: int, u: Series, h: Series, scale: float = 1.0) -> Tensor:
    """y_k where y′ = scale·h·u′: (scale/k)·Σ_{j=1..k} j·u_j·h_{k−j}, over the rows u has."""
    return _weighted_sum([(scale * j / k, u[j], h[k - j]) for j in range(1, min(k, len(u) - 1) + 1)])


def _square(y: Series, m: int, scale: float = 1.0) -> list[tuple[float, Tensor, Tensor]]:
    """The terms of scale·[y²]_m = scale·Σ_{i+j=m} y_i·y_j, each pair once (the middle square first: weight 1)."""
    top = len(y) - 1
    terms = [(scale, y[m // 2], y[m // 2])] if m % 2 == 0 and m // 2 <= top else []
    return terms + [(2 * scale, y[i], y[m - i]) for i in range(max(0, m - top), (m + 1) // 2)]


def _squared(u: Series, rows: int, constant: float, sign: float) -> Series:
    """The first `rows` rows of constant + sign·u² (the argument of asin's, atan's … derivatives)."""
    square = torch.mul(u[0], u[0])
    w = [(square.neg_() if sign < 0 else square).add_(constant)]  # as autograd writes them: -u·u + 1, u·u + 1, …
    for m in range(1, min(rows, 2 * len(u) - 1)):
        w.append(_weighted_sum(_square(u, m, sign)))
    return w


def _power(w: Series, p: float, rows: int, first: Tensor, reciprocal: Tensor) -> Series:
    """The first `rows` rows of w^p, from row 0 (`first`) and 1/w₀, by w·y′ = p·y·w′.

    k·w₀·y_k = Σ_{j=1..k} ((p + 1)·j − k)·w_j·y_{k−j}.
    """
    y = [first]
    for k in range(1, rows):
        terms = [(((p + 1) * j - k) / k, w[j], y[k - j]) for j in range(1, min(k, len(w) - 1) + 1)]
        y.append(_times(_weighted_sum(terms), reciprocal))
    return y


def _reciprocal(w: Series, rows: int, first: Tensor) -> Series:
    """The first `rows` rows of 1/w from row 0 (`first` = 1/w₀): y_k = −y₀·Σ_{j=1..k} w_j·y_{k−j}."""
    y = [first]
    for k in range(1, rows):
        y.append(_times(_weighted_sum([(-1.0, w[j], y[k - j]) for j in range(1, min(k, len(w) - 1) + 1)]), first))
    return y


def _quotient(a: Series, d: Series, order: int, first: Tensor) -> Series:
    """a/d from row 0 (`first`): d₀·y_k = a_k − Σ_{j=1..k} d_j·y_{k−j}."""
    reciprocal = torch.reciprocal(d[0])
    y = [first]
    for k in range(1, order + 1):
        total = _weighted_sum([(-1.0, d[j], y[k - j]) for j in range(1, min(k, len(d) - 1) + 1)])
        if k < len(a):
            total = _plus(total, a[k])
        y.append(_times(total, reciprocal))
    return y


# ---------------------------------------------------------------------------------------------------------------------
# Rules for the operators


def _negative(order: int, a: Series) -> Series:
    return [torch.neg(row) for row in a]


def _sum(order: int, a: Series, b: Series, sign: float = 1.0) -> Series:
    rows = [torch.add(a[0], b[0]) if sign > 0 else torch.sub(a[0], b[0])]
    for k in range(1, max(len(a), len(b))):
        if k < len(a) and k < len(b):
            rows.append(torch.add(a[k], b[k]) if sign > 0 else torch.sub(a[k], b[k]))
        else:
            rows.append(a[k] if k < len(a) else b[k] if sign > 0 else torch.neg(b[k]))
    return rows


def _difference(order: int, a: Series, b: Series) -> Series:
    return _sum(order, a, b, sign=-1.0)


def _product(order: int, a: Series, b: Series, first: Tensor | None = None) -> Series:
    """a·b, the Cauchy product: c_k = Σ_{i+j=k} a_i·b_j (row 0 given as `first` when it is already known)."""
    rows = [torch.mul(a[0], b[0]) if first is None else first]
    for k in range(1, min(order, len(a) + len(b) - 2) + 1):
        lowest, highest = max(0, k - len(b) + 1), min(k, len(a) - 1)
        rows.append(_weighted_sum([(1.0, a[i], b[k - i]) for i in range(lowest, highest + 1)]))
    return rows


def _squared_series(order: int, u: Series, first: Tensor | None = None) -> Series:
    """u·u, each pair of rows multiplied once."""
    rows = [torch.mul(u[0], u[0]) if first is None else first]
    return rows + [_weighted_sum(_square(u, k)) for k in range(1, min(order, 2 * len(u) - 2) + 1)]


def _division(order: int, a: Series, d: Series) -> Series:
    first = torch.div(a[0], d[0])
    if len(d) == 1:  # by a constant: every row divided, and a polynomial stays one
        return [first, *(torch.div(row, d[0]) for row in a[1:])]
    return _quotient(a, d, order, first)


def _power_of_number(order: int, u: Series, p: float) -> Series:
    """u^p for a number p typed in the formula (torch's scalar power, as tree.evaluate uses)."""
    first = torch.pow(u[0], p)
    if p == 0 or len(u) == 1:
        return [first]
    if not (p.is_integer() and 0 < p <= MAX_MULTIPLIED_POWER):
        return _power(u, p, order + 1, first, torch.reciprocal(u[0]))
    p = int(p)
    if len(u) == 2:  # (u₀ + u₁t)^p = Σ C(p, k)·u₀^(p−k)·u₁^k·t^k
        powers = [first, u[0]]  # powers[m] = u₀^m (m ≥ 1)
        for _ in range(2, p):
            powers.append(torch.mul(powers[-1], u[0]))
        rows = [first]
        for k in range(1, min(p, order) + 1):
            slope = u[1] ** k * math.comb(p, k)
            rows.append(slope if k == p else torch.mul(powers[p - k], slope))
        return rows
    if p == 1:
        return [first, *u[1:]]
    if p == 2:
        return _squared_series(order, u, first)
    square = _squared_series(order, u)
    return _product(order, square, u, first) if p == 3 else _squared_series(order, square, first)


def _power_of_constant(order: int, u: Series, p: Tensor) -> Series:
    """u^p for an exponent computed from parameters and numbers: a 0-d tensor, whatever its value.

    As for a typed number, k·u₀·y_k = Σ_{j=1..k} ((p + 1)·j − k)·u_j·y_{k−j}, the weights being tensors here.
    """
    y = [torch.pow(u[0], p)]
    reciprocal = torch.reciprocal(u[0])
    if len(u) == 2:  # u = a·x + b: y_k = y_{k−1}·a·(p − k + 1)/(k·u₀), exactly 0 past an integer p, as in autograd
        for k in range(1, order + 1):
            y.append(torch.mul(y[k - 1], reciprocal).mul_(u[1] / k * (p - (k - 1))))
        return y
    for k in range(1, order + 1):  # as (p + 1)·A − B, A = Σ (j/k)·u_j·y_{k−j}, B = Σ u_j·y_{k−j}
        top = min(k, len(u) - 1) + 1
        total = _weighted_sum([(j / k, u[j], y[k - j]) for j in range(1, top)]).mul_(p + 1)
        total = _plus(total, _weighted_sum([(1.0, u[j], y[k - j]) for j in range(1, top)]), -1.0)
        y.append(_times(total, reciprocal))
    return y


def _power_of_series(order: int, u: Series, v: Series) -> Series:
    """u^v where the exponent depends on x: exp(v·log u), whose derivatives autograd also takes."""
    y = [torch.pow(u[0], v[0])]
    log = _log(order, u) if len(u) > 1 else [torch.log(u[0])]
    w = [y[0]]  # row 0 of v·log u is never read
    for k in range(1, order + 1):
        terms = [(1.0, v[i], log[k - i]) for i in range(max(0, k - len(log) + 1), min(k, len(v) - 1) + 1)]
        w.append(_weighted_sum(terms) if terms else y[0].new_zeros(()))
    for k in range(1, order + 1):
        y.append(_integral(k, w, y))
    return y


# ---------------------------------------------------------------------------------------------------------------------
# Rules for the functions: u has at least two rows (the caller handles constants and order 0)


def _pair(order: int, u: Series, first: Tensor, second: Tensor, sign: float, rows: tuple[int, int]):
    """sin and cos (sign −1: s′ = c·u′, c′ = −s·u′) or sinh and cosh (sign +1), to the numbers of rows asked for."""
    s, c = [first], [second]
    if len(u) == 2:  # a line a·x + b: s⁽ᵏ⁾ is ±s or ±c, so s_k = ±(s₀ or c₀)·aᵏ/k!: a row costs one product
        for k in range(1, max(rows)):
            step = u[1] ** k / math.factorial(k)
            if k < rows[0]:
                s.append(torch.mul(second if k % 2 else first, step * sign ** (k // 2)))
            if k < rows[1]:
                c.append(torch.mul(first if k % 2 else second, step * sign ** ((k + 1) // 2)))
        return s, c
    # Otherwise each needs the other's rows up to one fewer: k·s_k = Σ j·u_j·c_{k−j}, k·c_k = sign·Σ j·u_j·s_{k−j}.
    rows = (max(rows[0], rows[1] - 1), max(rows[1], rows[0] - 1))
    for k in range(1, max(rows)):
        if k < rows[0]:
            s.append(_integral(k, u, c))
        if k < rows[1]:
            c.append(_integral(k, u, s, sign))
    return s, c


def _sin(order: int, u: Series) -> Series:
    return _pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (order + 1, 1))[0]


def _cos(order: int, u: Series) -> Series:
    return _pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (1, order + 1))[1]


def _sinh(order: int, u: Series) -> Series:
    return _pair(order, u, torch.sinh(u[0]), torch.cosh(u[0]), 1.0, (order + 1, 1))[0]


def _cosh(order: int, u: Series) -> Series:
    return _pair(order, u, torch.sinh(u[0]), torch.cosh(u[0]), 1.0, (1, order + 1))[1]


def _sec(order: int, u: Series) -> Series:
    _, c = _pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (1, order + 1))
    return _reciprocal(c, order + 1, 1 / c[0])  # row 0 as tree.FUNCTIONS writes it


def _csc(order: int, u: Series) -> Series:
    s, _ = _pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (order + 1, 1))
    return _reciprocal(s, order + 1, 1 / s[0])


def _cot(order: int, u: Series) -> Series:
    s, c = _pair(order, u, torch.sin(u[0]), torch.cos(u[0]), -1.0, (order + 1, order + 1))
    return _quotient(c, s, order, c[0] / s[0])


def _exp(order: int, u: Series) -> Series:
    y = [torch.exp(u[0])]
    for k in range(1, order + 1):
        y.append(_integral(k, u, y))
    return y


def _with_derivative(order: int, u: Series, first: Tensor, h: Series, scale: float = 1.0) -> Series:
    """y from y₀ and the series of h = y′/u′ (its first `order` rows)."""
    return [first, *(_integral(k, u, h, scale) for k in range(1, order + 1))]


def _tan(order: int, u: Series) -> Series:
    y = [torch.tan(u[0])]
    h = [torch.mul(y[0], y[0]).add_(1.0)]  # 1 + tan², the derivative autograd uses
    for k in range(1, order + 1):
        y.append(_integral(k, u, h))
        if k < order:
            h.append(_weighted_sum(_square(y, k)))
    return y


def _tanh_or_sigmoid(order: int, u: Series, first: Tensor, linear: float) -> Series:
    """tanh (h = 1 − y², linear = 0) or sigmoid (h = y − y², linear = 1), the derivatives autograd uses."""
    y = [first]
    h = [torch.sub(1.0, first).mul_(first) if linear else torch.mul(first, first).neg_().add_(1.0)]
    for k in range(1, order + 1):
        y.append(_integral(k, u, h))
        if k < order:
            total = _weighted_sum(_square(y, k, -1.0))
            h.append(_plus(total, y[k]) if linear else total)
    return y


def _tanh(order: int, u: Series) -> Series:
    return _tanh_or_sigmoid(order, u, torch.tanh(u[0]), 0.0)


def _sigmoid(order: int, u: Series) -> Series:
    return _tanh_or_sigmoid(order, u, torch.sigmoid(u[0]), 1.0)


def _inverse_sine(order: int, u: Series, first: Tensor, constant: float, sign: float, scale: float = 1.0) -> Series:
    """asin (1 − u²)^(−1/2), acos (its negative), asinh (u² + 1)^(−1/2), acosh (u² − 1)^(−1/2)."""
    w = _squared(u, order, constant, sign)
    h = _power(w, -0.5, order, torch.rsqrt(w[0]), torch.reciprocal(w[0]))
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
    w = _squared(u, order, 1.0, sign)
    return _with_derivative(order, u, first, _reciprocal(w, order, torch.reciprocal(w[0])))


def _atan(order: int, u: Series) -> Series:
    return _inverse_tangent(order, u, torch.atan(u[0]), 1.0)


def _atanh(order: int, u: Series) -> Series:
    return _inverse_tangent(order, u, torch.atanh(u[0]), -1.0)


def _log(order: int, u: Series, first: Tensor | None = None, scale: float = 1.0) -> Series:
    """scale·log u: u₀·y_k = scale·u_k − Σ_{j=1..k−1} (j/k)·y_j·u_{k−j}."""
    reciprocal = torch.reciprocal(u[0])
    y = [torch.log(u[0]) if first is None else first]
    for k in range(1, order + 1):
        terms = [(-j / k, y[j], u[k - j]) for j in range(max(1, k - len(u) + 1), k)]
        total = _weighted_sum(terms) if terms else None
        if k < len(u):
            total = torch.mul(u[k], scale) if total is None else _plus(total, u[k], scale)
        y.append(_times(total, reciprocal))
    return y


def _log10(order: int, u: Series) -> Series:
    return _log(order, u, torch.log10(u[0]), 1 / math.log(10))


def _log2(order: int, u: Series) -> Series:
    return _log(order, u, torch.log2(u[0]), 1 / math.log(2))


def _sqrt(order: int, u: Series) -> Series:
    """y² = u: 2·y₀·y_k = u_k − Σ_{j=1..k−1} y_j·y_{k−j}."""
    y = [torch.sqrt(u[0])]
    reciprocal = torch.reciprocal(y[0])
    for k in range(1, order + 1):
        terms = _square(y, k, -0.5)  # y has rows 0 … k−1 here, and y₀ takes no part: the pairs of 1 … k−1
        total = _weighted_sum(terms) if terms else None
        if k < len(u):
            total = torch.mul(u[k], 0.5) if total is None else _plus(total, u[k], 0.5)
        y.append(_times(total, reciprocal))
    return y


def _cbrt(order: int, u: Series) -> Series:
    return _power(u, 1 / 3, order + 1, FUNCTIONS["cbrt"].torch(u[0]), torch.reciprocal(u[0]))


def _abs(order: int, u: Series) -> Series:
    sign = torch.sign(u[0])  # torch's sign(0) = 0, autograd's derivative of |u| at 0
    return [torch.abs(u[0]), *(torch.mul(row, sign) for row in u[1:])]


def _erf(order: int, u: Series) -> Series:
    """erf′(u) = (2/√π)·exp(−u²)."""
    w = _squared(u, order, 0.0, -1.0)
    e = [torch.exp(w[0])]
    for k in range(1, order):
        e.append(_integral(k, w, e))
    return _with_derivative(order, u, torch.erf(u[0]), e, TWO_OVER_SQRT_PI)


RULES: dict[str, Callable[[int, Series], Series]] = {
    "sin": _sin,
    "cos": _cos,
    "tan": _tan,
    "sec": _sec,
    "csc": _csc,
    "cot": _cot,
    "asin": _asin,
    "acos": _acos,
    "atan": _atan,
    "sinh": _sinh,
    "cosh": _cosh,
    "tanh": _tanh,
    "asinh": _asinh,
    "acosh": _acosh,
    "atanh": _atanh,
    "exp": _exp,
    "log": _log,
    "log10": _log10,
    "log2": _log2,
    "sqrt": _sqrt,
    "cbrt": _cbrt,
    "abs": _abs,
    "sigmoid": _sigmoid,
    "erf": _erf,
}
assert RULES.keys() == FUNCTIONS.keys(), "every function of the language needs its Taylor rule"

_BINARY_RULES = {"+": _sum, "-": _difference, "*": _product, "/": _division}


def _call(order: int, u: Series, function: str) -> Series:
    if len(u) == 1:  # order 0
        return [FUNCTIONS[function].torch(u[0])]
    return RULES[function](order, u)


def _power_rule(order: int, u: Series, v: Series) -> Series:
    if len(u) == 1 and len(v) == 1:  # order 0
        return [torch.pow(u[0], v[0])]
    if len(v) == 1:
        return _power_of_constant(order, u, v[0])
    return _power_of_series(order, u, v)


# ---------------------------------------------------------------------------------------------------------------------
# The tree as a program of rules, compiled once per formula and order


@dataclass(frozen=True)
class _Step:
    rule: Callable[..., Series]
    inputs: tuple[int, ...]  # slots holding the argument series
    extra: tuple = ()  # static arguments: a function's name, a typed exponent
    done: tuple[int, ...] = ()  # slots read for the last time here, freed after it


@dataclass(frozen=True)
class Program:
    """The tree in evaluation order. Slots: one per step (each node that depends on x, in post-order), then one per
    constant subtree (computed once per call, from the parameters), then x. Equal subtrees share a slot, so sin(x)
    in sin(x)·exp(sin(x)) is computed once.
    """

    order: int
    steps: tuple[_Step, ...]
    constants: tuple[Node, ...]
    root: int
    live: int  # most series alive at once, for the memory budget

    def bind(self, values: Mapping[str, Tensor], like: Tensor) -> Bound:
        """The program with its constants computed from the parameters' values (0-d tensors), in like's dtype and
        device: a new value never changes the steps."""
        constants = [[evaluate(node, values, like)] for node in self.constants]
        return Bound(self, constants, torch.ones((), dtype=like.dtype, device=like.device))


@dataclass(frozen=True)
class Bound:
    program: Program
    constants: list[Series]
    one: Tensor  # the slope of x

    def series(self, x: Tensor) -> Series:
        """The Taylor series of the formula at every point of x: rows c_0 … c_d, d ≤ order."""
        order, steps = self.program.order, self.program.steps
        slots: list[Series | None] = [None] * len(steps) + self.constants + [[x, self.one] if order else [x]]
        for index, step in enumerate(steps):
            slots[index] = step.rule(order, *(slots[i] for i in step.inputs), *step.extra)
            for i in step.done:
                slots[i] = None
        return slots[self.program.root]

    def derivatives(self, x: Tensor, out: Tensor) -> None:
        """Write f, f′ … f⁽ᴷ⁾ at the points x into out, of shape (order + 1, len(x)): row k = k!·c_k."""
        rows = self.series(x)
        for k, row in enumerate(rows):
            if row.dim() == 0 or k < 2:
                out[k].copy_(row)
                if k >= 2:
                    out[k].mul_(math.factorial(k))
            else:
                torch.mul(row, math.factorial(k), out=out[k])
        out[len(rows) :].zero_()

    def rows(self, x: Tensor) -> tuple[Tensor, ...]:
        """f, f′ … f⁽ᴷ⁾ at the points x as new tensors of x's shape, rounded as `derivatives` rounds them (for a
        compiled program, which returns its rows rather than writing into an array it is given)."""
        rows = []
        for k, row in enumerate(self.series(x)):
            row = torch.mul(row, math.factorial(k)) if k >= 2 else row
            rows.append(row.expand_as(x).clone() if row.dim() == 0 or row is x else row)
        zero = x.new_zeros(())
        rows += [zero.expand_as(x).clone() for _ in range(len(rows), self.program.order + 1)]
        return tuple(rows)


def compile_program(expr: Expression, order: int) -> Program:
    """The formula's program for the given order, cached per tree and order."""
    (variable,) = expr.variables or ("x",)
    return _compile(expr.tree, order, variable)


@lru_cache(maxsize=128)
def _compile(tree: Node, order: int, variable: str) -> Program:
    steps: list[tuple[Callable[..., Series], tuple[Node, ...], tuple]] = []
    constants: list[Node] = []
    index: dict[Node, int] = {}  # a node's step or constant, by structure
    uses_x: dict[Node, bool] = {}

    def depends(node: Node) -> bool:
        if node not in uses_x:
            own = isinstance(node, Variable) and node.name == variable
            uses_x[node] = own or any(depends(child) for child in children(node))
        return uses_x[node]

    def visit(node: Node) -> None:
        if node in index:
            return
        if not depends(node):
            index[node] = len(constants)
            constants.append(node)
            return
        match node:
            case Variable():
                return
            case Unary(_, operand):
                step = (_negative, (operand,), ())
            case Binary("^", left, right) if _constant_exponent(right) is not None:
                step = (_power_of_number, (left,), (_constant_exponent(right),))
            case Binary("^", left, right):
                step = (_power_rule, (left, right), ())
            case Binary(op, left, right):
                step = (_BINARY_RULES[op], (left, right), ())
            case Call(function, argument):
                step = (_call, (argument,), (function,))
            case _:
                raise TypeError(f"not a derivlib node: {node!r}")
        for child in step[1]:
            visit(child)
        index[node] = len(steps)
        steps.append(step)

    visit(tree)

    def slot(node: Node) -> int:
        if not depends(node):
            return len(steps) + index[node]
        return index[node] if not isinstance(node, Variable) else len(steps) + len(constants)

    last_use = {slot(child): i for i, (_, inputs, _) in enumerate(steps) for child in inputs}
    compiled, alive, live = [], set(), 1
    for i, (rule, inputs, extra) in enumerate(steps):
        done = tuple(sorted({s for s in map(slot, inputs) if s < len(steps) and last_use[s] == i}))
        compiled.append(_Step(rule, tuple(map(slot, inputs)), extra, done))
        alive = (alive | {i}) - set(done)
        live = max(live, len(alive) + len(done))
    return Program(order, tuple(compiled), tuple(constants), slot(tree), live)
