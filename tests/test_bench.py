"""The benchmark's entry point runs end to end on tiny sizes and writes its Markdown tables."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

import derivlib
from benchmarks import bench
from derivlib.partials import surface_grid


@pytest.fixture(autouse=True)
def _threads():
    """The benchmark pins torch to one thread, as a command should; the tests after this one get theirs back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_the_quick_benchmark_prints_and_writes_its_tables(tmp_path, capsys):
    out = tmp_path / "results.md"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert text in capsys.readouterr().out
    for heading in ("## Targets", "## Speed", "## Cost per order", "## Peak memory", "## Start-up"):
        assert heading in text
    assert "| command line's start-up ≤ 1.2× `import torch` |" in text.split("## Speed")[0]
    startup = text.split("## Start-up")[1]
    assert all(f"| `{command}` |" in startup for command in bench.STARTUP_COMMANDS)
    for formula in bench.FORMULAS:
        assert f"| {formula.name} | 1,000 |" in text
    speed = text.split("## Speed")[1].split("\n## ")[0]
    (header,) = [line for line in speed.splitlines() if line.startswith("| formula |")]
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    assert {"derivlib", "grid_table", "closed form", "per-point loop", "vmap(grad(grad))", "jvp(jvp)"} <= set(columns)
    assert {"sympy + numpy", "finite differences", "error", "FD error"} <= set(columns)
    assert "torch threads: 1" in text
    assert "| taylor | 100,000 |" in text.split("## Peak memory")[1]
    two = text.split("## Two variables")[1].split("\n## ")[0]
    for surface in bench.SURFACES:
        assert f"| {surface.name} | 20 × 20 |" in two
    (header,) = [line for line in two.splitlines() if line.startswith("| formula |")]
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    assert {"derivlib", "derivlib, autograd", "closed form", "vmap(hessian)", "per-point loop"} <= set(columns)
    assert "| taylor | 100,000 |" in text.split("## Peak memory, two variables")[1]


def test_a_device_that_does_not_exist_is_refused(capsys):
    assert bench.main(["--device", "tpu", "--quick"]) == 2
    assert "unknown device 'tpu'" in capsys.readouterr().err


def test_the_closed_forms_are_the_derivatives_derivlib_computes():
    """The baselines compute the same numbers: otherwise the timings would compare different work."""
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    for formula in bench.FORMULAS:
        expected = derivlib.derivatives(formula.text, x, order=2)
        for k, row in enumerate(formula.closed(x)):
            assert_close(row, expected[k], rtol=1e-12, atol=1e-12, msg=f"order {k} of {formula.name}")
        for k, row in enumerate(bench._jvp_jvp(formula)(x)):
            assert_close(row, expected[k], rtol=1e-12, atol=1e-12, msg=f"jvp(jvp), order {k} of {formula.name}")


def test_sizes_are_read_in_any_notation():
    assert bench._sizes("1e3, 10000,1e6") == [1000, 10000, 1000000]


def test_the_startup_target_is_the_median_of_the_ratios_in_each_round():
    """Whole processes, interleaved: each round's ratio cancels the machine's slow moments, and its median is met or
    missed against STARTUP_TARGET."""
    torch_import, command_line = bench.STARTUP_COMMANDS
    times = {torch_import: [2.0, 4.0, 2.0], command_line: [2.2, 4.2, 2.4]}  # ratios 1.1, 1.05, 1.2
    assert bench.startup_ratio(times) == pytest.approx(1.1)
    (row,) = [line for line in bench._targets_section([], {"points": 0}, [], None, None, times) if "start-up" in line]
    assert "| 1.10× (2.40 s against 2.00 s) |" in row  # the medians of each command's runs
    assert row.endswith("| met |")
    times[command_line] = [2.6, 5.0, 2.6]
    (row,) = [line for line in bench._targets_section([], {"points": 0}, [], None, None, times) if "start-up" in line]
    assert row.endswith("| **missed** |")


def test_the_two_variable_closed_forms_and_torch_func_forms_are_the_partials_derivlib_computes():
    """f, fx, fy, fxx, fxy, fyy from every baseline, against derivlib in both methods, on an uneven grid."""
    x, y = surface_grid((-3, 3, 17), (-3, 3, 13))
    points = {"x": x, "y": y}
    for surface in bench.SURFACES:
        expected = list(derivlib.partials(surface.text, points, method="autograd").values())
        taylor = list(derivlib.partials(surface.text, points).values())
        baselines = {
            "closed form": surface.closed(x, y),
            "vmap(hessian)": bench._vmap_hessian(surface)(x, y),
            "vmap(jacfwd(grad))": bench._vmap_jacfwd_grad(surface)(x, y),
            "taylor": taylor,
            "per-point loop": torch.tensor(bench._surface_per_point_loop(surface)(x, y), dtype=torch.float64).T,
        }
        for name, rows in baselines.items():
            for k, row in enumerate(rows):
                assert_close(row, expected[k], rtol=1e-12, atol=1e-12, msg=f"{name}, row {k} of {surface.name}")


def test_the_two_variable_benchmark_alone_writes_its_table_and_memory(tmp_path, capsys):
    out = tmp_path / "results.md"
    assert bench.main(["--two-variables-only", "--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "## Two variables" in text and "## Peak memory, two variables" in text
    assert "## Speed" not in text and "## Start-up" not in text  # nothing of one variable
    assert "The targets set at 10⁴ … 10⁸ points were not measured in this run." in text


def test_the_two_variable_targets_are_medians_of_ratios_at_500_squared():
    """derivlib over the eager closed form and over the faster torch.func form, worst over the formulas; memory at
    10⁷ points beyond x, y and the six rows of the result."""

    def row(formula: str, closed: float, hessian: float, jacfwd: float, side: int = bench.SURFACE_SIDE, compiled=()):
        over = {"closed form": closed, "vmap(hessian)": hessian, "vmap(jacfwd(grad))": jacfwd}
        compiled_over = {"closed form": compiled[0]} if compiled else {}
        return bench.SurfaceRow(formula, side, {}, {}, set(), {}, over, compiled_over)

    rows = [row("A", 1.2, 0.2, 0.5), row("B", 1.4, 0.3, 0.4), row("C", 9.0, 9.0, 9.0, side=20)]  # C: another size
    memory = [{"method": "taylor", "points": 10**7, "arrays": 6 + 1.25, "exact": True}]
    targets = bench._targets_section([], {"points": 0}, [], None, None, None, rows, memory)
    assert "| two variables: f + Hessian ≤ 1.5× the eager closed form, 500² points | 1.40× (B) | met |" in targets
    assert "| two variables: ahead of vmap(hessian), 500² points | 0.50× vmap(jacfwd(grad)) (A) | met |" in targets
    assert "| two variables: memory at 10⁷ ≤ 4 arrays beyond x, y and the result | 1.25 | met |" in targets
    rows[1] = row("B", 1.6, 1.1, 0.4)
    targets = bench._targets_section([], {"points": 0}, [], None, None, None, rows, memory)
    assert "| 1.60× (B) | **missed** |" in "\n".join(targets)
    assert "| 1.10× vmap(hessian) (B) | **missed** |" in "\n".join(targets)
    assert "compiled" not in "\n".join(targets)  # no compiled program in this run: no such target

    compiled = [row("A", 2.0, 1.1, 1.1, compiled=(0.4,)), row("B", 3.0, 1.1, 1.1, compiled=(1.2,))]
    targets = bench._targets_section([], {"points": 0}, [], None, None, None, compiled, memory)
    line = "| two variables, compiled: f + Hessian ≤ 1.5× the eager closed form, 500² points | 1.20× (B) | met |"
    assert line in targets


def test_the_optimisation_table_is_produced(tmp_path, capsys):
    out = tmp_path / "optimisation.md"
    assert bench.main(["--optimisation-only", "--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert text in capsys.readouterr().out
    section = text.split("## Optimisation")[1]
    for problem in bench.PROBLEMS:
        for method in ("derivlib lbfgs", "derivlib newton", "scipy L-BFGS-B", "scipy BFGS", "scipy Newton-CG"):
            assert f"| {problem.name} | {method} |" in section
        assert f"| {problem.name} | torch.optim.LBFGS |" in section
    assert "× L-BFGS-B" in section and "× Newton-CG" in section
    assert section.count("), time per iteration") == 2 * len(bench.PROBLEMS)  # a target line per derivlib method
    classic = text.split("## Optimisation, time per iteration on classic problems")[1]
    for problem in bench.CLASSIC:
        for method in bench.CLASSIC_METHODS:
            assert f"| {problem.name} | {len(problem.start)} | {len(problem.text):,} | {method} |" in classic
    # the eager medians alone: the quick run compiles nothing
    assert classic.count("× scipy BFGS per iteration (") == len(bench.CLASSIC_TARGETS)
    many = text.split("## Many starts at once")[1]
    for problem in bench.MANY_PROBLEMS:
        for method in bench.MANY_METHODS:
            assert f"| {problem.name} | {method} | 100 |" in many  # the quick run's 10 × 10 starts
    assert "- a start in a batch of 40,000 ≤ 1/100 of a start alone: 1/" in many


def test_the_numpy_objective_scipy_is_given_is_the_formula_and_its_exact_gradient():
    """The reference must be right for the ratio to mean anything: f and ∇f against derivlib's at the start."""
    for problem in bench.CLASSIC:
        objective, x0 = bench._numpy_objective(problem)
        value, gradient = objective(x0)
        names = tuple(problem.start)
        expression = bench.problem_expression(problem)
        found = derivlib.partials(expression, {name: [v] for name, v in problem.start.items()}, order=1)
        assert value == pytest.approx(float(found["f"][0]), rel=1e-12)
        assert gradient == pytest.approx([float(found[f"f{name}"][0]) for name in names], rel=1e-9, abs=1e-9)


def test_the_hand_written_rosenbrock_is_the_formula_derivlib_is_given():
    """scipy's f, ∇f and Hessian in the benchmark, against derivlib's partials of the typed formula and against
    scipy's own rosen, rosen_der and rosen_hess: otherwise the timings would compare different problems."""
    import numpy as np
    import scipy.optimize

    problem = bench.PROBLEMS[1]
    names = list(problem.start)
    point = np.random.default_rng(3).normal(size=len(names))
    found = derivlib.partials(problem.text, {name: [float(v)] for name, v in zip(names, point, strict=True)})
    assert bench.rosenbrock(point) == pytest.approx(float(found["f"][0]), rel=1e-13)
    np.testing.assert_allclose(bench.rosenbrock(point), scipy.optimize.rosen(point), rtol=1e-13)
    np.testing.assert_allclose(bench.rosenbrock_gradient(point), scipy.optimize.rosen_der(point), rtol=1e-13)
    np.testing.assert_allclose(bench.rosenbrock_hessian(point), scipy.optimize.rosen_hess(point), rtol=1e-13)
    gradient = [float(found[f"f{name}"][0]) for name in names]
    np.testing.assert_allclose(bench.rosenbrock_gradient(point), gradient, rtol=1e-12)
    second = derivlib.partials(problem.text, {name: [float(v)] for name, v in zip(names, point, strict=True)}, order=2)
    assert float(second["fuu"][0]) == pytest.approx(bench.rosenbrock_hessian(point)[0, 0], rel=1e-12)
    assert float(second["fuv"][0]) == pytest.approx(bench.rosenbrock_hessian(point)[0, 1], rel=1e-12)
