"""The practice page through Streamlit's AppTest: links that fill the formula and the answer, the verdict and its
chart, errors with a caret that keep the last verdict, new exercises, the score, and class sets."""

from __future__ import annotations

import json

import pytest
from app_driver import ok, open_page
from streamlit.testing.v1 import AppTest

import derivlib
from derivlib.exercises import exercise_set

PAGE = "views/practice.py"


def run(query: dict[str, str] | None = None) -> AppTest:
    return open_page(PAGE, query)


def chart(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def shaded(at: AppTest) -> list[tuple[float, float]]:
    return [(shape["x0"], shape["x1"]) for shape in chart(at)["layout"].get("shapes", [])]


def verdict(at: AppTest) -> str:
    """The verdict's text: 'right: …' or 'wrong: …'."""
    texts = [f"right: {s.value}" for s in at.success] + [f"wrong: {w.value}" for w in at.warning]
    (text,) = [text for text in texts if "Right:" in text or "Not right yet." in text]
    return text


def score(at: AppTest) -> str:
    (line,) = [m.value for m in at.markdown if m.value.startswith("Score")]
    return line.removeprefix("Score ").strip("*")


@pytest.fixture(autouse=True)
def no_compiler(monkeypatch):
    monkeypatch.setenv("DERIVLIB_FUSE", "0")


def test_a_link_with_a_right_answer_shows_it_right_with_both_curves():
    at = run({"expr": "tan(4x)", "answer": "4 sec(4x)^2"})
    assert verdict(at).startswith("right: ")
    assert at.text_input(key="practice_expr").value == "tan(4x)"
    assert at.text_input(key="practice_answer").value == "4 sec(4x)^2"
    names = [trace["name"] for trace in chart(at)["data"]]
    assert names == ["f′ (correct)", "your answer"] and shaded(at) == []
    assert not at.error and not at.exception
    assert at.query_params["expr"] == "tan(4x)" and at.query_params["answer"] == "4 sec(4x)^2"
    assert score(at) == "0 / 0"  # a link's answer is the teacher's, not the student's


def test_a_chain_rule_mistake_is_named_and_shaded_where_it_differs():
    at = run({"expr": "cos(5x)", "answer": "-sin(5x)"})
    assert verdict(at).startswith("wrong: ") and "chain rule" in verdict(at)
    stretches = shaded(at)
    assert stretches and stretches[0][0] == pytest.approx(-5) and stretches[-1][1] == pytest.approx(5)
    assert "where they differ" in [trace["name"] for trace in chart(at)["data"]]


def test_an_answer_wrong_only_for_negative_x_is_shaded_there_alone():
    at = run({"expr": "|x|", "answer": "1"})
    assert verdict(at).startswith("wrong: ")
    stretches = shaded(at)
    assert stretches == [(-5, pytest.approx(-0.0025))], (
        stretches
    )  # to half a grid step short of 0, where f′ is undefined
    assert "Right for x > 0, but not for x < 0" in verdict(at)


def test_the_order_is_in_the_link():
    at = run({"expr": "x^3 + sin(x)", "answer": "6x - sin(x)", "order": "2"})
    assert verdict(at).startswith("right: ")
    assert at.radio(key="practice_order").value == 2
    assert at.text_input(key="practice_answer").label.startswith("Your answer  f″(x)")
    wrong = run({"expr": "x^3 + sin(x)", "answer": "3x^2 + cos(x)", "order": "2"})
    assert verdict(wrong).startswith("wrong: ")


def test_a_bad_answer_points_at_its_problem_and_keeps_the_last_verdict():
    at = run({"expr": "cos(5x)", "answer": "-5 sin(5x)"})
    assert verdict(at).startswith("right: ")
    ok(at.text_input(key="practice_answer").input("-5 sin(5x").run())
    (error,) = at.error
    assert "```text\n-5 sin(5x\n" in error.value and error.value.rstrip("`\n").endswith("^"), error.value
    caret_line = error.value.split("\n")[-2]
    assert caret_line.index("^") == "-5 sin(5x".index("("), error.value  # under the parenthesis left open
    assert verdict(at).startswith("right: ")  # the last answer that could be checked, still on screen …
    assert any("Showing the last answer that could be checked" in i.value for i in at.info)  # … and said so
    ok(at.text_input(key="practice_answer").input("-5 a sin(5x)").run())
    assert "the answer uses a, which is not in the formula" in at.error[0].value
    assert at.error[0].value.split("\n")[-2].index("^") == "-5 ".index(" ") + 1  # under the a
    ok(at.text_input(key="practice_expr").input("k cos(5x)").run())
    assert "'k' would be a parameter" in at.error[0].value and verdict(at).startswith("right: ")


def test_new_exercises_follow_the_topic_and_the_score_counts_the_students_answers():
    at = run()
    assert score(at) == "0 / 0" and not at.get("plotly_chart")  # no answer yet: no chart, no verdict
    ok(at.selectbox(key="practice_topic").select("quotient").run())
    ok(at.button(key="practice_new").click().run())
    expr = at.text_input(key="practice_expr").value
    assert "/" in expr and at.text_input(key="practice_answer").value == ""
    right = derivlib.parse(expr)  # the derivative itself would be cheating: answer with the formula, wrongly
    ok(at.text_input(key="practice_answer").input(str(right)).run())
    assert verdict(at).startswith("wrong: ") and score(at) == "0 / 1"
    ok(at.text_input(key="practice_expr").input("x^2").run())
    ok(at.text_input(key="practice_answer").input("2x").run())
    assert verdict(at).startswith("right: ") and score(at) == "1 / 2"
    ok(at.text_input(key="practice_answer").input("2 x").run())
    assert score(at) == "1 / 2"  # the same exercise again counts once
    assert at.query_params["topic"] == "quotient"


def test_the_derivative_is_shown_only_when_asked_for():
    at = run({"expr": "sin(5x)", "answer": "cos(5x)"})
    assert not at.latex
    ok(at.toggle(key="practice_show").set_value(True).run())
    (formula,) = at.latex
    assert "f'(x) = " in formula.value and "\\cos" in formula.value, formula.value
    rules = " ".join(m.value for m in at.markdown)
    assert "chain rule" in rules
    assert at.query_params["show"] == "1"


def test_a_class_set_link_opens_its_exercises_one_after_the_other():
    query = {"topic": "chain", "level": "2", "seed": "17", "count": "3"}
    items = exercise_set("chain", 2, 17, 3)
    at = run(query)
    assert at.text_input(key="practice_expr").value == items[0].text
    assert any("Exercise 1 of 3" in m.value for m in at.markdown)
    ok(at.button(key="practice_next").click().run())
    assert at.text_input(key="practice_expr").value == items[1].text
    assert at.query_params["n"] == "2" and at.query_params["seed"] == "17" and at.query_params["count"] == "3"
    assert [code.value for code in at.code][-1].endswith("?topic=chain&level=2&seed=17&count=3")
    own = run({"set": "x^2 sin(x), exp(3x), ln(x^2 + 1)", "n": "2"})
    assert own.text_input(key="practice_expr").value == "exp(3x)"
    assert any("Exercise 2 of 3" in m.value for m in own.markdown)
    assert own.text_input(key="practice_xmin_text").value == "-2"  # exp(3x) is checked where it is not a spike
    bad = run({"set": "x^2, k sin(x)"})
    assert "'k' would be a parameter: write a number instead): no set" in bad.warning[0].value


def test_values_in_the_link_that_cannot_be_used_are_said_so():
    at = run({"expr": "sin(5x", "order": "7", "count": "99", "answer": "cos(", "xmin": "3", "xmax": "1"})
    (warning,) = [w.value for w in at.warning if "could not be used" in w.value]
    assert "`expr=sin(5x`" in warning and "`order=7`" in warning and "`count=99`" in warning, warning
    assert "range 3 … 1 is empty" in warning
    assert any("Exercise 1 of 5" in m.value for m in at.markdown)  # a set of 5, its first exercise in the box
    assert at.text_input(key="practice_expr").value == exercise_set("chain", 1, 0, 5)[0].text
    assert at.text_input(key="practice_answer").value == "cos("  # an answer is kept as typed: its problem is shown
    assert "```text\ncos(\n" in at.error[0].value
