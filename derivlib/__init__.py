"""derivlib: exact derivatives of typed formulas, by PyTorch autograd over a whole grid at once.

>>> import derivlib
>>> derivlib.derivatives("x^3 + sin(x)", [1.0, 3.141592653589793, 5.0], order=2)[1:].round(decimals=4)
tensor([[ 3.5403, 28.6088, 75.2837],
        [ 5.1585, 18.8496, 30.9589]], dtype=torch.float64)
"""

from .engine import MAX_ORDER, available_devices, constants, derivatives
from .errors import ExpressionError
from .parse import parse, parse_list
from .table import columns, grid, grid_table, table, to_csv, to_json
from .tree import Expression

__all__ = [
    "MAX_ORDER",
    "Expression",
    "ExpressionError",
    "available_devices",
    "columns",
    "constants",
    "derivatives",
    "grid",
    "grid_table",
    "parse",
    "parse_list",
    "table",
    "to_csv",
    "to_json",
]
