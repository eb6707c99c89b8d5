"""check_derivative: a student's answer for f′ judged right or wrong, the common mistake named, where it differs.

The references are independent of the code under test: sympy's derivative of the parsed formula (built from the tree,
simplified) says which answers are right, and the mistakes are written out by hand as the wrong rule gives them.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch

import derivlib
from derivlib import ExpressionError, check_derivative, derivative_steps
from derivlib.rules import Forward

X = sympy.Symbol("x", real=True)
GRID = np.linspace(-5, 5, 2001)  # the evenly spaced points of the default range


def sympy_says_equal(formula: str, answer: str, order: int = 1) -> bool:
    """The oracle: sympy's order-th derivative of the formula minus the answer simplifies to 0."""
    derivative = sympy.diff(derivlib.parse(formula).to_sympy(), X, order)
    difference = sympy.simplify(derivative - derivlib.parse(answer).to_sympy())
    return difference == 0 or sympy.simplify(difference.rewrite(sympy.sin)) == 0


# ---------------------------------------------------------------------------------------------------------------------
# Right answers, in whatever form


RIGHT = [
    pytest.param("x^3", "3x^2", id="power"),
    pytest.param("sin(x) cos(x)", "cos(x)^2 - sin(x)^2", id="product-as-difference-of-squares"),
    pytest.param("sin(x) cos(x)", "cos(2x)", id="product-as-double-angle"),
    pytest.param("cot(x)", "-csc(x)^2", id="cot-by-csc"),
    pytest.param("cot(x)", "-1 - cot(x)^2", id="cot-by-cot"),
    pytest.param("tan(4x)", "4sec(4x)^2", id="tan-chain"),
    pytest.param("tan(4x)", "4 + 4tan(4x)^2", id="tan-by-tan"),
    pytest.param("x^2 sin(x)", "2x sin(x) + x^2 cos(x)", id="product"),
    pytest.param("sin(x)/x", "(x cos(x) - sin(x))/x^2", id="quotient"),
    pytest.param("e^(x^2)", "2x e^(x^2)", id="exponential-chain"),
    pytest.param("sqrt(x^2 + 1)", "x/sqrt(x^2 + 1)", id="root-chain"),
    pytest.param("2^x", "2^x ln(2)", id="exponential-base-2"),
]


@pytest.mark.parametrize(("formula", "answer"), RIGHT)
def test_an_answer_equal_to_the_derivative_in_any_form_is_right(formula, answer):
    assert sympy_says_equal(formula, answer)  # the table itself is right
    check = check_derivative(formula, answer)
    assert check.correct, check.message
    assert check.mistake is None
    assert check.differs.empty
    assert list(check.differs.columns) == ["x", "expected", "given"]
    assert check.message.startswith("Right")


@pytest.mark.parametrize(
    ("formula", "answer", "undefined_at"),
    [
        pytest.param("ln(3x)", "1/x", "x <= 0", id="log-only-for-positive-x"),
        pytest.param("|x|", "sign(x)", "x = 0", id="abs-away-from-its-kink"),
        pytest.param("(x^2 - 4)/(x - 2)", "1", "x = 2", id="defined-where-f-is-not"),
    ],
)
def test_an_answer_that_is_also_defined_where_the_derivative_is_not_is_right(formula, answer, undefined_at):
    derivative = derivlib.derivatives(formula, GRID, order=1)[1].numpy()
    assert np.isnan(derivative).any(), f"f′ is undefined at {undefined_at}"
    check = check_derivative(formula, answer)
    assert check.correct, check.message
    assert check.compared < len(GRID) + derivlib.checking.RANDOM_POINTS  # those points did not count


@pytest.mark.parametrize(
    ("formula", "answer", "order"),
    [
        pytest.param("x^3", "6x", 2, id="second"),
        pytest.param("sin(x)", "-sin(x)", 2, id="second-of-sin"),
        pytest.param("x^5", "120", 5, id="fifth"),
        pytest.param("e^(3x)", "27e^(3x)", 3, id="third-of-exponential"),
    ],
)
def test_higher_derivatives_are_checked_at_their_order(formula, answer, order):
    assert sympy_says_equal(formula, answer, order)
    check = check_derivative(formula, answer, order=order)
    assert check.correct, check.message
    assert check.order == order


def test_parameters_take_their_values_from_params():
    check = check_derivative("a sin(b x)", "a b cos(b x)", params={"a": 2, "b": 3})
    assert check.correct
    wrong = check_derivative("a sin(b x)", "a cos(b x)", params={"a": 2, "b": 3})
    assert not wrong.correct
    assert wrong.mistake == "chain rule"
    assert "b for sin(b*x)" in wrong.message


def test_the_range_is_where_the_answer_is_compared():
    # x·|x| has the derivative 2|x|: 2x is right for x > 0 only.
    assert check_derivative("x|x|", "2x", x=(0.5, 3)).correct
    assert not check_derivative("x|x|", "2x", x=(-3, 3)).correct


# ---------------------------------------------------------------------------------------------------------------------
# Nearly right is wrong


@pytest.mark.parametrize(
    "answer", ["3.001x^2", "3.0000001x^2", "3x^2 + 0.001", "3x^2 + x/1000", "2.999x^2", "3x^2.001"]
)
def test_a_nearly_right_answer_is_wrong(answer):
    check = check_derivative("x^3", answer)
    assert not check.correct
    assert not check.differs.empty


def test_a_nearly_right_answer_names_no_mistake_and_shows_the_difference():
    check = check_derivative("x^3", "3.001x^2")
    assert check.mistake is None  # not "a constant factor of 1.0003"
    assert check.message == "At x = 1 the derivative is 3, your answer gives 3.001."
    row = check.differs[check.differs.x == 1.0].iloc[0]
    assert (row.expected, row.given) == (3.0, 3.001)
    assert (check.differs.x != 0).all()  # at 0 both are 0


def test_the_numbers_shown_have_the_digits_that_tell_the_two_apart():
    check = check_derivative("x^3", "3.0000001x^2")
    assert check.message == "At x = 1 the derivative is 3, your answer gives 3.0000001."


# ---------------------------------------------------------------------------------------------------------------------
# The mistake models: each the derivative of the same formula with one rule in a common wrong form


MISTAKES = [
    # (formula, answer, mistake, the sub-formula named, words in the message)
    pytest.param("cos(5x)", "-sin(5x)", "chain rule", "cos(5x)", "inside, 5 for cos(5x)", id="chain-inner-missing"),
    pytest.param("sin(x^2)", "cos(x^2)", "chain rule", "sin(x^2)", "inside, 2x for sin(x^2)", id="chain-polynomial"),
    pytest.param("(x^2 + 1)^3", "3(x^2 + 1)^2", "chain rule", "(x^2 + 1)^3", "2x", id="chain-of-a-power"),
    pytest.param("e^(5x)", "e^(5x)", "chain rule", "e^(5x)", "5 for e^(5x)", id="chain-of-an-exponential"),
    pytest.param(
        "sin(2x) cos(3x)",
        "cos(2x) cos(3x) - sin(2x) sin(3x)",
        "chain rule",
        "sin(2x), cos(3x)",
        "insides of sin(2x) and cos(3x)",
        id="chain-everywhere",
    ),
    pytest.param("x^2 sin(x)", "2x cos(x)", "product rule", "x^2*sin(x)", "product of the derivatives", id="product"),
    pytest.param("x^2 sin(x)", "2x sin(x)", "product rule", "x^2*sin(x)", "A term is missing", id="product-one-term"),
    pytest.param(
        "sin(x)/x", "(sin(x) - x cos(x))/x^2", "quotient rule", "sin(x)/x", "wrong way round", id="quotient-swapped"
    ),
    pytest.param("sin(x)/x", "(x cos(x) + sin(x))/x^2", "quotient rule", "sin(x)/x", "subtracts", id="quotient-added"),
    pytest.param(
        "sin(x)/x", "(x cos(x) - sin(x))/x", "quotient rule", "sin(x)/x", "is squared", id="quotient-not-squared"
    ),
    pytest.param("x^3", "3x^3", "power rule", "x^3", "is 3x^2, not 3x^3", id="power-exponent-kept"),
    pytest.param("x^3", "x^2", "power rule", "x^3", "comes down as a factor", id="power-exponent-not-brought-down"),
    pytest.param("2^x", "x*2^(x - 1)", "power rule", "2^x", "exponential, not a power", id="exponential-as-power"),
    pytest.param("cos(x)", "sin(x)", "sign", "cos(x)", "derivative of cos is −sin", id="sign-of-cos"),
    pytest.param("x^2 - cos(x)", "2x - sin(x)", "sign", "cos(x)", "wrong sign", id="sign-inside-a-difference"),
    pytest.param("x^2 - x^3", "2x + 3x^2", "sign", "x^2 - x^3", "subtracted", id="sign-of-a-difference"),
    pytest.param("5x^2", "2x", "constant factor", "5x^2", "constant factor 5", id="constant-factor-dropped"),
    pytest.param("x^2/7", "2x", "constant factor", "x^2/7", "constant factor 1/7", id="constant-divisor-dropped"),
    pytest.param("3sin(x)", "cos(x)", "constant factor", "3sin(x)", "constant factor 3", id="constant-factor-3"),
]


@pytest.mark.parametrize(("formula", "answer", "mistake", "part", "words"), MISTAKES)
def test_a_wrong_rule_at_one_sub_formula_is_named_with_that_sub_formula(formula, answer, mistake, part, words):
    assert not sympy_says_equal(formula, answer)
    check = check_derivative(formula, answer)
    assert not check.correct
    assert (check.mistake, check.part) == (mistake, part), check.message
    assert words in check.message
    assert mistake in derivlib.MISTAKES


WHOLE_ANSWER = [
    pytest.param("x^2 + 3x", "-2x - 3", 1, "sign", "opposite sign", id="sign"),
    pytest.param("3sin(x)", "6cos(x)", 1, "constant factor", "2 times the derivative", id="constant-factor-added"),
    pytest.param("x^2 + x^4", "x + 2x^3", 1, "constant factor", "1/2 times the derivative", id="constant-factor-lost"),
    pytest.param("x^2", "x^3/3", 1, "antiderivative", "antiderivative", id="antiderivative"),
    pytest.param("x^2", "x^3/3 + 7", 1, "antiderivative", "antiderivative", id="antiderivative-plus-a-constant"),
    pytest.param("x^3", "6x", 1, "wrong order", "second derivative, not the first", id="second-for-first"),
    pytest.param("x^3", "3x^2", 2, "wrong order", "first derivative, not the second", id="first-for-second"),
    pytest.param("x^3 + x", "x^3 + x", 1, "wrong order", "f itself", id="f-itself"),
]


@pytest.mark.parametrize(("formula", "answer", "order", "mistake", "words"), WHOLE_ANSWER)
def test_a_whole_answer_that_is_another_function_of_f_is_named(formula, answer, order, mistake, words):
    assert not sympy_says_equal(formula, answer, order)
    check = check_derivative(formula, answer, order=order)
    assert not check.correct
    assert (check.mistake, check.part) == (mistake, ""), check.message
    assert words in check.message


@pytest.mark.parametrize(
    ("formula", "answer", "mistake", "not_this"),
    [
        # cos(2x) is also half the derivative: the forgotten inner derivative is the more specific.
        pytest.param("sin(2x)", "cos(2x)", "chain rule", "constant factor", id="chain-before-factor"),
        # sin x is also −(cos x)′ and an antiderivative of cos x.
        pytest.param("cos(x)", "sin(x)", "sign", "antiderivative", id="sign-before-antiderivative"),
        # The swapped quotient rule is also −f′ here.
        pytest.param("sin(x)/x", "(sin(x) - x cos(x))/x^2", "quotient rule", "sign", id="quotient-before-sign"),
        # 4e^(2x) is also twice f′.
        pytest.param("e^(2x)", "4e^(2x)", "wrong order", "constant factor", id="order-before-factor"),
        # e^(2x)/2 is also a quarter of f′.
        pytest.param("e^(2x)", "e^(2x)/2", "antiderivative", "constant factor", id="antiderivative-before-factor"),
    ],
)
def test_where_several_models_match_the_more_specific_one_is_named(formula, answer, mistake, not_this):
    assert check_derivative(formula, answer).mistake == mistake


def test_mistake_names_are_the_issues_exactly():
    assert derivlib.MISTAKES == (
        "chain rule",
        "product rule",
        "quotient rule",
        "power rule",
        "sign",
        "constant factor",
        "antiderivative",
        "wrong order",
    )


def test_an_answer_wrong_in_two_ways_names_no_mistake():
    check = check_derivative("x^2 sin(3x)", "2x cos(x)")
    assert not check.correct
    assert check.mistake is None
    assert check.message.startswith("At x = ")


def test_the_forward_pass_of_the_mistake_models_is_derivlibs_derivative_when_no_rule_is_wrong():
    """The models are the right derivative but for one rule: without it, they are f′ itself (wherever f′ is
    defined: at a pole the quotient rule gives ±inf where derivlib says undefined)."""
    x = torch.linspace(-5, 5, 1001, dtype=torch.float64)
    formulas = ["x^2 sin(5x) + e^(-x^2)", "sin(x)/x - 3cos(x)^2", "2^x x^(2/3)", "sqrt(x^2 + 1)/(x - 2)", "x^x"]
    formulas += ["{x < 0: -x, x^2} + atan2(x, 2)", "tan(4x) - |x|"]
    for text in formulas:
        expected = derivlib.derivatives(text, x, order=1)[1]
        found = Forward(derivlib.parse(text).tree, "x", {"x": x}).derivative()
        defined = torch.isfinite(expected)
        torch.testing.assert_close(found[defined], expected[defined], rtol=1e-9, atol=1e-9, msg=text)


# ---------------------------------------------------------------------------------------------------------------------
# Right somewhere, wrong elsewhere


def test_an_answer_right_for_positive_x_differs_exactly_at_the_negative_points():
    check = check_derivative("|x|", "1")
    assert not check.correct
    assert check.mistake is None
    assert check.message == "Right for x > 0, but not for x < 0 (at x = −1 the derivative is −1, your answer gives 1)."
    differs = check.differs
    assert (differs.x < 0).all()
    nearest = np.abs(GRID[GRID < 0][:, None] - differs.x.to_numpy()[None, :]).min(axis=1)
    assert (nearest < 1e-12).all()  # every negative grid point is there (and the random ones below 0)
    assert (differs.expected == -1).all() and (differs.given == 1).all()
    assert check.compared - len(differs) > 1000  # the positive points, where it is right


def test_an_answer_right_on_a_middle_stretch_says_where():
    check = check_derivative("x^2", "2x + {-1 < x < 2: 0, 1}")
    assert check.message.startswith("Right for −1 < x < 2, but not for x < −1 or x > 2")


def test_an_answer_undefined_at_a_point_where_the_derivative_is_not_differs_there():
    check = check_derivative("x", "x/x")
    assert not check.correct
    assert check.differs.x.tolist() == [0.0]
    assert np.isnan(check.differs.given.iloc[0])
    assert check.message == "Right except at x = 0 (at x = 0 the derivative is 1, but your answer is undefined there)."


# ---------------------------------------------------------------------------------------------------------------------
# The steps of the right derivative


def test_the_steps_name_each_rule_and_its_sub_formula_outermost_first():
    assert derivative_steps("x^2 sin(5x)") == (
        ("product rule", "x^2*sin(5x)"),
        ("power rule", "x^2"),
        ("derivative of sin", "sin(5x)"),
        ("chain rule", "sin(5x)"),
        ("constant multiple", "5x"),
    )
    assert derivative_steps("sin(x)/x - e^(2x)") == (
        ("sum rule", "sin(x)/x - e^(2x)"),
        ("quotient rule", "sin(x)/x"),
        ("derivative of sin", "sin(x)"),
        ("derivative of e^x", "e^(2x)"),
        ("chain rule", "e^(2x)"),
        ("constant multiple", "2x"),
    )
    assert derivative_steps("7") == (("constant", "7"),)


def test_a_check_carries_the_steps_of_the_formula():
    assert check_derivative("tan(4x)", "4sec(4x)^2").steps == derivative_steps("tan(4x)")


# ---------------------------------------------------------------------------------------------------------------------
# Bad input: an ExpressionError (a ValueError) that says what is wrong, and where


@pytest.mark.parametrize(
    ("answer", "words", "position"),
    [
        pytest.param("3x^", "'^' needs something after it", 2, id="unfinished"),
        pytest.param("sin(x", "unclosed '('", 3, id="unclosed"),
        pytest.param("", "empty answer", 0, id="empty"),
        pytest.param("   ", "empty answer", 0, id="blank"),
        pytest.param(
            "3u", "the answer uses u, which is not in the formula: the derivative is in x", 1, id="other-letter"
        ),
        pytest.param("2x + a", "the answer uses a", 5, id="a-parameter-the-formula-lacks"),
    ],
)
def test_an_answer_that_cannot_be_read_raises_an_error_that_points_at_the_problem(answer, words, position):
    with pytest.raises(ExpressionError) as caught:
        check_derivative("x^3", answer)
    assert words in caught.value.message
    assert caught.value.position == position
    assert caught.value.source == answer


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        pytest.param({"order": 0}, "from 1 to 10", id="order-0"),
        pytest.param({"order": 11}, "from 1 to 10", id="order-too-high"),
        pytest.param({"order": 1.5}, "whole number", id="order-not-whole"),
        pytest.param({"order": True}, "whole number", id="order-a-bool"),
        pytest.param({"x": (5, -5)}, "smaller to a larger", id="range-reversed"),
        pytest.param({"x": (0, float("inf"))}, "finite", id="range-infinite"),
        pytest.param({"x": (0,)}, "two numbers", id="range-one-number"),
    ],
)
def test_bad_settings_raise_value_error_naming_the_setting(settings, words):
    with pytest.raises(ValueError, match=words):
        check_derivative("x^3", "3x^2", **settings)


def test_a_formula_with_parameters_needs_their_values():
    with pytest.raises(ValueError, match="parameter 'a' needs a value"):
        check_derivative("a x^2", "2a x")


def test_a_derivative_undefined_everywhere_in_the_range_cannot_be_checked():
    with pytest.raises(ValueError, match="undefined everywhere"):
        check_derivative("ln(-x^2 - 1)", "-2x/(-x^2 - 1)")


def test_a_formula_of_two_variables_is_refused():
    with pytest.raises(ValueError, match="one variable"):
        check_derivative(derivlib.parse("x y", variables=("x", "y")), "y")


# ---------------------------------------------------------------------------------------------------------------------
# Where the numbers cannot decide, sympy does (in its helper process)


def test_an_answer_lost_in_its_own_rounding_is_settled_by_sympy(monkeypatch):
    monkeypatch.setattr(derivlib.checking, "SYMPY_TIMEOUT", 30.0)  # a busy machine starts the helper slowly
    # Equal to x^2, computed as the difference of numbers near 10^16: float64 leaves only rounding.
    assert check_derivative("x^3/3", "(x + 1e8)^2 - 2e8 x - 1e16").correct
    off = check_derivative("x^3/3", "(x + 1e8)^2 - 2e8 x - 1e16 - 1")
    assert not off.correct
    assert off.message == "Your answer is the derivative minus 1."


def test_the_derivative_as_a_formula_comes_from_sympy_on_first_use(monkeypatch):
    monkeypatch.setattr(derivlib.checking, "SYMPY_TIMEOUT", 30.0)
    check = check_derivative("tan(4x)", "sec(4x)^2")
    assert sympy_says_equal("tan(4x)", check.expected_text)


def test_the_verdict_is_the_same_every_time():
    first, second = check_derivative("|x|", "1"), check_derivative("|x|", "1")
    assert first.message == second.message
    assert first.differs.equals(second.differs)
