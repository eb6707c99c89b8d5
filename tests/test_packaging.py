"""derivlib as a package people install: every third-party module it imports is declared in pyproject.toml, in
ranges that requirements.txt's exact pins satisfy, and the wheel built from it installs and runs outside the
repository (`python -m derivlib`, `import derivlib`)."""

from __future__ import annotations

import ast
import importlib.metadata
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def imported_modules(folder: Path) -> set[str]:
    """The top-level names of every absolute import in the package's source, wherever it is (lazy ones too)."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def third_party(modules: set[str]) -> dict[str, str]:
    """Each module that is neither the standard library's nor derivlib's, with the distribution that provides it."""
    providers = importlib.metadata.packages_distributions()
    outside = sorted(modules - set(sys.stdlib_module_names) - {"derivlib", "__future__"})
    return {module: canonicalize_name(providers[module][0]) for module in outside}


def declared(requirements: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, requirements)}


def pins(path: Path) -> dict[str, str]:
    """requirements.txt's exact pins (name -> version), following -r."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            found |= pins(path.parent / line[3:].strip())
        elif "==" in line:
            name, version = line.split("==")
            found[canonicalize_name(name)] = version.strip()
    return found


def test_every_third_party_module_the_package_imports_is_declared():
    modules = third_party(imported_modules(ROOT / "derivlib"))
    assert set(modules.values()) == {"torch", "numpy", "pandas", "pyarrow", "sympy", "scipy", "plotly"}, modules
    missing = sorted(set(modules.values()) - set(declared(PROJECT["dependencies"])))
    assert not missing, f"imported by derivlib, not in pyproject.toml's dependencies: {missing}"
    assert "streamlit" not in modules  # the library never imports the app's framework


@pytest.mark.parametrize("extra", [None, "app", "dev"])
def test_the_pins_of_the_requirements_files_satisfy_the_declared_ranges(extra):
    wanted = PROJECT["dependencies"] if extra is None else PROJECT["optional-dependencies"][extra]
    pinned = pins(ROOT / "requirements-dev.txt")
    for name, requirement in declared(wanted).items():
        assert name in pinned, f"{name} is declared but not pinned in requirements*.txt"
        assert requirement.specifier.contains(pinned[name]), (name, str(requirement.specifier), pinned[name])


def test_the_wheel_installs_and_runs_outside_the_repository(tmp_path):
    """Built from a copy of the sources (the build's leftovers stay out of the working tree), installed into a virtual
    environment that sees this interpreter's packages (no network: the dependencies are those already pinned), run
    from elsewhere."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "derivlib", source / "derivlib", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(wheels)]
    subprocess.run([*build, "-q"], check=True, capture_output=True, timeout=300)
    (wheel,) = wheels.glob("derivlib-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        requires = [
            line.split(": ", 1)[1]
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist: ") and "extra ==" not in line
        ]
        packed = {name for name in archive.namelist() if name.endswith(".py")}
    assert declared(requires).keys() == declared(PROJECT["dependencies"]).keys()
    sources = {str(path.relative_to(source)) for path in (source / "derivlib").rglob("*.py")}
    assert packed == sources  # every module, the subpackages' (figures) too

    environment = tmp_path / "env"
    venv.create(environment, system_site_packages=True, with_pip=True)
    python = str(environment / "bin" / "python")
    install = [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [python, "-c", "import derivlib, derivlib.figures.one_variable; print(derivlib.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert where.returncode == 0 and str(environment) in where.stdout, where
    run = subprocess.run(
        [python, "-m", "derivlib", "x^3 + sin(x)", "--at", "1", "pi", "5", "--order", "1"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert [round(float(line.split(",")[2]), 4) for line in run.stdout.splitlines()[1:]] == [3.5403, 28.6088, 75.2837]
    script = environment / "bin" / "derivlib"  # the console script of [project.scripts]
    assert (
        subprocess.run(
            [str(script), "x^2", "--at", "3", "--order", "1"],
            cwd=elsewhere,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout.splitlines()[1]
        == "3,9,6"
    )
