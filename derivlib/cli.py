"""The command line: `python -m derivlib EXPR --at 1,pi,5` prints x, f, d1 … dN as CSV or JSON.

Bad input (a formula, a value or a setting) exits with status 2 and a message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .engine import DTYPES, MAX_ORDER, constants
from .errors import ExpressionError
from .parse import parse
from .table import arrays, grid_arrays, to_csv, to_json  # not DataFrames: pandas would add half a second

EXAMPLES = """\
examples:
  python -m derivlib "x^3 + sin(x)" --at 1,pi,5
  python -m derivlib "a*sin(b*x)" --grid 0 2pi 5 --param a=2 b=1/2 --order 3
  echo "-x^2" | python -m derivlib - --at 0,1 --format json
"""

# Options and how many values follow each: values are formulas and may start with '-' (-pi, -1/2).
_ARITY = {"--at": 1, "--grid": 3, "--order": 1, "--device": 1, "--dtype": 1, "--format": 1}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m derivlib",
        description="Exact derivatives of a formula by PyTorch autograd, as a table with columns x,f,d1,...,dN.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expr", metavar="EXPR", help="the formula, e.g. 'x^3 + sin(x)'; '-' reads it from stdin")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", metavar="LIST", help="comma-separated points, each a constant formula: 1,pi,2pi/3")
    where.add_argument("--grid", nargs=3, metavar=("START", "STOP", "NUM"), help="NUM evenly spaced points")
    parser.add_argument("--order", type=int, default=2, help=f"highest derivative order, 0 to {MAX_ORDER} (2)")
    parser.add_argument(
        "--param",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=VALUE",
        help="a value for each parameter of the formula, e.g. a=2 b=pi/4",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (cpu)")
    parser.add_argument("--dtype", default="float64", choices=list(DTYPES), help="precision (float64)")
    parser.add_argument("--format", default="csv", choices=["csv", "json"], help="output format (csv)")
    return parser


def _protect_values(argv: Sequence[str]) -> list[str]:
    """A leading space for values that start with '-' (formulas such as -x^2 or -pi), so argparse keeps them."""
    protected, expecting = [], 0
    for arg in argv:
        if expecting or (arg.startswith("-") and not arg.startswith("--") and len(arg) > 1 and arg != "-h"):
            protected.append(" " + arg if arg.startswith("-") and arg != "-" else arg)
            expecting = max(0, expecting - 1)
        else:
            protected.append(arg)
            expecting = _ARITY.get(arg, 0)
    return protected


def _parameters(pairs: Sequence[str]) -> dict[str, float]:
    params = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"--param takes NAME=VALUE, not {pair!r}")
        params[name.strip().lower()] = _number(value, f"--param {name.strip()}=")
    return params


def _number(text: str, what: str) -> float:
    try:
        (value,) = constants(text)
    except ValueError as error:
        if isinstance(error, ExpressionError):
            raise ExpressionError(error.message, what + error.source, len(what) + error.position) from None
        raise ValueError(f"{what} needs one value, not {text!r}") from None
    return value


def run(args: argparse.Namespace, stdin_text: str | None) -> str:
    """The table's text for parsed arguments; raises ExpressionError or ValueError on bad input."""
    source = stdin_text.strip() if args.expr == "-" else args.expr.strip()
    expr = parse(source)
    params = _parameters(args.param)
    settings = dict(order=args.order, params=params, device=args.device, dtype=args.dtype)
    if args.at is not None:
        frame = arrays(expr, constants(args.at.strip(), params), **settings)
    else:
        start, stop, num = args.grid
        count = _number(num, "--grid NUM ")
        if not count.is_integer():
            raise ValueError(f"--grid NUM must be a whole number of points, not {num.strip()}")
        frame = grid_arrays(
            expr, _number(start, "--grid START "), _number(stop, "--grid STOP "), int(count), **settings
        )
    return to_csv(frame) if args.format == "csv" else to_json(frame)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, or 2 for bad input)."""
    args = _parser().parse_args(_protect_values(sys.argv[1:] if argv is None else argv))
    try:
        sys.stdout.write(run(args, sys.stdin.read() if args.expr == "-" else None))
    except ExpressionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
