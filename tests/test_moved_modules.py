"""The modules that moved into folders by purpose still import under their old paths, as the same objects."""

import importlib

import pytest

import taskspec


@pytest.mark.parametrize("old", sorted(taskspec.MOVED))
def test_an_old_path_imports_the_moved_module(old: str) -> None:
    if old == "rllib_metrics":  # a Ray callback class: importable only where Ray is
        pytest.importorskip("ray", reason="rllib_metrics subclasses RLlib's callbacks; the Ray stage runs it")
    new = importlib.import_module(f"taskspec.{taskspec.MOVED[old]}.{old}")
    with pytest.warns(DeprecationWarning, match=f"taskspec.{old} is now taskspec.{taskspec.MOVED[old]}.{old}"):
        module = importlib.import_module(f"taskspec.{old}")
    assert module is new


def test_a_name_that_never_existed_still_fails() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("taskspec.no_such_module")
