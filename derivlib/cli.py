"""The command line: `python -m derivlib EXPR --at 1,pi,5` prints x, f, d1 … dN as CSV or JSON.

With `--check ANSWER` it checks a student's derivative instead (`check_derivative`): `python -m derivlib "tan(4x)"
--check "4sec(4x)^2"` prints the verdict, the mistake and where the answer differs, over `--range START STOP`
(-5 5), for the derivative of `--order` (1). Exit status 0 when the answer is right, 1 when it is wrong.

With `--variables x,y` the formula has several variables, and the table every partial derivative up to the order
(x, y, f, fx, fy, fxx, fxy, fyy at order 2), at points listed with `--at "1,2; 0.5,-1"` (a point per `;`, a value
per variable) or over a grid, `--grid-x START STOP NUM --grid-y START STOP NUM` (x varying fastest, as
`surface_table`). The grid options are named for the variables, so `--variables u,v` takes `--grid-u` and `--grid-v`.

Bad input (a formula, a value or a setting) exits with status 2 and a message on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

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

EXAMPLES = """\
examples:
  python -m derivlib "x^3 + sin(x)" --at 1,pi,5
  python -m derivlib "a*sin(b*x)" --grid 0 2pi 5 --param a=2 b=1/2 --order 3
  echo "-x^2" | python -m derivlib - --at 0,1 --format json
  python -m derivlib "tan(4x)" --check "4sec(4x)^2"
  python -m derivlib "x^3" --check "6x" --order 2 --range 0 10
  python -m derivlib "x^2 y + sin(y)" --variables x,y --at "1,2; 0.5,-pi"
  python -m derivlib "(x^2 + y - 11)^2 + (x + y^2 - 7)^2" --variables x,y --grid-x -5 5 101 --grid-y -5 5 101
"""

# Options and how many values follow each (--at: all up to the next option): values are formulas and may start with
# '-' (-pi, -1/2).
_ARITY = {
    **{"--at": 10**6, "--grid": 3, "--order": 1, "--device": 1, "--dtype": 1, "--format": 1, "--variables": 1},
    **{"--check": 1, "--range": 2},
}
CHECK_RANGE = (-5.0, 5.0)  # --check's default range of x
CHECK_ROWS = 5  # rows of the differing points that --check prints (spread over them)
GRID_PREFIX = "--grid-"  # --grid-NAME START STOP NUM: a variable's axis, with --variables
_NAME = re.compile(r"[a-z][a-z0-9]*")  # a variable, as the tokenizer reads a name (lowercased)


def _parser(variables: tuple[str, ...] | None = None, check: bool = False) -> argparse.ArgumentParser:
    """The options; with `variables` (from --variables) a --grid-NAME option for each; with `check` (--check given)
    neither --at nor --grid is needed."""
    parser = argparse.ArgumentParser(
        prog="python -m derivlib",
        description="Exact derivatives of a formula with PyTorch, as a table with columns x,f,d1,...,dN; "
        "with --variables, every partial derivative (x,y,f,fx,fy,fxx,fxy,fyy).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expr", metavar="EXPR", help="the formula, e.g. 'x^3 + sin(x)'; '-' reads it from stdin")
    where = parser.add_mutually_exclusive_group(required=variables is None and not check)
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
        "--param",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=VALUE",
        help="a value for each parameter of the formula, e.g. a=2 b=pi/4",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (cpu)")
    parser.add_argument("--dtype", default="float64", choices=list(DTYPES), help="precision (float64)")
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
            expecting = 3 if arg.startswith(GRID_PREFIX) else _ARITY.get(arg, 0)
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


def _given_check(argv: Sequence[str]) -> bool:
    """Whether --check is among the options (then neither --at nor --grid is needed)."""
    return any(arg == "--check" or arg.startswith("--check=") for arg in argv)


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
        problem = None
        if not name:
            problem = "empty name: write the variables' names separated by commas, as x,y"
        elif not _NAME.fullmatch(name):
            problem = f"{item.strip()!r} is not a name: a variable is a letter, then letters or digits (x, y, x1)"
        elif name in FUNCTIONS or name in ALIASES or name in SUGAR:
            problem = f"{name!r} is a function's name: call the variable something else"
        elif name in CONSTANTS:
            problem = f"{name!r} is a constant: call the variable something else"
        elif name == "f":
            problem = "'f' names the formula's own column: call the variable something else"
        elif name in names:
            problem = f"{name!r} is named twice"
        if problem:
            raise ExpressionError(problem, what + text, position)
        names.append(name)
        start += len(item) + 1
    return tuple(names)


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


def _count(text: str, what: str) -> int:
    count = _number(text, what + " ")
    if not count.is_integer():
        raise ValueError(f"{what} must be a whole number of points, not {text.strip()}")
    return int(count)


def run(args: argparse.Namespace, stdin_text: str | None) -> str:
    """The table's text for parsed arguments; raises ExpressionError or ValueError on bad input."""
    if args.expr == "-":
        assert stdin_text is not None  # main reads stdin whenever the formula is "-"
        source = stdin_text.strip()
    else:
        source = args.expr.strip()
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
    specs = {}
    for name, (start, stop, num) in grids.items():
        what = GRID_PREFIX + name
        specs[name] = (_number(start, f"{what} START "), _number(stop, f"{what} STOP "), _count(num, f"{what} NUM"))
    count = math.prod(max(num, 0) for _, _, num in specs.values())
    needed = count * columns * dtype.itemsize
    if needed > MAX_OUTPUT_BYTES:  # before any axis is made: one axis alone may be too long
        most = MAX_OUTPUT_BYTES // (columns * dtype.itemsize)
        raise ValueError(
            f"a grid of {count:,} points makes {columns} columns of {needed / 2**30:.1f} GiB in all; at most "
            f"{most:,} points fit the {MAX_OUTPUT_BYTES // 2**30} GiB budget"
        )
    axes = []
    for name, spec in specs.items():
        try:
            axes.append(grid(*spec, dtype=dtype))
        except ValueError as error:
            raise ValueError(f"{GRID_PREFIX}{name}: {error}") from None
    mesh = torch.meshgrid(*reversed(axes), indexing="ij")  # the last variable slowest
    return [values.reshape(-1) for values in reversed(mesh)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0, 1 for a wrong answer to --check, 2 for bad input)."""
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
    args = _parser(variables, check=_given_check(argv)).parse_args(argv)
    args.variables = variables
    status = 0
    try:
        stdin_text = sys.stdin.read() if args.expr == "-" else None
        if args.check is not None:
            text, status = check(args, stdin_text)
        else:
            args.order = 2 if args.order is None else args.order
            args.format = args.format or "csv"
            text = run(args, stdin_text)
        sys.stdout.write(text)
    except ExpressionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return status


def check(args: argparse.Namespace, stdin_text: str | None) -> tuple[str, int]:
    """--check: the verdict's text and the exit status (0 right, 1 wrong); ExpressionError or ValueError on bad
    input, an error in the answer shown under `--check ANSWER`."""
    from .checking import check_derivative  # pandas and the mistake models: only --check needs them

    others = [option for option, value in (("--at", args.at), ("--grid", args.grid)) if value is not None]
    if args.variables is not None:
        others.append("--variables")
    if others:
        raise ValueError(f"--check compares over a range of x: give it with --range START STOP, not {others[0]}")
    source = stdin_text.strip() if args.expr == "-" and stdin_text is not None else args.expr.strip()
    expr = parse(source)
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
