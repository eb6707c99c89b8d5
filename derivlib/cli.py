"""The command line: `python -m derivlib EXPR --at 1,pi,5` prints x, f, d1 … dN as CSV or JSON.

With `--check ANSWER` it checks a student's derivative instead (`check_derivative`): `python -m derivlib "tan(4x)"
--check "4sec(4x)^2"` prints the verdict, the mistake and where the answer differs, over `--range START STOP`
(-5 5), for the derivative of `--order` (1). Exit status 0 when the answer is right, 1 when it is wrong.

With `--variables x,y` the formula has several variables, and the table every partial derivative up to the order
(x, y, f, fx, fy, fxx, fxy, fyy at order 2), at points listed with `--at "1,2; 0.5,-1"` (a point per `;`, a value
per variable) or over a grid, `--grid-x START STOP NUM --grid-y START STOP NUM` (x varying fastest, as
`surface_table`). The grid options are named for the variables, so `--variables u,v` takes `--grid-u` and `--grid-v`.

With `--minimize METHOD --start x=-1.2,y=1` it runs `minimize` from the start (the start's names are the variables)
and prints how the run ended: a row of CSV (method, success, status, status_name, message, nit, nfev, njev, nhev,
fun, the point, jac_NAME for each variable, seconds) or, with `--format json`, an object as `MinimizeResult` has it;
with `--path`, the iterations instead (minimize's path: k, the point, f, grad_norm, step, evaluations). Exit status 0
when the run converged, 1 when it did not (the result is printed either way).

With `--minimize-many METHOD --starts-x -5 5 21 --starts-y -5 5 21` it runs `minimize_many` from every start of a grid
(an option --starts-NAME START STOP NUM per variable, named as --grid-NAME is, every combination, the first variable
fastest) and prints a row per start: start_NAME, the end point, fun, nit, success, status, status_name. Exit status 0
when every start converged, 1 when any did not.

With `--critical-points` it prints `critical_points` of f(x, y) in the box `--range-x START STOP --range-y START STOP`
(-5 5 each): kind, x, y, f, fx, fy, fxx, fxy, fyy, smooth; its notes on stderr, or as "notes" beside "points" in JSON.

Each command takes its own options only: an option of another (--at with --minimize, --start with --check) exits with
status 2 and a message, so that nothing typed is silently ignored.

Bad input (a formula, a value or a setting) exits with status 2 and a message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch

from .engine import DTYPES, MAX_ORDER, MAX_OUTPUT_BYTES, check_order, constants, resolve_dtype
from .errors import ExpressionError
from .functions import ALIASES, FUNCTIONS
from .parse import SUGAR, parse
from .partials import partial_names, partials
from .table import arrays, grid, grid_arrays, to_csv, to_json  # not DataFrames: pandas would add half a second
from .tree import CONSTANTS, Expression

if TYPE_CHECKING:
    from .checking import DerivativeCheck
    from .optimize import MinimizeResult

EXAMPLES = """\
examples:
  python -m derivlib "x^3 + sin(x)" --at 1,pi,5
  python -m derivlib "a*sin(b*x)" --grid 0 2pi 5 --param a=2 b=1/2 --order 3
  echo "-x^2" | python -m derivlib - --at 0,1 --format json
  python -m derivlib "tan(4x)" --check "4sec(4x)^2"
  python -m derivlib "x^3" --check "6x" --order 2 --range 0 10
  python -m derivlib "x^2 y + sin(y)" --variables x,y --at "1,2; 0.5,-pi"
  python -m derivlib "(x^2 + y - 11)^2 + (x + y^2 - 7)^2" --variables x,y --grid-x -5 5 101 --grid-y -5 5 101
  python -m derivlib "(1 - x)^2 + 100(y - x^2)^2" --minimize newton --start x=-1.2,y=1
  python -m derivlib "(1 - x)^2 + 100(y - x^2)^2" --minimize lbfgs --start x=-1.2 y=1 --path --format json
  python -m derivlib "(x^2 + y - 11)^2 + (x + y^2 - 7)^2" --minimize-many newton --starts-x -5 5 21 --starts-y -5 5 21
  python -m derivlib "x^3 - 3x + y^2" --critical-points --range-x -2 2 --range-y -1 1
"""

# Options and how many values follow each (--at: all up to the next option): values are formulas and may start with
# '-' (-pi, -1/2).
_ARITY = {
    **{"--at": 10**6, "--grid": 3, "--order": 1, "--device": 1, "--dtype": 1, "--format": 1, "--variables": 1},
    **{"--check": 1, "--range": 2, "--minimize": 1, "--start": 10**6, "--tol": 1, "--max-iter": 1, "--lr": 1},
    **{"--memory": 1, "--range-x": 2, "--range-y": 2, "--points": 1, "--minimize-many": 1},
}
# Every option but EXPR, in the order a conflict between them is reported.
OPTIONS = (
    *("--at", "--grid", "--variables", "--order", "--check", "--range", "--minimize", "--start", "--tol"),
    *("--minimize-many", "--max-iter", "--lr", "--memory", "--path", "--critical-points", "--range-x", "--range-y"),
    *("--points", "--param", "--device", "--dtype", "--format"),
)
TABLE = ("--at", "--grid", "--variables", "--order", "--param", "--device", "--dtype", "--format")  # and --grid-NAME
PLACES = ("--at", "--grid", "--variables", "--range", "--start", "--range-x", "--range-y")  # where a command works
CHECK_RANGE = (-5.0, 5.0)  # --check's default range of x
CRITICAL_BOX = ((-5.0, 5.0), (-5.0, 5.0))  # --critical-points' default box: x's range, y's range
# What --minimize prints besides the variables' own columns (the result's, and minimize's path's, checked by a test):
# a variable may not share a name with one of them. (jac_NAME, status_name and grad_norm cannot be a variable's name.)
RESULT_COLUMNS = ("method", "success", "status", "status_name", "message", "nit", "nfev", "njev", "nhev", "fun")
PATH_COLUMNS = ("k", "f", "grad_norm", "step", "evaluations")
CHECK_ROWS = 5  # rows of the differing points that --check prints (spread over them)
GRID_PREFIX = "--grid-"  # --grid-NAME START STOP NUM: a variable's axis, with --variables
STARTS_PREFIX = "--starts-"  # --starts-NAME START STOP NUM: a variable's starts, with --minimize-many
# What --minimize-many prints besides start_NAME and the variables' own columns (minimize_many's, checked by a test).
MANY_COLUMNS = ("fun", "nit", "success", "status", "status_name")
MAX_STARTS = 10**6  # starts of one --minimize-many: each holds its iterate, gradient and Hessian (or L-BFGS's pairs)
_NAME = re.compile(r"[a-z][a-z0-9]*")  # a variable, as the tokenizer reads a name (lowercased)


def _parser(
    variables: tuple[str, ...] | None = None, points: bool = True, starts: Sequence[str] = ()
) -> argparse.ArgumentParser:
    """The options; with `variables` (from --variables) a --grid-NAME option for each, and a --starts-NAME option
    for each name in `starts` (as typed); without `points` (a command such as --check, or one of its options, given)
    neither --at nor --grid is needed."""
    parser = argparse.ArgumentParser(
        prog="python -m derivlib",
        description="Exact derivatives of a formula with PyTorch, as a table with columns x,f,d1,...,dN; "
        "with --variables, every partial derivative (x,y,f,fx,fy,fxx,fxy,fyy). The commands --check, --minimize, "
        "--minimize-many and --critical-points do something else with the formula, each with its own options.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expr", metavar="EXPR", help="the formula, e.g. 'x^3 + sin(x)'; '-' reads it from stdin")
    where = parser.add_mutually_exclusive_group(required=variables is None and points)
    where.add_argument(
        "--at",
        nargs="+",
        metavar="POINTS",
        help="points, each a constant formula, separated by commas or spaces: 1,pi,2pi/3 or 1 pi 5; with "
        "--variables, points separated by ';' or spaces, a value per variable in each: '1,2; 0.5,-1' or 1,2 0.5,-1",
    )
    where.add_argument("--grid", nargs=3, metavar=("START", "STOP", "NUM"), help="NUM evenly spaced points")
    parser.add_argument(
        "--variables",
        metavar="NAMES",
        help="the formula's variables, comma-separated (x,y); then the grid is --grid-NAME START STOP NUM for each",
    )
    for name in variables or ():
        parser.add_argument(
            GRID_PREFIX + name,
            dest=f"grid_{name}",
            nargs=3,
            metavar=("START", "STOP", "NUM"),
            help=f"NUM evenly spaced values of {name}; the grid is every combination, the first variable fastest",
        )
    parser.add_argument(
        "--order",
        type=int,
        help=f"highest derivative order, 0 to {MAX_ORDER} (2); with --check, the order of the derivative checked (1)",
    )
    parser.add_argument(
        "--check",
        metavar="ANSWER",
        help="check ANSWER as the derivative of EXPR: prints the verdict, the mistake and where it differs; exit "
        "status 0 when right, 1 when wrong",
    )
    parser.add_argument(
        "--range", nargs=2, metavar=("START", "STOP"), help="with --check: the range of x compared (-5 5)"
    )
    parser.add_argument(
        "--minimize",
        metavar="METHOD",
        help="minimize EXPR by METHOD from --start (newton, lbfgs, cg-pr, gradient-descent, scipy-bfgs, ...: a "
        "wrong name lists them all): prints how the run ended; exit status 0 when it converged, 1 when not",
    )
    parser.add_argument(
        "--start",
        nargs="+",
        action="extend",
        metavar="NAME=VALUE",
        help="with --minimize: where the run starts, a value per variable, e.g. x=-1.2,y=1 or x=-1.2 y=pi/4; the "
        "names are the variables, any other letter of EXPR a parameter",
    )
    parser.add_argument(
        "--minimize-many",
        metavar="METHOD",
        help="minimize EXPR by METHOD from every start of a grid, --starts-NAME START STOP NUM for each variable (as "
        "--starts-x -5 5 21 --starts-y -5 5 21: every combination, the first variable fastest), all at once; METHOD "
        "is one of derivlib's own (newton, lbfgs, cg-pr, gradient-descent, ...): prints a row per start; exit status "
        "0 when every start converged, 1 when not",
    )
    for name in dict.fromkeys(starts):  # as typed: a name that cannot be a variable is refused by --minimize-many
        parser.add_argument(
            STARTS_PREFIX + name,
            dest=_dest(STARTS_PREFIX + name),
            nargs=3,
            metavar=("START", "STOP", "NUM"),
            help=f"with --minimize-many: NUM evenly spaced starting values of {name}",
        )
    parser.add_argument(
        "--tol", help="with --minimize(-many): converged where the largest |partial derivative| <= TOL (1e-8)"
    )
    parser.add_argument(
        "--max-iter", metavar="N", help="with --minimize(-many): the most iterations (the method's own cap)"
    )
    parser.add_argument("--lr", help="with --minimize(-many) gradient-descent: the fixed step (1e-3)")
    parser.add_argument(
        "--memory", metavar="M", help="with --minimize(-many) lbfgs or torch-lbfgs: the pairs kept (10)"
    )
    parser.add_argument(
        "--path",
        action="store_true",
        help="with --minimize: print the iterations (k, the point, f, grad_norm, step, evaluations) instead of the "
        "result; with --format json, the result with its path",
    )
    parser.add_argument(
        "--critical-points",
        action="store_true",
        help="the points where the gradient of f(x, y) is 0 in the box of --range-x and --range-y, with their kind "
        "(minimum, maximum, saddle, degenerate); notes on stderr",
    )
    for axis, (start, stop) in zip("xy", CRITICAL_BOX, strict=True):
        parser.add_argument(
            f"--range-{axis}",
            nargs=2,
            metavar=("START", "STOP"),
            help=f"with --critical-points: the box's range of {axis} ({start:g} {stop:g})",
        )
    parser.add_argument("--points", metavar="N", help="with --critical-points: the search grid's points per axis (301)")
    parser.add_argument(
        "--param",
        nargs="+",
        action="extend",
        metavar="NAME=VALUE",
        help="a value for each parameter of the formula, e.g. a=2 b=pi/4",
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:N or mps (cpu)")
    parser.add_argument("--dtype", choices=list(DTYPES), help="precision (float64)")
    parser.add_argument(
        "--format",
        choices=["csv", "json"],
        help="output format (csv); with --check, the verdict as text unless json, or csv for the differing points",
    )
    return parser


def _protect_values(argv: Sequence[str]) -> list[str]:
    """A leading space for values that start with '-' (formulas such as -x^2 or -pi), so argparse keeps them."""
    protected, expecting = [], 0
    for arg in argv:
        if arg.startswith("--") and len(arg) > 2:  # the next option: the values before it are over
            expecting = 0
        if expecting or (arg.startswith("-") and not arg.startswith("--") and len(arg) > 1 and arg != "-h"):
            protected.append(" " + arg if arg.startswith("-") and arg != "-" else arg)
            expecting = max(0, expecting - 1)
        else:
            protected.append(arg)
            expecting = 3 if arg.startswith((GRID_PREFIX, STARTS_PREFIX)) else _ARITY.get(arg, 0)
    return protected


def _joined(items: Sequence[str], separator: str) -> str:
    """--at's values as one list: `1 pi 5` as `1, pi, 5` (and `1,2 0.5,-1` as `1,2; 0.5,-1` with --variables); a
    separator already typed at either side of a space is not doubled (`1, pi` typed as two values).

    >>> _joined(["1", "pi", "5"], ","), _joined(["1,", "pi"], ","), _joined(["1,2", " -1,0"], ";")
    ('1, pi, 5', '1, pi', '1,2; -1,0')
    """
    text = ""
    for item in (item.strip() for item in items):
        if text and not text.endswith(separator) and not item.startswith(separator):
            text += separator
        text += (" " if text else "") + item
    return text


def _typed(argv: Sequence[str], options: Sequence[str]) -> bool:
    """Whether any of the options is among the arguments (before they are parsed: whether --at or --grid is needed)."""
    return any(arg == option or arg.startswith(option + "=") for arg in argv for option in options)


def _typed_starts(argv: Sequence[str]) -> tuple[str, ...]:
    """The names of the --starts-NAME options typed, in order and as typed (a name given twice twice).

    >>> _typed_starts(["x y", "--minimize-many", "newton", "--starts-x", "0", "1", "3", "--starts-Y", "0", "1", "3"])
    ('x', 'Y')
    """
    return tuple(arg.removeprefix(STARTS_PREFIX).partition("=")[0] for arg in argv if arg.startswith(STARTS_PREFIX))


def _dest(option: str) -> str:
    """Where argparse keeps an option's value: --max-iter in max_iter, --starts-x in starts_x."""
    return option.removeprefix("--").replace("-", "_")


def _given_variables(argv: Sequence[str]) -> str | None:
    """The text of --variables, read before the options that depend on it (the grids) are known."""
    first = argparse.ArgumentParser(prog="python -m derivlib", add_help=False)
    first.add_argument("--variables")
    known, _ = first.parse_known_args(argv)
    return known.variables


def _variables(text: str) -> tuple[str, ...]:
    """The names in --variables; ExpressionError with a caret at the first that cannot be a variable."""
    what = "--variables "
    names: list[str] = []
    start = 0
    for item in text.split(","):
        name = item.strip().lower()
        position = len(what) + start + len(item) - len(item.lstrip())
        if not name:
            problem: str | None = "empty name: write the variables' names separated by commas, as x,y"
        else:
            problem = _name_problem(item.strip(), names, {"f": "names the formula's own column"})
        if problem:
            raise ExpressionError(problem, what + text, position)
        names.append(name)
        start += len(item) + 1
    return tuple(names)


def _name_problem(typed: str, names: Sequence[str], taken: Mapping[str, str]) -> str | None:
    """What stops the typed text from naming a variable beside `names`, if anything: `taken` maps the names of the
    output's other columns to what they name."""
    name = typed.lower()
    if not _NAME.fullmatch(name):
        return f"{typed!r} is not a name: a variable is a letter, then letters or digits (x, y, x1)"
    if name in FUNCTIONS or name in ALIASES or name in SUGAR:
        return f"{name!r} is a function's name: call the variable something else"
    if name in CONSTANTS:
        return f"{name!r} is a constant: call the variable something else"
    if name in taken:
        return f"{name!r} {taken[name]}: call the variable something else"
    if name in names:
        return f"{name!r} is named twice"
    return None


def _parameters(pairs: Sequence[str] | None) -> dict[str, float]:
    params = {}
    for pair in pairs or ():
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


def _count(text: str, what: str, noun: str = "points") -> int:
    count = _number(text, what + " ")
    if not count.is_integer():
        raise ValueError(f"{what} must be a whole number of {noun}, not {text.strip()}")
    return int(count)


def _positive(text: str, what: str) -> float:
    value = _number(text, what + " ")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a positive number, not {text.strip()}")
    return value


def _at_least(text: str, what: str, noun: str, least: int) -> int:
    count = _count(text, what, noun)
    if count < least:
        raise ValueError(f"{what} must be at least {least}, not {count}")
    return count


def _source(args: argparse.Namespace, stdin_text: str | None) -> str:
    """The formula as typed, or as read from stdin where EXPR is '-'."""
    if args.expr == "-":
        assert stdin_text is not None  # main reads stdin whenever the formula is "-"
        return stdin_text.strip()
    return args.expr.strip()


def run(args: argparse.Namespace, stdin_text: str | None) -> str:
    """The table's text for parsed arguments; raises ExpressionError or ValueError on bad input."""
    source = _source(args, stdin_text)
    expr = parse(source) if args.variables is None else parse(source, variables=args.variables)
    params = _parameters(args.param)
    settings = dict(order=args.order, params=params, device=args.device, dtype=args.dtype)
    if args.variables is not None:
        frame = _partials_columns(expr, args, params)
    elif args.at is not None:
        frame = arrays(expr, constants(_joined(args.at, ","), params), **settings)
    else:
        start, stop, num = args.grid
        count = _count(num, "--grid NUM")
        frame = grid_arrays(expr, _number(start, "--grid START "), _number(stop, "--grid STOP "), count, **settings)
    return to_csv(frame) if args.format == "csv" else to_json(frame)


def _partials_columns(expr: Expression, args: argparse.Namespace, params: dict[str, float]) -> dict[str, np.ndarray]:
    """The several-variable table's columns: the points, then every partial derivative (`partial_names`)."""
    variables: tuple[str, ...] = args.variables
    grids = {name: getattr(args, f"grid_{name}") for name in variables}
    given = [name for name in variables if grids[name] is not None]
    if args.grid is not None:
        raise ValueError(f"--grid is for one variable: with --variables give {_grid_options(variables)}")
    if args.at is not None and given:
        raise ValueError(f"give the points either with --at or with {_grid_options(variables)}, not both")
    if args.at is None and not given:
        grids_text = _grid_options(variables)
        raise ValueError(f"give the points: --at with a value per variable in each point, or {grids_text}")
    if args.at is None and len(given) < len(variables):
        missing = [name for name in variables if name not in given]
        raise ValueError(
            f"a grid needs every variable's range: there is {_grid_options(given)} but no "
            f"{_grid_options(missing)} (or list the points with --at)"
        )
    dtype, order = resolve_dtype(args.dtype), check_order(args.order)
    if args.at is not None:
        rows = _points(_joined(args.at, ";"), variables, params)
        columns = [torch.tensor(values, dtype=dtype) for values in zip(*rows, strict=True)]
    else:
        columns = _grid(grids, dtype, columns=len(variables) + len(partial_names(variables, order)))
    points = dict(zip(variables, columns, strict=True))
    found = partials(expr, points, order=order, params=params, device=args.device, dtype=dtype)
    return {name: values.numpy() for name, values in points.items()} | {
        name: row.numpy(force=True) for name, row in found.items()
    }


def _grid_options(variables: Sequence[str]) -> str:
    return " and ".join(f"{GRID_PREFIX}{name} START STOP NUM" for name in variables)


def _points(text: str, variables: tuple[str, ...], params: dict[str, float]) -> list[list[float]]:
    """--at's points: ';' between points, ',' between a point's values (for one variable ',' between points too)."""
    if len(variables) == 1 and ";" not in text:
        return [[value] for value in constants(text.strip(), params)]
    points, start = [], 0
    for item in text.split(";"):
        position = start + len(item) - len(item.lstrip())
        if not item.strip():
            message = f"empty point: write {len(variables)} values ({', '.join(variables)}) between the semicolons"
            raise ExpressionError(message, text, position)
        try:
            values = constants(item, params)
        except ExpressionError as error:
            raise ExpressionError(error.message, text, start + error.position) from None
        if len(values) != len(variables):
            message = (
                f"every point needs {len(variables)} values, one per variable ({', '.join(variables)}): "
                f"this one has {len(values)}"
            )
            raise ExpressionError(message, text, position)
        points.append(values)
        start += len(item) + 1
    return points


def _grid(grids: dict[str, list[str]], dtype: torch.dtype, columns: int) -> list[torch.Tensor]:
    """Every combination of the axes' values, the first variable varying fastest (as `surface_grid`); the table's
    `columns`, each as long as the grid, are checked against the output budget before the grid is made."""
    specs = _axes(grids, GRID_PREFIX)
    count = math.prod(max(num, 0) for _, _, num in specs.values())
    needed = count * columns * dtype.itemsize
    if needed > MAX_OUTPUT_BYTES:  # before any axis is made: one axis alone may be too long
        most = MAX_OUTPUT_BYTES // (columns * dtype.itemsize)
        raise ValueError(
            f"a grid of {count:,} points makes {columns} columns of {needed / 2**30:.1f} GiB in all; at most "
            f"{most:,} points fit the {MAX_OUTPUT_BYTES // 2**30} GiB budget"
        )
    return _mesh(specs, dtype, GRID_PREFIX)


def _axes(grids: Mapping[str, Sequence[str]], prefix: str) -> dict[str, tuple[float, float, int]]:
    """Each axis's START, STOP and NUM as typed after PREFIX+NAME (--grid-x, --starts-x), read as numbers; an
    ExpressionError's caret under the value."""
    specs = {}
    for name, (start, stop, num) in grids.items():
        what = prefix + name
        specs[name] = (_number(start, f"{what} START "), _number(stop, f"{what} STOP "), _count(num, f"{what} NUM"))
    return specs


def _mesh(specs: Mapping[str, tuple[float, float, int]], dtype: torch.dtype, prefix: str) -> list[torch.Tensor]:
    """Every combination of the axes' values, the first variable varying fastest (as `surface_grid`): a column per
    variable; ValueError naming the option of an axis that makes no grid."""
    axes = []
    for name, spec in specs.items():
        try:
            axes.append(grid(*spec, dtype=dtype))
        except ValueError as error:
            raise ValueError(f"{prefix}{name}: {error}") from None
    mesh = torch.meshgrid(*reversed(axes), indexing="ij")  # the last variable slowest
    return [values.reshape(-1) for values in reversed(mesh)]


class Output(NamedTuple):
    """What a command prints, and the exit status."""

    text: str  # for stdout
    status: int = 0  # 0; 1 where the answer is no (a wrong derivative, a run that did not converge)
    notes: Sequence[str] = ()  # lines for stderr, after the text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1 for a wrong answer to --check, a --minimize run that
    did not converge or a --minimize-many start that did not, 2 for bad input)."""
    argv = _protect_values(sys.argv[1:] if argv is None else argv)
    given = _given_variables(argv)
    try:
        variables = None if given is None else _variables(given)
    except ExpressionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if variables is None and (grids := [arg for arg in argv if arg.startswith(GRID_PREFIX)]):
        print(f"error: {grids[0]} is for several variables: name them first, as --variables x,y", file=sys.stderr)
        return 2
    starts = _typed_starts(argv)
    # A command, or an option of one alone (which is then refused by name), needs neither --at nor --grid.
    points = not (starts or _typed(argv, [option for option in OPTIONS if option not in TABLE]))
    args = _parser(variables, points, starts).parse_args(argv)
    args.variables, args.starts = variables, starts
    try:
        command = _command(args)
        _check_options(args, command)
        stdin_text = sys.stdin.read() if args.expr == "-" else None
        if command:
            output = COMMANDS[command].run(args, stdin_text)
        else:
            args.order = 2 if args.order is None else args.order
            args.format = args.format or "csv"
            args.device, args.dtype = args.device or "cpu", args.dtype or "float64"
            output = Output(run(args, stdin_text))
        sys.stdout.write(output.text)
        for note in output.notes:
            print(note, file=sys.stderr)
    except ExpressionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return output.status


def _given(args: argparse.Namespace, option: str) -> bool:
    value = getattr(args, _dest(option), None)
    return value is not None and value is not False  # --order 0 is given; --path absent is False


def _command(args: argparse.Namespace) -> str:
    """The command given (--check, --minimize, --minimize-many, --critical-points), or "" for the derivative table;
    ValueError for two."""
    given = [command for command in COMMANDS if _given(args, command)]
    if len(given) > 1:
        raise ValueError(f"{given[0]} and {given[1]} are separate commands: give one of them")
    return given[0] if given else ""


def _check_options(args: argparse.Namespace, command: str) -> None:
    """ValueError for an option that the command does not take, so that nothing typed is silently ignored."""
    grids = tuple(GRID_PREFIX + name for name in args.variables or ())
    starts = tuple(STARTS_PREFIX + name for name in dict.fromkeys(args.starts))
    takes = COMMANDS[command].options if command else (*TABLE, *grids)
    for option in (*OPTIONS, *grids, *starts):
        if option == command or _takes(takes, option) or not _given(args, option):
            continue
        if not command:
            owners = [name for name, other in COMMANDS.items() if _takes(other.options, option)]
            raise ValueError(f"{option} is for {' and '.join(owners)}")
        if option in PLACES or option in grids or option in starts:
            raise ValueError(f"{command} {COMMANDS[command].where}, not {option}")
        raise ValueError(f"{command} takes no {option}: its options are {_listed(takes)}")


def _takes(options: Sequence[str], option: str) -> bool:
    """Whether the option is among the options, where one ending in NAME stands for one per variable.

    >>> _takes(["--starts-NAME", "--tol"], "--starts-u"), _takes(["--start", "--tol"], "--starts-u")
    (True, False)
    """
    return option in options or any(
        pattern.endswith("NAME") and option.startswith(pattern.removesuffix("NAME")) for pattern in options
    )


def _listed(items: Sequence[str]) -> str:
    """The items as a sentence lists them.

    >>> _listed(["--tol", "--lr", "--path"])
    '--tol, --lr and --path'
    """
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def check(args: argparse.Namespace, stdin_text: str | None) -> tuple[str, int]:
    """--check: the verdict's text and the exit status (0 right, 1 wrong); ExpressionError or ValueError on bad
    input, an error in the answer shown under `--check ANSWER`."""
    from .checking import check_derivative  # pandas and the mistake models: only --check needs them

    expr = parse(_source(args, stdin_text))
    params = _parameters(args.param)
    start, stop = CHECK_RANGE
    if args.range is not None:
        start, stop = _number(args.range[0], "--range START "), _number(args.range[1], "--range STOP ")
    answer = args.check.strip()
    order = 1 if args.order is None else args.order
    try:
        result = check_derivative(expr, answer, order=order, x=(start, stop), params=params)
    except ExpressionError as error:
        if error.source != answer:
            raise
        what = "--check "
        raise ExpressionError(error.message, what + answer, len(what) + error.position) from None
    status = 0 if result.correct else 1
    if args.format == "json":
        return _check_json(result), status
    if args.format == "csv":
        return to_csv({name: result.differs[name].to_numpy() for name in result.differs}), status
    return _check_text(result, start, stop), status


def _check_text(result: DerivativeCheck, start: float, stop: float) -> str:
    """The verdict for a person: right or wrong, the mistake, the message, a few of the points where it differs."""
    lines = [f"verdict: {'right' if result.correct else 'wrong'}"]
    if not result.correct:
        mistake = result.mistake or "none of the common ones"
        lines.append(f"mistake: {mistake}" + (f" (in {result.part})" if result.part else ""))
    lines.append(result.message)
    differs = result.differs
    if len(differs):
        lines.append(
            f"differs at {len(differs):,} of {result.compared:,} points compared from x = {start:g} to {stop:g}, "
            "for example:"
        )
        shown = sorted(set(np.linspace(0, len(differs) - 1, min(CHECK_ROWS, len(differs))).round().astype(int)))
        lines.append("x,expected,given")
        lines += [",".join(f"{value:.10g}" for value in differs.iloc[i]) for i in shown]
    return "\n".join(lines) + "\n"


def _check_json(result: DerivativeCheck) -> str:
    """The verdict as JSON: correct, mistake, part, message, order, compared, steps, and the differing points (NaN
    and ±inf as null)."""
    verdict = {
        "correct": result.correct,
        "mistake": result.mistake,
        "part": result.part,
        "message": result.message,
        "order": result.order,
        "compared": result.compared,
        "steps": [list(step) for step in result.steps],
        "differs": json.loads(to_json({name: result.differs[name].to_numpy() for name in result.differs})),
    }
    return json.dumps(verdict, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# --minimize METHOD --start NAME=VALUE,...: a run of `minimize`


def run_minimize(args: argparse.Namespace, stdin_text: str | None) -> Output:
    """--minimize: a run of `minimize` from --start, as its result (a row of CSV, a JSON object) or, with --path, its
    iterations; exit status 0 when the run converged, 1 when it did not. ExpressionError or ValueError on bad input
    (a start where f or ∇f is undefined among it)."""
    from .optimize import METHODS, minimize  # pandas and scipy: only --minimize needs them

    method = args.minimize.strip().lower()
    if method not in METHODS:
        close = difflib.get_close_matches(method, list(METHODS), n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown method {args.minimize.strip()!r}{guess}: choose one of {', '.join(METHODS)}")
    if args.start is None:
        raise ValueError(
            "--minimize needs a start, a value per variable: --start x=-1.2,y=1 (the names are the variables)"
        )
    params = _parameters(args.param)
    start = _start(args.start, params)
    expr = parse(_source(args, stdin_text), variables=tuple(start))
    unset = [name for name in expr.parameters if name not in params]
    if unset:  # minimize's own message speaks of x0 and params
        name = unset[0]
        raise ValueError(
            f"{name!r} has neither a start nor a value: give it a start to minimize over it too (--start ...,{name}=1)"
            f", or a value (--param {name}=1)"
        )
    settings = _settings(args)
    dtype = args.dtype or "float64"
    result = minimize(expr, start, method=method, params=params, device=args.device, dtype=dtype, **settings)
    status = 0 if result.success else 1
    if args.format == "json":
        record = _result_json(result)
        if args.path:
            record["path"] = _records({name: result.path[name].to_numpy() for name in result.path.columns})
        return Output(json.dumps(record, indent=1, ensure_ascii=False) + "\n", status)
    if args.path:  # the table has the iterations only: how the run ended goes to stderr
        ending = f"{result.method}: {result.message} (status {int(result.status)}, {result.status.name})"
        return Output(to_csv(result.path), status, [ending])
    return Output(to_csv({name: np.array([value]) for name, value in _result_row(result).items()}), status)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """--tol, --max-iter, --lr and --memory, those given, as minimize's arguments (its own defaults otherwise)."""
    settings: dict[str, Any] = {}
    if args.tol is not None:
        settings["tol"] = _positive(args.tol, "--tol")
    if args.max_iter is not None:
        settings["max_iter"] = _at_least(args.max_iter, "--max-iter", "iterations", 0)
    if args.lr is not None:
        settings["lr"] = _positive(args.lr, "--lr")
    if args.memory is not None:
        settings["memory"] = _at_least(args.memory, "--memory", "pairs", 1)
    return settings


def _start(items: Sequence[str], params: Mapping[str, float]) -> dict[str, float]:
    """--start's NAME=VALUE pairs, separated by commas, spaces or both: the names are the variables, in order, each
    value a constant formula; ExpressionError with a caret under the first problem.

    >>> _start(["x=-1.2,", "y=pi/2"], {}), _start(["t = atan2(1, 1)"], {})
    ({'x': -1.2, 'y': 1.5707963267948966}, {'t': 0.7853981633974483})
    """
    what = "--start "
    text = _joined(items, ",")
    source = what + text
    taken = dict.fromkeys((*RESULT_COLUMNS, *PATH_COLUMNS, "seconds"), "names a column of what --minimize prints")
    start: dict[str, float] = {}
    for offset, item in _items(text):
        at = len(what) + offset + len(item) - len(item.lstrip())
        typed, equals, value = item.strip().partition("=")
        name = typed.strip()
        if not item.strip():
            problem: str | None = "empty item: write NAME=VALUE between the commas"
        elif not equals:
            problem = f"--start takes NAME=VALUE for each variable, as x=-1.2,y=1, not {item.strip()!r}"
        elif not name:
            problem = "a name is missing before '=': write NAME=VALUE, as x=-1.2"
        else:
            problem = _name_problem(name, list(start), taken)
        if problem:
            raise ExpressionError(problem, source, at)
        at += len(typed) + 1
        if not value.strip():
            raise ExpressionError(f"{name}= needs a value, as {name}=1", source, at)
        try:
            (number,) = constants(value, params)  # one: the items were split at the commas between them
        except ExpressionError as error:
            raise ExpressionError(error.message, source, at + error.position) from None
        start[name.lower()] = number
    return start


def _items(text: str) -> list[tuple[int, str]]:
    """The text's comma-separated items, each with where it starts; a comma in a call or in braces (a piecewise
    formula's) is part of its item."""
    items, start, depth = [], 0, 0
    for i, character in enumerate(text):
        depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(character, 0)
        if character == "," and depth == 0:
            items.append((start, text[start:i]))
            start = i + 1
    return [*items, (start, text[start:])]


def _result_row(result: MinimizeResult) -> dict[str, object]:
    """The result as one row of a table: the scalars as scipy's OptimizeResult names them, the status's name, the
    point (a column per variable), the gradient there (jac_NAME), the seconds taken. A run over many starts would
    print a row per start."""
    return {
        "method": result.method,
        "success": result.success,
        "status": int(result.status),
        "status_name": result.status.name,
        "message": result.message,
        **{name: getattr(result, name) for name in ("nit", "nfev", "njev", "nhev", "fun")},
        **result.x,
        **{f"jac_{name}": value for name, value in result.jac.items()},
        "seconds": result.seconds,
    }


def _result_json(result: MinimizeResult) -> dict[str, object]:
    """The result as a JSON object, named as MinimizeResult names it (x and jac by variable; hess null for a method
    that does not use it); NaN and ±inf as null."""
    record = {name: _plain(value) for name, value in _result_row(result).items()}
    point = {name: record.pop(name) for name in result.x}
    gradient = {name: record.pop(f"jac_{name}") for name in result.jac}
    seconds = record.pop("seconds")
    hess = None if result.hess is None else [[_plain(value) for value in row] for row in result.hess.tolist()]
    return {**record, "x": point, "jac": gradient, "hess": hess, "seconds": seconds}


def _plain(value: object) -> object:
    """A value as JSON holds it: NaN and ±inf, which JSON lacks, as null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _records(columns: Mapping[str, np.ndarray]) -> list[dict[str, object]]:
    """The rows of a table as JSON objects, each value as Python has it (whole numbers stay whole, words words)."""
    rows = zip(*(np.asarray(values).tolist() for values in columns.values()), strict=True)
    return [{name: _plain(value) for name, value in zip(columns, row, strict=True)} for row in rows]


# ---------------------------------------------------------------------------------------------------------------------
# --minimize-many METHOD --starts-NAME START STOP NUM ...: minimize_many from a grid of starts


def run_minimize_many(args: argparse.Namespace, stdin_text: str | None) -> Output:
    """--minimize-many: `minimize_many` from every start of the grid of the --starts-NAME options, a row per start
    (start_NAME, the end point, fun, nit, success, status, status_name) as CSV or a JSON list; exit status 0 when every
    start converged, 1 when any did not. ExpressionError or ValueError on bad input."""
    from .many import BATCHED, minimize_many  # pandas: only the optimisation commands need it
    from .optimize import METHODS, Status

    method = args.minimize_many.strip().lower()
    if method not in BATCHED:
        typed = args.minimize_many.strip()
        if method in METHODS:
            problem = f"{typed!r} runs one start at a time (--minimize)"
        else:
            close = difflib.get_close_matches(method, list(BATCHED), n=1)
            problem = f"unknown method {typed!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
        raise ValueError(f"{problem}: --minimize-many runs one of {', '.join(BATCHED)}")
    if not args.starts:
        raise ValueError(
            "--minimize-many needs its starts, --starts-NAME START STOP NUM for each variable (the names are the "
            "variables): --starts-x -5 5 21 --starts-y -5 5 21"
        )
    typed_starts = {name: getattr(args, _dest(STARTS_PREFIX + name)) for name in args.starts}
    taken = dict.fromkeys(MANY_COLUMNS, "names a column of what --minimize-many prints")
    for i, name in enumerate(args.starts):  # the grid's names are the variables: each must be able to be one
        refused = _name_problem(name, [before.lower() for before in args.starts[:i]], taken)
        if refused:
            source = f"{STARTS_PREFIX}{name} {' '.join(value.strip() for value in typed_starts[name])}"
            raise ExpressionError(refused, source, len(STARTS_PREFIX))
    params = _parameters(args.param)
    expr = parse(_source(args, stdin_text), variables=tuple(name.lower() for name in args.starts))
    unset = [name for name in expr.parameters if name not in params]
    if unset:  # minimize_many's own message speaks of starts and params
        name = unset[0]
        raise ValueError(
            f"{name!r} has neither starts nor a value: give it starts to minimize over it too ({STARTS_PREFIX}{name} "
            f"START STOP NUM), or a value (--param {name}=1)"
        )
    specs = _axes(typed_starts, STARTS_PREFIX)
    count = math.prod(max(num, 0) for _, _, num in specs.values())
    if count > MAX_STARTS:  # before the grid is made: one axis alone may be too long
        sizes = " × ".join(f"{num:,}" for _, _, num in specs.values())
        raise ValueError(
            f"{sizes} = {count:,} starts are more than --minimize-many runs at once (at most {MAX_STARTS:,})"
        )
    columns = _mesh(specs, torch.float64, STARTS_PREFIX)
    starts = {name.lower(): values.numpy() for name, values in zip(specs, columns, strict=True)}
    dtype = args.dtype or "float64"
    frame = minimize_many(
        expr, starts, method=method, params=params, device=args.device, dtype=dtype, **_settings(args)
    )
    table: dict[str, np.ndarray] = {name: frame[name].to_numpy() for name in frame.columns}
    table["status"] = table["status"].astype(np.int64)
    table["status_name"] = np.array([Status(code).name for code in table["status"].tolist()], dtype=object)
    status = 0 if bool(table["success"].all()) else 1
    if args.format == "json":
        return Output(json.dumps(_records(table), indent=1, ensure_ascii=False) + "\n", status)
    return Output(to_csv(table), status)


# ---------------------------------------------------------------------------------------------------------------------
# --critical-points: where ∇f = 0 in a box of x and y


def run_critical_points(args: argparse.Namespace, stdin_text: str | None) -> Output:
    """--critical-points: `critical_points` of f(x, y) in the box of --range-x and --range-y as CSV, its notes for
    stderr; or both as one JSON object (points, notes)."""
    from .critical import MAX_POINTS, MIN_POINTS, VARIABLES, critical_points  # pandas: only this command needs it

    source = _source(args, stdin_text)
    expr = parse(source, variables=VARIABLES)
    missing = [name for name in VARIABLES if name not in expr.variables]
    if missing:
        lacks = "neither x nor y" if len(missing) == 2 else f"no {missing[0]}"
        raise ValueError(f"--critical-points is for a formula in x and y, and this one has {lacks}: {source}")
    params = _parameters(args.param)
    box = [
        _range(given, f"--range-{axis}", default)
        for axis, given, default in zip("xy", (args.range_x, args.range_y), CRITICAL_BOX, strict=True)
    ]
    points = None
    if args.points is not None:
        points = _count(args.points, "--points")
        if not MIN_POINTS <= points <= MAX_POINTS:
            raise ValueError(f"--points must be from {MIN_POINTS} to {MAX_POINTS:,} per axis, not {points:,}")
    frame = critical_points(expr, box[0], box[1], params=params, points=points)
    notes = list(frame.attrs.get("notes", []))
    if args.format == "json":
        found = {"points": _records({name: frame[name].to_numpy() for name in frame.columns}), "notes": notes}
        return Output(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    return Output(to_csv(frame), 0, [f"note: {note}" for note in notes])


def _range(given: Sequence[str] | None, what: str, default: tuple[float, float]) -> tuple[float, float]:
    """START and STOP of a range option, each a constant formula; ValueError unless START < STOP."""
    if given is None:
        return default
    start, stop = _number(given[0], f"{what} START "), _number(given[1], f"{what} STOP ")
    if not start < stop:
        raise ValueError(f"{what}: the range must go from a smaller to a larger number, not from {start:g} to {stop:g}")
    return start, stop


@dataclass(frozen=True)
class Command:
    """A command beside the derivative table, named by its option: where it works (said when a table's points are
    given instead), the options it takes besides EXPR (one ending in NAME stands for one per variable: --starts-NAME),
    and what runs it."""

    where: str
    options: tuple[str, ...]
    run: Callable[[argparse.Namespace, str | None], Output]


COMMANDS = {
    "--check": Command(
        "compares over a range of x: give it with --range START STOP",
        ("--order", "--range", "--param", "--format"),
        lambda args, stdin_text: Output(*check(args, stdin_text)),
    ),
    "--minimize": Command(
        "starts from one point: give it with --start NAME=VALUE,... (the names are the variables)",
        ("--start", "--tol", "--max-iter", "--lr", "--memory", "--path", "--param", "--device", "--dtype", "--format"),
        run_minimize,
    ),
    "--minimize-many": Command(
        "starts from a grid: give it with --starts-NAME START STOP NUM for each variable (the names are the variables)",
        ("--starts-NAME", "--tol", "--max-iter", "--lr", "--memory", "--param", "--device", "--dtype", "--format"),
        run_minimize_many,
    ),
    "--critical-points": Command(
        "searches a box of x and y: give it with --range-x START STOP --range-y START STOP",
        ("--range-x", "--range-y", "--points", "--param", "--format"),
        run_critical_points,
    ),
}
