"""The tree: canonical text that parses back to the same tree, the sympy form, and what an Expression knows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import trees

from derivlib import derivatives, parse
from derivlib.tree import Binary, Call, Constant, Number, Parameter, Unary, Variable, to_text

ROOT = Path(__file__).resolve().parent.parent

x, a, b = sympy.symbols("x a b", real=True)

# Every non-negative float the tokenizer can read, from subnormals to the largest: the text form must keep all 17
# significant digits and the exponent.
ANY_NUMBER = st.floats(min_value=0.0, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------------------------------------------------------------
# Canonical text


@settings(derandomize=True, deadline=None, max_examples=200)
@given(tree=trees(max_leaves=8, parameters=True, numbers=ANY_NUMBER, max_wrappers=4))
def test_canonical_text_parses_back_to_the_same_tree(tree):
    """And rendering that tree gives the same text again: the canonical text is a fixed point."""
    text = to_text(tree)
    expr = parse(text)
    assert expr.tree == tree, text
    assert str(expr) == text


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        pytest.param("x³ + sin x", "x^3 + sin(x)", id="superscript-and-implicit-call"),
        pytest.param("2x", "2*x", id="implicit-product"),
        pytest.param("-x^2", "-x^2", id="minus-binds-looser-than-power"),
        pytest.param("(-x)^2", "(-x)^2", id="negated-base-keeps-parentheses"),
        pytest.param("2^-x", "2^-x", id="negative-exponent"),
        pytest.param("x^y^z", "x^y^z", id="power-is-right-associative"),
        pytest.param("(x^y)^z", "(x^y)^z", id="left-nested-power-keeps-parentheses"),
        pytest.param("a - (b - c)", "a - (b - c)", id="right-operand-of-minus-keeps-parentheses"),
        pytest.param("(a - b) - c", "a - b - c", id="left-operand-drops-parentheses"),
        pytest.param("a/(b*c)", "a/(b*c)", id="right-operand-of-divide-keeps-parentheses"),
        pytest.param("a - -b", "a - (-b)", id="negated-right-operand"),
        pytest.param("sin^2 x", "sin(x)^2", id="function-power"),
        pytest.param("ln(x) + arctan(x)", "log(x) + atan(x)", id="aliases-become-canonical-names"),
        pytest.param("1e-3 + 2.50", "0.001 + 2.5", id="shortest-decimal"),
        pytest.param("1e20", "1e+20", id="large-number"),
        pytest.param("2 pi a x", "2*pi*a*x", id="constants-and-parameters"),
        pytest.param("α·x", "alpha*x", id="greek-letter-spelled-out"),
        pytest.param("|x - 1|", "abs(x - 1)", id="bars-are-abs"),
        pytest.param("log_2 x + log_b x", "log2(x) + log(x)/log(b)", id="logarithms-to-a-base"),
        pytest.param("atan2(y,x)", "atan2(y, x)", id="argument-list"),
        pytest.param("pow(x, 2)", "x^2", id="pow-is-a-power"),
        pytest.param("(x+1)!", "(x + 1)!", id="factorial-is-postfix"),
        pytest.param("x!^2 + (x!)!", "x!^2 + (x!)!", id="factorial-of-a-factorial-keeps-parentheses"),
        pytest.param("⅓x", "1/3*x", id="vulgar-fraction"),
        pytest.param("{x<0:-x,x≥0:x^2}", "{x < 0: -x, x >= 0: x^2}", id="piecewise"),
    ],
)
def test_canonical_text_of_typed_formulas(typed, canonical):
    assert str(parse(typed)) == canonical
    assert parse(canonical) == parse(typed)


# ---------------------------------------------------------------------------------------------------------------------
# Sympy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("x^3 + sin(x)", x**3 + sympy.sin(x), id="tutorial"),
        pytest.param("2pi/3", 2 * sympy.pi / 3, id="constant"),
        pytest.param("e^x", sympy.exp(x), id="e-is-euler"),
        pytest.param("0.5x + 1e-3", x / 2 + sympy.Rational(1, 1000), id="decimals-are-exact-rationals"),
        pytest.param("-x^2", -(x**2), id="negated-power"),
        pytest.param("(-x)^2", x**2, id="power-of-negation"),
        pytest.param("2^-x", 2 ** (-x), id="negative-exponent"),
        pytest.param("x^0.5", sympy.sqrt(x), id="fractional-exponent"),
        pytest.param("ln x", sympy.log(x), id="natural-log"),
        pytest.param("log10(x)", sympy.log(x) / sympy.log(10), id="log10"),
        pytest.param("log2(x)", sympy.log(x) / sympy.log(2), id="log2"),
        pytest.param("cbrt(x)", sympy.sign(x) * sympy.Abs(x) ** sympy.Rational(1, 3), id="real-cube-root"),
        pytest.param("abs(x)", sympy.Abs(x), id="abs"),
        pytest.param("sigmoid(x)", 1 / (1 + sympy.exp(-x)), id="sigmoid"),
        pytest.param("sec x + csc x + cot x", 1 / sympy.cos(x) + 1 / sympy.sin(x) + 1 / sympy.tan(x), id="reciprocal"),
        pytest.param("asinh(x) * erf(x)", sympy.asinh(x) * sympy.erf(x), id="asinh-erf"),
        pytest.param("sin x + cos x + tan x", sympy.sin(x) + sympy.cos(x) + sympy.tan(x), id="trigonometric"),
        pytest.param("asin x + acos x + atan x", sympy.asin(x) + sympy.acos(x) + sympy.atan(x), id="inverse-trig"),
        pytest.param("sinh x + cosh x + tanh x", sympy.sinh(x) + sympy.cosh(x) + sympy.tanh(x), id="hyperbolic"),
        pytest.param("acosh(x) + atanh(x)", sympy.acosh(x) + sympy.atanh(x), id="inverse-hyperbolic"),
        pytest.param("sqrt(x) * exp(x)", sympy.sqrt(x) * sympy.exp(x), id="sqrt-exp"),
        pytest.param("a sin(b x)", a * sympy.sin(b * x), id="parameters"),
        pytest.param("|x - 1|", sympy.Abs(x - 1), id="bars"),
        pytest.param("log_2(x) + log_b x", sympy.log(x, 2) + sympy.log(x, b), id="logarithms-to-a-base"),
        pytest.param("log(x, 7)", sympy.log(x, 7), id="logarithm-with-the-base-second"),
        pytest.param("atan2(a, x)", sympy.atan2(a, x), id="atan2"),
        pytest.param("pow(x, a)", x**a, id="pow"),
        pytest.param("x!", sympy.factorial(x), id="factorial"),
        pytest.param("⅔ x", sympy.Rational(2, 3) * x, id="vulgar-fraction"),
    ],
)
def test_to_sympy_builds_the_same_formula(text, expected):
    """The same function, and sympy differentiates it the same way (an unevaluated log(x, 10) once came out as 1/x)."""
    actual = parse(text).to_sympy()
    assert sympy.simplify(actual - expected) == 0
    assert sympy.simplify(sympy.diff(actual, x) - sympy.diff(expected, x)) == 0


def test_to_sympy_uses_real_symbols():
    """Real symbols let sympy simplify |x|' to sign(x) instead of a complex-valued formula."""
    symbols = parse("a sin(b x)").to_sympy().free_symbols
    assert {symbol.name for symbol in symbols} == {"a", "b", "x"}
    assert all(symbol.is_real for symbol in symbols)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x^(1/3)", sympy.Abs(x) ** sympy.Rational(1, 3) * sympy.sign(x)),
        ("x^(2/3)", sympy.Abs(x) ** sympy.Rational(2, 3)),
        ("x^(-6/10)", sympy.sign(x) * sympy.Abs(x) ** sympy.Rational(-3, 5)),  # -3/5: an odd power, an odd root
        ("x^(1/2)", sympy.sqrt(x)),  # an even root: imaginary for x < 0, as sqrt
    ],
)
def test_a_typed_odd_root_is_the_real_root_in_sympy_too(text, expected):
    built = parse(text).to_sympy()
    for value in (-8, -0.5, 3):
        assert complex(built.subs(x, value).evalf(30)) == pytest.approx(complex(expected.subs(x, value).evalf(30)))


def test_cbrt_is_the_real_cube_root_in_sympy_too():
    expr = parse("cbrt(x)").to_sympy()
    assert expr.subs(x, -8) == -2
    assert expr.subs(x, 27) == 3


POWER_TOWER_FORMULAS = [
    "9^9^9^9",
    "-9^9^9^9",
    "2*9^9^9^9",
    "x*9^9^9^9",
    "sin(9^9^9^9)",
    "1/9^9^9^9",
    "9^9^9^9*9^9^9^9",
    "sqrt(9^9^9^9)",
    "9^9^9^9 + 1",
]


def test_to_sympy_of_a_power_tower_does_not_compute_it():
    """9^9^9^9 has about 10^(3.7·10^8) digits; building the sympy form of a formula with it must not compute it.

    Run in a subprocess so that a regression fails on the timeout instead of hanging the test session. The check
    is structural (`has`), since printing such an expression can itself make sympy compute the power.
    """
    code = (
        "import sympy\n"
        "from derivlib import parse\n"
        "with sympy.evaluate(False):\n"
        "    tower = sympy.Integer(9) ** sympy.Integer(9) ** sympy.Integer(9) ** sympy.Integer(9)\n"
        f"for text in {POWER_TOWER_FORMULAS!r}:\n"
        "    print(parse(text).to_sympy().has(tower))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * len(POWER_TOWER_FORMULAS)


# ---------------------------------------------------------------------------------------------------------------------
# What an Expression knows


@pytest.mark.parametrize(
    ("text", "parameters", "variables"),
    [
        pytest.param("2x^2 + a sin x", ("a",), ("x",), id="one-parameter"),
        pytest.param("b x + alpha + a", ("a", "alpha", "b"), ("x",), id="sorted"),
        pytest.param("a x + a", ("a",), ("x",), id="each-name-once"),
        pytest.param("e^x + pi", (), ("x",), id="constants-are-not-parameters"),
        pytest.param("2 pi/3", (), (), id="no-names"),
        pytest.param("θ", ("theta",), (), id="parameter-without-x"),
    ],
)
def test_parameters_and_variables(text, parameters, variables):
    expr = parse(text)
    assert expr.parameters == parameters
    assert expr.variables == variables


@pytest.mark.parametrize(
    ("text", "size"),
    [
        pytest.param("x", 1, id="leaf"),
        pytest.param("-x", 2, id="negation"),
        pytest.param("sin(x)", 2, id="call"),
        pytest.param("x^3 + sin(x)", 6, id="tutorial"),  # +, ^, x, 3, sin, x
        pytest.param("-x^2 + 3*sin(x)", 9, id="mixed"),  # +, -, ^, x, 2, *, 3, sin, x
    ],
)
def test_size_counts_every_node(text, size):
    assert parse(text).size == size


def test_tree_of_a_typed_formula():
    assert parse("-x^2 + a sin(pi x)").tree == Binary(
        "+",
        Unary("-", Binary("^", Variable("x"), Number(2.0))),
        Binary("*", Parameter("a"), Call("sin", Binary("*", Constant("pi"), Variable("x")))),
    )


def test_expressions_are_equal_when_their_trees_are():
    assert parse("x²") == parse("x^2")
    assert hash(parse("x²")) == hash(parse("x ** 2"))
    assert parse("x^2") != parse("x*x")


@pytest.mark.parametrize("text", ["x*sec(0)", "x*sec(pi)", "x*csc(pi/2)"])
def test_sympy_forms_of_sec_and_csc_of_numbers_can_be_differentiated(text):
    """sympy's own unevaluated sec(0) crashed its assumptions system; derivlib writes sec as 1/cos, as torch does."""
    x = sympy.Symbol("x", real=True)
    derivative = sympy.diff(parse(text).to_sympy(), x).doit()
    assert derivative.is_extended_real
    assert abs(float(derivative) - float(derivatives(text, [0.7], order=1)[1, 0])) < 1e-12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{x < 0: -x, x^2}", sympy.Piecewise((-x, x < 0), (x**2, True)), id="otherwise"),
        pytest.param("{0 < x <= 1: x}", sympy.Piecewise((x, (x > 0) & (x <= 1))), id="chain-without-otherwise"),
        pytest.param("{x >= a: 1, b}", sympy.Piecewise((1, x >= a), (b, True)), id="parameters"),
        pytest.param("{2 > 1: x, 0}", x, id="numbers-alone-are-decided"),
    ],
)
def test_to_sympy_of_a_piecewise_definition(text, expected):
    built = parse(text).to_sympy()
    for point in (-1.5, 0, 0.5, 1, 2):
        values = {x: point, a: 0.25, b: 3}
        assert built.subs(values) == expected.subs(values)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        pytest.param("|x|", 2, id="bars"),
        pytest.param("x!", 2, id="factorial"),
        pytest.param("½", 3, id="fraction"),
        pytest.param("log_b x", 5, id="logarithm-to-a-base"),
        pytest.param("{x < 0: -x, x}", 7, id="piecewise"),  # piecewise, comparison, x, 0, -, x, x
    ],
)
def test_size_counts_the_new_constructs(text, size):
    assert parse(text).size == size
