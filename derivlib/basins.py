"""Basins of attraction: where each start of a grid goes under a method, named by the critical point it reaches.

Every start of a side × side grid over the box is run at once (`minimize_many`); each end point is matched to the
critical points of f in the box (`critical_points`), or said to be a failure (the run did not converge) or to have
converged elsewhere (to a critical point outside the box). The map of these labels shows what a textbook struggles to
say: Newton's method drawn to saddles and maxima where the Hessian is not positive definite, the basins of gradient
descent against Newton's, where a method fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .critical import critical_points
from .many import minimize_many
from .parse import parse
from .tree import Expression

FAILED = -1  # the label of a start whose run did not converge
ELSEWHERE = -2  # … of one that converged to a critical point outside the box
MATCH = 1e-5  # an end point within this share of the box's diagonal of a critical point has reached it


@dataclass(frozen=True)
class Basins:
    """A method's basins over a grid: `critical` (critical_points' table), `labels` (side × side: the row of
    `critical` each start reached, FAILED or ELSEWHERE), `iterations` (side × side), the grid's axes `xs`, `ys`, and
    `runs` (minimize_many's table, one row per start, x varying fastest)."""

    method: str
    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    iterations: np.ndarray
    critical: pd.DataFrame
    runs: pd.DataFrame

    def shares(self) -> dict[str, float]:
        """The share of the starts that reached each kind of critical point, failed, or converged elsewhere."""
        found: dict[str, float] = {}
        total = self.labels.size
        for kind in self.critical["kind"].unique():
            rows = np.flatnonzero(self.critical["kind"].to_numpy() == kind)
            found[str(kind)] = float(np.isin(self.labels, rows).sum()) / total
        found["failed"] = float((self.labels == FAILED).sum()) / total
        found["elsewhere"] = float((self.labels == ELSEWHERE).sum()) / total
        return found


def basins(
    expr: Expression | str,
    x: tuple[float, float],
    y: tuple[float, float],
    *,
    method: str = "newton",
    side: int = 100,
    params: Mapping[str, float] | None = None,
    max_iter: int | None = None,
    critical: pd.DataFrame | None = None,
) -> Basins:
    """Each start of a side × side grid over the box x × y, run by the method at once, labelled by the critical
    point it reached (`critical`: the box's critical points, computed where not given).

    >>> found = basins("x^2 - y^2 + y^4/4", (-2, 2), (-2, 2), method="newton", side=5)
    >>> found.critical["kind"].tolist(), found.labels.shape
    (['minimum', 'saddle', 'minimum'], (5, 5))
    """
    if isinstance(side, bool) or not isinstance(side, int) or side < 2:
        raise ValueError(f"side must be a whole number of at least 2, not {side!r}")
    expr = parse(expr, variables=("x", "y")) if isinstance(expr, str) else expr
    if critical is None:
        critical = critical_points(expr, x=x, y=y, params=params)
    xs, ys = np.linspace(*x, side), np.linspace(*y, side)
    grid_x, grid_y = np.meshgrid(xs, ys)  # row j (y), column i (x)
    runs = minimize_many(
        expr, {"x": grid_x.ravel(), "y": grid_y.ravel()}, method=method, params=params, max_iter=max_iter
    )
    ends = runs[["x", "y"]].to_numpy()
    labels = np.full(len(runs), FAILED)
    converged = runs["success"].to_numpy(dtype=bool)
    labels[converged] = ELSEWHERE
    if len(critical):
        points = critical[["x", "y"]].to_numpy(dtype=float)
        distance = np.hypot(ends[:, None, 0] - points[None, :, 0], ends[:, None, 1] - points[None, :, 1])
        nearest = np.argmin(distance, axis=1)
        reach = MATCH * float(np.hypot(x[1] - x[0], y[1] - y[0]))
        hit = converged & (distance[np.arange(len(runs)), nearest] <= reach)
        labels[hit] = nearest[hit]
    return Basins(
        method,
        xs,
        ys,
        labels.reshape(side, side),
        runs["nit"].to_numpy().reshape(side, side),
        critical.reset_index(drop=True),
        runs,
    )
