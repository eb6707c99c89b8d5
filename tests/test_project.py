"""The project's own rules, checked: lint and format clean, the library free of the UI and of evaluators."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = sorted((ROOT / "derivlib").rglob("*.py"))  # the subpackages (figures) too


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff_is_clean(command):
    result = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_type_checker_finds_nothing_in_the_package_and_the_pages():
    """mypy over derivlib and the dashboard (streamlit_app.py, views/, page_kit.py), as pyproject.toml's [tool.mypy]
    configures it."""
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "Success: no issues found" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_streamlit(path):
    assert not re.search(r"^\s*(import|from)\s+streamlit", path.read_text(), re.MULTILINE)


@pytest.mark.parametrize("path", [*LIBRARY, ROOT / "streamlit_app.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_source_calls_an_evaluator(path):
    """User text must never reach eval, exec, compile, sympify, parse_expr, numexpr or pandas.eval."""
    if not path.exists():
        pytest.skip(f"{path.name} does not exist yet")
    code = "\n".join(line.split("#")[0] for line in path.read_text().splitlines())
    pattern = r"(?<![\w.])(eval|exec|compile)\(|sympify\(|parse_expr\(|numexpr|\.eval\("
    assert not re.search(pattern, code)


def test_importing_derivlib_does_not_load_streamlit():
    code = "import sys, derivlib, derivlib.cli; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


# What `python -m derivlib` would load at start-up and need not: each costs seconds or half a second beside torch's
# own import (the start-up row of `python -m benchmarks.bench` measures the whole).
SLOW_IMPORTS = {
    "torch._inductor": "loaded by fused.py only when a compiled program is first asked for (fuse=True)",
    "pandas": "loaded when a DataFrame is first made; the command line writes its table without one",
    "sympy": "loaded by the symbolic cross-check and the lab on first use",
}


@pytest.mark.parametrize("module", SLOW_IMPORTS)
def test_importing_derivlib_and_running_the_command_line_do_not_load(module):
    code = (
        "import contextlib, io, sys, derivlib\n"
        f"print({module!r} in sys.modules)\n"
        "from derivlib.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['x^3 + sin(x)', '--at', '1,pi,5']) == 0\n"
        f"print({module!r} in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], f"{module}: {SLOW_IMPORTS[module]}\n{result.stderr}"


# ---------------------------------------------------------------------------------------------------------------------
# The image (docker itself is not available here: these check the Dockerfile's essentials as text)


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_the_image_installs_the_pinned_requirements_on_a_python_slim_base():
    steps = dockerfile()
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.1[1-9]-slim", steps[0][1])
    assert ("COPY", "requirements.txt .") in steps
    assert any(kind == "RUN" and "pip install -r requirements.txt" in args for kind, args in steps)
    assert "torch==" in (ROOT / "requirements.txt").read_text()  # the CPU build, not an unpinned CUDA one


def test_the_image_runs_the_app_as_an_unprivileged_user():
    steps = dockerfile()
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    last_run = max(i for i, (kind, _) in enumerate(steps) if kind == "RUN")
    assert max(i for i, (kind, _) in enumerate(steps) if kind == "USER") > last_run  # nothing runs as root after


def test_the_image_serves_streamlit_on_its_port_with_a_health_check():
    steps = dict(dockerfile())  # one of each of these
    assert steps["EXPOSE"] == "8501"
    assert "http://localhost:8501/_stcore/health" in steps["HEALTHCHECK"] and "urllib" in steps["HEALTHCHECK"]
    assert "curl" not in steps["HEALTHCHECK"]  # the slim image has none
    command = json.loads(steps["CMD"])
    assert command[:3] == ["streamlit", "run", "streamlit_app.py"]
    assert command[3:5] == ["--server.port", "8501"] and "0.0.0.0" in command


def test_the_image_leaves_out_history_caches_and_secrets():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".hypothesis", ".streamlit/secrets.toml"} <= ignored
    assert ".streamlit" not in ignored  # config.toml: no tracebacks on the page, upload and message limits


def test_no_module_of_the_package_imports_another_ones_private_name():
    """A name two modules share is public, or it moves: `from .tree import _name` hides a dependency."""
    private = []
    for path in LIBRARY:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("derivlib")):
                private += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert not private
