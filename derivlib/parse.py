"""Text -> tokens -> tree: derivlib's own small grammar for formulas typed by people.

The text is never evaluated as Python. A tokenizer reads it character by character (so every error knows its
position), and a precedence-climbing parser builds a tree of the allow-listed nodes in `tree.py`.

Precedence, lowest first: `+ -`; `*`, `/` and implicit multiplication (`2x`, `x sin x`); unary `- +`;
`^` and `**` (right-associative, binding tighter than a unary minus on its left: `-x^2 = -(x^2)`, `2^-x = 2^(-x)`);
postfix `!` (the factorial, tightest: `2x! = 2·(x!)`, `x!^2 = (x!)^2`, `-x! = -(x!)`).
A function name followed by something other than `(` takes the implicit product that follows it, up to the next
function or explicit operator: `sin 2x = sin(2*x)`, `sin x cos x = sin(x)*cos(x)`, `sin x/2 = sin(x)/2`.

Bars are absolute values: a `|` after something complete (a number, a name, `)`, `!`, a closing `|`) closes the
innermost open bar, and opens one otherwise (`||x| - 1|`, `2|x|`). Where both readings could pair the bars
(`|a|b|c|`, which is |a|·b·|c| or |a·|b|·c|) the formula is refused as ambiguous.
Braces hold a piecewise definition as Desmos writes it: `{x < 0: -x, x^2}`, branches tried in order, a last branch
without a condition for everything else.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from .errors import ExpressionError
from .functions import ALIASES, FUNCTIONS
from .limits import LIMITS, MAX_DEPTH, MAX_TREE_DEPTH
from .tree import (
    COMPARISONS,
    CONSTANTS,
    GREEK_LETTERS,
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
    children,
)

_N = TypeVar("_N", bound=Node)  # a node of one type, given back as that type

MAX_LENGTH = LIMITS.formula_length  # characters of typed text (DERIVLIB_MAX_FORMULA_LENGTH, 500)
MAX_NODES = LIMITS.formula_nodes  # nodes in the tree, each one array of the grid's size (DERIVLIB_MAX_FORMULA_NODES)
VARIABLES = ("x",)  # the variables of a single-variable formula
MAX_READING = 40  # characters of a run-together name (and its call's parentheses) read back as known names
SOME_FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs")  # named when an unknown call is near no function

# Characters people type for the same thing; mapped here so the grammar below stays ASCII.
OPERATOR_SYNONYMS = {
    "×": "*",
    "·": "*",
    "⋅": "*",
    "∙": "*",
    "÷": "/",
    "−": "-",  # U+2212 MINUS SIGN
    "–": "-",  # en dash, which word processors substitute for '-'
}
COMPARISON_SYNONYMS = {"≤": "<=", "≥": ">=", "⩽": "<=", "⩾": ">="}
SUBSCRIPTS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9"}
# Fractions pasted as one character (U+00BC–U+00BE, U+2150–U+215E): read as numerator/denominator, so ⅓ is exactly
# 1/3 for sympy, and ½x is (1/2)·x.
VULGAR_FRACTIONS = {
    "¼": (1, 4), "½": (1, 2), "¾": (3, 4), "⅐": (1, 7), "⅑": (1, 9), "⅒": (1, 10), "⅓": (1, 3), "⅔": (2, 3),
    "⅕": (1, 5), "⅖": (2, 5), "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8),
    "⅝": (5, 8), "⅞": (7, 8),
}  # fmt: skip
SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9"}
SUPERSCRIPT_SIGNS = {"⁻": "-", "⁺": "+"}
# Lowercase Greek letters, but not those that pass for Latin ones (ι κ ν ο υ look like i k v o u): cοs(x) with a
# Greek omicron must be refused, not read as c*omicron*s*x. The names (iota, kappa, …) can always be typed.
GREEK_SYMBOLS = {
    symbol: name
    for symbol, name in zip("αβγδεζηθικλμνξοπρστυφχψω", [*GREEK_LETTERS[:15], "pi", *GREEK_LETTERS[15:]], strict=True)
    if symbol not in "ικνου"
}
GREEK_SYMBOLS["ς"] = "sigma"  # final sigma
# Capitals that cannot pass for Latin ones; names are not case-sensitive, so Ω is omega.
GREEK_SYMBOLS |= {capital: GREEK_SYMBOLS[capital.lower()] for capital in "ΓΔΘΛΞΠΣΦΨΩ"}
WHITESPACE = " \t\r\n\u00a0\u2009\u202f\u3000"  # … and the ideographic space an input method types with fullwidth
# Fullwidth ASCII (U+FF01–U+FF5E: ｓｉｎ（ｘ）, as Chinese and Japanese input methods type it) read as the ASCII it
# stands for, one character for one, so positions stay; only that block: x² keeps meaning x^2.
FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
NOT_NUMBERS = ("nan", "inf", "infinity")  # words for what is not a number: a formula has none of them

# Characters that look like an attempt at something the language does not have, and what to write instead.
HINTS = {
    "=": "write only the formula's right-hand side, without '='",
    "[": "use ( and ) for grouping",
    "]": "use ( and ) for grouping",
    "'": "quotes are not part of formulas (and for a derivative, type the function itself, not f')",
    '"': "quotes are not part of formulas",
    "≠": "a condition compares with <, <=, > or >=",
    "\\": "LaTeX is not read: type the formula as text, as in sqrt(x) or {x < 0: -x, x^2}",
}
CONDITION_HINT = "a condition compares with <, <=, > or >=, as in {x < 0: -x, x^2}"
PIECEWISE_EXAMPLE = "{x < 0: -x, x^2}"
SUGAR = ("pow",)  # names read as something else: pow(a, b) is a^b
NUMBER_WORDS = {1: "one", 2: "two", 3: "three"}
AMBIGUOUS_BARS = (
    "ambiguous '|': it could close the bar before it or open a new one; write * to say which (|a|*b*|c| or "
    "|a*|b|*c|), or use abs(…)"
)

_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII digits only: ৪ is not 4
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op", "sup" (a superscript exponent), "sub" (a subscript), "fraction" (½), "end"
    text: str  # for "name": lowercased and with Greek symbols spelled out; for "op": the ASCII operator
    position: int  # 0-based character index in the source
    value: float = 0.0  # for "number", "sup" and "sub"


def tokenize(source: str) -> list[Token]:
    """The tokens of `source`, ending with an "end" token; raises ExpressionError at the first bad character."""
    source = source.translate(FULLWIDTH)
    tokens: list[Token] = []
    braces = 0  # how deep in piecewise braces, for the hint on '='
    i = 0
    while i < len(source):
        ch = source[i]
        if ch in WHITESPACE:
            i += 1
        elif match := _NUMBER.match(source, i):
            tokens.append(Token("number", match.group(), i, _number_value(source, match.group(), i)))
            i = match.end()
        elif match := _NAME.match(source, i):
            tokens.append(Token("name", match.group().lower(), i))
            i = match.end()
        elif ch in GREEK_SYMBOLS:
            tokens.append(Token("name", GREEK_SYMBOLS[ch], i))
            i += 1
        elif ch == "√":
            tokens.append(Token("name", "sqrt", i))
            i += 1
        elif ch in SUPERSCRIPTS or ch in SUPERSCRIPT_SIGNS:
            i = _superscript(source, i, tokens)
        elif ch in SUBSCRIPTS:
            start = i
            while i < len(source) and source[i] in SUBSCRIPTS:
                i += 1
            digits = "".join(SUBSCRIPTS[c] for c in source[start:i])
            tokens.append(Token("sub", source[start:i], start, _number_value(source, digits, start)))
        elif ch in VULGAR_FRACTIONS:
            tokens.append(Token("fraction", ch, i))
            i += 1
        elif source.startswith("**", i):
            tokens.append(Token("op", "^", i))
            i += 2
        elif source.startswith(("<=", ">="), i):
            tokens.append(Token("op", source[i : i + 2], i))
            i += 2
        elif source.startswith("!=", i):
            raise ExpressionError(f"unexpected '!=': {HINTS['≠']}", source, i)
        elif ch in "+-*/^(),|!{}:_<>":
            tokens.append(Token("op", ch, i))
            braces += {"{": 1, "}": -1}.get(ch, 0)
            i += 1
        elif ch in OPERATOR_SYNONYMS:
            tokens.append(Token("op", OPERATOR_SYNONYMS[ch], i))
            i += 1
        elif ch in COMPARISON_SYNONYMS:
            tokens.append(Token("op", COMPARISON_SYNONYMS[ch], i))
            i += 1
        elif ch == "=" and braces > 0:
            raise ExpressionError(f"unexpected '=': {CONDITION_HINT}", source, i)
        elif ch in HINTS:
            raise ExpressionError(f"unexpected '{ch}': {HINTS[ch]}", source, i)
        else:
            raise ExpressionError(f"unexpected character {ch!r} (U+{ord(ch):04X})", source, i)
    tokens.append(Token("end", "", len(source)))
    return tokens


def _number_value(source: str, text: str, position: int) -> float:
    value = float(text)  # a float, never an unbounded int: 9^9^9^9 is a quick inf, not a hang
    if value == float("inf"):
        raise ExpressionError(f"number too large: {text} (the largest is about 1.8e308)", source, position)
    return value


def _superscript(source: str, start: int, tokens: list[Token]) -> int:
    i = start
    sign = ""
    if source[i] in SUPERSCRIPT_SIGNS:
        sign = SUPERSCRIPT_SIGNS[source[i]]
        i += 1
    digits = ""
    while i < len(source) and source[i] in SUPERSCRIPTS:
        digits += SUPERSCRIPTS[source[i]]
        i += 1
    if not digits:
        raise ExpressionError("a superscript sign needs superscript digits after it, as in x⁻¹", source, i)
    value = float(sign + digits)
    if abs(value) == float("inf"):
        raise ExpressionError("exponent too large (the largest number is about 1.8e308)", source, start)
    tokens.append(Token("sup", source[start:i], start, value))
    return i


def parse(
    text: str,
    variables: tuple[str, ...] = VARIABLES,
    *,
    max_length: int | None = MAX_LENGTH,
    max_nodes: int | None = MAX_NODES,
) -> Expression:
    """Parse a formula into an Expression, or raise ExpressionError pointing at the problem.

    Names in `variables` are variables; any other single letter (but `e`) or Greek letter's name is a parameter.
    `max_length` (characters) and `max_nodes` (parts of the tree) guard the public pages (DERIVLIB_MAX_FORMULA_LENGTH
    and _NODES); a program that builds a long formula from its own data lifts them for one call with None (or a
    number of its own). Nesting stays limited (MAX_DEPTH): it guards the stack, not the server's time.

    >>> str(parse("x³ + sin x"))
    'x^3 + sin(x)'
    >>> parse("2 pi a x").parameters
    ('a',)
    >>> residuals = " + ".join(f"(x - {k})^2" for k in range(100))  # 1 090 characters
    >>> parse(residuals, max_length=None).variables
    ('x',)
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula is text, not {type(text).__name__}")
    return _parsed(text, tuple(variables), max_length, max_nodes)


@functools.lru_cache(maxsize=256)
def _parsed(text: str, variables: tuple[str, ...], max_length: int | None, max_nodes: int | None) -> Expression:
    """`parse`, remembered: a page or a program asks for the same formula again and again (each slider step, each
    call of `derivatives`), and reading it again cost a tenth of a compiled program's run at 10⁶ points. An
    Expression is never changed once made, so one object can serve every caller; an error is not remembered."""
    if max_length is not None and len(text) > max_length:
        raise ExpressionError(f"formula too long: {len(text)} characters (at most {max_length})", text, max_length)
    if not text.strip(WHITESPACE):
        raise ExpressionError("empty formula: type one, for example x^3 + sin(x)", text, 0)
    read = text.translate(FULLWIDTH)  # one character for one: a position in it is one in the text as typed
    try:
        parser = _Parser(read, tokenize(read), variables, max_nodes=math.inf if max_nodes is None else max_nodes)
        tree = parser.parse_all()
    except ExpressionError as error:  # shown under the text as it was typed
        raise ExpressionError(error.message, text, error.position) from None
    if (max_length is None or max_length > MAX_LENGTH) or (max_nodes is None or max_nodes > MAX_NODES):
        _check_depth(tree, text)  # within the pages' limits no tree comes near MAX_TREE_DEPTH
    return Expression(tree, text)


def _check_depth(tree: Node, text: str) -> None:
    """ExpressionError when the tree is deeper than MAX_TREE_DEPTH levels (a sum or product of that many terms in a
    row): every walker of a tree recurses, and Python's stack is finite. Measured without recursing."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children(node))
    if deepest > MAX_TREE_DEPTH:
        message = f"formula too deep: {deepest} levels of operations one inside another (at most {MAX_TREE_DEPTH})"
        raise ExpressionError(f"{message}: group a long sum's terms in parentheses", text, len(text))


def parse_list(text: str, variables: tuple[str, ...] = VARIABLES) -> list[Expression]:
    """Parse comma-separated formulas (`1, pi, 5`); an error's position is in the whole text.

    >>> [str(e) for e in parse_list("1, 2pi/3, 1e-3")]
    ['1', '2*pi/3', '0.001']
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"list too long: {len(text)} characters (at most {MAX_LENGTH})", text, MAX_LENGTH)
    if not text.strip(WHITESPACE):
        raise ExpressionError("empty list: write one or more values separated by commas", text, 0)
    pieces, start, depth = [], 0, 0
    for i, ch in enumerate(text.translate(FULLWIDTH)):  # a fullwidth comma separates too
        depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(ch, 0)  # commas in calls and piecewise braces stay
        if ch == "," and depth == 0:
            pieces.append((start, text[start:i]))
            start = i + 1
    pieces.append((start, text[start:]))
    expressions = []
    for offset, piece in pieces:
        try:
            if not piece.strip(WHITESPACE):
                raise ExpressionError("empty item: write a value between the commas", piece, 0)
            expressions.append(parse(piece, variables))
        except ExpressionError as error:
            raise ExpressionError(error.message, text, offset + error.position) from None
    return expressions


def name_position(text: str, name: str) -> int:
    """Where the name first appears in the text (0 if it does not), for errors found after parsing."""
    return next((t.position for t in tokenize(text) if t.kind == "name" and t.text == name), 0)


class _Parser:
    def __init__(
        self,
        source: str,
        tokens: list[Token],
        variables: tuple[str, ...],
        suggest: bool = True,
        max_nodes: float = MAX_NODES,
    ) -> None:
        self.source = source
        self.max_nodes = max_nodes
        self.tokens = tokens
        self.variables = variables
        self.suggest = suggest  # False when reading a suggestion back, whose own errors are only caught
        self.index = 0
        self.depth = 0
        self.nodes = 0
        self.bars: list[int] = []  # positions of the bars open inside the innermost parentheses, braces or call
        # For each level of bars, parentheses and braces: where a bar closed right before an implicit product
        # (|a|b…), whose next bar could then pair up either way.
        self.closed_before_product: list[int | None] = [None]
        self.ambiguous: int | None = None  # the first such bar, once another bar makes both readings possible

    # -- helpers ------------------------------------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def error(self, message: str, position: int | None = None) -> ExpressionError:
        return ExpressionError(message, self.source, self.token.position if position is None else position)

    def node(self, node: _N) -> _N:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.error(f"formula too large: more than {self.max_nodes} parts")
        return node

    def names_function(self, index: int) -> bool:
        """Whether the name at tokens[index] is read as a function. A Greek letter's name that is also a function's
        (gamma) is the function only when typed as a name and followed by '(': gamma x and γ(x) are γ·x."""
        token = self.tokens[index]
        if token.kind != "name" or not (token.text in FUNCTIONS or token.text in ALIASES or token.text in SUGAR):
            return False
        if token.text in GREEK_LETTERS:
            following = self.tokens[index + 1]
            typed = self.source[token.position].isascii()
            return typed and following.kind == "op" and following.text == "("
        return True

    def is_function(self, token: Token) -> bool:
        return token is self.token and self.names_function(self.index)

    def starts_factor(self, token: Token) -> bool:
        if token.kind in ("number", "name", "fraction"):
            return True
        # A bar after something complete closes the innermost open bar; with none open, it opens one (2|x|).
        return token.kind == "op" and (token.text in "({" or (token.text == "|" and not self.bars))

    def starts_operand(self, token: Token) -> bool:
        return token.kind in ("number", "name", "fraction") or (token.kind == "op" and token.text in "({|-+")

    @contextmanager
    def bracket(self, bar: int | None = None) -> Iterator[None]:
        """A new level for bars: inside a bar (`bar` is its position), or inside parentheses, braces or a call's
        parentheses, where no bar outside can be closed."""
        saved = self.bars
        self.bars = [*saved, bar] if bar is not None else []
        self.closed_before_product.append(None)
        yield
        self.closed_before_product.pop()
        self.bars = saved

    def bar_after_something_complete(self) -> None:
        """At a bar that closes or opens right after something complete: if a bar before it on this level closed
        right before an implicit product (|a|b|c|), and a bar follows to close what is left open, the bars pair up
        either way."""
        closed = self.closed_before_product[-1]
        if closed is not None and self.ambiguous is None and self.bar_ahead():
            self.ambiguous = closed

    def bar_ahead(self) -> bool:
        """Whether another '|' follows on this level of parentheses and braces."""
        depth = 0
        for token in self.tokens[self.index + 1 :]:
            if token.kind == "op" and token.text in "({":
                depth += 1
            elif token.kind == "op" and token.text in ")}":
                depth -= 1
                if depth < 0:
                    return False
            elif token.kind == "op" and token.text == "|" and depth == 0:
                return True
        return False

    # -- grammar ------------------------------------------------------------------------------------------------------

    def parse_all(self) -> Node:
        try:
            tree = self.parse_sum()
            if self.token.kind != "end":
                raise self.unexpected()
        except ExpressionError as error:
            if self.ambiguous is not None and self.ambiguous <= error.position:
                raise self.error(AMBIGUOUS_BARS, self.ambiguous) from None
            raise
        if self.ambiguous is not None:
            raise self.error(AMBIGUOUS_BARS, self.ambiguous)
        return tree

    def parse_sum(self) -> Node:
        left = self.parse_product()
        while self.at_op("+", "-"):
            op = self.advance()
            self.require_operand(op)
            left = self.node(Binary(op.text, left, self.parse_product()))
        return left

    def parse_product(self) -> Node:
        left = self.parse_unary()
        while True:
            if self.at_op("*", "/"):
                op = self.advance()
                self.require_operand(op)
                left = self.node(Binary(op.text, left, self.parse_unary()))
            elif self.starts_factor(self.token):
                left = self.node(Binary("*", left, self.parse_implicit_factor()))
            else:
                return left

    def parse_implicit_factor(self) -> Node:
        # A factor with no operator before it, as in 2x or x sin x. A number there (x 2, 2 3) is more likely a
        # typo than a product, so it is refused; so is a fraction (2½ may mean 2 + 1/2).
        token = self.token
        if token.kind == "number":
            raise self.error(f"missing operator before the number {token.text}")
        if token.kind == "fraction":
            numerator, denominator = VULGAR_FRACTIONS[token.text]
            previous = self.tokens[self.index - 1]
            mixed = f": write {previous.text} + {numerator}/{denominator} for a mixed number"
            hint = mixed if previous.kind == "number" else ""
            raise self.error(f"missing operator before {token.text}{hint}")
        if self.at_op("|"):
            self.bar_after_something_complete()
        return self.parse_power()

    def parse_unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH + 1:  # the top level is not nested
            opener = self.tokens[self.index - 1]  # the '(', sign, '^', bar, brace or function that opened this level
            raise self.error(f"formula nested too deeply (more than {MAX_DEPTH} levels)", opener.position)
        if self.at_op("-", "+"):
            op = self.advance()
            self.require_operand(op)
            operand = self.parse_unary()
            result = operand if op.text == "+" else self.node(Unary("-", operand))
        else:
            result = self.parse_power()
        self.depth -= 1
        return result

    def parse_power(self) -> Node:
        base = self.parse_postfix()
        if self.at_op("^"):
            op = self.advance()
            self.require_operand(op)
            return self.node(Binary("^", base, self.parse_unary()))
        if self.token.kind == "sup":
            return self.node(Binary("^", base, self.superscript_exponent(self.advance())))
        return base

    def parse_postfix(self) -> Node:
        operand = self.parse_primary()
        if self.at_op("!"):
            self.advance()
            if self.at_op("!"):
                raise self.error("x!! (a double factorial) is not supported: write (x!)! for the factorial of x!")
            return self.node(Call("factorial", (operand,)))
        return operand

    def superscript_exponent(self, token: Token) -> Node:
        number = self.node(Number(abs(token.value)))
        return self.node(Unary("-", number)) if token.value < 0 else number

    def parse_primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            return self.node(Number(token.value))
        if token.kind == "fraction":
            self.advance()
            return self.fraction(token)
        if token.kind == "name":
            return self.parse_name()
        if self.at_op("("):
            return self.parse_parenthesized()
        if self.at_op("|"):
            return self.parse_bars()
        if self.at_op("{"):
            return self.parse_piecewise()
        raise self.unexpected()

    def fraction(self, token: Token) -> Node:
        numerator, denominator = VULGAR_FRACTIONS[token.text]
        return self.node(Binary("/", self.node(Number(float(numerator))), self.node(Number(float(denominator)))))

    def parse_parenthesized(self) -> Node:
        opening = self.advance()
        if self.at_op(")"):
            raise self.error("empty parentheses: put something between ( and )", opening.position)
        with self.bracket():
            inner = self.parse_sum()
        if not self.at_op(")"):
            if self.at_op(","):
                raise self.error("unexpected ',': only a function call's parentheses can hold a list")
            if self.token.kind == "end" or self.at_op("}"):
                raise self.error(f"unclosed '(': add a ')'{self.before()} to match it", opening.position)
            raise self.unexpected()
        self.advance()
        return inner

    def parse_bars(self) -> Node:
        opening = self.advance()
        if self.at_op("|") and not self.starts_operand(self.tokens[self.index + 1]):
            raise self.error("empty bars: put something between | and |", opening.position)
        if self.token.kind == "end" or self.at_op(")", "}", ",", ":", *COMPARISONS):
            raise self.error(f"unclosed '|': add a '|'{self.before()} to match it", opening.position)
        with self.bracket(opening.position):
            inner = self.parse_sum()
            if not self.at_op("|"):
                if self.token.kind == "end" or self.at_op(")", "}", ",", ":", *COMPARISONS):
                    raise self.error(f"unclosed '|': add a '|'{self.before()} to match it", opening.position)
                raise self.unexpected()
            self.bar_after_something_complete()
            closing = self.advance()
        if self.starts_factor(self.token) and not self.at_op("|") and self.closed_before_product[-1] is None:
            self.closed_before_product[-1] = closing.position
        return self.node(Call("abs", (inner,)))

    def parse_piecewise(self) -> Node:
        opening = self.advance()
        if self.at_op("}"):
            message = f"empty braces: a piecewise definition needs branches, as in {PIECEWISE_EXAMPLE}"
            raise self.error(message, opening.position)
        branches: list[tuple[Comparison, Node]] = []
        otherwise = None
        with self.bracket():
            while True:
                start = self.token
                first = self.parse_sum()
                if self.at_op(*COMPARISONS):
                    condition = self.parse_condition(first)
                    if self.at_op(":"):
                        colon = self.advance()
                        if self.token.kind == "end" or self.at_op(",", "}"):
                            raise self.error("':' needs the branch's value after it", colon.position)
                        value = self.parse_sum()
                    elif self.at_op("}") and not branches:
                        value = self.node(Number(1.0))  # Desmos' restriction: x^2 {x > 0} is x^2 where x > 0
                    elif self.at_op(",", "}"):
                        raise self.error(
                            f"a condition needs ':' and the branch's value after it, as in {PIECEWISE_EXAMPLE}"
                        )
                    else:
                        raise self.unexpected()
                    branches.append((condition, value))
                elif self.at_op(":"):
                    raise self.error(f"':' must follow a condition: {CONDITION_HINT}")
                elif self.at_op(","):
                    raise self.error(
                        "only the last branch can go without a condition: write one and ':' before its value, "
                        f"as in {PIECEWISE_EXAMPLE}",
                        start.position,
                    )
                else:
                    otherwise = first
                if self.at_op(",") and otherwise is None:
                    comma = self.advance()
                    if self.at_op("}") or self.token.kind == "end":
                        raise self.error("a branch is missing after ','", comma.position)
                    continue
                if self.at_op("}"):
                    break
                if self.token.kind == "end":
                    raise self.error("unclosed '{': add a '}' to match it", opening.position)
                raise self.unexpected()
        self.advance()
        if not branches:
            message = f"braces hold a piecewise definition, as in {PIECEWISE_EXAMPLE}: use ( and ) for grouping"
            raise self.error(message, opening.position)
        return self.node(Piecewise(tuple(branches), otherwise))

    def parse_condition(self, first: Node) -> Comparison:
        operands: list[Node] = [first]
        ops: list[str] = []
        while self.at_op(*COMPARISONS):
            op = self.advance()
            if ops and (op.text in "<<=") != (ops[0] in "<<="):
                raise self.error("a chain of comparisons goes one way, as in 0 < x < 1 or 1 > x > 0", op.position)
            self.require_operand(op)
            ops.append(op.text)
            operands.append(self.parse_sum())
        return self.node(Comparison(tuple(ops), tuple(operands)))

    def parse_name(self) -> Node:
        token = self.advance()
        name = token.text
        if name in self.variables:
            return self.node(Variable(name))
        if name in CONSTANTS:
            return self.node(Constant(name))
        if name == "log" and (self.at_op("_") or self.token.kind == "sub"):
            return self.parse_log_base(token)
        if self.names_function(self.index - 1):
            if name == "pow":
                return self.parse_pow(token)
            return self.parse_call(token, ALIASES.get(name, name))
        if (len(name) == 1 and name.isalpha()) or name in GREEK_LETTERS:
            return self.node(Parameter(name))
        raise self.unknown_name(token)

    def parse_call(self, token: Token, function: str) -> Node:
        shown = token.text if token.text != "sqrt" or self.source[token.position] != "√" else "√"
        arity = FUNCTIONS[function].arity
        power = self.parse_function_power(token, shown)
        if self.at_op("("):
            opening = self.token
            arguments = self.parse_arguments(shown, arity)
            if token.text == "log" and len(arguments) == 2:  # log(x, b) as math.js writes it: the base second
                call = self.log_to_base(*arguments)
            else:
                missing = arity - len(arguments)
                if 0 < missing <= len(FUNCTIONS[function].defaults) and arguments:  # nthRoot(x) = root(x, 2)
                    arguments += [self.node(Number(v)) for v in FUNCTIONS[function].defaults[-missing:]]
                self.check_count(shown, arity, len(arguments), opening.position, also_two=token.text == "log")
                call = self.node(Call(function, tuple(arguments)))
        elif arity > 1:
            example = ", ".join(FUNCTIONS[function].arguments or ("x", "y", "z")[:arity])
            raise self.error(f"{shown} needs its arguments in parentheses, as in {shown}({example})")
        elif self.starts_factor(self.token) or self.at_op("-", "+"):
            call = self.node(Call(function, (self.parse_implicit_argument(),)))
        elif self.at_op("_") or self.token.kind == "sub":  # ln_2 x: only log takes a base
            raise self.unexpected()
        else:
            raise self.error(f"{shown} needs an argument, for example {shown}(x)")
        return self.node(Binary("^", call, power)) if power is not None else call

    def check_count(self, shown: str, arity: int, count: int, position: int, also_two: bool = False) -> None:
        if count == arity:
            return
        takes = "one or two arguments" if also_two and count > 2 else _arguments(arity)
        raise self.error(f"{shown} takes {takes} (got {count or 'none'})", position)

    def parse_pow(self, token: Token) -> Node:
        if not self.at_op("("):
            raise self.error("pow needs its arguments in parentheses, as in pow(x, 2)")
        opening = self.token
        arguments = self.parse_arguments("pow", 2)
        self.check_count("pow", 2, len(arguments), opening.position)
        return self.node(Binary("^", *arguments))

    def parse_log_base(self, token: Token) -> Node:
        """log_2(x), log_10 x, log_b(x), log_(b + 1)(x), log₂ x: the base is a number, a name or a parenthesis."""
        marker = self.advance()
        how = "after log_ write the base alone, then the argument: log_2(x), log_b x or log_(b + 1)(x)"
        base: Node
        if marker.kind == "sub":
            base = self.node(Number(marker.value))
        elif self.token.kind == "number":
            base = self.node(Number(self.advance().value))
        elif self.token.kind == "fraction":
            base = self.fraction(self.advance())
        elif self.token.kind == "name" and not self.names_function(self.index):
            name = self.token.text
            if name not in self.variables and name not in CONSTANTS and len(name) > 1 and name not in GREEK_LETTERS:
                raise self.error(how)
            base = self.parse_name()
        elif self.at_op("("):
            base = self.parse_parenthesized()
        else:
            raise self.error(how)
        shown = self.source[token.position : self.token.position].rstrip(WHITESPACE)  # as typed: log_2, log₂
        if self.at_op("^") or self.token.kind == "sup":
            raise self.error(
                f"a power after {shown} is ambiguous: write {shown}(x)^2 for a power of the logarithm, "
                "or put the whole base in parentheses, as in log_(2^3)(x)"
            )
        if self.at_op("("):
            opening = self.token
            arguments = self.parse_arguments(shown, 1)
            self.check_count(shown, 1, len(arguments), opening.position)
            argument = arguments[0]
        elif self.starts_factor(self.token) or self.at_op("-", "+"):
            argument = self.parse_implicit_argument()
        else:
            raise self.error(f"{shown} needs an argument, for example {shown}(x)")
        return self.log_to_base(argument, base)

    def log_to_base(self, argument: Node, base: Node) -> Node:
        """log2 and log10 where the base is exactly 2 or 10, else log(x)/log(b)."""
        if base in (Number(2.0), Number(10.0)):
            return self.node(Call("log2" if base == Number(2.0) else "log10", (argument,)))
        return self.node(Binary("/", self.node(Call("log", (argument,))), self.node(Call("log", (base,)))))

    def parse_function_power(self, token: Token, shown: str) -> Node | None:
        # sin^2 x and sin²x mean (sin x)^2, as in textbooks; sin^-1 x is ambiguous, so it is refused.
        if self.at_op("^"):
            self.advance()
            if self.at_op("-"):
                raise self.error(f"{shown}^-… is ambiguous: {_inverse_hint(token.text, shown)}")
            if self.token.kind != "number":
                raise self.error(f"after {shown}^ only a positive whole number can follow, as in {shown}^2(x)")
            exponent = self.advance()
        elif self.token.kind == "sup":
            exponent = self.advance()
        else:
            return None
        written = f"{shown}{exponent.text}" if exponent.kind == "sup" else f"{shown}^{exponent.text}"
        if exponent.value < 0:
            raise self.error(f"{written} is ambiguous: {_inverse_hint(token.text, shown)}", exponent.position)
        if exponent.value < 1 or not exponent.value.is_integer():
            raise self.error(
                f"after {shown}^ only a positive whole number can follow, as in {shown}^2(x)", exponent.position
            )
        return self.node(Number(exponent.value))

    def parse_arguments(self, shown: str, arity: int) -> list[Node]:
        opening = self.advance()
        arguments: list[Node] = []
        with self.bracket():
            while not self.at_op(")"):
                if self.at_op(","):
                    raise self.error(f"an argument of {shown} is missing before ','")
                arguments.append(self.parse_sum())
                if not self.at_op(","):
                    break
                comma = self.advance()
                if self.at_op(")") or self.token.kind == "end":
                    if len(arguments) >= arity:
                        raise self.error(f"{shown} takes {_arguments(arity)}: remove the ','", comma.position)
                    raise self.error(f"{shown} takes {_arguments(arity)}: one is missing after the ','", comma.position)
        if not self.at_op(")"):
            if self.token.kind == "end" or self.at_op("}"):
                raise self.error(f"unclosed '(' of {shown}: add a ')'{self.before()} to match it", opening.position)
            raise self.unexpected()
        self.advance()
        return arguments

    def parse_implicit_argument(self) -> Node:
        argument = self.parse_unary()
        while self.starts_factor(self.token) and not self.is_function(self.token):
            argument = self.node(Binary("*", argument, self.parse_implicit_factor()))
        return argument

    # -- errors -------------------------------------------------------------------------------------------------------

    def raw(self, token: Token) -> str:
        """The token as typed (** rather than ^, − rather than -)."""
        for written in ("**", "<=", ">="):
            if self.source.startswith(written, token.position):
                return written
        return self.source[token.position]

    def before(self) -> str:
        """' before ')'' naming the current token, or '' at the end."""
        return "" if self.token.kind == "end" else f" before '{self.raw(self.token)}'"

    def require_operand(self, op: Token) -> None:
        closing_bar = self.at_op("|") and self.bars and not self.starts_operand(self.tokens[self.index + 1])
        if self.token.kind == "end" or closing_bar or self.at_op(")", ",", "*", "/", "^", "}", ":", "!", *COMPARISONS):
            where = "at the end" if self.token.kind == "end" else f"before '{self.raw(self.token)}'"
            raise self.error(f"'{self.raw(op)}' needs something after it ({where})", op.position)

    def unexpected(self) -> ExpressionError:
        token = self.token
        previous = self.tokens[self.index - 1] if self.index > 0 else None
        if token.kind == "end":
            return self.error("the formula ends too early")
        if token.kind == "sup":
            return self.error(f"superscript {token.text} needs something before it")
        if token.kind == "sub":
            return self.error(f"subscript {token.text} is only for a logarithm's base, as in log₂(x)")
        if token.text == ")":
            return self.error("unmatched ')': there is no '(' before it")
        if token.text == "}":
            return self.error("unmatched '}': there is no '{' before it")
        if token.text == ",":
            return self.error("unexpected ',': only a function call's parentheses can hold a list")
        if token.text in COMPARISONS:
            return self.error(
                f"a comparison can only be the condition of a piecewise branch, as in {PIECEWISE_EXAMPLE}"
            )
        if token.text == ":":
            return self.error(f"':' can only follow a condition in braces, as in {PIECEWISE_EXAMPLE}")
        if token.text == "_":
            return self.error("'_' is only for a logarithm's base, as in log_2(x)")
        if previous is not None and previous.kind == "sup" and token.text == "^":
            return self.error("a power cannot follow a superscript: use parentheses, as in (x²)^2")
        if previous is not None and previous.kind == "sup" and token.text == "!":
            return self.error("a factorial cannot follow a superscript: use parentheses, as in (x²)! or x!²")
        if token.text in "*/^!":
            return self.error(f"'{self.raw(token)}' needs something before it")
        return self.error(f"unexpected '{self.raw(token)}'")

    def unknown_name(self, token: Token) -> ExpressionError:
        # The name has been consumed, so self.token is what follows it: a '(' makes it a call (foo(x), xsin(x)).
        if not self.suggest:
            suggestion = ""
        elif self.at_op("("):
            suggestion = _call_suggestion(token.text, self.parenthesized_text(), self.variables)
        elif token.text in NOT_NUMBERS:
            return self.error(
                f"'{token.text}' is not a number here: formulas have no constant for infinity or not-a-number (where "
                "a result is one, it is shown as undefined)",
                token.position,
            )
        else:
            suggestion = _suggestion(token.text, self.variables)
        return self.error(f"unknown function or name '{token.text}'{suggestion}", token.position)

    def parenthesized_text(self) -> str:
        """The source from the current '(' to its matching ')', or '' if it is never closed."""
        depth = 0
        for token in self.tokens[self.index :]:
            if token.kind == "op" and token.text in ("(", ")"):
                depth += 1 if token.text == "(" else -1
                if depth == 0:
                    return self.source[self.token.position : token.position + 1]
        return ""


def _arguments(count: int) -> str:
    return f"{NUMBER_WORDS.get(count, str(count))} argument{'s' if count != 1 else ''}"


def _inverse_hint(name: str, shown: str) -> str:
    inverse = f"write a{name}(x) for the inverse function or " if f"a{name}" in FUNCTIONS else "write "
    return f"{inverse}1/{shown}(x) for the reciprocal, {shown}(x)^2 for a power"


def _known_names(variables: tuple[str, ...]) -> list[str]:
    return [*FUNCTIONS, *ALIASES, *SUGAR, *CONSTANTS, *GREEK_LETTERS, *variables]


def _suggestion(name: str, variables: tuple[str, ...]) -> str:
    """' — did you mean ...?' for an unknown name that is not called, or ''."""
    if reading := _reading(name, "", variables):
        return reading
    short = name.isalpha() and len(name) <= 3
    if short and any(letter in variables for letter in name):  # ax is a*x rather than max: x is the variable
        return f" — did you mean '{'*'.join(name)}'? Write products with * or spaces"
    close = difflib.get_close_matches(name, _known_names(variables), n=1, cutoff=0.75)
    if close:
        return f" — did you mean '{close[0]}'?"
    if split := re.fullmatch(r"([a-z]+?)(\d+)", name):
        letters, digits = split.groups()
        return f" — write {letters}^{digits} for a power or {digits}{letters} for a product"
    if short:
        return f" — did you mean '{'*'.join(name)}'? Write products with * or spaces"
    return ""


def _call_suggestion(name: str, parenthesized: str, variables: tuple[str, ...]) -> str:
    """' — did you mean ...?' for an unknown name followed by '(': it was meant as a function, so never f*o*o."""
    if parenthesized and (reading := _reading(name, parenthesized, variables)):
        return reading
    functions = difflib.get_close_matches(name, [*FUNCTIONS, *ALIASES, *SUGAR], n=3, cutoff=0.6)
    # People get the first letter right: cosine is nearer cos than sin, though difflib scores them alike.
    functions = [f for f in functions if f[0] == name[0]] or functions
    if functions:
        others = " or ".join(f"'{f}'" for f in functions[1:])
        return f" — did you mean '{functions[0]}'?" + (f" Or {others}?" if others else "")
    return f" — not a function of the language (the functions include {', '.join(SOME_FUNCTIONS)}, …)"


def _reading(name: str, parenthesized: str, variables: tuple[str, ...]) -> str:
    """' — did you mean ...?' reading a run-together name as the known names in it, or ''.

    The names are read as if typed with spaces between them, so a function takes what follows it as in the grammar
    (xsinx -> x*sin(x), sin2x -> sin(2*x)), and the suggestion is the canonical text of that reading. A called name
    (`parenthesized` is its call's '(…)') must end with a function, which takes the parentheses (xsin(x) -> x*sin(x)).
    """
    if len(name) + len(parenthesized) > MAX_READING:
        return ""
    parts = _split_into_names(name, _known_names(variables))
    if parts is None or (parenthesized and parts[-1] not in [*FUNCTIONS, *ALIASES, *SUGAR]):
        return ""
    text = " ".join(parts) + parenthesized
    try:
        tree = _Parser(text, tokenize(text), variables, suggest=False).parse_all()
    except ExpressionError:  # x2 -> "x 2", xsin -> "x sin": no reading; other hints follow
        return ""
    hint = " Write products with * or spaces" if isinstance(tree, Binary) and tree.op == "*" else ""
    return f" — did you mean '{Expression(tree, text)}'?{hint}"


_DIGITS = re.compile(r"[0-9]+")


def _split_into_names(name: str, names: list[str]) -> list[str] | None:
    """`name` as a run of known names and numbers, with the fewest parts (xsinx -> x, sin, x; sin2x -> sin, 2, x).

    None if there is no run of two or more. Linear in the name's length: each position is tried once against each
    known name (a number is the whole run of digits from there).
    """
    unreachable = len(name) + 1
    count = [0] + [unreachable] * len(name)  # count[end]: the fewest parts that read name[:end]
    last = [0] * (len(name) + 1)  # last[end]: where the last of those parts starts
    for start in range(len(name)):
        if count[start] == unreachable:
            continue
        if digits := _DIGITS.match(name, start):
            ends = [digits.end()]
        else:
            ends = [start + len(part) for part in names if name.startswith(part, start)]
        for end in ends:
            if count[start] + 1 < count[end]:
                count[end], last[end] = count[start] + 1, start
    if not 2 <= count[-1] < unreachable:
        return None
    parts, end = [], len(name)
    while end > 0:
        parts.append(name[last[end] : end])
        end = last[end]
    return parts[::-1]
