"""Registering specs with gymnasium: ids whose entry point rebuilds the spec from its recorded texts,
with the native vector env for `gymnasium.make_vec`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium

from ..runtime import TrialEnv
from .bundled import task_files
from .classes import class_from_sources
from .making import class_of, make, neurogym_arguments
from .sources import Sources, sources_of


def make_registered(task: str | None = None, sources: Sources | None = None, **kwargs: Any) -> TrialEnv:
    """gymnasium's entry point: a bundled task by name, or a registered spec by its recorded texts."""
    if sources is not None:
        cls = class_from_sources(sources)
        return cls(**neurogym_arguments(cls, kwargs))
    return make(task, **kwargs)


def register(
    spec_or_id: str | Path | None = None,
    name_or_path: str | Path | None = None,
    *,
    spec_text: str | None = None,
    **defaults: Any,
) -> str:
    """Register a spec (file, bundled name, or text) with gymnasium; return its id.

    `register("my_task.yaml")` and `register(spec_text=yaml)` register the spec as
    "taskspec/<task>-v0", named by the spec's `task:`; `register(env_id, "my_task.yaml")` and
    `register(env_id, spec_text=yaml)` choose the id. `gymnasium.make(id)` then builds the env,
    `gymnasium.make_vec(id, num_envs=N)` the native vector env. The registration holds the spec's
    texts (its parents' too), so the file may change or vanish afterwards; `defaults` are
    parameters passed to every env. Registering the same spec and defaults again returns the
    same id; an id held by a different spec is refused with a ValueError.
    """
    if name_or_path is None and spec_text is None:
        env_id, name_or_path = None, spec_or_id  # the one argument is the spec
    else:
        env_id = None if spec_or_id is None else str(spec_or_id)
    if name_or_path is None and spec_text is None:
        raise TypeError("register needs a spec: a task name or path, or spec_text=...")
    cls = class_of(name_or_path, spec_text)  # compiles now: errors surface here
    if env_id is None:
        env_id = f"taskspec/{cls.task_name}-v0"
    elif not gymnasium.envs.registration.ENV_ID_RE.fullmatch(env_id):
        raise ValueError(f"env_id '{ascii(env_id)[1:-1]}' is not a gymnasium id such as 'lab/MyTask-v0'")
    kwargs = {"sources": cls.spec_origin, **defaults}
    if env_id in gymnasium.registry:
        held = gymnasium.registry[env_id]
        if not _same_registration(held, kwargs):
            raise ValueError(
                f"env_id '{env_id}' is already registered to a different spec or different defaults; "
                f"rename the spec's task or pass an id of your own: register(env_id, spec)"
            )
        return env_id
    _register(env_id, kwargs)
    return env_id


def _same_registration(held: Any, kwargs: dict[str, Any]) -> bool:
    """Whether a registered id builds what `kwargs` would: the same spec texts and the same defaults.

    Texts are compared without their file labels, so a copy of a spec in another folder (or the
    text of a bundled task) is the same spec.
    """
    if held.entry_point != _ENTRY_POINT:
        return False
    held_kwargs = dict(held.kwargs)
    task = held_kwargs.pop("task", None)
    sources = sources_of(task) if task is not None else held_kwargs.pop("sources", ())
    own = dict(kwargs)
    own_sources = own.pop("sources")
    return [text for _, text in sources] == [text for _, text in own_sources] and held_kwargs == own


def register_all() -> None:
    """Register every bundled task as `taskspec/<Name>-v0` with gymnasium."""
    for name in task_files():
        env_id = f"taskspec/{name}-v0"
        if env_id not in gymnasium.registry:
            _register(env_id, {"task": name})


_ENTRY_POINT = "taskspec.library:make_registered"
registration_listeners: list[Callable[[str, dict[str, Any]], None]] = []  # told of each id registered


def _register(env_id: str, kwargs: dict[str, Any]) -> None:
    """A gymnasium id built by `make_registered`, with the native vector env for `make_vec`.

    The passive checker and order enforcer would wrap every step; every bundled env passes
    gymnasium's full check_env in the test suite, and step() itself refuses to run before reset().
    """
    gymnasium.register(
        id=env_id,
        entry_point=_ENTRY_POINT,
        kwargs=kwargs,
        vector_entry_point="taskspec.rl.vector:make_vector",
        disable_env_checker=True,
        order_enforce=False,
    )
    for listener in registration_listeners:  # taskspec.rl.rllib_registry: RLlib's env runners find the id in Ray Tune
        listener(env_id, kwargs)
