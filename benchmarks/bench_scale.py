"""Files and shards at scale: Parquet and npz export throughput, sharded generation serial vs Ray tasks.

Run (Ray optional: without it the Ray row is skipped, saying why):
    .venv-ray/bin/python benchmarks/bench_scale.py [--trials N] [--shards K] [--task NAME]

All figures come from this one run on this machine: trials per second and bytes per trial of
`taskspec dataset` to .npz and to Parquet; then the same N trials as K Parquet shards, written
one after another in this process and as K Ray tasks on a local cluster with as many CPUs as
the machine has (workers warmed up first: the time is the export, not Ray's start).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import taskspec
from taskspec.data.export import SHARD_BLOCK, write_npz, write_parquet
from taskspec.rl.distributed import write_shard


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--task", default="PerceptualDecisionMaking")
    args = parser.parse_args()
    n, k, task = args.trials, args.shards, args.task
    env = taskspec.make(task)
    cpus = os.cpu_count() or 1
    print(f"{task}, {n:,} trials, {cpus} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, writer in (("npz", write_npz), ("parquet", write_parquet)):
            path = folder / f"all.{name}"
            seconds = timed(lambda writer=writer, path=path: writer(env, n, path, 0, {}, progress=False))
            print(f"  export {name:8s} {n / seconds:12,.0f} trials/s  {path.stat().st_size / n:8.1f} bytes/trial")
        sources = env.spec_origin
        serial = timed(lambda: [write_shard(sources, n, 0, (i, k), str(folder / f"serial{i}.parquet"), "parquet", {})
                                for i in range(k)])
        print(f"  {k} Parquet shards, serial      {n / serial:12,.0f} trials/s  ({serial:.1f} s)")
        try:
            import ray
        except ImportError:
            print("  Ray tasks: skipped, Ray is not installed (pip install 'taskspec[ray]')")
            return
        from taskspec.rl.distributed import export_shards

        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        try:
            export_shards(task, SHARD_BLOCK * cpus, 0, folder / "warmup", shards=cpus)  # workers import taskspec first
            parallel = timed(lambda: export_shards(task, n, 0, folder / "ray", shards=k))
        finally:
            ray.shutdown()
        print(f"  {k} Parquet shards, Ray tasks   {n / parallel:12,.0f} trials/s  ({parallel:.1f} s, "
              f"{serial / parallel:.2f}x serial)")


if __name__ == "__main__":
    main()
