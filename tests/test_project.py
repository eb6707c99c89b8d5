"""The project's own rules, checked: lint and format clean, the library free of the UI and of evaluators."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = sorted((ROOT / "derivlib").glob("*.py"))


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff_is_clean(command):
    result = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_the_library_never_imports_streamlit(path):
    assert not re.search(r"^\s*(import|from)\s+streamlit", path.read_text(), re.MULTILINE)


@pytest.mark.parametrize("path", [*LIBRARY, ROOT / "streamlit_app.py"], ids=lambda p: p.name)
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
