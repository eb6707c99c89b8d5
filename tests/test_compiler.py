"""The compiler's side (derivlib/compiler.py): the rows it compiles are the eager rows, and its worker answers every
request with a path or a one-line reason. The compilation itself is exercised through the worker in test_fused.py."""

from __future__ import annotations

import io
import json

import pytest
import torch
from torch.testing import assert_close

from derivlib import parse
from derivlib.compiler import derivative_rows, serve
from derivlib.jet import compile_program


@pytest.mark.parametrize(
    "text", ["x^3 + sin(x)", "x^2", "3*x + 1", "a*exp(-x^2/b)", "sin(cos(sin(cos(sin(x)))))*exp(sin(x))", "x + 2"]
)
@pytest.mark.parametrize("order", [0, 1, 2, 5])
def test_derivative_rows_are_the_eager_program_s_rows_bit_for_bit(text, order):
    expr = parse(text)
    x = torch.linspace(-2, 2, 101, dtype=torch.float64)
    bound = compile_program(expr, order).bind({"a": torch.tensor(1.5, dtype=x.dtype), "b": torch.tensor(2.0)}, x)
    expected = torch.empty(order + 1, 101, dtype=torch.float64)
    bound.derivatives(x, expected)
    rows = derivative_rows(bound, x)
    assert len(rows) == order + 1 and all(row.shape == x.shape and row is not x for row in rows)
    assert_close(torch.stack(rows), expected, rtol=0, atol=0)


def request(text: str, number: int = 1, **fields) -> str:
    fields = {"id": number, "text": text, "variables": ["x"], "order": 2, "dtype": "float64", "device": "cpu"} | fields
    return json.dumps(fields | {"threads": 1, "path": "/nonexistent/program.pt2"}) + "\n"


def test_the_worker_answers_a_request_it_cannot_compile_with_one_line_saying_why():
    replies = io.StringIO()
    serve(io.StringIO(request("sin(x", 7) + request("x^2 +* 1", 8) + request("x^2", 9, dtype="complex")), replies)
    answers = [json.loads(line) for line in replies.getvalue().splitlines()]
    assert [answer["id"] for answer in answers] == [7, 8, 9]
    assert answers[0]["error"].startswith("ExpressionError: ")
    assert answers[1]["error"].startswith("ExpressionError: ")
    assert answers[2]["error"] == "ValueError: not a floating-point dtype: 'complex'"
    assert all("path" not in answer for answer in answers)
