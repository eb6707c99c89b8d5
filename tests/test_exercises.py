"""Exercises by topic and level: formulas a student can differentiate by hand, the same for the same seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import derivlib
from derivlib.exercises import (
    FINITE_SHARE,
    LEVELS,
    MAX_COUNT,
    MAX_NODES,
    MAX_SEED,
    TOPIC_FUNCTIONS,
    TOPICS,
    Exercise,
    allowed,
    exercise,
    exercise_set,
    practice_range,
)
from derivlib.functions import FUNCTIONS
from derivlib.tree import Call, Number, Variable, children, walk

ROOT = Path(__file__).resolve().parent.parent
SEEDS = range(25)
BY_HAND = {"sin", "cos", "tan", "sec", "csc", "cot", "asin", "acos", "atan", "exp", "log", "sqrt"}
CASES = [(topic, level) for topic in TOPICS for level in LEVELS]


def case_id(case: tuple[str, int]) -> str:
    return f"{case[0].split()[0]}-{case[1]}"


@pytest.fixture(scope="module", params=CASES, ids=case_id)
def made(request) -> tuple[str, int, list[Exercise]]:
    topic, level = request.param
    return topic, level, [exercise(topic, level, seed) for seed in SEEDS]


def test_every_exercise_is_a_formula_in_x_alone(made):
    topic, level, exercises = made
    for item in exercises:
        expr = derivlib.parse(item.text)
        assert expr.variables == ("x",) and expr.parameters == (), item
        assert (item.topic, item.level) == (topic, level)


def test_every_exercise_uses_only_the_functions_its_topic_allows_by_hand(made):
    topic, level, exercises = made
    names = set(allowed(topic, level))
    assert names <= BY_HAND
    for item in exercises:
        used = {node.function for node in walk(derivlib.parse(item.text).tree) if isinstance(node, Call)}
        assert used <= names, (item, used - names)


def test_every_exercise_is_small_with_small_whole_numbers(made):
    """Solvable by hand: a short formula, coefficients and powers small whole numbers (a fractional power is p/q)."""
    _, _, exercises = made
    for item in exercises:
        tree = derivlib.parse(item.text).tree
        assert sum(1 for _ in walk(tree)) <= MAX_NODES, item
        numbers = [node.value for node in walk(tree) if isinstance(node, Number)]
        assert all(value.is_integer() and abs(value) <= 9 for value in numbers), item


def test_every_derivative_is_defined_on_most_of_its_range(made):
    _, _, exercises = made
    for item in exercises:
        low, high = item.x
        assert (low, high) in [(-5.0, 5.0), (0.0, 5.0), (-2.0, 2.0), (0.0, 2.0), (1.0, 5.0), (-1.0, 1.0)]
        slope = derivlib.derivatives(item.text, derivlib.grid(low, high, 1_001), order=1)[1].numpy()
        assert np.isfinite(slope).mean() >= FINITE_SHARE, item


def test_different_seeds_give_varied_exercises(made):
    _, _, exercises = made
    texts = [item.text for item in exercises]
    assert len(set(texts)) >= len(texts) // 2, texts


def test_the_same_seed_gives_the_same_exercise(made):
    topic, level, exercises = made
    assert [exercise(topic, level, seed) for seed in SEEDS] == exercises


def test_the_same_seed_gives_the_same_exercise_in_another_process():
    """Seeded by text, not by Python's salted hash: the link a teacher sends opens the same exercises anywhere."""
    code = (
        "from derivlib.exercises import exercise, TOPICS\nprint('|'.join(exercise(t, 3, 12345).text for t in TOPICS))"
    )
    environment = os.environ | {"PYTHONHASHSEED": "123"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=environment
    )
    assert result.stdout.strip() == "|".join(exercise(topic, 3, 12345).text for topic in TOPICS), result.stderr


def test_the_topics_use_their_own_functions():
    assert allowed("power", 1) == ()
    assert set(allowed("trigonometric", 3)) == {"sin", "cos", "tan", "sec", "csc", "cot", "asin", "acos", "atan"}
    assert set(allowed("exponential and logarithmic", 3)) == {"exp", "log"}
    assert set(allowed("mixed", 3)) == {name for names in TOPIC_FUNCTIONS.values() for name in names}
    assert all(name in FUNCTIONS for names in TOPIC_FUNCTIONS.values() for name in names)  # records, all of them
    for topic in TOPICS:  # a level allows what the level below allows, and more
        assert set(allowed(topic, 1)) <= set(allowed(topic, 2)) <= set(allowed(topic, 3))


def test_each_topic_has_its_rule_in_it():
    """What the topic is about is there: a product, a quotient, a function of a function, a power of x …"""
    for seed in range(10):
        assert "/" in exercise("quotient", 1, seed).text
        assert "^" in exercise("power", 1, seed).text
        product = derivlib.parse(exercise("product", 1, seed).text).tree
        assert product.op == "*" and any(isinstance(node, Call) for node in walk(product)), product
        chain = derivlib.parse(exercise("chain", 2, seed).text).tree
        outer = [node for node in walk(chain) if isinstance(node, Call) or getattr(node, "op", "") == "^"]
        assert any(children(node)[0] != Variable("x") for node in outer), chain  # a function of more than x


def test_a_set_holds_different_exercises_each_of_its_own_seed():
    items = exercise_set("chain", 2, seed=40, count=8)
    assert len(items) == 8 and len({item.text for item in items}) == 8
    assert items == exercise_set("chain", 2, seed=40, count=8)
    assert all(item == exercise("chain", 2, item.seed) for item in items)
    assert items[0].seed == 40 and [item.seed for item in items] == sorted(item.seed for item in items)
    assert exercise_set("chain", 2, seed=40, count=3) == items[:3]


@pytest.mark.parametrize(
    ("topic", "level", "seed", "count", "message"),
    [
        ("calculus", 1, 0, 1, "unknown topic 'calculus': the topics are power, chain"),
        ("chain", 4, 0, 1, "the levels are 1, 2, 3, not 4"),
        ("chain", 1, -1, 1, "a seed is a whole number from 0 to 999,999,999"),
        ("chain", 1, MAX_SEED, 1, "a seed is a whole number"),
        ("chain", 1, 0, 0, f"a set holds 1 to {MAX_COUNT} exercises, not 0"),
        ("chain", 1, 0, MAX_COUNT + 1, f"a set holds 1 to {MAX_COUNT} exercises"),
    ],
)
def test_what_makes_no_exercise_is_refused_with_what_would(topic, level, seed, count, message):
    with pytest.raises(ValueError, match=message):
        exercise_set(topic, level, seed, count)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x^3 - 2x", (-5.0, 5.0)),
        ("ln(x)", (0.0, 5.0)),
        ("exp(3x)", (-2.0, 2.0)),
        ("ln(ln(x))", (1.0, 5.0)),
        ("acos(x)", (-1.0, 1.0)),
    ],
)
def test_the_range_shows_where_the_derivative_lives(text, expected):
    assert practice_range(text) == expected
