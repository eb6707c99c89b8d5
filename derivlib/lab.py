"""The autograd lab: what the tutorial teaches, applied to the user's own formula.

The formula as PyTorch source and as a runnable script that prints the page's numbers; the `backward()` trap; a
check that the formula is elementwise (which is what makes `grad_outputs=ones` right); finite differences against
autograd; float32 against float64. Everything returns plain data: strings, numbers and pandas DataFrames.
"""

from __future__ import annotations

import itertools
import keyword
import math
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from .engine import as_points, check_order, derivatives, parameter_values
from .functions import FUNCTIONS
from .parse import parse
from .symbolic import compare
from .tree import (
    Binary,
    Call,
    Comparison,
    Constant,
    Expression,
    Node,
    Number,
    Parameter,
    Piecewise,
    Unary,
    Variable,
    evaluate,
    odd_root_exponent,
    walk,
)

Tensor = torch.Tensor
Points = Tensor | np.ndarray | Sequence[float]

PROBES = 16  # random points in the elementwise check: the Jacobian is a PROBES x PROBES matrix
STEPS = np.logspace(-16, 0, 65)  # step sizes h for finite differences, four per decade
SCRIPT_NAMES = ("x", "y", "torch")  # names the generated script uses itself; a parameter so named gets a "_"


# ---------------------------------------------------------------------------------------------------------------------
# The formula as PyTorch source


# How derivlib's functions read in PyTorch, and the helpers some need: from their records (functions.py).
TORCH_CONSTANTS = {"pi": "torch.pi", "e": "torch.e"}


def python_name(name: str) -> str:
    """The parameter's name in generated code: as in the formula, unless Python or the script already uses it."""
    return f"{name}_" if keyword.iskeyword(name) or name in SCRIPT_NAMES else name


def torch_source(expr: Expression | str) -> str:
    """The formula as PyTorch source over `x` and the parameters' names, computing exactly what derivlib computes.

    Numbers stay Python numbers where torch treats them as derivlib does (as a 0-d tensor of x's dtype) and become
    tensors where Python would compute something else: `sin(1)` needs a tensor, `2^0.5` would be Python's own
    power, and `1 / x` would be computed as `x.reciprocal() * 1`, which rounds differently from a division; so it
    is written `torch.div(1, x)`. cot is called by name: `tutorial_code` defines it (its record's `helper`).

    >>> torch_source("x^3 + sin x")
    'x**3 + torch.sin(x)'
    >>> torch_source("2 sec(a x) / (1 + x^2)")
    '2*(1 / torch.cos(a*x))/(1 + x**2)'
    >>> torch_source("1/x - e^-x")
    'torch.div(1, x) - torch.e**-x'

    A piecewise definition is a torch.where per branch, NaN where no branch applies:

    >>> torch_source("{x < 0: -x, 0 < x < 1: x^2}")
    'torch.where(x < 0, -x, torch.where((0 < x) & (x < 1), x**2, torch.nan))'
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    return _source(expr.tree)


# Python's precedence levels, lowest first; they order the same operations as derivlib's grammar.
_ADD, _MUL, _UNARY, _POW, _ATOM = range(1, 6)


def _is_python(node: Node) -> bool:
    """Whether the generated source computes this subtree as a plain Python number (not a tensor)."""
    match node:
        case Number() | Constant():
            return True
        case Unary(_, operand):
            return _is_python(operand)
        case Binary("/", left, right):
            return _is_python(left) and _is_python(right) and not _is_zero(right)  # Python: ZeroDivisionError
        case Binary("+" | "-" | "*", left, right):
            return _is_python(left) and _is_python(right)
    return False  # a variable, a parameter, a call or a power


def _tensor(source: str) -> str:
    return f"torch.tensor({source}, dtype=torch.float64)"


def _number(value: float) -> str:
    if math.isinf(value):
        return 'float("inf")'
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _precedence(node: Node) -> int:
    match node:
        case Binary(op):
            return {"+": _ADD, "-": _ADD, "*": _MUL, "/": _MUL, "^": _POW}[op]
        case Unary():
            return _UNARY
        case Call(function) if FUNCTIONS[function].written_out:
            return _MUL
    return _ATOM


def _is_zero(node: Node) -> bool:
    """Whether a subtree without variables or parameters is 0 (or -0)."""
    return float(evaluate(node, {}, like=torch.empty((), dtype=torch.float64))) == 0


def _source(node: Node) -> str:
    match node:
        case Number(value):
            return _number(value)
        case Constant(name):
            return TORCH_CONSTANTS[name]
        case Variable(name):
            return name
        case Parameter(name):
            return python_name(name)
        case Call(function, arguments):
            sources = [_tensor(_source(a)) if _is_python(a) else _source(a) for a in arguments]
            return FUNCTIONS[function].code.format(*sources)
        case Unary(op, operand):
            inner = _source(operand)
            return f"{op}({inner})" if _precedence(operand) < _UNARY else f"{op}{inner}"
        case Binary("^", left, right) if (fraction := odd_root_exponent(right)) is not None:
            p, q = fraction  # the real root (tree.real_power): |u|^(p/q), with u's sign for an odd p
            base = _tensor(_source(left)) if _is_python(left) else _source(left)
            magnitude = f"torch.abs({base}) ** ({p} / {q})"
            return magnitude if p % 2 == 0 else f"torch.copysign({magnitude}, {base})"
        case Binary("^", left, right):
            base, exponent = _source(left), _source(right)
            if _is_python(left) and _is_python(right):
                base = _tensor(base)  # Python's own ** gives a complex number for (-8)**(1/3)
            elif _precedence(left) <= _POW:
                base = f"({base})"
            if _precedence(right) < _UNARY:
                exponent = f"({exponent})"
            return f"{base}**{exponent}"
        case Piecewise(branches, otherwise):
            source = _value_source(otherwise) if otherwise is not None else "torch.nan"
            for condition, branch in reversed(branches):
                source = f"torch.where({_condition_source(condition)}, {_value_source(branch)}, {source})"
            return source
        case Binary("/", left, right) if _is_python(left) and not _is_python(right):
            return f"torch.div({_source(left)}, {_source(right)})"
        case Binary("/", left, right) if _is_python(left) and not _is_python(node):  # a division by zero
            return f"torch.div({_tensor(_source(left))}, {_source(right)})"
        case Binary(op, left, right):
            a, b = _source(left), _source(right)
            if _precedence(left) < _precedence(node):
                a = f"({a})"
            if _precedence(right) <= _precedence(node) or isinstance(right, Unary):
                b = f"({b})"
            return f"{a} {op} {b}" if op in "+-" else f"{a}{op}{b}"
    raise TypeError(f"not a derivlib node: {node!r}")


def _value_source(node: Node) -> str:
    """A branch's value for torch.where: a tensor, never a Python number (torch.where(c, 1, 2) would be integers)."""
    return _tensor(_source(node)) if _is_python(node) else _source(node)


def _condition_source(condition: Comparison) -> str:
    """The condition as a boolean tensor: each comparison on its own, joined by & (Python would chain them with
    `and`, which a tensor refuses), the left side a tensor where both are Python numbers."""
    operands = condition.operands
    links = []
    for op, (a, b) in zip(condition.ops, itertools.pairwise(operands), strict=True):
        left = _tensor(_source(a)) if _is_python(a) and _is_python(b) else _source(a)
        links.append(f"{left} {op} {_source(b)}")
    return links[0] if len(links) == 1 else " & ".join(f"({link})" for link in links)


KINK_COMMENT = [
    "# At a corner of abs, min or max (abs at 0, a tie of min or max) autograd takes torch's convention (sign(0) = 0,",
    "# or the mean of both sides' derivatives); derivlib gives NaN there where the two sides' derivatives differ.",
]
PIECEWISE_COMMENT = [
    "# torch.where computes every branch at every point. So a branch that is undefined where it does not apply",
    "# (sqrt(-x) for x > 0) still sends NaN into the gradient, and at a boundary autograd gives the derivative of the",
    "# branch that applies at the point; derivlib computes each branch only where it applies, and gives NaN at a",
    "# boundary where the derivatives of the branches on either side disagree.",
]


# ---------------------------------------------------------------------------------------------------------------------
# The tutorial's method, as a script for the user's formula


def _label(k: int) -> str:
    return "f" + "'" * k if k <= 3 else f"f({k})"


def _name(k: int) -> str:
    return {0: "y", 1: "dy"}.get(k, f"d{k}y")


def _literal(value: float) -> str:
    return repr(value) if math.isfinite(value) else f'float("{value}")'


def tutorial_code(
    expr: Expression | str, points: Points, *, params: Mapping[str, float] | None = None, order: int = 2
) -> str:
    """A complete PyTorch script, in the tutorial's style, that prints f and its derivatives at `points`.

    It prints exactly the numbers `derivlib.derivatives(..., method="autograd")` gives in float64, with full
    precision (Taylor mode, the default method, agrees with them up to rounding), except for a piecewise definition
    at a boundary between its branches, or where a branch that does not apply is undefined, and at a corner of abs,
    min or max (a comment in the script says why). Where a derivative no longer
    depends on x (f = 3x after one step), torch refuses to differentiate it again, so the script writes the zeros
    itself, as derivlib does; where f is NaN, it prints NaN for the derivatives too, as derivlib does.

    >>> print(tutorial_code("x^3 + sin(x)", [1.0, 2.0], order=1), end="")
    import torch
    <BLANKLINE>
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x**3 + torch.sin(x)
    <BLANKLINE>
    # y[i] depends on x[i] alone, so the Jacobian dy/dx is diagonal, and its product with a vector of ones
    # (grad_outputs) is exactly that diagonal: f'(x[i]) at every point, from a single backward pass.
    # create_graph=True records that pass too, so that its result can be differentiated again.
    dy = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y), create_graph=True)[0]
    <BLANKLINE>
    print("x  =", x.tolist())
    print("f  =", y.tolist())
    print("f' =", dy.tolist())
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    order = check_order(order)
    x = as_points(points, torch.float64, torch.device("cpu"))
    values = parameter_values(expr, params, x)
    attached, undefined = _graph_facts(expr, values, x, order)

    lines = ["import torch", ""]
    helpers = sorted({node.function for node in walk(expr.tree) if isinstance(node, Call)})
    lines += [line for name in helpers if FUNCTIONS[name].helper for line in (FUNCTIONS[name].helper, "", "")]
    if values:
        lines.append("# the parameters, as derivlib holds them: 0-d tensors")
    lines += [f"{python_name(name)} = {_tensor(_literal(float(value)))}" for name, value in values.items()]
    lines.append(f"x = torch.tensor({_list(x)}, dtype=torch.float64, requires_grad=True)")
    source = torch_source(expr)
    if any(isinstance(node, Piecewise) for node in walk(expr.tree)):
        lines += PIECEWISE_COMMENT
    if any(isinstance(node, Call) and node.function in ("abs", "min", "max") for node in walk(expr.tree)):
        lines += KINK_COMMENT
    if expr.variables:
        lines.append(f"y = {source}")
    else:
        constant = f"({source})" if _precedence(expr.tree) < _MUL else source
        lines.append(f"y = {constant} * torch.ones_like(x)  # f does not depend on x")
    if attached > 0:
        lines += ["", *GRAD_OUTPUTS_COMMENT]
    for k in range(1, order + 1):
        previous, name = _name(k - 1), _name(k)
        if k <= attached:
            ones = f"torch.ones_like({previous})"
            lines.append(f"{name} = torch.autograd.grad({previous}, x, grad_outputs={ones}, create_graph=True)[0]")
        else:
            lines.append(f"{name} = torch.zeros_like(x)  # {previous} does not depend on x: its derivative is 0")

    lines.append("")
    if undefined:
        lines.append("undefined = torch.isnan(y)  # derivlib shows NaN wherever f itself is NaN")
    width = len(_label(order))
    lines.append(f'print("{"x".ljust(width)} =", x.tolist())')
    for k in range(order + 1):
        shown = f"{_name(k)}.masked_fill(undefined, torch.nan)" if undefined and k > 0 else _name(k)
        lines.append(f'print("{_label(k).ljust(width)} =", {shown}.tolist())')
    return "\n".join(lines) + "\n"


GRAD_OUTPUTS_COMMENT = [
    "# y[i] depends on x[i] alone, so the Jacobian dy/dx is diagonal, and its product with a vector of ones",
    "# (grad_outputs) is exactly that diagonal: f'(x[i]) at every point, from a single backward pass.",
    "# create_graph=True records that pass too, so that its result can be differentiated again.",
]


def _list(x: Tensor) -> str:
    return "[" + ", ".join(_literal(value) for value in x.tolist()) + "]"


def _graph_facts(expr: Expression, values: Mapping[str, Tensor], x: Tensor, order: int) -> tuple[int, bool]:
    """How many derivatives autograd can take before the result no longer depends on x, and whether f has a NaN."""
    x = x.detach().clone().requires_grad_(True)
    y = _function(expr, values)(x)
    undefined = bool(torch.isnan(y).any())
    attached = 0
    while attached < order and y.requires_grad:
        (y,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y), create_graph=True)
        attached += 1
    return attached, undefined


def _function(expr: Expression, values: Mapping[str, Tensor]) -> Callable[[Tensor], Tensor]:
    """f as a function of the points alone, with the parameters fixed."""
    (variable,) = expr.variables or ("x",)
    return lambda x: expr.evaluate({**values, variable: x}, like=x).expand_as(x)


# ---------------------------------------------------------------------------------------------------------------------
# The backward() trap


def backward_trap(expr: Expression | str, points: Points, *, params: Mapping[str, float] | None = None) -> pd.DataFrame:
    """What x.grad holds after `y.backward(ones, create_graph=True)` and then `x.grad.backward(ones)`: f′ + f″.

    `backward` accumulates into x.grad instead of replacing it, so the second call adds f″ to the f′ already there.
    The columns are x, d1 and d2 (derivlib's f′ and f″) and x_grad, from running those two calls for real. Where f′
    no longer depends on x (f = 3x), torch refuses the second call, and x.grad keeps f′ (zeros where f is constant).

    >>> backward_trap("x^3 + sin(x)", [1.0, 3.141592653589793, 5.0]).round(4)
            x       d1       d2    x_grad
    0  1.0000   3.5403   5.1585    8.6988
    1  3.1416  28.6088  18.8496   47.4584
    2  5.0000  75.2837  30.9589  106.2426
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    rows = derivatives(expr, points, order=2, params=params, method="autograd")
    x = as_points(points, torch.float64, torch.device("cpu")).detach().clone().requires_grad_(True)
    y = _function(expr, parameter_values(expr, params, x))(x)
    with warnings.catch_warnings():
        # torch warns that create_graph=True links x and x.grad in a cycle: the reason for setting x.grad to None
        warnings.filterwarnings("ignore", message="Using backward.. with create_graph=True")
        if y.requires_grad:
            y.backward(torch.ones_like(y), create_graph=True)
            if x.grad.requires_grad:
                x.grad.backward(torch.ones_like(x.grad))
    x_grad = x.grad.detach() if x.grad is not None else torch.zeros_like(x)
    x.grad = None
    return pd.DataFrame(
        {"x": x.detach().numpy(), "d1": rows[1].numpy(), "d2": rows[2].numpy(), "x_grad": x_grad.detach().numpy()}
    )


# ---------------------------------------------------------------------------------------------------------------------
# Is the formula elementwise?


def jacobian_is_diagonal(function: Callable[[Tensor], Tensor], x: Tensor) -> bool:
    """Whether every output of `function` depends only on the input at the same position, judged at the points x.

    The Jacobian's off-diagonal entries must be exactly 0, in the columns where its diagonal is finite (elsewhere an
    elementwise function can still give 0 · inf = NaN off the diagonal).

    >>> x = torch.linspace(-1, 1, 5, dtype=torch.float64)
    >>> jacobian_is_diagonal(torch.sin, x), jacobian_is_diagonal(lambda t: torch.cumsum(t, 0), x)
    (True, False)
    """
    jacobian = torch.autograd.functional.jacobian(function, x)
    off_diagonal = ~torch.eye(len(x), dtype=torch.bool)
    checked = off_diagonal & torch.isfinite(jacobian.diagonal())  # row i, column j: checked where J[j, j] is finite
    return bool((jacobian[checked] == 0).all())


def is_elementwise(
    expr: Expression | str, *, params: Mapping[str, float] | None = None, probes: int = PROBES, seed: int = 0
) -> bool:
    """Whether the formula's value at each point depends on that point alone, checked at random points.

    Autograd computes vector-Jacobian products, and `grad(y, x, grad_outputs=ones)` is the vector of ones times the
    Jacobian, which is the sum of each column; when the Jacobian is diagonal, that sum is the diagonal itself,
    f′(x[i]) at every i, so one backward pass gives the derivative at every point of the grid.

    Every function in derivlib's language is elementwise, so this is a check of that promise: the Jacobian at
    `probes` random points (half in [-1, 1], half in [-10, 10], so that functions such as asin and acosh have some
    points in their domain) must be diagonal (see `jacobian_is_diagonal`).

    >>> is_elementwise("x^3 + sin(x)")
    True
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(probes, dtype=torch.float64, generator=generator) * 2 - 1
    x[probes // 2 :] *= 10
    return jacobian_is_diagonal(_function(expr, parameter_values(expr, params, x)), x)


# ---------------------------------------------------------------------------------------------------------------------
# Finite differences, and float32 against float64


def finite_difference_errors(
    expr: Expression | str,
    x0: float,
    *,
    params: Mapping[str, float] | None = None,
    order: int = 1,
    steps: Sequence[float] | np.ndarray = STEPS,
) -> pd.DataFrame:
    """The error of central differences at x0 against autograd (float64), for each step size h, in both dtypes.

    Order 1 is (f(x0 + h) − f(x0 − h)) / 2h, order 2 is (f(x0 + h) − 2 f(x0) + f(x0 − h)) / h²; each is computed
    entirely in float32, or in float64. The error falls with h as the truncation error (h² for both) shrinks, until
    rounding takes over: f is known only to about eps·|f|, and dividing by h (or h²) magnifies that, so the error
    rises again for small h. Columns: h, error_float32, error_float64.

    >>> errors = finite_difference_errors("sin(x)", 1.0, steps=[1e-1, 1e-5, 1e-12])
    >>> bool(errors["error_float64"].lt([1e-2, 1e-10, 1e-3]).all())
    True
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    if order not in (1, 2):
        raise ValueError(f"finite differences are for order 1 or 2, not {order!r}")
    exact = float(derivatives(expr, [x0], order=order, params=params, method="autograd")[order, 0])
    columns = {"h": np.asarray(steps, dtype=np.float64)}
    for dtype in (torch.float32, torch.float64):
        h = torch.as_tensor(columns["h"], dtype=dtype)
        x = torch.full((1,), x0, dtype=dtype)
        f = derivatives(expr, torch.cat([x - h, x, x + h]), order=0, params=params, dtype=dtype, method="autograd")[0]
        below, at, above = f.split([len(h), 1, len(h)])
        estimate = (above - below) / (2 * h) if order == 1 else (above - 2 * at + below) / h**2
        columns[f"error_{str(dtype).removeprefix('torch.')}"] = np.abs(estimate.double().numpy() - exact)
    return pd.DataFrame(columns)


def best_step(errors: pd.DataFrame) -> pd.DataFrame:
    """The step size h with the smallest error for each dtype, from `finite_difference_errors`: dtype, h, error.

    >>> best_step(pd.DataFrame({"h": [0.1, 0.01], "error_float32": [1e-3, 1e-2], "error_float64": [1e-3, 1e-5]}))
         dtype     h    error
    0  float32  0.10  0.00100
    1  float64  0.01  0.00001
    """
    rows = []
    for dtype in ("float32", "float64"):
        error = errors[f"error_{dtype}"]
        if error.isna().all():  # f is undefined at x0
            rows.append({"dtype": dtype, "h": math.nan, "error": math.nan})
        else:
            best = error.idxmin()
            rows.append({"dtype": dtype, "h": errors.at[best, "h"], "error": error[best]})
    return pd.DataFrame(rows)


def precision_errors(
    expr: Expression | str,
    x: Points,
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    method: str = "autograd",
) -> pd.DataFrame:
    """Per derivative order, how far float32 is from float64 on the grid, by autograd (or by `method="taylor"`).

    Each dtype computes on its own grid (float32 rounds the points too), as the page does when the dtype is switched.
    Columns as `symbolic.compare` gives them, with float64 as the reference: order, max_abs, max_rel (relative to
    the largest |float64 value| on the grid), worst_x, compared, skipped.

    >>> bool(precision_errors("sin(x)", [0.5, 1.0, 2.0], order=1)["max_rel"].lt(1e-6).all())
    True
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    points = as_points(x, torch.float64, torch.device("cpu"))
    single = derivatives(expr, points, order=order, params=params, dtype=torch.float32, method=method)
    double = derivatives(expr, points, order=order, params=params, dtype=torch.float64, method=method)
    return pd.DataFrame([{"order": k, **compare(single[k], double[k], points)} for k in range(order + 1)])
