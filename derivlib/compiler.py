"""The ahead-of-time compiler of Taylor programs, run as a worker process of its own (fused.py starts it).

A formula's Taylor program (jet.py) is exported by torch.export as one graph, from the points x and a vector of
scalars (the slope of x, then the formula's constants, which the parameters' values give) to the rows f, f′ … f⁽ᴷ⁾,
with the number of points left free. AOTInductor compiles that graph into one loop over the points, in a shared
library packaged as a .pt2 file. The compiler takes seconds to a minute and holds the Python interpreter while it
works, so it runs in a process of its own: the dashboard's server never waits for it, and a crash there costs only
the speed-up (fused.py is the other side).

The worker reads requests and writes replies as JSON lines. A request carries the formula as canonical text, which
the worker parses with derivlib's own grammar like any other text.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

import torch
import torch._inductor
import torch._inductor.config
import torch._inductor.exc

from .fused import ALONG, GRID, MIN_POINTS, PARTIALS, along_rows
from .jet import Bound, Program, compile_program
from .parse import parse
from .partials import partial_names, partial_rows

NICENESS = 10  # the worker's CPU priority below the server's (Linux nice): a compile never slows a page's computation
EXAMPLE_POINTS = 16  # points of the example input that torch.export traces with (any number ≥ MIN_POINTS would do)


class _Rows(torch.nn.Module):
    """The program as a module to export: forward(x, scalars, check, *out) writes f, f′ … f⁽ᴷ⁾ into the K + 1 rows
    `out` and, into the float32 row `check`, 0 where every row is finite and NaN where one is not; scalars = (slope
    of x, *constants).

    Writing into the caller's rows saves a copy of each. The check row, written in the same loop, spares the caller a
    pass over every row to find the NaN and ±inf that autograd must look at again: it sums one float32 row instead.
    (Measured: boolean flags made the loop twice as slow, a sum inside it slower than the pass it saves.)
    """

    def __init__(self, program: Program) -> None:
        super().__init__()
        self.program = program

    def forward(self, x: torch.Tensor, scalars: torch.Tensor, check: torch.Tensor, *out: torch.Tensor) -> tuple:
        _write(_bound(self.program, scalars).rows(x), out, check)
        return ()


class _Partials(torch.nn.Module):
    """Every partial derivative as a module to export: forward(scalars, check, *columns, *out) writes the rows of
    partials.partial_rows (f, then each order's partials in `partial_names` order) into `out`, and the check row as
    _Rows does; one column of points per variable. All the passes along the plan's directions run in one loop."""

    def __init__(self, program: Program, count: int) -> None:
        super().__init__()
        self.program, self.count = program, count

    def forward(self, scalars: torch.Tensor, check: torch.Tensor, *tensors: torch.Tensor) -> tuple:
        columns, out = list(tensors[: self.count]), tensors[self.count :]
        _write(partial_rows(_bound(self.program, scalars), self.count, self.program.order, columns), out, check)
        return ()


def _bound(program: Program, scalars: torch.Tensor) -> Bound:
    """The program bound to the scalars a compiled program takes: the slope of x, then the formula's constants."""
    return Bound(program, [[scalars[i + 1]] for i in range(len(program.constants))], scalars[0])


def _write(rows: Sequence[torch.Tensor], out: Sequence[torch.Tensor], check: torch.Tensor) -> None:
    """Each row into its place in `out`, and into `check` 0 where every row is finite, NaN where one is not."""
    nonfinite = torch.zeros_like(check, dtype=out[0].dtype)
    for row, result in zip(out, rows, strict=True):
        row.copy_(result)
        nonfinite = nonfinite + (result - result)  # NaN from ±inf and NaN (the compiler folds result · 0 to 0)
    check.copy_(nonfinite)


class _Along(torch.nn.Module):
    """The series along directions as a module to export: forward(points, directions, scalars) returns the rows
    c_0 … c_order stacked, one column per point (fused.along_rows); points and directions have one row per variable
    (minimize() asks for f, ∇f and ∇²f at one point as its series along a handful of directions)."""

    def __init__(self, program: Program) -> None:
        super().__init__()
        self.program = program

    def forward(self, points: torch.Tensor, directions: torch.Tensor, scalars: torch.Tensor) -> tuple[torch.Tensor]:
        return (torch.stack(along_rows(_bound(self.program, scalars), points, directions)),)


def compile_to_package(
    text: str,
    variables: tuple[str, ...],
    order: int,
    dtype: torch.dtype,
    device: torch.device,
    path: str,
    kind: str = GRID,
) -> str:
    """Compile the formula's Taylor program of the given order into the .pt2 package at `path`; return the path."""
    exported = export(text, variables, order, dtype, device, kind)
    return torch._inductor.aoti_compile_and_package(exported, package_path=path)


def export(
    text: str, variables: tuple[str, ...], order: int, dtype: torch.dtype, device: torch.device, kind: str = GRID
) -> torch.export.ExportedProgram:
    """The graph AOTInductor compiles: the formula's program of the given order as one of the modules above, by
    `kind`: GRID (_Rows, at the points of x), ALONG (_Along, in `variables`) or PARTIALS (_Partials, in
    `variables`); the number of points is left free."""
    expr = parse(text, variables=variables, max_length=None, max_nodes=None) if variables else parse(text)
    points = torch.export.Dim("points", min=MIN_POINTS)
    example = torch.linspace(-1.0, 1.0, EXAMPLE_POINTS, dtype=dtype, device=device)
    check = torch.empty(EXAMPLE_POINTS, dtype=torch.float32, device=device)
    if kind == GRID:
        program = compile_program(expr, order)
        scalars = torch.ones(1 + len(program.constants), dtype=dtype, device=device)
        out = tuple(torch.empty_like(example) for _ in range(order + 1))
        shapes: tuple = ({0: points}, None, {0: points}, tuple({0: points} for _ in out))
        return torch.export.export(_Rows(program), (example, scalars, check, *out), dynamic_shapes=shapes)
    program = compile_program(expr, order, variables)
    scalars = torch.ones(1 + len(program.constants), dtype=dtype, device=device)
    if kind == ALONG:
        at = example.repeat(len(variables), 1)
        shapes = ({1: points}, {1: points}, None)
        return torch.export.export(_Along(program), (at, at + 0.5, scalars), dynamic_shapes=shapes)
    if kind != PARTIALS:
        raise ValueError(f"no such kind of program: {kind!r}")
    columns = tuple(example + 0.25 * i for i in range(len(variables)))
    out = tuple(torch.empty_like(example) for _ in partial_names(variables, order))
    shapes = (None, {0: points}, tuple({0: points} for _ in columns + out))
    module = _Partials(program, len(variables))
    return torch.export.export(module, (scalars, check, *columns, *out), dynamic_shapes=shapes)


def _dtype(name: str) -> torch.dtype:
    dtype = getattr(torch, name, None)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"not a floating-point dtype: {name!r}")
    return dtype


def serve(requests: TextIO, replies: TextIO) -> None:
    """Answer each request line ({id, text, variables, order, dtype, device, threads, path}) with a reply line:
    {id, path, seconds} once the package is written, or {id, error} saying in one line why it could not be."""
    for line in requests:
        request = json.loads(line)
        started = time.perf_counter()
        try:
            torch.set_num_threads(request["threads"])  # the compiled loop uses as many threads as the caller
            arguments = (
                request["text"],
                tuple(request["variables"]),
                request["order"],
                _dtype(request["dtype"]),
                torch.device(request["device"]),
                request["path"],
                request.get("kind", GRID),
            )
            try:
                path = compile_to_package(*arguments)
            except torch._inductor.exc.InductorError as error:
                if "CppCompileError" not in str(error):
                    raise
                # gcc 12 stops with an internal error on the vectorised loop of a long formula's order-2 program
                # (a 99-residual least-squares sum): its scalar loop compiles (measured: 61 s), and is still fast.
                with torch._inductor.config.patch({"cpp.simdlen": 1}):
                    path = compile_to_package(*arguments)
            reply = {"id": request["id"], "path": path, "seconds": time.perf_counter() - started}
        except Exception as error:  # whatever failed, the caller keeps the eager program
            message = str(error).strip().splitlines()
            reply = {"id": request["id"], "error": f"{type(error).__name__}: {message[0] if message else ''}"[:500]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> None:
    if hasattr(os, "nice"):
        os.nice(NICENESS)  # what the server needs comes first; the compile takes what CPU is left over
    # Replies go to the real standard output; anything the compiler prints goes to standard error instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
