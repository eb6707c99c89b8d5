"""Derivatives as pandas tables (columns x, f, d1 … dN), and those tables as CSV or JSON text."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from .engine import Progress, check_order, check_size, derivatives, resolve_device, resolve_dtype
from .parse import parse
from .tree import Expression


def columns(order: int) -> list[str]:
    """The table's column names: ['x', 'f', 'd1', ..., 'dN']."""
    return ["x", "f", *(f"d{k}" for k in range(1, order + 1))]


def table(
    expr: Expression | str,
    x: torch.Tensor | np.ndarray | Sequence[float],
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float64,
    progress: Progress | None = None,
    method: str = "taylor",
    fuse: bool = False,
) -> pd.DataFrame:
    """f and its derivatives at the given points, one row per point (`method`, `fuse`: see `derivatives`).

    >>> table("x^2", [0.0, 1.0], order=2)
         x    f   d1   d2
    0  0.0  0.0  0.0  2.0
    1  1.0  1.0  2.0  2.0
    """
    options = {"params": params, "device": device, "dtype": dtype, "progress": progress, "method": method}
    rows = derivatives(expr, x, order=order, fuse=fuse, **options)
    points = torch.as_tensor(x, dtype=rows.dtype).reshape(-1).numpy(force=True)
    data = {"x": points} | dict(zip(columns(order)[1:], rows.numpy(force=True), strict=True))
    return pd.DataFrame(data)


def grid(start: float, stop: float, num: int, *, dtype: torch.dtype | str = torch.float64, device=None) -> torch.Tensor:
    """`num` evenly spaced points from start to stop, both included; ValueError for a range that makes no grid."""
    for name, value in (("start", start), ("stop", stop)):
        if not isinstance(value, int | float | np.floating | np.integer) or not math.isfinite(value):
            raise ValueError(f"the range's {name} must be a finite number, not {value!r}")
    if not start < stop:
        raise ValueError(f"the range must go from a smaller to a larger number, not from {start} to {stop}")
    if isinstance(num, bool) or not isinstance(num, int | np.integer):
        raise ValueError(f"the grid needs a whole number of points, not {num!r}")
    if num < 1:
        raise ValueError(f"the grid is empty: ask for at least one point, not {num}")
    return torch.linspace(start, stop, int(num), dtype=resolve_dtype(dtype), device=resolve_device(device))


def grid_table(
    expr: Expression | str,
    start: float,
    stop: float,
    num: int,
    *,
    order: int = 2,
    params: Mapping[str, float] | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str = torch.float64,
    progress: Progress | None = None,
    method: str = "taylor",
    fuse: bool = False,
) -> pd.DataFrame:
    """The table over `num` evenly spaced points from start to stop.

    >>> grid_table("sin(x)", 0, 3.141592653589793, 3, order=1).round(12)
              x    f   d1
    0  0.000000  0.0  1.0
    1  1.570796  1.0  0.0
    2  3.141593  0.0 -1.0
    """
    expr = parse(expr) if isinstance(expr, str) else expr
    check_size(num if isinstance(num, int) and num > 0 else 1, check_order(order), resolve_dtype(dtype))
    x = grid(start, stop, num, dtype=dtype, device=device)
    options = {"params": params, "device": device, "dtype": dtype, "progress": progress, "method": method}
    return table(expr, x, order=order, fuse=fuse, **options)


def to_csv(frame: pd.DataFrame) -> str:
    """CSV text in which every number reads back to the same float (shortest round-trip form); NaN as 'nan'.

    Arrow's writer formats the numbers in C++, about ten times as fast as pandas' (a million rows in a second or two,
    not half a minute, while someone waits for a download).

    >>> print(to_csv(pd.DataFrame({"x": [0.1, 2.0], "f": [float("nan"), float("-inf")]})), end="")
    x,f
    0.1,nan
    2,-inf
    """
    import pyarrow as pa  # on first use: only downloads need it
    import pyarrow.csv

    columns = {str(name): pa.array(frame[name].to_numpy()) for name in frame.columns}  # NaN stays NaN, not null
    body = io.BytesIO()
    pyarrow.csv.write_csv(pa.table(columns), body, pyarrow.csv.WriteOptions(include_header=False))
    return ",".join(columns) + "\n" + body.getvalue().decode()


def to_json(frame: pd.DataFrame) -> str:
    """JSON text: a list of rows, each an object keyed by column; NaN and ±inf, which JSON lacks, as null."""
    records = [
        {name: (float(value) if math.isfinite(value) else None) for name, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]
    return json.dumps(records, indent=1, allow_nan=False) + "\n"
