"""Tables of derivatives (columns x, f, d1 … dN), and those tables as CSV and JSON text that read back exactly."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from derivlib import columns, grid, grid_table, parse, points_of_interest, table, to_csv, to_json
from derivlib.table import CSV_SLICE, arrays, to_csv_gz, to_parquet
from derivlib.table import grid_arrays as arrays_of_grid

# Floats whose shortest decimal form is long, tiny, huge or negative: all must survive the trip through text.
AWKWARD_POINTS = [0.1, 1 / 3, math.pi, -2.5e-7, 1e-300, 12345.678901234567, 2.0**-1074, 1.7976931348623157e308]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def refuse_nan_tokens(token: str):
    raise AssertionError(f"JSON must not contain {token}")


def read_json(text: str) -> list[dict[str, float | None]]:
    """Strict JSON: NaN, Infinity and -Infinity, which Python's json module accepts by default, are refused."""
    return json.loads(text, parse_constant=refuse_nan_tokens)


# ---------------------------------------------------------------------------------------------------------------------
# Tables


@pytest.mark.parametrize(
    ("order", "names"),
    [
        (0, ["x", "f"]),
        (1, ["x", "f", "d1"]),
        (2, ["x", "f", "d1", "d2"]),
        (5, ["x", "f", "d1", "d2", "d3", "d4", "d5"]),
    ],
)
def test_columns_are_x_f_and_one_per_derivative(order, names):
    assert columns(order) == names
    assert list(table("x^2", [1.0], order=order).columns) == names


def test_table_holds_f_and_its_derivatives_one_row_per_point():
    expected = pd.DataFrame(
        {"x": [0.0, 1.0, -3.0], "f": [0.0, 1.0, 9.0], "d1": [0.0, 2.0, -6.0], "d2": [2.0, 2.0, 2.0]}
    )
    pd.testing.assert_frame_equal(table("x^2", [0.0, 1.0, -3.0], order=2), expected)


def test_table_of_a_parsed_expression_with_parameters():
    x = np.array([0.0, 0.5, 2.0])
    frame = table(parse("a exp(b x)"), x, order=2, params={"a": 3.0, "b": -1.0})
    expected = pd.DataFrame({"x": x, "f": 3 * np.exp(-x), "d1": -3 * np.exp(-x), "d2": 3 * np.exp(-x)})
    pd.testing.assert_frame_equal(frame, expected, rtol=1e-15)


def test_table_in_float32_has_float32_columns():
    frame = table("x^3", [0.5, 2.0], order=1, dtype="float32")
    assert all(dtype == np.float32 for dtype in frame.dtypes)
    np.testing.assert_allclose(frame["d1"], [0.75, 12.0], rtol=1e-6)


def test_grid_table_spans_the_range_with_both_ends_included():
    frame = grid_table("x^2", -1, 1, 5, order=1)
    assert frame["x"].tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert frame["d1"].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]


def test_grid_table_of_sin_over_half_a_turn():
    frame = grid_table("sin(x)", 0, math.pi, 3, order=1)
    assert frame["x"].tolist() == [0.0, math.pi / 2, math.pi]
    np.testing.assert_allclose(frame["f"], [0.0, 1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(frame["d1"], [1.0, 0.0, -1.0], atol=1e-15)


def test_grid_table_reports_progress_up_to_the_number_of_points():
    seen: list[tuple[int, int]] = []
    frame = grid_table("cos(x)", 0, 1, 2001, progress=lambda done, total: seen.append((done, total)))
    assert len(frame) == 2001
    assert seen[-1] == (2001, 2001)


@pytest.mark.parametrize(
    ("start", "stop", "num", "dtype", "message"),
    [
        pytest.param(-1e308, 1e308, 200, "float64", "too wide: its width overflows float64", id="width-overflows"),
        pytest.param(-1e308, 1e308, 1, "float64", "too wide", id="width-overflows-one-point"),
        pytest.param(-1.7e308, 1.7e308, 2, "float64", "too wide", id="step-overflows"),
        pytest.param(-2e38, 2e38, 200, "float32", "too wide: its width overflows float32", id="float32-width"),
        pytest.param(0, 1e39, 3, "float32", "stop, 1e+39, is beyond float32's largest", id="float32-end"),
    ],
)
def test_a_finite_range_whose_width_overflows_is_refused(start, stop, num, dtype, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        grid(start, stop, num, dtype=dtype)
    with pytest.raises(ValueError, match=re.escape(message)):
        grid_table("sin(x)", start, stop, num, dtype=dtype)
    with pytest.raises(ValueError, match=re.escape(message)):
        arrays_of_grid("sin(x)", start, stop, num, dtype=dtype)


def test_points_of_interest_refuse_a_range_whose_width_overflows():
    with pytest.raises(ValueError, match="too wide: its width overflows float64"):
        points_of_interest("sin(x)", -1e308, 1e308)


def test_the_widest_range_that_fits_gives_finite_points():
    x = grid(-8e307, 8e307, 5)
    assert x.tolist() == [-8e307, -4e307, 0.0, 4e307, 8e307]
    assert grid(-1.7e38, 1.7e38, 3, dtype="float32").isfinite().all()


def test_arrays_are_the_tables_columns_without_pandas():
    expected = table("x^2", [0.0, 1.5], order=1)
    got = arrays("x^2", [0.0, 1.5], order=1)
    assert list(got) == list(expected.columns)
    assert all(np.array_equal(got[name], expected[name].to_numpy()) for name in got)
    assert to_csv(got) == to_csv(expected) and to_json(got) == to_json(expected)
    grid_columns = arrays_of_grid("x^2", -1, 1, 5, order=1)
    assert all(np.array_equal(grid_columns[name], grid_table("x^2", -1, 1, 5, order=1)[name]) for name in grid_columns)


# ---------------------------------------------------------------------------------------------------------------------
# CSV


def test_csv_has_a_header_and_one_line_per_point():
    text = to_csv(table("x^2", [1.0, 2.0, 3.0], order=2))
    lines = text.splitlines()
    assert lines[0] == "x,f,d1,d2"
    assert len(lines) == 4
    assert "\r" not in text


def test_every_csv_number_reads_back_to_the_same_float():
    frame = table("x/3 + exp(x)", AWKWARD_POINTS, order=2)
    for row, line in zip(frame.to_dict(orient="records"), read_csv(to_csv(frame)), strict=True):
        for name, value in row.items():
            if math.isfinite(value):
                assert float(line[name]) == value, (name, line[name], value)


def test_every_float32_csv_number_reads_back_to_the_same_float32():
    frame = table("x/3 + exp(x)", [0.1, 1 / 3, math.pi, -2.5e-7, 80.0], order=2, dtype="float32")
    for row, line in zip(frame.to_dict(orient="records"), read_csv(to_csv(frame)), strict=True):
        for name, value in row.items():
            assert np.float32(float(line[name])) == np.float32(value), (name, line[name], value)


def test_csv_writes_nan_and_infinities_as_words():
    """log(x) at -1 is undefined in every column; 1/x at +0 is +inf with derivatives -inf, +inf."""
    frame = pd.concat([table("log(x)", [-1.0], order=2), table("1/x", [0.0], order=2)], ignore_index=True)
    lines = to_csv(frame).splitlines()
    assert lines[1].split(",")[1:] == ["nan", "nan", "nan"]
    assert lines[2].split(",")[1:] == ["inf", "-inf", "inf"]


@pytest.fixture(scope="module")
def several_slices() -> pd.DataFrame:
    """More rows than one thread writes, with NaN and ±inf among them, in a grid the slices split mid-way."""
    rows = grid_table("log(x) + 1/x", -1, 2, 2 * CSV_SLICE + 12_345, order=2)
    infinite = table("1/x", [0.0], order=2)  # inf, -inf, inf
    frame = pd.concat([rows[:CSV_SLICE], infinite, rows[CSV_SLICE:]], ignore_index=True)
    assert frame.isna().any().any() and np.isinf(frame.to_numpy()).any()
    return frame


def test_csv_written_in_slices_reads_back_row_for_row(several_slices):
    text = to_csv(several_slices)
    assert text.count("\n") == len(several_slices) + 1 and text.startswith("x,f,d1,d2\n")
    back = pd.read_csv(io.StringIO(text))  # pandas 3 reads floats round-trip by default
    pd.testing.assert_frame_equal(back, several_slices, check_exact=True)


def test_compressed_csv_is_the_same_text(several_slices):
    compressed = to_csv_gz(several_slices)
    assert gzip.decompress(compressed).decode() == to_csv(several_slices)
    assert len(compressed) < len(to_csv(several_slices)) / 2


def test_parquet_reads_back_to_the_same_table(several_slices):
    back = pd.read_parquet(io.BytesIO(to_parquet(several_slices)))
    pd.testing.assert_frame_equal(back, several_slices, check_exact=True)


def test_an_empty_table_is_a_header_alone():
    assert to_csv(table("x", [], order=1)) == "x,f,d1\n"
    assert gzip.decompress(to_csv_gz(table("x", [], order=1))) == b"x,f,d1\n"


# ---------------------------------------------------------------------------------------------------------------------
# JSON


def test_json_is_a_list_of_rows_keyed_by_column():
    records = read_json(to_json(table("x^2", [1.0, 2.0], order=1)))
    assert records == [{"x": 1.0, "f": 1.0, "d1": 2.0}, {"x": 2.0, "f": 4.0, "d1": 4.0}]


def test_json_is_strict_with_null_for_nan_and_infinities():
    frame = pd.concat([table("log(x)", [-1.0], order=2), table("1/x", [0.0], order=2)], ignore_index=True)
    text = to_json(frame)
    assert "NaN" not in text
    assert "Infinity" not in text
    assert read_json(text) == [
        {"x": -1.0, "f": None, "d1": None, "d2": None},
        {"x": 0.0, "f": None, "d1": None, "d2": None},
    ]


def test_every_json_number_reads_back_to_the_same_float():
    frame = table("x/3 + exp(x)", AWKWARD_POINTS, order=2)
    for row, record in zip(frame.to_dict(orient="records"), read_json(to_json(frame)), strict=True):
        assert record.keys() == row.keys()
        for name, value in row.items():
            assert record[name] == (value if math.isfinite(value) else None), (name, record[name], value)
