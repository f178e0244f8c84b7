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
