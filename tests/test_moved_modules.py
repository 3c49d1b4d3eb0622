"""The modules that moved into folders by purpose still import under their old paths, as the same objects."""

import importlib
import sys

import pytest

import taskspec

NEEDS = {"sb3": "stable_baselines3", "torch_data": "torch"}  # installed in the main venv, not in the Ray venv


@pytest.mark.parametrize("old", sorted(taskspec.MOVED))
def test_an_old_path_imports_the_moved_module(old: str, monkeypatch: pytest.MonkeyPatch) -> None:
    library = NEEDS.get(old)
    if library is not None:  # the module is built on an optional library: importable only where it is installed
        pytest.importorskip(library, reason=f"taskspec.{old} needs {library}; the venv that has it runs this")
    new = importlib.import_module(f"taskspec.{taskspec.MOVED[old]}.{old}")
    monkeypatch.delitem(sys.modules, f"taskspec.{old}", raising=False)  # as if no test had imported it yet
    with pytest.warns(DeprecationWarning, match=f"taskspec.{old} is now taskspec.{taskspec.MOVED[old]}.{old}"):
        module = importlib.import_module(f"taskspec.{old}")
    assert module is new


def test_a_name_that_never_existed_still_fails() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("taskspec.no_such_module")
