"""The benchmark's entry point runs end to end on tiny sizes and writes its Markdown tables."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

import derivlib
from derivlib import bench


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
    for heading in ("## Targets", "## Speed", "## Cost per order", "## Peak memory"):
        assert heading in text
    for formula in bench.FORMULAS:
        assert f"| {formula.name} | 1,000 |" in text
    (header,) = [line for line in text.splitlines() if line.startswith("| formula |")]
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    assert {"derivlib", "grid_table", "closed form", "per-point loop", "vmap(grad(grad))", "jvp(jvp)"} <= set(columns)
    assert {"sympy + numpy", "finite differences", "error", "FD error"} <= set(columns)
    assert "torch threads: 1" in text
    assert "| taylor | 100,000 |" in text.split("## Peak memory")[1]


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
