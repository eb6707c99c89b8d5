"""Every limit on one request, in one place: read from the environment at start-up, with documented defaults.

A public dashboard takes text and numbers from strangers. Each of them may ask for at most what `Limits` allows; a
host changes a limit with the environment variable of its record (`Setting`, in `RECORDS`: variable, defaults on a
CPU and with a CUDA GPU, how its text is read, the README's line), and a value that is not a valid setting stops the
start with an error that names the variable. Defaults are lower on a CPU than where a CUDA GPU is present.

The library's own ceilings, which no setting raises, sit here too (`MAX_ORDER`, `MAX_DEPTH`, `MAX_OUTPUT_BYTES`).

>>> limits = read({"DERIVLIB_MAX_POINTS": "5000"}, gpu=False)
>>> limits.points, limits.order
(5000, 8)
>>> limits.check(points=10_000, order=2)
'10,000 grid points are more than this server allows (at most 5,000: DERIVLIB_MAX_POINTS)'
>>> read({"DERIVLIB_TIME_BUDGET": "soon"})
Traceback (most recent call last):
...
ValueError: DERIVLIB_TIME_BUDGET='soon' is not a valid setting: a positive number (default 30)
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, NoReturn

import torch

# The library's ceilings, whatever the settings say
MAX_ORDER = 10  # highest derivative order at all; reverse-over-reverse graphs grow about threefold per order
MAX_DEPTH = 64  # nesting of parentheses, signs and exponents: the parser recurses, and Python's stack is finite
MAX_TREE_DEPTH = 256  # levels of a formula's tree (a sum of 300 terms has 300): every walker of the tree recurses
MAX_OUTPUT_BYTES = 4 * 2**30  # bytes of one result, (order + 1) rows of the grid's size
FIRST_CHUNK = 2**10  # points of the first chunk under a time budget, which measures how fast the rest will go
CHUNK_SECONDS = 0.05  # of a time budget, the share one chunk may take: the budget is checked between chunks


class TimeBudgetError(ValueError):
    """A computation that ran past its time budget; the message says what ran out and what to ask for instead."""


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. Units: points, orders, seconds, bytes, characters, tree nodes."""

    points: int  # grid points of a one-variable grid
    grid_2d: int  # grid points per axis of a two-variable grid (the grid has this squared)
    order: int  # highest derivative order a page offers
    range: float  # largest |x| (or |y|) at a range's ends; inf: only the dtype's own range
    parameter: float  # largest |value| of a parameter (a, b, k …)
    formula_length: int  # characters of typed text
    formula_nodes: int  # nodes of a formula's tree (each is one array of the grid's size while evaluating)
    iterations: int  # iterations of one optimisation run
    methods: int  # methods compared in one optimisation run
    time_budget: float  # seconds one computation may take, checked between its chunks (and iterations)
    fuse: bool  # compile each formula's program in a background worker (needs a C++ compiler and a spare core)
    cache_entries: int  # results a page keeps per cached function, for the next visitor who asks the same
    cache_bytes: int  # bytes those results may take, per cached function

    def check(
        self,
        *,
        points: int | None = None,
        grid_2d: int | None = None,
        order: int | None = None,
        ranges: Sequence[tuple[float, float]] = (),
        parameters: Mapping[str, float] | None = None,
        formula: str | None = None,
        iterations: int | None = None,
        methods: int | None = None,
    ) -> str:
        """What in this request is beyond the limits, as one line ('' if nothing): the first thing found.

        >>> print(read({}, gpu=False).check(parameters={"a": 12.0}))
        the parameter a = 12 is beyond this server's limit (|a| ≤ 10: DERIVLIB_MAX_PARAMETER)
        """
        counts = [  # value asked for, its limit, how the sentence names it
            (points, "points", "{:,} grid points are"),
            (grid_2d, "grid_2d", "{:,} grid points per axis are"),
            (order, "order", "order {} is"),
            (iterations, "iterations", "{:,} iterations are"),
            (methods, "methods", "{} methods in one run are"),
        ]
        for value, name, what in counts:
            if value is not None and value > getattr(self, name):
                return (
                    f"{what.format(value)} more than this server allows "
                    f"(at most {getattr(self, name):,}: {SETTINGS[name]})"
                )
        if formula is not None and len(formula) > self.formula_length:
            return (
                f"the formula has {len(formula):,} characters, more than this server allows "
                f"(at most {self.formula_length:,}: {SETTINGS['formula_length']})"
            )
        for low, high in ranges:
            if not max(abs(low), abs(high)) <= self.range:  # NaN too
                return (
                    f"the range {low:g} … {high:g} reaches beyond this server's limit "
                    f"(|x| ≤ {self.range:g}: {SETTINGS['range']})"
                )
        for name, given in (parameters or {}).items():
            if not abs(given) <= self.parameter:  # NaN too
                return (
                    f"the parameter {name} = {given:g} is beyond this server's limit "
                    f"(|{name}| ≤ {self.parameter:g}: {SETTINGS['parameter']})"
                )
        return ""


_BYTES = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(?:([kmgt])(i)?)?b?", re.IGNORECASE)  # 1000000, 512MB, 1GiB
_SWITCH = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}


def _refuse() -> NoReturn:
    raise ValueError


def whole(low: int, high: int) -> Callable[[str], int]:
    """A setting's reader of whole numbers from low to high (digits only: no sign, no exponent)."""

    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]+", text) or not low <= int(text) <= high:
            _refuse()
        return int(text)

    return parse


def positive(inf_allowed: bool = False) -> Callable[[str], float]:
    """A setting's reader of positive numbers, finite unless `inf_allowed`."""

    def parse(text: str) -> float:
        amount = float(text)  # ValueError for text that is no number
        if not (amount > 0 and (math.isfinite(amount) or inf_allowed)):
            _refuse()
        return amount

    return parse


def _switch(text: str) -> bool:
    return _SWITCH[text.lower()] if text.lower() in _SWITCH else _refuse()


def _bytes(text: str) -> int:
    match = _BYTES.fullmatch(text)
    if not match:
        _refuse()
    number, prefix, binary = match.groups()
    power = " kmgt".index((prefix or " ").lower())
    value = int(float(number) * (2 ** (10 * power) if binary else 10 ** (3 * power)))
    return value if value >= 1 else _refuse()


def _shown_bytes(value: Any) -> str:
    return f"{value // 2**30}GiB" if value % 2**30 == 0 else f"{value:,}"


@dataclass(frozen=True)
class Setting:
    """One limit of a server: its field of Limits, its environment variable, its defaults on a CPU and where a CUDA
    GPU is present, how its text is read (ValueError for one that is not valid), what a valid one is in words, and
    its line in the README's table. Everything else (reading the environment, messages, the table) is derived."""

    field: str
    variable: str
    cpu: Any
    gpu: Any
    parse: Callable[[str], Any]
    valid: str
    help: str
    shown: Callable[[Any], str] = lambda value: f"{value:g}" if isinstance(value, float) else str(value)


def _whole_setting(field: str, variable: str, cpu: int, gpu: int, low: int, high: int, help: str) -> Setting:
    return Setting(field, variable, cpu, gpu, whole(low, high), f"a whole number from {low:,} to {high:,}", help)


RECORDS: dict[str, Setting] = {
    setting.field: setting
    for setting in (
        _whole_setting(
            "points", "DERIVLIB_MAX_POINTS", 1_000_000, 10_000_000, 2, 10**9, "grid points of a one-variable grid"
        ),
        _whole_setting(
            "grid_2d", "DERIVLIB_MAX_GRID_2D", 1_000, 3_000, 3, 10**5, "grid points per axis of a two-variable grid"
        ),
        # f, f′ and f″ at least: the pages' points of interest need f″
        _whole_setting("order", "DERIVLIB_MAX_ORDER", 8, MAX_ORDER, 2, MAX_ORDER, "highest derivative order"),
        Setting(
            "range",
            "DERIVLIB_MAX_RANGE",
            math.inf,
            math.inf,
            positive(inf_allowed=True),
            "a positive number, or inf",
            "largest absolute value of x (and y) at a range's ends; inf: any the dtype holds",
        ),
        Setting(
            "parameter",
            "DERIVLIB_MAX_PARAMETER",
            10.0,
            10.0,
            positive(),
            "a positive number",
            "largest absolute value of a parameter (the sliders' range)",
        ),
        _whole_setting(
            "formula_length", "DERIVLIB_MAX_FORMULA_LENGTH", 500, 500, 1, 100_000, "characters of a formula"
        ),
        _whole_setting(
            "formula_nodes", "DERIVLIB_MAX_FORMULA_NODES", 1_000, 1_000, 1, 1_000_000, "parts (tree nodes) of a formula"
        ),
        _whole_setting(
            "iterations", "DERIVLIB_MAX_ITERATIONS", 20_000, 20_000, 1, 10**8, "iterations of one optimisation run"
        ),
        _whole_setting("methods", "DERIVLIB_MAX_METHODS", 4, 8, 1, 100, "methods compared in one optimisation run"),
        Setting(
            "time_budget",
            "DERIVLIB_TIME_BUDGET",
            30.0,
            30.0,
            positive(),
            "a positive number",
            "seconds one computation may take (checked between chunks and iterations)",
        ),
        Setting(
            "fuse",
            "DERIVLIB_FUSE",
            True,
            True,
            _switch,
            "1 or 0 (true/false, on/off, yes/no)",
            "compile each formula's program in a background worker (0 to turn it off)",
            shown=lambda value: "1" if value else "0",
        ),
        _whole_setting(
            "cache_entries", "DERIVLIB_CACHE_ENTRIES", 16, 16, 1, 10_000, "results kept per cached function of a page"
        ),
        Setting(
            "cache_bytes",
            "DERIVLIB_CACHE_BYTES",
            2**30,
            2**30,
            _bytes,
            "a number of bytes, as 1000000, 512MB or 1GiB",
            "bytes those results may take per cached function (a number, or 512MB, 1GiB …)",
            shown=_shown_bytes,
        ),
    )
}
SETTINGS = {name: setting.variable for name, setting in RECORDS.items()}  # each limit's environment variable


def gpu_present() -> bool:
    return torch.cuda.is_available()


def read(environ: Mapping[str, str] | None = None, *, gpu: bool | None = None) -> Limits:
    """The limits from the environment (os.environ by default): each variable's value where set, else its default
    for a CPU or a GPU machine (`gpu`: whether a CUDA GPU is present, asked of torch by default). ValueError naming
    the variable for a value that is not a valid setting."""
    environ = os.environ if environ is None else environ
    gpu = gpu_present() if gpu is None else gpu
    values: dict[str, Any] = {}
    for field in fields(Limits):
        setting = RECORDS[field.name]
        text = environ.get(setting.variable, "").strip()
        values[field.name] = (setting.gpu if gpu else setting.cpu) if not text else _setting(setting, text)
    return Limits(**values)


def _setting(setting: Setting, text: str) -> Any:
    try:
        return setting.parse(text)
    except ValueError:
        cpu, gpu = setting.shown(setting.cpu), setting.shown(setting.gpu)
        default = cpu if cpu == gpu else f"{cpu} on a CPU, {gpu} on a GPU"
        raise ValueError(
            f"{setting.variable}={text!r} is not a valid setting: {setting.valid} (default {default})"
        ) from None


def table() -> list[tuple[str, ...]]:
    """The settings as rows (variable, default on a CPU, default on a GPU, what it limits), for the README."""
    return [(s.variable, s.shown(s.cpu), s.shown(s.gpu), s.help) for s in (RECORDS[f.name] for f in fields(Limits))]


def markdown() -> str:
    """The settings as the README's Markdown table."""
    lines = ["| variable | default on a CPU | default with a CUDA GPU | what it limits |", "|---|---|---|---|"]
    return "\n".join(lines + [f"| `{variable}` | {cpu} | {gpu} | {what} |" for variable, cpu, gpu, what in table()])


class Budget:
    """A computation's time budget: `seconds` from its creation; `what` names the computation in the message."""

    def __init__(self, seconds: float, what: str = "computation") -> None:
        if isinstance(seconds, bool) or not (isinstance(seconds, int | float) and seconds > 0):
            raise ValueError(f"time_budget must be a positive number of seconds, not {seconds!r}")
        self.seconds, self.what, self.began = float(seconds), what, time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def left(self) -> float:
        return self.seconds - self.elapsed()

    def spent(self, done: str) -> TimeBudgetError:
        """The error to raise: what ran out, how far it got (`done`), and what to ask for instead."""
        return TimeBudgetError(
            f"the {self.what} ran out of its time budget of {self.seconds:g} s ({done}): ask for fewer points or a "
            "lower order"
        )


def chunks(total: int, chunk_size: int, budget: Budget | None = None) -> Iterator[tuple[int, int]]:
    """(start, stop) of each chunk of `total` points; between chunks, the budget's TimeBudgetError once it is spent.

    Without a budget the chunks are `chunk_size` points each. With one, the first chunk is small (FIRST_CHUNK points)
    and each next one as many points as the speed so far fits into CHUNK_SECONDS of the budget (never more than
    `chunk_size`), so that the budget is checked often enough to end a slow computation soon after it runs out.
    The results do not depend on the chunks.

    >>> list(chunks(5, 2))
    [(0, 2), (2, 4), (4, 5)]
    """
    if budget is None:
        for start in range(0, total, chunk_size):
            yield start, min(start + chunk_size, total)
        return
    start, size = 0, min(chunk_size, FIRST_CHUNK)
    while start < total:
        stop = min(start + size, total)
        yield start, stop
        start = stop
        if start < total and budget.left() < 0:
            raise budget.spent(f"{start:,} of {total:,} points done")
        rate = start / max(budget.elapsed(), 1e-9)  # points per second so far
        size = max(16, min(chunk_size, int(rate * CHUNK_SECONDS * budget.seconds)))


LIMITS = read()  # at import: a setting that is not valid stops the start, naming its variable
