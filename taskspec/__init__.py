"""taskspec: cognitive tasks for neural networks, written as YAML specs and compiled to gymnasium envs."""

from . import rllib_registry  # noqa: F401 - before register_all: shares each registered id with Ray Tune, for RLlib
from .dataset import Dataset, generate_trials
from .errors import Problem, SpecError, SpecWarning
from .library import compile_source, list_tasks, load, load_spec, load_text, make, register, register_all
from .lint import check_rollout
from .runtime import Batch, TrialEnv
from .runtime.actions import InvalidAction

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
    "register",
]

register_all()
