"""Writing many trials to one .npz file with bounded memory.

Trials are generated in chunks and each array's bytes are streamed to a temporary file;
the .npz (a zip of .npy files) is assembled at the end, copying block by block. Memory
stays at a few chunks whatever the number of trials. Trials are stored back to back
without padding: trial i occupies rows `onset[i] : onset[i] + length[i]` of `ob` and `gt`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from gymnasium.utils import seeding

from .dataset import flatten
from .runtime import TrialEnv

CHUNK_TRIALS = 8192
_BLOCK = 1 << 22


class _Column:
    """One output array, accumulated as raw bytes in a temporary file."""

    def __init__(self, directory: str, name: str):
        self.name = name
        self.file: BinaryIO = open(Path(directory) / f"{name}.raw", "w+b")  # noqa: SIM115 - closed in write_npz
        self.rows = 0
        self.dtype: np.dtype | None = None
        self.tail: tuple[int, ...] = ()

    def append(self, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        self.dtype, self.tail = array.dtype, array.shape[1:]
        self.file.write(array.tobytes())
        self.rows += len(array)


def write_npz(env: TrialEnv, n: int, path: str | Path, seed: int | None, params: dict[str, Any],
              progress: bool = True) -> dict[str, Any]:
    """Write `n` trials of `env` to `path`; returns the manifest stored with them."""
    from . import __version__

    rng, _ = seeding.np_random(seed)
    manifest = {"task": env.task_name, "n_trials": n, "seed": seed, "params": params, "dt": env.dt,
                "taskspec_version": __version__, "layout": "trials back to back; see onset and length",
                "observation_groups": env.observation_space.name,  # type: ignore[attr-defined]
                "action_groups": env.action_space.name}  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(dir=Path(path).parent) as tmp:
        columns: dict[str, _Column] = {}
        done, started = 0, time.perf_counter()
        while done < n:
            batch = env.generate(rng, CHUNK_TRIALS)
            take = min(CHUNK_TRIALS, n - done)
            if take < CHUNK_TRIALS:
                from .dataset import head

                batch = head(batch, take)
            ob, gt = flatten(batch)
            parts = {"ob": ob, "gt": gt, "length": batch.length,
                     **{f"trial_{k}": v for k, v in batch.variables.items()},
                     **{f"start_{k}": v for k, v in batch.start.items()},
                     **{f"end_{k}": v for k, v in batch.end.items()}}
            for name, array in parts.items():
                if name not in columns:
                    columns[name] = _Column(tmp, name)
                columns[name].append(array)
            done += take
            if progress:
                _report(done, n, started)
        if progress:
            print(file=sys.stderr)
        for column in columns.values():
            column.file.flush()
        lengths = np.fromfile(columns["length"].file.name, dtype=columns["length"].dtype)
        extra = {"onset": np.cumsum(lengths) - lengths, "manifest": np.array(json.dumps(manifest))}
        _assemble(Path(path), columns, extra)
    return manifest


def _report(done: int, n: int, started: float) -> None:
    elapsed = time.perf_counter() - started
    width = 30
    filled = int(width * done / n)
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = (n - done) / rate if rate else 0.0
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{n:,} trials  {rate:,.0f}/s  eta {eta:.0f}s",
          end="", file=sys.stderr, flush=True)


def _assemble(path: Path, columns: dict[str, _Column], extra: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for column in columns.values():
            column.file.flush()
            column.file.seek(0)
            assert column.dtype is not None
            header = {"descr": np.lib.format.dtype_to_descr(column.dtype), "fortran_order": False,
                      "shape": (column.rows, *column.tail)}
            with archive.open(f"{column.name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array_header_2_0(entry, header)
                while block := column.file.read(_BLOCK):
                    entry.write(block)
            column.file.close()
        for name, array in extra.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array)
