"""Every gymnasium id taskspec registers is also an env of Ray Tune's registry, so RLlib finds it.

RLlib builds its envs in env runners: fresh processes that never imported taskspec, where
gymnasium does not know `"taskspec/PerceptualDecisionMaking-v0"`. Before asking gymnasium, an
env runner looks the id up in Ray Tune's registry, which lives in the cluster's key-value store.
So each id taskspec registers with gymnasium (the bundled tasks, and the specs of
`taskspec.register(...)`, whose registration holds the spec's texts) is registered with Tune
too, under the same id, as `rllib_env` with the registration's arguments: a worker unpickles it
by importing taskspec, and needs no spec file.

Importing Ray Tune takes seconds, so taskspec never imports it: the ids are handed over when
the program imports `ray.tune.registry` itself (RLlib does), or at once if it already has; and
again after each `ray.init`, since Tune's registry keeps only what it has not yet stored.
`import taskspec` imports this module, which listens to the library's registrations.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from .. import library

_TUNE = "ray.tune.registry"
_ids: dict[str, dict[str, Any]] = {}  # gymnasium id -> the keyword arguments of its registration
_hooked = [False]  # whether `share_all` runs after each ray.init


def share(env_id: str, kwargs: dict[str, Any]) -> None:
    """Record a gymnasium id for RLlib: registered with Tune now if Tune is imported, else when it is."""
    _ids[env_id] = dict(kwargs)
    if _TUNE in sys.modules:
        _to_tune(env_id, _ids[env_id])
    elif not any(isinstance(finder, _AfterTuneImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterTuneImport())


def share_all() -> None:
    """Register every recorded id with Tune (in a Ray worker, nothing: the driver has)."""
    if _in_ray_worker():
        return
    for env_id, kwargs in _ids.items():
        _to_tune(env_id, kwargs)
    if not _hooked[0]:
        _hooked[0] = True
        # Tune stores what it has not stored yet at each ray.init; a second cluster (after
        # ray.shutdown) would not know the ids, so they are shared again after every init.
        hooks = getattr(sys.modules["ray._private.worker"], "_post_init_hooks", None)
        if isinstance(hooks, list):
            hooks.append(share_all)


def rllib_env(registration: dict[str, Any], env_config: Any) -> Any:
    """RLlib's env creator for a shared id: `env_config` (RLlib's EnvContext) holds make-time
    parameters; with `num_envs` (RLlib's vector entry point) it gives taskspec's native vector env."""
    from .vector import make_vector

    params = {**registration, **dict(env_config)}
    num_envs = params.pop("num_envs", None)
    if num_envs is None:
        return library.make_registered(**params)
    return make_vector(num_envs=int(num_envs), **params)


def _to_tune(env_id: str, kwargs: dict[str, Any]) -> None:
    if _in_ray_worker():
        return
    sys.modules[_TUNE].register_env(env_id, functools.partial(rllib_env, kwargs))


def _in_ray_worker() -> bool:
    """Whether this process is a Ray worker (an env runner), which reads Tune's registry but leaves it as is."""
    ray = sys.modules.get("ray")
    worker = getattr(sys.modules.get("ray._private.worker"), "global_worker", None)
    return ray is not None and getattr(worker, "mode", None) == getattr(ray, "WORKER_MODE", object())


class _AfterTuneImport(importlib.abc.MetaPathFinder):
    """Runs `share_all` once `ray.tune.registry` has been imported, then leaves `sys.meta_path`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != _TUNE:
            return None
        sys.meta_path.remove(self)  # once; the lookup below goes to the other finders
        spec = importlib.util.find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if spec is None or loader is None or not hasattr(loader, "exec_module"):
            return spec
        run_module = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run_module(module)
            try:
                share_all()
            except Exception as exc:  # noqa: BLE001 - never break the program's own import of Ray Tune
                warnings.warn(f"taskspec could not register its gymnasium ids with Ray Tune: {exc}", stacklevel=2)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


library.registration_listeners.append(share)
