"""One folder for everything accel writes, chosen the same way by the store and the caches."""

from pathlib import Path

from accel.kernels._home import accel_home
from accel.kernels._native import native_cache_dir

from accel.store import default_store_path


def test_accel_home_wins_then_xdg_cache_then_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCEL_HOME", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert accel_home() == tmp_path / "mine"
    monkeypatch.delenv("ACCEL_HOME")
    assert accel_home() == tmp_path / "xdg" / "accel"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert accel_home() == tmp_path / "me" / ".cache" / "accel"


def test_store_and_native_cache_live_under_it(monkeypatch, tmp_path):
    monkeypatch.setenv("ACCEL_HOME", str(tmp_path))
    assert default_store_path() == Path(tmp_path) / "results.sqlite"
    assert native_cache_dir() == Path(tmp_path) / "native"
