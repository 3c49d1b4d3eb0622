"""Ray: seeded shard exports as Ray tasks, and env creators for RLlib (`pip install 'taskspec[ray]'`).

A task travels to workers as the texts of its spec (the class's `spec_origin`), never as a
path, so a worker on another node needs taskspec installed but not the spec file.

    import ray, taskspec.rl.distributed as td
    ray.init()
    paths = td.export_shards("PerceptualDecisionMaking", 1_000_000, seed=0, directory="out", shards=8)
    ray.data.read_parquet("out")                          # or pandas, polars, pyarrow

    from ray.rllib.algorithms.ppo import PPOConfig
    PPOConfig().environment("taskspec/PerceptualDecisionMaking-v0")   # plain ids: see taskspec.rl.rllib_registry
    td.register_rllib()                                   # tune.register_env("taskspec", td.env_creator)
    config = PPOConfig().environment("taskspec", env_config={"spec_text": text, "sigma": 0.5})

Nothing here imports Ray at module level except inside the functions that need it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data.export import write_npz, write_parquet
from ..library import Sources, class_from_sources, load, load_text
from ..runtime import TrialEnv
from ..runtime.vector import SteppedVectorEnv, TrialVectorEnv


def _class(config: dict[str, Any]) -> tuple[type[TrialEnv], dict[str, Any]]:
    """The task class named by `config` ("task": name, or "spec_text": text) and the remaining parameters."""
    params = dict(config)
    task, text = params.pop("task", None), params.pop("spec_text", None)
    if (task is None) == (text is None):
        raise ValueError("env_config needs exactly one of 'task' (a bundled name) or 'spec_text' (a spec's YAML)")
    return (load(task) if text is None else load_text(text)), params


def env_creator(env_config: dict[str, Any]) -> Any:
    """RLlib/tune env creator: `{"task": name}` or `{"spec_text": yaml}`, other keys are parameters.

    With `num_envs` in the config (RLlib's `gym_env_vectorize_mode="vector_entry_point"`) it
    returns taskspec's native vector env of that many sub-envs instead of a single env.
    """
    cls, params = _class(dict(env_config))
    num_envs = params.pop("num_envs", None)
    if num_envs is None:
        return cls(**params)
    vector = SteppedVectorEnv if cls.episode == "trial" else TrialVectorEnv
    return vector(cls, int(num_envs), **params)


def register_rllib(name: str = "taskspec") -> str:
    """Register `env_creator` with Ray Tune under `name` (in this process; RLlib ships it to its workers)."""
    from ray import tune

    tune.register_env(name, env_creator)
    return name


def export_shards(
    task: str | Path | None,
    n: int,
    seed: int,
    directory: str | Path,
    shards: int,
    *,
    spec_text: str | None = None,
    fmt: str = "parquet",
    **params: Any,
) -> list[Path]:
    """Write the `n` trials of `seed` as `shards` files, one Ray task each; returns their paths in order.

    Shard i is `generate_trials(task, n, seed, shard=(i, shards))`: the files are the same as
    `taskspec dataset ... --seed SEED --shard i/SHARDS` writes serially. `directory` must be
    reachable by every worker (a shared file system on a multi-node cluster).
    """
    import ray

    if fmt not in ("parquet", "npz"):
        raise ValueError(f"fmt must be 'parquet' or 'npz', got {fmt!r}")
    if not 1 <= shards <= n:
        raise ValueError(f"shards must be between 1 and the number of trials ({n}), got {shards}")
    cls = load(task) if spec_text is None else load_text(spec_text)  # type: ignore[arg-type]  # errors here, not in a worker
    cls(**params)  # parameters checked here too
    assert cls.spec_origin is not None
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"part-{i:05d}-of-{shards:05d}.{fmt}" for i in range(shards)]
    remote = ray.remote(write_shard)
    done = ray.get(
        [remote.remote(cls.spec_origin, n, seed, (i, shards), str(path), fmt, params) for i, path in enumerate(paths)]
    )
    return [Path(p) for p in done]


def write_shard(
    sources: Sources, n: int, seed: int, shard: tuple[int, int], path: str, fmt: str, params: dict[str, Any]
) -> str:
    """One shard to `path` (the body of each Ray task; also callable serially)."""
    env = class_from_sources(sources)(**params)  # type: ignore[misc]
    (write_parquet if fmt == "parquet" else write_npz)(env, n, path, seed, params, progress=False, shard=shard)
    return path
