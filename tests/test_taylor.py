"""Tangent, Taylor polynomials and curvature, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivlib.taylor import at_point, curvature, osculating_circle, taylor_polynomial


def test_the_tangent_of_a_parabola():
    view = at_point("x^2", 1.0)
    x = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(view.tangent(x), 2 * x - 1)


@pytest.mark.parametrize("order", range(0, 9))
def test_taylor_polynomials_of_exp_at_0_are_its_partial_sums(order):
    view = at_point("exp(x)", 0.0, order=order)
    x = np.array([-1.0, 0.5, 2.0])
    expected = sum(x**k / math.factorial(k) for k in range(order + 1))
    np.testing.assert_allclose(view.taylor(x, order), expected, rtol=1e-14)


def test_the_taylor_polynomial_of_sin_at_pi():
    view = at_point("sin(x)", math.pi, order=5)
    h = np.array([-0.3, 0.1, 0.4])
    expected = -h + h**3 / 6 - h**5 / 120  # sin(pi + h) = -sin(h)
    np.testing.assert_allclose(view.taylor(math.pi + h), expected, rtol=1e-12, atol=1e-15)


def test_the_remainder_shrinks_like_the_next_power():
    view = at_point("log(1 + x)", 0.0, order=4)
    small, smaller = 0.1, 0.05
    remainder = lambda h: abs(math.log1p(h) - view.taylor(np.array([h]))[0])  # noqa: E731
    assert remainder(small) / remainder(smaller) == pytest.approx(2**5, rel=0.1)


def test_a_unit_circle_has_curvature_1_and_its_own_center():
    view = at_point("sqrt(1 - x^2)", 0.3)
    assert view.curvature == pytest.approx(1.0, rel=1e-12)
    assert view.radius == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(view.center, (0.0, 0.0), atol=1e-12)


def test_a_parabola_has_curvature_2_at_its_vertex():
    assert curvature(0.0, 2.0) == 2.0
    center, radius = osculating_circle(0.0, 0.0, 0.0, 2.0)
    assert center == (0.0, 0.5)
    assert radius == 0.5


def test_a_straight_stretch_has_no_circle():
    view = at_point("3x + 1", 2.0)
    assert view.curvature == 0.0
    assert view.center is None
    assert view.radius == math.inf


def test_the_polynomial_takes_any_sequence_of_derivatives():
    np.testing.assert_allclose(taylor_polynomial([2.0, 0.0, 6.0], 1.0, np.array([1.0, 2.0])), [2.0, 5.0])
