"""Checking a student's derivative: is the answer the derivative, and if not, which common mistake is it and where
does it differ?

>>> check = check_derivative("cos(5x)", "-sin(5x)")
>>> check.correct, check.mistake, check.part
(False, 'chain rule', 'cos(5x)')
>>> print(check.message.replace(". ", ".\\n"))
The derivative of the inside, 5 for cos(5x), is missing: chain rule.
At x = 1 the derivative is 4.795, your answer gives 0.9589.

How it decides, as good graders do. The answer and the k-th derivative are compared numerically on a dense grid over
the range and at random points (seeded: the same verdict every time), each point within a tolerance from the two
sides' rounding errors (float32 against float64, `rounding.rounding_errors`); points where the derivative is undefined
do not count, so an answer that is defined there too (`1` for (x² − 4)/(x − 2) at 2) is right, and one undefined
where the derivative is not (x/x for x′ at 0) differs there. Where the numbers cannot settle it (every difference
within DOUBT times its tolerance, or a tolerance coarser than LOOSE of the values: rounding swamps them), sympy
decides, in a helper process and within SYMPY_TIMEOUT seconds; where sympy cannot, the numbers stand.

A wrong answer is compared with mistake models, in this order (the first that matches the answer at every point
names the mistake):

1. the first derivative with one rule replaced by its common wrong form at one sub-formula, or at every sub-formula
   it applies to (rules.FORMS, by mistake: chain rule, product rule, quotient rule, power rule, sign, constant
   factor): the inner derivative left out, the product rule as a product of derivatives, the quotient rule with its
   terms swapped or added, the exponent kept, a function's derivative with the wrong sign, a constant factor dropped
   … Only for the first derivative: a higher one is asked for rarely, and its wrong forms are not one rule's;
2. the whole answer: the derivative with the opposite sign (sign); another derivative of f, or f itself (wrong
   order); an antiderivative of f, whose derivative is f (antiderivative); the derivative times a constant other
   than 1 (constant factor).

Sub-formulas come before the whole because they are the more specific: −f′ for sin(x)/x is the quotient rule with its
terms swapped, and sin(2x)′ without the 2 is a forgotten inner derivative, not a factor ½. Among the whole answer's
models, the exact ones come before the constant factor, which matches any multiple.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from .engine import MAX_ORDER, derivatives, parameter_values
from .errors import ExpressionError
from .helper_process import Answer, Helper
from .helper_process import serve as serve_with
from .parse import name_position, parse
from .rounding import SAFETY, rounding_errors, simplest_between, zeroed
from .rules import MISTAKES, Forward, derivative_steps, message, nice_number, shown, slips
from .tree import Expression

if TYPE_CHECKING:
    import sympy

GRID_POINTS = 2001  # evenly spaced points over the range, its ends included
RANDOM_POINTS = 64  # further points, drawn at random in the range (SEED: the same ones every time)
SEED = 20
RELATIVE = 1e-12  # of the values' size: the least tolerance, where the rounding estimates come out 0
DOUBT = 1e3  # differences all within this many times their tolerance may be rounding: sympy decides
LOOSE = 1e-6  # a tolerance above this share of the values' size is too coarse to call an answer right: sympy decides
SYMPY_TIMEOUT = 2.0  # seconds of sympy's work (differentiating, simplifying) before the numbers stand
MODEL_RELATIVE = 1e-8  # of the values' size: how closely an answer must follow a mistake model
MODEL_COVERAGE = 0.9  # share of the compared points where a mistake model must be defined to name the mistake
FACTOR_MARGIN = 0.01  # a constant factor is at least this far from 0, 1 and −1 (closer: nearly right, not off)
PARTIAL_SHARE = 0.02  # share of the compared points, in one stretch, that makes an answer right somewhere
FEW = 3  # differing points few enough to list by their x
ORDINALS = ("", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")

__all__ = ["MISTAKES", "DerivativeCheck", "check_derivative", "derivative_steps"]


@dataclass(frozen=True, eq=False)  # eq=False: a DataFrame has no single truth value
class DerivativeCheck:
    """The verdict on an answer for the `order`-th derivative of `expr`.

    `correct`: the answer equals the derivative wherever that is defined in the range. `mistake`: None, or one of
    MISTAKES. `message`: one or two sentences for the student. `part`: the sub-formula where the mistake is made
    ("" when none is named, or the whole answer is wrong). `differs`: the points where the answer differs, columns
    x, expected, given (values within rounding as 0; empty when correct). `compared`: how many points were compared.
    `steps`: the rules the derivative uses, (rule, sub-formula) pairs (`derivative_steps`). `expected_text`: the
    derivative as a formula, from sympy on first use (seconds the first time; "" when sympy cannot within
    SYMPY_TIMEOUT).
    """

    correct: bool
    mistake: str | None
    message: str
    differs: pd.DataFrame = field(repr=False)
    order: int
    part: str
    compared: int
    steps: tuple[tuple[str, str], ...] = field(repr=False)
    expr: Expression
    answer: Expression

    @cached_property
    def expected_text(self) -> str:
        return expected_text(self.expr, self.order)


def check_derivative(
    expr: Expression | str,
    answer: Expression | str,
    *,
    order: int = 1,
    x: tuple[float, float] = (-5, 5),
    params: Mapping[str, float] | None = None,
) -> DerivativeCheck:
    """Whether `answer` is the `order`-th derivative of `expr` over the range `x`, and if not, the mistake and where
    it differs (see the module's docstring for how it decides). `params` gives the formula's parameters their values.

    Bad input raises ExpressionError (a ValueError) with the position: an answer that does not parse, is empty, or
    uses a name the formula does not have; ValueError for bad settings (order, range, parameters).

    >>> check_derivative("|x|", "1").message
    'Right for x > 0, but not for x < 0 (at x = −1 the derivative is −1, your answer gives 1).'
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    variable = _variable(expr)
    answer = read_answer(answer, expr, variable)
    order = _order(order)
    points = grid_points(*_range(x))
    with np.errstate(all="ignore"):  # NaN and ±inf are data here: f′ undefined, an answer that overflows
        return _verdict(expr, answer, variable, order, points, dict(params or {}))


def _verdict(
    expr: Expression, answer: Expression, variable: str, order: int, points: np.ndarray, params: dict[str, float]
) -> DerivativeCheck:
    """check_derivative's work, once its input is read: the comparison, sympy where it is doubtful, the mistake."""
    found = Comparison(expr, answer, points, order, params)
    if not found.compared.any():
        raise ValueError(
            f"the {_derivative_name(order)} of {shown(expr.tree)} is undefined everywhere from x = {points[0]:g} to "
            f"{points[-1]:g}: choose a range where it is defined"
        )

    differ, offset = found.differ, None
    if found.doubtful():
        equal, difference = symbolic_difference(expr, answer, variable, order)
        if equal:
            differ = np.zeros_like(differ)
        elif equal is False:
            offset = -difference  # the answer minus the derivative
    correct = offset is None and not differ.any()
    mistake, part, sentence = None, "", ""
    name = _derivative_name(order)
    if correct:
        sentence = f"Right: {shown(answer.tree)} is the {name} of {shown(expr.tree)}."
    elif offset is not None:  # sympy's word, where rounding swamps the numbers
        sentence = f"Your answer is the {name} {'plus' if offset > 0 else 'minus'} {nice_number(abs(offset))}."
    else:
        values = {variable: torch.from_numpy(points), **parameter_values(expr, params, torch.from_numpy(points))}
        mistake, part, sentence = found.mistake(variable, values)
        sentence = " ".join(filter(None, [sentence, found.where(differ)]))
    return DerivativeCheck(
        correct=correct,
        mistake=mistake,
        message=sentence,
        differs=found.table(differ),
        order=order,
        part=part,
        compared=int(found.compared.sum()),
        steps=derivative_steps(expr),
        expr=expr,
        answer=answer,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Reading the input


def _variable(expr: Expression) -> str:
    if len(expr.variables) > 1:
        raise ValueError(f"a derivative is checked for a formula of one variable, not of {', '.join(expr.variables)}")
    return (expr.variables or ("x",))[0]


def read_answer(answer: Expression | str, expr: Expression, variable: str) -> Expression:
    """The answer, parsed with the formula's variable; ExpressionError for an empty one, or one with a name that the
    formula does not have (the parser reads any other letter as a parameter: `3u` for a formula in x)."""
    if isinstance(answer, Expression):
        text = answer.source or str(answer)
    elif isinstance(answer, str):
        text = answer
        if not text.strip():
            raise ExpressionError("empty answer: type the derivative, for example 3x^2 for x^3", text, 0)
        answer = parse(text, variables=(variable,))
    else:
        raise TypeError(f"an answer is text or a parsed formula, not {type(answer).__name__}")
    names = [name for name in (*answer.variables, *answer.parameters) if name != variable]
    unknown = [name for name in names if name not in expr.parameters]
    if unknown:
        name = unknown[0]
        raise ExpressionError(
            f"the answer uses {name}, which is not in the formula: the derivative is in {variable}",
            text,
            name_position(text, name),
        )
    return answer


def _order(order: int) -> int:
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise ValueError(f"the order must be a whole number, not {order!r}")
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"the order of the derivative must be from 1 to {MAX_ORDER}, not {order}")
    return int(order)


def _range(x: Sequence[float]) -> tuple[float, float]:
    try:
        start, stop = (float(end) for end in x)
    except (TypeError, ValueError):
        raise ValueError(f"the range x must be two numbers (start, stop), not {x!r}") from None
    if not (math.isfinite(start) and math.isfinite(stop) and math.isfinite(stop - start)):
        raise ValueError(f"the range x must be finite, not ({start:g}, {stop:g})")
    if not start < stop:
        raise ValueError(f"the range x must run from a smaller to a larger number, not ({start:g}, {stop:g})")
    return start, stop


def grid_points(start: float, stop: float) -> np.ndarray:
    """GRID_POINTS evenly spaced from start to stop (whole numbers exactly where the grid has them) and RANDOM_POINTS
    drawn in between, sorted.

    >>> points = grid_points(-5, 5)
    >>> len(points), float(points[0]), float(points[-1]), 1.0 in points
    (2065, -5.0, 5.0, True)
    """
    steps = np.arange(GRID_POINTS, dtype=np.float64)
    grid = start + (stop - start) * steps / (GRID_POINTS - 1)
    drawn = start + (stop - start) * np.random.default_rng(SEED).random(RANDOM_POINTS)
    return np.unique(np.concatenate([grid, drawn]))


# ---------------------------------------------------------------------------------------------------------------------
# The comparison, point by point


class Comparison:
    """The answer against the k-th derivative at the points: where they differ, the mistake models, what to say.

    Each value's rounding error is estimated by computing it again in float32 (`rounding.rounding_errors`). The
    tolerance at a point is SAFETY times the two sides' errors, and at least RELATIVE of the values' size there or,
    where they are small, of their typical size over the range (rounding noise scales with the terms that cancelled,
    not with what is left).
    """

    def __init__(
        self, expr: Expression, answer: Expression, points: np.ndarray, order: int, params: Mapping[str, float]
    ) -> None:
        self.expr, self.answer, self.points, self.order = expr, answer, points, order
        self.params = dict(params)
        self.answer_params = {name: value for name, value in params.items() if name in answer.parameters}
        rows, errors = self._estimated(expr, order, self.params)
        answer_rows, answer_errors = self._estimated(answer, 0, self.answer_params)
        self.expected, self.given = rows[order], answer_rows[0]
        self.expected_errors, self.given_errors = errors[order], answer_errors[0]
        self.compared = np.isfinite(self.expected)  # where the derivative is defined
        size = _size(self.expected, self.given)
        self.typical = float(np.median(size[self.compared])) if self.compared.any() else 0.0
        self.size = np.maximum(size, self.typical)
        self.tolerance = SAFETY * (self.expected_errors + self.given_errors) + RELATIVE * self.size
        with np.errstate(invalid="ignore"):
            self.difference = np.abs(self.given - self.expected)
            self.differ = self.compared & ~(self.difference <= self.tolerance)  # NaN or ±inf given: differs

    def _estimated(self, expr: Expression, order: int, params: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """f … f⁽ᵒʳᵈᵉʳ⁾ at the points in float64, and each value's rounding error estimated from float32."""
        double = derivatives(expr, self.points, order=order, params=params).numpy()
        single = derivatives(expr, self.points, order=order, params=params, dtype=torch.float32).numpy()
        return double, rounding_errors(double, single)

    @cached_property
    def rows(self) -> np.ndarray:
        """f … f⁽ᵏ⁺²⁾ (as far as MAX_ORDER), for the wrong order's and the antiderivative's mistake models."""
        top = min(self.order + 2, MAX_ORDER)
        return derivatives(self.expr, self.points, order=top, params=self.params).numpy()

    @cached_property
    def slope(self) -> tuple[np.ndarray, np.ndarray]:
        """The answer's derivative and its rounding errors, for the antiderivative's mistake model."""
        rows, errors = self._estimated(self.answer, 1, self.answer_params)
        return rows[1], errors[1]

    def doubtful(self) -> bool:
        """Whether the numbers cannot settle it: a tolerance coarser than LOOSE of the values' size somewhere (the
        answer, or the derivative, is mostly rounding there), or every difference within DOUBT times its tolerance
        (rounding, maybe)."""
        if (self.tolerance > LOOSE * self.size)[self.compared].any():
            return True
        with np.errstate(invalid="ignore"):
            clear = ~(self.difference <= DOUBT * self.tolerance)
        return bool(self.differ.any() and not (clear & self.differ).any())

    def mistake(self, variable: str, values: Mapping[str, torch.Tensor]) -> tuple[str | None, str, str]:
        """(mistake, sub-formula, sentence) of the first mistake model that the answer follows, in the order of the
        module's docstring; (None, "", "") when none does."""
        if self.order == 1:
            forward = Forward(self.expr.tree, variable, values)
            for slip in slips(self.expr.tree, variable):
                with torch.no_grad():
                    model = forward.derivative(slip).numpy()
                if self.follows(model) and not self.agrees(model, self.expected, self.expected_errors):
                    return slip.mistake, ", ".join(shown(node) for node in slip.nodes), message(slip, forward)
        for mistake, sentence in self.whole_answer():
            return mistake, "", sentence
        return None, "", ""

    def whole_answer(self) -> Iterator[tuple[str, str]]:
        """The whole answer's mistake models that it follows, in order: sign, wrong order, antiderivative, constant
        factor."""
        k, expected, errors = self.order, self.expected, self.expected_errors
        if self.follows(-expected):
            yield "sign", "Your answer is the derivative with the opposite sign: check the signs."
        rows = self.rows
        for j in [k - 1, *range(k + 1, len(rows)), *range(k - 2, -1, -1)]:
            if self.follows(rows[j]) and not self.agrees(rows[j], expected, errors):
                what = "f itself" if j == 0 else f"the {ORDINALS[j]} derivative"
                yield "wrong order", f"Your answer is {what}, not the {_derivative_name(k, first=True)}."
        f, (slope, slope_errors) = rows[0], self.slope
        where = np.isfinite(f) & self.compared
        integrated = where.any() and self.agrees(f, slope, slope_errors, where)
        if integrated and not self.agrees(f, expected, errors):
            yield (
                "antiderivative",
                "Your answer is an antiderivative of f: its derivative is f, so you integrated instead of "
                "differentiating.",
            )
        factor = self.factor()
        if factor is not None:
            yield (
                "constant factor",
                f"Your answer is {nice_number(factor)} times the derivative: a constant factor is off.",
            )

    def factor(self) -> float | None:
        """c where the answer is c times the derivative, c a constant not near 0, 1 or −1 (3.001x² for x³ is nearly
        right, not off by a factor); else None."""
        expected, given = self.expected, self.given
        useful = self.compared & (np.abs(expected) > 1e-6 * self.typical) & np.isfinite(given)
        if not useful.any():
            return None
        c = float(np.median(given[useful] / expected[useful]))
        if not math.isfinite(c) or abs(c) < FACTOR_MARGIN or abs(abs(c) - 1) < FACTOR_MARGIN:
            return None
        return c if self.follows(c * expected, abs(c) * self.expected_errors) else None

    def follows(self, model: np.ndarray, model_errors: np.ndarray | None = None) -> bool:
        """Whether the answer is the model at the compared points (where the model is defined: at least
        MODEL_COVERAGE of them)."""
        errors = self.expected_errors if model_errors is None else model_errors
        return self.agrees(model, self.given, errors + self.given_errors)

    def agrees(
        self, model: np.ndarray, values: np.ndarray, errors: np.ndarray, where: np.ndarray | None = None
    ) -> bool:
        """Whether `values` equal `model` to MODEL_RELATIVE of their size (or of their typical size, where that is
        larger), at the points of `where` (the compared ones) where the model is defined, which must be at least
        MODEL_COVERAGE of them."""
        where = self.compared if where is None else where
        defined = where & np.isfinite(model)
        if not defined.any() or defined.sum() < MODEL_COVERAGE * where.sum():
            return False
        size = _size(model, values)
        size = np.maximum(size, float(np.median(size[defined])))
        with np.errstate(invalid="ignore"):
            close = np.abs(values - model) <= SAFETY * errors + MODEL_RELATIVE * size
        return bool(close[defined].all())

    def where(self, differ: np.ndarray) -> str:
        """Where the answer differs, for the student: the stretches where it is right and wrong (when it is right
        on a good part of the range), and an example point."""
        example = self.example(differ)
        stretches = self.stretches(differ)
        if stretches:
            return f"{stretches} ({example})."
        return example[0].upper() + example[1:] + "."

    def example(self, differ: np.ndarray) -> str:
        """One point where the answer differs, the simplest x there: 'at x = 1 the derivative is 3, your answer
        gives 3.003'."""
        i = _simplest(self.points, np.flatnonzero(differ))
        x, expected, given = float(self.points[i]), float(self.expected[i]), float(self.given[i])
        digits = 4  # enough to tell the two apart: 3 and 3.001, 3 and 3.000000003
        while digits < 17 and _figure(expected, digits=digits) == _figure(given, digits=digits) != "undefined":
            digits += 1
        value = _figure(expected, self.expected_errors[i], digits)
        said = f"at x = {_figure(x, digits=6)} the {_derivative_name(self.order)} is {value}"
        if math.isnan(given):
            return f"{said}, but your answer is undefined there"
        return f"{said}, your answer gives {_figure(given, self.given_errors[i], digits)}"

    def stretches(self, differ: np.ndarray) -> str:
        """'Right for x > 0, but not for x < 0' where the answer is right on a stretch of at least PARTIAL_SHARE of
        the compared points; '' where it is right nowhere much."""
        compared = np.flatnonzero(self.compared)
        wrong = differ[compared]
        right_runs = _runs(~wrong)
        if not right_runs or max(stop - start for start, stop in right_runs) < PARTIAL_SHARE * len(compared):
            return ""
        x = self.points[compared]
        runs = _runs(wrong)
        if int(wrong.sum()) <= FEW:  # single points: a hole in the answer (x/x at 0), or a slip at a kink
            return f"Right except at x = {_listed([_figure(v, digits=6) for v in x[wrong]])}"

        def between(i: int) -> str:  # the simplest number between the compared points i and i + 1
            return _figure(simplest_between(x[i], x[i + 1]), digits=6)

        last = len(compared)
        if len(runs) == 1:
            start, stop = runs[0]
            if start == 0:
                b = between(stop - 1)
                return f"Right for x > {b}, but not for x < {b}"
            if stop == last:
                a = between(start - 1)
                return f"Right for x < {a}, but not for x > {a}"
            a, b = between(start - 1), between(stop - 1)
            return f"Right for x < {a} and x > {b}, but not for {a} < x < {b}"
        if len(runs) == 2 and runs[0][0] == 0 and runs[1][1] == last:
            a, b = between(runs[0][1] - 1), between(runs[1][0] - 1)
            return f"Right for {a} < x < {b}, but not for x < {a} or x > {b}"
        return "Right at some points but not at others"

    def table(self, differ: np.ndarray) -> pd.DataFrame:
        """The points where the answer differs: x, expected, given (each within its rounding error as 0)."""
        expected = zeroed(self.expected, self.expected_errors)
        given = zeroed(self.given, self.given_errors)
        return pd.DataFrame({"x": self.points[differ], "expected": expected[differ], "given": given[differ]})


def _size(*arrays: np.ndarray) -> np.ndarray:
    """Point by point, the largest finite magnitude among the arrays (0 where none is finite)."""
    finite = [np.where(np.isfinite(a), np.abs(a), 0.0) for a in arrays]
    return np.maximum.reduce(finite)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The stretches (start, stop) where mask holds."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def _simplest(points: np.ndarray, candidates: np.ndarray) -> int:
    """The index, among the candidates, of the point simplest to read: fewest decimals, then nearest ±1, then
    positive (1 before −1 before 2 before 0.5 before 0.005)."""
    x = points[candidates]
    for decimals in range(7):
        scaled = x * 10.0**decimals
        exact = np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))
        if exact.any():
            chosen = candidates[exact]
            key = np.lexsort((points[chosen] < 0, np.abs(np.abs(points[chosen]) - 1)))
            return int(chosen[key[0]])
    return int(candidates[0])


def _figure(value: float, error: float = 0.0, digits: int = 4) -> str:
    """A value for a student: 4 significant figures, a true minus sign, 0 within rounding."""
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if abs(value) <= SAFETY * error:
        value = 0.0
    return f"{value + 0.0:.{digits}g}".replace("-", "−")


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _derivative_name(order: int, first: bool = False) -> str:
    """ "derivative" (or "first derivative"), "second derivative" …"""
    return "derivative" if order == 1 and not first else f"{ORDINALS[order]} derivative"


# ---------------------------------------------------------------------------------------------------------------------
# Sympy, where the numbers cannot settle it: in a helper process, within a time budget


def symbolic_difference(
    expr: Expression, answer: Expression, variable: str, order: int, timeout: float | None = None
) -> tuple[bool | None, float]:
    """Whether sympy simplifies the k-th derivative minus the answer to 0: (True, 0.0); to a number d other than 0:
    (False, d); None where it cannot say within `timeout` seconds (SYMPY_TIMEOUT) or finds no number."""
    timeout = SYMPY_TIMEOUT if timeout is None else timeout
    results, _ = _helper().ask((expr.tree, answer.tree, variable, order, timeout), timeout)
    found = results.get(("difference", order))
    if found is None:
        return None, math.nan
    difference = found[0]
    if difference == 0:
        return True, 0.0
    if difference.is_number and difference.is_finite:
        return False, float(difference)
    return None, math.nan


@functools.cache
def _helper() -> Helper:
    from .symbolic import sympy_helper  # sympy: seconds to import, and only this needs it

    return sympy_helper("from derivlib.checking import serve; serve()")


def _difference_messages(tree: Any, answer_tree: Any, variable: str, order: int) -> Iterator[tuple]:
    """In the helper's child: sympy's k-th derivative of the formula minus the answer, simplified."""
    import sympy

    from .symbolic import off_the_kinks

    symbol = sympy.Symbol(variable, real=True)  # the symbol that Expression.to_sympy uses
    derivative = off_the_kinks(sympy.diff(Expression(tree).to_sympy(), symbol, order))
    yield ("difference", order, sympy.simplify(derivative - Expression(answer_tree).to_sympy()), "")
    yield ("done", 0, None, "")


def _answer(tree: Any, answer_tree: Any, variable: str, order: int, timeout: float) -> Answer:
    from .symbolic import answer_in_child

    return answer_in_child(_difference_messages(tree, answer_tree, variable, order), timeout)


def serve() -> None:
    """The helper process's program: answer requests (tree, answer's tree, variable, order, timeout)."""
    serve_with(_answer)


_EXPECTED: dict[tuple[Expression, int], str] = {}  # formulas found, by (formula, order): sympy's work is seconds


def expected_text(expr: Expression, order: int) -> str:
    """The `order`-th derivative as a formula a student can read and type, from sympy's simplified derivative (the
    symbolic helper, within its time budget); "" when sympy cannot give one derivlib reads back."""
    if (expr, order) in _EXPECTED:
        return _EXPECTED[expr, order]
    from .symbolic import derivative_formulas

    formula = derivative_formulas(expr, order, timeout=SYMPY_TIMEOUT)[order]
    if formula.expr is None:
        return ""
    variable = _variable(expr)
    text = _sympy_text(formula.expr)
    try:
        parsed = parse(text, variables=(variable,), max_length=None)
    except ExpressionError:
        return ""
    if not set(parsed.parameters) <= set(expr.parameters):  # sympy's I or a name derivlib reads otherwise
        return ""
    _EXPECTED[expr, order] = shown(parsed.tree)
    return _EXPECTED[expr, order]


def _sympy_text(expression: sympy.Expr) -> str:
    return str(expression).replace("**", "^")
