"""Packaging: the install layout under the one `accel` namespace, and a cheap import."""

import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"accel": "accel", "kernels": "accel.kernels", "hardware": "accel.hardware"}


def test_every_package_folder_is_listed_for_installation():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == set(), "listed packages that do not exist"


def test_every_data_file_in_a_package_is_listed_as_package_data():
    """A template or C source that the package reads at run time is installed with it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    data = config["package-data"]
    packages = {}
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            packages[init.parent] = ".".join((name, *parts))
    missing = []
    for folder in packages:
        for path in folder.rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            owner = max((f for f in packages if path.is_relative_to(f)), key=lambda f: len(f.parts))
            if owner != folder:
                continue  # a subpackage's file: checked with that package
            patterns = data.get("*", []) + data.get(packages[folder], [])
            if not any(path in folder.glob(pattern) for pattern in patterns):  # as setuptools
                missing.append(f"{packages[folder]}: {path.relative_to(folder).as_posix()}")
    assert missing == [], "add these to [tool.setuptools.package-data]"


def test_no_generic_top_level_module_is_installed():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.util as u; print(u.find_spec('kernels'), u.find_spec('hardware'))",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
    )
    assert result.stdout.strip() == "None None"


def test_import_accel_is_cheap_and_loads_no_heavy_library():
    code = (
        "import sys, accel, accel.kernels, accel.backends; "
        "heavy = [m for m in ('numpy', 'numba', 'torch', 'cupy') if m in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _imported_top_level_modules() -> set[str]:
    """Every top-level module that the installed code (accel/, kernels/, hardware/) imports,
    at module level or inside a function."""
    import ast

    found = set()
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found


def test_every_third_party_module_the_code_imports_is_declared_in_pyproject():
    """A fresh install (bootstrap's pip install -e '.[torch,plot,fleet,dev]') gets every
    library the code imports: one that is only present on the development machine (as
    threadpoolctl was: the BLAS pool was 'unknown' and --threads could not set it) fails."""
    import re
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    declared = {
        re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }
    to_distributions = packages_distributions()
    # modules that come from a distribution of another name when it is not installed here
    # (the cuda extra), or with a declared one (numba brings llvmlite; ipykernel, of the
    # dev extra, brings matplotlib-inline for notebooks), and accel's own module that the
    # PyPy server imports from its folder
    to_distributions |= {
        "cupy": ["cupy-cuda12x"],
        "cupyx": ["cupy-cuda12x"],
        "pynvml": ["nvidia-ml-py"],
        "llvmlite": ["numba"],
        "matplotlib_inline": ["ipykernel"],
    }
    local = set(FOLDERS) | {"accel", "callgrind_region"}
    local |= {"_cffi_backend"}  # built into PyPy, imported only by the server running there
    missing = {}
    for module in _imported_top_level_modules() - set(sys.stdlib_module_names) - local:
        names = {d.lower().replace("_", "-") for d in to_distributions.get(module, [module])}
        if not names & declared:
            missing[module] = sorted(names)
    assert missing == {}, "imported but not declared in pyproject.toml: " + repr(missing)
