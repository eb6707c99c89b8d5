"""Arithmetic on truncated Taylor series, row by row: what every Taylor-mode rule is made of (jet.py, functions.py).

A series is a list of rows, row k holding the k-th Taylor coefficient c_k at every point: a tensor of shape (n,), or
a 0-d tensor where c_k is the same at every point. A series shorter than the order asks for is a polynomial: its
missing rows are exact zeros. Every operation below is a loop of weighted sums of products of rows.
"""

from __future__ import annotations

import math

import torch

Tensor = torch.Tensor
Series = list[Tensor]  # rows c_0 … c_d (d ≤ order); rows past d are exact zeros


def weighted_sum(terms: list[tuple[float, Tensor, Tensor]]) -> Tensor:
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


def plus(total: Tensor, row: Tensor, alpha: float = 1.0) -> Tensor:
    """total + alpha·row, in place where total (a new tensor) already has the result's shape."""
    return total.add_(row, alpha=alpha) if total.dim() or not row.dim() else torch.add(total, row, alpha=alpha)


def times(total: Tensor, row: Tensor) -> Tensor:
    """total·row, in place where total (a new tensor) already has the result's shape."""
    return total.mul_(row) if total.dim() or not row.dim() else torch.mul(total, row)


def integral(k: int, u: Series, h: Series, scale: float = 1.0) -> Tensor:
    """y_k where y′ = scale·h·u′: (scale/k)·Σ_{j=1..k} j·u_j·h_{k−j}, over the rows u has."""
    return weighted_sum([(scale * j / k, u[j], h[k - j]) for j in range(1, min(k, len(u) - 1) + 1)])


def square_terms(y: Series, m: int, scale: float = 1.0) -> list[tuple[float, Tensor, Tensor]]:
    """The terms of scale·[y²]_m = scale·Σ_{i+j=m} y_i·y_j, each pair once (the middle square first: weight 1)."""
    top = len(y) - 1
    terms = [(scale, y[m // 2], y[m // 2])] if m % 2 == 0 and m // 2 <= top else []
    return terms + [(2 * scale, y[i], y[m - i]) for i in range(max(0, m - top), (m + 1) // 2)]


def constant_plus_square(u: Series, rows: int, constant: float, sign: float) -> Series:
    """The first `rows` rows of constant + sign·u² (the argument of asin's, atan's … derivatives)."""
    square = torch.mul(u[0], u[0])
    w = [(square.neg_() if sign < 0 else square).add_(constant)]  # as autograd writes them: -u·u + 1, u·u + 1, …
    for m in range(1, min(rows, 2 * len(u) - 1)):
        w.append(weighted_sum(square_terms(u, m, sign)))
    return w


def power(w: Series, p: float, rows: int, first: Tensor, reciprocal: Tensor) -> Series:
    """The first `rows` rows of w^p, from row 0 (`first`) and 1/w₀, by w·y′ = p·y·w′.

    k·w₀·y_k = Σ_{j=1..k} ((p + 1)·j − k)·w_j·y_{k−j}.
    """
    y = [first]
    for k in range(1, rows):
        terms = [(((p + 1) * j - k) / k, w[j], y[k - j]) for j in range(1, min(k, len(w) - 1) + 1)]
        y.append(times(weighted_sum(terms), reciprocal))
    return y


def reciprocal(w: Series, rows: int, first: Tensor) -> Series:
    """The first `rows` rows of 1/w from row 0 (`first` = 1/w₀): y_k = −y₀·Σ_{j=1..k} w_j·y_{k−j}."""
    y = [first]
    for k in range(1, rows):
        y.append(times(weighted_sum([(-1.0, w[j], y[k - j]) for j in range(1, min(k, len(w) - 1) + 1)]), first))
    return y


def quotient(a: Series, d: Series, order: int, first: Tensor) -> Series:
    """a/d from row 0 (`first`): d₀·y_k = a_k − Σ_{j=1..k} d_j·y_{k−j}."""
    reciprocal = torch.reciprocal(d[0])
    y = [first]
    for k in range(1, order + 1):
        total = weighted_sum([(-1.0, d[j], y[k - j]) for j in range(1, min(k, len(d) - 1) + 1)])
        if k < len(a):
            total = plus(total, a[k])
        y.append(times(total, reciprocal))
    return y


def product(order: int, a: Series, b: Series, first: Tensor | None = None) -> Series:
    """a·b, the Cauchy product: c_k = Σ_{i+j=k} a_i·b_j (row 0 given as `first` when it is already known)."""
    rows = [torch.mul(a[0], b[0]) if first is None else first]
    for k in range(1, min(order, len(a) + len(b) - 2) + 1):
        lowest, highest = max(0, k - len(b) + 1), min(k, len(a) - 1)
        rows.append(weighted_sum([(1.0, a[i], b[k - i]) for i in range(lowest, highest + 1)]))
    return rows


def squared_series(order: int, u: Series, first: Tensor | None = None) -> Series:
    """u·u, each pair of rows multiplied once."""
    rows = [torch.mul(u[0], u[0]) if first is None else first]
    return rows + [weighted_sum(square_terms(u, k)) for k in range(1, min(order, 2 * len(u) - 2) + 1)]


def log_series(order: int, u: Series, first: Tensor | None = None, scale: float = 1.0) -> Series:
    """scale·log u: u₀·y_k = scale·u_k − Σ_{j=1..k−1} (j/k)·y_j·u_{k−j}."""
    reciprocal = torch.reciprocal(u[0])
    y = [torch.log(u[0]) if first is None else first]
    for k in range(1, order + 1):
        terms = [(-j / k, y[j], u[k - j]) for j in range(max(1, k - len(u) + 1), k)]
        total = weighted_sum(terms) if terms else None
        if k < len(u):
            total = torch.mul(u[k], scale) if total is None else plus(total, u[k], scale)
        assert total is not None  # u has 2 rows or more here (order 0 never reaches a Taylor rule)
        y.append(times(total, reciprocal))
    return y


def sine_pair(order: int, u: Series, first: Tensor, second: Tensor, sign: float, rows: tuple[int, int]):
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
            s.append(integral(k, u, c))
        if k < rows[1]:
            c.append(integral(k, u, s, sign))
    return s, c


def compose(order: int, u: Series, coefficients: list[Tensor]) -> Series:
    """f(u) from f's own Taylor coefficients at u₀, c_j = f⁽ʲ⁾(u₀)/j! for j = 0 … order: y = Σ_j c_j·(u − u₀)ʲ.

    For functions whose derivatives are known pointwise (lgamma's are polygamma's, sinc's come from its power series)
    rather than from an equation y′ = h(u)·u′. Row k is Σ_{j=1..k} c_j·[(u − u₀)ʲ]_k, each power's rows made once
    from the previous power's: O(order³) products, and a single product per row where u is a line.
    """
    y = [coefficients[0]]
    if len(u) == 2:  # (u − u₀)ʲ = u₁ʲ·tʲ
        for k in range(1, order + 1):
            y.append(torch.mul(coefficients[k], u[1] ** k))
        return y
    powers: list[list[Tensor | None]] = [[], [None, *u[1:]]]  # powers[j][k] = [(u − u₀)ʲ]_k, None where exactly 0
    powers[1] += [None] * (order + 1 - len(powers[1]))
    for j in range(2, order + 1):
        row: list[Tensor | None] = [None] * (order + 1)
        for k in range(j, order + 1):
            span = range(1, min(k - j + 1, len(u) - 1) + 1)
            terms = [(1.0, u[i], known) for i in span if (known := powers[j - 1][k - i]) is not None]
            row[k] = weighted_sum(terms) if terms else None
        powers.append(row)
    for k in range(1, order + 1):
        terms = [(1.0, coefficients[j], known) for j in range(1, k + 1) if (known := powers[j][k]) is not None]
        y.append(weighted_sum(terms) if terms else coefficients[0].new_zeros(()))
    return y
