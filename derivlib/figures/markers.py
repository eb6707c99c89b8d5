"""One marker language for every page's charts: what marks a root, a minimum, a maximum, a saddle … and what the
legend calls it.

A maximum is a peak, ▲; a minimum a valley, ▼; the same symbol and colour on the one-variable chart, the contour map
and anywhere else a kind of point is marked, so that a student reads them once.
"""

from __future__ import annotations

CURVE_COLOUR = "#636efa"  # Plotly's first colour: f's curve, and the open and filled dots drawn on it

MARKERS = {  # kind -> (Plotly marker symbol, colour, what the legend calls it)
    "root": ("circle-open", "#111111", "root"),
    "minimum": ("triangle-down", "#2ca02c", "minimum"),
    "maximum": ("triangle-up", "#d62728", "maximum"),
    "saddle": ("x", "#ff7f0e", "saddle point"),
    "stationary": ("diamond", "#9467bd", "stationary"),
    "critical": ("diamond-open", "#9467bd", "critical"),
    "degenerate": ("diamond", "#9467bd", "degenerate (test fails)"),
    "inflection": ("x-thin-open", "#ff7f0e", "inflection"),
    "pole": ("line-ns-open", "#7f7f7f", "pole"),
    "kink": ("hexagon-open", "#8c564b", "corner"),
    "jump": ("circle", CURVE_COLOUR, "jump"),  # a filled dot at f's value, open ones at the values it does not take
    "hole": ("circle", "#ffffff", "hole"),  # an open dot (white inside) where f has no value
}


def markers(*kinds: str) -> dict[str, tuple[str, str, str]]:
    """The markers of these kinds, in this order (a chart's legend lists them so)."""
    return {kind: MARKERS[kind] for kind in kinds}
