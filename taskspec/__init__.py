"""taskspec: cognitive tasks for neural networks, written as YAML specs and compiled to gymnasium envs."""

from .errors import Problem, SpecError, SpecWarning
from .library import compile_source, list_tasks, load, load_spec, make, register_all
from .runtime import Batch, TrialEnv

__version__ = "0.1.0"
__all__ = [
    "Batch", "Problem", "SpecError", "SpecWarning", "TrialEnv", "compile_source", "list_tasks", "load",
    "load_spec", "make",
]

register_all()
