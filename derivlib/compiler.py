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
from typing import TextIO

import torch
import torch._inductor

from .fused import MIN_POINTS
from .jet import Bound, Program, compile_program
from .parse import parse

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
        constants = [[scalars[i + 1]] for i in range(len(self.program.constants))]
        rows = Bound(self.program, constants, scalars[0]).rows(x)
        nonfinite = torch.zeros_like(x)
        for row, result in zip(out, rows, strict=True):
            row.copy_(result)
            nonfinite = nonfinite + (result - result)  # NaN from ±inf and NaN (the compiler folds result · 0 to 0)
        check.copy_(nonfinite)
        return ()


def compile_to_package(
    text: str, variables: tuple[str, ...], order: int, dtype: torch.dtype, device: torch.device, path: str
) -> str:
    """Compile the formula's Taylor program of the given order into the .pt2 package at `path`; return the path."""
    expr = parse(text, variables=variables) if variables else parse(text)
    program = compile_program(expr, order)
    x = torch.linspace(-1.0, 1.0, EXAMPLE_POINTS, dtype=dtype, device=device)
    scalars = torch.ones(1 + len(program.constants), dtype=dtype, device=device)
    check = torch.empty(EXAMPLE_POINTS, dtype=torch.float32, device=device)
    out = tuple(torch.empty_like(x) for _ in range(order + 1))
    points = torch.export.Dim("points", min=MIN_POINTS)
    shapes = ({0: points}, None, {0: points}, tuple({0: points} for _ in out))
    exported = torch.export.export(_Rows(program), (x, scalars, check, *out), dynamic_shapes=shapes)
    return torch._inductor.aoti_compile_and_package(exported, package_path=path)


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
            path = compile_to_package(
                request["text"],
                tuple(request["variables"]),
                request["order"],
                _dtype(request["dtype"]),
                torch.device(request["device"]),
                request["path"],
            )
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
