"""Text -> tokens -> tree: derivlib's own small grammar for formulas typed by people.

The text is never evaluated as Python. A tokenizer reads it character by character (so every error knows its
position), and a precedence-climbing parser builds a tree of the allow-listed nodes in `tree.py`.

Precedence, lowest first: `+ -`; `*`, `/` and implicit multiplication (`2x`, `x sin x`); unary `- +`;
`^` and `**` (right-associative, binding tighter than a unary minus on its left: `-x^2 = -(x^2)`, `2^-x = 2^(-x)`).
A function name followed by something other than `(` takes the implicit product that follows it, up to the next
function or explicit operator: `sin 2x = sin(2*x)`, `sin x cos x = sin(x)*cos(x)`, `sin x/2 = sin(x)/2`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .errors import ExpressionError
from .functions import ALIASES, FUNCTIONS
from .tree import (
    CONSTANTS,
    GREEK_LETTERS,
    Binary,
    Call,
    Constant,
    Expression,
    Node,
    Number,
    Parameter,
    Unary,
    Variable,
)

MAX_LENGTH = 500  # characters of typed text
MAX_DEPTH = 64  # nesting of parentheses, signs and exponents
MAX_NODES = 1000  # nodes in the tree (each is one array of the grid's size while evaluating)
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
WHITESPACE = " \t\r\n\u00a0\u2009\u202f"

# Characters that look like an attempt at something the language does not have, and what to write instead.
HINTS = {
    "=": "write only the formula's right-hand side, without '='",
    "|": "write abs(x) for |x|",
    "[": "use ( and ) for grouping",
    "]": "use ( and ) for grouping",
    "{": "use ( and ) for grouping",
    "}": "use ( and ) for grouping",
    "!": "factorials are not supported",
    "'": "quotes are not part of formulas (and for a derivative, type the function itself, not f')",
    '"': "quotes are not part of formulas",
}

_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII digits only: ৪ is not 4
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op", "sup" (a superscript exponent), "end"
    text: str  # for "name": lowercased and with Greek symbols spelled out; for "op": the ASCII operator
    position: int  # 0-based character index in the source
    value: float = 0.0  # for "number" and "sup"


def tokenize(source: str) -> list[Token]:
    """The tokens of `source`, ending with an "end" token; raises ExpressionError at the first bad character."""
    tokens: list[Token] = []
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
        elif source.startswith("**", i):
            tokens.append(Token("op", "^", i))
            i += 2
        elif ch in "+-*/^(),":
            tokens.append(Token("op", ch, i))
            i += 1
        elif ch in OPERATOR_SYNONYMS:
            tokens.append(Token("op", OPERATOR_SYNONYMS[ch], i))
            i += 1
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


def parse(text: str, variables: tuple[str, ...] = VARIABLES) -> Expression:
    """Parse a formula into an Expression, or raise ExpressionError pointing at the problem.

    Names in `variables` are variables; any other single letter (but `e`) or Greek letter's name is a parameter.

    >>> str(parse("x³ + sin x"))
    'x^3 + sin(x)'
    >>> parse("2 pi a x").parameters
    ('a',)
    """
    if not isinstance(text, str):
        raise TypeError(f"a formula is text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"formula too long: {len(text)} characters (at most {MAX_LENGTH})", text, MAX_LENGTH)
    if not text.strip(WHITESPACE):
        raise ExpressionError("empty formula: type one, for example x^3 + sin(x)", text, 0)
    return Expression(_Parser(text, tokenize(text), variables).parse_all(), text)


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
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
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
    def __init__(self, source: str, tokens: list[Token], variables: tuple[str, ...], suggest: bool = True) -> None:
        self.source = source
        self.tokens = tokens
        self.variables = variables
        self.suggest = suggest  # False when reading a suggestion back, whose own errors are only caught
        self.index = 0
        self.depth = 0
        self.nodes = 0

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

    def node(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(f"formula too large: more than {MAX_NODES} parts")
        return node

    def is_function(self, token: Token) -> bool:
        return token.kind == "name" and (token.text in FUNCTIONS or token.text in ALIASES)

    def starts_factor(self, token: Token) -> bool:
        return token.kind in ("number", "name") or (token.kind == "op" and token.text == "(")

    # -- grammar ------------------------------------------------------------------------------------------------------

    def parse_all(self) -> Node:
        tree = self.parse_sum()
        if self.token.kind != "end":
            raise self.unexpected()
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
        # typo than a product, so it is refused.
        if self.token.kind == "number":
            raise self.error(f"missing operator before the number {self.token.text}")
        return self.parse_power()

    def parse_unary(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH + 1:  # the top level is not nested
            opener = self.tokens[self.index - 1]  # the '(', sign, '^' or function that opened this level
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
        base = self.parse_primary()
        if self.at_op("^"):
            op = self.advance()
            self.require_operand(op)
            return self.node(Binary("^", base, self.parse_unary()))
        if self.token.kind == "sup":
            return self.node(Binary("^", base, self.superscript_exponent(self.advance())))
        return base

    def superscript_exponent(self, token: Token) -> Node:
        number = self.node(Number(abs(token.value)))
        return self.node(Unary("-", number)) if token.value < 0 else number

    def parse_primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            return self.node(Number(token.value))
        if token.kind == "name":
            return self.parse_name()
        if self.at_op("("):
            return self.parse_parenthesized()
        raise self.unexpected()

    def parse_parenthesized(self) -> Node:
        opening = self.advance()
        if self.at_op(")"):
            raise self.error("empty parentheses: put something between ( and )", opening.position)
        inner = self.parse_sum()
        if not self.at_op(")"):
            if self.at_op(","):
                raise self.error("unexpected ',': only a function call's parentheses can hold a list")
            if self.token.kind == "end":
                raise self.error("unclosed '(': add a ')' to match it", opening.position)
            raise self.unexpected()
        self.advance()
        return inner

    def parse_name(self) -> Node:
        token = self.advance()
        name = token.text
        if name in self.variables:
            return self.node(Variable(name))
        if name in CONSTANTS:
            return self.node(Constant(name))
        if name in FUNCTIONS or name in ALIASES:
            return self.parse_call(token, ALIASES.get(name, name))
        if (len(name) == 1 and name.isalpha()) or name in GREEK_LETTERS:
            return self.node(Parameter(name))
        raise self.unknown_name(token)

    def parse_call(self, token: Token, function: str) -> Node:
        shown = token.text if token.text != "sqrt" or self.source[token.position] != "√" else "√"
        power = self.parse_function_power(token, shown)
        if self.at_op("("):
            argument = self.parse_arguments(shown)
        elif self.starts_factor(self.token) or self.at_op("-", "+"):
            argument = self.parse_implicit_argument()
        else:
            raise self.error(f"{shown} needs an argument, for example {shown}(x)")
        call = self.node(Call(function, argument))
        return self.node(Binary("^", call, power)) if power is not None else call

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

    def parse_arguments(self, shown: str) -> Node:
        opening = self.advance()
        arguments: list[Node] = []
        if not self.at_op(")"):
            arguments.append(self.parse_sum())
            while self.at_op(","):
                comma = self.advance()
                if self.at_op(")") or self.token.kind == "end":
                    raise self.error(f"{shown} takes one argument: remove the ','", comma.position)
                arguments.append(self.parse_sum())
        if not self.at_op(")"):
            if self.token.kind == "end":
                raise self.error(f"unclosed '(' of {shown}: add a ')' to match it", opening.position)
            raise self.unexpected()
        self.advance()
        if len(arguments) != 1:
            count = "none" if not arguments else str(len(arguments))
            raise self.error(f"{shown} takes one argument (got {count})", opening.position)
        return arguments[0]

    def parse_implicit_argument(self) -> Node:
        argument = self.parse_unary()
        while self.starts_factor(self.token) and not self.is_function(self.token):
            argument = self.node(Binary("*", argument, self.parse_implicit_factor()))
        return argument

    # -- errors -------------------------------------------------------------------------------------------------------

    def raw(self, token: Token) -> str:
        """The token as typed (** rather than ^, − rather than -)."""
        return "**" if self.source.startswith("**", token.position) else self.source[token.position]

    def require_operand(self, op: Token) -> None:
        if self.token.kind == "end" or self.at_op(")", ",", "*", "/", "^"):
            where = "at the end" if self.token.kind == "end" else f"before '{self.raw(self.token)}'"
            raise self.error(f"'{self.raw(op)}' needs something after it ({where})", op.position)

    def unexpected(self) -> ExpressionError:
        token = self.token
        if token.kind == "end":
            return self.error("the formula ends too early")
        if token.kind == "sup":
            return self.error(f"superscript {token.text} needs something before it")
        if token.text == ")":
            return self.error("unmatched ')': there is no '(' before it")
        if token.text == ",":
            return self.error("unexpected ',': only a function call's parentheses can hold a list")
        if token.text == "^" and self.index > 0 and self.tokens[self.index - 1].kind == "sup":
            return self.error("a power cannot follow a superscript: use parentheses, as in (x²)^2")
        if token.text in "*/^":
            return self.error(f"'{self.raw(token)}' needs something before it")
        return self.error(f"unexpected '{self.raw(token)}'")

    def unknown_name(self, token: Token) -> ExpressionError:
        # The name has been consumed, so self.token is what follows it: a '(' makes it a call (foo(x), xsin(x)).
        if not self.suggest:
            suggestion = ""
        elif self.at_op("("):
            suggestion = _call_suggestion(token.text, self.parenthesized_text(), self.variables)
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


def _inverse_hint(name: str, shown: str) -> str:
    inverse = f"write a{name}(x) for the inverse function or " if f"a{name}" in FUNCTIONS else "write "
    return f"{inverse}1/{shown}(x) for the reciprocal, {shown}(x)^2 for a power"


def _known_names(variables: tuple[str, ...]) -> list[str]:
    return [*FUNCTIONS, *ALIASES, *CONSTANTS, *GREEK_LETTERS, *variables]


def _suggestion(name: str, variables: tuple[str, ...]) -> str:
    """' — did you mean ...?' for an unknown name that is not called, or ''."""
    if reading := _reading(name, "", variables):
        return reading
    close = difflib.get_close_matches(name, _known_names(variables), n=1, cutoff=0.75)
    if close:
        return f" — did you mean '{close[0]}'?"
    if split := re.fullmatch(r"([a-z]+?)(\d+)", name):
        letters, digits = split.groups()
        return f" — write {letters}^{digits} for a power or {digits}{letters} for a product"
    if name.isalpha() and len(name) <= 3:
        return f" — did you mean '{'*'.join(name)}'? Write products with * or spaces"
    return ""


def _call_suggestion(name: str, parenthesized: str, variables: tuple[str, ...]) -> str:
    """' — did you mean ...?' for an unknown name followed by '(': it was meant as a function, so never f*o*o."""
    if parenthesized and (reading := _reading(name, parenthesized, variables)):
        return reading
    functions = difflib.get_close_matches(name, [*FUNCTIONS, *ALIASES], n=3, cutoff=0.6)
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
    if parts is None or (parenthesized and parts[-1] not in FUNCTIONS and parts[-1] not in ALIASES):
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
