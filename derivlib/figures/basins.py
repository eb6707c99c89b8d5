"""The basins map: every start of a grid coloured by the critical point its run reaches (derivlib.basins), shaded by
the iterations it took, failures dark; the critical points marked as on every page."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..basins import ELSEWHERE, FAILED, Basins
from .two_variables import add_critical_points

# A basin's colour by the kind of point it leads to, then lighter for each further point of that kind.
BASIN_COLOURS = {
    "minimum": ["#2ca02c", "#98df8a", "#1b7a1b", "#c7e9c0", "#74c476", "#006d2c"],
    "maximum": ["#d62728", "#ff9896", "#a50f15"],
    "saddle": ["#ff7f0e", "#ffbb78", "#d95f02", "#fdd0a2", "#fd8d3c", "#a63603"],
    "degenerate": ["#9467bd", "#c5b0d5"],
}
FAILED_COLOUR = "#3a3a3a"
ELSEWHERE_COLOUR = "#bdbdbd"
SHADES = 4  # the iterations a start took, in this many steps from its basin's colour (few) to darker (many)
MAP_HEIGHT = 420


def basin_colours(found: Basins) -> list[str]:
    """A colour for each row of found.critical: its kind's colours in turn."""
    used: dict[str, int] = {}
    colours = []
    for kind in found.critical["kind"]:
        palette = BASIN_COLOURS.get(str(kind), BASIN_COLOURS["degenerate"])
        colours.append(palette[used.get(kind, 0) % len(palette)])
        used[kind] = used.get(kind, 0) + 1
    return colours


def _darker(colour: str, share: float) -> str:
    """The colour mixed with black by `share` (0: itself)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({round(r * (1 - share))}, {round(g * (1 - share))}, {round(b * (1 - share))})"


def basins_figure(found: Basins, title: str) -> go.Figure:
    """The map of one method's basins: a heatmap over the starts (a colour per critical point reached, darker for
    more iterations; failures dark grey, runs that converged outside the box light grey), the critical points on top;
    hovering a start says where its run went and in how many iterations."""
    colours = [*basin_colours(found), FAILED_COLOUR, ELSEWHERE_COLOUR]
    codes = np.where(found.labels == FAILED, len(colours) - 2, found.labels)
    codes = np.where(found.labels == ELSEWHERE, len(colours) - 1, codes)
    most = max(int(found.iterations.max(initial=0)), 1)
    shade = np.minimum((found.iterations / most * SHADES).astype(int), SHADES - 1)
    z = codes * SHADES + shade
    top = len(colours) * SHADES - 1
    scale = []
    for k, colour in enumerate(colours):  # stepwise: each code and shade its own band of the scale
        for s in range(SHADES):
            tone = colour if k >= len(colours) - 2 or s == 0 else _darker(colour, 0.45 * s / (SHADES - 1))
            value = k * SHADES + s
            scale += [[max(value - 0.5, 0) / top, tone], [min(value + 0.5, top) / top, tone]]
    names = [
        f"{kind} at ({x + 0.0:.4g}, {y + 0.0:.4g})"
        for kind, x, y in found.critical[["kind", "x", "y"]].itertuples(index=False)
    ]
    words = np.array([*names, "did not converge", "converged outside the box"], dtype=object)
    text = words[codes]
    figure = go.Figure(
        go.Heatmap(
            x=found.xs,
            y=found.ys,
            z=z,
            zmin=0,
            zmax=top,
            colorscale=scale,
            showscale=False,
            customdata=np.dstack([text, found.iterations]),
            hovertemplate="start (%{x:.4g}, %{y:.4g}) → %{customdata[0]}, %{customdata[1]} iterations<extra></extra>",
        )
    )
    add_critical_points(figure, found.critical)
    figure.update_layout(
        title={"text": title, "x": 0.5, "xanchor": "center"},
        height=MAP_HEIGHT,
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        showlegend=False,
        xaxis={"title": "x", "range": [found.xs[0], found.xs[-1]], "constrain": "domain"},
        yaxis={"title": "y", "range": [found.ys[0], found.ys[-1]], "scaleanchor": "x", "constrain": "domain"},
    )
    return figure


def basins_legend(found: Basins) -> list[tuple[str, str, float]]:
    """(colour, words, share of the starts) for each basin the map shows, failures and elsewhere last (a page lists
    them under the maps)."""
    total = found.labels.size
    rows = []
    for k, (colour, (kind, x, y)) in enumerate(
        zip(basin_colours(found), found.critical[["kind", "x", "y"]].itertuples(index=False), strict=True)
    ):
        rows.append((colour, f"{kind} at ({x + 0.0:.4g}, {y + 0.0:.4g})", float((found.labels == k).sum()) / total))
    rows.append((FAILED_COLOUR, "did not converge", float((found.labels == FAILED).sum()) / total))
    rows.append((ELSEWHERE_COLOUR, "converged outside the box", float((found.labels == ELSEWHERE).sum()) / total))
    return rows
