"""derivlib: exact derivatives of typed formulas, by PyTorch autograd over a whole grid at once.

>>> import derivlib
>>> derivlib.derivatives("x^3 + sin(x)", [1.0, 3.141592653589793, 5.0], order=2)[1:].round(decimals=4)
tensor([[ 3.5403, 28.6088, 75.2837],
        [ 5.1585, 18.8496, 30.9589]], dtype=torch.float64)
"""

from .analysis import points_of_interest
from .engine import MAX_ORDER, available_devices, constants, derivatives, fused_state
from .errors import ExpressionError
from .parse import parse, parse_list
from .table import columns, grid, grid_table, table, to_csv, to_csv_gz, to_json, to_parquet
from .tree import Expression

# The symbolic cross-check and the autograd lab load sympy (seconds): import them on first use, not with derivlib.
_LAZY = {
    **dict.fromkeys(["Formula", "cross_check", "derivative_formulas"], "symbolic"),
    **dict.fromkeys(
        [
            "backward_trap",
            "best_step",
            "finite_difference_errors",
            "is_elementwise",
            "precision_errors",
            "torch_source",
            "tutorial_code",
        ],
        "lab",
    ),
}


def __getattr__(name: str):
    if name in _LAZY:
        if _LAZY[name] == "symbolic":
            from . import symbolic as module
        else:
            from . import lab as module
        return getattr(module, name)
    raise AttributeError(f"module 'derivlib' has no attribute {name!r}")


__all__ = [
    "MAX_ORDER",
    "Expression",
    "ExpressionError",
    "Formula",
    "available_devices",
    "backward_trap",
    "best_step",
    "columns",
    "constants",
    "cross_check",
    "derivative_formulas",
    "derivatives",
    "finite_difference_errors",
    "fused_state",
    "grid",
    "grid_table",
    "is_elementwise",
    "parse",
    "parse_list",
    "points_of_interest",
    "precision_errors",
    "table",
    "to_csv",
    "to_csv_gz",
    "to_json",
    "to_parquet",
    "torch_source",
    "tutorial_code",
]
