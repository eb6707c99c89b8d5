"""Every record of derivlib/functions.py, checked whole: a record cannot be half-written.

For each function: its derivatives of orders 0–4 in both engines against sympy's derivatives of the record's own
sympy form (40 digits), at random points where its test row (function_rows.py) says it is smooth, of x and of a
composed argument; its PyTorch source (the lab's) against its torch function; its domain rules against the points
where it is undefined; and its line in the README's table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch
from function_rows import ROWS

import derivlib
from derivlib.engine import METHODS
from derivlib.functions import ALIASES, FUNCTIONS, RECORDS, names_in_words, table
from derivlib.lab import torch_source
from derivlib.symbolic import SYMPY_FUNCTIONS, to_torch
from derivlib.undefined import causes

ORDER = 4
POINTS = 9  # random points per record and argument
DIGITS = 40
RTOL = 1e-10  # relative to the largest value of that order over the points (the rounding of its terms)
X = sympy.Symbol("x", real=True)
README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_record_has_its_test_row():
    assert ROWS.keys() == FUNCTIONS.keys()


def test_names_and_aliases_are_unique():
    names = [record.name for record in RECORDS] + [alias for record in RECORDS for alias in record.aliases]
    assert len(names) == len(set(names))
    assert all(alias not in FUNCTIONS for alias in ALIASES)


def argument_texts(name: str) -> list[tuple[str, np.ndarray]]:
    """The argument as typed and the points: x itself, and a curve that keeps inside the smooth interval."""
    low, high = ROWS[name].interval
    middle, reach = (low + high) / 2, 0.4 * (high - low)
    rng = np.random.default_rng(sum(map(ord, name)))  # the same points on every run
    x = np.sort(rng.uniform(low, high, POINTS))
    wide = np.sort(rng.uniform(-3, 3, POINTS))
    return [("x", x), (f"{middle!r} + {reach!r}*sin(x)", wide)]


def reference_rows(text: str, x: np.ndarray) -> np.ndarray:
    """sympy's derivatives of the formula (built from derivlib's tree, i.e. from the record's sympy form)."""
    expr = derivlib.parse(text).to_sympy().doit()
    rows = [expr]
    for _ in range(ORDER):
        rows.append(sympy.diff(rows[-1], X))
    return np.array([[float(row.xreplace({X: sympy.Float(p, DIGITS)}).evalf(DIGITS)) for p in x] for row in rows])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_agrees_with_sympy_to_order_four(name, method):
    for argument, x in argument_texts(name):
        text = f"{name}({argument})"
        expected = reference_rows(text, x)
        computed = derivlib.derivatives(text, x, order=ORDER, method=method).numpy()
        scale = np.maximum(np.abs(expected).max(axis=1, keepdims=True), 1.0)
        np.testing.assert_allclose(computed / scale, expected / scale, rtol=0, atol=RTOL, err_msg=text)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_row_zero_is_its_torch_function(name):
    x = torch.tensor(np.linspace(*ROWS[name].interval, 17), dtype=torch.float64)
    record = FUNCTIONS[name]
    for method in METHODS:
        f = derivlib.derivatives(f"{name}(x)", x, order=2, method=method)[0]
        assert torch.equal(f, record.torch(x)), method


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_code_computes_what_derivlib_computes(name):
    """The lab's PyTorch source for the function, run on the points, gives derivlib's numbers to the last bit."""
    record = FUNCTIONS[name]
    source = torch_source(f"{name}(x)")
    namespace = {"torch": torch, "x": torch.tensor(np.linspace(*ROWS[name].interval, 17), dtype=torch.float64)}
    if record.helper:
        exec(record.helper, namespace)
    assert torch.equal(eval(source, namespace), record.torch(namespace["x"])), source


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_record_sympy_form_evaluates_back_to_its_torch_function(name):
    """The symbolic check's walker (derived from the records) evaluates the record's sympy form as derivlib does."""
    record = FUNCTIONS[name]
    x = torch.tensor(np.linspace(*ROWS[name].interval, 7), dtype=torch.float64)
    expr = record.sympy(sympy, X)
    assert torch.allclose(to_torch(expr, {"x": x}, like=x), record.torch(x), rtol=1e-14, atol=0)
    built = type(expr)
    if isinstance(expr, sympy.Function):
        assert SYMPY_FUNCTIONS[built] is record.torch


@pytest.mark.parametrize("name", sorted(name for name, row in ROWS.items() if row.outside is not None))
def test_every_record_says_why_it_is_undefined_outside_its_domain(name):
    record = FUNCTIONS[name]
    (point,) = ROWS[name].outside
    x = np.array([point])
    expr = derivlib.parse(f"{name}(x)")
    found = causes(expr, x, derivlib.derivatives(expr, x, order=0)[0])
    reasons = {reason for _, reason in record.domain}
    assert [cause.reason for cause in found] and {cause.reason for cause in found} <= reasons, found


def test_a_record_without_domain_rules_is_defined_on_its_interval():
    for name, row in ROWS.items():
        values = FUNCTIONS[name].torch(torch.tensor(np.linspace(*row.interval, 33), dtype=torch.float64))
        assert torch.isfinite(values).all(), name


def test_the_readme_lists_every_function_from_the_records():
    assert table() in README.read_text()


def test_the_page_help_names_every_function():
    assert all(record.name in names_in_words() for record in RECORDS)
    assert math.isfinite(len(names_in_words()))
