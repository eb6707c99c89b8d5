"""One marker language: a kind of point looks the same on every page's chart, and the legend names it."""

from __future__ import annotations

from derivlib.figures.markers import MARKERS
from derivlib.figures.one_variable import KIND_MARKERS
from derivlib.figures.two_variables import CRITICAL_MARKERS


def test_a_maximum_is_a_peak_and_a_minimum_a_valley():
    assert MARKERS["maximum"][0] == "triangle-up" and MARKERS["minimum"][0] == "triangle-down"


def test_every_chart_draws_each_kind_as_the_one_language_does():
    for drawn in (KIND_MARKERS, CRITICAL_MARKERS):
        assert {kind: MARKERS[kind] for kind in drawn} == drawn
    assert (
        KIND_MARKERS["maximum"] == CRITICAL_MARKERS["maximum"]
        and KIND_MARKERS["minimum"] == CRITICAL_MARKERS["minimum"]
    )


def test_no_two_kinds_look_alike_on_one_chart():
    for drawn in (KIND_MARKERS, CRITICAL_MARKERS):
        looks = [(symbol, colour) for kind, (symbol, colour, _) in drawn.items() if kind != "pole"]
        assert len(set(looks)) == len(looks)
