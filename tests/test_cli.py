"""The command line: a table on stdout, and exit status 2 with a caret message (never a traceback) on bad input."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize

import derivlib
from derivlib import cli, critical, many, optimize
from derivlib.cli import main
from derivlib.partials import surface_grid

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str = "", python: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """`python -m derivlib ARGS` in a real subprocess, as a user would run it (`python`: the interpreter's options)."""
    return subprocess.run(
        [sys.executable, *python, "-m", "derivlib", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
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


# ---------------------------------------------------------------------------------------------------------------------
# Several variables: --variables x,y, points with --at "x,y; x,y" or a grid with --grid-x and --grid-y


def x2y_sin_y(x: float, y: float) -> dict[str, float]:
    """x²y + sin y and its partial derivatives, worked out by hand."""
    return {
        "f": x * x * y + math.sin(y),
        "fx": 2 * x * y,
        "fy": x * x + math.cos(y),
        "fxx": 2 * y,
        "fxy": 2 * x,
        "fyy": -math.sin(y),
    }


def himmelblau(x: float, y: float) -> dict[str, float]:
    a, b = x * x + y - 11, x + y * y - 7
    return {
        "f": a * a + b * b,
        "fx": 4 * x * a + 2 * b,
        "fy": 2 * a + 4 * y * b,
        "fxx": 12 * x * x + 4 * y - 42,
        "fxy": 4 * x + 4 * y,
        "fyy": 12 * y * y + 4 * x - 26,
    }


HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def assert_rows_match(table: list[dict[str, float]], closed_form) -> None:
    for row in table:
        expected = closed_form(row["x"], row["y"])
        for name, value in expected.items():
            assert value == pytest.approx(row[name], rel=1e-14, abs=1e-14), (row["x"], row["y"], name)


def test_several_variables_in_a_real_process_print_every_partial_derivative_without_pandas():
    """A 3 × 2 grid of Himmelblau's function: x varies fastest, the values are the closed form's, and the command
    line's path does not import pandas (-X importtime lists every module imported)."""
    grid = ["--grid-x", "-3", "3", "3", "--grid-y", "-1/2", "2", "2"]
    result = run_cli(HIMMELBLAU, "--variables", "x,y", *grid, python=["-X", "importtime"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "x,y,f,fx,fy,fxx,fxy,fyy"
    table = rows(result.stdout)
    assert [(r["x"], r["y"]) for r in table] == [(-3, -0.5), (0, -0.5), (3, -0.5), (-3, 2), (0, 2), (3, 2)]
    assert_rows_match(table, himmelblau)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import")}
    assert "torch" in imported
    assert not {"pandas", "sympy"} & imported


def test_points_are_rows_separated_by_semicolons_each_value_a_constant_formula(capsys):
    assert main(["x^2 y + sin(y)", "--variables", "x,y", "--at", "1, 2; 0.5,-pi; -3/2, 1e-3"]) == 0
    table = rows(capsys.readouterr().out)
    assert [(r["x"], r["y"]) for r in table] == [(1, 2), (0.5, -math.pi), (-1.5, 1e-3)]
    assert_rows_match(table, x2y_sin_y)


def test_several_variables_are_printed_with_round_trip_precision(capsys):
    """Every number reads back as the very float derivlib computed."""
    assert main(["sin(x) cos(y) + exp(-(x^2 + y^2)/4) log(1 + x^2)", "--variables", "x,y", "--at", "0.3,1.7"]) == 0
    (row,) = rows(capsys.readouterr().out)
    expected = derivlib.partials("sin(x) cos(y) + exp(-(x^2 + y^2)/4) log(1 + x^2)", {"x": [0.3], "y": [1.7]})
    assert row == {"x": 0.3, "y": 1.7, **{name: float(values[0]) for name, values in expected.items()}}
    g = math.exp(-(0.3**2 + 1.7**2) / 4)
    assert row["fy"] == pytest.approx(-math.sin(0.3) * math.sin(1.7) - 1.7 / 2 * g * math.log(1 + 0.3**2), rel=1e-14)


def test_the_grid_varies_x_fastest_as_surface_table_does(capsys):
    assert main([HIMMELBLAU, "--variables", "x,y", "--grid-x", "-5", "5", "4", "--grid-y", "-pi", "2pi", "3"]) == 0
    table = rows(capsys.readouterr().out)
    xs, ys = surface_grid((-5, 5, 4), (-math.pi, 2 * math.pi, 3))
    assert [r["x"] for r in table] == xs.tolist()
    assert [r["y"] for r in table] == ys.tolist()
    assert_rows_match(table, himmelblau)


def test_the_order_sets_the_partial_derivatives(capsys):
    assert main(["x^3 y^2", "--variables", "x,y", "--at", "2,3", "--order", "3"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "x,y,f,fx,fy,fxx,fxy,fyy,fxxx,fxxy,fxyy,fyyy"
    (row,) = rows(out)
    third = [6 * 3**2, 12 * 2 * 3, 6 * 2**2, 0]  # 6xy², 12xy, 6x², 0
    assert [row[name] for name in ("fxxx", "fxxy", "fxyy", "fyyy")] == pytest.approx(third, rel=1e-14)
    assert main(["x^3 y^2", "--variables", "x,y", "--at", "2,3", "--order", "0"]) == 0
    assert capsys.readouterr().out == "x,y,f\n2,3,72\n"


def test_variables_may_have_any_name_and_the_grid_options_follow_them(capsys):
    grid = ["--grid-u", "0", "1", "2", "--grid-v", "-1", "1", "2"]
    assert main(["a u v^2", "--variables", "U,v", *grid, "--param", "a=3", "--order", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "u,v,f,fu,fv"
    assert [(r["u"], r["v"], r["f"], r["fu"], r["fv"]) for r in rows(out)] == [
        (0, -1, 0, 3, 0),
        (1, -1, 3, 3, -6),
        (0, 1, 0, 3, 0),
        (1, 1, 3, 3, 6),
    ]


def test_one_named_variable_takes_its_points_as_the_one_variable_command_does(capsys):
    assert main(["t^3", "--variables", "t", "--at", "1, 2,3"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "t,f,ft,ftt"
    assert [(r["t"], r["ft"], r["ftt"]) for r in rows(out)] == [(1, 3, 6), (2, 12, 12), (3, 27, 18)]


def test_several_variables_as_json_use_null_where_f_is_undefined(capsys):
    assert main(["log(x y)", "--variables", "x,y", "--at", "-1,1; 2,1/2", "--format", "json", "--order", "1"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records == [
        {"x": -1.0, "y": 1.0, "f": None, "fx": None, "fy": None},
        {"x": 2.0, "y": 0.5, "f": 0.0, "fx": 0.5, "fy": 2.0},
    ]


def test_several_variables_in_float32(capsys):
    assert main(["x y^2", "--variables", "x,y", "--at", "0.1,3", "--dtype", "float32", "--order", "1"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("0.1,3,")  # float32's shortest form, which reads back as float32's 0.1
    (row,) = rows(out)
    assert row["fy"] == pytest.approx(0.6, rel=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["x y", "--variables", "x,2a", "--at", "1,2"], "'2a' is not a name", id="variable-not-a-name"),
        pytest.param(["x y", "--variables", "x,", "--at", "1,2"], "empty name", id="empty-variable"),
        pytest.param(["x y", "--variables", "x,y z", "--at", "1,2"], "'y z' is not a name", id="space-in-name"),
        pytest.param(["x y", "--variables", "x,sin", "--at", "1,2"], "'sin' is a function's name", id="function"),
        pytest.param(["x y", "--variables", "x,pi", "--at", "1,2"], "'pi' is a constant", id="constant"),
        pytest.param(["x y", "--variables", "x,f", "--at", "1,2"], "'f' names the formula's", id="named-f"),
        pytest.param(["x y", "--variables", "x,X", "--at", "1,2"], "'x' is named twice", id="duplicate"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,2; 3"], "needs 2 values", id="short-point"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,2,3"], "this one has 3", id="long-point"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,2;"], "empty point", id="empty-point"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,y"], "'y' has no value", id="point-depends-on-y"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,sin("], "ends too early", id="bad-point"),
        pytest.param(["x y", "--variables", "x,y", "--grid-x", "0", "1", "3"], "no --grid-y", id="grid-for-x-only"),
        pytest.param(["x y", "--variables", "x,y", "--grid-y", "0", "1", "3"], "no --grid-x", id="grid-for-y-only"),
        pytest.param(["x y", "--variables", "x,y", "--grid", "0", "1", "3"], "--grid is for one variable", id="grid"),
        pytest.param(["x y", "--grid-x", "0", "1", "3"], "name them first", id="grid-x-without-variables"),
        pytest.param(["x y", "--variables", "x,y"], "give the points", id="no-points"),
        pytest.param(
            ["x y", "--variables", "x,y", "--at", "1,2", "--grid-x", "0", "1", "2", "--grid-y", "0", "1", "2"],
            "not both",
            id="points-and-grid",
        ),
        pytest.param(
            ["x y", "--variables", "x,y", "--grid-x", "1", "0", "3", "--grid-y", "0", "1", "3"],
            "--grid-x: the range must go from a smaller to a larger number",
            id="reversed-range",
        ),
        pytest.param(
            ["x y", "--variables", "x,y", "--grid-x", "0", "1", "3", "--grid-y", "0", "1", "2.5"],
            "--grid-y NUM must be a whole number",
            id="fractional-grid",
        ),
        pytest.param(
            ["x y", "--variables", "x,y", "--grid-x", "0", "1", "1e6", "--grid-y", "0", "1", "1e6"],
            "budget",
            id="grid-too-large",
        ),
        pytest.param(
            ["x y", "--variables", "x,y", "--grid-x", "0", "1", "1e12", "--grid-y", "0", "1", "2"],
            "budget",
            id="one-axis-too-long",
        ),
        pytest.param(
            ["x y", "--variables", "x,y", "--grid-x", "0", "1", "0", "--grid-y", "0", "1", "2"],
            "--grid-x: the grid is empty",
            id="empty-axis",
        ),
        pytest.param(["x y z", "--variables", "x,y", "--at", "1,2"], "parameter 'z' needs a value", id="parameter"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,2", "--order", "-1"], "order", id="negative-order"),
        pytest.param(["sinn(x y)", "--variables", "x,y", "--at", "1,2"], "did you mean 'sin'?", id="unknown-name"),
    ],
)
def test_bad_input_in_several_variables_exits_2_with_a_message(args, message, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("args", "source", "caret"),
    [
        pytest.param(["x + $ y", "--variables", "x,y", "--at", "1,2"], "  x + $ y", "      ^", id="formula"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,2; 3"], "  1,2; 3", "       ^", id="point-length"),
        pytest.param(["x y", "--variables", "x,y", "--at", "1,2; 3,$"], "  1,2; 3,$", "         ^", id="point-value"),
        pytest.param(
            ["x y", "--variables", "x, 1y", "--at", "1,2"], "  --variables x, 1y", "                 ^", id="variable"
        ),
    ],
)
def test_errors_in_several_variables_show_a_caret_under_the_problem(args, source, caret, capsys):
    assert main(args) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[1:] == [source, caret]


def test_a_mismatched_point_in_a_real_process_exits_2_without_traceback():
    result = run_cli("x y", "--variables", "x,y", "--at", "1,2; 0.5")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: every point needs 2 values, one per variable (x, y): this one has 1\n  1,2; 0.5\n       ^\n"
    )


@pytest.mark.parametrize(
    "at",
    [["1", "pi", "5"], ["1,pi,5"], ["1,", "pi", "5"], ["1", "pi,", "5"]],
    ids=["spaces", "commas", "comma-then-space", "mixed"],
)
def test_the_points_may_be_separated_by_spaces_as_well_as_commas(at):
    result = run_cli("x^3 + sin(x)", "--at", *at)
    assert result.returncode == 0, result.stderr
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    assert [round(float(row[2]), 4) for row in rows] == [3.5403, 28.6088, 75.2837]  # the tutorial's f′


def test_points_of_several_variables_may_be_separated_by_spaces():
    result = run_cli("x^2 y", "--variables", "x,y", "--at", "1,2", "0.5,-1", "--order", "0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == ["1,2,2", "0.5,-1,-0.25"]


# ---------------------------------------------------------------------------------------------------------------------
# --check ANSWER: a student's derivative judged; exit status 0 right, 1 wrong, 2 bad input


def test_the_issues_example_in_a_real_process_prints_the_verdict_the_mistake_and_where_it_differs():
    result = run_cli("tan(4x)", "--check", "sec(4x)^2")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "verdict: wrong"
    assert lines[1] == "mistake: chain rule (in tan(4x))"
    assert lines[2].startswith("The derivative of the inside, 4 for tan(4x), is missing: chain rule.")
    assert lines[3].startswith("differs at 2,065 of 2,065 points compared from x = -5 to 5")
    assert lines[4] == "x,expected,given"
    x, expected, given = map(float, lines[5].split(","))
    assert (x, expected, given) == (-5.0, pytest.approx(4 / math.cos(20) ** 2), pytest.approx(1 / math.cos(20) ** 2))
    assert result.stderr == ""


def test_a_right_answer_exits_0(capsys):
    assert main(["tan(4x)", "--check", "4sec(4x)^2"]) == 0
    assert capsys.readouterr().out == "verdict: right\nRight: 4sec(4x)^2 is the derivative of tan(4x).\n"


def test_an_answer_that_starts_with_a_minus_sign_is_read_as_the_answer(capsys):
    assert main(["cos(x)", "--check", "-sin(x)"]) == 0
    assert main(["cos(x)", "--check", "sin(x)"]) == 1
    assert "mistake: sign (in cos(x))" in capsys.readouterr().out


def test_a_wrong_answer_without_a_named_mistake_says_where_it_differs(capsys):
    assert main(["|x|", "--check", "1"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "mistake: none of the common ones"
    assert out[2] == "Right for x > 0, but not for x < 0 (at x = −1 the derivative is −1, your answer gives 1)."


def test_check_honours_the_order_the_range_and_the_parameters(capsys):
    assert main(["x^3", "--check", "6x", "--order", "2", "--range", "0", "10"]) == 0
    assert main(["x^3", "--check", "6x"]) == 1  # the first derivative by default
    assert "mistake: wrong order" in capsys.readouterr().out
    assert main(["x|x|", "--check", "2x", "--range", "1/2", "pi"]) == 0
    assert main(["a sin(x)", "--check", "a cos(x)", "--param", "a=2"]) == 0


def test_check_as_json_and_csv(capsys):
    assert main(["x^3", "--check", "3x^3", "--format", "json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert (verdict["correct"], verdict["mistake"], verdict["part"]) == (False, "power rule", "x^3")
    assert verdict["steps"] == [["power rule", "x^3"]]
    assert {"x": 2.0, "expected": 12.0, "given": 24.0} in verdict["differs"]
    assert main(["|x|", "--check", "1", "--format", "csv"]) == 1
    table = rows(capsys.readouterr().out)
    assert table[0] == {"x": -5.0, "expected": -1.0, "given": 1.0}
    assert all(row["x"] < 0 for row in table)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["x^3", "--check", "3u"], "the answer uses u, which is not in the formula", id="other-letter"),
        pytest.param(["x^3", "--check", "3x^"], "'^' needs something after it", id="unfinished"),
        pytest.param(["x^3", "--check", ""], "empty answer", id="empty"),
        pytest.param(["x^3", "--check", "3x^2", "--order", "0"], "from 1 to 10", id="order-0"),
        pytest.param(["x^3", "--check", "3x^2", "--range", "5", "-5"], "smaller to a larger", id="reversed-range"),
        pytest.param(["x^3", "--check", "3x^2", "--at", "1"], "give it with --range", id="with-at"),
        pytest.param(["a x", "--check", "a"], "parameter 'a' needs a value", id="parameter-without-value"),
        pytest.param(["sin(x", "--check", "cos(x)"], "unclosed '('", id="bad-formula"),
    ],
)
def test_bad_input_to_check_exits_2_with_a_message_and_no_traceback(args, message, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_an_error_in_the_answer_has_its_caret_under_the_answer(capsys):
    assert main(["x^3", "--check", "3u"]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == ["  --check 3u", "           ^"]


# ---------------------------------------------------------------------------------------------------------------------
# --minimize METHOD --start NAME=VALUE,...: a run of minimize; exit status 0 converged, 1 not, 2 bad input

ROSENBROCK = "(1 - x)^2 + 100(y - x^2)^2"


def rosenbrock(x: float, y: float) -> dict[str, float]:
    """Rosenbrock's function, its gradient and its Hessian, worked out by hand."""
    return {
        "f": (1 - x) ** 2 + 100 * (y - x * x) ** 2,
        "fx": -2 * (1 - x) - 400 * x * (y - x * x),
        "fy": 200 * (y - x * x),
        "fxx": 2 - 400 * (y - 3 * x * x),
        "fxy": -400 * x,
        "fyy": 200.0,
    }


def csv_records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_minimize_in_a_real_process_prints_the_result_as_a_row_of_csv_where_scipy_finds_the_minimum():
    result = run_cli(ROSENBROCK, "--minimize", "newton", "--start", "x=-1.2,y=1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    header, *_ = result.stdout.splitlines()
    assert header == ("method,success,status,status_name,message,nit,nfev,njev,nhev,fun,x,y,jac_x,jac_y,seconds")
    (row,) = csv_records(result.stdout)
    assert (row["method"], row["success"], row["status"], row["status_name"]) == ("newton", "true", "0", "CONVERGED")
    assert row["message"] == "converged: ‖∇f‖∞ ≤ tol"
    x, y = float(row["x"]), float(row["y"])
    reference = scipy.optimize.minimize(
        scipy.optimize.rosen, [-1.2, 1.0], jac=scipy.optimize.rosen_der, method="BFGS", options={"gtol": 1e-10}
    )
    assert reference.success
    assert (x, y) == (pytest.approx(reference.x[0], abs=1e-7), pytest.approx(reference.x[1], abs=1e-7))
    assert (x, y) == (pytest.approx(1.0, abs=1e-8), pytest.approx(1.0, abs=1e-8))  # the known minimum
    by_hand = rosenbrock(x, y)
    assert float(row["fun"]) == pytest.approx(by_hand["f"], abs=1e-20)
    assert float(row["jac_x"]) == pytest.approx(by_hand["fx"], abs=1e-12)
    assert float(row["jac_y"]) == pytest.approx(by_hand["fy"], abs=1e-12)
    assert max(abs(float(row["jac_x"])), abs(float(row["jac_y"]))) <= 1e-8  # converged: ‖∇f‖∞ ≤ tol
    assert 0 < int(row["nit"]) < int(row["nfev"]) and int(row["nhev"]) > 0
    assert float(row["seconds"]) > 0


def test_minimize_prints_what_the_library_returns(capsys):
    assert main([ROSENBROCK, "--minimize", "lbfgs", "--start", "x=-1.2", "y=1"]) == 0
    (row,) = csv_records(capsys.readouterr().out)
    expected = derivlib.minimize(ROSENBROCK, {"x": -1.2, "y": 1.0}, method="lbfgs")
    assert {name: row[name] for name in ("nit", "nfev", "njev", "nhev")} == {
        name: str(getattr(expected, name)) for name in ("nit", "nfev", "njev", "nhev")
    }
    assert (float(row["x"]), float(row["y"])) == (expected.x["x"], expected.x["y"])  # round-trip precision
    assert float(row["fun"]) == expected.fun


def quadratic_bowl_options(method: str) -> list[str]:
    return ["--lr", "0.1"] if method == "gradient-descent" else []


@pytest.mark.parametrize("method", list(optimize.METHODS))
def test_every_method_of_minimize_runs_from_the_command_line(method, capsys):
    """(x − 1)² + 3(y + 2)² has its minimum at (1, −2) with f = 0: every method reaches it and exits 0."""
    args = ["(x - 1)^2 + 3(y + 2)^2", "--minimize", method, "--start", "x=0, y=0", *quadratic_bowl_options(method)]
    assert main(args) == 0
    (row,) = csv_records(capsys.readouterr().out)
    assert row["method"] == method
    assert (float(row["x"]), float(row["y"])) == (pytest.approx(1.0, abs=1e-6), pytest.approx(-2.0, abs=1e-6))
    assert float(row["fun"]) == pytest.approx(0.0, abs=1e-10)


def test_a_run_that_does_not_converge_exits_1_and_still_prints_its_result(capsys):
    assert main([ROSENBROCK, "--minimize", "gradient-descent", "--start", "x=-1.2,y=1", "--max-iter", "5"]) == 1
    captured = capsys.readouterr()
    (row,) = csv_records(captured.out)
    assert (row["success"], row["status"], row["status_name"]) == ("false", "1", "MAX_ITER")
    assert row["message"] == "stopped after max_iter = 5 iterations"
    assert row["nit"] == "5"
    assert captured.err == ""


def test_the_path_is_the_iteration_table_with_how_the_run_ended_on_stderr(capsys):
    lr = 1e-3  # gradient descent's default step: each iterate is the last less lr·∇f, by hand
    assert (
        main([ROSENBROCK, "--minimize", "gradient-descent", "--start", "x=-1.2,y=1", "--max-iter", "3", "--path"]) == 1
    )
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "k,x,y,f,grad_norm,step,evaluations"
    table = csv_records(captured.out)
    assert [row["k"] for row in table] == ["0", "1", "2", "3"]
    assert table[0]["step"] == "nan"  # no step to the start
    x, y = -1.2, 1.0
    for row in table:
        expected = rosenbrock(x, y)
        assert (float(row["x"]), float(row["y"])) == (pytest.approx(x, rel=1e-14), pytest.approx(y, rel=1e-14))
        assert float(row["f"]) == pytest.approx(expected["f"], rel=1e-13)
        assert float(row["grad_norm"]) == pytest.approx(math.hypot(expected["fx"], expected["fy"]), rel=1e-13)
        x, y = x - lr * expected["fx"], y - lr * expected["fy"]
    assert captured.err == "gradient-descent: stopped after max_iter = 3 iterations (status 1, MAX_ITER)\n"


def test_minimize_as_json_is_the_result_named_as_minimize_result_names_it(capsys):
    assert main([ROSENBROCK, "--minimize", "newton", "--start", "x=-1.2,y=1", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert list(record) == [
        *("method", "success", "status", "status_name", "message", "nit", "nfev", "njev", "nhev", "fun"),
        *("x", "jac", "hess", "seconds"),
    ]
    assert (record["method"], record["success"], record["status"], record["status_name"]) == (
        "newton",
        True,
        0,
        "CONVERGED",
    )
    assert record["x"] == {"x": pytest.approx(1.0, abs=1e-8), "y": pytest.approx(1.0, abs=1e-8)}
    by_hand = rosenbrock(record["x"]["x"], record["x"]["y"])
    assert record["jac"] == {"x": pytest.approx(by_hand["fx"], abs=1e-12), "y": pytest.approx(by_hand["fy"], abs=1e-12)}
    hessian = [[by_hand["fxx"], by_hand["fxy"]], [by_hand["fxy"], by_hand["fyy"]]]
    assert record["hess"] == [pytest.approx(row, rel=1e-12) for row in hessian]
    assert isinstance(record["nit"], int) and "path" not in record


def test_minimize_as_json_with_the_path_keeps_whole_numbers_whole_and_nan_as_null(capsys):
    args = [ROSENBROCK, "--minimize", "lbfgs", "--start", "x=-1.2,y=1", "--max-iter", "2", "--path", "--format", "json"]
    assert main(args) == 1
    record = json.loads(capsys.readouterr().out)
    assert (record["status"], record["status_name"], record["hess"]) == (1, "MAX_ITER", None)  # L-BFGS: no Hessian
    assert [row["k"] for row in record["path"]] == [0, 1, 2]
    assert record["path"][0] == {
        "k": 0,
        "x": -1.2,
        "y": 1.0,
        "f": pytest.approx(24.2, rel=1e-14),
        "grad_norm": pytest.approx(math.hypot(-215.6, -88.0), rel=1e-14),
        "step": None,
        "evaluations": record["path"][0]["evaluations"],
    }
    assert isinstance(record["path"][-1]["evaluations"], int)
    assert record["path"][-1]["x"] == record["x"]["x"]


def test_the_start_takes_constant_formulas_parameters_and_any_names(capsys):
    """cos u + a(v − 1)² is least at u = π, v = 1 (f = −1): from u = π − 1/4 with a = 2."""
    args = ["cos(u) + a(v - 1)^2", "--minimize", "newton", "--start", "U=pi - 1/4,", "v=-1", "--param", "a=2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split(",")[10:14] == ["u", "v", "jac_u", "jac_v"]
    (row,) = csv_records(out)
    assert (float(row["u"]), float(row["v"])) == (pytest.approx(math.pi, abs=1e-9), pytest.approx(1.0, abs=1e-12))
    assert float(row["fun"]) == pytest.approx(-1.0, abs=1e-15)


def test_minimize_in_one_variable_from_standard_input():
    """x⁴ − 3x² + x from x = 2: the right-hand well's bottom, where 4x³ − 6x + 1 = 0 (numpy's root of it)."""
    result = run_cli("-", "--minimize", "newton", "--start", "x=2", stdin="x^4 - 3x^2 + x\n")
    assert result.returncode == 0, result.stderr
    (row,) = csv_records(result.stdout)
    root = max(np.roots([4, 0, -6, 1]).real)
    assert float(row["x"]) == pytest.approx(root, rel=1e-12)
    assert "y" not in row and "jac_y" not in row


def test_tol_max_iter_lr_and_memory_reach_the_run(capsys):
    assert main(["x^2", "--minimize", "gradient-descent", "--start", "x=1", "--lr", "1/4", "--tol", "1e-3"]) == 0
    (row,) = csv_records(capsys.readouterr().out)
    assert row["nit"] == "11"  # x halves at every step (x − 2x/4): f′ = 2x is 2⁻¹⁰ ≤ 1e-3 after eleven
    assert float(row["x"]) == 2.0**-11
    assert main([ROSENBROCK, "--minimize", "lbfgs", "--start", "x=-1.2,y=1", "--memory", "1", "--format", "json"]) == 0
    one_pair = json.loads(capsys.readouterr().out)
    expected = derivlib.minimize(ROSENBROCK, {"x": -1.2, "y": 1.0}, method="lbfgs", memory=1)
    assert (one_pair["nit"], one_pair["nfev"]) == (expected.nit, expected.nfev)


def test_what_minimize_prints_is_named_as_the_command_line_reserves(capsys):
    """The columns besides the variables' are those that --start refuses as a variable's name."""
    assert main(["x^2", "--minimize", "newton", "--start", "x=1"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert [name for name in header if name not in ("x", "jac_x", "seconds")] == list(cli.RESULT_COLUMNS)
    path = derivlib.minimize("x^2", {"x": 1.0}).path
    assert [name for name in path.columns if name != "x"] == list(cli.PATH_COLUMNS)


def test_the_help_names_real_methods_and_the_librarys_defaults():
    import inspect

    text = " ".join(cli._parser().format_help().split())
    named = text.split("--minimize METHOD minimize EXPR by METHOD from --start (", 1)[1].split(":", 1)[0]
    assert {name.strip() for name in named.split(", ")} == {
        "newton",
        "lbfgs",
        "cg-pr",
        "gradient-descent",
        "scipy-bfgs",
        "...",
    }
    assert {"newton", "lbfgs", "cg-pr", "gradient-descent", "scipy-bfgs"} <= set(optimize.METHODS)
    default = {name: float(re.search(rf"{name} \(([^)]+)\)", text)[1]) for name in ("<= TOL", "the fixed step")}
    assert default["<= TOL"] == inspect.signature(optimize.minimize).parameters["tol"].default
    assert default["the fixed step"] == optimize.DEFAULT_LR
    assert f"the pairs kept ({optimize.LBFGS_MEMORY})" in text
    assert f"points per axis ({critical.DEFAULT_POINTS})" in text


def test_an_unknown_method_exits_2_listing_every_method(capsys):
    assert main([ROSENBROCK, "--minimize", "newtn", "--start", "x=1,y=1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err
        == f"error: unknown method 'newtn' (did you mean 'newton'?): choose one of {', '.join(optimize.METHODS)}\n"
    )


def test_the_derivative_table_does_not_import_the_optimizer_or_the_critical_points():
    result = run_cli("x^3 + sin(x)", "--at", "1", python=["-X", "importtime"])
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import")}
    assert "derivlib.cli" in imported
    assert not {"derivlib.optimize", "derivlib.critical", "scipy"} & imported


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--minimize", "newton"], "--minimize needs a start", id="no-start"),
        pytest.param(["--minimize", "newton", "--start", "x=1"], "'y' has neither a start nor a value", id="no-y"),
        pytest.param(["--minimize", "newton", "--start", "x=1,y"], "--start takes NAME=VALUE", id="no-equals"),
        pytest.param(["--minimize", "newton", "--start", "x=1,,y=1"], "empty item", id="empty-item"),
        pytest.param(["--minimize", "newton", "--start", "x=1,=1"], "a name is missing", id="no-name"),
        pytest.param(["--minimize", "newton", "--start", "x=1,y="], "y= needs a value", id="no-value"),
        pytest.param(["--minimize", "newton", "--start", "x=1,y=x"], "cannot depend on x", id="value-not-constant"),
        pytest.param(["--minimize", "newton", "--start", "x=1,y=sin("], "ends too early", id="bad-value"),
        pytest.param(["--minimize", "newton", "--start", "x=1,exp=1"], "'exp' is a function's name", id="function"),
        pytest.param(["--minimize", "newton", "--start", "x=1,pi=1"], "'pi' is a constant", id="constant"),
        pytest.param(["--minimize", "newton", "--start", "x=1,X=1"], "'x' is named twice", id="twice"),
        pytest.param(["--minimize", "newton", "--start", "x=1,2y=1"], "'2y' is not a name", id="not-a-name"),
        pytest.param(["--minimize", "newton", "--start", "x=1,k=1"], "'k' names a column", id="path-column"),
        pytest.param(["--minimize", "newton", "--start", "x=1,fun=1"], "'fun' names a column", id="result-column"),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--tol", "0"], "--tol must be a positive", id="tol"
        ),
        pytest.param(["--minimize", "newton", "--start", "x=1,y=1", "--tol", "-1e-3"], "--tol must be", id="tol<0"),
        pytest.param(["--minimize", "newton", "--start", "x=1,y=1", "--max-iter", "-1"], "at least 0", id="max-iter"),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--max-iter", "2.5"], "whole number of iterations", id="2.5"
        ),
        pytest.param(["--minimize", "gradient-descent", "--start", "x=1,y=1", "--lr", "0"], "--lr must be", id="lr"),
        pytest.param(["--minimize", "lbfgs", "--start", "x=1,y=1", "--memory", "0"], "at least 1", id="memory"),
        pytest.param(["--minimize", "newton", "--start", "x=1,y=1", "--device", "tpu"], "unknown device", id="device"),
        pytest.param(["--minimize", "newton", "--start", "x=1,y=1", "--param", "a=1"], "no parameter 'a'", id="param"),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--at", "1"],
            "--minimize starts from one point: give it with --start NAME=VALUE,... (the names are the variables), "
            "not --at",
            id="with-at",
        ),
        pytest.param(["--minimize", "newton", "--start", "x=1,y=1", "--grid", "0", "1", "3"], "not --grid", id="grid"),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--variables", "x,y"], "not --variables", id="variables"
        ),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--order", "3"],
            "--minimize takes no --order: its options are --start, --tol, --max-iter, --lr, --memory, --path, "
            "--param, --device, --dtype and --format",
            id="order",
        ),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--check", "1"],
            "--check and --minimize are separate commands: give one of them",
            id="with-check",
        ),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--critical-points"],
            "--minimize and --critical-points are separate commands",
            id="with-critical-points",
        ),
        pytest.param(["--at", "1", "--start", "x=1"], "--start is for --minimize", id="start-without-minimize"),
        pytest.param(["--start", "x=1"], "--start is for --minimize", id="start-alone"),
        pytest.param(["--at", "1", "--path"], "--path is for --minimize", id="path-without-minimize"),
        pytest.param(["--check", "1", "--tol", "1e-3"], "--check takes no --tol", id="check-with-tol"),
        pytest.param(["--minimize", "sin(", "--start", "x=1,y=1"], "unknown method 'sin('", id="method-not-a-name"),
    ],
)
def test_bad_input_to_minimize_exits_2_with_a_message_and_no_traceback(args, message, capsys):
    assert main([ROSENBROCK, *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_a_start_where_f_is_undefined_exits_2(capsys):
    assert main(["log(x)", "--minimize", "newton", "--start", "x=-1"]) == 2
    assert capsys.readouterr().err == (
        "error: f or its gradient is undefined at the start (x = -1): start somewhere else\n"
    )


@pytest.mark.parametrize(
    ("args", "source", "caret"),
    [
        pytest.param(
            [ROSENBROCK + " + $", "--start", "x=1,y=1"],
            f"  {ROSENBROCK} + $",
            " " * (2 + len(ROSENBROCK + " + ")) + "^",
            id="formula",
        ),
        pytest.param([ROSENBROCK, "--start", "x=1, y=$"], "  --start x=1, y=$", "                 ^", id="value"),
        pytest.param([ROSENBROCK, "--start", "x=1", "sin=2"], "  --start x=1, sin=2", "               ^", id="name"),
        pytest.param([ROSENBROCK, "--start", "x=1,", "y"], "  --start x=1, y", "               ^", id="no-equals"),
        pytest.param(
            [ROSENBROCK, "--start", "x=atan2(1, 2), y=1/$"],
            "  --start x=atan2(1, 2), y=1/$",
            "                             ^",
            id="comma-in-a-call",
        ),
        pytest.param([ROSENBROCK, "--start", "x=1,y=1", "--tol", "1e-3$"], "  --tol 1e-3$", "            ^", id="tol"),
    ],
)
def test_errors_in_minimize_show_a_caret_under_the_problem(args, source, caret, capsys):
    assert main([args[0], "--minimize", "newton", *args[1:]]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[1:] == [source, caret]


# ---------------------------------------------------------------------------------------------------------------------
# --minimize-many METHOD --starts-NAME START STOP NUM ...: minimize_many from a grid of starts


def test_minimize_many_in_a_real_process_ends_each_start_where_minimize_from_it_alone_ends():
    """Himmelblau's function from a 3 × 2 grid of starts, x fastest: every start converges to one of its four minima,
    with the status, iterations, end point and f of `minimize` from that start alone, to the last bit."""
    result = run_cli(
        HIMMELBLAU, "--minimize-many", "newton", "--starts-x", "-4", "4", "3", "--starts-y", "-4", "4", "2"
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[0] == "start_x,start_y,x,y,fun,nit,success,status,status_name"
    table = csv_records(result.stdout)
    xs, ys = surface_grid((-4, 4, 3), (-4, 4, 2))
    assert [(float(row["start_x"]), float(row["start_y"])) for row in table] == list(
        zip(xs.tolist(), ys.tolist(), strict=True)
    )
    for row in table:
        alone = derivlib.minimize(HIMMELBLAU, {"x": float(row["start_x"]), "y": float(row["start_y"])}, method="newton")
        assert (row["success"], row["status"], row["status_name"]) == ("true", "0", "CONVERGED")
        assert int(row["nit"]) == alone.nit
        assert (float(row["x"]), float(row["y"]), float(row["fun"])) == (alone.x["x"], alone.x["y"], alone.fun)
    minima = [(x, y) for kind, x, y in HIMMELBLAU_CRITICAL if kind == "minimum"]
    for row in table:
        assert min(math.dist((float(row["x"]), float(row["y"])), minimum) for minimum in minima) < 1e-6


@pytest.mark.parametrize("method", many.BATCHED)
def test_every_batched_method_matches_minimize_from_each_start(method, capsys):
    options = ["--lr", "1e-3"] if method == "gradient-descent" else []
    args = [HIMMELBLAU, "--minimize-many", method, "--starts-x", "-4", "4", "2", "--starts-y", "-1", "1", "2", *options]
    assert main(args) == 0
    for row in csv_records(capsys.readouterr().out):
        alone = derivlib.minimize(HIMMELBLAU, {"x": float(row["start_x"]), "y": float(row["start_y"])}, method=method)
        assert (int(row["status"]), int(row["nit"])) == (int(alone.status), alone.nit)
        assert (float(row["x"]), float(row["y"])) == (alone.x["x"], alone.x["y"])


def test_minimize_many_exits_1_when_any_start_does_not_converge_and_still_prints_every_row(capsys):
    """x − log x is least at x = 1 and undefined for x ≤ 0: the starts there end at once, UNDEFINED."""
    assert main(["x - log(x)", "--minimize-many", "newton", "--starts-x", "-1", "2", "4"]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    table = csv_records(captured.out)
    assert [(row["start_x"], row["success"], row["status"], row["status_name"]) for row in table] == [
        ("-1", "false", "3", "UNDEFINED"),
        ("0", "false", "3", "UNDEFINED"),
        ("1", "true", "0", "CONVERGED"),
        ("2", "true", "0", "CONVERGED"),
    ]
    assert [row["nit"] for row in table[:2]] == ["0", "0"] and float(table[3]["x"]) == pytest.approx(1.0, abs=1e-12)
    starts = ["--starts-x", "-1", "0", "2", "--starts-y", "1", "2", "1"]  # y = 1 alone: NUM 1 takes START
    assert main([ROSENBROCK, "--minimize-many", "gradient-descent", *starts, "--max-iter", "5"]) == 1
    table = csv_records(capsys.readouterr().out)
    assert [(row["nit"], row["status_name"]) for row in table] == [("5", "MAX_ITER")] * 2


def test_minimize_many_as_json_is_a_list_of_objects_with_null_for_nan(capsys):
    assert main(["x - log(x)", "--minimize-many", "newton", "--starts-x", "-1", "2", "2", "--format", "json"]) == 1
    records = json.loads(capsys.readouterr().out)
    assert records == [
        {
            "start_x": -1.0,
            "x": -1.0,
            "fun": None,
            "nit": 0,
            "success": False,
            "status": 3,
            "status_name": "UNDEFINED",
        },
        {
            "start_x": 2.0,
            "x": pytest.approx(1.0, abs=1e-12),
            "fun": pytest.approx(1.0, abs=1e-15),
            "nit": records[1]["nit"],
            "success": True,
            "status": 0,
            "status_name": "CONVERGED",
        },
    ]
    assert isinstance(records[1]["nit"], int) and records[1]["nit"] > 0


def test_minimize_many_takes_any_names_in_order_constant_formulas_parameters_and_the_options(capsys):
    """The starts' names are the variables, in the order typed (the first fastest), case as the formula reads it;
    --param, --tol, --max-iter, --memory and --dtype reach minimize_many."""
    args = ["cos(u) + a(v - 1)^2", "--minimize-many", "lbfgs", "--starts-V", "-1", "1", "2", "--starts-u", "pi/2"]
    args += ["3pi/2", "3", "--param", "a=2", "--tol", "1e-6", "--max-iter", "50", "--memory", "2"]
    assert main([*args, "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "start_v,start_u,v,u,fun,nit,success,status,status_name"
    table = csv_records(out)
    expected = many.minimize_many(
        "cos(u) + a(v - 1)^2",
        {"v": [-1.0, 1.0] * 3, "u": np.repeat([math.pi / 2, math.pi, 3 * math.pi / 2], 2)},
        method="lbfgs",
        params={"a": 2.0},
        tol=1e-6,
        max_iter=50,
        memory=2,
        dtype="float32",
    )
    assert [float(row["start_u"]) for row in table] == expected["start_u"].tolist()
    for column in ("v", "u", "fun", "nit"):
        assert [float(row[column]) for row in table] == expected[column].tolist(), column
    assert [float(row["u"]) for row in table] == [pytest.approx(math.pi, abs=1e-5)] * 6


def test_lr_reaches_gradient_descent_from_every_start(capsys):
    assert main(["x^2", "--minimize-many", "gradient-descent", "--starts-x", "1", "2", "2", "--lr", "1/4"]) == 0
    table = csv_records(capsys.readouterr().out)
    assert [row["nit"] for row in table] == ["28", "29"]  # x halves at every step: f′ = 2x ≤ 1e-8
    assert [float(row["x"]) for row in table] == [2.0**-28, 2.0**-28]


def test_what_minimize_many_prints_is_named_as_the_command_line_reserves(capsys):
    """The columns besides start_NAME and the variables' own are those that --starts-NAME refuses as a name."""
    assert main(["x^2", "--minimize-many", "newton", "--starts-x", "0", "1", "2"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert [name for name in header if name not in ("start_x", "x")] == list(cli.MANY_COLUMNS)
    frame = many.minimize_many("x^2", {"x": [1.0]})
    assert [*frame.columns, "status_name"] == ["start_x", "x", *cli.MANY_COLUMNS]


def test_the_help_of_minimize_many_names_batched_methods():
    text = " ".join(cli._parser().format_help().split())
    named = text.split("METHOD is one of derivlib's own (", 1)[1].split(")", 1)[0]
    assert set(named.split(", ")) - {"..."} <= set(many.BATCHED)


def test_the_derivative_table_does_not_import_minimize_many():
    result = run_cli("x^3 + sin(x)", "--at", "1", python=["-X", "importtime"])
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import")}
    assert "derivlib.cli" in imported and "derivlib.many" not in imported


GRID_XY = ["--starts-x", "0", "1", "2", "--starts-y", "0", "1", "2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--minimize-many", "scipy-bfgs", *GRID_XY],
            f"error: 'scipy-bfgs' runs one start at a time (--minimize): --minimize-many runs one of "
            f"{', '.join(many.BATCHED)}\n",
            id="not-batched",
        ),
        pytest.param(
            ["--minimize-many", "newtn", *GRID_XY],
            f"error: unknown method 'newtn' (did you mean 'newton'?): --minimize-many runs one of "
            f"{', '.join(many.BATCHED)}\n",
            id="unknown-method",
        ),
        pytest.param(["--minimize-many", "newton"], "--minimize-many needs its starts", id="no-starts"),
        pytest.param(
            ["--minimize-many", "newton", "--starts-x", "0", "1", "2"],
            "'y' has neither starts nor a value: give it starts to minimize over it too (--starts-y START STOP NUM), "
            "or a value (--param y=1)",
            id="no-y",
        ),
        pytest.param(
            ["--minimize-many", "newton", "--starts-x", "0", "1", "1001", "--starts-y", "0", "1", "1000"],
            "error: 1,001 × 1,000 = 1,001,000 starts are more than --minimize-many runs at once (at most 1,000,000)\n",
            id="too-many-starts",
        ),
        pytest.param(
            ["--minimize-many", "newton", "--starts-x", "0", "1", "2", "--starts-y", "1", "0", "2"],
            "--starts-y: the range must go from a smaller to a larger number",
            id="backwards",
        ),
        pytest.param(
            ["--minimize-many", "newton", "--starts-x", "0", "1", "0", "--starts-y", "0", "1", "2"],
            "--starts-x: the grid is empty",
            id="empty",
        ),
        pytest.param(
            ["--minimize-many", "newton", "--starts-x", "0", "1", "2.5", "--starts-y", "0", "1", "2"],
            "--starts-x NUM must be a whole number",
            id="fractional",
        ),
        pytest.param(
            ["--minimize-many", "newton", "--starts-x", "-1e308", "1e308", "2", "--starts-y", "0", "1", "2"],
            "--starts-x: the range -1e+308 … 1e+308 is too wide",
            id="too-wide",
        ),
        pytest.param(
            ["--minimize-many", "newton", *GRID_XY, "--starts-fun", "0", "1", "2"], "'fun' names a column", id="column"
        ),
        pytest.param(
            ["--minimize-many", "newton", *GRID_XY, "--starts-X", "0", "1", "2"], "'x' is named twice", id="2x"
        ),
        pytest.param(["--minimize-many", "newton", *GRID_XY, "--tol", "0"], "--tol must be a positive", id="tol"),
        pytest.param(["--minimize-many", "newton", *GRID_XY, "--max-iter", "-1"], "at least 0", id="max-iter"),
        pytest.param(["--minimize-many", "gradient-descent", *GRID_XY, "--lr", "-1"], "--lr must be", id="lr"),
        pytest.param(["--minimize-many", "lbfgs", *GRID_XY, "--memory", "0"], "at least 1", id="memory"),
        pytest.param(["--minimize-many", "newton", *GRID_XY, "--device", "tpu"], "unknown device", id="device"),
        pytest.param(["--minimize-many", "newton", *GRID_XY, "--param", "a=1"], "no parameter 'a'", id="param"),
        pytest.param(
            ["--minimize-many", "newton", *GRID_XY, "--path"],
            "--minimize-many takes no --path: its options are --starts-NAME, --tol, --max-iter, --lr, --memory, "
            "--param, --device, --dtype and --format",
            id="path",
        ),
        pytest.param(["--minimize-many", "newton", *GRID_XY, "--order", "1"], "takes no --order", id="order"),
        pytest.param(
            ["--minimize-many", "newton", *GRID_XY, "--start", "x=1,y=1"],
            "--minimize-many starts from a grid: give it with --starts-NAME START STOP NUM for each variable (the "
            "names are the variables), not --start",
            id="start",
        ),
        pytest.param(["--minimize-many", "newton", *GRID_XY, "--at", "1"], "not --at", id="at"),
        pytest.param(["--minimize-many", "newton", *GRID_XY, "--variables", "x,y"], "not --variables", id="variables"),
        pytest.param(
            ["--minimize-many", "newton", *GRID_XY, "--minimize", "newton"],
            "--minimize and --minimize-many are separate commands: give one of them",
            id="with-minimize",
        ),
        pytest.param(
            ["--minimize-many", "newton", *GRID_XY, "--critical-points"],
            "--minimize-many and --critical-points are separate commands",
            id="with-critical-points",
        ),
        pytest.param(
            ["--minimize", "newton", "--start", "x=1,y=1", "--starts-x", "0", "1", "2"],
            "--minimize starts from one point: give it with --start NAME=VALUE,... (the names are the variables), "
            "not --starts-x",
            id="starts-with-minimize",
        ),
        pytest.param(
            ["--critical-points", "--starts-x", "0", "1", "2"], "--critical-points searches a box", id="starts-critical"
        ),
        pytest.param(
            ["--at", "1", "--starts-x", "0", "1", "2"], "--starts-x is for --minimize-many", id="starts-table"
        ),
        pytest.param(["--starts-x", "0", "1", "2"], "error: --starts-x is for --minimize-many\n", id="starts-alone"),
        pytest.param(["--at", "1", "--tol", "1e-3"], "--tol is for --minimize and --minimize-many", id="tol-alone"),
        pytest.param(["--minimize-many", "sin(", *GRID_XY], "unknown method 'sin('", id="method-not-a-name"),
    ],
)
def test_bad_input_to_minimize_many_exits_2_with_a_message_and_no_traceback(args, message, capsys):
    assert main([ROSENBROCK, *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("args", "source", "caret"),
    [
        pytest.param(
            [ROSENBROCK + " + $", *GRID_XY], f"  {ROSENBROCK} + $", " " * (2 + len(ROSENBROCK + " + ")) + "^", id="expr"
        ),
        pytest.param(
            [ROSENBROCK, "--starts-x", "0", "1", "2", "--starts-y", "-pi", "2$", "2"],
            "  --starts-y STOP 2$",
            "                   ^",
            id="stop",
        ),
        pytest.param(
            [ROSENBROCK, "--starts-x", "0", "1", "2", "--starts-2y", "0", "1", "2"],
            "  --starts-2y 0 1 2",
            "           ^",
            id="not-a-name",
        ),
        pytest.param(
            [ROSENBROCK, "--starts-x", "0", "1", "2", "--starts-exp", "0", "1", "2"],
            "  --starts-exp 0 1 2",
            "           ^",
            id="function",
        ),
    ],
)
def test_errors_in_minimize_many_show_a_caret_under_the_problem(args, source, caret, capsys):
    assert main([args[0], "--minimize-many", "newton", *args[1:]]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[1:] == [source, caret]


def test_minimize_many_from_standard_input_in_one_variable():
    """x⁴ − 3x² + x from x = −2 and x = 2: the bottoms of its two wells, where 4x³ − 6x + 1 = 0."""
    result = run_cli("-", "--minimize-many", "newton", "--starts-x", "-2", "2", "2", stdin="x^4 - 3x^2 + x\n")
    assert result.returncode == 0, result.stderr
    roots = sorted(np.roots([4, 0, -6, 1]).real)
    assert [float(row["x"]) for row in csv_records(result.stdout)] == [
        pytest.approx(roots[0], abs=1e-9),  # ‖f′‖ ≤ 1e-8 where f″ ≈ 14 and 9
        pytest.approx(roots[2], abs=1e-9),
    ]


def test_the_readmes_minimize_many_example_prints_what_the_readme_shows(capsys):
    """The README's numbers come from the command it shows: x⁴ − 3x² + x from five starts, two wells."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = 'python -m derivlib "x^4 - 3x^2 + x" --minimize-many newton --starts-x -2 2 5\n```\n```\n'
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    assert main(["x^4 - 3x^2 + x", "--minimize-many", "newton", "--starts-x", "-2", "2", "5"]) == 0
    assert capsys.readouterr().out == shown


# ---------------------------------------------------------------------------------------------------------------------
# --critical-points: where ∇f = 0 in a box of x and y


def test_critical_points_in_a_real_process_are_the_known_saddle_and_minimum():
    """x³ − 3x + y²: ∇f = (3x² − 3, 2y) is 0 at (±1, 0); the Hessian diag(6x, 2) makes (−1, 0) a saddle (f = 2) and
    (1, 0) a minimum (f = −2)."""
    result = run_cli("x^3 - 3x + y^2", "--critical-points", "--range-x", "-2", "2", "--range-y", "-1", "1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        'kind,x,y,f,fx,fy,fxx,fxy,fyy,smooth\n"saddle",-1,0,2,0,0,-6,0,2,true\n"minimum",1,0,-2,0,0,6,0,2,true\n'
    )


HIMMELBLAU_CRITICAL = [  # the literature's values (Himmelblau 1972): four minima (f = 0), a maximum, four saddles
    ("minimum", 3.0, 2.0),
    ("minimum", -2.805118, 3.131312),
    ("minimum", -3.779310, -3.283186),
    ("minimum", 3.584428, -1.848126),
    ("maximum", -0.270845, -0.923039),
    ("saddle", 0.086678, 2.884255),
    ("saddle", -3.073026, -0.081353),
    ("saddle", 3.385154, 0.073852),
    ("saddle", -0.127961, -1.953715),
]


def test_critical_points_of_himmelblaus_function_are_the_known_nine(capsys):
    assert main([HIMMELBLAU, "--critical-points", "--format", "json"]) == 0  # the box -5 … 5 by default
    found = json.loads(capsys.readouterr().out)
    assert found["notes"] == []
    points = sorted(found["points"], key=lambda p: (p["x"], p["y"]))
    expected = sorted(HIMMELBLAU_CRITICAL, key=lambda p: (p[1], p[2]))
    assert [(p["kind"], p["x"], p["y"]) for p in points] == [
        (kind, pytest.approx(x, abs=1e-6), pytest.approx(y, abs=1e-6)) for kind, x, y in expected
    ]
    for point in points:
        by_hand = himmelblau(point["x"], point["y"])
        assert (point["fx"], point["fy"], point["smooth"]) == (0.0, 0.0, True)
        for name in ("f", "fxx", "fxy", "fyy"):
            assert point[name] == pytest.approx(by_hand[name], rel=1e-9, abs=1e-9), name
    assert [p["f"] for p in points if p["kind"] == "minimum"] == [0.0] * 4


def test_critical_points_notes_go_to_stderr_or_into_the_json(capsys):
    assert main(["x + y", "--critical-points"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "kind,x,y,f,fx,fy,fxx,fxy,fyy,smooth\n"
    assert captured.err == "note: no critical point in this box\n"
    assert main(["x + y", "--critical-points", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"points": [], "notes": ["no critical point in this box"]}


def test_critical_points_where_the_gradient_is_undefined_have_null_derivatives(capsys):
    assert main(["|x| + |y| + a", "--critical-points", "--param", "a=1", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["points"] == [
        {
            "kind": "minimum",
            "x": 0.0,
            "y": 0.0,
            "f": 1.0,
            **dict.fromkeys(["fx", "fy", "fxx", "fxy", "fyy"]),
            "smooth": False,
        }
    ]


def test_critical_points_take_the_box_as_constant_formulas_and_the_grid_density(capsys):
    """sin x sin y in [0.1, 2π − 0.1]²: a maximum at (π/2, π/2) and (3π/2, 3π/2), a minimum at the other two
    corners' centres, a saddle at (π, π)."""
    box = ["--range-x", "1/10", "2pi - 1/10", "--range-y", "1/10", "2pi - 1/10", "--points", "41"]
    assert main(["sin(x) sin(y)", "--critical-points", *box]) == 0
    table = csv_records(capsys.readouterr().out)
    h, p = math.pi / 2, math.pi
    expected = [
        ("maximum", h, h),
        ("minimum", h, 3 * h),
        ("saddle", p, p),
        ("minimum", 3 * h, h),
        ("maximum", 3 * h, 3 * h),
    ]
    assert [(row["kind"], float(row["x"]), float(row["y"])) for row in table] == [
        (kind, pytest.approx(x, abs=1e-12), pytest.approx(y, abs=1e-12)) for kind, x, y in expected
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["x^3 - 3x", "--critical-points"], "in x and y, and this one has no y: x^3 - 3x", id="no-y"),
        pytest.param(["y^2", "--critical-points"], "this one has no x", id="no-x"),
        pytest.param(["2", "--critical-points"], "this one has neither x nor y", id="constant"),
        pytest.param(["x y", "--critical-points", "--range-x", "1", "-1"], "--range-x: the range must go", id="range"),
        pytest.param(["x y", "--critical-points", "--range-y", "0", "0"], "--range-y: the range must go", id="empty"),
        pytest.param(["x y", "--critical-points", "--points", "2"], "--points must be from 3 to 2,001", id="few"),
        pytest.param(["x y", "--critical-points", "--points", "2002"], "per axis, not 2,002", id="many"),
        pytest.param(["x y", "--critical-points", "--points", "1/2"], "whole number", id="fractional"),
        pytest.param(["a x y", "--critical-points"], "parameter 'a' needs a value", id="parameter"),
        pytest.param(
            ["x y", "--critical-points", "--range-x", "-1e308", "1e308"], "the box is too wide", id="too-wide"
        ),
        pytest.param(
            ["x y", "--critical-points", "--dtype", "float32"],
            "--critical-points takes no --dtype: its options are --range-x, --range-y, --points, --param and --format",
            id="dtype",
        ),
        pytest.param(
            ["x y", "--critical-points", "--at", "1"],
            "--critical-points searches a box of x and y: give it with --range-x START STOP --range-y START STOP, "
            "not --at",
            id="at",
        ),
        pytest.param(["x y", "--critical-points", "--range", "0", "1"], "not --range", id="range-of-check"),
        pytest.param(["x y", "--critical-points", "--variables", "x,y"], "not --variables", id="variables"),
        pytest.param(["x y", "--critical-points", "--check", "y"], "separate commands", id="with-check"),
        pytest.param(["x y", "--at", "1", "--range-x", "0", "1"], "--range-x is for --critical-points", id="alone"),
        pytest.param(["x", "--at", "1", "--range", "0", "1"], "--range is for --check", id="range-alone"),
        pytest.param(["x", "--check", "1", "--device", "cpu"], "--check takes no --device", id="check-device"),
        pytest.param(["sin(x y", "--critical-points"], "unclosed '('", id="bad-formula"),
    ],
)
def test_bad_input_to_critical_points_exits_2_with_a_message_and_no_traceback(args, message, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_errors_in_critical_points_show_a_caret_under_the_problem(capsys):
    assert main(["x^2 + y^2 + $", "--critical-points"]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == ["  x^2 + y^2 + $", "              ^"]
    assert main(["x y", "--critical-points", "--range-y", "-1", "1$"]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == ["  --range-y STOP 1$", "                  ^"]
