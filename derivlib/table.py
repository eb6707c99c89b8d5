"""Derivatives as pandas tables (columns x, f, d1 … dN), and those tables as CSV or JSON text.

pandas takes about half a second to import: it is imported when a DataFrame is first made, so that the command
line, which writes its table from the columns as numpy arrays (`arrays`, `grid_arrays`), starts about as fast as
`import torch` alone.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .engine import Progress, check_order, check_size, derivatives, resolve_device, resolve_dtype
from .parse import parse
from .tree import Expression

if TYPE_CHECKING:
    import pandas as pd

Columns = Mapping[str, np.ndarray]  # a table without pandas: column name -> values, all of one length


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
    time_budget: float | None = None,
) -> pd.DataFrame:
    """f and its derivatives at the given points, one row per point (`method`, `fuse`, `time_budget`: see
    `derivatives`).

    >>> table("x^2", [0.0, 1.0], order=2)
         x    f   d1   d2
    0  0.0  0.0  0.0  2.0
    1  1.0  1.0  2.0  2.0
    """
    import pandas as pd

    options: dict[str, Any] = {"params": params, "device": device, "dtype": dtype, "progress": progress}
    options |= {"method": method, "time_budget": time_budget}
    return pd.DataFrame(arrays(expr, x, order=order, fuse=fuse, **options))


def arrays(
    expr: Expression | str, x: torch.Tensor | np.ndarray | Sequence[float], *, order: int = 2, **options
) -> dict[str, np.ndarray]:
    """The columns of `table` as numpy arrays, without pandas (`options`: those of `table`).

    >>> arrays("x^2", [3.0], order=1)
    {'x': array([3.]), 'f': array([9.]), 'd1': array([6.])}
    """
    rows = derivatives(expr, x, order=order, **options)
    points = torch.as_tensor(x, dtype=rows.dtype).reshape(-1).numpy(force=True)
    return {"x": points} | dict(zip(columns(order)[1:], rows.numpy(force=True), strict=True))


def grid(start: float, stop: float, num: int, *, dtype: torch.dtype | str = torch.float64, device=None) -> torch.Tensor:
    """`num` evenly spaced points from start to stop, both included; ValueError for a range that makes no grid.

    A range whose ends or width overflow the dtype is refused: linspace would compute the step, width / (num − 1),
    as inf and return ±inf and NaN for the points. (Where the width is finite, so is the step, and every point.)

    >>> grid(-1e308, 1e308, 200)
    Traceback (most recent call last):
    ...
    ValueError: the range -1e+308 … 1e+308 is too wide: its width overflows float64, whose largest number is 1.8e+308
    """
    for name, value in (("start", start), ("stop", stop)):
        if not isinstance(value, int | float | np.floating | np.integer) or not math.isfinite(value):
            raise ValueError(f"the range's {name} must be a finite number, not {value!r}")
    if not start < stop:
        raise ValueError(f"the range must go from a smaller to a larger number, not from {start} to {stop}")
    if isinstance(num, bool) or not isinstance(num, int | np.integer):
        raise ValueError(f"the grid needs a whole number of points, not {num!r}")
    if num < 1:
        raise ValueError(f"the grid is empty: ask for at least one point, not {num}")
    dtype = resolve_dtype(dtype)
    largest = torch.finfo(dtype).max
    name = str(dtype).removeprefix("torch.")
    for end, value in (("start", start), ("stop", stop)):
        if abs(float(value)) > largest:  # finite as a Python float, ±inf in float32
            raise ValueError(f"the range's {end}, {float(value):.2g}, is beyond {name}'s largest number, {largest:.2g}")
    # The width in the dtype itself, as linspace computes it; the step, width / (num − 1), is no larger.
    ends = torch.tensor([start, stop], dtype=dtype)
    width = float(ends[1] - ends[0])
    if not math.isfinite(width):
        raise ValueError(
            f"the range {float(start):g} … {float(stop):g} is too wide: its width overflows {name}, whose largest "
            f"number is {largest:.2g}"
        )
    return torch.linspace(start, stop, int(num), dtype=dtype, device=resolve_device(device))


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
    time_budget: float | None = None,
) -> pd.DataFrame:
    """The table over `num` evenly spaced points from start to stop.

    >>> grid_table("sin(x)", 0, 3.141592653589793, 3, order=1).round(12)
              x    f   d1
    0  0.000000  0.0  1.0
    1  1.570796  1.0  0.0
    2  3.141593  0.0 -1.0
    """
    import pandas as pd

    options: dict[str, Any] = {"params": params, "device": device, "dtype": dtype, "progress": progress}
    options |= {"method": method, "time_budget": time_budget}
    return pd.DataFrame(grid_arrays(expr, start, stop, num, order=order, fuse=fuse, **options))


def grid_arrays(
    expr: Expression | str, start: float, stop: float, num: int, *, order: int = 2, **options
) -> dict[str, np.ndarray]:
    """The columns of `grid_table` as numpy arrays, without pandas (`options`: those of `grid_table`)."""
    expr = parse(expr) if isinstance(expr, str) else expr
    dtype, device = options.get("dtype", torch.float64), options.get("device")
    check_size(num if isinstance(num, int) and num > 0 else 1, check_order(order), resolve_dtype(dtype))
    return arrays(expr, grid(start, stop, num, dtype=dtype, device=device), order=order, **options)


def to_csv(frame: pd.DataFrame | Columns) -> str:
    """CSV text in which every number reads back to the same float (shortest round-trip form); NaN as 'nan'.

    `frame` is a DataFrame, or its columns by name (as `arrays` gives them). Arrow's writer formats the numbers in
    C++, about ten times as fast as pandas', and slices of the rows are written in parallel (10⁶ rows of four
    columns in a third of a second on two cores): someone waits for this.

    >>> print(to_csv({"x": [0.1, 2.0], "f": [float("nan"), float("-inf")]}), end="")
    x,f
    0.1,nan
    2,-inf
    """
    return _csv_bytes(frame).decode()


def to_csv_gz(frame: pd.DataFrame | Columns) -> bytes:
    """The CSV of `to_csv`, gzip-compressed (fastest level: the numbers' digits hardly compress further).

    Each slice of rows is compressed on its own thread into a gzip member; members one after another are one gzip
    file, which every reader (gunzip, pandas, R) reads whole.

    >>> import gzip
    >>> gzip.decompress(to_csv_gz({"x": [0.5], "f": [2.0]})).decode().splitlines()
    ['x,f', '0.5,2']
    """
    return _csv_bytes(frame, compress=True)


def to_parquet(frame: pd.DataFrame | Columns) -> bytes:
    """The table as a Parquet file (zstd-compressed): the smallest and quickest download, for pandas, R or polars.

    >>> import io
    >>> import pandas as pd
    >>> pd.read_parquet(io.BytesIO(to_parquet(pd.DataFrame({"x": [0.5], "f": [2.0]})))).equals(
    ...     pd.DataFrame({"x": [0.5], "f": [2.0]}))
    True
    """
    import pyarrow.parquet  # on first use: only downloads need it

    body = io.BytesIO()
    pyarrow.parquet.write_table(_arrow_table(frame), body, compression="zstd")
    return body.getvalue()


CSV_SLICE = 2**17  # rows per slice written (and compressed) by one thread


def _arrow_table(frame: pd.DataFrame | Columns):
    import pyarrow as pa  # on first use: only downloads need it

    return pa.Table.from_arrays([_arrow_column(frame[name]) for name in frame], names=[str(name) for name in frame])


def _arrow_column(values):
    """An Arrow array of the column's values, NaN staying NaN (not null). Floats are wrapped as they are, without
    pa.array, which imports pandas (half a second) to ask whether they are a pandas object."""
    import pyarrow as pa

    values = np.asarray(values)
    if values.dtype.kind != "f":
        return pa.array(values)  # the points of interest's words and flags
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _csv_bytes(frame: pd.DataFrame | Columns, *, compress: bool = False) -> bytes:
    """The CSV file's bytes, header first; slices of rows written by parallel threads (Arrow and zlib release the
    GIL), each gzip-compressed on its own when `compress`."""
    import gzip
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.csv

    data = _arrow_table(frame)
    options = pyarrow.csv.WriteOptions(include_header=False)

    def write(start: int) -> bytes:
        body = io.BytesIO()
        pyarrow.csv.write_csv(data.slice(start, CSV_SLICE), body, options)
        return gzip.compress(body.getvalue(), compresslevel=1) if compress else body.getvalue()

    header = (",".join(data.column_names) + "\n").encode()
    starts = range(0, data.num_rows, CSV_SLICE)
    with ThreadPoolExecutor(max_workers=min(len(starts), os.cpu_count() or 1) or 1) as pool:
        slices = list(pool.map(write, starts))
    return b"".join([gzip.compress(header, compresslevel=1) if compress else header, *slices])


def to_json(frame: pd.DataFrame | Columns) -> str:
    """JSON text: a list of rows, each an object keyed by column; NaN and ±inf, which JSON lacks, as null.

    >>> print(to_json({"x": [1.0], "f": [float("nan")]}), end="")
    [
     {
      "x": 1.0,
      "f": null
     }
    ]
    """
    names = [str(name) for name in frame]
    values = zip(*(np.asarray(frame[name], dtype=float).tolist() for name in frame), strict=True)
    records = [
        {name: (value if math.isfinite(value) else None) for name, value in zip(names, row, strict=True)}
        for row in values
    ]
    return json.dumps(records, indent=1, allow_nan=False) + "\n"
