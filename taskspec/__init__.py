"""taskspec: cognitive tasks for neural networks, written as YAML specs and compiled to gymnasium envs."""

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings

from .data.dataset import Dataset, generate_trials
from .errors import Problem, SpecError, SpecWarning
from .library import compile_source, list_tasks, load, load_spec, load_text, make, register, register_all
from .rl import rllib_registry  # noqa: F401 - before register_all: shares each registered id with Ray Tune, for RLlib
from .runtime import Batch, TrialEnv
from .runtime.actions import InvalidAction
from .tools.lint import check_rollout
from .web.human import read_human

__version__ = "0.1.0"
__all__ = [
    "Batch",
    "Dataset",
    "InvalidAction",
    "Problem",
    "SpecError",
    "SpecWarning",
    "TrialEnv",
    "check_rollout",
    "compile_source",
    "generate_trials",
    "list_tasks",
    "load",
    "load_spec",
    "load_text",
    "make",
    "read_human",
    "register",
]


# The modules above the library moved into folders by purpose (data, rl, tools); the paths they had
# before (`import taskspec.sb3`) still import the same module object, with a DeprecationWarning.
MOVED = {
    "analysis": "tools",
    "dataset": "data",
    "distributed": "rl",
    "export": "data",
    "lint": "tools",
    "multitask": "data",
    "multitask_vector": "rl",
    "plot": "tools",
    "sb3": "rl",
    "scaffold": "tools",
    "torch_data": "data",
    "vector": "rl",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        old = name.removeprefix(f"{__name__}.")
        if old == name or old not in MOVED:
            return None
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        old = spec.name.rpartition(".")[2]
        new = f"{__name__}.{MOVED[old]}.{old}"
        warnings.warn(f"{spec.name} is now {new}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module: types.ModuleType) -> None:
        """The module was imported under its new name already."""


sys.meta_path.append(_MovedModules())

register_all()
