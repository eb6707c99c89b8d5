"""The command line: a table on stdout, and exit status 2 with a caret message (never a traceback) on bad input."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from derivlib.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m derivlib ARGS` in a real subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "derivlib", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def rows(text: str) -> list[dict[str, float]]:
    return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def test_the_tutorial_example_prints_its_derivatives_as_csv():
    result = run_cli("x^3 + sin(x)", "--at", "1,pi,5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "x,f,d1,d2"
    table = rows(result.stdout)
    assert [round(r["d1"], 4) for r in table] == [3.5403, 28.6088, 75.2837]
    assert [round(r["d2"], 4) for r in table] == [5.1585, 18.8496, 30.9589]
    assert table[1]["x"] == math.pi


def test_values_are_printed_with_round_trip_precision(capsys):
    assert main(["sin(x)", "--at", "1"]) == 0
    (row,) = rows(capsys.readouterr().out)
    assert row["f"] == math.sin(1.0)
    assert row["d1"] == math.cos(1.0)


def test_points_are_constant_formulas(capsys):
    assert main(["x", "--at", "2pi/3, 1e-3, -1/2", "--order", "0"]) == 0
    assert [r["x"] for r in rows(capsys.readouterr().out)] == [2 * math.pi / 3, 1e-3, -0.5]


def test_grid_gives_evenly_spaced_points_and_accepts_negative_formulas(capsys):
    assert main(["-x^2", "--grid", "-pi", "pi", "3", "--order", "1"]) == 0
    table = rows(capsys.readouterr().out)
    assert [r["x"] for r in table] == [-math.pi, 0.0, math.pi]
    assert [r["d1"] for r in table] == [2 * math.pi, 0.0, -2 * math.pi]


def test_parameters_take_values_that_are_formulas(capsys):
    assert main(["a*sin(b*x)", "--at", "0", "--param", "a=2", "b=1/2", "--order", "3"]) == 0
    (row,) = rows(capsys.readouterr().out)
    assert row["d1"] == 1.0  # a*b*cos(0)
    assert row["d3"] == -0.25  # -a*b^3*cos(0)


def test_order_sets_the_columns(capsys):
    assert main(["x^5", "--at", "1", "--order", "5"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "x,f,d1,d2,d3,d4,d5"
    assert rows(out)[0]["d5"] == 120.0


def test_json_output_uses_null_for_undefined_values(capsys):
    assert main(["log(x)", "--at", "-1,1", "--format", "json", "--order", "1"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records == [{"x": -1.0, "f": None, "d1": None}, {"x": 1.0, "f": 0.0, "d1": 1.0}]


def test_float32_output(capsys):
    assert main(["x^2", "--at", "0.1", "--dtype", "float32", "--order", "1"]) == 0
    (row,) = rows(capsys.readouterr().out)
    assert row["d1"] == pytest.approx(0.2, rel=1e-7)


def test_the_formula_can_come_from_standard_input():
    result = run_cli("-", "--at", "0,1", stdin="-x^2 + 1\n")
    assert result.returncode == 0, result.stderr
    assert [r["f"] for r in rows(result.stdout)] == [1.0, 0.0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["sin(x", "--at", "1"], "unclosed '('", id="bad-formula"),
        pytest.param(["sinn(x)", "--at", "1"], "did you mean 'sin'?", id="unknown-name"),
        pytest.param(["x", "--at", "1,x"], "cannot depend on x", id="point-depends-on-x"),
        pytest.param(["x", "--at", "1,,2"], "empty item", id="empty-point"),
        pytest.param(["x", "--grid", "1", "0", "3"], "from a smaller to a larger", id="reversed-range"),
        pytest.param(["x", "--grid", "0", "1", "0"], "empty", id="empty-grid"),
        pytest.param(["x", "--grid", "0", "1", "2.5"], "whole number", id="fractional-grid"),
        pytest.param(["x", "--grid", "0", "1e999", "3"], "too large", id="infinite-range"),
        pytest.param(["sin(x)", "--grid", "-1e308", "1e308", "200"], "too wide", id="range-width-overflows"),
        pytest.param(["x", "--grid", "0", "1e39", "3", "--dtype", "float32"], "beyond float32", id="float32-range"),
        pytest.param(["x", "--grid", "0", "1", "1e12"], "budget", id="grid-too-large"),
        pytest.param(["x", "--at", "1", "--order", "-1"], "order", id="negative-order"),
        pytest.param(["x", "--at", "1", "--order", "99"], "order", id="order-too-high"),
        pytest.param(["x", "--at", "1", "--device", "tpu"], "unknown device", id="unknown-device"),
        pytest.param(["a*x", "--at", "1"], "parameter 'a' needs a value", id="parameter-without-value"),
        pytest.param(["x", "--at", "1", "--param", "a=1"], "no parameter 'a'", id="unknown-parameter"),
        pytest.param(["a*x", "--at", "1", "--param", "a"], "NAME=VALUE", id="parameter-without-equals"),
        pytest.param(["a*x", "--at", "1", "--param", "a=sin("], "--param a=sin(", id="bad-parameter-value"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(args, message, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_a_formula_error_shows_a_caret_under_the_problem(capsys):
    assert main(["x + $", "--at", "1"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[1] == "  x + $"
    assert lines[2] == "      ^"


def test_bad_input_in_a_real_process_exits_2_without_traceback():
    result = run_cli("sin(x, x)", "--at", "1")
    assert result.returncode == 2
    assert "sin takes one argument" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_range_too_wide_for_floats_exits_2_instead_of_printing_inf_and_nan():
    result = run_cli("sin(x)", "--grid", "-1e308", "1e308", "200")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: the range -1e+308 … 1e+308 is too wide: its width overflows float64, whose largest number is 1.8e+308\n"
    )


def test_usage_errors_exit_2():
    result = run_cli("x")  # neither --at nor --grid
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
