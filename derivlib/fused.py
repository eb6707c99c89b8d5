"""Fused Taylor programs: compiled in the background once a formula has been used, then run in its place.

The first answer for a formula always comes from the eager Taylor program (jet.py), and the request to compile the
formula's program goes at the same time to a worker process (compiler.py). Once the compiled program is there,
later calls with the same formula, order, dtype and device (a slider moved, a new range, more points) run it
instead: one loop over the points where the eager program makes a pass per row operation. The parameters are inputs
of the compiled program, so a new value never compiles again. Before its first use a compiled program is checked
against the eager one on the points at hand; where the two disagree, or the compiler fails, the formula stays eager.

Nothing here is needed for a right answer: it is only faster. `derivatives(..., fuse=True)` asks for it.
"""

from __future__ import annotations

import atexit
import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import torch

from .jet import Bound, Program
from .tree import Expression, to_text

MAX_PROGRAMS = 64  # compiled programs kept loaded; the least recently used is dropped for a new one
MAX_WAITING = 8  # requests queued for the compiler at once; further formulas stay eager until it catches up
COMPILE_SECONDS = 600  # a request unanswered for this long is given up, and the worker restarted
MIN_STEPS = 2  # a program of fewer steps (x, 2x, x + 1) has nothing to fuse
CHECK_POINTS = 4096  # points on which a compiled program is checked against the eager one before its first use
TOLERANCE = {torch.float64: 1e-9, torch.float32: 1e-3}  # of that check, relative to |value| + the row's largest
MIN_POINTS = 2  # fewest points a compiled program accepts: torch.export specialises sizes 0 and 1 (compiler.py)

Key = tuple  # (tree, variables, order, dtype, device, threads, kind)
# The kinds of program: rows f … f⁽ᴷ⁾ at the points of x; the series along directions (several variables, what
# minimize() asks for at an iterate); every partial derivative at points in several variables (partials()).
GRID, ALONG, PARTIALS = "grid", "along", "partials"


@dataclass
class Entry:
    """One formula's compiled program: 'waiting' for the compiler, 'ready' to run, or 'failed' (with the reason)."""

    state: str = "waiting"
    reason: str = ""
    # The loaded package: runner(x, scalars, check, *out) writes the rows (compiler._Rows).
    runner: Callable[..., object] | None = None
    checked: bool = False
    requested: float = field(default_factory=time.monotonic)
    # One call at a time: AOTInductor's model container, with its one runner, was seen to leave two threads waiting
    # for each other's run forever (reclaim_finished_models, four sessions calling at once); a call waits here instead.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    seconds: float = math.nan  # the compiler's time


class Compiler:
    """The worker process and what it has compiled, shared by every caller in this process (thread-safe)."""

    def __init__(self, command: list[str] | None = None) -> None:
        # The worker alone imports compiler.py: it loads torch._inductor (seconds), which this process needs only
        # to load a finished package (in _read).
        self.command = command or [sys.executable, "-c", "from derivlib.compiler import main; main()"]
        self.directory = tempfile.mkdtemp(prefix="derivlib-fused-")
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        self.lock = threading.Lock()
        self.worker: subprocess.Popen | None = None
        self.pending: dict[int, Key] = {}  # request id → key, for the worker now running
        self.sent = 0

    def entry(self, key: Key) -> Entry:
        """The entry for this key, asking the worker to compile it if it is new (and the queue has room)."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
            self._give_up_late()
            entry = self.entries[key] = Entry()
            waiting = sum(e.state == "waiting" for e in self.entries.values())
            if waiting > MAX_WAITING:
                entry.state, entry.reason = "failed", "the compiler was busy"
                del self.entries[key]  # not remembered: a later call may ask again
                return entry
            self._evict()
            self._send(key, entry)
            return entry

    def _send(self, key: Key, entry: Entry) -> None:
        tree, variables, order, dtype, device, threads, kind = key
        if self.worker is None or self.worker.poll() is not None:
            self._start()
        assert self.worker is not None and self.worker.stdin is not None  # just started if need be, with a pipe
        self.sent += 1
        request = {
            "id": self.sent,
            "text": to_text(tree),  # the worker parses it like any text: only the grammar crosses
            "variables": list(variables),
            "order": order,
            "dtype": str(dtype).removeprefix("torch."),
            "device": device,
            "threads": threads,
            "kind": kind,
            "path": f"{self.directory}/program-{self.sent}.pt2",
        }
        self.pending[self.sent] = key
        try:
            self.worker.stdin.write(json.dumps(request) + "\n")
            self.worker.stdin.flush()
        except OSError as error:
            entry.state, entry.reason = "failed", f"the compiler could not be reached: {error}"

    def _start(self) -> None:
        log = open(f"{self.directory}/compiler.log", "a")  # noqa: SIM115 - the worker writes it while it runs
        root = Path(__file__).resolve().parent.parent  # where the worker finds derivlib
        self.worker = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1, cwd=root
        )
        self.pending = {}
        threading.Thread(target=self._read, args=(self.worker, self.pending), daemon=True).start()

    def _read(self, worker: subprocess.Popen, pending: dict[int, Key]) -> None:
        """Replies from the worker, as they come: load each package (here, not in a caller's thread)."""
        assert worker.stdout is not None  # started with stdout=PIPE
        for line in worker.stdout:
            try:
                reply = json.loads(line)
                runner, reason = None, str(reply.get("error", ""))
            except (ValueError, AttributeError):  # not a reply: something the worker printed before it could help it
                continue
            if not reason:
                try:
                    import torch._inductor  # seconds to import, and only once something compiled

                    runner = torch._inductor.aoti_load_package(reply["path"])
                except Exception as error:  # a package that will not load leaves the formula eager
                    reason = f"the compiled program would not load: {type(error).__name__}: {error}"[:500]
            with self.lock:
                request_key: Key | None = pending.pop(reply.get("id"), None)
                entry = self.entries.get(request_key) if request_key is not None else None
                if entry is not None and entry.state == "waiting":
                    entry.runner, entry.reason = runner, reason
                    entry.seconds = reply.get("seconds", math.nan)
                    entry.state = "ready" if runner is not None else "failed"
        code = worker.wait()
        with self.lock:  # the worker ended (crashed or closed): what it still owed will not come
            for request in list(pending):
                entry = self.entries.get(pending.pop(request))
                if entry is not None and entry.state == "waiting":
                    entry.state, entry.reason = "failed", f"the compiler stopped (exit status {code})"

    def _give_up_late(self) -> None:
        now = time.monotonic()
        late = [e for e in self.entries.values() if e.state == "waiting" and now - e.requested > COMPILE_SECONDS]
        if late and self.worker is not None:
            self.worker.kill()  # its reader thread marks everything it owed as failed
            for entry in late:
                entry.state, entry.reason = "failed", f"the compiler took more than {COMPILE_SECONDS} s"
            self.worker = None

    def _evict(self) -> None:
        while len(self.entries) > MAX_PROGRAMS:
            oldest = next((k for k, e in self.entries.items() if e.state != "waiting"), None)
            if oldest is None:
                return
            del self.entries[oldest]

    def wait(self, key: Key, timeout: float) -> Entry | None:
        """The entry once it is no longer waiting, or as it is after `timeout` seconds (None if never asked)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                entry = self.entries.get(key)
            if entry is None or entry.state != "waiting" or time.monotonic() > deadline:
                return entry
            time.sleep(0.05)

    def close(self) -> None:
        """Stop the worker and delete the compiled packages."""
        if self.worker is not None and self.worker.poll() is None:
            assert self.worker.stdin is not None  # started with stdin=PIPE
            self.worker.stdin.close()
            try:
                self.worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.worker.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


_compiler: Compiler | None = None
_compiler_lock = threading.Lock()


def compiler() -> Compiler:
    """This process's compiler, started on first use and stopped at exit."""
    global _compiler
    with _compiler_lock:
        if _compiler is None:
            _compiler = Compiler()
            atexit.register(_compiler.close)
        return _compiler


def key(
    expr: Expression,
    order: int,
    dtype: torch.dtype,
    device: torch.device,
    variables: tuple[str, ...] | None = None,
    kind: str | None = None,
) -> Key:
    """What a compiled program is specific to: formula, order, dtype, device, the CPU threads it may use, and its
    kind: by default a GRID program of the formula's own variable, or, where `variables` are named, the ALONG
    program in those variables, in that order; PARTIALS (in `variables`) only where asked for."""
    kind = kind or (GRID if variables is None else ALONG)
    return (expr.tree, variables or expr.variables, order, dtype, str(device), torch.get_num_threads(), kind)


def fusable(program: Program, device: torch.device) -> bool:
    """Whether compiling could pay: a program of a few steps, on a device AOTInductor compiles for."""
    return len(program.steps) >= MIN_STEPS and device.type in ("cpu", "cuda")


def lookup(
    expr: Expression,
    program: Program,
    dtype: torch.dtype,
    device: torch.device,
    variables: tuple[str, ...] | None = None,
    kind: str | None = None,
    *,
    waiting: bool = False,
) -> Fused | None:
    """The formula's compiled program (of the kind `key` says) if it is ready; otherwise None, and it is asked for if
    it is new. `waiting=True` gives it while it is still being compiled too: its entry turns ready when the compiler
    answers, so a caller that keeps it need not look it up again. None wherever compiling cannot pay."""
    if not fusable(program, device):
        return None
    found = Fused(compiler().entry(key(expr, program.order, dtype, device, variables, kind)))
    return found if waiting or found.entry.state == "ready" else None


def state(
    expr: Expression,
    order: int,
    dtype: torch.dtype,
    device: torch.device,
    variables: tuple[str, ...] | None = None,
    kind: str | None = None,
) -> str:
    """'ready', 'waiting', 'failed: <why>', or 'none' where it was never asked for (a one-line status for pages)."""
    found = key(expr, order, dtype, device, variables, kind)
    entry = compiler().entries.get(found) if _compiler is not None else None
    if entry is None:
        return "none"
    return f"failed: {entry.reason}" if entry.state == "failed" else entry.state


def wait(
    expr: Expression,
    order: int,
    dtype: torch.dtype,
    device: torch.device,
    timeout: float = 600.0,
    variables: tuple[str, ...] | None = None,
    kind: str | None = None,
) -> str:
    """Block until the formula's compiled program is ready or failed (for benchmarks and tests); its state."""
    compiler().wait(key(expr, order, dtype, device, variables, kind), timeout)
    return state(expr, order, dtype, device, variables, kind)


def program_scalars(bound: Bound) -> torch.Tensor:
    """What a compiled program takes besides the points: the slope of x, then the formula's constants."""
    return torch.stack([bound.one, *(series[0] for series in bound.constants)])


@dataclass
class Fused:
    entry: Entry

    def derivatives(self, bound: Bound, x: torch.Tensor, out: torch.Tensor) -> bool | None:
        """As `Bound.derivatives`: write f, f′ … f⁽ᴷ⁾ at the points x into out's rows, by the compiled program; then
        whether every value is finite (None where the eager program gave them: unknown).

        On its first use the result is checked against the eager program on (up to) CHECK_POINTS of x; where they
        disagree, it is retired and the eager program gives this and every later answer for the formula.
        """
        if len(x) < MIN_POINTS or self.entry.state != "ready":
            bound.derivatives(x, out)
            return None
        check = torch.empty(len(x), dtype=torch.float32, device=x.device)  # 0 where all is finite, NaN elsewhere
        inputs = [x, program_scalars(bound), check, *out]
        ran = self._checked_run(inputs, lambda _: self._disagreement(bound, x, out, check))
        if ran is None:
            bound.derivatives(x, out)
            return None
        return math.isfinite(check.sum())

    def partials(
        self,
        bound: Bound,
        columns: list[torch.Tensor],
        out: torch.Tensor,
        eager: Callable[[list[torch.Tensor], torch.Tensor], None],
    ) -> bool | None:
        """As `eager(columns, out)` (partials._partials_into: every partial derivative at the points, one column per
        variable, written into out's rows), by the compiled PARTIALS program; then whether every value is finite
        (None where the eager program gave them). Checked on first use and retired where wrong, as `derivatives`."""
        if len(columns[0]) < MIN_POINTS or self.entry.state != "ready":
            eager(columns, out)
            return None
        columns = [column.contiguous() for column in columns]  # read as laid out when traced (see `along`)
        check = torch.empty(len(columns[0]), dtype=torch.float32, device=out.device)
        ran = self._checked_run(
            [program_scalars(bound), check, *columns, *out],
            lambda _: self._partials_disagreement(columns, out, check, eager),
        )
        if ran is None:
            eager(columns, out)
            return None
        return math.isfinite(check.sum())

    def along(
        self, bound: Bound, points: torch.Tensor, directions: torch.Tensor, scalars: torch.Tensor | None = None
    ) -> torch.Tensor | None:
        """As `Bound.series_along` for the points (one row per variable) and directions (one row per variable, a
        column per point), by the compiled ALONG program: rows c_0 … c_order, one column per point. None where it is
        not ready or not usable (fewer than MIN_POINTS columns: the caller pads); on its first use it is checked
        against the eager program, and retired where they disagree, as `derivatives` does."""
        if points.shape[1] < MIN_POINTS or self.entry.state != "ready":
            return None
        # The compiled loop reads its inputs as laid out when it was traced: row by row (a transposed view would be
        # read as if it were not, and give another direction's derivatives).
        scalars = program_scalars(bound) if scalars is None else scalars  # a caller that calls often keeps them
        inputs = [points.contiguous(), directions.contiguous(), scalars]
        ran = self._checked_run(inputs, lambda outputs: self._along_disagreement(bound, points, directions, outputs[0]))
        return None if ran is None else ran[0]

    def _checked_run(
        self, inputs: list[torch.Tensor], disagreement: Callable[[list[torch.Tensor]], str]
    ) -> list[torch.Tensor] | None:
        """The compiled program's outputs on its inputs, checked on its first use (`disagreement` of the outputs: where
        they differ from the eager program's, '' where nowhere); a program that disagrees or fails to run is retired,
        and None is given (the caller falls back to the eager program)."""
        try:
            outputs = self._run(inputs)
            reason = "" if self.entry.checked else disagreement(outputs)
        except Exception as error:  # a program that fails to run is as good as a wrong one
            reason = f"it failed to run: {type(error).__name__}: {error}"[:500]
        self.entry.checked = True
        if reason:
            self.entry.state, self.entry.reason = "failed", reason
            return None
        return outputs

    def _run(self, inputs: list[torch.Tensor]) -> list[torch.Tensor]:
        """The compiled program on its inputs, in the order it was exported with; its outputs. The package's own call
        flattens and unflattens its arguments through pytree specs it parses again on every call (about 55 µs, twice
        the compiled loop's time for a small formula): its loader takes the flat list directly."""
        assert self.entry.runner is not None  # an entry is 'ready' only with its runner
        loader = getattr(self.entry.runner, "loader", None)
        with self.entry.lock:
            outputs = loader.boxed_run(inputs) if loader is not None else self.entry.runner(*inputs)
        return cast(list[torch.Tensor], outputs)

    @staticmethod
    def _along_disagreement(bound: Bound, points: torch.Tensor, directions: torch.Tensor, rows: torch.Tensor) -> str:
        expected = torch.stack(along_rows(bound, points, directions))
        difference = disagreement(rows, expected)
        return f"it disagreed with the eager program at {difference}" if difference else ""

    @staticmethod
    def _disagreement(bound: Bound, x: torch.Tensor, out: torch.Tensor, check: torch.Tensor) -> str:
        probe = slice(0, CHECK_POINTS)
        return _rows_disagreement(out[:, probe], torch.stack(bound.rows(x[probe])), check[probe])

    @staticmethod
    def _partials_disagreement(
        columns: list[torch.Tensor],
        out: torch.Tensor,
        check: torch.Tensor,
        eager: Callable[[list[torch.Tensor], torch.Tensor], None],
    ) -> str:
        probe = slice(0, CHECK_POINTS)
        expected = torch.empty_like(out[:, probe])
        eager([column[probe] for column in columns], expected)
        return _rows_disagreement(out[:, probe], expected, check[probe])


def _rows_disagreement(got: torch.Tensor, expected: torch.Tensor, check: torch.Tensor) -> str:
    """Why rows a compiled program wrote (with its check row: 0 where the point's rows are finite) are not the eager
    program's, in words; '' where they are."""
    difference = disagreement(got, expected)
    if not difference and not torch.equal(torch.isfinite(check), torch.isfinite(got).all(dim=0)):
        difference = "its check of finite points"
    return f"it disagreed with the eager program at {difference}" if difference else ""


def disagreement(got: torch.Tensor, expected: torch.Tensor) -> str:
    """'' where the compiled rows match the eager ones (the same points finite, values within TOLERANCE of
    |value| + the row's largest finite value); otherwise the first difference, in words."""
    finite = torch.isfinite(expected)
    scale = torch.where(finite, expected, 0).abs().amax(dim=1, keepdim=True)
    tolerance = TOLERANCE.get(expected.dtype, 1e-9) * (expected.abs() + scale)
    wrong = (finite != torch.isfinite(got)) | (finite & ((got - expected).abs() > tolerance))
    if wrong.any():
        k, i = wrong.nonzero()[0].tolist()
        return f"row {k}, point {i}: {got[k, i].item()!r} against {expected[k, i].item()!r}"
    return ""


def along_rows(bound: Bound, points: torch.Tensor, directions: torch.Tensor) -> list[torch.Tensor]:
    """The eager program's series along the directions, as the compiled ALONG program returns them: order + 1 rows,
    each with one value per column of `points` (a row that is a constant broadcast, rows past the series' end 0)."""
    series = bound.series_along(list(points), list(directions))
    count = points.shape[1]
    rows = [row.expand(count) for row in series]
    return rows + [points.new_zeros(count) for _ in range(len(series), bound.program.order + 1)]
