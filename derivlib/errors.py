"""The one error derivlib raises for bad formula text: it knows where the problem is."""

from __future__ import annotations

from dataclasses import dataclass

CONTEXT = 30  # characters shown on each side of the caret when the text is long


@dataclass(eq=False)  # identity semantics, as for any exception
class ExpressionError(ValueError):
    """A formula that cannot be accepted, with the 0-based character position of the problem.

    >>> print(ExpressionError("unknown function or name 'sinn' — did you mean 'sin'? Or 'sinh'?", "sinn(x)", 0))
    unknown function or name 'sinn' — did you mean 'sin'? Or 'sinh'?
      sinn(x)
      ^

    Blank text has nothing to point at, so it is the message alone:

    >>> print(ExpressionError("empty formula: type one, for example x^3 + sin(x)", "  ", 0))
    empty formula: type one, for example x^3 + sin(x)
    """

    message: str
    source: str
    position: int = 0  # 0-based, in characters of `source`

    def __post_init__(self) -> None:
        super().__init__(self.message)
        self.position = max(0, min(self.position, len(self.source)))

    def __reduce__(self):  # pickle with all three fields, not only the message in `args`
        return (type(self), (self.message, self.source, self.position))

    def excerpt(self) -> tuple[str, int]:
        """The line to show under the message and the caret's column in it.

        Long text is cut to a window around the position, and tabs and newlines become spaces so that the caret
        stays aligned.
        """
        text = "".join(ch if ch.isprintable() else " " for ch in self.source)  # keeps the caret in line
        start = max(0, self.position - CONTEXT)
        end = min(len(text), self.position + CONTEXT)
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        return prefix + text[start:end] + suffix, len(prefix) + self.position - start

    def __str__(self) -> str:
        if not self.source.strip():  # a caret under an empty line would point at nothing
            return self.message
        line, column = self.excerpt()
        return f"{self.message}\n  {line}\n  {' ' * column}^"
