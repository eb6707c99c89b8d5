"""A catalogue of refused inputs, one row per attack, named for the attack.

Every row must be refused with an ExpressionError that points into the text, well under a second, and must do
nothing else. Each code injection is a working payload: run as Python (or by a shell, or a template engine), it
would create a file in the test's tmp_path; after the parse attempt that file must not exist.
"""

import functools
import gc
import re
import time
import tokenize
from pathlib import Path

import app_driver
import pytest
import torch
from streamlit.testing.v1 import AppTest

import derivlib
from derivlib import Expression, ExpressionError, parse, parse_list
from derivlib.parse import MAX_LENGTH
from derivlib.tree import Binary, Number, Variable


def short(value: object) -> str | None:
    """A readable test id for a long text (the default id for everything else)."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:12]}...({len(value)} characters)"
    return None


PATH = "PWNED_PATH"  # replaced by str(tmp_path / "pwned") in each test
TIME_LIMIT = 0.5  # seconds for one parse, refused or not: generous, the parser takes milliseconds

# Python that would create PATH if it were evaluated or executed, as a naive evaluator would (x bound to a number,
# math's functions in scope).
PYTHON_INJECTIONS = [
    pytest.param(f"__import__('os').system('touch {PATH}')", id="dunder-import-os-system"),
    pytest.param(f"__import__('pathlib').Path('{PATH}').touch()", id="dunder-import-pathlib"),
    pytest.param(f"getattr(__import__('os'), 'system')('touch {PATH}')", id="getattr-system"),
    pytest.param(
        "[c for c in x.__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
        f".__init__.__globals__['system']('touch {PATH}')",
        id="attribute-x-dunder-class-to-os-system",
    ),
    pytest.param(
        "[c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == '_wrap_close'][0]"
        f".__init__.__globals__['system']('touch {PATH}')",
        id="attribute-tuple-dunder-bases-to-os-system",
    ),
    pytest.param(f"(lambda: open('{PATH}', 'w'))()", id="lambda"),
    pytest.param(f"import os; os.system('touch {PATH}')", id="import-statement"),
    pytest.param(f"from os import system; system('touch {PATH}')", id="from-import-statement"),
    pytest.param(f"open('{PATH}', 'w')", id="open-call-single-quotes"),
    pytest.param(f'open("{PATH}", "w")', id="open-call-double-quotes"),
    pytest.param(f"""f"{{open('{PATH}', 'w')}}" """, id="f-string"),
    pytest.param(f"x; open('{PATH}', 'w')", id="semicolon"),
    pytest.param(f"x\nopen('{PATH}', 'w')", id="newline-second-statement"),
    pytest.param(f"exec(\"open('{PATH}', 'w')\")", id="exec"),
    pytest.param(f"eval(\"open('{PATH}', 'w')\")", id="eval"),
    pytest.param(f"exec(compile(\"open('{PATH}', 'w')\", 'f', 'exec'))", id="compile"),
    pytest.param(f'exec(\'\\x6fpen("{PATH}", "w")\')', id="escaped-string-exec"),
    pytest.param(f"globals().setdefault('f', open)('{PATH}', 'w')", id="globals"),
    pytest.param(f"(f := open('{PATH}', 'w'))", id="walrus"),
    pytest.param(f"[open('{PATH}', 'w') for _ in 'x']", id="list-comprehension"),
    pytest.param(f"[open][0]('{PATH}', 'w')", id="subscript"),
    pytest.param(f"1 if open('{PATH}', 'w') else 0", id="conditional-expression"),
    pytest.param(f"class A: open('{PATH}', 'w')", id="class-body"),
    pytest.param(f"x + __import__('os').system('touch {PATH}')", id="sympify-style-formula-with-import"),
    pytest.param(f"sin(x) + __import__('os').system('touch {PATH}')", id="formula-prefix-then-payload"),
    pytest.param(f"abs(open('{PATH}', 'w').write('1'))", id="allowed-function-around-payload"),
    pytest.param(f"__import__('torch').save(x, '{PATH}')", id="torch-save"),
    # NFKC folds these into ASCII names, so Python runs them as open(...); derivlib reads fullwidth ASCII as ASCII
    # too (ｓｉｎ（ｘ） is sin(x)), and its grammar still has no open, no quotes and no strings.
    pytest.param(f"ｏｐｅｎ('{PATH}', 'w')", id="fullwidth-letters-open"),
    pytest.param(f"ᵒᵖᵉⁿ('{PATH}', 'w')", id="superscript-letters-in-name-open"),
]

# Payloads for other interpreters a formula might be pasted into.
OTHER_INJECTIONS = [
    pytest.param(f"x + `touch {PATH}`", id="shell-backticks"),
    pytest.param(f"$(touch {PATH})", id="shell-command-substitution"),
    pytest.param(f"x; touch {PATH}", id="shell-semicolon"),
    pytest.param(f"x || touch {PATH}", id="shell-or"),
    pytest.param(f"x | tee {PATH}", id="shell-pipe"),
    pytest.param(f"x > {PATH}", id="shell-redirect"),
    pytest.param(f"{{{{ cycler.__init__.__globals__.os.popen('touch {PATH}').read() }}}}", id="jinja-template"),
    pytest.param(f"\\immediate\\write18{{touch {PATH}}}", id="latex-write18"),
]

# Text that looks like a formula but has a character that is not what it seems; refused at that character.
LOOK_ALIKES = [
    pytest.param("sin(х)", 4, id="cyrillic-x"),
    pytest.param("ехр(x)", 0, id="cyrillic-exp"),
    pytest.param("sіn(x)", 1, id="cyrillic-i-in-sin"),
    pytest.param("𝑥^2", 0, id="mathematical-italic-x"),
    pytest.param("ⅹ^2", 0, id="roman-numeral-ten"),
    pytest.param("eˣ", 1, id="modifier-letter-x-as-exponent"),
    pytest.param("xⁿ", 1, id="superscript-n-exponent"),
    pytest.param("si\u200bn(x)", 2, id="zero-width-space-in-name"),
    pytest.param("x\u200d+ 1", 1, id="zero-width-joiner"),
    pytest.param("x\u202e+ 1", 1, id="right-to-left-override"),
    pytest.param("\ufeffx", 0, id="byte-order-mark"),
    pytest.param("x\u0302", 1, id="combining-circumflex"),
    pytest.param("x\x00", 1, id="nul-byte"),
    pytest.param("x∕2", 1, id="division-slash"),
    pytest.param("1⁄2", 1, id="fraction-slash"),
    pytest.param("x′", 1, id="prime-sign"),
    pytest.param("x\u2028+ 1", 1, id="line-separator"),
]

RESOURCE_EXHAUSTION = [
    pytest.param("(" * 10_000 + "x" + ")" * 10_000, id="deep-parentheses-10000"),
    pytest.param("(" * 10_000, id="deep-unclosed-parentheses-10000"),
    pytest.param("(" * 249 + "x" + ")" * 249, id="deep-parentheses-within-length-limit"),
    pytest.param("x^" * 249 + "x", id="exponent-tower-within-length-limit"),
    pytest.param("sin(" * 99 + "x" + ")" * 99, id="nested-calls-within-length-limit"),
    pytest.param("sin " * 124 + "x", id="implicit-calls-within-length-limit"),
    pytest.param("√" * 499 + "x", id="nested-square-roots"),
    pytest.param("x+" * 500_000 + "x", id="input-of-a-million-characters"),
    pytest.param("x" * 10**6, id="name-of-a-million-characters"),
    pytest.param("a" * MAX_LENGTH, id="longest-unknown-name"),
    pytest.param("-" * 1000 + "x", id="unary-chain-1000"),
    pytest.param("-" * 400 + "x", id="unary-chain-within-length-limit"),
    pytest.param("9" * 400, id="400-digit-literal-past-the-float-range"),
    pytest.param("1e999999999", id="huge-exponent-literal"),
    pytest.param("x^1e999999999", id="huge-exponent-literal-as-power"),
    pytest.param("sin" + "⁹" * 400 + " x", id="huge-superscript-function-power"),
    pytest.param("1," * (MAX_LENGTH // 2), id="many-list-items-then-a-trailing-comma"),
    # the forms added to the language: bars, braces, factorials, bases and argument lists, nested or repeated
    pytest.param("|" * 10_000, id="ten-thousand-bars"),
    pytest.param("|" * 499 + "x", id="bars-opening-within-length-limit"),
    pytest.param("|x" * 250, id="bars-never-closed"),
    pytest.param("{" * 10_000, id="ten-thousand-braces"),
    pytest.param("{x<0:" * 99 + "x", id="piecewise-nested-within-length-limit"),
    pytest.param("{x<0:1," * 71 + "x" + "}" * 71, id="piecewise-nested-in-otherwise-within-length-limit"),
    pytest.param("{" + "x<" * 249 + "x", id="comparison-chain-of-250"),
    pytest.param("x" + "!" * 499, id="factorial-run"),
    pytest.param("log_(" * 100 + "2" + ")" * 100 + "x", id="logarithm-bases-nested"),
    pytest.param("atan2(" * 100 + "x" + ", x)" * 100, id="argument-lists-nested"),
    pytest.param("|x|y" * 125, id="ambiguous-bars-repeated"),
    pytest.param("(|x|y|" * 83, id="ambiguous-bars-in-parentheses"),
]

MALFORMED = [
    pytest.param("", id="empty"),
    pytest.param(" ", id="space"),
    pytest.param(" \t\r\n\u00a0", id="only-whitespace"),
    *(pytest.param(op, id=f"lone-{name}") for op, name in [("+", "plus"), ("-", "minus"), ("*", "times")]),
    *(pytest.param(op, id=f"lone-{name}") for op, name in [("/", "slash"), ("^", "caret"), ("**", "double-star")]),
    pytest.param(",", id="lone-comma"),
    pytest.param("(", id="lone-open-parenthesis"),
    pytest.param(")", id="lone-close-parenthesis"),
    pytest.param("()", id="empty-parentheses"),
    pytest.param(")(", id="reversed-parentheses"),
    pytest.param("((x)", id="unbalanced-open"),
    pytest.param("(x))", id="unbalanced-close"),
    pytest.param("sin(x", id="unclosed-call"),
    pytest.param("x +", id="dangling-operator-at-end"),
    pytest.param("* x", id="dangling-operator-at-start"),
    pytest.param("x + * x", id="two-operators"),
    pytest.param(".", id="lone-point"),
    pytest.param("...", id="ellipsis"),
    pytest.param("1.2.3", id="two-decimal-points"),
    pytest.param("²", id="lone-superscript"),
    pytest.param("⁻", id="lone-superscript-minus"),
    pytest.param("sin", id="function-alone"),
    pytest.param("|", id="lone-bar"),
    pytest.param("||", id="empty-bars"),
    pytest.param("|x||", id="bars-left-over"),
    pytest.param("!", id="lone-factorial"),
    pytest.param("{", id="lone-brace"),
    pytest.param("}", id="lone-closing-brace"),
    pytest.param("{:}", id="braces-with-a-colon"),
    pytest.param("{x<0:}", id="branch-without-value"),
    pytest.param("<", id="lone-comparison"),
    pytest.param(":", id="lone-colon"),
    pytest.param("_", id="lone-underscore"),
    pytest.param("log_", id="logarithm-without-base"),
    pytest.param("log_(", id="logarithm-with-unclosed-base"),
    pytest.param("₂", id="lone-subscript"),
    pytest.param("atan2(,)", id="empty-argument-list"),
    pytest.param("pow", id="pow-alone"),
    pytest.param("{x<0:1,}", id="trailing-comma-in-braces"),
]


class Stopwatch:
    """Times a block with the garbage collector paused.

    A full collection of pytest's heap (torch, sympy, hypothesis: some 250,000 objects) takes about half a second on
    a small machine, whenever it happens to fall; it measures the test process, not the parser.
    """

    seconds: float

    def __enter__(self) -> "Stopwatch":
        self.collecting = gc.isenabled()
        gc.disable()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> None:
        self.seconds = time.perf_counter() - self.start
        if self.collecting:
            gc.enable()


def refusal(text: str, function=parse) -> ExpressionError:
    """The ExpressionError that `function` raises for `text`, checked to point into the text and come quickly."""
    with pytest.raises(ExpressionError) as caught, Stopwatch() as watch:
        function(text)
    assert watch.seconds < TIME_LIMIT, f"took {watch.seconds:.3f} s"
    assert 0 <= caught.value.position <= len(text)
    return caught.value


@pytest.mark.parametrize("function", [parse, parse_list])
@pytest.mark.parametrize("attack", [*PYTHON_INJECTIONS, *OTHER_INJECTIONS])
def test_code_injection_is_refused_and_runs_nothing(attack, function, tmp_path):
    text = attack.replace(PATH, str(tmp_path / "pwned"))
    refusal(text, function)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("attack", PYTHON_INJECTIONS)
def test_python_injections_are_live_python(attack):
    """The catalogue's Python payloads compile (they are never run), so each row is a real attack, not a typo."""
    compile(attack.replace(PATH, "/nonexistent/pwned"), "<attack>", "exec")


@pytest.mark.parametrize(("text", "position"), LOOK_ALIKES)
def test_look_alike_character_is_refused_where_it_is(text, position):
    error = refusal(text)
    assert error.position == position
    assert "unexpected character" in error.message


@pytest.mark.parametrize("function", [parse, parse_list])
@pytest.mark.parametrize("text", [*RESOURCE_EXHAUSTION, *MALFORMED])
def test_resource_exhaustion_and_malformed_input_are_refused_quickly(text, function):
    refusal(text, function)


def test_very_long_input_is_refused_before_it_is_read():
    """The length limit is checked first, so a megabyte of text costs no tokenizing."""
    error = refusal("(" * 10**6)
    assert "too long" in error.message
    assert error.position == MAX_LENGTH


# ---------------------------------------------------------------------------------------------------------------------
# Hostile-looking input that is a valid formula: accepted quickly, and its numbers are floats


def timed_parse(text: str) -> Expression:
    with Stopwatch() as watch:
        expr = parse(text)
    assert watch.seconds < TIME_LIMIT, f"took {watch.seconds:.3f} s"
    return expr


def test_power_tower_parses_quickly_and_evaluates_to_inf_quickly():
    """9^9^9^9 has about 10^(3.7e8) digits: it must be float arithmetic (inf), never an exact integer."""
    expr = timed_parse("9^9^9^9")
    derivlib.derivatives("x", [2.0], order=2)  # torch's first-call set-up is not the formula's cost
    with Stopwatch() as watch:
        values = derivlib.derivatives(expr, [2.0], order=2)
    assert watch.seconds < TIME_LIMIT
    assert not torch.isfinite(values).all()
    assert values[0, 0] == float("inf")


def test_power_tower_over_x_evaluates_to_non_finite_derivatives_quickly():
    expr = timed_parse("9^9^9^x")
    derivlib.derivatives("x", [2.0], order=2)
    with Stopwatch() as watch:
        values = derivlib.derivatives(expr, [2.0], order=2)
    assert watch.seconds < TIME_LIMIT
    assert not torch.isfinite(values).any()


def test_400_digit_literal_is_a_float_not_an_exact_integer():
    text = "1" * 300 + "." + "1" * 100
    tree = timed_parse(text).tree
    assert isinstance(tree, Number)
    assert type(tree.value) is float
    assert tree.value == pytest.approx(1.111e299, rel=1e-3)


def test_huge_superscript_exponent_within_the_float_range_is_a_float():
    tree = timed_parse("x" + "⁹" * 300).tree
    assert isinstance(tree, Binary)
    assert tree.left == Variable("x")
    assert type(tree.right.value) is float


@pytest.mark.parametrize(
    "text",
    [
        "π" * MAX_LENGTH,
        "½-" * (MAX_LENGTH // 2 - 1) + "½",  # a fraction is three nodes in one character
        "½π-" * (MAX_LENGTH // 3 - 1) + "½π",
        "-½" * (MAX_LENGTH // 2),
        "x!-" * (MAX_LENGTH // 3 - 1) + "x!",
        "|x|" * (MAX_LENGTH // 3),
        "{" + ",".join("x<1:x" for _ in range(MAX_LENGTH // 6 - 1)) + "}",
    ],
    ids=short,
)
def test_widest_formula_within_the_length_limit_parses_quickly(text):
    """Two nodes per character at most, so the longest text cannot build a tree past the node limit."""
    expr = timed_parse(text)
    assert expr.size <= 2 * MAX_LENGTH


# ---------------------------------------------------------------------------------------------------------------------
# The source never hands text to an evaluator

SOURCES = sorted(Path(derivlib.__file__).parent.glob("*.py"))  # (benchmarks/ is outside the package)
# The one import by name in the package, allowed because its name comes from derivlib's own table of lazily loaded
# modules, never from outside: the exact expression, so that any other use is still caught.
ALLOWED = {"__init__.py": 'importlib.import_module(f".{_LAZY[name]}", __name__)'}
FORBIDDEN = re.compile(
    r"(?<![\w.])(?:eval|exec|compile|__import__)\s*\("  # the builtins (re.compile and friends are methods)
    r"|\.(?:eval|exec)\s*\("  # builtins.eval(...)
    r"|\b(?:sympify|parse_expr|lambdify|import_module)\b"  # sympy's and importlib's text-to-code doors
    r"|\bS\s*\(\s*['\"]"  # sympy.S("...")
)


def code_without_comments(source: str) -> str:
    """The source with every comment blanked out, so that a comment mentioning eval( is not a call."""
    lines = source.splitlines(keepends=True)
    for token in tokenize.generate_tokens(iter(lines).__next__):
        if token.type == tokenize.COMMENT:
            (row, start), (_, end) = token.start, token.end
            line = lines[row - 1]
            lines[row - 1] = line[:start] + " " * (end - start) + line[end:]
    return "".join(lines)


def forbidden_calls(source: str) -> list[str]:
    return [match.group() for match in FORBIDDEN.finditer(code_without_comments(source))]


def test_the_package_has_sources_to_check():
    assert {path.name for path in SOURCES} >= {"parse.py", "tree.py", "errors.py", "engine.py"}


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_source_never_calls_eval_exec_compile_or_sympify(path):
    source = path.read_text(encoding="utf-8")
    if path.name in ALLOWED:
        assert source.count(ALLOWED[path.name]) == 1, "the allowed expression is gone: drop it from ALLOWED"
        source = source.replace(ALLOWED[path.name], "")
    assert forbidden_calls(source) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "value = eval(text)",
        "exec (code)",
        "code = compile(text, 'f', 'eval')",
        "builtins.eval(text)",
        "sympy.sympify(text)",
        "from sympy.parsing.sympy_parser import parse_expr",
        "f = sympy.lambdify(x, expr)",
        "sympy.S('x + 1')",
        "__import__('os')",
    ],
)
def test_the_source_check_catches_calls_to_evaluators(snippet):
    assert forbidden_calls(snippet + "\n") != []


@pytest.mark.parametrize(
    "snippet",
    [
        "_NUMBER = re.compile(r'\\d+')",
        "# the text is never eval(...)'d",
        "y = evaluate(node, values, like)",
        "sympy.Pow(a, b, evaluate=False)",
    ],
)
def test_the_source_check_allows_lookalikes_that_are_not_evaluators(snippet):
    assert forbidden_calls(snippet + "\n") == []


# ---------------------------------------------------------------------------------------------------------------------
# The same attacks through the pages: every text input and every query parameter of each page (AppTest)
#
# The inputs are found, not listed: a page's text inputs are those AppTest sees after its first run, and its query
# parameters those it writes into the address. A page added later (the optimisation page) is covered as soon as its
# file exists.

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
PAGES = {  # page -> the script AppTest switches to (None: the entry's default page)
    "one_variable": None,
    "two_variables": "views/two_variables.py",
    "optimisation": "views/optimisation.py",
    "practice": "views/practice.py",
}
ROOT = Path(__file__).resolve().parent.parent


def pages() -> list:
    return [
        pytest.param(
            name,
            id=name,
            marks=pytest.mark.skipif(
                script is not None and not (ROOT / script).exists(), reason=f"{script} does not exist yet"
            ),
        )
        for name, script in PAGES.items()
    ]


# Typed into a box or sent as a query parameter: each would create PATH if anything evaluated it.
PAGE_INJECTIONS = [
    f"__import__('os').system('touch {PATH}')",
    f"open('{PATH}', 'w').write('1')",
    f"x; import os; os.system('touch {PATH}')",
    f"$(touch {PATH})",
    f"{{{{ cycler.__init__.__globals__.os.popen('touch {PATH}').read() }}}}",
    f"@pd.eval(\"__import__('os').system('touch {PATH}')\")",
]
NOT_NUMBERS = ["nan", "-nan", "inf", "1e999", "0x10", "--1", "１", "1_000", "1,5", "", " ", "\x00", "9" * 400]


@pytest.fixture(autouse=True)
def no_compiler(monkeypatch):
    """A formula typed on a page would send the compiler to work: not wanted here."""
    monkeypatch.setenv("DERIVLIB_FUSE", "0")


def open_page(page: str, query: dict[str, str] | None = None) -> AppTest:
    return app_driver.open_page(PAGES[page], query, timeout=180)


@functools.cache
def link_parameters(page: str) -> tuple[str, ...]:
    """The query parameters the page writes into its link: the inputs a link can set."""
    at = open_page(page)
    names = tuple(at.query_params)
    assert "expr" in names, names
    return names


@functools.cache
def text_inputs(page: str) -> tuple[str, ...]:
    keys = tuple(box.key for box in open_page(page).text_input)
    assert keys, f"{page} has no text input"
    return keys


def messages(at: AppTest) -> list[str]:
    return [element.value for kind in (at.error, at.warning, at.info) for element in kind]


def attack(text: str, tmp_path: Path) -> str:
    return text.replace(PATH, str(tmp_path / "pwned"))


@pytest.mark.parametrize("page", pages())
@pytest.mark.parametrize("payload", PAGE_INJECTIONS, ids=[f"injection-{i}" for i in range(len(PAGE_INJECTIONS))])
def test_injection_into_every_query_parameter_shows_notes_and_runs_nothing(page, payload, tmp_path):
    text = attack(payload, tmp_path)
    query = dict.fromkeys(link_parameters(page), text) | {"p_a": text}
    at = open_page(page, query)
    notes = "\n".join(messages(at))
    assert "could not be used" in notes
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("page", pages())
@pytest.mark.parametrize("payload", PAGE_INJECTIONS, ids=[f"injection-{i}" for i in range(len(PAGE_INJECTIONS))])
def test_injection_typed_into_every_text_input_shows_a_message_and_runs_nothing(page, payload, tmp_path):
    text = attack(payload, tmp_path)
    at = open_page(page)
    for key in text_inputs(page):
        before = at.text_input(key=key).value
        at.text_input(key=key).input(text).run()
        assert not at.exception, (key, at.exception)
        assert at.error, f"no message for the text in {key}"
        at.text_input(key=key).input(before).run()  # back to what it was, before the next box
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("page", pages())
@pytest.mark.parametrize("text", NOT_NUMBERS, ids=ascii)
def test_numbers_that_are_not_numbers_in_every_query_parameter_show_notes(page, text):
    at = open_page(page, dict.fromkeys(link_parameters(page), text))
    assert "could not be used" in "\n".join(messages(at))


@pytest.mark.parametrize("page", pages())
def test_numbers_that_are_not_numbers_typed_into_every_text_input_show_a_message(page):
    at = open_page(page)
    for key in sorted(text_inputs(page), key=lambda key: key.endswith("expr")):  # the formula last: "１" has no y
        for text in ("nan", "1e999", "0x10", "--1", "１"):
            at.text_input(key=key).input(text).run()
            assert not at.exception, (key, text, at.exception)


@pytest.mark.parametrize("page", pages())
@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"expr": "x+" * 50_000 + "x"}, id="formula-of-100k-characters"),
        pytest.param({f"k{i}": "1" for i in range(900)}, id="nine-hundred-unknown-parameters"),
        pytest.param({f"p_{chr(97 + i % 26)}{i}": "1e999" for i in range(500)}, id="five-hundred-parameter-values"),
        pytest.param({"expr": "(" * 100_000}, id="deep-parentheses"),
        pytest.param({"points": "9" * 10_000, "order": "9" * 10_000}, id="ten-thousand-digit-numbers"),
        pytest.param({"expr[]": "x", "%00": "x", "<script>": "alert(1)", "": "x"}, id="malformed-names"),
        pytest.param({"expr": "\ufffd%ED%A0%80"}, id="replacement-character-and-surrogate-bytes"),
        pytest.param({"expr": "x\r\nSet-Cookie: a=b"}, id="header-injection"),
        pytest.param({"expr": "<img src=x onerror=alert(1)>"}, id="html"),
        pytest.param({"expr": "[link](javascript:alert(1))`**"}, id="markdown"),
    ],
)
def test_huge_and_malformed_query_strings_show_notes(page, query):
    at = open_page(page, query)
    assert messages(at)
    shown = "\n".join(messages(at))
    assert "<img" not in shown.replace("\\<img", "") or "`" in shown  # quoted as code, never as markup
    assert len(shown) < 5_000  # notes quote a value briefly, not a megabyte of it, and a dozen of them at most


@pytest.mark.parametrize("page", pages())
def test_a_query_string_of_thousands_of_parameters_is_dropped_by_streamlit(page):
    """Streamlit ignores a query string of more than 1000 parameters (and logs it): the page opens as without it."""
    at = open_page(page, {f"k{i}": "1" for i in range(2_000)})
    assert not messages(at) or all("could not be used" not in message for message in messages(at))


def test_a_server_limit_cuts_the_sliders_and_refuses_a_link_beyond_it(monkeypatch):
    monkeypatch.setenv("DERIVLIB_MAX_POINTS", "5000")
    monkeypatch.setenv("DERIVLIB_MAX_ORDER", "4")
    at = open_page("one_variable", {"points": "10000", "order": "6"})
    notes = "\n".join(messages(at))
    assert "`points=10000` could not be used (choose one of 100, 200, 500, 1000, 2000, 5000)" in notes
    assert "`order=6` could not be used (choose one of 1, 2, 3, 4)" in notes
    assert at.select_slider(key="points").options[-1] == "5,000"
    assert at.slider(key="order").max == 4


def test_a_formula_that_takes_too_long_ends_with_the_budget_message(monkeypatch):
    monkeypatch.setenv("DERIVLIB_TIME_BUDGET", "0.2")
    big = "+".join(f"sin(cos({k}x + exp(sin(x)/{k + 1})))*log(2 + cos(x^2))" for k in range(1, 9))
    at = open_page("one_variable", {"points": "1000000", "order": "8", "expr": big})
    assert any("ran out of its time budget of 0.2 s" in error.value for error in at.error)
