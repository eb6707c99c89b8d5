"""The compiler's worker (derivlib/compiler.py) answers every request with a path or a one-line reason. The
compilation itself is exercised through the worker in test_fused.py; the rows it compiles, Bound.rows, in
test_jet.py."""

from __future__ import annotations

import io
import json

from derivlib.compiler import serve


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
