"""The limits in one place (derivlib/limits.py): settings from the environment, their checks, and the time budget."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import pytest
import torch

import derivlib
from derivlib import limits
from derivlib.limits import LIMITS, RECORDS, SETTINGS, Budget, Limits, Setting, TimeBudgetError, chunks, read

ROOT = Path(__file__).resolve().parent.parent
# Order 8 of a big nested formula: Taylor mode needs seconds for 10⁶ points, nested autograd minutes.
BIG = "+".join(f"sin(cos({k}x + exp(sin(x)/{k + 1})))*log(2 + cos(x^2))" for k in range(1, 9))
BUDGET = 0.5  # seconds
SLACK = 1.5  # seconds beyond the budget for the message to arrive (a chunk in flight, a busy machine)


def test_every_limit_has_a_setting_defaults_and_help():
    names = {field.name for field in fields(Limits)}
    assert set(RECORDS) == set(SETTINGS) == names and all(name == RECORDS[name].field for name in RECORDS)
    assert all(setting.help and setting.valid for setting in RECORDS.values())
    assert all(variable.startswith("DERIVLIB_") for variable in SETTINGS.values())
    assert len(set(SETTINGS.values())) == len(SETTINGS)


def test_defaults_are_lower_on_a_cpu_than_on_a_gpu():
    cpu, gpu = read({}, gpu=False), read({}, gpu=True)
    assert (cpu.points, cpu.grid_2d, cpu.order, cpu.methods) == (1_000_000, 1_000, 8, 4)
    for field in fields(Limits):
        assert getattr(cpu, field.name) <= getattr(gpu, field.name), field.name
    assert gpu.points > cpu.points and gpu.grid_2d > cpu.grid_2d and gpu.order == limits.MAX_ORDER


def test_the_library_takes_its_limits_from_here():
    """The library's constants come from here: the parser's, the engine's ceiling, the optimiser's time limit."""
    cpu = read({}, gpu=False)
    assert (cpu.formula_length, cpu.formula_nodes, cpu.parameter, cpu.fuse) == (500, 1_000, 10.0, True)
    from derivlib import engine, optimize

    parse = sys.modules["derivlib.parse"]  # derivlib.parse is the function
    assert (LIMITS.formula_length, LIMITS.formula_nodes) == (parse.MAX_LENGTH, parse.MAX_NODES)
    assert engine.MAX_ORDER == derivlib.MAX_ORDER == limits.MAX_ORDER
    assert LIMITS.time_budget == optimize.TIME_LIMIT


@pytest.mark.parametrize(
    ("environ", "name", "value"),
    [
        ({"DERIVLIB_MAX_POINTS": "5000"}, "points", 5000),
        ({"DERIVLIB_MAX_POINTS": " 5000 "}, "points", 5000),
        ({"DERIVLIB_MAX_POINTS": ""}, "points", 1_000_000),  # empty: the default
        ({"DERIVLIB_MAX_GRID_2D": "300"}, "grid_2d", 300),
        ({"DERIVLIB_MAX_ORDER": "4"}, "order", 4),
        ({"DERIVLIB_MAX_RANGE": "1e6"}, "range", 1e6),
        ({"DERIVLIB_MAX_RANGE": "inf"}, "range", math.inf),
        ({"DERIVLIB_MAX_PARAMETER": "100"}, "parameter", 100.0),
        ({"DERIVLIB_MAX_FORMULA_LENGTH": "200"}, "formula_length", 200),
        ({"DERIVLIB_MAX_FORMULA_NODES": "300"}, "formula_nodes", 300),
        ({"DERIVLIB_MAX_ITERATIONS": "500"}, "iterations", 500),
        ({"DERIVLIB_MAX_METHODS": "2"}, "methods", 2),
        ({"DERIVLIB_TIME_BUDGET": "2.5"}, "time_budget", 2.5),
        ({"DERIVLIB_FUSE": "0"}, "fuse", False),
        ({"DERIVLIB_FUSE": "off"}, "fuse", False),
        ({"DERIVLIB_FUSE": "TRUE"}, "fuse", True),
        ({"DERIVLIB_CACHE_ENTRIES": "4"}, "cache_entries", 4),
        ({"DERIVLIB_CACHE_BYTES": "512MB"}, "cache_bytes", 512 * 10**6),
        ({"DERIVLIB_CACHE_BYTES": "2GiB"}, "cache_bytes", 2 * 2**30),
        ({"DERIVLIB_CACHE_BYTES": "1000"}, "cache_bytes", 1000),
    ],
)
def test_a_setting_is_read_from_its_variable(environ, name, value):
    assert getattr(read(environ, gpu=False), name) == value


@pytest.mark.parametrize(
    ("variable", "text"),
    [
        ("DERIVLIB_MAX_POINTS", "lots"),
        ("DERIVLIB_MAX_POINTS", "1e6"),  # whole numbers are written as digits
        ("DERIVLIB_MAX_POINTS", "-5"),
        ("DERIVLIB_MAX_POINTS", "0"),
        ("DERIVLIB_MAX_POINTS", "１０００"),  # fullwidth digits
        ("DERIVLIB_MAX_ORDER", "11"),  # beyond the library's ceiling
        ("DERIVLIB_MAX_RANGE", "nan"),
        ("DERIVLIB_MAX_RANGE", "-1"),
        ("DERIVLIB_MAX_PARAMETER", "inf"),
        ("DERIVLIB_TIME_BUDGET", "0"),
        ("DERIVLIB_TIME_BUDGET", "soon"),
        ("DERIVLIB_FUSE", "maybe"),
        ("DERIVLIB_CACHE_BYTES", "1 lot"),
        ("DERIVLIB_CACHE_BYTES", "0"),
        ("DERIVLIB_MAX_FORMULA_LENGTH", "__import__('os')"),
    ],
)
def test_a_bad_setting_is_an_error_that_names_the_variable_and_what_is_valid(variable, text):
    with pytest.raises(ValueError, match=f"^{variable}=") as caught:
        read({variable: text})
    message = str(caught.value)
    assert repr(text) in message and "is not a valid setting" in message and "(default " in message
    assert "\n" not in message


def test_a_bad_setting_stops_the_start_naming_the_variable():
    """Read at import: the server does not start with a limit it cannot honour."""
    environ = {"DERIVLIB_MAX_POINTS": "a million", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import derivlib"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DERIVLIB_MAX_POINTS='a million' is not a valid setting" in result.stderr.splitlines()[-1]


def test_the_formula_limits_reach_the_parser():
    code = (
        "import derivlib\n"
        "derivlib.parse('x + ' * 4 + 'x')\n"
        "try:\n"
        "    derivlib.parse('x + ' * 5 + 'x')\n"
        "except derivlib.ExpressionError as error:\n"
        "    print(error.message)\n"
    )
    environ = {"DERIVLIB_MAX_FORMULA_LENGTH": "20", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "formula too long: 21 characters (at most 20)", result.stderr


# ---------------------------------------------------------------------------------------------------------------------
# A request against the limits: one line, naming the limit and its setting


CPU = read({}, gpu=False)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"points": 2_000_000}, "2,000,000 grid points are more than this server allows (at most 1,000,000: "),
        ({"grid_2d": 5_000}, "5,000 grid points per axis are more than this server allows (at most 1,000: "),
        ({"order": 9}, "order 9 is more than this server allows (at most 8: DERIVLIB_MAX_ORDER)"),
        ({"iterations": 10**6}, "1,000,000 iterations are more than this server allows (at most 20,000: "),
        ({"methods": 9}, "9 methods in one run are more than this server allows (at most 4: DERIVLIB_MAX_METHODS)"),
        ({"formula": "x+" * 300}, "the formula has 600 characters, more than this server allows (at most 500: "),
        ({"parameters": {"a": 1.0, "b": -11.0}}, "the parameter b = -11 is beyond this server's limit (|b| ≤ 10: "),
        ({"parameters": {"k": math.nan}}, "the parameter k = nan is beyond this server's limit"),
    ],
)
def test_a_request_beyond_a_limit_gets_one_line(request_, message):
    found = CPU.check(**request_)
    assert found.startswith(message) and "\n" not in found
    assert re.search(r"DERIVLIB_[A-Z_0-9]+\)$", found)


def test_a_range_beyond_the_limit_gets_one_line():
    small = read({"DERIVLIB_MAX_RANGE": "1000"}, gpu=False)
    assert small.check(ranges=[(-5, 5), (-1e4, 0)]) == (
        "the range -10000 … 0 reaches beyond this server's limit (|x| ≤ 1000: DERIVLIB_MAX_RANGE)"
    )
    assert CPU.check(ranges=[(-1e300, 1e300)]) == ""  # by default only the dtype's own range bounds it


def test_a_request_within_the_limits_passes():
    assert CPU.check(points=1_000_000, grid_2d=1_000, order=8, parameters={"a": -10.0}, formula="x" * 500) == ""
    assert CPU.check() == ""


def test_the_readme_table_is_the_limits_table():
    """The README's table of settings is generated from limits.table(): the same rows, in the same order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [f"| `{variable}` | {cpu} | {gpu} | {what} |" for variable, cpu, gpu, what in limits.table()]
    section = readme[readme.index("## Security") :]
    found = [line for line in section.splitlines() if line.startswith("| `DERIVLIB_")]
    assert found == rows, "regenerate the table: python -c 'from derivlib.limits import markdown; print(markdown())'"


# ---------------------------------------------------------------------------------------------------------------------
# The time budget: checked between chunks, and by autograd before an order that would end past it


def test_chunks_without_a_budget_are_the_chunk_size():
    assert list(chunks(10, 4)) == [(0, 4), (4, 8), (8, 10)]
    assert list(chunks(0, 4)) == []


def test_chunks_under_a_budget_cover_every_point_once():
    covered = [stop - start for start, stop in chunks(100_000, 2**16, Budget(60.0))]
    assert sum(covered) == 100_000 and covered[0] == limits.FIRST_CHUNK


@pytest.mark.parametrize("seconds", [0, -1, math.nan, "1", True])
def test_a_budget_must_be_a_positive_number(seconds):
    with pytest.raises(ValueError, match="time_budget must be a positive number of seconds"):
        derivlib.derivatives("x", [1.0], time_budget=seconds)


@pytest.mark.parametrize("method", ["taylor", "autograd"])
def test_order_8_of_a_big_nested_formula_on_a_million_points_ends_with_the_message(method):
    x = derivlib.grid(-3, 3, 10**6)
    derivlib.derivatives("sin(x)", [1.0], order=2, method=method)  # torch's first call is not the formula's cost
    began = time.monotonic()
    with pytest.raises(TimeBudgetError) as caught:
        derivlib.derivatives(BIG, x, order=8, method=method, time_budget=BUDGET)
    seconds = time.monotonic() - began
    assert seconds < BUDGET + SLACK, f"took {seconds:.2f} s"
    message = str(caught.value)
    assert message.startswith("the computation of order 8 on 1,000,000 points ran out of its time budget of 0.5 s (")
    assert message.endswith("): ask for fewer points or a lower order")
    assert isinstance(caught.value, ValueError)  # the pages and the command line show a ValueError's message


def test_a_pole_left_to_autograd_in_taylor_mode_is_within_the_budget():
    """Taylor mode hands points where a rule divided by zero to autograd, whose order 8 of a big formula takes
    minutes even at one point: the budget holds there too."""
    began = time.monotonic()
    with pytest.raises(TimeBudgetError, match="autograd reached order"):
        derivlib.derivatives(BIG + " + sqrt(x)", [0.0, 1.0], order=8, time_budget=BUDGET)
    assert time.monotonic() - began < BUDGET + SLACK


def test_the_partial_derivatives_of_a_big_grid_end_with_the_message():
    xs, ys = torch.meshgrid(torch.linspace(-3, 3, 1000), torch.linspace(-3, 3, 1000), indexing="xy")
    points = {"x": xs.reshape(-1).double(), "y": ys.reshape(-1).double()}
    formula = BIG.replace("cos(x^2)", "cos(x y)")
    began = time.monotonic()
    with pytest.raises(TimeBudgetError, match="partial derivatives to order 4 on 1,000,000 points ran out"):
        derivlib.partials(formula, points, order=4, time_budget=0.2)
    assert time.monotonic() - began < 0.2 + SLACK


def test_a_computation_within_its_budget_gives_the_same_numbers():
    x = derivlib.grid(-3, 3, 50_001)
    expected = derivlib.derivatives("sin(x)^2 exp(-x)", x, order=4)
    within = derivlib.derivatives("sin(x)^2 exp(-x)", x, order=4, time_budget=60)
    assert torch.equal(within, expected)
    table = derivlib.grid_table("x^2", 0, 1, 3, order=1, time_budget=60)
    assert table["d1"].tolist() == [0.0, 1.0, 2.0]
    surface = derivlib.surface_table("x y", (0, 1, 2), (0, 1, 2), order=1, time_budget=60)
    assert surface["f"].tolist() == [0.0, 0.0, 0.0, 1.0]


def test_a_setting_is_one_record_its_variable_default_reading_message_and_table_row_come_from(monkeypatch):
    """Change a limit's record alone: the environment is read with it, its message and the README's row follow."""
    changed = Setting(
        "methods", "DERIVLIB_MAX_METHODS", 3, 6, limits.whole(1, 9), "a whole number from 1 to 9", "methods at once"
    )
    monkeypatch.setitem(RECORDS, "methods", changed)
    assert read({}, gpu=False).methods == 3 and read({}, gpu=True).methods == 6
    assert read({"DERIVLIB_MAX_METHODS": "9"}, gpu=False).methods == 9
    with pytest.raises(
        ValueError, match=r"DERIVLIB_MAX_METHODS='10' is not a valid setting: a whole number from 1 to 9"
    ):
        read({"DERIVLIB_MAX_METHODS": "10"}, gpu=False)
    assert ("DERIVLIB_MAX_METHODS", "3", "6", "methods at once") in limits.table()
