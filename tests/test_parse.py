"""The formula language as a table: each form people type, the explicit formula it means, and each mistake with the
message and the position it is reported at.

Accepted forms are compared with the parse of an explicit form (every operator written, every grouping in
parentheses), so a row reads as the rule it states; a few rows also spell out the tree.
"""

import string
import unicodedata

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from derivlib import Expression, ExpressionError, derivatives, functions, parse, parse_list
from derivlib.limits import MAX_TREE_DEPTH
from derivlib.parse import MAX_DEPTH, MAX_LENGTH, MAX_READING, SOME_FUNCTIONS, VULGAR_FRACTIONS
from derivlib.tree import GREEK_LETTERS, Binary, Call, Constant, Number, Parameter, Unary, Variable

FUNCTIONS = sorted(name for name, record in functions.FUNCTIONS.items() if record.arity == 1)  # from the records
TWO_ARGUMENTS = sorted(name for name, record in functions.FUNCTIONS.items() if record.arity == 2)
ALIASES = {alias: name for alias, name in functions.ALIASES.items() if name in FUNCTIONS}
# Functions whose name is also a Greek letter's (gamma): the function only when typed as a name before '('.
GREEK_NAMED = [name for name in FUNCTIONS if name in GREEK_LETTERS]
GREEK = [
    *("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"),
    *("nu", "xi", "omicron", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"),
]
GREEK_SYMBOLS = "αβγδεζηθικλμνξορστυφχψω"  # the same letters, without π (the constant)
LATIN_LOOK_ALIKES = "ικνου"  # refused: cοs(x) with a Greek omicron must not read as c*omicron*s*x


def short(value: object) -> str | None:
    """A readable test id for a long text (the default id for everything else)."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:12]}...({len(value)} characters)"
    return None


def error_of(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    return caught.value


# ---------------------------------------------------------------------------------------------------------------------
# Core tier: numbers, names, operators, precedence

NUMBERS = [
    ("2", 2.0),
    ("0.5", 0.5),
    (".5", 0.5),
    ("1.", 1.0),
    ("1e-3", 0.001),
    ("6.02E23", 6.02e23),
    ("2.5e+2", 250.0),
    ("007", 7.0),
]


@pytest.mark.parametrize(("text", "value"), NUMBERS)
def test_number_literal(text, value):
    assert parse(text).tree == Number(value)


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("x", Variable("x")),
        ("pi", Constant("pi")),
        ("e", Constant("e")),
        ("π", Constant("pi")),
        ("a", Parameter("a")),
        ("alpha", Parameter("alpha")),
    ],
)
def test_name(text, node):
    assert parse(text).tree == node


CORE = [
    ("1 + 2*3", "1 + (2*3)"),
    ("1 - 2 - 3", "(1 - 2) - 3"),
    ("8/4/2", "(8/4)/2"),
    ("8/4*2", "(8/4)*2"),
    ("2*3/4", "(2*3)/4"),
    ("x + 1 - x", "(x + 1) - x"),
    ("2^3^2", "2^(3^2)"),
    ("2**3**2", "2^(3^2)"),
    ("2**3", "2^3"),
    ("2^3*4", "(2^3)*4"),
    ("4*2^3", "4*(2^3)"),
    ("-x^2", "-(x^2)"),
    ("-2^2", "-(2^2)"),
    ("2^-x", "2^(-x)"),
    ("2^-x^2", "2^(-(x^2))"),
    ("-2^-x", "-(2^(-x))"),
    ("e^-x^2", "e^(-(x^2))"),
    ("-x*3", "(-x)*3"),
    ("-x + 1", "(-x) + 1"),
    ("+x", "x"),
    ("--x", "-(-x)"),
    ("-+-x", "-(-x)"),
    ("x - -1", "x - (-1)"),
    ("2*-x", "2*(-x)"),
    ("((x))", "x"),
    ("(x + 1)*2", "(x + 1)*2"),
    ("x/(x + 1)", "x/(x + 1)"),
    ("(x + 1)^2", "(x + 1)^2"),
    ("sin(x)^2", "(sin(x))^2"),
    ("-sin(x)", "-(sin(x))"),
    ("ln(x)", "log(x)"),
    ("e^x", "e^(x)"),
    ("2 * x", "2*x"),
]


@pytest.mark.parametrize(("text", "meaning"), CORE)
def test_core_form_means_the_explicit_form(text, meaning):
    assert parse(text) == parse(meaning)


def test_power_is_right_associative():
    assert parse("2^3^2").tree == Binary("^", Number(2.0), Binary("^", Number(3.0), Number(2.0)))


def test_power_binds_tighter_than_a_minus_on_its_left():
    assert parse("-x^2").tree == Unary("-", Binary("^", Variable("x"), Number(2.0)))


def test_power_takes_a_signed_exponent():
    assert parse("2^-x").tree == Binary("^", Number(2.0), Unary("-", Variable("x")))


def test_unary_plus_is_dropped():
    assert parse("+x").tree == Variable("x")


def test_e_to_the_x_is_the_constant_raised_to_x():
    assert parse("e^x").tree == Binary("^", Constant("e"), Variable("x"))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_takes_one_argument_in_parentheses(name):
    assert parse(f"{name}(x)").tree == Call(name, Variable("x"))


@pytest.mark.parametrize("name", [name for name in FUNCTIONS if name != "log"])  # log(x, b): the base second
def test_every_function_refuses_two_arguments(name):
    error = error_of(f"{name}(x, x)")
    assert error.message == f"{name} takes one argument (got 2)"
    assert error.position == len(name)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_refuses_empty_parentheses(name):
    error = error_of(f"{name}()")
    assert error.message == f"{name} takes one argument (got none)"
    assert error.position == len(name)


@pytest.mark.parametrize(("alias", "name"), ALIASES.items())
def test_other_spellings_of_functions(alias, name):
    assert parse(f"{alias}(x)").tree == Call(name, Variable("x"))


# ---------------------------------------------------------------------------------------------------------------------
# Argument lists: functions of two arguments take them in parentheses, separated by a comma


@pytest.mark.parametrize("name", TWO_ARGUMENTS)
def test_every_function_of_two_arguments_takes_them_in_parentheses(name):
    assert parse(f"{name}(x, 2x + 1)").tree == Call(name, (Variable("x"), parse("2x + 1").tree))
    assert str(parse(f"{name}(x,x^2)")) == f"{name}(x, x^2)"


@pytest.mark.parametrize(
    ("name", "arguments", "got"),
    [
        (name, arguments, got)
        for name in TWO_ARGUMENTS
        for arguments, got in [("x", "1"), ("x, x, x", "3"), ("", "none")]
        if not (got == "1" and functions.FUNCTIONS[name].defaults)  # root(x) is root(x, 2): tested below
    ],
)
def test_every_function_of_two_arguments_counts_them(name, arguments, got):
    error = error_of(f"{name}({arguments})")
    assert error.message == f"{name} takes two arguments (got {got})"
    assert error.position == len(name)


@pytest.mark.parametrize("name", TWO_ARGUMENTS)
@pytest.mark.parametrize("text", ["{} x", "{} x, 1", "{}", "2 {}^2 x"])
def test_every_function_of_two_arguments_needs_parentheses(name, text):
    text = text.format(name)
    arguments = ", ".join(functions.FUNCTIONS[name].arguments or ("x", "y"))
    error = error_of(text)
    assert error.message == f"{name} needs its arguments in parentheses, as in {name}({arguments})"
    assert error.position == min(text.index(name) + len(name) + 1, len(text)) if "^" not in text else len(text) - 1


ARGUMENT_LISTS = [
    # (accepted, its explicit meaning, a refused near-miss, the message, where it points)
    ("atan2(y, x)", "atan2(y, x)", "atan2(y)", "atan2 takes two arguments (got 1)", 5),
    (
        "atan2(1, x) + 1",
        "atan2(1, x) + 1",
        "atan2 y, x",
        "atan2 needs its arguments in parentheses, as in atan2(y, x)",
        6,
    ),
    ("min(a, b)", "min(a, b)", "min(a, b, c)", "min takes two arguments (got 3)", 3),
    ("max(x, -x)", "max(x, -x)", "max(x, )", "max takes two arguments: one is missing after the ','", 5),
    ("hypot(3, x)", "hypot(3, x)", "hypot(, x)", "an argument of hypot is missing before ','", 6),
    ("mod(x, 2)", "mod(x, 2)", "mod(x 2)", "missing operator before the number 2", 6),
    ("root(x, 3)", "root(x, 3)", "root(x, 3", "unclosed '(' of root: add a ')' to match it", 4),
    ("nthroot(x, 3)", "root(x, 3)", "nthroot(x; 3)", "unexpected character ';'", 9),
    ("pow(x, 2)", "x^2", "pow x", "pow needs its arguments in parentheses, as in pow(x, 2)", 4),
    ("pow(2, -x)", "2^(-x)", "pow(x)", "pow takes two arguments (got 1)", 3),
    ("2 pow(x + 1, 3)", "2*(x + 1)^3", "pow(x, 2, 3)", "pow takes two arguments (got 3)", 3),
    ("sin(x)", "sin(x)", "sin(x, x)", "sin takes one argument (got 2)", 3),
    ("sin(x)", "sin(x)", "sin(x, )", "sin takes one argument: remove the ','", 5),
    ("atan2(y, x)^2", "(atan2(y, x))^2", "atan2(y, x, )", "atan2 takes two arguments: remove the ','", 10),
]


@pytest.mark.parametrize(("accepted", "meaning", "rejected", "message", "position"), ARGUMENT_LISTS)
def test_argument_lists(accepted, meaning, rejected, message, position):
    assert parse(accepted) == parse(meaning)
    error = error_of(rejected)
    assert message in error.message
    assert error.position == position


def test_canonical_text_prints_an_argument_list():
    assert str(parse("atan2(y,x)")) == "atan2(y, x)"
    assert str(parse("pow(x,2)")) == "x^2"


# ---------------------------------------------------------------------------------------------------------------------
# Absolute-value bars, logarithms to a base, factorials, fractions: each beside a refused near-miss

NEW_FORMS = [
    # (accepted, its explicit meaning, a refused near-miss, the message, where it points)
    ("|x|", "abs(x)", "|x", "unclosed '|': add a '|' to match it", 0),
    ("|x - 1| + |x + 1|", "abs(x - 1) + abs(x + 1)", "|x - 1| + |x + 1", "unclosed '|'", 10),
    ("|sin x|", "abs(sin(x))", "|sin|", "sin needs an argument", 4),
    ("||x| - 1|", "abs(abs(x) - 1)", "||x| - 1", "unclosed '|'", 0),
    ("2|x|", "2*abs(x)", "2||", "empty bars: put something between | and |", 1),
    ("|x|^2", "abs(x)^2", "|x|^", "'^' needs something after it (at the end)", 3),
    ("|x|²", "abs(x)^2", "|x²|²|", "unclosed '|'", 5),
    ("|x| |y|", "abs(x)*abs(y)", "|x|y|z|", "ambiguous '|'", 2),
    ("|x|*y*|z|", "abs(x)*y*abs(z)", "|x| y |z|", "ambiguous '|'", 2),
    ("|x*|y|*z|", "abs(x*abs(y)*z)", "|x|y + z|w|", "ambiguous '|'", 2),
    ("|x| + y|z|", "abs(x) + y*abs(z)", "|x|y|", "unclosed '|'", 4),
    ("|x|y", "abs(x)*y", "x|", "unclosed '|'", 1),
    ("||x|*y|", "abs(abs(x)*y)", "(|x)|", "unclosed '|': add a '|' before ')' to match it", 1),
    ("sin(|x|)", "sin(abs(x))", "|(x|)", "unclosed '|': add a '|' before ')' to match it", 3),
    ("-|x|", "-abs(x)", "|-|", "'-' needs something after it", 1),
    ("|x|!", "factorial(abs(x))", "|x|!!", "double factorial", 4),
    ("log_2(x)", "log2(x)", "log_2", "log_2 needs an argument, for example log_2(x)", 5),
    ("log_10 x", "log10(x)", "log_10", "log_10 needs an argument, for example log_10(x)", 6),
    ("log_10(x)", "log10(x)", "log_sin(x)", "after log_ write the base alone", 4),
    ("log_b(x)", "log(x)/log(b)", "log_bx", "after log_ write the base alone", 4),
    ("log_(b + 1)(x)", "log(x)/log(b + 1)", "log_(b + 1(x)", "unclosed '('", 4),
    ("log_e x", "log(x)/log(e)", "ln_2(x)", "'_' is only for a logarithm's base, as in log_2(x)", 2),
    ("log_x(2)", "log(2)/log(x)", "log_2^2 x", "a power after log_2 is ambiguous", 5),
    ("log_3 x^2", "log(x^2)/log(3)", "log_3(x, 2)", "log_3 takes one argument (got 2)", 5),
    ("log₂ x", "log2(x)", "x₂", "subscript ₂ is only for a logarithm's base", 1),
    ("log₁₀(x)", "log10(x)", "log₁₀", "log₁₀ needs an argument", 5),
    ("log(x, 2)", "log2(x)", "log(x, 2, 3)", "log takes one or two arguments (got 3)", 3),
    ("log(x, 10)", "log10(x)", "ln(x, 2)", "ln takes one argument (got 2)", 2),
    ("log(x, b)", "log(x)/log(b)", "log()", "log takes one argument (got none)", 3),
    ("lg x", "log10(x)", "lg_2 x", "'_' is only for a logarithm's base", 2),
    ("x!", "factorial(x)", "x!!", "x!! (a double factorial) is not supported: write (x!)!", 2),
    ("3!", "factorial(3)", "!3", "'!' needs something before it", 0),
    ("(x + 1)!", "factorial(x + 1)", "x + !", "'+' needs something after it (before '!')", 2),
    ("2x!", "2*factorial(x)", "x²!", "a factorial cannot follow a superscript", 2),
    ("x!^2", "factorial(x)^2", "x != 1", "unexpected '!='", 2),
    ("x!²", "factorial(x)^2", "x!!²", "double factorial", 2),
    ("-x!", "-factorial(x)", "-!x", "'-' needs something after it (before '!')", 0),
    ("2^x!", "2^factorial(x)", "(x!)!!", "double factorial", 5),
    ("sin x!", "sin(factorial(x))", "sin !", "sin needs an argument", 4),
    ("(x!)!", "factorial(factorial(x))", "x!(", "the formula ends too early", 3),
    ("½x", "(1/2)*x", "2½", "missing operator before ½: write 2 + 1/2 for a mixed number", 1),
    ("⅓", "1/3", "x⅓", "missing operator before ⅓", 1),
    ("¾ x^2", "(3/4)*x^2", "x ¾", "missing operator before ¾", 2),
    ("x^⅔", "x^(2/3)", "1⁄2", "unexpected character '⁄'", 1),
    ("-⅛", "-(1/8)", "⅛ ⅛", "missing operator before ⅛", 2),
    ("gamma(x)", "gamma(x)", "gamma()", "gamma takes one argument (got none)", 5),
]


@pytest.mark.parametrize(("accepted", "meaning", "rejected", "message", "position"), NEW_FORMS)
def test_new_form_beside_its_refused_near_miss(accepted, meaning, rejected, message, position):
    assert parse(accepted) == parse(meaning)
    error = error_of(rejected)
    assert message in error.message
    assert error.position == position


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("|x|", Call("abs", Variable("x"))),
        ("2|x|", Binary("*", Number(2.0), Call("abs", Variable("x")))),
        ("x!", Call("factorial", Variable("x"))),
        ("2x!", Binary("*", Number(2.0), Call("factorial", Variable("x")))),
        ("x!^2", Binary("^", Call("factorial", Variable("x")), Number(2.0))),
        ("-x!", Unary("-", Call("factorial", Variable("x")))),
        ("⅓", Binary("/", Number(1.0), Number(3.0))),
        ("½x", Binary("*", Binary("/", Number(1.0), Number(2.0)), Variable("x"))),
        ("log_b x", Binary("/", Call("log", Variable("x")), Call("log", Parameter("b")))),
        ("log_2 x", Call("log2", Variable("x"))),
        ("pow(x, 3)", Binary("^", Variable("x"), Number(3.0))),
        ("atan2(y, x)", Call("atan2", (Parameter("y"), Variable("x")))),
    ],
)
def test_new_forms_build_the_expected_tree(text, tree):
    assert parse(text).tree == tree


@pytest.mark.parametrize(("symbol", "fraction"), VULGAR_FRACTIONS.items())
def test_every_vulgar_fraction_is_its_exact_quotient(symbol, fraction):
    numerator, denominator = fraction
    assert parse(symbol).tree == Binary("/", Number(float(numerator)), Number(float(denominator)))
    assert sympy.simplify(parse(symbol).to_sympy()) == sympy.Rational(numerator, denominator)
    assert parse(f"{symbol}x") == parse(f"({numerator}/{denominator})*x")


def test_the_vulgar_fractions_are_all_of_unicodes_single_character_ones():
    codes = [*range(0xBC, 0xBF), *range(0x2150, 0x215F)]
    assert sorted(VULGAR_FRACTIONS) == sorted(map(chr, codes))
    assert all(unicodedata.numeric(ch) == n / d for ch, (n, d) in VULGAR_FRACTIONS.items())


GAMMA = [
    # gamma( is the function; gamma elsewhere, and the symbol γ or Γ anywhere, is the parameter γ
    ("gamma(x)", Call("gamma", Variable("x"))),
    ("gamma (x + 1)", Call("gamma", parse("x + 1").tree)),
    ("Gamma(x)", Call("gamma", Variable("x"))),
    ("gamma x", Binary("*", Parameter("gamma"), Variable("x"))),
    ("gamma", Parameter("gamma")),
    ("2gamma", Binary("*", Number(2.0), Parameter("gamma"))),
    ("γ(x)", Binary("*", Parameter("gamma"), Variable("x"))),
    ("Γ(x)", Binary("*", Parameter("gamma"), Variable("x"))),
    ("γ x", Binary("*", Parameter("gamma"), Variable("x"))),
    ("gamma^2(x)", Binary("*", Binary("^", Parameter("gamma"), Number(2.0)), Variable("x"))),
    ("gamma(gamma)", Call("gamma", Parameter("gamma"))),
]


@pytest.mark.skipif("gamma" not in functions.FUNCTIONS, reason="no gamma function in the records")
@pytest.mark.parametrize(("text", "tree"), GAMMA)
def test_gamma_is_the_function_only_when_called_by_name(text, tree):
    expr = parse(text)
    assert expr.tree == tree
    assert parse(str(expr)) == expr


# Each new form computes and differentiates what it means: both methods against sympy's derivatives of the closed form.
sx, sy, sb = sympy.symbols("x y b", real=True)
COMPUTED = [
    ("|x - 1| + |x + 1|", sympy.Abs(sx - 1) + sympy.Abs(sx + 1), {}),
    ("||x| - 1|", sympy.Abs(sympy.Abs(sx) - 1), {}),
    ("2|sin x|", 2 * sympy.Abs(sympy.sin(sx)), {}),
    ("|x|^2", sx**2, {}),
    ("log_2(x)", sympy.log(sx, 2), {}),
    ("log_10 x", sympy.log(sx, 10), {}),
    ("log_b(x)", sympy.log(sx) / sympy.log(sb), {"b": 3.0}),
    ("log(x, 5)", sympy.log(sx, 5), {}),
    ("log_(x + 1)(7)", sympy.log(7) / sympy.log(sx + 1), {}),
    ("atan2(y, x)", sympy.atan2(sy, sx), {"y": 0.7}),
    ("atan2(x, 2)", sympy.atan2(sx, 2), {}),
    ("hypot(x, 3)", sympy.sqrt(sx**2 + 9), {}),
    ("min(x, 2 - x)", sympy.Min(sx, 2 - sx), {}),
    ("max(x^2, 1)", sympy.Max(sx**2, 1), {}),
    ("root(x, 3)", sympy.root(sx, 3), {}),
    ("pow(x, 3)", sx**3, {}),
    ("x!", sympy.gamma(sx + 1), {}),
    ("(x + 1)!", sympy.gamma(sx + 2), {}),
    ("2x!", 2 * sympy.gamma(sx + 1), {}),
    ("x!^2", sympy.gamma(sx + 1) ** 2, {}),
    ("-x!", -sympy.gamma(sx + 1), {}),
    ("3! x", 6 * sx, {}),
    ("½x + ⅓x^2", sx / 2 + sx**2 / 3, {}),
    ("x^⅔", sx ** sympy.Rational(2, 3), {}),
]
COMPUTED_POINTS = [0.3, 0.75, 1.6, 2.5]  # where every one is defined and smooth (no kink of abs, min, max)


@pytest.mark.parametrize("method", ["taylor", "autograd"])
@pytest.mark.parametrize(("text", "closed_form", "params"), COMPUTED, ids=[row[0] for row in COMPUTED])
def test_new_forms_compute_and_differentiate_what_they_mean(text, closed_form, params, method):
    closed_form = closed_form.subs({sympy.Symbol(k, real=True): v for k, v in params.items()})
    got = derivatives(text, COMPUTED_POINTS, order=3, params=params or None, method=method)
    expected = [
        [float(sympy.diff(closed_form, sx, k).subs(sx, point).evalf(30)) for point in COMPUTED_POINTS] for k in range(4)
    ]
    torch.testing.assert_close(got, torch.tensor(expected, dtype=torch.float64), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Friendly tier: what people type without thinking of a grammar

FRIENDLY = [
    # implicit multiplication
    ("2x", "2*x"),
    ("2 x", "2*x"),
    ("2 sin(x)", "2*sin(x)"),
    ("3(x+1)", "3*(x+1)"),
    ("(x+1)(x-1)", "(x+1)*(x-1)"),
    ("x(x+1)", "x*(x+1)"),
    ("x sin(x)", "x*sin(x)"),
    ("sin(x)cos(x)", "sin(x)*cos(x)"),
    ("2pi x", "(2*pi)*x"),
    ("2e", "2*e"),
    ("e x", "e*x"),
    ("2x^2", "2*(x^2)"),
    ("x/2x", "(x/2)*x"),
    ("-2x", "(-2)*x"),
    ("1 + 2x", "1 + (2*x)"),
    # functions without parentheses take the implicit product after them, up to a function or explicit operator
    ("sin x", "sin(x)"),
    ("ln x", "log(x)"),
    ("log10 x", "log10(x)"),
    ("sin 2x", "sin(2*x)"),
    ("sin 2 x", "sin(2*x)"),
    ("sin 2pi x", "sin((2*pi)*x)"),
    ("sin x cos x", "sin(x)*cos(x)"),
    ("sin x/2", "sin(x)/2"),
    ("sin x + 1", "sin(x) + 1"),
    ("sin x^2", "sin(x^2)"),
    ("sin -x", "sin(-x)"),
    ("-sin x", "-(sin(x))"),
    ("x sin x", "x*sin(x)"),
    ("2 sin x", "2*sin(x)"),
    ("sin sin x", "sin(sin(x))"),
    ("exp -x^2", "exp(-(x^2))"),
    # powers of functions, as in textbooks
    ("sin²x", "sin(x)^2"),
    ("sin^2(x)", "sin(x)^2"),
    ("sin^2 x", "sin(x)^2"),
    ("sin**2 x", "sin(x)^2"),
    ("cos³ x", "cos(x)^3"),
    ("sin²x cos x", "(sin(x)^2)*cos(x)"),
    # names are case-insensitive
    ("Sin(x)", "sin(x)"),
    ("SIN(X)", "sin(x)"),
    ("Ln X", "log(x)"),
    ("PI", "pi"),
    ("E^X", "e^x"),
    ("A", "a"),
    # unicode operators and symbols
    ("π", "pi"),
    ("2π", "2*pi"),
    ("2×x", "2*x"),
    ("2·x", "2*x"),
    ("2⋅x", "2*x"),
    ("x÷2", "x/2"),
    ("3−x", "3-x"),
    ("−x", "-x"),
    ("3–x", "3-x"),
    ("x²", "x^2"),
    ("x³", "x^3"),
    ("x¹⁰", "x^10"),
    ("x⁻¹", "x^(-1)"),
    ("x⁻²", "x^(-2)"),
    ("x⁺²", "x^2"),
    ("2x²", "2*(x^2)"),
    ("-x²", "-(x^2)"),
    ("(x+1)²", "(x+1)^2"),
    ("sin(x)²", "sin(x)^2"),
    ("π²", "pi^2"),
    ("√x", "sqrt(x)"),
    ("√(x+1)", "sqrt(x+1)"),
    ("2√x", "2*sqrt(x)"),
    ("√x + 1", "sqrt(x) + 1"),
    # whitespace people paste
    ("x\t+\n1", "x + 1"),
    ("x\u00a0+\u20091", "x + 1"),
    ("  x  ", "x"),
]


@pytest.mark.parametrize(("text", "meaning"), FRIENDLY)
def test_friendly_form_means_the_explicit_form(text, meaning):
    assert parse(text) == parse(meaning)


def test_implicit_product_after_a_function_stops_at_the_next_function():
    assert parse("sin x cos x").tree == Binary("*", Call("sin", Variable("x")), Call("cos", Variable("x")))


def test_function_power_raises_the_call_not_the_argument():
    assert parse("sin²x").tree == Binary("^", Call("sin", Variable("x")), Number(2.0))


@pytest.mark.parametrize("name", [name for name in FUNCTIONS if name not in GREEK_NAMED])  # gamma x is γ·x
def test_every_function_takes_an_argument_without_parentheses(name):
    assert parse(f"{name} x") == parse(f"{name}(x)")


# ---------------------------------------------------------------------------------------------------------------------
# Parameters

PARAMETERS = [
    ("a*sin(b*x)", ("a", "b")),
    ("a x + b", ("a", "b")),
    ("k x + k", ("k",)),
    ("A x", ("a",)),
    ("2 pi a x", ("a",)),
    ("x", ()),
    ("e^x", ()),
    ("pi", ()),
    ("π x", ()),
    ("omega t", ("omega", "t")),
    ("ω t", ("omega", "t")),
    ("Ω", ("omega",)),
    ("sin(theta x) + phi", ("phi", "theta")),
    ("alpha beta", ("alpha", "beta")),
    ("αβ", ("alpha", "beta")),
    ("lambda x", ("lambda",)),
    ("y", ("y",)),
]


@pytest.mark.parametrize(("text", "parameters"), PARAMETERS)
def test_parameters_are_listed_sorted(text, parameters):
    assert parse(text).parameters == parameters


@pytest.mark.parametrize("letter", sorted(set(string.ascii_lowercase) - {"x", "e"}))
def test_single_letters_other_than_x_and_e_are_parameters(letter):
    expr = parse(f"{letter} x")
    assert expr.tree == Binary("*", Parameter(letter), Variable("x"))
    assert expr.parameters == (letter,)


@pytest.mark.parametrize("name", GREEK)
def test_greek_letter_names_are_parameters(name):
    assert parse(name).tree == Parameter(name)


@pytest.mark.parametrize(
    ("symbol", "name"),
    [(symbol, name) for symbol, name in zip(GREEK_SYMBOLS, GREEK, strict=True) if symbol not in LATIN_LOOK_ALIKES],
)
def test_greek_symbols_are_their_names(symbol, name):
    assert parse(symbol).tree == Parameter(name)
    assert str(parse(symbol)) == name


# ---------------------------------------------------------------------------------------------------------------------
# Canonical text

CANONICAL = [
    ("2x^2 + a sin x", "2*x^2 + a*sin(x)"),
    ("-x^2", "-x^2"),
    ("2^-x", "2^-x"),
    ("2^3^2", "2^3^2"),
    ("(2^3)^2", "(2^3)^2"),
    ("(-x)^2", "(-x)^2"),
    ("2*-x", "2*(-x)"),
    ("x - (1 - x)", "x - (1 - x)"),
    ("(x + 1)(x - 1)", "(x + 1)*(x - 1)"),
    ("x/(2x)", "x/(2*x)"),
    ("ln x", "log(x)"),
    ("√x", "sqrt(x)"),
    ("sin²x", "sin(x)^2"),
    ("SIN(X)", "sin(x)"),
    ("x⁻¹", "x^-1"),
    ("1e-3", "0.001"),
    ("6.02E23", "6.02e+23"),
    ("2.0", "2"),
    ("α", "alpha"),
    ("π", "pi"),
    ("|x|", "abs(x)"),
    ("2|x - 1|", "2*abs(x - 1)"),
    ("log_2 x", "log2(x)"),
    ("log_b x", "log(x)/log(b)"),
    ("log(x, 3)", "log(x)/log(3)"),
    ("atan2(y,x)", "atan2(y, x)"),
    ("pow(x, 1/2)", "x^(1/2)"),
    ("x!", "x!"),
    ("3!", "3!"),
    ("(x + 1)!", "(x + 1)!"),
    ("(-x)!", "(-x)!"),
    ("(x^2)!", "(x^2)!"),
    ("(x!)!", "(x!)!"),
    ("2x!", "2*x!"),
    ("x!^2", "x!^2"),
    ("-x!", "-x!"),
    ("2^x!", "2^x!"),
    ("sin(x)!", "sin(x)!"),
    ("½x", "1/2*x"),
    ("x^½", "x^(1/2)"),
    ("{x < 0: -x, x^2}", "{x < 0: -x, x^2}"),
    ("{0<x<=1:x,x≥1:1}", "{0 < x <= 1: x, x >= 1: 1}"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_canonical_text(text, canonical):
    assert str(parse(text)) == canonical


ALL_ACCEPTED = sorted(
    {
        *(text for text, _ in NUMBERS),
        *(text for text, _ in CORE),
        *(text for text, _ in FRIENDLY),
        *(text for text, _ in PARAMETERS),
        *(text for text, _ in CANONICAL),
        *(f"{name}(x)" for name in FUNCTIONS),
        *(f"{name} x" for name in [*FUNCTIONS, *ALIASES]),
        *(f"{name}(x, 2)" for name in TWO_ARGUMENTS),
        *(row[0] for row in ARGUMENT_LISTS),
        *(row[0] for row in NEW_FORMS),
        *(text for text, _ in GAMMA),
        *GREEK,
        *(symbol for symbol in GREEK_SYMBOLS if symbol not in LATIN_LOOK_ALIKES),
    }
)


@pytest.mark.parametrize("text", ALL_ACCEPTED)
def test_canonical_text_parses_back_to_the_same_formula(text):
    expr = parse(text)
    assert parse(str(expr)) == expr


@pytest.mark.parametrize("text", ["x^2 + 1", "2 sin x", "  x  "])
def test_expression_keeps_the_text_it_came_from(text):
    assert parse(text).source == text


# ---------------------------------------------------------------------------------------------------------------------
# Near misses: an accepted form beside the mistake people make when aiming for it

NEAR_MISSES = [
    # (accepted, rejected near-miss, what the message says, where it points)
    ("sin(x)", "sinx", "did you mean 'sin(x)'?", 0),
    ("sin x", "sinx", "did you mean 'sin(x)'?", 0),
    ("sin(2x)", "sin2x", "did you mean 'sin(2*x)'?", 0),
    ("x sin x", "xsinx", "did you mean 'x*sin(x)'?", 0),
    ("x sin(x)", "xsin(x)", "did you mean 'x*sin(x)'?", 0),
    ("sqrt(x)", "sqr(x)", "did you mean 'sqrt'?", 0),
    ("exp(x)", "expx", "did you mean 'exp(x)'?", 0),
    ("log10(x)", "log10x", "did you mean 'log10(x)'?", 0),
    ("sin(pi)", "sinpi", "did you mean 'sin(pi)'?", 0),
    ("a x", "ax", "did you mean 'a*x'?", 0),
    ("2 pi x", "2 pix", "unknown function or name 'pix'", 2),
    ("x e", "xe", "did you mean 'x*e'?", 0),
    ("x^2", "x2", "write x^2 for a power or 2x for a product", 0),
    ("2x", "x 2", "missing operator before the number 2", 2),
    ("2*3", "2 3", "missing operator before the number 3", 2),
    ("sin(x)", "sinn(x)", "did you mean 'sin'?", 0),
    ("sin(x)", "sin(x, x)", "sin takes one argument", 3),
    ("sin^2 x", "sin^-1 x", "ambiguous", 4),
    ("sin²x", "sin⁻¹x", "ambiguous", 3),
    ("asin(x)", "sin^-1(x)", "write asin(x) for the inverse function", 4),
    ("|x|", "|x", "unclosed '|'", 0),
    ("x^2", "y = x^2", "without '='", 2),
    ("(x + 1)", "[x + 1]", "use ( and ) for grouping", 0),
    ("(x+1)(x-1)", "(x+1)(x-1", "unclosed '('", 5),
    ("x^2", "x^", "'^' needs something after it (at the end)", 1),
    ("x**2", "x**", "needs something after it (at the end)", 1),
    ("x⁻¹", "x⁻", "superscript digits after it", 2),
    ("x", "х", "unexpected character 'х' (U+0445)", 0),
    ("0.5", "0,5", "unexpected ','", 1),
    ("x*y", "x.y", "unexpected character '.'", 1),
    ("x!", "x!!", "double factorial", 2),
    ("{x < 0: -x, x}", "{x}", "use ( and ) for grouping", 0),
]


@pytest.mark.parametrize(("accepted", "rejected", "message", "position"), NEAR_MISSES)
def test_accepted_form_beside_its_rejected_near_miss(accepted, rejected, message, position):
    assert isinstance(parse(accepted), Expression)
    error = error_of(rejected)
    assert message in error.message
    assert error.position == position


# ---------------------------------------------------------------------------------------------------------------------
# Errors: the message names the mistake, the position points at it

ERRORS = [
    ("", "empty formula", 0),
    ("   ", "empty formula", 0),
    ("\t\n", "empty formula", 0),
    ("x" * (MAX_LENGTH + 1), f"formula too long: {MAX_LENGTH + 1} characters (at most {MAX_LENGTH})", MAX_LENGTH),
    ("x + $", "unexpected character '$' (U+0024)", 4),
    ("2 @ x", "unexpected character '@'", 2),
    ("sinn(x)", "unknown function or name 'sinn' — did you mean 'sin'? Or 'sinh'", 0),
    ("1 + sinn(x)", "unknown function or name 'sinn' — did you mean 'sin'?", 4),
    ("cosine(x)", "unknown function or name 'cosine' — did you mean 'cos'?", 0),
    ("zork(x)", "unknown function or name 'zork' — not a function of the language", 0),
    ("sin(x, x)", "sin takes one argument (got 2)", 3),
    ("1 + exp(x, 1, 2)", "exp takes one argument (got 3)", 7),
    ("sin()", "sin takes one argument (got none)", 3),
    ("ln()", "ln takes one argument (got none)", 2),
    ("(x + 1", "unclosed '(': add a ')' to match it", 0),
    ("2*(x + (1)", "unclosed '('", 2),
    ("sin(x + 1", "unclosed '(' of sin", 3),
    ("(x + 1))", "unmatched ')': there is no '(' before it", 7),
    (")x(", "unmatched ')'", 0),
    ("x +", "'+' needs something after it (at the end)", 2),
    ("x -", "'-' needs something after it (at the end)", 2),
    ("x *", "'*' needs something after it (at the end)", 2),
    ("x /", "'/' needs something after it (at the end)", 2),
    ("x + * 2", "'+' needs something after it (before '*')", 2),
    ("(x - )", "'-' needs something after it (before ')')", 3),
    ("* x", "'*' needs something before it", 0),
    ("/ x", "'/' needs something before it", 0),
    ("^ x", "'^' needs something before it", 0),
    ("+", "'+' needs something after it (at the end)", 0),
    ("-", "'-' needs something after it (at the end)", 0),
    ("1e999", "number too large: 1e999", 0),
    ("x + 1e999", "number too large", 4),
    ("y = x^2", "unexpected '=': write only the formula's right-hand side, without '='", 2),
    ("|x", "unclosed '|': add a '|' to match it", 0),
    ("sin^-1 x", "ambiguous: write asin(x) for the inverse function or 1/sin(x) for the reciprocal", 4),
    ("cos^-1(x)", "write acos(x) for the inverse function", 4),
    ("sin⁻¹ x", "write asin(x) for the inverse function", 3),
    ("sec^-1 x", "ambiguous: write asec(x) for the inverse function or 1/sec(x) for the reciprocal", 4),
    ("sin^x", "after sin^ only a positive whole number can follow", 4),
    ("sin", "sin needs an argument, for example sin(x)", 3),
    ("x + ln", "ln needs an argument, for example ln(x)", 6),
    ("sin * x", "sin needs an argument", 4),
    ("sin^2", "sin needs an argument", 5),
    ("√", "√ needs an argument, for example √(x)", 1),
    ("()", "empty parentheses", 0),
    ("2 + ( )", "empty parentheses", 4),
    ("x, 1", "unexpected ',': only a function call's parentheses can hold a list", 1),
    ("(x, 1)", "unexpected ','", 2),
    ("2 3", "missing operator before the number 3", 2),
    ("x⁻", "a superscript sign needs superscript digits after it", 2),
    ("²x", "superscript ² needs something before it", 0),
    ("x!!", "x!! (a double factorial) is not supported", 2),
    ("f'(x)", "type the function itself, not f'", 1),
    ("{x}", "braces hold a piecewise definition, as in {x < 0: -x, x^2}: use ( and ) for grouping", 0),
    ("x < 1", "a comparison can only be the condition of a piecewise branch", 2),
    ("x ≥ 1", "a comparison can only be the condition of a piecewise branch", 2),
    ("x : 1", "':' can only follow a condition in braces", 2),
    ("x}", "unmatched '}': there is no '{' before it", 1),
    ("x_2", "'_' is only for a logarithm's base", 1),
    ("\\sqrt{x}", "LaTeX is not read", 0),
    ("x ≠ 1", "unexpected '≠': a condition compares with <, <=, > or >=", 2),
    ("sin(", "the formula ends too early", 4),
    # Found by review: each once slipped through or said the wrong thing.
    ("x" + "⁹" * 400, "exponent too large", 1),
    ("x^৪", "unexpected character '৪'", 2),
    ("２x^৪", "unexpected character '৪'", 3),  # a fullwidth digit is a digit (Bengali four is not)
    ("sin(x, )", "sin takes one argument: remove the ','", 5),
    ("x**", "'**' needs something after it (at the end)", 1),
    ("** x", "'**' needs something before it", 0),
    ("x²^2", "a power cannot follow a superscript", 2),
    ("sin⁻¹x", "sin⁻¹ is ambiguous", 3),
    ("sin^1.5 x", "only a positive whole number", 4),
    ("xpi", "did you mean 'x*pi'?", 0),
    ("pix", "did you mean 'pi*x'?", 0),
    ("alphax", "did you mean 'alpha*x'?", 0),
    ("ex", "did you mean 'e*x'?", 0),
]


@pytest.mark.parametrize(("text", "message", "position"), ERRORS, ids=short)
def test_error_message_and_position(text, message, position):
    error = error_of(text)
    assert message in error.message
    assert error.position == position
    assert error.source == text


def test_nesting_up_to_the_limit_is_accepted():
    depth = MAX_DEPTH
    assert parse("(" * depth + "x" + ")" * depth) == parse("x")
    assert parse("-" * depth + "x").tree is not None


@pytest.mark.parametrize("symbol", LATIN_LOOK_ALIKES)
def test_greek_letters_that_look_latin_are_refused(symbol):
    error = error_of(f"c{symbol}s(x)")
    assert "unexpected character" in error.message
    assert error.position == 1


@pytest.mark.parametrize(
    "text",
    [
        "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "(" * (2 * MAX_DEPTH) + "x" + ")" * (2 * MAX_DEPTH),
        "(" * (MAX_DEPTH + 1) + "x",
    ],
    ids=short,
)
def test_too_deep_nesting_points_at_the_first_parenthesis_past_the_limit(text):
    error = error_of(text)
    assert f"nested too deeply (more than {MAX_DEPTH} levels)" in error.message
    assert error.position == MAX_DEPTH


@pytest.mark.parametrize(
    "text",
    [
        "-" * (MAX_DEPTH + 1) + "x",
        "x^" * (MAX_DEPTH + 1) + "x",
        "√" * (MAX_DEPTH + 1) + "x",
        "sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
        "sin " * (MAX_DEPTH + 1) + "x",
    ],
    ids=short,
)
def test_signs_exponents_and_calls_count_towards_the_nesting_limit(text):
    assert "nested too deeply" in error_of(text).message


def test_text_of_exactly_the_maximum_length_is_accepted():
    text = "x" + " " * (MAX_LENGTH - 1)
    assert parse(text) == parse("x")


LONG_SUM = " + ".join(f"(x - {k / 10})^2 (y - {k})^2" for k in range(120))  # 3 000 characters, 1 200 parts


def test_a_caller_lifts_the_length_and_size_limits_for_one_call():
    """A program that builds a formula from its data (a least-squares sum) is not held to the page's limits."""
    assert "formula too long" in error_of(LONG_SUM).message
    expression = parse(LONG_SUM, variables=("x", "y"), max_length=None, max_nodes=None)
    assert expression.variables == ("x", "y")
    assert "formula too long" in error_of(LONG_SUM).message  # the next call keeps the limits
    with pytest.raises(ExpressionError, match="formula too large: more than 1000 parts"):
        parse(LONG_SUM, variables=("x", "y"), max_length=None, max_nodes=1000)
    with pytest.raises(ExpressionError, match="formula too long: 3"):
        parse(LONG_SUM, max_length=len(LONG_SUM) - 1, max_nodes=None)


def test_a_lifted_formula_is_still_refused_deeper_than_the_stack_allows():
    text = " + ".join(["x"] * (MAX_TREE_DEPTH + 1))
    with pytest.raises(ExpressionError) as caught:
        parse(text, max_length=None, max_nodes=None)
    assert caught.value.message.startswith(f"formula too deep: {MAX_TREE_DEPTH + 1} levels")
    assert "group a long sum's terms in parentheses" in caught.value.message
    half = (MAX_TREE_DEPTH + 1) // 2 + 1
    grouped = f"({' + '.join(['x'] * half)}) + ({' + '.join(['x'] * half)})"  # the same sum, half as deep
    assert parse(grouped, max_length=None, max_nodes=None).variables == ("x",)


SHORT_ONE_LINE_ERRORS = [row for row in ERRORS if row[0].strip() and row[0].isprintable() and len(row[0]) < 40]


@pytest.mark.parametrize(("text", "message", "position"), SHORT_ONE_LINE_ERRORS)
def test_str_of_an_error_shows_the_text_and_a_caret_under_the_position(text, message, position):
    lines = str(error_of(text)).split("\n")
    assert message in lines[0]
    assert lines[1] == "  " + text
    assert lines[2] == "  " + " " * position + "^"


@pytest.mark.parametrize("text", ["", " ", "   ", "\t\n", "\u00a0\u2009"])
def test_str_of_an_empty_formula_is_the_message_alone(text):
    """Blank text has nothing for a caret to point at: no empty line, no lone '^'."""
    error = error_of(text)
    assert str(error) == "empty formula: type one, for example x^3 + sin(x)"
    assert (error.position, error.source) == (0, text)


def test_non_text_is_a_type_error():
    """Only text is a formula; other types are a programming mistake, not a typing one."""
    with pytest.raises(TypeError, match="a formula is text"):
        parse(2)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------------
# Unknown names: a name followed by '(' was meant as a function; a run-together name is read as the names in it

NOT_A_FUNCTION = "not a function of the language (the functions include sin, cos, tan, exp, log, sqrt, abs, …)"
# (The suggestions below are the nearest names among the records; rows avoid names near functions that may be added.)

UNKNOWN_CALLS = [
    ("zork(x)", f"unknown function or name 'zork' — {NOT_A_FUNCTION}", 0),
    ("2 + Zork(x)", f"unknown function or name 'zork' — {NOT_A_FUNCTION}", 4),
    ("sin(x) + xyz(x^2)", f"unknown function or name 'xyz' — {NOT_A_FUNCTION}", 9),
    ("bk(x + 1)", f"unknown function or name 'bk' — {NOT_A_FUNCTION}", 0),
    ("sqr(x)", "unknown function or name 'sqr' — did you mean 'sqrt'?", 0),
    ("abc(x)", "unknown function or name 'abc' — did you mean 'abs'?", 0),
    ("cosine(x)", "unknown function or name 'cosine' — did you mean 'cos'?", 0),
    ("sinn(x)", "unknown function or name 'sinn' — did you mean 'sin'? Or 'sinh'", 0),
    ("lgg(x)", "unknown function or name 'lgg' — did you mean 'lg'? Or 'log'", 0),
    ("arctg(x)", "unknown function or name 'arctg' — did you mean 'arctan'? Or ", 0),
    ("pwo(x, 2)", "unknown function or name 'pwo' — did you mean 'pow'?", 0),
    # no reading of xsin when its argument is itself wrong (or never closed): the nearest functions instead
    ("xsin(zork)", "unknown function or name 'xsin' — did you mean 'sin'? Or 'sinh'", 0),
    ("xsin(x", "unknown function or name 'xsin' — did you mean 'sin'? Or 'sinh'", 0),
]


@pytest.mark.parametrize(("text", "message", "position"), UNKNOWN_CALLS)
def test_unknown_name_before_a_parenthesis_is_taken_for_a_function(text, message, position):
    """(The message is checked up to the suggestions that depend on which functions there are.)"""
    error = error_of(text)
    assert error.message.startswith(message)
    assert error.position == position


@pytest.mark.parametrize(("text", "position"), [("qzv(x)", 0), ("abc(x)", 0), ("xyz(2)", 0), ("1 + pqr(x)", 4)])
def test_unknown_name_before_a_parenthesis_is_never_split_into_letters(text, position):
    """f*o*o(x) is no help to someone who meant a function; without '(' the short name still gets that hint."""
    error = error_of(text)
    assert "*" not in error.message
    assert error.position == position
    assert "Write products with * or spaces" in error_of(text.split("(")[0]).message


def test_the_functions_named_for_an_unknown_call_are_functions():
    assert set(SOME_FUNCTIONS) <= set(FUNCTIONS)


READINGS = [
    # (typed, the reading suggested, the same reading with spaces, where the error points)
    ("xsinx", "x*sin(x)", "x sin x", 0),
    ("xsin(x)", "x*sin(x)", "x sin(x)", 0),
    ("xsin(x + 1)", "x*sin(x + 1)", "x sin(x + 1)", 0),
    ("xcosx", "x*cos(x)", "x cos x", 0),
    ("xexpx", "x*exp(x)", "x exp x", 0),
    ("xlnx", "x*log(x)", "x ln x", 0),
    ("1 + Xsinx", "x*sin(x)", "x sin x", 4),
    ("sinxcosx", "sin(x)*cos(x)", "sin x cos x", 0),
    ("sinsinx", "sin(sin(x))", "sin sin x", 0),
    ("sinx", "sin(x)", "sin x", 0),
    ("sinhx", "sinh(x)", "sinh x", 0),  # the fewest parts: sinh x, not sin h x
    ("asinx", "asin(x)", "asin x", 0),
    ("sin2x", "sin(2*x)", "sin 2x", 0),
    ("log10x", "log10(x)", "log10 x", 0),
    ("sinxpi", "sin(x*pi)", "sin x pi", 0),  # as with spaces: a function takes the product after it
    ("xpi", "x*pi", "x pi", 0),
    ("pix", "pi*x", "pi x", 0),
    ("alphax", "alpha*x", "alpha x", 0),
]


@pytest.mark.parametrize(("text", "reading", "spaced", "position"), READINGS)
def test_run_together_names_are_read_as_the_names_in_them(text, reading, spaced, position):
    error = error_of(text)
    assert f" — did you mean '{reading}'?" in error.message
    assert error.position == position
    assert parse(reading) == parse(spaced)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x2", "unknown function or name 'x2' — write x^2 for a power or 2x for a product"),
        ("xsin", "unknown function or name 'xsin' — did you mean 'sin'?"),  # x sin has no argument for sin
        ("x" * (MAX_READING + 1), f"unknown function or name '{'x' * (MAX_READING + 1)}'"),
    ],
    ids=short,
)
def test_names_without_a_reading_get_the_other_hints(text, message):
    error = error_of(text)
    assert error.message == message
    assert error.position == 0


def test_a_reading_is_offered_up_to_the_limit():
    assert f"did you mean '{'*'.join('x' * MAX_READING)}'?" in error_of("x" * MAX_READING).message


# ---------------------------------------------------------------------------------------------------------------------
# Lists of formulas


def test_parse_list_splits_on_commas():
    assert parse_list("1, pi, 5") == [parse("1"), parse("pi"), parse("5")]


def test_parse_list_does_not_split_inside_parentheses():
    assert parse_list("sin(x + 1), 2pi/3") == [parse("sin(x + 1)"), parse("2*pi/3")]


def test_parse_list_of_one_item():
    assert parse_list("x^2") == [parse("x^2")]


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("1, sinn(x), 5", "did you mean 'sin'?", 3),
        ("1, pi, 2 3", "missing operator before the number 3", 9),
        ("1, (x, 5", "unexpected ','", 5),
        ("1, sin(x, x), 5", "sin takes one argument (got 2)", 6),
        ("1, 2 +", "'+' needs something after it (at the end)", 5),
        ("1,,5", "empty item", 2),
        ("1, 2,", "empty item", 5),
        ("1, 1e999", "number too large", 3),
        ("1, " + "x" * MAX_LENGTH, "too long", MAX_LENGTH),
    ],
    ids=short,
)
def test_parse_list_error_points_into_the_whole_text(text, message, position):
    with pytest.raises(ExpressionError) as caught:
        parse_list(text)
    assert message in caught.value.message
    assert caught.value.position == position
    assert caught.value.source == text


@pytest.mark.parametrize("variables", [("x",), ()], ids=["formulas", "constants"])  # () as for derivlib.constants
@pytest.mark.parametrize("text", ["", " ", "\t\n"])
def test_empty_list_is_the_message_alone(text, variables):
    with pytest.raises(ExpressionError) as caught:
        parse_list(text, variables)
    assert str(caught.value) == "empty list: write one or more values separated by commas"
    assert caught.value.position == 0


@pytest.mark.parametrize("variables", [("x",), ()], ids=["formulas", "constants"])
@pytest.mark.parametrize(("text", "position"), [(" , ", 0), ("1, ,2", 2), ("1,", 2)])
def test_empty_item_in_a_list_is_shown_with_a_caret(text, position, variables):
    """The list is not blank, so the caret has commas to point between."""
    with pytest.raises(ExpressionError) as caught:
        parse_list(text, variables)
    assert str(caught.value).split("\n") == [
        "empty item: write a value between the commas",
        "  " + text,
        "  " + " " * position + "^",
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Properties: any text is a formula or an ExpressionError that points into it

TOKENS = [
    *("x", "y", "a", "e", "pi", "π", "α", "omega", "2", "0.5", ".5", "1e-3", "6.02E23", "1e999", "10"),
    *("sin", "cos", "ln", "sqrt", "√", "log10", "abs", "Sin", "arcsin", "sigmoid", "sinx", "ax", "sinn"),
    *("+", "-", "*", "/", "^", "**", "(", ")", ",", "×", "·", "−", "÷", "²", "³", "⁻", "¹"),
    *(" ", "\t", "\n", "\u00a0", "=", "|", "!", "'", "[", ".", "_", ";", "х", "ｘ", "\u200b", "__import__"),
    # the forms of bars, logarithms to a base, argument lists, factorials, fractions and piecewise definitions
    *("|", "|", "!", "{", "}", ":", "<", "<=", "≤", ">", ">=", "log_", "log", "₂", "₁₀", "½", "⅓", "atan2", "pow"),
    *("min", "gamma", "γ", "{x < 0:", "|x|", ", ", "!=", "x!"),
]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=50).map("".join)


def parse_or_error(text: str) -> Expression | None:
    try:
        return parse(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)
        assert error.source == text
        return None


@settings(derandomize=True, deadline=None, max_examples=400)
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_expression_error_inside_it(text):
    parse_or_error(text)


@settings(derandomize=True, deadline=None, max_examples=800)
@given(token_soup)
def test_any_mix_of_grammar_tokens_parses_or_raises_expression_error_inside_it(text):
    """When it parses, its canonical text parses back to the same formula."""
    expr = parse_or_error(text)
    if expr is not None:
        assert parse(str(expr)) == expr


@settings(derandomize=True, deadline=None, max_examples=300)
@given(st.lists(token_soup, max_size=4).map(", ".join))
def test_any_list_parses_or_raises_expression_error_inside_it(text):
    try:
        parse_list(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)


def test_a_trailing_argument_with_a_default_may_be_left_out():
    """root(x) is the square root, as math.js's nthRoot(x); the record says so (`defaults`)."""
    assert parse("nthRoot(6x)") == parse("root(6x, 2)")
    assert error_of("root()").message == "root takes two arguments (got none)"


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [
        ("ｓｉｎ（ｘ）", "sin(x)"),  # as Chinese and Japanese input methods type it
        ("２ｘ＾３　＋　ｃｏｓ ｘ", "2*x^3 + cos(x)"),  # with the input method's own space (U+3000)
        ("ｅ＾ｘ／ｘ", "e^x/x"),
        ("x² + ｘ", "x^2 + x"),  # a superscript is still an exponent: only the fullwidth block is read as ASCII
    ],
)
def test_fullwidth_ascii_is_read_as_the_ascii_it_stands_for(typed, meaning):
    assert parse(typed) == parse(meaning)


def test_a_fullwidth_mistake_is_reported_where_it_was_typed():
    error = error_of("ｓｉｎ（ｘ）＋＋＊")
    assert (error.source, error.position) == ("ｓｉｎ（ｘ）＋＋＊", 7)  # the second ＋, before ＊


@pytest.mark.parametrize(("text", "position"), [("nan", 0), ("x + inf", 4), ("NaN*x", 0), ("1/infinity", 2)])
def test_nan_and_inf_are_not_numbers_a_formula_has(text, position):
    error = error_of(text)
    assert error.position == position
    assert "no constant for infinity or not-a-number" in error.message and "did you mean" not in error.message
