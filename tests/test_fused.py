"""Fused programs (derivlib/fused.py): compiled in the background, used once ready, the same numbers as the eager ones.

One formula is compiled for real (AOTInductor, in the worker process): that takes a while, so the tests share it.
The others exercise what happens around the compiler (a failing or busy worker, a wrong program) with workers that
answer nothing, which costs no compilation.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import parameter_values, trees
from strategies import points as evaluation_points
from torch.testing import assert_close

import derivlib
from derivlib import ExpressionError, compiler, derivatives, fused, grid_table, parse
from derivlib.fused import Compiler, Entry, Fused, disagreement
from derivlib.jet import compile_program
from derivlib.partials import _partials_into, surface_grid
from derivlib.tree import to_text

FORMULA = "a*sqrt(x) + sin(b*x)^3"  # undefined for x < 0, an infinite slope at 0: the eager fix-ups must still apply
PARAMS = {"a": 2.0, "b": 1.5}
CPU = torch.device("cpu")
WAIT_SECONDS = 600  # the compiler on a busy 2-core machine


def state(text: str = FORMULA, order: int = 2, dtype=torch.float64) -> str:
    return fused.state(parse(text), order, dtype, CPU)


@pytest.fixture(scope="module")
def compiled() -> str:
    """FORMULA's program of order 2 in float64, compiled; the state the wait ended in."""
    x = torch.linspace(-1, 2, 3001, dtype=torch.float64)
    fresh = state() == "none"
    first = derivatives(FORMULA, x, params=PARAMS, fuse=True)
    if fresh:  # the first answer is the eager one, and the compiled program is on its way
        assert state() == "waiting"
        assert_close(first, derivatives(FORMULA, x, params=PARAMS), rtol=0, atol=0, equal_nan=True)
    return fused.wait(parse(FORMULA), 2, torch.float64, CPU, timeout=WAIT_SECONDS)


def test_a_formula_asked_for_is_compiled(compiled):
    assert compiled == "ready", compiled


def test_the_compiler_runs_below_the_servers_cpu_priority(compiled):
    worker = fused._compiler.worker  # the worker that compiled FORMULA
    niceness = int(Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()[16])  # field 19: nice
    assert niceness >= os.nice(0) + compiler.NICENESS or niceness == 19  # 19: as low as it goes


@pytest.mark.parametrize("points", [2, 7, 1001, 300_001])
@pytest.mark.parametrize("params", [PARAMS, {"a": -3.0, "b": 0.25}])
def test_the_compiled_program_gives_the_eager_numbers_at_any_size_and_parameter_values(compiled, points, params):
    x = torch.linspace(-1, 2, points, dtype=torch.float64)
    expected = derivatives(FORMULA, x, params=params)
    assert_close(derivatives(FORMULA, x, params=params, fuse=True), expected, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert state() == "ready"


def test_undefined_points_and_infinite_slopes_are_as_in_the_eager_program(compiled):
    x = torch.tensor([-1.0, -1e-300, 0.0, 1e-300, 0.5, 2.0], dtype=torch.float64)
    got = derivatives(FORMULA, x, params=PARAMS, fuse=True)
    assert_close(got, derivatives(FORMULA, x, params=PARAMS), rtol=1e-12, atol=0, equal_nan=True)
    assert got[:, :2].isnan().all()  # sqrt of a negative number: f and every derivative undefined


def test_new_parameter_values_grids_and_chunks_compile_nothing_more(compiled):
    before = fused.compiler().sent
    for a, points, chunk in [(1.0, 10, None), (5.0, 99_999, 1000), (-2.0, 4097, 4096)]:
        x = torch.linspace(0, 3, points, dtype=torch.float64)
        got = derivatives(FORMULA, x, params={"a": a, "b": 2.0}, fuse=True, chunk_size=chunk)
        assert_close(got, derivatives(FORMULA, x, params={"a": a, "b": 2.0}), rtol=1e-12, atol=1e-12)
    assert fused.compiler().sent == before
    assert fused.compiler().entries[fused.key(parse(FORMULA), 2, torch.float64, CPU)].checked  # it ran, and passed


def test_callers_in_several_threads_share_the_compiled_program(compiled):
    """As the page's sessions do: each thread its own parameters and grid sizes, the same program."""
    failures = []

    def work(seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        for _ in range(10):
            a, b = (torch.rand(2, generator=generator) * 3).tolist()
            x = torch.linspace(0, 3, int(torch.randint(2, 50_000, (1,), generator=generator)), dtype=torch.float64)
            got = derivatives(FORMULA, x, params={"a": a, "b": b}, fuse=True)
            if not torch.allclose(got, derivatives(FORMULA, x, params={"a": a, "b": b}), rtol=1e-12, atol=1e-12):
                failures.append((seed, a, b, len(x)))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and state() == "ready"


def test_grid_table_passes_fuse_on(compiled):
    frame = grid_table(FORMULA, 0, 1, 500, params=PARAMS, fuse=True)
    pd.testing.assert_frame_equal(frame, grid_table(FORMULA, 0, 1, 500, params=PARAMS), rtol=1e-12, atol=1e-12)


def test_another_order_or_dtype_is_another_program():
    assert state(order=3) == "none"
    assert state(dtype=torch.float32) == "none"


@pytest.mark.parametrize("text", ["x", "2*x", "x + 1", "sin(x)", "7"])
def test_a_program_of_fewer_than_two_steps_is_never_sent_to_the_compiler(text):
    program = compile_program(parse(text), 2)
    assert fused.lookup(parse(text), program, torch.float64, CPU) is None
    assert state(text) == "none"


# ---------------------------------------------------------------------------------------------------------------------
# Around the compiler: failures, a busy worker, a wrong program

READS_AND_EXITS = [sys.executable, "-c", "import sys; sys.stdin.readline(); sys.exit(3)"]
READS_UNTIL_CLOSED = [sys.executable, "-c", "import sys; sys.stdin.read()"]
PRINTS_NOISE = [sys.executable, "-c", "import sys; print('hello'); print(1); print('{}'); sys.stdin.readline()"]


@pytest.fixture
def worker(request):
    made = Compiler(command=request.param)
    yield made
    made.close()


def key(text: str):
    return fused.key(parse(text), 2, torch.float64, CPU)


@pytest.mark.parametrize("worker", [READS_AND_EXITS], indirect=True)
def test_a_compiler_that_stops_leaves_the_formula_eager_and_says_why(worker):
    worker.entry(key("sin(x)^2"))
    entry = worker.wait(key("sin(x)^2"), timeout=60)
    assert entry.state == "failed"
    assert entry.reason == "the compiler stopped (exit status 3)"


@pytest.mark.parametrize("worker", [PRINTS_NOISE], indirect=True)
def test_lines_that_are_not_replies_are_passed_over(worker):
    worker.entry(key("sin(x)^2"))
    entry = worker.wait(key("sin(x)^2"), timeout=60)
    assert entry.reason == "the compiler stopped (exit status 0)"


@pytest.mark.parametrize("worker", [READS_UNTIL_CLOSED], indirect=True)
def test_a_busy_compiler_takes_no_more_than_max_waiting_requests(worker):
    texts = [f"sin(x)^{n}" for n in range(2, fused.MAX_WAITING + 3)]
    states = [worker.entry(key(text)).state for text in texts]
    assert states == ["waiting"] * fused.MAX_WAITING + ["failed"]
    assert key(texts[-1]) not in worker.entries  # not remembered: asked again once the queue has room


@pytest.mark.parametrize("worker", [READS_UNTIL_CLOSED], indirect=True)
def test_a_request_unanswered_too_long_is_given_up_and_the_worker_restarted(worker, monkeypatch):
    worker.entry(key("sin(x)^2"))
    first = worker.worker
    monkeypatch.setattr(fused, "COMPILE_SECONDS", 0)
    worker.entry(key("cos(x)^2"))
    assert worker.entries[key("sin(x)^2")].state == "failed"
    assert "more than 0 s" in worker.entries[key("sin(x)^2")].reason
    assert worker.worker is not first and worker.entries[key("cos(x)^2")].state == "waiting"


def test_a_compiled_program_that_disagrees_is_retired_and_the_eager_numbers_given():
    def wrong(x, scalars, check, *out):  # stands for a miscompiled program: row k is k everywhere
        for k, row in enumerate(out):
            row.copy_(torch.full_like(x, float(k)))

    expr = parse("exp(x)*sin(x)")
    program = compile_program(expr, 2)
    x = torch.linspace(0, 1, 50, dtype=torch.float64)
    bound = program.bind({}, x)
    entry = Entry(state="ready", runner=wrong)
    out = torch.empty(3, 50, dtype=torch.float64)
    Fused(entry).derivatives(bound, x, out)
    assert_close(out, derivatives(expr, x))
    assert entry.state == "failed" and entry.reason.startswith("it disagreed with the eager program at row 0, point 1:")


def test_a_compiled_program_whose_check_of_finite_points_is_wrong_is_retired():
    expr = parse("exp(x)*sin(x)")
    x = torch.linspace(0, 1, 50, dtype=torch.float64)
    bound = compile_program(expr, 2).bind({}, x)

    def check_wrong(x, scalars, check, *out):  # the right rows, but a NaN claimed at every point
        for row, expected in zip(out, bound.rows(x), strict=True):
            row.copy_(expected)
        check.fill_(float("nan"))

    entry = Entry(state="ready", runner=check_wrong)
    out = torch.empty(3, 50, dtype=torch.float64)
    Fused(entry).derivatives(bound, x, out)
    assert_close(out, derivatives(expr, x))
    assert entry.reason == "it disagreed with the eager program at its check of finite points"


def test_a_compiled_program_that_raises_is_retired():
    def broken(x, scalars, check, *out):
        raise RuntimeError("no such kernel")

    expr = parse("exp(x)*sin(x)")
    x = torch.linspace(0, 1, 50, dtype=torch.float64)
    entry = Entry(state="ready", runner=broken)
    out = torch.empty(3, 50, dtype=torch.float64)
    Fused(entry).derivatives(compile_program(expr, 2).bind({}, x), x, out)
    assert_close(out, derivatives(expr, x))
    assert entry.reason == "it failed to run: RuntimeError: no such kernel"


def test_disagreement_allows_rounding_but_not_a_wrong_value_or_a_lost_nan():
    expected = torch.tensor([[1.0, 2.0, float("nan")], [0.0, 1e-20, 3.0]], dtype=torch.float64)
    assert disagreement(expected * (1 + 1e-14), expected) == ""
    assert disagreement(expected + torch.tensor([[0.0, 0.0, 0.0], [1e-14, 0.0, 0.0]]), expected) == ""
    wrong = expected.clone()
    wrong[1, 2] = 3.1
    assert disagreement(wrong, expected) == "row 1, point 2: 3.1 against 3.0"
    lost = expected.nan_to_num()
    assert disagreement(lost, expected) == "row 0, point 2: 0.0 against nan"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_on_cuda_the_compiled_program_gives_the_cpu_numbers():
    x = torch.linspace(-1, 2, 100_001, dtype=torch.float64)
    derivatives(FORMULA, x, params=PARAMS, device="cuda", fuse=True)
    assert fused.wait(parse(FORMULA), 2, torch.float64, torch.device("cuda", 0), timeout=WAIT_SECONDS) == "ready"
    got = derivatives(FORMULA, x, params=PARAMS, device="cuda", fuse=True).cpu()
    assert_close(got, derivatives(FORMULA, x, params=PARAMS), rtol=1e-12, atol=1e-12, equal_nan=True)


# ---------------------------------------------------------------------------------------------------------------------
# Programs along directions: what minimize(fuse=True) runs at each iterate (f, ∇f and ∇²f as series along a handful
# of directions), compiled once per formula, order and variables, and the same numbers as the eager series

ALONG_FORMULA = "a (1 - x)^2 + b (y - x^2)^2 + sqrt(x + 3) + exp(-x y)/(1 + y^2)"  # undefined for x < -3
ALONG_PARAMS = {"a": 1.0, "b": 10.0}
VARIABLES = ("x", "y")
ALONG_START = {"x": -1.2, "y": 1.0}


def along_expression():
    return parse(ALONG_FORMULA, variables=VARIABLES)


@pytest.fixture(scope="module")
def along() -> list[str]:
    """The ALONG programs of orders 1 and 2, asked for by a first run of Newton's method (which is eager while they
    compile), and compiled; the states the waits ended in."""
    expr = along_expression()
    derivlib.minimize(expr, ALONG_START, method="newton", params=ALONG_PARAMS, fuse=True)
    return [fused.wait(expr, k, torch.float64, CPU, timeout=WAIT_SECONDS, variables=VARIABLES) for k in (1, 2)]


def test_minimize_asks_for_programs_along_directions_and_they_compile(along):
    assert along == ["ready", "ready"]


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("params", [ALONG_PARAMS, {"a": -2.0, "b": 0.5}])
@settings(derandomize=True, deadline=None, max_examples=25)
@given(
    points=st.lists(st.tuples(st.floats(-4, 4), st.floats(-4, 4)), min_size=1, max_size=9),
    seed=st.integers(0, 2**16),
)
def test_the_compiled_series_along_directions_is_the_eager_series(along, order, params, points, seed):
    """At any points (some where f is undefined, x < -3) along any directions, for any parameters' values."""
    expr = along_expression()
    like = torch.zeros((), dtype=torch.float64)
    program = compile_program(expr, order, VARIABLES)
    bound = program.bind({name: torch.tensor(value, dtype=torch.float64) for name, value in params.items()}, like)
    at = torch.tensor(points + points[:1], dtype=torch.float64).T.contiguous()  # at least two columns
    directions = torch.randn(at.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    compiled = fused.lookup(expr, program, torch.float64, CPU, VARIABLES)
    assert compiled is not None
    rows = compiled.along(bound, at, directions)
    expected = torch.stack(fused.along_rows(bound, at, directions))
    assert_close(rows, expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_directions_laid_out_in_columns_are_read_as_directions(along):
    """The seeds minimize() uses (e_x, e_y, e_x + e_y) are a transposed view: the compiled loop must not read it as if
    it were laid out row by row (it gave ∂f/∂x + ∂f/∂y for ∂f/∂x)."""
    expr = along_expression()
    like = torch.zeros((), dtype=torch.float64)
    program = compile_program(expr, 2, VARIABLES)
    bound = program.bind({name: torch.tensor(value, dtype=torch.float64) for name, value in ALONG_PARAMS.items()}, like)
    seeds = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64).T  # not contiguous
    at = torch.tensor([[-1.2], [1.0]], dtype=torch.float64).expand(2, 3)
    compiled = fused.lookup(expr, program, torch.float64, CPU, VARIABLES)
    assert compiled is not None
    expected = torch.stack(fused.along_rows(bound, at.contiguous(), seeds.contiguous()))
    assert_close(compiled.along(bound, at, seeds), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", ["newton", "lbfgs", "cg-pr"])
def test_minimize_with_its_compiled_programs_ends_where_the_eager_run_ends(along, method):
    expr = along_expression()
    compiled = derivlib.minimize(expr, ALONG_START, method=method, params=ALONG_PARAMS, fuse=True)
    eager = derivlib.minimize(expr, ALONG_START, method=method, params=ALONG_PARAMS)
    assert compiled.status == eager.status and compiled.nit == eager.nit and compiled.nfev == eager.nfev
    assert compiled.x == pytest.approx(eager.x, rel=1e-9, abs=1e-12)
    assert compiled.fun == pytest.approx(eager.fun, rel=1e-9, abs=1e-15)
    for order in (1, 2):  # the compiled programs ran, passed their check against the eager ones, and stay in use
        assert fused.state(expr, order, torch.float64, CPU, VARIABLES) == "ready"
        assert fused.compiler().entries[fused.key(expr, order, torch.float64, CPU, VARIABLES)].checked


# ---------------------------------------------------------------------------------------------------------------------
# Programs of every partial derivative: what partials(fuse=True) runs (f, ∇f and H over a two-variable grid in one
# loop), compiled once per formula and order, and the same numbers as the eager passes


@pytest.fixture(scope="module")
def partials_program() -> str:
    """ALONG_FORMULA's PARTIALS program of order 2, asked for by a first call (answered eagerly) and compiled."""
    expr = along_expression()
    x, y = surface_grid((-4, 4, 30), (-4, 4, 30))
    first = derivlib.partials(expr, {"x": x, "y": y}, params=ALONG_PARAMS, fuse=True)
    eager = derivlib.partials(expr, {"x": x, "y": y}, params=ALONG_PARAMS)
    for name, row in eager.items():
        assert_close(first[name], row, rtol=0, atol=0, equal_nan=True)
    return fused.wait(expr, 2, torch.float64, CPU, timeout=WAIT_SECONDS, variables=VARIABLES, kind=fused.PARTIALS)


def test_partials_asks_for_its_program_and_it_compiles(partials_program):
    assert partials_program == "ready"


@pytest.mark.parametrize("params", [ALONG_PARAMS, {"a": -2.0, "b": 0.5}])
@pytest.mark.parametrize("side", [2, 9, 501])
def test_the_compiled_partials_are_the_eager_partials(partials_program, params, side):
    """At any grid size, for any parameters' values, where f is undefined (x < -3) and where it is not."""
    expr = along_expression()
    x, y = surface_grid((-4, 4, side), (-4, 4, side))
    got = derivlib.partials(expr, {"x": x, "y": y}, params=params, fuse=True)
    expected = derivlib.partials(expr, {"x": x, "y": y}, params=params)
    assert list(got) == list(expected)
    for name, row in expected.items():
        assert_close(got[name], row, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert fused.compiler().entries[fused.key(expr, 2, torch.float64, CPU, VARIABLES, fused.PARTIALS)].checked


def test_surface_table_passes_fuse_on(partials_program):
    expr = along_expression()
    frame = derivlib.surface_table(expr, (-4, 4, 40), (-4, 4, 40), params=ALONG_PARAMS, fuse=True)
    eager = derivlib.surface_table(expr, (-4, 4, 40), (-4, 4, 40), params=ALONG_PARAMS)
    pd.testing.assert_frame_equal(frame, eager, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# Every kind of program on random formulas of the whole language: the graph the compiler is given (as exported,
# before AOTInductor, which is checked against the eager program on first use anyway) computes the eager numbers


def _eager_and_exported(kind: str, tree, params: dict[str, float], columns: torch.Tensor):
    """What the eager program gives at the points (one row of `columns` per variable) and what the exported graph of
    this kind gives, for the formula `tree` in x (GRID) or x and y (the others)."""
    variables = ("x",) if kind == fused.GRID else VARIABLES
    text = to_text(tree)
    expr = parse(text, variables=variables)
    values = {name: torch.tensor(params[name], dtype=torch.float64) for name in expr.parameters}
    like = torch.zeros((), dtype=torch.float64)
    program = compile_program(expr, 2, None if kind == fused.GRID else variables)
    bound = program.bind(values, like=like)
    module = compiler.export(text, () if kind == fused.GRID else variables, 2, torch.float64, CPU, kind).module()
    scalars = fused.program_scalars(bound)
    count = columns.shape[1]
    check = torch.empty(count, dtype=torch.float32)
    if kind == fused.GRID:
        out = torch.empty((3, count), dtype=torch.float64)
        module(columns[0], scalars, check, *out)
        return torch.stack(bound.rows(columns[0])), out, check
    if kind == fused.ALONG:
        directions = torch.flip(columns, (1,)) - 0.5
        (got,) = module(columns, directions, scalars)
        return torch.stack(fused.along_rows(bound, columns, directions)), got, None
    names = derivlib.partial_names(VARIABLES, 2)
    out = torch.empty((len(names), count), dtype=torch.float64)
    module(scalars, check, *columns, *out)
    expected = torch.empty_like(out)
    _partials_into(bound, 2, 2, list(columns), expected)
    return expected, out, check


@pytest.mark.parametrize("kind", [fused.GRID, fused.ALONG, fused.PARTIALS])
@settings(derandomize=True, deadline=None, max_examples=15)
@given(data=st.data())
def test_every_kind_of_program_is_the_eager_program_on_random_formulas(kind, data):
    variables = ("x",) if kind == fused.GRID else VARIABLES
    tree = data.draw(trees(max_leaves=5, parameters=True, variables=variables))
    params = data.draw(parameter_values())
    at = data.draw(st.lists(st.tuples(evaluation_points(), evaluation_points()), min_size=2, max_size=12))
    columns = torch.tensor(at, dtype=torch.float64).T.contiguous()[: len(variables)].contiguous()
    try:
        expected, got, check = _eager_and_exported(kind, tree, params, columns)
    except ExpressionError:  # a tree the parser refuses as text (too deep a tower): nothing to compile
        return
    assert_close(got, expected, rtol=1e-13, atol=0, equal_nan=True)
    if check is not None:  # the check row says which points have a NaN or ±inf in any row
        assert torch.equal(torch.isfinite(check), torch.isfinite(got).all(dim=0))


def test_minimize_refuses_a_fuse_that_is_not_true_or_false():
    with pytest.raises(ValueError, match="fuse must be True or False"):
        derivlib.minimize("x^2", {"x": 1.0}, fuse="yes")
