"""python -m benchmarks.bench: derivlib against the ways people compute f, f′ and f″ (or a Hessian) without it.

f, f′ and f″ of four formulas in one variable, and f with its gradient and Hessian of three in two variables;
derivlib.minimize's L-BFGS and Newton against scipy's and torch's optimizers on Rosenbrock in 2 and 6 variables.

Every method is timed in one process, in interleaved rounds (one call of each method per round), so that a slow
moment of a shared machine hits all of them alike; the tables give median times and the median over rounds of each
method's time divided by derivlib's in the same round. torch runs on one thread. The results are printed as
Markdown and written to a file (bench-results.md by default), with the machine described.

The formulas are fixed strings written here, never user input: that is what makes sympy's `lambdify` (which
generates and runs Python source) safe in this module; the library itself never uses it.

    python -m benchmarks.bench                        # CPU, float64, 10^3 … 10^7 points
    python -m benchmarks.bench --device cuda --dtype float32 --sizes 1e6,1e7,1e8
    python -m benchmarks.bench --quick                # tiny sizes, a few seconds (the test suite runs this)
    python -m benchmarks.bench --startup-only         # only the start-up of the command line against torch's import
    python -m benchmarks.bench --two-variables-only   # only f and its Hessian in x and y, at 500 × 500 points
    python -m benchmarks.bench --optimisation-only    # only minimize() against scipy and torch on Rosenbrock
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy
import torch

import derivlib
from derivlib import fused
from derivlib.engine import resolve_device, resolve_dtype
from derivlib.partials import surface_grid

Tensor = torch.Tensor

ROOT = Path(__file__).resolve().parent.parent  # the repository, where the memory probes run (-m benchmarks.bench)
ORDER = 2  # f, f′ and f″, as in the issue
RANGE = (-3.0, 3.0)  # the grid; every formula is defined and smooth on it
PER_POINT_LIMIT = 10_000  # points the per-point loop is timed on; larger grids extrapolate linearly from there
GROWTH_FORMULA = "sin(cos(sin(cos(sin(x)))))*exp(sin(x))"
GROWTH_ORDERS = range(1, 9)
AUTOGRAD_GROWTH_ORDERS = (1, 2, 4, 6, 8)  # nested reverse mode triples per order: order 8 is 2 s at 10^4 points
# Start-up, as whole processes: the command line's tutorial example against importing torch alone.
STARTUP_COMMANDS = {
    "python -c 'import torch'": ["-c", "import torch"],
    "python -m derivlib 'x^3 + sin(x)' --at 1,pi,5": ["-m", "derivlib", "x^3 + sin(x)", "--at", "1,pi,5"],
}
STARTUP_TARGET = 1.2  # the command line's start-up at most this many times torch's import
STARTUP_ROUNDS = 11
# Two variables: f and its Hessian over a square grid of SURFACE_SIDE × SURFACE_SIDE points of RANGE².
SURFACE_SIDE = 500
SURFACE_PER_POINT = 400  # points the two-variable per-point loop is timed on; the grid's time extrapolates from there
AGAIN_TARGET = 1.1  # derivlib's compiled program, called again, at most this many times the compiled closed form's
SURFACE_TARGET = 1.5  # derivlib's f + Hessian at most this many times the eager closed form's, at SURFACE_SIDE²
SURFACE_MEMORY_FORMULA = "sin(x) cos(y) + exp(-(x^2 + y^2)/4) log(1 + x^2)"
MEMORY_TARGET = 4  # arrays of N points beyond the inputs and the result, at 10^7 points


# ---------------------------------------------------------------------------------------------------------------------
# The formulas, each with what a careful person would write by hand


@dataclass(frozen=True)
class Formula:
    name: str
    text: str  # what derivlib is given
    f: Callable[[Tensor], Tensor]  # f in torch, for torch.func, finite differences and the per-point loop
    closed: Callable[[Tensor], tuple[Tensor, Tensor, Tensor]]  # f, f′, f″ by the chain rule, worked out by hand


def _cubic(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    s = torch.sin(x)
    return x**3 + s, 3 * x**2 + torch.cos(x), 6 * x - s


def _gaussian_wave(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    g = torch.exp(-(x**2) / 2)
    g1, g2 = -x * g, (x**2 - 1) * g
    c, s = torch.cos(3 * x), torch.sin(3 * x)
    return g * c, g1 * c - 3 * g * s, g2 * c - 6 * g1 * s - 9 * g * c


def _log_tanh_root(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    q = 1 + x**2
    log, log1, log2 = torch.log(q), 2 * x / q, 2 * (1 - x**2) / q**2
    t = torch.tanh(x)
    t1 = 1 - t**2
    t2 = -2 * t * t1
    r = torch.sqrt(q)
    return log * t + r, log1 * t + log * t1 + x / r, log2 * t + 2 * log1 * t1 + log * t2 + 1 / (q * r)


def _nested(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    s, c = torch.sin(x), torch.cos(x)
    u, u1, u2 = s, c, -s  # sin x and its derivatives, then through cos, sin, cos, sin
    for outer in ("cos", "sin", "cos", "sin"):
        su, cu = torch.sin(u), torch.cos(u)
        if outer == "cos":
            u, u1, u2 = cu, -su * u1, -cu * u1**2 - su * u2
        else:
            u, u1, u2 = su, cu * u1, -su * u1**2 + cu * u2
    g = torch.exp(s)
    g1, g2 = g * c, g * (c**2 - s)
    return u * g, u1 * g + u * g1, u2 * g + 2 * u1 * g1 + u * g2


FORMULAS = [
    Formula("x³ + sin x", "x^3 + sin(x)", lambda x: x**3 + torch.sin(x), _cubic),
    Formula(
        "exp(−x²/2)·cos 3x", "exp(-x^2/2)*cos(3x)", lambda x: torch.exp(-(x**2) / 2) * torch.cos(3 * x), _gaussian_wave
    ),
    Formula(
        "log(1+x²)·tanh x + √(1+x²)",
        "log(1 + x^2)*tanh(x) + sqrt(1 + x^2)",
        lambda x: torch.log(1 + x**2) * torch.tanh(x) + torch.sqrt(1 + x**2),
        _log_tanh_root,
    ),
    Formula(
        "sin(cos(sin(cos(sin x))))·exp(sin x)",
        GROWTH_FORMULA,
        lambda x: torch.sin(torch.cos(torch.sin(torch.cos(torch.sin(x))))) * torch.exp(torch.sin(x)),
        _nested,
    ),
]


# ---------------------------------------------------------------------------------------------------------------------
# The methods: each a function of the grid that computes f, f′ and f″


def _per_point_loop(formula: Formula) -> Callable[[Tensor], list[tuple[float, float, float]]]:
    """What a beginner writes: one scalar at a time, autograd twice."""

    def run(x: Tensor) -> list[tuple[float, float, float]]:
        rows = []
        for value in x.tolist():
            t = torch.tensor(value, dtype=x.dtype, device=x.device, requires_grad=True)
            y = formula.f(t)
            (d1,) = torch.autograd.grad(y, t, create_graph=True)
            (d2,) = torch.autograd.grad(d1, t)
            rows.append((y.item(), d1.item(), d2.item()))
        return rows

    return run


def _vmap_grad_grad(formula: Formula) -> Callable[[Tensor], tuple[Tensor, Tensor, Tensor]]:
    first = torch.func.vmap(torch.func.grad(formula.f))
    second = torch.func.vmap(torch.func.grad(torch.func.grad(formula.f)))
    return lambda x: (formula.f(x), first(x), second(x))


def _jvp_jvp(formula: Formula) -> Callable[[Tensor], tuple[Tensor, Tensor, Tensor]]:
    def run(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        ones = torch.ones_like(x)
        (f, d1), (_, d2) = torch.func.jvp(lambda t: torch.func.jvp(formula.f, (t,), (ones,)), (x,), (ones,))
        return f, d1, d2

    return run


def _finite_differences(formula: Formula) -> Callable[[Tensor], tuple[Tensor, Tensor, Tensor]]:
    """Central differences with one step for both orders, h = ε^(1/4)·max(1, |x|): f′ errs by about h², f″ by ε/h²."""

    def run(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h = torch.finfo(x.dtype).eps ** 0.25 * x.abs().clamp_min(1.0)
        f, above, below = formula.f(x), formula.f(x + h), formula.f(x - h)
        return f, (above - below) / (2 * h), (above - 2 * f + below) / h**2

    return run


def _sympy_numpy(formula: Formula) -> tuple[Callable[[np.ndarray], list], float]:
    """sympy's derivatives of derivlib's own tree, lambdified to numpy, and the seconds that took."""
    started = time.perf_counter()
    form = derivlib.parse(formula.text).to_sympy()
    (x,) = form.free_symbols
    rows = [form, sympy.diff(form, x), sympy.diff(form, x, 2)]
    # Safe here: the source lambdify generates comes from FORMULAS above, never from a user (see the module's doc).
    function = sympy.lambdify([x], rows, modules="numpy")
    return function, time.perf_counter() - started


def _compiled_closed_form(
    formula: Formula, device: torch.device, dtype: torch.dtype
) -> tuple[Callable[[Tensor], tuple[Tensor, Tensor, Tensor]], float]:
    """The closed form fused by torch.compile (dynamic shapes: a new grid size does not recompile), and its
    compile time (the first call, on the device and dtype that the timings use)."""
    compiled = torch.compile(formula.closed, dynamic=True)
    started = time.perf_counter()
    compiled(torch.linspace(*RANGE, 1000, dtype=dtype, device=device))
    _synchronize(device)
    return compiled, time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    times: dict[str, list[float]] = field(default_factory=dict)  # seconds per round, per method
    out_of_memory: set[str] = field(default_factory=set)  # methods that ran out of memory (and were dropped)

    def median(self, method: str) -> float:
        return statistics.median(self.times[method])

    def ratio(self, method: str, baseline: str = "derivlib") -> float:
        """The median over rounds of method/baseline in the same round."""
        return statistics.median(t / b for t, b in zip(self.times[method], self.times[baseline], strict=True))


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(calls: dict[str, Callable[[], object]], rounds: int, device: torch.device) -> Timing:
    """Each call once per round, in the same order, after one untimed warm-up round. A method that runs out of
    memory is dropped (nested reverse mode does, at large sizes)."""
    timing = Timing({name: [] for name in calls})
    for round_ in range(rounds + 1):
        for name, call in calls.items():
            if name in timing.out_of_memory:
                continue
            _synchronize(device)
            started = time.perf_counter()
            try:
                call()
            except (MemoryError, torch.OutOfMemoryError):
                timing.out_of_memory.add(name)
                del timing.times[name]
                continue
            _synchronize(device)
            if round_:
                timing.times[name].append(time.perf_counter() - started)
    return timing


def rounds_for(points: int, quick: bool) -> int:
    if quick:
        return 1
    return 11 if points <= 10**6 else 3


# ---------------------------------------------------------------------------------------------------------------------
# The three measurements: speed against the alternatives, peak memory, cost per order


@dataclass
class SpeedRow:
    formula: str
    points: int
    seconds: dict[str, float]  # median per method
    ratios: dict[str, float]  # median over rounds of method/derivlib
    estimated: set[str]  # methods whose time is extrapolated
    out_of_memory: set[str]
    error: float  # derivlib against the closed form, largest relative difference
    finite_difference_error: tuple[float, float]  # for f′ and f″
    again: float | None = None  # median over rounds of derivlib's compiled program / the compiled closed form

    def cell(self, method: str) -> str:
        if method in self.out_of_memory:
            return "out of memory"
        if method not in self.seconds:
            return "—"
        mark = "~" if method in self.estimated else ""
        return f"{mark}{_duration(self.seconds[method])} ({mark}{self.ratios[method]:.2g}×)"


def _relative_error(got: Sequence, expected: Sequence) -> float:
    worst = 0.0
    for a, b in zip(got, expected, strict=True):
        a, b = torch.as_tensor(a).double().cpu(), torch.as_tensor(b).double().cpu()
        worst = max(worst, ((a - b).abs() / b.abs().clamp_min(1.0)).max().item())
    return worst


def _duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def _fused_partials(surface: Surface, device: torch.device, dtype: torch.dtype) -> tuple[str, float]:
    """derivlib's compiled partials program for the surface (partials(fuse=True)), waited for: its state, and the
    compiler's seconds."""
    x, y = surface_grid((*RANGE, 30), (*RANGE, 30), dtype=dtype, device=device)
    derivlib.partials(surface.text, {"x": x, "y": y}, order=ORDER, fuse=True)
    started = time.perf_counter()
    expr = derivlib.parse(surface.text, variables=("x", "y"))
    state = fused.wait(expr, ORDER, dtype, device, variables=("x", "y"), kind=fused.PARTIALS)
    return state, time.perf_counter() - started


def _fused_program(formula: Formula, device: torch.device, dtype: torch.dtype) -> tuple[str, float]:
    """derivlib's compiled program for the formula (fuse=True), waited for: its state, and the compiler's seconds."""
    derivlib.derivatives(formula.text, torch.linspace(*RANGE, 1000, dtype=dtype, device=device), fuse=True)
    started = time.perf_counter()
    state = fused.wait(derivlib.parse(formula.text), ORDER, dtype, device)
    return state, time.perf_counter() - started


def _calls(formula: Formula, x: Tensor, fused_closed_form, numpy_function, fuse) -> dict[str, Callable[[], object]]:
    """Each method as a call without arguments, on the grid x (all but per-point loop, timed apart)."""
    settings = {"device": x.device, "dtype": x.dtype, "progress": lambda done, total: None}
    calls: dict[str, Callable[[], object]] = {
        "derivlib": lambda: derivlib.derivatives(formula.text, x, order=ORDER, **settings),
    }
    if fuse:
        calls["derivlib, compiled"] = lambda: derivlib.derivatives(formula.text, x, order=ORDER, fuse=True, **settings)
    calls |= {
        "derivlib, autograd": lambda: derivlib.derivatives(formula.text, x, order=ORDER, method="autograd", **settings),
        "grid_table": lambda: derivlib.grid_table(formula.text, *RANGE, len(x), order=ORDER, **settings),
        "closed form": lambda: formula.closed(x),
    }
    if fused_closed_form is not None:
        calls["closed form, compiled"] = lambda: fused_closed_form(x)
    calls["vmap(grad(grad))"] = lambda: _vmap_grad_grad(formula)(x)
    calls["jvp(jvp)"] = lambda: _jvp_jvp(formula)(x)
    calls["finite differences"] = lambda: _finite_differences(formula)(x)
    if numpy_function is not None:
        x_numpy = x.numpy()
        calls["sympy + numpy"] = lambda: numpy_function(x_numpy)
    return calls


def speed(
    sizes: Sequence[int], device: torch.device, dtype: torch.dtype, quick: bool, compiled: bool, progress
) -> tuple[list[SpeedRow], dict[str, float], dict[str, float]]:
    """Rows of the speed table, sympy's differentiation seconds, and per formula the compile times: torch.compile's
    of the closed form, and how long derivlib's compiled program took to be ready (or why it failed)."""
    on_cpu = device.type == "cpu"
    rows, sympy_seconds, compile_seconds = [], {}, {"closed form": {}, "derivlib": {}}
    per_point_limit = 100 if quick else PER_POINT_LIMIT
    for formula in FORMULAS:
        numpy_function, sympy_seconds[formula.name] = _sympy_numpy(formula)
        fused_closed_form, fuse = None, False
        if compiled:
            progress(f"{formula.name}: compiling")
            fused_closed_form, compile_seconds["closed form"][formula.name] = _compiled_closed_form(
                formula, device, dtype
            )
            state, seconds = _fused_program(formula, device, dtype)
            fuse = state == "ready"
            compile_seconds["derivlib"][formula.name] = f"{seconds:.1f} s" if fuse else state
        per_point_seconds = None  # per point, measured once on PER_POINT_LIMIT points
        for points in sizes:
            progress(f"{formula.name}, {points:,} points")
            x = torch.linspace(*RANGE, points, dtype=dtype, device=device)
            calls = _calls(formula, x, fused_closed_form, numpy_function if on_cpu else None, fuse)
            timing = interleaved(calls, rounds_for(points, quick), device)
            seconds = {name: timing.median(name) for name in timing.times}
            ratios = {name: timing.ratio(name) for name in timing.times}
            estimated = set()
            if on_cpu:
                if points <= per_point_limit or per_point_seconds is None:
                    measured = min(points, per_point_limit)
                    loop = _per_point_loop(formula)
                    loop(x[:10])  # autograd's first call sets things up
                    started = time.perf_counter()
                    loop(x[:: max(1, points // measured)][:measured])
                    per_point_seconds = (time.perf_counter() - started) / measured
                seconds["per-point loop"] = per_point_seconds * points
                ratios["per-point loop"] = seconds["per-point loop"] / seconds["derivlib"]
                estimated = {"per-point loop"} if points > measured else set()

            result = derivlib.derivatives(formula.text, x, order=ORDER, device=device, dtype=dtype)
            closed = formula.closed(x)
            differences = _finite_differences(formula)(x)
            errors = (_relative_error(differences[1:2], closed[1:2]), _relative_error(differences[2:], closed[2:]))
            rows.append(
                SpeedRow(
                    formula.name,
                    points,
                    seconds,
                    ratios,
                    estimated,
                    timing.out_of_memory,
                    _relative_error(result, closed),
                    errors,
                    timing.ratio("derivlib, compiled", "closed form, compiled") if fuse else None,
                )
            )
    return rows, sympy_seconds, compile_seconds


def startup(rounds: int, warm_up: bool = True) -> dict[str, list[float]]:
    """Seconds per run of each of STARTUP_COMMANDS as a fresh Python process, interleaved (one run of each per
    round, after an untimed round that fills the file cache unless `warm_up` is False)."""
    root = Path(derivlib.__file__).resolve().parent.parent  # where `-m derivlib` finds this very derivlib
    times: dict[str, list[float]] = {name: [] for name in STARTUP_COMMANDS}
    for round_ in range(rounds + warm_up):
        for name, arguments in STARTUP_COMMANDS.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, *arguments], cwd=root, capture_output=True, check=True)
            if round_ or not warm_up:
                times[name].append(time.perf_counter() - started)
    return times


def startup_ratio(times: dict[str, list[float]]) -> float:
    """The median over rounds of the command line's time divided by torch's import in the same round."""
    torch_import, command_line = (times[name] for name in STARTUP_COMMANDS)
    return statistics.median(c / t for c, t in zip(command_line, torch_import, strict=True))


def growth(points: int, autograd_points: int, device: torch.device, dtype: torch.dtype, quick: bool) -> dict:
    """Seconds per order on the nested formula: Taylor mode at `points`, autograd at `autograd_points`."""
    x = torch.linspace(*RANGE, points, dtype=dtype, device=device)
    taylor = interleaved(
        {
            order: lambda order=order: derivlib.derivatives(GROWTH_FORMULA, x, order=order, device=device, dtype=dtype)
            for order in GROWTH_ORDERS
        },
        rounds_for(points, quick),
        device,
    )
    small = torch.linspace(*RANGE, autograd_points, dtype=dtype, device=device)
    orders = [order for order in AUTOGRAD_GROWTH_ORDERS if not quick or order <= 4]
    autograd = interleaved(
        {
            order: lambda order=order: derivlib.derivatives(
                GROWTH_FORMULA, small, order=order, method="autograd", device=device, dtype=dtype
            )
            for order in orders
        },
        1 if quick else 3,
        device,
    )
    return {
        "points": points,
        "autograd_points": autograd_points,
        "taylor": {order: taylor.median(order) for order in taylor.times},
        "autograd": {order: autograd.median(order) for order in autograd.times},
    }


def _probe(
    text: str, points: int, order: int, method: str, dtype: torch.dtype, device: torch.device, variables: int = 1
) -> dict:
    """Peak memory of one derivlib call on fresh points, in bytes above what was in use before it (the points among
    it): `derivatives` for one variable, `partials` in x and y for two."""
    settings = {"order": order, "method": method, "dtype": dtype, "device": device}

    def call(count: int) -> Callable[[], object]:
        x = torch.linspace(*RANGE, count, dtype=dtype, device=device)
        if variables == 1:
            return lambda: derivlib.derivatives(text, x, **settings)
        y = x.flip(0)  # any points will do: x and y need not lie on a grid
        return lambda: derivlib.partials(text, {"x": x, "y": y}, **settings)

    call(1000)()  # warm up
    run = call(points)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        run()
        torch.cuda.synchronize(device)
        return {"extra": torch.cuda.max_memory_allocated(device) - before, "exact": True}
    # On a CPU, two views of the peak, each of which can only miss memory: the kernel's high-water mark of resident
    # memory (VmHWM, restarted here where Linux allows; ru_maxrss would not do, as a child inherits its parent's),
    # which misses what the kernel evicts meanwhile of the libraries' file pages; and anonymous memory (RssAnon, the
    # arrays), sampled every millisecond, which misses shorter peaks. The larger is the better estimate.
    restarted = _restart_peak()
    before, before_anonymous, peak_before = (_status_bytes(name) for name in ("VmRSS", "RssAnon", "VmHWM"))
    stop, samples = threading.Event(), [before_anonymous]

    def sample() -> None:
        while not stop.wait(0.001):
            samples.append(_status_bytes("RssAnon"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run()
    stop.set()
    sampler.join()
    peak = _status_bytes("VmHWM")
    if not peak:
        return {"extra": math.nan, "exact": False}  # not Linux: no measurement
    extra = max(peak - before, max(samples) - before_anonymous)
    return {"extra": extra, "exact": restarted or peak > peak_before}  # else an earlier peak may hide one


def _status_bytes(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in bytes; 0 where there is none."""
    status = Path("/proc/self/status")
    lines = status.read_text().splitlines() if status.exists() else []
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith(field + ":")), 0)  # kB


def _restart_peak() -> bool:
    """Reset VmHWM to the current resident size (Linux 4.0 and later); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def memory(
    sizes: Sequence[int],
    methods: Sequence[str],
    device: torch.device,
    dtype: torch.dtype,
    fresh: bool,
    progress,
    variables: int = 1,
) -> list[dict]:
    """Peak memory of derivlib on the nested formula (for two variables, on SURFACE_MEMORY_FORMULA), each size and
    method in a fresh process on a CPU (a process's peak only grows, and an earlier call's would hide a smaller one)
    and in this one on a GPU (its allocator counts).

    Without `fresh` (the quick run) a CPU measures in this process too: an upper bound, marked ≤, unless the call
    sets a new peak.
    """
    text = GROWTH_FORMULA if variables == 1 else SURFACE_MEMORY_FORMULA
    rows = []
    for method in methods:
        for points in sizes:
            if method == "autograd" and points > 10**7:
                continue  # minutes, and its chunks bound its memory the same way at any larger size
            what = "" if variables == 1 else ", two variables"
            progress(f"memory{what}, {method}, {points:,} points")
            if device.type == "cuda" or not fresh:
                found = _probe(text, points, ORDER, method, dtype, device, variables)
            else:
                command = [sys.executable, "-m", "benchmarks.bench", "--probe", str(points), method, str(dtype)[6:]]
                command += ["--device", str(device), "--probe-variables", str(variables)]
                output = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
                found = json.loads(output.splitlines()[-1])
            arrays = found["extra"] / (points * dtype.itemsize)
            rows.append({"method": method, "points": points, "arrays": arrays, "exact": found["exact"]})
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# Two variables: f, the gradient and the Hessian (f, fx, fy, fxx, fxy, fyy), each formula with its closed form


@dataclass(frozen=True)
class Surface:
    name: str
    text: str  # what derivlib is given, with variables x and y
    f: Callable[[Tensor, Tensor], Tensor]  # f in torch, elementwise in x and y
    closed: Callable[[Tensor, Tensor], tuple[Tensor, ...]]  # f, fx, fy, fxx, fxy, fyy, worked out by hand


def _himmelblau(x: Tensor, y: Tensor) -> tuple[Tensor, ...]:
    a, b = x**2 + y - 11, x + y**2 - 7
    return (
        a**2 + b**2,
        4 * x * a + 2 * b,
        2 * a + 4 * y * b,
        12 * x**2 + 4 * y - 42,
        4 * (x + y),
        12 * y**2 + 4 * x - 26,
    )


def _waves(x: Tensor, y: Tensor) -> tuple[Tensor, ...]:
    sx, cx, sy, cy = torch.sin(x), torch.cos(x), torch.sin(y), torch.cos(y)
    g = torch.exp(-(x**2 + y**2) / 4)  # the Gaussian and its partial derivatives
    gx, gy = -x / 2 * g, -y / 2 * g
    gxx, gxy, gyy = (x**2 / 4 - 0.5) * g, x * y / 4 * g, (y**2 / 4 - 0.5) * g
    q = 1 + x**2  # log(1 + x²) and its derivatives in x
    log, log1, log2 = torch.log(q), 2 * x / q, 2 * (1 - x**2) / q**2
    return (
        sx * cy + g * log,
        cx * cy + gx * log + g * log1,
        -sx * sy + gy * log,
        -sx * cy + gxx * log + 2 * gx * log1 + g * log2,
        -cx * sy + gxy * log + gy * log1,
        -sx * cy + gyy * log,
    )


def _rosenbrock(x: Tensor, y: Tensor) -> tuple[Tensor, ...]:
    d = y - x**2
    return (
        (1 - x) ** 2 + 100 * d**2,
        -2 * (1 - x) - 400 * x * d,
        200 * d,
        1200 * x**2 - 400 * y + 2,
        -400 * x,
        torch.full_like(x, 200.0),
    )


SURFACES = [
    Surface(
        "Himmelblau",
        "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        _himmelblau,
    ),
    Surface(
        "sin x cos y + e^(−(x²+y²)/4)·log(1+x²)",
        SURFACE_MEMORY_FORMULA,
        lambda x, y: torch.sin(x) * torch.cos(y) + torch.exp(-(x**2 + y**2) / 4) * torch.log(1 + x**2),
        _waves,
    ),
    Surface(
        "Rosenbrock", "(1 - x)^2 + 100 (y - x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, _rosenbrock
    ),
]


def _surface_per_point_loop(surface: Surface) -> Callable[[Tensor, Tensor], list[tuple[float, ...]]]:
    """One point at a time: autograd for the gradient, then once more for each of its components."""

    def run(x: Tensor, y: Tensor) -> list[tuple[float, ...]]:
        rows = []
        grad = functools.partial(torch.autograd.grad, allow_unused=True, materialize_grads=True)
        for a, b in zip(x.tolist(), y.tolist(), strict=True):
            s = torch.tensor(a, dtype=x.dtype, device=x.device, requires_grad=True)
            t = torch.tensor(b, dtype=x.dtype, device=x.device, requires_grad=True)
            f = surface.f(s, t)
            fx, fy = grad(f, (s, t), create_graph=True)
            fxx, fxy = grad(fx, (s, t), retain_graph=True)
            (fyy,) = grad(fy, (t,))
            rows.append(tuple(value.item() for value in (f, fx, fy, fxx, fxy, fyy)))
        return rows

    return run


def _on_pairs(surface: Surface) -> Callable[[Tensor], Tensor]:
    """f of one point p = (x, y), as torch.func's transforms take it."""
    return lambda p: surface.f(p[0], p[1])


def _vmap_hessian(surface: Surface) -> Callable[[Tensor, Tensor], tuple[Tensor, ...]]:
    """What the torch.func documentation suggests: vmap(hessian(f)), and vmap(grad(f)) and f for the rest."""
    f = _on_pairs(surface)
    hessian, gradient = torch.func.vmap(torch.func.hessian(f)), torch.func.vmap(torch.func.grad(f))

    def run(x: Tensor, y: Tensor) -> tuple[Tensor, ...]:
        p = torch.stack([x, y], dim=1)
        g, h = gradient(p), hessian(p)
        return surface.f(x, y), g[:, 0], g[:, 1], h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]

    return run


def _vmap_jacfwd_grad(surface: Surface) -> Callable[[Tensor, Tensor], tuple[Tensor, ...]]:
    """All in one transform: hessian is jacfwd(jacrev(f)); with the gradient and f carried along as jacfwd's
    auxiliary output, one call gives all three."""
    grad_and_value = torch.func.grad_and_value(_on_pairs(surface))

    def gradient_twice(p: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        g, value = grad_and_value(p)
        return g, (g, value)

    batched = torch.func.vmap(torch.func.jacfwd(gradient_twice, has_aux=True))

    def run(x: Tensor, y: Tensor) -> tuple[Tensor, ...]:
        h, (g, f) = batched(torch.stack([x, y], dim=1))
        return f, g[:, 0], g[:, 1], h[:, 0, 0], h[:, 0, 1], h[:, 1, 1]

    return run


@dataclass
class SurfaceRow:
    formula: str
    side: int  # the grid is side × side points
    seconds: dict[str, float]  # median per method
    ratios: dict[str, float]  # median over rounds of method/derivlib
    estimated: set[str]  # methods whose time is extrapolated
    errors: dict[str, float]  # method -> largest relative difference from the closed form
    derivlib_over: dict[str, float]  # method -> median over rounds of derivlib/method
    compiled_over: dict[str, float]  # method -> median over rounds of derivlib compiled/method (where it ran)

    @property
    def points(self) -> int:
        return self.side**2

    def cell(self, method: str) -> str:
        if method not in self.seconds:
            return "—"
        mark = "~" if method in self.estimated else ""
        return f"{mark}{_duration(self.seconds[method])} ({mark}{self.ratios[method]:.2g}×)"


SURFACE_METHODS = [
    "derivlib, compiled",
    "derivlib, autograd",
    "surface_table",
    "closed form",
    "closed form, compiled",
    "vmap(hessian)",
    "vmap(jacfwd(grad))",
    "per-point loop",
]
SURFACE_ERRORS = {"derivlib": "taylor", "derivlib, autograd": "autograd", "vmap(hessian)": "vmap"}


def _surface_calls(
    surface: Surface, x: Tensor, y: Tensor, side: int, fused_closed_form, fuse: bool
) -> dict[str, Callable[[], object]]:
    """Each method as a call without arguments, on the side × side grid x, y (all but the per-point loop)."""
    settings = {"order": ORDER, "device": x.device, "dtype": x.dtype, "progress": lambda done, total: None}
    points = {"x": x, "y": y}
    calls: dict[str, Callable[[], object]] = {
        "derivlib": lambda: derivlib.partials(surface.text, points, **settings),
        "derivlib, autograd": lambda: derivlib.partials(surface.text, points, method="autograd", **settings),
        "surface_table": lambda: derivlib.surface_table(surface.text, (*RANGE, side), (*RANGE, side), **settings),
        "closed form": lambda: surface.closed(x, y),
    }
    if fuse:
        calls["derivlib, compiled"] = lambda: derivlib.partials(surface.text, points, fuse=True, **settings)
    if fused_closed_form is not None:
        calls["closed form, compiled"] = lambda: fused_closed_form(x, y)
    hessian, jacfwd_grad = _vmap_hessian(surface), _vmap_jacfwd_grad(surface)
    calls["vmap(hessian)"] = lambda: hessian(x, y)
    calls["vmap(jacfwd(grad))"] = lambda: jacfwd_grad(x, y)
    return calls


def surface_speed(
    sides: Sequence[int], device: torch.device, dtype: torch.dtype, quick: bool, compiled: bool, progress
) -> tuple[list[SurfaceRow], dict[str, float]]:
    """Rows of the two-variable table, and torch.compile's seconds per formula (its first call)."""
    rows: list[SurfaceRow] = []
    compile_seconds: dict[str, dict] = {"closed form": {}, "derivlib": {}}
    per_point_limit = 20 if quick else SURFACE_PER_POINT
    for surface in SURFACES:
        fused_closed_form, fuse = None, False
        if compiled:
            progress(f"{surface.name}: derivlib's compiled program")
            state, seconds = _fused_partials(surface, device, dtype)
            fuse = state == "ready"
            compile_seconds["derivlib"][surface.name] = f"{seconds:.1f} s" if fuse else state
            progress(f"{surface.name}: compiling the closed form")
            fused_closed_form = torch.compile(surface.closed, dynamic=True)
            started = time.perf_counter()
            small = torch.linspace(*RANGE, 1000, dtype=dtype, device=device)
            fused_closed_form(small, small.flip(0))
            _synchronize(device)
            compile_seconds["closed form"][surface.name] = time.perf_counter() - started
        per_point_seconds = None
        for side in sides:
            progress(f"{surface.name}, {side} × {side} points")
            x, y = surface_grid((*RANGE, side), (*RANGE, side), dtype=dtype, device=device)
            calls = _surface_calls(surface, x, y, side, fused_closed_form, fuse)
            timing = interleaved(calls, rounds_for(side**2, quick), device)
            seconds = {name: timing.median(name) for name in timing.times}
            ratios = {name: timing.ratio(name) for name in timing.times}
            derivlib_over = {name: timing.ratio("derivlib", name) for name in timing.times}
            compiled_over = {name: timing.ratio("derivlib, compiled", name) for name in timing.times} if fuse else {}
            estimated = set()
            if device.type == "cpu":
                measured = min(side**2, per_point_limit)
                if per_point_seconds is None or side**2 <= per_point_limit:
                    loop, step = _surface_per_point_loop(surface), max(1, side**2 // measured)
                    loop(x[:10], y[:10])  # autograd's first call sets things up
                    started = time.perf_counter()
                    loop(x[::step][:measured], y[::step][:measured])
                    per_point_seconds = (time.perf_counter() - started) / measured
                seconds["per-point loop"] = per_point_seconds * side**2
                ratios["per-point loop"] = seconds["per-point loop"] / seconds["derivlib"]
                estimated = {"per-point loop"} if side**2 > measured else set()
            closed = surface.closed(x, y)
            errors = {}
            for name in SURFACE_ERRORS:
                if name in timing.times:  # not one that ran out of memory
                    found = calls[name]()
                    errors[name] = _relative_error(found.values() if isinstance(found, dict) else found, closed)
            row = SurfaceRow(surface.name, side, seconds, ratios, estimated, errors, derivlib_over, compiled_over)
            rows.append(row)
    return rows, compile_seconds


# ---------------------------------------------------------------------------------------------------------------------
# The report


def machine(device: torch.device) -> list[str]:
    cpu = platform.processor() or platform.machine()
    if Path("/proc/cpuinfo").exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    lines = [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; torch threads: {torch.get_num_threads()}",
        f"- Python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}, "
        f"sympy {sympy.__version__}, {platform.system()} {platform.release()}",
    ]
    if device.type == "cuda":
        lines.append(f"- GPU: {torch.cuda.get_device_name(device)}")
    return lines


METHOD_ORDER = [
    "derivlib, compiled",
    "derivlib, autograd",
    "grid_table",
    "closed form",
    "closed form, compiled",
    "per-point loop",
    "vmap(grad(grad))",
    "jvp(jvp)",
    "sympy + numpy",
    "finite differences",
]


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str) -> list[str]:
    """A Markdown table; align has one letter per column, l or r."""
    rule = "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"
    return ["| " + " | ".join(header) + " |", rule, *("| " + " | ".join(map(str, row)) + " |" for row in rows)]


def _speed_section(rows: list[SpeedRow], sympy_seconds: dict, compile_seconds: dict) -> list[str]:
    methods = [name for name in METHOD_ORDER if any(name in row.seconds or name in row.out_of_memory for row in rows)]
    table = [
        [
            row.formula,
            f"{row.points:,}",
            _duration(row.seconds["derivlib"]),
            *(row.cell(name) for name in methods),
            f"{row.error:.0e}",
            "/".join(f"{error:.0e}" for error in row.finite_difference_error),
        ]
        for row in rows
    ]
    lines = [
        "## Speed",
        "",
        "Median time per call and, in parentheses, the median over rounds of its time divided by derivlib's in the "
        "same round (above 1: slower than derivlib). derivlib is `derivlib.derivatives(text, x, order=2)` as the "
        "dashboard calls it the first time: from the text, default method (Taylor mode) and chunks, a progress "
        "callback; 'derivlib, compiled' is the same call with fuse=True, as the dashboard makes it for the same "
        "formula again once derivlib's compiled program is ready; 'derivlib, autograd' is the same call with "
        "method='autograd' (the engine before Taylor mode); grid_table adds the grid and the pandas table the "
        "dashboard shows. ~: the per-point loop extrapolated linearly from "
        f"{PER_POINT_LIMIT:,} points. error: derivlib's largest difference from the closed form (relative, floor 1); "
        "FD error: that of the finite differences' f′ and f″.",
        "",
        *_table(
            ["formula", "points", "derivlib", *methods, "error", "FD error"], table, "lrr" + "r" * len(methods) + "rr"
        ),
        "",
        "sympy's differentiation and lambdify, once per formula: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sympy_seconds.items())
        + ".",
    ]
    return lines + _compile_lines(compile_seconds)


def _compile_lines(compile_seconds: dict[str, dict]) -> list[str]:
    """What compiling took, where this run compiled: torch.compile of the closed form, and derivlib's programs."""
    if not compile_seconds["closed form"]:
        return []
    return [
        "",
        "torch.compile of the closed form, first call: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in compile_seconds["closed form"].items())
        + ".",
        "",
        "derivlib's compiled program (`fuse=True`), from the first call to ready, the compiler working in its own "
        "process while the first answer comes from Taylor mode: "
        + ", ".join(f"{name} {state}" for name, state in compile_seconds["derivlib"].items())
        + ".",
    ]


def _growth_section(grown: dict) -> list[str]:
    taylor, autograd = grown["taylor"], grown["autograd"]
    table = [
        [
            order,
            _duration(taylor[order]),
            f"{taylor[order] / taylor[2]:.1f}",
            _duration(autograd[order]) if order in autograd else "—",
            f"{autograd[order] / autograd[2]:.1f}" if order in autograd else "—",
        ]
        for order in GROWTH_ORDERS
    ]
    return [
        "## Cost per order",
        "",
        f"{GROWTH_FORMULA}, median time per call: Taylor mode (the default) at {grown['points']:,} points; "
        f"autograd (method='autograd': reverse mode applied to its own result) at {grown['autograd_points']:,}.",
        "",
        *_table(["order", "Taylor mode", "× order 2", "autograd", "× order 2"], table, "rrrrr"),
    ]


def _memory_section(memory_rows: list[dict], device: torch.device, variables: int = 1) -> list[str]:
    if device.type == "cuda":
        where = "the allocator's peak (torch.cuda.max_memory_allocated)"
    else:
        where = (
            "the peak resident memory of a fresh process (VmHWM restarted before the call, or RssAnon sampled each ms)"
        )
    results = _result_arrays(variables)
    table = []
    for row in memory_rows:
        bound = "" if row["exact"] else "≤ "
        arrays = row["arrays"]
        table.append([row["method"], f"{row['points']:,}", f"{bound}{arrays:.2f}", f"{bound}{arrays - results:.2f}"])
    if variables == 1:
        heading, what = "## Peak memory", f"{GROWTH_FORMULA}, order {ORDER}: "
        inputs = "x among it"
    else:
        heading = "## Peak memory, two variables"
        what = f"`partials` of {SURFACE_MEMORY_FORMULA} at N points (x, y), order {ORDER}: "
        inputs = "x and y among it"
    return [
        heading,
        "",
        f"{what}{where} during one call, beyond what was in use before it ({inputs}), in arrays of N points; the "
        f"result itself is {results} of them.",
        "",
        *_table(["method", "points", "arrays of N", "beyond the result"], table, "lrrr"),
    ]


def _result_arrays(variables: int) -> int:
    """How many arrays of N points the result is: f and every partial derivative up to ORDER."""
    return math.comb(ORDER + variables, variables)


def _surface_section(rows: list[SurfaceRow], compile_seconds: dict[str, dict]) -> list[str]:
    methods = [name for name in SURFACE_METHODS if any(name in row.seconds for row in rows)]
    table = [
        [
            row.formula,
            f"{row.side} × {row.side}",
            _duration(row.seconds["derivlib"]),
            *(row.cell(name) for name in methods),
            "/".join(f"{row.errors[name]:.0e}" if name in row.errors else "—" for name in SURFACE_ERRORS),
        ]
        for row in rows
    ]
    lines = [
        "## Two variables",
        "",
        f"f, its gradient and its Hessian (f, fx, fy, fxx, fxy, fyy) on a square grid of {RANGE[0]:g} … "
        f"{RANGE[1]:g} in x and y. Median time per call and, in parentheses, the median over rounds of its time "
        f"divided by derivlib's in the same round (above 1: slower than derivlib). derivlib is "
        f'`derivlib.partials(text, {{"x": x, "y": y}}, order=2)` from the text, in Taylor mode (its default); '
        f"'derivlib, autograd' is the same call with method='autograd'; surface_table adds the grid and the pandas "
        f"table. The closed form is the gradient and Hessian worked out by hand, in eager torch ('compiled': fused "
        f"by torch.compile); vmap(hessian) is `vmap(hessian(f))` with `vmap(grad(f))` and f itself beside it, so "
        f"that it gives the same six outputs; vmap(jacfwd(grad)) gives all six from one transform "
        f"(`vmap(jacfwd(grad_and_value(f)))`, the gradient and f carried as jacfwd's auxiliary output). ~: the "
        f"per-point loop (autograd on one point at a time) extrapolated linearly from {SURFACE_PER_POINT} points. "
        f"error: the largest difference from the closed form over the six outputs (relative, floor 1) of derivlib "
        f"in Taylor mode, derivlib's autograd, and vmap(hessian).",
        "",
        *_table(
            ["formula", "points", "derivlib", *methods, "error (taylor/autograd/vmap)"],
            table,
            "lrr" + "r" * len(methods) + "r",
        ),
        "",
        "The formulas: " + "; ".join(f"{surface.name}, `{surface.text}`" for surface in SURFACES) + ".",
    ]
    return lines + _compile_lines(compile_seconds)


def _startup_section(times: dict[str, list[float]]) -> list[str]:
    baseline = statistics.median(times[next(iter(STARTUP_COMMANDS))])
    table = [
        [f"`{name}`", _duration(statistics.median(runs)), f"{statistics.median(runs) / baseline:.2f}"]
        for name, runs in times.items()
    ]
    rounds = len(next(iter(times.values())))
    return [
        "## Start-up",
        "",
        f"Each command as a fresh process, the two interleaved, {rounds} round{'s' if rounds > 1 else ''}: the median "
        "time per run, and that over `import torch`'s. The median over rounds of the command line's time divided by "
        f"torch's in the same round: {startup_ratio(times):.2f}×.",
        "",
        *_table(["command", "median", "× import torch"], table, "lrr"),
    ]


def _targets_section(
    rows: list[SpeedRow],
    grown: dict,
    memory_rows: list[dict],
    device,
    dtype,
    started: dict | None = None,
    surface_rows: Sequence[SurfaceRow] = (),
    surface_memory: Sequence[dict] = (),
) -> list[str]:
    """The issue's targets, each where this run measured it at the size the issue names: met or missed."""
    targets: list[tuple[str, str, bool]] = []  # (target, measured, met)
    if started:
        ratio = startup_ratio(started)
        torch_import, command_line = (_duration(statistics.median(started[name])) for name in STARTUP_COMMANDS)
        measured = f"{ratio:.2f}× ({command_line} against {torch_import})"
        targets.append(
            (f"command line's start-up ≤ {STARTUP_TARGET}× `import torch`", measured, ratio <= STARTUP_TARGET)
        )

    def worst(points: int, method: str) -> tuple[float, str] | None:
        """derivlib's largest time over the method's at that size, and the formula it is for."""
        found = [(1 / row.ratios[method], row.formula) for row in rows if row.points == points and method in row.ratios]
        return max(found) if found else None

    if first := worst(10**6, "closed form"):
        targets.append(
            ("first answer ≤ 1.0× the closed form, 10⁶ points", f"{first[0]:.2f}× ({first[1]})", first[0] <= 1)
        )
    if again := max(((row.again, row.formula) for row in rows if row.points == 10**6 and row.again), default=None):
        measured = f"{again[0]:.2f}× ({again[1]})"
        target = f"same formula again ≤ {AGAIN_TARGET}× the compiled closed form"
        targets.append((target, measured, again[0] <= AGAIN_TARGET))
    beyond = {row["points"]: row["arrays"] - ORDER - 1 for row in memory_rows if row["method"] == "taylor"}
    if 10**7 in beyond:
        met = beyond[10**7] <= MEMORY_TARGET
        targets.append((f"memory at 10⁷ ≤ {MEMORY_TARGET} arrays beyond x and the result", f"{beyond[10**7]:.2f}", met))
        if 10**8 in beyond:
            measured = f"{beyond[10**8]:.2f} against {beyond[10**7]:.2f}"
            targets.append(("memory at 10⁸ no higher than at 10⁷", measured, beyond[10**8] <= beyond[10**7] + 0.1))
    if grown and grown["points"] == 10**5:
        growth_ratio = grown["taylor"][8] / grown["taylor"][2]
        targets.append(("order 8 ≤ 10× order 2, 10⁵ points", f"{growth_ratio:.1f}×", growth_ratio <= 10))
    if slowest := worst(10**4, "per-point loop"):
        speedup = 1 / slowest[0]
        targets.append(("≥ 1000× the per-point loop, 10⁴ points", f"{speedup:,.0f}× ({slowest[1]})", speedup >= 1000))
    gpu = [row for row in rows if row.points == 10**8 and row.formula == FORMULAS[0].name]
    if gpu and device.type == "cuda" and dtype == torch.float32:
        seconds = gpu[0].seconds["derivlib"]
        targets.append(("x³ + sin x, 10⁸ points, float32 ≤ 0.9 ms", _duration(seconds), seconds <= 0.9e-3))
    targets += _surface_targets(surface_rows, surface_memory)
    unmeasured = "The targets set at 10⁴ … 10⁸ points were not measured in this run."
    if not targets:
        return ["## Targets", "", unmeasured]
    rendered = [[target, measured, "met" if met else "**missed**"] for target, measured, met in targets]
    lines = ["## Targets", "", *_table(["target", "measured", ""], rendered, "lrl")]
    return [*lines, "", unmeasured] if len(targets) == 1 and started else lines


def _surface_targets(rows: Sequence[SurfaceRow], memory_rows: Sequence[dict]) -> list[tuple[str, str, bool]]:
    """The two-variable targets, at SURFACE_SIDE² points and 10⁷ points: derivlib's time over the eager closed form's
    and over the faster of the torch.func forms (medians over rounds of the ratio in each round), and memory."""
    targets = []
    measured = [row for row in rows if row.side == SURFACE_SIDE]
    size = f"{SURFACE_SIDE}² points"
    if measured:
        ratio, formula = max((row.derivlib_over["closed form"], row.formula) for row in measured)
        target = f"two variables: f + Hessian ≤ {SURFACE_TARGET}× the eager closed form, {size}"
        targets.append((target, f"{ratio:.2f}× ({formula})", ratio <= SURFACE_TARGET))
        if all(row.compiled_over for row in measured):
            ratio, formula = max((row.compiled_over["closed form"], row.formula) for row in measured)
            target = f"two variables, compiled: f + Hessian ≤ {SURFACE_TARGET}× the eager closed form, {size}"
            targets.append((target, f"{ratio:.2f}× ({formula})", ratio <= SURFACE_TARGET))
        forms = [name for name in ("vmap(hessian)", "vmap(jacfwd(grad))") if name in measured[0].derivlib_over]
        ratio, formula, form = max(
            max((row.derivlib_over[name], row.formula, name) for name in forms) for row in measured
        )
        measured_text = f"{ratio:.2f}× {form} ({formula})"
        targets.append((f"two variables: ahead of vmap(hessian), {size}", measured_text, ratio < 1))
    beyond = {row["points"]: row["arrays"] - _result_arrays(2) for row in memory_rows if row["method"] == "taylor"}
    if 10**7 in beyond:
        target = f"two variables: memory at 10⁷ ≤ {MEMORY_TARGET} arrays beyond x, y and the result"
        targets.append((target, f"{beyond[10**7]:.2f}", beyond[10**7] <= MEMORY_TARGET))
    return targets


def report(
    device, dtype, rows, sympy_seconds, compile_seconds, grown, memory_rows, started=None, surface: dict | None = None
) -> str:
    """The Markdown report; `grown` None where only the start-up was measured (`started`: see `startup`), or only
    the two variables (`surface`: the rows of `surface_speed`, its compile seconds, and its memory rows)."""
    command = " ".join(["python -m benchmarks.bench", *sys.argv[1:]])
    grid = f"grid {RANGE[0]:g} … {RANGE[1]:g}"
    if grown is not None:
        what = f"f, f′, f″ in {str(dtype)[6:]} on {device}, {grid}"
        what += "; two variables, f and its Hessian" if surface else ""
    elif surface:
        what = f"two variables, f and its Hessian in {str(dtype)[6:]} on {device}, {grid} in x and y"
    else:
        what = "the start-up of the command line"
    lines = [
        f"# derivlib benchmark ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"`{command}`: {what}.",
        "",
        *machine(device),
        "",
    ]
    surface = surface or {"rows": [], "compile_seconds": {"closed form": {}, "derivlib": {}}, "memory": []}
    targets = _targets_section(rows, grown, memory_rows, device, dtype, started, surface["rows"], surface["memory"])
    if grown is None and not surface["rows"]:
        return "\n".join([*lines, *targets[:-2], "", *_startup_section(started)]) + "\n"  # not "… not measured"
    lines += targets
    if rows:
        lines += ["", *_speed_section(rows, sympy_seconds, compile_seconds)]
    if surface["rows"]:
        lines += ["", *_surface_section(surface["rows"], surface["compile_seconds"])]
    if grown:
        lines += ["", *_growth_section(grown)]
    if memory_rows:
        lines += ["", *_memory_section(memory_rows, device)]
    if surface["memory"]:
        lines += ["", *_memory_section(surface["memory"], device, variables=2)]
    if started:
        lines += ["", *_startup_section(started)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# Optimisation: derivlib.minimize against scipy given hand-written derivatives, and torch.optim.LBFGS


OPTIMISATION_TOL = 1e-8  # ‖∇f‖∞ at which every method stops (scipy's Newton-CG: its step, xtol)
OPTIMISATION_ROUNDS = 15  # interleaved rounds of every method (each run is milliseconds)
ITERATION_TARGET = 1.5  # derivlib's iterations at most this many times its scipy equivalent's
PER_ITERATION_TARGET = 2.0  # … and its time per iteration at most this many times
EQUIVALENT = {"derivlib lbfgs": "scipy L-BFGS-B", "derivlib newton": "scipy Newton-CG"}


@dataclass(frozen=True)
class Problem:
    name: str
    text: str  # what derivlib is given
    start: dict[str, float]


def _rosenbrock_problem(names: str) -> Problem:
    """The chained (extended) Rosenbrock function Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², typed as a formula in these
    one-letter variables, from the classic start (−1.2, 1, −1.2, 1, …)."""
    text = " + ".join(f"100({b} - {a}^2)^2 + (1 - {a})^2" for a, b in itertools.pairwise(names))
    start = {name: -1.2 if i % 2 == 0 else 1.0 for i, name in enumerate(names)}
    what = "Rosenbrock, 2-D" if len(names) == 2 else f"extended Rosenbrock, {len(names)}-D"
    return Problem(what, text, start)


PROBLEMS = [_rosenbrock_problem("xy"), _rosenbrock_problem("uvwxyz")]


def rosenbrock(p: np.ndarray) -> float:
    """Hand-written, in numpy, for scipy: f, its gradient and its Hessian (tridiagonal)."""
    return float(np.sum(100.0 * (p[1:] - p[:-1] ** 2) ** 2 + (1.0 - p[:-1]) ** 2))


def rosenbrock_gradient(p: np.ndarray) -> np.ndarray:
    d = p[1:] - p[:-1] ** 2
    g = np.zeros_like(p)
    g[:-1] = -400.0 * p[:-1] * d - 2.0 * (1.0 - p[:-1])
    g[1:] += 200.0 * d
    return g


def rosenbrock_hessian(p: np.ndarray) -> np.ndarray:
    diagonal = np.zeros_like(p)
    diagonal[:-1] = 1200.0 * p[:-1] ** 2 - 400.0 * p[1:] + 2.0
    diagonal[1:] += 200.0
    off = -400.0 * p[:-1]
    return np.diag(diagonal) + np.diag(off, 1) + np.diag(off, -1)


def _torch_rosenbrock(p: Tensor) -> Tensor:
    return (100.0 * (p[1:] - p[:-1] ** 2) ** 2 + (1.0 - p[:-1]) ** 2).sum()


@dataclass
class OptimisationRow:
    problem: str
    method: str
    nit: int
    nfev: int  # evaluations of f (with ∇f), line searches included
    nhev: int  # Hessians
    seconds: float  # median total
    per_iteration: float
    error: float  # ‖x − (1, …, 1)‖∞ where it stopped


def _optimisation_calls(problem: Problem) -> dict[str, Callable[[], tuple[int, int, int, np.ndarray]]]:
    """Each method on the problem, returning (iterations, evaluations of f, Hessians, x where it stopped)."""
    import scipy.optimize

    x0 = np.array(list(problem.start.values()))
    names = list(problem.start)

    def ours(method: str) -> Callable[[], tuple[int, int, int, np.ndarray]]:
        def call() -> tuple[int, int, int, np.ndarray]:
            found = derivlib.minimize(problem.text, problem.start, method=method, tol=OPTIMISATION_TOL)
            return found.nit, found.nfev, found.nhev, np.array([found.x[name] for name in names])

        return call

    def theirs(method: str) -> Callable[[], tuple[int, int, int, np.ndarray]]:
        options = {"maxiter": 10_000}
        options |= {"xtol": OPTIMISATION_TOL} if method == "Newton-CG" else {"gtol": OPTIMISATION_TOL}
        options |= {"norm": math.inf} if method == "BFGS" else {"ftol": 0.0} if method == "L-BFGS-B" else {}
        extra = {"hess": rosenbrock_hessian} if method == "Newton-CG" else {}

        def call() -> tuple[int, int, int, np.ndarray]:
            found = scipy.optimize.minimize(
                rosenbrock, x0, jac=rosenbrock_gradient, method=method, options=options, **extra
            )
            return found.nit, found.nfev, int(getattr(found, "nhev", 0) or 0), found.x

        return call

    def torch_lbfgs() -> tuple[int, int, int, np.ndarray]:
        point = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.LBFGS(
            [point],
            max_iter=10_000,
            max_eval=12_500,
            tolerance_grad=OPTIMISATION_TOL,
            tolerance_change=0.0,
            history_size=10,
            line_search_fn="strong_wolfe",
        )

        def closure() -> Tensor:
            optimizer.zero_grad()
            value = _torch_rosenbrock(point)
            value.backward()
            return value

        optimizer.step(closure)
        state = optimizer.state[point]
        return state["n_iter"], state["func_evals"], 0, point.detach().numpy()

    return {
        "derivlib lbfgs": ours("lbfgs"),
        "derivlib newton": ours("newton"),
        "scipy L-BFGS-B": theirs("L-BFGS-B"),
        "scipy BFGS": theirs("BFGS"),
        "scipy Newton-CG": theirs("Newton-CG"),
        "torch.optim.LBFGS": torch_lbfgs,
    }


def optimisation_speed(rounds: int, progress: Callable[[str], None] = lambda what: None) -> list[OptimisationRow]:
    """Every method on every problem: counts from one run, times as medians over interleaved rounds."""
    rows = []
    for problem in PROBLEMS:
        progress(f"optimisation, {problem.name}")
        calls = _optimisation_calls(problem)
        counts = {name: call() for name, call in calls.items()}
        timing = interleaved(calls, rounds, torch.device("cpu"))
        for name, (nit, nfev, nhev, x) in counts.items():
            seconds = timing.median(name)
            error = float(np.max(np.abs(x - 1.0)))
            rows.append(OptimisationRow(problem.name, name, nit, nfev, nhev, seconds, seconds / max(nit, 1), error))
    return rows


def _optimisation_section(rows: list[OptimisationRow]) -> list[str]:
    lines = [
        "## Optimisation",
        "",
        f"From the classic start (−1.2, 1, …) to ‖∇f‖∞ ≤ {OPTIMISATION_TOL:g} (scipy's Newton-CG: a step of at most "
        "that). derivlib is given the formula as text and computes every derivative itself; scipy is given f, ∇f and "
        "the Hessian written by hand in numpy; torch.optim.LBFGS (strong Wolfe) gets ∇f from autograd. Times are "
        f"medians of {OPTIMISATION_ROUNDS} interleaved rounds on one thread; ×scipy compares derivlib's time per "
        "iteration and its iterations with its equivalent's (L-BFGS with L-BFGS-B, Newton with Newton-CG).",
        "",
    ]
    by = {(row.problem, row.method): row for row in rows}
    table = []
    for row in rows:
        equivalent = by.get((row.problem, EQUIVALENT.get(row.method, "")))
        bfgs = by.get((row.problem, "scipy BFGS"))
        ratio = (
            f"{row.per_iteration / equivalent.per_iteration:.2g}× {equivalent.method[6:]}, "
            f"{row.per_iteration / bfgs.per_iteration:.2g}× BFGS per iteration; "
            f"{row.nit / max(equivalent.nit, 1):.2g}× {equivalent.method[6:]}'s iterations"
            if equivalent and bfgs
            else ""
        )
        table.append(
            [
                row.problem,
                row.method,
                row.nit,
                row.nfev,
                row.nhev or "—",
                _duration(row.seconds),
                _duration(row.per_iteration),
                ratio,
                f"{row.error:.1e}",
            ]
        )
    header = ["problem", "method", "iterations", "evaluations", "Hessians", "total", "per iteration", "×scipy",
              "‖x − 1‖∞"]  # fmt: skip
    lines += _table(header, table, "llrrrrrll")
    lines += ["", "Targets:", ""]
    for row in rows:
        equivalent = by.get((row.problem, EQUIVALENT.get(row.method, "")))
        if equivalent is None:
            continue
        iterations = row.nit / max(equivalent.nit, 1)
        time_ratio = row.per_iteration / equivalent.per_iteration
        lines.append(
            f"- {row.problem}, {row.method} against {equivalent.method}: iterations {iterations:.2f}× "
            f"({'met' if iterations <= ITERATION_TARGET else 'missed'}: ≤ {ITERATION_TARGET}×), time per iteration "
            f"{time_ratio:.2f}× ({'met' if time_ratio <= PER_ITERATION_TARGET else 'missed'}: ≤ "
            f"{PER_ITERATION_TARGET}×)"
        )
    return lines


def _exponential_fit(residuals: int) -> Problem:
    """A least-squares fit typed as one long formula: a decaying exponential and a cosine, four parameters, through
    `residuals` data points (its minimum, f = 0, at (2.5, 1.3, 0.5, 3))."""
    t = np.linspace(0.0, 4.0, residuals)
    data = 2.5 * np.exp(-1.3 * t) + 0.5 * np.cos(3.0 * t)
    text = " + ".join(f"({d:.17g} - a exp(-b*{ti:.17g}) - c cos(d*{ti:.17g}))^2" for ti, d in zip(t, data, strict=True))
    return Problem(f"exponential fit, {residuals} residuals", text, {"a": 1.0, "b": 1.0, "c": 1.0, "d": 2.8})


CLASSIC = [  # Moré, Garbow and Hillstrom (ACM TOMS 7, 1981), by their numbers, from their starts; and a long fit
    _rosenbrock_problem("xy"),
    Problem("Powell badly scaled (MGH 3)", "(10000 x y - 1)^2 + (exp(-x) + exp(-y) - 1.0001)^2", {"x": 0.0, "y": 1.0}),
    Problem("Brown badly scaled (MGH 4)", "(x - 1000000)^2 + (y - 0.000002)^2 + (x y - 2)^2", {"x": 1.0, "y": 1.0}),
    Problem(
        "Beale (MGH 5)",
        "(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
        {"x": 1.0, "y": 1.0},
    ),
    Problem(
        "Box 3-D (MGH 12)",
        " + ".join(
            f"(exp(-{k / 10:g} x) - exp(-{k / 10:g} y) - z (exp(-{k / 10:g}) - exp(-{k:g})))^2" for k in range(1, 11)
        ),
        {"x": 0.0, "y": 10.0, "z": 20.0},
    ),
    Problem(
        "Powell singular (MGH 13)",
        "(x + 10 y)^2 + 5 (z - w)^2 + (y - 2 z)^4 + 10 (x - w)^4",
        {"x": 3.0, "y": -1.0, "z": 0.0, "w": 1.0},
    ),
    Problem(
        "Wood (MGH 14)",
        "100 (x - w^2)^2 + (1 - w)^2 + 90 (z - y^2)^2 + (1 - y)^2 + 10.1 ((x - 1)^2 + (z - 1)^2) + 19.8 (x - 1)(z - 1)",
        {"w": -3.0, "x": -1.0, "y": -3.0, "z": -1.0},
    ),
    _rosenbrock_problem("uvwxyzabcd"),
    _exponential_fit(99),
]
CLASSIC_METHODS = ("lbfgs", "cg-pr", "newton")
CLASSIC_TARGETS = {"lbfgs": 2.0, "cg-pr": 2.0, "newton": 3.0}  # time per iteration, × scipy BFGS's (issue 19)
CLASSIC_ROUNDS = 5


def problem_expression(problem: Problem) -> derivlib.Expression:
    """The problem's formula as derivlib reads it: the start's names are its variables, the page's limits lifted."""
    return derivlib.parse(problem.text, variables=tuple(problem.start), max_length=None, max_nodes=None)


Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
_OBJECTIVES: dict[str, Objective] = {}  # by problem name: sympy takes seconds to write the long fit's gradient


def _numpy_objective(problem: Problem) -> tuple[Objective, np.ndarray]:
    """f and ∇f in numpy, written by sympy from derivlib's tree (with common subexpressions shared): scipy's exact
    gradient, as a user who differentiated by hand would give it; built once per problem. Built here, in the
    benchmark, from our own formulas: user text never reaches sympy."""
    if problem.name not in _OBJECTIVES:
        _OBJECTIVES[problem.name] = _written_by_sympy(problem)
    return _OBJECTIVES[problem.name], np.array(list(problem.start.values()))


def _written_by_sympy(problem: Problem) -> Objective:
    names = tuple(problem.start)
    f = problem_expression(problem).to_sympy()
    symbols = [sympy.Symbol(name, real=True) for name in names]  # as Expression.to_sympy makes them
    depth = sys.getrecursionlimit()
    sys.setrecursionlimit(max(depth, 10_000))  # sympy recurses through the long fit's sum, a few frames per term
    try:
        function = sympy.lambdify([symbols], [f, [sympy.diff(f, v) for v in symbols]], "numpy", cse=True)
    finally:
        sys.setrecursionlimit(depth)

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = function(p)
        return float(value), np.array(gradient, dtype=float)

    return objective


@dataclass
class ClassicRow:
    problem: str
    variables: int
    characters: int
    method: str
    nit: int
    per_iteration: float  # median seconds
    bfgs_per_iteration: float
    fun: float
    compiled_per_iteration: float = math.nan  # with fuse=True, once the compiled programs are ready
    compile_seconds: float = math.nan  # the compiler's time for the method's programs (in the background)


def _compiled(expression: derivlib.Expression, problem: Problem, method: str) -> float:
    """Ask for the method's compiled programs (a first run with fuse=True) and wait until the compiler is done with
    them; the compiler's seconds (NaN where one failed: the run stays eager there)."""
    derivlib.minimize(expression, problem.start, method=method, tol=OPTIMISATION_TOL, fuse=True)
    seconds = 0.0
    variables = tuple(problem.start)
    from derivlib.optimize import RECORDS

    for order in (0, 1, 2) if RECORDS[method].hessian else (0, 1):
        key = fused.key(expression, order, torch.float64, torch.device("cpu"), variables)
        if key not in fused.compiler().entries:  # never asked for (L-BFGS never asks for f alone)
            continue
        if fused.wait(expression, order, torch.float64, torch.device("cpu"), 1_800, variables) != "ready":
            return math.nan
        seconds += fused.compiler().entries[key].seconds
    return seconds


def classic_speed(
    rounds: int, progress: Callable[[str], None] = lambda what: None, compiled: bool = True
) -> list[ClassicRow]:
    """Time per iteration of derivlib's methods (eager, and with their compiled programs once ready) and of scipy's
    BFGS (exact gradient) on each classic problem, as medians of interleaved rounds."""
    import scipy.optimize

    rows = []
    for problem in CLASSIC:
        progress(f"optimisation per iteration, {problem.name}")
        objective, x0 = _numpy_objective(problem)
        expression = problem_expression(problem)
        options = {"gtol": OPTIMISATION_TOL, "norm": math.inf, "maxiter": 10_000}
        found: dict[str, object] = {}
        bfgs = functools.partial(scipy.optimize.minimize, objective, x0, jac=True, method="BFGS", options=options)
        calls: dict[str, Callable[[], object]] = {"scipy": lambda bfgs=bfgs, found=found: found.update(scipy=bfgs())}
        compile_seconds = {}
        for method in CLASSIC_METHODS:
            run = functools.partial(derivlib.minimize, expression, problem.start, method=method, tol=OPTIMISATION_TOL)
            calls[method] = lambda run=run, method=method, found=found: found.update({method: run()})
            if compiled:
                progress(f"… compiling {method}'s programs")
                compile_seconds[method] = _compiled(expression, problem, method)
                fast = functools.partial(run, fuse=True)
                calls[f"{method} compiled"] = lambda fast=fast, method=method, found=found: found.update(
                    {f"{method} compiled": fast()}
                )
        timing = interleaved(calls, rounds, torch.device("cpu"))
        reference = found["scipy"]
        bfgs_each = timing.median("scipy") / max(reference.nit, 1)  # type: ignore[attr-defined]
        for method in CLASSIC_METHODS:
            result = found[method]
            nit = result.nit  # type: ignore[attr-defined]
            rows.append(
                ClassicRow(
                    problem.name,
                    len(problem.start),
                    len(problem.text),
                    method,
                    nit,
                    timing.median(method) / max(nit, 1),
                    bfgs_each,
                    result.fun,  # type: ignore[attr-defined]
                    timing.median(f"{method} compiled") / max(nit, 1) if compiled else math.nan,
                    compile_seconds.get(method, math.nan),
                )
            )
    return rows


def _classic_section(rows: list[ClassicRow]) -> list[str]:
    lines = [
        "## Optimisation, time per iteration on classic problems",
        "",
        "Each problem from its published start to ‖∇f‖∞ ≤ 1e-8; scipy's BFGS is given f and the exact ∇f in numpy "
        "(written by sympy from the same tree, common subexpressions shared). Time per iteration: the run's median "
        f"over {CLASSIC_ROUNDS} interleaved rounds on one thread, divided by its iterations; ×BFGS divides it by "
        "BFGS's. Eager: the Taylor program run op by op; compiled: `minimize(fuse=True)` once the formula's programs "
        "along directions are compiled (the compiler's seconds beside, spent in the background; — where it failed "
        "and the run stays eager). Both runs take the same iterations to the same point.",
        "",
    ]

    def times(value: float) -> str:
        return "—" if math.isnan(value) else f"{value:.1f}×"

    table = [
        [
            row.problem,
            row.variables,
            f"{row.characters:,}",
            row.method,
            row.nit,
            _duration(row.bfgs_per_iteration),
            _duration(row.per_iteration),
            times(row.per_iteration / row.bfgs_per_iteration),
            "—" if math.isnan(row.compiled_per_iteration) else _duration(row.compiled_per_iteration),
            times(row.compiled_per_iteration / row.bfgs_per_iteration),
            "—" if math.isnan(row.compile_seconds) else f"{row.compile_seconds:.0f} s",
        ]
        for row in rows
    ]
    header = ["problem", "n", "characters", "method", "iterations", "BFGS per iteration", "eager", "×BFGS",
              "compiled", "×BFGS", "compiler"]  # fmt: skip
    lines += _table(header, table, "lrrlrrrrrrr")
    lines += ["", "Medians over the problems, against the goals of issue 19:", ""]
    for method, target in CLASSIC_TARGETS.items():
        for what, field_name in (("eager", "per_iteration"), ("compiled", "compiled_per_iteration")):
            ratios = [getattr(r, field_name) / r.bfgs_per_iteration for r in rows if r.method == method]
            ratios = [ratio for ratio in ratios if not math.isnan(ratio)]
            if ratios:
                ratio = statistics.median(ratios)
                verdict = "met" if ratio <= target else "missed"
                lines.append(f"- {method}, {what}: {ratio:.1f}× scipy BFGS per iteration ({verdict}: ≤ {target:g}×)")
    return lines


# ---------------------------------------------------------------------------------------------------------------------
# The command line


def _sizes(text: str) -> list[int]:
    return [int(float(item)) for item in text.split(",") if item.strip()]


# ---------------------------------------------------------------------------------------------------------------------
# Many starts at once: minimize_many against minimize from each start alone

MANY_PROBLEMS = [
    Problem("Himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", {"x": 0.0, "y": 0.0}),
    Problem("Rosenbrock", "(1 - x)^2 + 100(y - x^2)^2", {"x": 0.0, "y": 0.0}),
]
MANY_METHODS = ("newton", "lbfgs", "cg-pr", "gradient-descent-armijo")
MANY_SIDE = 200  # a side × side grid of starts over [-6, 6]²: 40,000 starts
MANY_ALONE = 20  # starts of the grid, picked at random, run alone for the cost of a start alone
MANY_TARGET = 1 / 100  # issue 21: a start in a batch of 40,000 costs at most this share of a start alone
MANY_MAX_ITER = 200


@dataclass
class ManyRow:
    problem: str
    method: str
    starts: int
    batch: float  # seconds for the whole batch
    alone: float  # median seconds of a start alone
    converged: float  # share of the starts that converged

    @property
    def share(self) -> float:
        return self.batch / self.starts / self.alone


def many_speed(side: int, progress) -> list[ManyRow]:
    """Each method from every start of a side × side grid at once (minimize_many), and from MANY_ALONE of them alone
    (minimize), on one thread; the batch's cost per start against a start alone."""
    from derivlib.many import minimize_many

    rows = []
    axis = np.linspace(-6, 6, side)
    xs, ys = np.meshgrid(axis, axis)
    starts = {"x": xs.ravel(), "y": ys.ravel()}
    picked = np.random.default_rng(0).choice(side * side, min(MANY_ALONE, side * side), replace=False)
    for problem in MANY_PROBLEMS:
        for method in MANY_METHODS:
            progress(f"many starts, {problem.name}, {method}")
            began = time.perf_counter()
            frame = minimize_many(problem.text, starts, method=method, max_iter=MANY_MAX_ITER)
            batch = time.perf_counter() - began
            alone = []
            for k in picked:
                began = time.perf_counter()
                derivlib.minimize(
                    problem.text, {"x": starts["x"][k], "y": starts["y"][k]}, method=method, max_iter=MANY_MAX_ITER
                )
                alone.append(time.perf_counter() - began)
            converged = float(frame["success"].mean())
            rows.append(ManyRow(problem.name, method, len(frame), batch, statistics.median(alone), converged))
    return rows


def _many_section(rows: list[ManyRow]) -> list[str]:
    table = [
        [
            row.problem,
            row.method,
            f"{row.starts:,}",
            _duration(row.batch),
            _duration(row.batch / row.starts),
            _duration(row.alone),
            f"1/{1 / row.share:,.0f}",
            f"{row.converged:.0%}",
        ]
        for row in rows
    ]
    worst = max(rows, key=lambda row: row.share)
    met = "met" if worst.share <= MANY_TARGET else "**missed**"
    return [
        "## Many starts at once",
        "",
        f"`minimize_many` from every start of a grid over [−6, 6]² at once, against `minimize` from {MANY_ALONE} of "
        f"its starts alone (the median), on one thread, at most {MANY_MAX_ITER} iterations each; share: the batch's "
        "time per start over a start alone's.",
        "",
        *_table(
            ["problem", "method", "starts", "batch", "per start", "a start alone", "share", "converged"],
            table,
            "llrrrrrr",
        ),
        "",
        f"- a start in a batch of 40,000 ≤ 1/{1 / MANY_TARGET:.0f} of a start alone: 1/{1 / worst.share:,.0f} at worst "
        f"({worst.problem}, {worst.method}) ({met})",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:N")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--sizes", type=_sizes, help="grid sizes (default 1e3,1e4,1e5,1e6,1e7; on a GPU 1e6,1e7,1e8)")
    parser.add_argument("--memory-sizes", type=_sizes, help="grid sizes for peak memory (default 1e6,1e7,1e8)")
    parser.add_argument(
        "--no-compile", action="store_true", help="leave out torch.compile of the closed form and derivlib's compiled"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round: checks that everything runs")
    parser.add_argument(
        "--startup-only", action="store_true", help="only the command line's start-up against `import torch`"
    )
    parser.add_argument(
        "--two-variables-only",
        action="store_true",
        help="only the two-variable table (f and its Hessian) and its memory",
    )
    parser.add_argument(
        "--optimisation-only",
        action="store_true",
        help="only the optimisation table: derivlib.minimize against scipy and torch.optim.LBFGS on Rosenbrock",
    )
    parser.add_argument(
        "--surface-sides",
        type=_sizes,
        help=f"sides of the two-variable table's square grids (default {SURFACE_SIDE}: that many points squared)",
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results.md"), help="the Markdown file to write")
    parser.add_argument("--probe", nargs=3, help=argparse.SUPPRESS)  # POINTS METHOD DTYPE: one memory measurement
    parser.add_argument("--probe-variables", type=int, default=1, help=argparse.SUPPRESS)  # 2: partials in x, y
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    try:
        device, dtype = resolve_device(args.device), resolve_dtype(args.dtype)
    except ValueError as error:
        print(f"python -m benchmarks.bench: {error}", file=sys.stderr)
        return 2
    if args.probe:
        points, method, dtype_name = args.probe
        text = GROWTH_FORMULA if args.probe_variables == 1 else SURFACE_MEMORY_FORMULA
        found = _probe(text, int(points), ORDER, method, resolve_dtype(dtype_name), device, args.probe_variables)
        print(json.dumps(found))
        return 0

    started = time.perf_counter()
    default_sizes = [10**3, 10**4, 10**5, 10**6, 10**7] if device.type == "cpu" else [10**6, 10**7, 10**8]
    sizes = args.sizes or ([1000] if args.quick else default_sizes)
    memory_sizes = args.memory_sizes or ([10**5] if args.quick else [10**6, 10**7, 10**8])

    def progress(what: str) -> None:
        print(f"… {time.perf_counter() - started:6.1f} s  {what}", file=sys.stderr, flush=True)

    def two_variables() -> dict:
        sides = args.surface_sides or ([20] if args.quick else [SURFACE_SIDE])
        compiled = not (args.quick or args.no_compile)
        surface_rows, surface_compile = surface_speed(sides, device, dtype, args.quick, compiled, progress)
        sizes = [10**5] if args.quick else [10**6, 10**7]  # 10^8 points' six rows would pass the output budget
        surface_memory = memory(sizes, methods, device, dtype, not args.quick, progress, variables=2)
        return {"rows": surface_rows, "compile_seconds": surface_compile, "memory": surface_memory}

    def optimisation() -> str:
        rows = optimisation_speed(1 if args.quick else OPTIMISATION_ROUNDS, progress)
        classic = classic_speed(1 if args.quick else CLASSIC_ROUNDS, progress, compiled=not args.quick)
        many = many_speed(10 if args.quick else MANY_SIDE, progress)
        sections = [*_optimisation_section(rows), "", *_classic_section(classic), "", *_many_section(many)]
        return "\n".join(["", *sections]) + "\n"

    def write(text: str) -> int:
        print(text)
        args.out.write_text(text)
        progress(f"written to {args.out}")
        return 0

    methods = ["taylor"] if args.quick else ["taylor", "autograd"]
    if args.optimisation_only:
        command = " ".join(["python -m benchmarks.bench", *sys.argv[1:]])
        heading = [
            f"# derivlib benchmark ({time.strftime('%Y-%m-%d %H:%M')})",
            "",
            f"`{command}`.",
            "",
            *machine(device),
        ]
        return write("\n".join(heading) + "\n" + optimisation())
    if args.two_variables_only:
        return write(report(device, dtype, [], {}, {}, None, [], None, surface=two_variables()))
    progress("start-up")
    started_up = startup(1, warm_up=False) if args.quick else startup(STARTUP_ROUNDS)
    if args.startup_only:
        return write(report(device, dtype, [], {}, {}, None, [], started_up))
    rows, sympy_seconds, compile_seconds = speed(
        sizes, device, dtype, args.quick, compiled=not (args.quick or args.no_compile), progress=progress
    )
    surface = two_variables()
    progress("cost per order")
    grown = growth(1000 if args.quick else 10**5, 1000 if args.quick else 10**4, device, dtype, args.quick)
    memory_rows = memory(memory_sizes, methods, device, dtype, not args.quick, progress)
    text = report(device, dtype, rows, sympy_seconds, compile_seconds, grown, memory_rows, started_up, surface=surface)
    return write(text + optimisation())


ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

if __name__ == "__main__":
    # numpy's BLAS on one thread too, as torch: on a busy machine its threads wait for each other, and scipy's
    # L-BFGS-B (dot products of a few numbers) took 10x as long. BLAS reads this only at start-up: start again.
    if any(os.environ.get(name) != value for name, value in ONE_THREAD.items()):
        os.execve(sys.executable, [sys.executable, "-m", "benchmarks.bench", *sys.argv[1:]], os.environ | ONE_THREAD)
    sys.exit(main())
