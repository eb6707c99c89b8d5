"""Every limit on one request, in one place: read from the environment at start-up, with documented defaults.

A public dashboard takes text and numbers from strangers. Each of them may ask for at most what `Limits` allows; a
host changes a limit with the environment variable named beside it (`SETTINGS`), and a value that is not a valid
setting stops the start with an error that names the variable. Defaults are lower where the computation runs on a
CPU than where a CUDA GPU is present (`DEFAULTS`: (CPU, GPU)).

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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, NoReturn

import torch

# The library's ceilings, whatever the settings say
MAX_ORDER = 10  # highest derivative order at all; reverse-over-reverse graphs grow about threefold per order
MAX_DEPTH = 64  # nesting of parentheses, signs and exponents: the parser recurses, and Python's stack is finite
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


# Each limit's environment variable, its defaults (CPU, GPU) and what a valid setting is.
SETTINGS = {
    "points": "DERIVLIB_MAX_POINTS",
    "grid_2d": "DERIVLIB_MAX_GRID_2D",
    "order": "DERIVLIB_MAX_ORDER",
    "range": "DERIVLIB_MAX_RANGE",
    "parameter": "DERIVLIB_MAX_PARAMETER",
    "formula_length": "DERIVLIB_MAX_FORMULA_LENGTH",
    "formula_nodes": "DERIVLIB_MAX_FORMULA_NODES",
    "iterations": "DERIVLIB_MAX_ITERATIONS",
    "methods": "DERIVLIB_MAX_METHODS",
    "time_budget": "DERIVLIB_TIME_BUDGET",
    "fuse": "DERIVLIB_FUSE",
    "cache_entries": "DERIVLIB_CACHE_ENTRIES",
    "cache_bytes": "DERIVLIB_CACHE_BYTES",
}
DEFAULTS: dict[str, tuple[object, object]] = {  # (on a CPU, where a CUDA GPU is present)
    "points": (1_000_000, 10_000_000),
    "grid_2d": (1_000, 3_000),
    "order": (8, MAX_ORDER),
    "range": (math.inf, math.inf),
    "parameter": (10.0, 10.0),
    "formula_length": (500, 500),
    "formula_nodes": (1_000, 1_000),
    "iterations": (20_000, 20_000),
    "methods": (4, 8),
    "time_budget": (30.0, 30.0),
    "fuse": (True, True),
    "cache_entries": (16, 16),
    "cache_bytes": (2**30, 2**30),
}
WHOLE = {  # the whole-number settings and their smallest and largest valid values
    "points": (2, 10**9),
    "grid_2d": (3, 10**5),
    "order": (2, MAX_ORDER),  # f, f′ and f″ at least: the pages' points of interest need f″
    "formula_length": (1, 100_000),
    "formula_nodes": (1, 1_000_000),
    "iterations": (1, 10**8),
    "methods": (1, 100),
    "cache_entries": (1, 10_000),
}
HELP = {  # one line per setting for the README's table
    "points": "grid points of a one-variable grid",
    "grid_2d": "grid points per axis of a two-variable grid",
    "order": "highest derivative order",
    "range": "largest absolute value of x (and y) at a range's ends; inf: any the dtype holds",
    "parameter": "largest absolute value of a parameter (the sliders' range)",
    "formula_length": "characters of a formula",
    "formula_nodes": "parts (tree nodes) of a formula",
    "iterations": "iterations of one optimisation run",
    "methods": "methods compared in one optimisation run",
    "time_budget": "seconds one computation may take (checked between chunks and iterations)",
    "fuse": "compile each formula's program in a background worker (0 to turn it off)",
    "cache_entries": "results kept per cached function of a page",
    "cache_bytes": "bytes those results may take per cached function (a number, or 512MB, 1GiB …)",
}
_BYTES = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(?:([kmgt])(i)?)?b?", re.IGNORECASE)  # 1000000, 512MB, 1GiB
_SWITCH = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False}


def gpu_present() -> bool:
    return torch.cuda.is_available()


def read(environ: Mapping[str, str] | None = None, *, gpu: bool | None = None) -> Limits:
    """The limits from the environment (os.environ by default): each variable's value where set, else its default
    for a CPU or a GPU machine (`gpu`: whether a CUDA GPU is present, asked of torch by default). ValueError naming
    the variable for a value that is not a valid setting."""
    environ = os.environ if environ is None else environ
    gpu = gpu_present() if gpu is None else gpu
    values: dict[str, Any] = {}  # each of Limits' fields: an int, a float or a bool
    for field in fields(Limits):
        name = field.name
        default = DEFAULTS[name][1 if gpu else 0]
        text = environ.get(SETTINGS[name], "").strip()
        values[name] = default if not text else _setting(name, text, gpu)
    return Limits(**values)


def _setting(name: str, text: str, gpu: bool) -> object:
    try:
        return _parse_setting(name, text)
    except ValueError:
        cpu_default, gpu_default = (_shown(name, value) for value in DEFAULTS[name])
        default = cpu_default if cpu_default == gpu_default else f"{cpu_default} on a CPU, {gpu_default} on a GPU"
        raise ValueError(
            f"{SETTINGS[name]}={text!r} is not a valid setting: {_valid(name)} (default {default})"
        ) from None


def _parse_setting(name: str, text: str) -> object:
    if name == "fuse":
        return _SWITCH[text.lower()] if text.lower() in _SWITCH else _refuse()
    if name == "cache_bytes":
        match = _BYTES.fullmatch(text)
        if not match:
            _refuse()
        number, prefix, binary = match.groups()
        power = " kmgt".index((prefix or " ").lower())
        value = int(float(number) * (2 ** (10 * power) if binary else 10 ** (3 * power)))
        return value if value >= 1 else _refuse()
    if name in WHOLE:
        if not re.fullmatch(r"[0-9]+", text):
            _refuse()
        low, high = WHOLE[name]
        value = int(text)
        return value if low <= value <= high else _refuse()
    amount = float(text)  # ValueError for text that is no number
    if not (amount > 0 and (math.isfinite(amount) or name == "range")):
        _refuse()
    return amount


def _refuse() -> NoReturn:
    raise ValueError


def _valid(name: str) -> str:
    if name == "fuse":
        return "1 or 0 (true/false, on/off, yes/no)"
    if name == "cache_bytes":
        return "a number of bytes, as 1000000, 512MB or 1GiB"
    if name in WHOLE:
        low, high = WHOLE[name]
        return f"a whole number from {low:,} to {high:,}"
    return "a positive number, or inf" if name == "range" else "a positive number"


def _shown(name: str, value: Any) -> str:
    if name == "fuse":
        return "1" if value else "0"
    if name == "cache_bytes":
        return f"{value // 2**30}GiB" if value % 2**30 == 0 else f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def table() -> list[tuple[str, ...]]:
    """The settings as rows (variable, default on a CPU, default on a GPU, what it limits), for the README."""
    return [
        (SETTINGS[f.name], *(_shown(f.name, value) for value in DEFAULTS[f.name]), HELP[f.name]) for f in fields(Limits)
    ]


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
