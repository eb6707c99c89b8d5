"""derivlib: exact derivatives of typed formulas, by PyTorch autograd over a whole grid at once.

>>> import derivlib
>>> derivlib.derivatives("x^3 + sin(x)", [1.0, 3.141592653589793, 5.0], order=2)[1:].round(decimals=4)
tensor([[ 3.5403, 28.6088, 75.2837],
        [ 5.1585, 18.8496, 30.9589]], dtype=torch.float64)
"""

import importlib

from .engine import MAX_ORDER, available_devices, constant, constants, derivatives, fused_state
from .errors import ExpressionError
from .limits import LIMITS, Limits, TimeBudgetError
from .parse import parse, parse_list
from .partials import partial_names, partials, surface_table
from .table import columns, grid, grid_table, table, to_csv, to_csv_gz, to_json, to_parquet
from .tree import Expression

# Imported on first use, not with derivlib, so that `import derivlib` costs little beyond torch: the symbolic
# cross-check and the autograd lab load sympy (seconds), the points of interest pandas (half a second). The compiler
# (torch._inductor, seconds) is loaded by fused.py only once a compiled program is asked for.
_LAZY = {
    "points_of_interest": "analysis",
    "critical_points": "critical",
    **dict.fromkeys(["minimize", "MinimizeResult", "Status"], "optimize"),
    "minimize_many": "many",
    **dict.fromkeys(["Formula", "cross_check", "derivative_formulas"], "symbolic"),
    **dict.fromkeys(["MISTAKES", "DerivativeCheck", "check_derivative", "derivative_steps"], "checking"),
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
    if name not in _LAZY:
        raise AttributeError(f"module 'derivlib' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)


__all__ = [
    "LIMITS",
    "MAX_ORDER",
    "MISTAKES",
    "DerivativeCheck",
    "Expression",
    "ExpressionError",
    "Formula",
    "Limits",
    "MinimizeResult",
    "Status",
    "TimeBudgetError",
    "available_devices",
    "backward_trap",
    "best_step",
    "check_derivative",
    "columns",
    "constant",
    "constants",
    "critical_points",
    "cross_check",
    "derivative_formulas",
    "derivative_steps",
    "derivatives",
    "finite_difference_errors",
    "fused_state",
    "grid",
    "grid_table",
    "is_elementwise",
    "minimize",
    "minimize_many",
    "parse",
    "parse_list",
    "partial_names",
    "partials",
    "points_of_interest",
    "precision_errors",
    "surface_table",
    "table",
    "to_csv",
    "to_csv_gz",
    "to_json",
    "to_parquet",
    "torch_source",
    "tutorial_code",
]
