"""conda/ in step with pyproject.toml: the same packages, with bounds inside pyproject's.

pyproject.toml is read when the tests run, so a dependency added to it, dropped from
it or bounded differently fails here until the conda environments and the recipe
follow; and a conda package that pyproject.toml does not know fails unless this file
says why it is there (PyPy itself, the CUDA toolkit, the C compiler).

Bounds are compared as intervals: each conda spec must allow only versions that
pyproject.toml allows (equal bounds, or narrower). Both sides may use ``>=``, ``>``,
``<``, ``<=`` and ``==``; anything else is reported, so that no bound goes unchecked.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev extra installs tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
CONDA = REPO / "conda"
RECIPE = CONDA / "recipe" / "recipe.yaml"

#: PyPI name -> conda-forge name, where they differ in every file.
CONDA_FORGE_NAMES: dict[str, str] = {
    "matplotlib": "matplotlib-base",  # matplotlib without a GUI toolkit
    "cupy-cuda12x": "cupy",  # conda-forge has one cupy; cuda-version picks CUDA 12
    "nvidia-cuda-nvrtc": "cuda-nvrtc",  # NVIDIA's wheel of NVRTC; conda-forge's package
}

WHY_PIP = "installs accel itself from this checkout (the pip: section)"
WHY_C_COMPILER = "c_native compiles C kernels at run time; conda-forge's c-compiler sets $CC"
WHY_VALGRIND = "simulated cache counters where the CPU cannot count (valgrind's cache simulator)"
WHY_CUDA_VERSION = "keeps every CUDA package on CUDA 12, as cupy-cuda12x does on PyPI"
WHY_NVCC = "the CUDA compiler and NVRTC that numba-cuda documents for conda environments"


@dataclass(frozen=True)
class CondaFile:
    """What one conda file must hold of pyproject.toml, and what else it may hold."""

    path: Path
    #: pyproject groups it provides: "dependencies" ([project]) and extras by name.
    groups: tuple[str, ...]
    #: When set, only these names of those groups.
    only: tuple[str, ...] = ()
    #: PyPI name -> conda name for this file (on top of CONDA_FORGE_NAMES).
    renames: Mapping[str, str] = field(default_factory=dict)
    #: conda packages pyproject.toml does not name, each with the reason it is here.
    reasons: Mapping[str, str] = field(default_factory=dict)
    #: Whether its `python` runs accel (and so must sit within requires-python).
    runs_accel: bool = True


ENVIRONMENTS = (
    CondaFile(
        CONDA / "environment.yml",
        groups=("dependencies", "torch", "plot", "fleet", "dev"),
        renames={"torch": "pytorch-cpu"},
        reasons={"pip": WHY_PIP, "c-compiler": WHY_C_COMPILER, "valgrind": WHY_VALGRIND},
    ),
    CondaFile(
        CONDA / "environment-cuda.yml",
        groups=("dependencies", "torch", "cuda", "plot", "fleet", "dev"),
        renames={"torch": "pytorch-gpu"},
        reasons={
            "pip": WHY_PIP,
            "c-compiler": WHY_C_COMPILER,
            "valgrind": WHY_VALGRIND,
            "cuda-version": WHY_CUDA_VERSION,
            "cuda-nvcc": WHY_NVCC,
        },
    ),
    CondaFile(
        CONDA / "environment-pypy.yml",
        groups=("dependencies",),
        only=("numpy",),
        reasons={
            "pypy": "selects conda-forge's PyPy build of python, for the pypy backend",
            "python": "PyPy 3.9 for the pypy backend's server, not the interpreter of accel",
        },
        runs_accel=False,
    ),
)
RECIPE_RUN = CondaFile(RECIPE, groups=("dependencies",))


# ---------------------------------------------------------------- reading the files


def read_pyproject() -> dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def read_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def conda_specs(environment: dict[str, Any]) -> list[str]:
    """The conda specs of an environment file (its pip: section left aside)."""
    return [entry for entry in environment["dependencies"] if isinstance(entry, str)]


def pip_section(environment: dict[str, Any]) -> list[Any]:
    """Every non-string entry of dependencies: only {"pip": [...]} is expected."""
    return [entry for entry in environment["dependencies"] if not isinstance(entry, str)]


def render_recipe_text(text: str, context: Mapping[str, Any]) -> str:
    """``${{ name }}`` replaced by the recipe's context value; build-time ones (PYTHON) kept."""
    return re.sub(
        r"\$\{\{\s*(\w+)\s*\}\}", lambda match: str(context.get(match[1], match[0])), text
    )


# ---------------------------------------------------------------- bounds as intervals


@dataclass(frozen=True)
class Bound:
    version: Version
    inclusive: bool


@dataclass(frozen=True)
class Interval:
    """The versions a specifier set allows; None on a side means unbounded there."""

    lower: Bound | None
    upper: Bound | None


class UnsupportedBound(ValueError):
    """A specifier this check does not compare (``~=``, ``!=``, wildcards, ``===``)."""


def _tighter_lower(a: Bound | None, b: Bound) -> Bound:
    if a is None or b.version > a.version:
        return b
    if b.version == a.version and not b.inclusive:
        return b
    return a


def _tighter_upper(a: Bound | None, b: Bound) -> Bound:
    if a is None or b.version < a.version:
        return b
    if b.version == a.version and not b.inclusive:
        return b
    return a


def interval(specifiers: str) -> Interval:
    """``">=1.24,<3"`` -> [1.24, 3); raises UnsupportedBound for what it cannot compare."""
    try:
        parsed = SpecifierSet(specifiers)
    except InvalidSpecifier:
        raise UnsupportedBound(f"{specifiers!r} is not a version range") from None
    lower: Bound | None = None
    upper: Bound | None = None
    for specifier in parsed:
        operator, text = specifier.operator, specifier.version
        if operator in (">=", ">"):
            lower = _tighter_lower(lower, Bound(Version(text), operator == ">="))
        elif operator in ("<=", "<"):
            upper = _tighter_upper(upper, Bound(Version(text), operator == "<="))
        elif operator == "==" and "*" not in text:
            lower = _tighter_lower(lower, Bound(Version(text), True))
            upper = _tighter_upper(upper, Bound(Version(text), True))
        else:
            raise UnsupportedBound(f"{operator}{text}: write bounds with >=, >, <, <= or ==")
    return Interval(lower, upper)


def within(inner: Interval, outer: Interval) -> bool:
    """Whether every version ``inner`` allows is one that ``outer`` allows."""
    if outer.lower is not None:
        if inner.lower is None or inner.lower.version < outer.lower.version:
            return False
        if inner.lower.version == outer.lower.version and (
            inner.lower.inclusive and not outer.lower.inclusive
        ):
            return False
    if outer.upper is not None:
        if inner.upper is None or inner.upper.version > outer.upper.version:
            return False
        if inner.upper.version == outer.upper.version and (
            inner.upper.inclusive and not outer.upper.inclusive
        ):
            return False
    return True


# ---------------------------------------------------------------- the drift check

_MATCH_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<version>[^\s]*)$")


def wanted_from_pyproject(
    pyproject: dict[str, Any], conda_file: CondaFile
) -> dict[str, tuple[str, str]]:
    """conda name -> (pyproject's requirement, its bounds), for all the file must hold."""
    project = pyproject["project"]
    wanted: dict[str, tuple[str, str]] = {}
    for group in conda_file.groups:
        if group == "dependencies":
            lines = project.get("dependencies", [])
        else:
            lines = project.get("optional-dependencies", {}).get(group, [])
        for line in lines:
            requirement = Requirement(line)
            pypi_name = canonicalize_name(requirement.name)
            if conda_file.only and pypi_name not in conda_file.only:
                continue
            conda_name = conda_file.renames.get(
                pypi_name, CONDA_FORGE_NAMES.get(pypi_name, pypi_name)
            )
            bounds = str(requirement.specifier)
            wanted[conda_name] = (f"{requirement.name}{bounds}", bounds)
    if conda_file.runs_accel:
        bounds = project["requires-python"]
        wanted["python"] = (f"python{bounds}", bounds)
    return wanted


def drift(pyproject: dict[str, Any], conda_file: CondaFile, specs: list[str]) -> list[str]:
    """Every way ``specs`` (one conda file's) disagree with pyproject.toml; empty if none."""
    wanted = wanted_from_pyproject(pyproject, conda_file)
    problems: list[str] = []
    found: dict[str, str] = {}
    for spec in specs:
        match = _MATCH_SPEC.match(spec.strip())
        if match is None:
            problems.append(f"{spec!r}: write conda specs as 'name' or 'name <bounds>'")
            continue
        name = match["name"].lower()
        if name in found:
            problems.append(f"{name}: listed twice")
        found[name] = match["version"]
    for name, (requirement, bounds) in wanted.items():
        if name not in found:
            problems.append(f"{name}: missing (pyproject.toml has {requirement})")
            continue
        try:
            inside = within(interval(found[name]), interval(bounds))
        except UnsupportedBound as exc:
            problems.append(f"{name}: {exc}")
            continue
        if not inside:
            shown = found[name] or "(no bounds)"
            problems.append(f"{name} {shown} allows versions that {requirement} does not")
    for name in found:
        if name not in wanted and name not in conda_file.reasons:
            problems.append(f"{name}: unknown to pyproject.toml and no reason given for it")
    return problems


# ---------------------------------------------------------------- the files as they are


@pytest.mark.parametrize("conda_file", ENVIRONMENTS, ids=lambda f: f.path.name)
def test_environment_is_in_step_with_pyproject(conda_file: CondaFile) -> None:
    specs = conda_specs(read_yaml(conda_file.path))
    assert drift(read_pyproject(), conda_file, specs) == []


def test_recipe_run_requirements_are_pyprojects_dependencies() -> None:
    recipe = read_yaml(RECIPE)
    assert drift(read_pyproject(), RECIPE_RUN, recipe["requirements"]["run"]) == []


def test_recipe_host_requirements_are_the_build_system() -> None:
    """Host holds [build-system].requires with its bounds, the python accel needs, and pip."""
    pyproject = read_pyproject()
    as_project = {
        "project": {
            "dependencies": pyproject["build-system"]["requires"],
            "requires-python": pyproject["project"]["requires-python"],
        }
    }
    host = CondaFile(RECIPE, groups=("dependencies",), reasons={"pip": WHY_PIP})
    assert drift(as_project, host, read_yaml(RECIPE)["requirements"]["host"]) == []


def test_recipe_builds_this_version_with_its_console_script() -> None:
    pyproject = read_pyproject()
    text = RECIPE.read_text()
    recipe = yaml.safe_load(render_recipe_text(text, yaml.safe_load(text)["context"]))
    assert recipe["package"]["name"] == pyproject["project"]["name"]
    assert recipe["package"]["version"] == pyproject["project"]["version"]
    scripts = [f"{name} = {target}" for name, target in pyproject["project"]["scripts"].items()]
    assert recipe["build"]["python"]["entry_points"] == scripts
    assert (RECIPE.parent / recipe["source"]["path"]).resolve() == REPO


def test_recipe_tests_import_accel_and_run_accel_backends() -> None:
    tests = read_yaml(RECIPE)["tests"]
    imports = [name for test in tests for name in test.get("python", {}).get("imports", [])]
    commands = [line for test in tests for line in test.get("script", [])]
    assert "accel" in imports
    assert "accel backends" in commands


@pytest.mark.parametrize("conda_file", ENVIRONMENTS, ids=lambda f: f.path.name)
def test_environment_uses_conda_forge_only(conda_file: CondaFile) -> None:
    assert read_yaml(conda_file.path)["channels"] == ["conda-forge", "nodefaults"]


@pytest.mark.parametrize(
    "conda_file", [f for f in ENVIRONMENTS if f.runs_accel], ids=lambda f: f.path.name
)
def test_pip_installs_this_checkout_and_nothing_else(conda_file: CondaFile) -> None:
    """conda runs pip from the file's folder, so '..' is the repository root."""
    section = pip_section(read_yaml(conda_file.path))
    assert section == [{"pip": ["-e .."]}]
    assert (conda_file.path.parent / "..").resolve() == REPO


def test_pypy_environment_is_pypy_39_with_numpy() -> None:
    specs = conda_specs(read_yaml(CONDA / "environment-pypy.yml"))
    names = {spec.split()[0]: spec for spec in specs}
    assert "pypy" in names and "numpy" in names
    python_range = interval(names["python"].split(maxsplit=1)[1])
    assert within(python_range, interval(">=3.9,<3.10"))


# ---------------------------------------------------------------- the check can fail


def test_drift_is_found_when_pyproject_gains_a_dependency() -> None:
    pyproject = read_pyproject()
    changed = copy.deepcopy(pyproject)
    changed["project"]["dependencies"].append("scipy>=1.10,<2")
    specs = conda_specs(read_yaml(CONDA / "environment.yml"))
    problems = drift(changed, ENVIRONMENTS[0], specs)
    assert len(problems) == 1 and problems[0].startswith("scipy: missing")


def test_drift_is_found_when_pyproject_narrows_a_bound() -> None:
    changed = copy.deepcopy(read_pyproject())
    changed["project"]["dependencies"] = [
        "numpy>=1.26,<3" if Requirement(line).name == "numpy" else line
        for line in changed["project"]["dependencies"]
    ]
    problems = drift(changed, RECIPE_RUN, read_yaml(RECIPE)["requirements"]["run"])
    assert len(problems) == 1 and problems[0].startswith("numpy >=1.24,<3 allows versions")


def test_drift_is_found_for_a_conda_package_pyproject_does_not_know() -> None:
    specs = [*conda_specs(read_yaml(CONDA / "environment.yml")), "scipy >=1.10"]
    problems = drift(read_pyproject(), ENVIRONMENTS[0], specs)
    assert problems == ["scipy: unknown to pyproject.toml and no reason given for it"]


@pytest.mark.parametrize(
    ("conda", "pypi", "inside"),
    [
        (">=1.24,<3", ">=1.24,<3", True),
        (">=1.26,<2", ">=1.24,<3", True),
        (">1.24,<3", ">=1.24,<3", True),
        ("==2.13.0", "==2.13.0", True),
        ("==2.13.0", ">=2,<3", True),
        (">=0.5", ">=0.5", True),
        ("", ">=0.5", False),
        (">=1.24", ">=1.24,<3", False),
        (">=1.20,<3", ">=1.24,<3", False),
        (">=1.24,<=3", ">=1.24,<3", False),
        (">=1.24,<3", ">1.24,<3", False),
        ("==2.12.0", "==2.13.0", False),
        ("<0.70", "<0.7", False),  # 0.70 is seventy, not 0.7
    ],
)
def test_within_compares_ranges(conda: str, pypi: str, inside: bool) -> None:
    assert within(interval(conda), interval(pypi)) is inside


@pytest.mark.parametrize("bounds", ["~=1.4", "!=1.5", "==1.*", "1.24.*", "=1.24"])
def test_bounds_the_check_cannot_compare_are_reported(bounds: str) -> None:
    with pytest.raises(UnsupportedBound):
        interval(bounds)
