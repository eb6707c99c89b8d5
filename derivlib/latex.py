"""Long formulas in LaTeX broken into lines that fit a column: f″ of max(sin x, cos x) or f‴ of exp(−x²)·cos 5x
run to a hundred characters on one line, and KaTeX never breaks a displayed formula by itself.

>>> print(lines("f(x) = a + b", width=80))
f(x) = a + b
>>> print(lines("f(x) = aaaa + bbbb - cccc", width=14))
\\begin{aligned} f(x) &= aaaa + bbbb \\\\ &\\quad - cccc \\end{aligned}
>>> print(lines(r"g = \\left(aaaa + bbbb\\right) e^{x}", width=10))
\\begin{aligned} g &= \\Bigl(aaaa \\\\ &\\quad + bbbb\\Bigr) e^{x} \\end{aligned}
"""

from __future__ import annotations

import re

WIDTH = 30  # visible characters per line: what a phone holds (a laptop's formula column holds more; two lines there
# read as well as one)

_COMMAND = re.compile(r"\\[a-zA-Z]+")
_SILENT = {"\\frac", "\\left", "\\right", "\\Bigl", "\\Bigr", "\\quad", "\\cdot"}  # no width of their own (about)
_OPENING = "{(["
_CLOSING = "})]"


def lines(latex: str, width: int = WIDTH) -> str:
    """`name = terms` in LaTeX as an aligned block of lines of about `width` visible characters each, broken before
    a + or − between terms, never inside braces; where the whole right side is one product with a stretched
    bracket, inside that bracket (made a fixed \\Bigl( … \\Bigr), which may span lines). The text itself where it
    fits on one line or has no place to break."""
    name, equals, right = latex.partition(" = ")
    if not equals or visible(latex) <= width:
        return latex
    terms = _terms(right)
    if len(terms) < 2:
        terms = _terms(_fixed_outer_brackets(right))
    if len(terms) < 2:
        return latex
    rows, row, room = [], terms[0], width - visible(name) - 1  # the first line holds the name too …
    for term in terms[1:]:
        if visible(row) + visible(term) > room:
            rows.append(row)
            row, room = term.lstrip(), width - 3  # … the others an indent ("\quad")
        else:
            row += term
    rows.append(row)
    if len(rows) < 2:
        return latex
    body = f"{name} &= {rows[0]}" + "".join(f" \\\\ &\\quad {row}" for row in rows[1:])
    return f"\\begin{{aligned}} {body} \\end{{aligned}}"


def visible(latex: str) -> int:
    """About how many characters wide a formula shows: function names by their letters, any other command (a Greek
    letter, a root) as one, a fraction as its wider part, nothing for brackets' sizes, braces, powers and spaces."""
    start = latex.find("\\frac{")
    if start >= 0:
        numerator_end = _group_end(latex, start + 5)
        denominator_end = _group_end(latex, numerator_end + 1)
        parts = latex[start + 6 : numerator_end], latex[numerator_end + 2 : denominator_end]
        return visible(latex[:start]) + max(map(visible, parts)) + visible(latex[denominator_end + 1 :])
    text = _COMMAND.sub(lambda m: "" if m.group() in _SILENT else m.group()[1:] if len(m.group()) == 4 else "x", latex)
    return len(re.sub(r"[{}^_ ]", "", text))


def _group_end(latex: str, i: int) -> int:
    """The index of the brace that closes the group opened at latex[i] (the end of the text if none does)."""
    depth = 0
    for j in range(i, len(latex)):
        depth += (latex[j] == "{") - (latex[j] == "}")
        if depth == 0 and latex[j] == "}" and latex[j - 1] != "\\":
            return j
    return len(latex) - 1


def _fixed_outer_brackets(latex: str) -> str:
    """Every \\left( … \\right) that is not inside another group made \\Bigl( … \\Bigr): its lines may then break
    inside it (a \\left … \\right pair must stay on one line)."""
    out, depth, i = [], 0, 0
    opened: list[bool] = []  # per open \left: whether it was made fixed
    while i < len(latex):
        for command, step in (("\\left", 1), ("\\right", -1)):
            if latex.startswith(command, i) and latex[i + len(command) : i + len(command) + 1] in "()":
                if step == 1:
                    opened.append(depth == 0)
                    out.append("\\Bigl" if depth == 0 else command)
                    depth += 1
                else:
                    depth -= 1
                    out.append("\\Bigr" if opened.pop() else command)
                i += len(command)
                break
        else:
            character = latex[i]
            depth += (character == "{") - (character == "}")
            out.append(character)
            i += 1
    return "".join(out)


def _terms(latex: str) -> list[str]:
    """The text split before each " + " or " - " outside every group (or inside a fixed \\Bigl( … \\Bigr) bracket
    only): each piece but the first starts with its sign."""
    pieces: list[str] = []
    groups: list[str] = []
    start = i = 0
    while i < len(latex):
        if latex.startswith(("\\left", "\\right"), i):
            right = latex.startswith("\\right", i)
            groups.pop() if right and groups else groups.append("left") if not right else None
            i += 6 if right else 5
            i += 1 if i < len(latex) and latex[i] in "()[]|." else 0  # the bracket itself
            continue
        if latex.startswith(("\\Bigl(", "\\Bigr)"), i):
            groups.pop() if latex[i + 4] == "r" and groups else groups.append("fixed") if latex[i + 4] == "l" else None
            i += 6
            continue
        character = latex[i]
        if character == "\\":  # a command, or an escaped character
            command = _COMMAND.match(latex, i)
            i += len(command.group()) if command else 2
            continue
        if character in _OPENING:
            groups.append(character)
        elif character in _CLOSING and groups:
            groups.pop()
        elif all(g == "fixed" for g in groups) and latex.startswith((" + ", " - "), i - 1) and i - 1 > start:
            pieces.append(latex[start : i - 1])
            start = i - 1
        i += 1
    pieces.append(latex[start:])
    return pieces
