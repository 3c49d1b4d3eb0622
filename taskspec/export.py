"""Writing many trials to disk with bounded memory: .npz (NumPy) or Parquet (one row per trial).

Trials are generated in chunks and written as they come, so memory stays at a few chunks
whatever the number of trials. With `shard=(i, k)` only part i of k of the sharded whole
is written (`taskspec.dataset.shard_blocks`), so array jobs or Ray tasks each write one part.

- .npz: each array's bytes are streamed to a temporary file, then stored uncompressed in the
  zip (so `load_npz` maps them lazily, reading only the rows asked for). Trials are back to
  back without padding: trial i is rows `onset[i] : onset[i] + length[i]` of `ob` and `gt`.
- Parquet (pyarrow, `pip install 'taskspec[parquet]'`): one row per trial with columns
  `trial` (its index in the whole), `length`, `ob` (length x obs), `gt`, `trial_<variable>`,
  `start_<period>`, `end_<period>` (steps); the manifest is JSON in the file metadata
  (key `taskspec`). Row groups of `ROW_GROUP` trials, zstd-compressed.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from gymnasium.utils import seeding

from .dataset import block_trials, flatten, head, shard_blocks
from .runtime import TrialEnv
from .runtime.trials import Batch

CHUNK_TRIALS = 8192
SHARD_BLOCK = 4096  # trials per independently seeded block of a sharded export (generate_trials' default too)
ROW_GROUP = 1024
_BLOCK = 1 << 22


def chunks(
    env: TrialEnv, n: int, seed: int | None, shard: tuple[int, int] | None = None
) -> Iterator[tuple[int, Batch]]:
    """(index of its first trial in the whole, trials) for each chunk of the export, in order."""
    env = env.private()  # the caller's env is not advanced; sessions start afresh
    if shard is None:
        rng, _ = seeding.np_random(seed)
        for done in range(0, n, CHUNK_TRIALS):
            batch = env.generate(rng, CHUNK_TRIALS)
            yield done, batch if n - done >= CHUNK_TRIALS else head(batch, n - done)
        return
    blocks = shard_blocks(n, seed, shard, SHARD_BLOCK)
    if not blocks:
        raise ValueError(
            f"shard {shard[0]}/{shard[1]} holds no trials: {n} trials make "
            f"{-(-n // SHARD_BLOCK)} blocks of {SHARD_BLOCK}, fewer than {shard[1]} shards"
        )
    first = shard[0] * (-(-n // SHARD_BLOCK)) // shard[1] * SHARD_BLOCK
    for rng, size in blocks:
        yield first, block_trials(env, rng, size)
        first += size


def manifest(
    env: TrialEnv, n: int, seed: int | None, params: dict[str, Any], shard: tuple[int, int] | None, layout: str
) -> dict[str, Any]:
    from . import __version__

    written = n if shard is None else sum(size for _, size in shard_blocks(n, seed, shard, SHARD_BLOCK))
    return {
        "task": env.task_name,
        "n_trials": n,
        "seed": seed,
        "params": params,
        "dt": env.dt,
        "shard": list(shard) if shard else None,
        "trials_written": written,
        "taskspec_version": __version__,
        "layout": layout,
        "observation_groups": env.observation_space.name,  # type: ignore[attr-defined]
        "action_groups": env.action_space.name,  # type: ignore[attr-defined]
    }


class Progress:
    """A progress bar on a terminal; elsewhere (logs, CI) nothing until the summary line."""

    def __init__(self, total: int, enabled: bool = True, stream: Any = None):
        self.stream = stream or sys.stderr
        self.total, self.started = total, time.perf_counter()
        self.bar = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled

    def update(self, done: int) -> None:
        if not self.bar:
            return
        elapsed = time.perf_counter() - self.started
        filled = int(30 * done / max(self.total, 1))
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate else 0.0
        print(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {done:,}/{self.total:,} trials  {rate:,.0f}/s  eta {eta:.0f}s",
            end="",
            file=self.stream,
            flush=True,
        )

    def finish(self, done: int) -> None:
        """End the bar; the caller prints the summary line."""
        if self.bar:
            print(file=self.stream)


def write_npz(
    env: TrialEnv,
    n: int,
    path: str | Path,
    seed: int | None,
    params: dict[str, Any],
    progress: bool = True,
    shard: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Write `n` trials of `env` (or shard `shard` of them) to `path`; returns the manifest stored with them."""
    info = manifest(env, n, seed, params, shard, "trials back to back; see onset and length")
    bar = Progress(n, progress)
    with tempfile.TemporaryDirectory(dir=Path(path).parent) as tmp:
        columns: dict[str, _Column] = {}
        written = 0
        for first, batch in chunks(env, n, seed, shard):
            ob, gt = flatten(batch)
            parts = {
                "ob": ob,
                "gt": gt,
                "length": batch.length,
                "trial": np.arange(first, first + len(batch.length)),
                **{f"trial_{k}": v for k, v in batch.variables.items()},
                **{f"start_{k}": v for k, v in batch.start.items()},
                **{f"end_{k}": v for k, v in batch.end.items()},
            }
            for name, array in parts.items():
                if name not in columns:
                    columns[name] = _Column(tmp, name)
                columns[name].append(array)
            written += len(batch.length)
            bar.update(written)
        bar.finish(written)
        for column in columns.values():
            column.file.flush()
        lengths = np.fromfile(columns["length"].file.name, dtype=columns["length"].dtype)
        extra = {"onset": np.cumsum(lengths) - lengths, "manifest": np.array(json.dumps(info))}
        _assemble(Path(path), columns, extra)
    return info


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a `taskspec dataset` .npz file, memory-mapped: reading 100 trials reads only their rows.

    `np.load` works too, but it reads a whole array when it is first accessed.
    """
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        for member in archive.infolist():
            if member.compress_type != zipfile.ZIP_STORED or not member.filename.endswith(".npy"):
                raise ValueError(f"{path}: {member.filename} is compressed; load it with numpy.load")
            raw.seek(member.header_offset)
            local = raw.read(30)  # the local file header: its name and extra field lengths are at 26 and 28
            start = (
                member.header_offset
                + 30
                + int.from_bytes(local[26:28], "little")
                + int.from_bytes(local[28:30], "little")
            )
            raw.seek(start)
            version = np.lib.format.read_magic(raw)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read_header(raw)
            name = member.filename[:-4]
            if dtype.hasobject or dtype.kind == "U":  # small: the manifest
                arrays[name] = np.load(path)[name]
            else:
                arrays[name] = np.memmap(
                    path, dtype, "r", offset=raw.tell(), shape=shape, order="F" if fortran else "C"
                )
    return arrays


def write_parquet(
    env: TrialEnv,
    n: int,
    path: str | Path,
    seed: int | None,
    params: dict[str, Any],
    progress: bool = True,
    shard: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Write `n` trials (or shard `shard` of them) to a Parquet file, one row per trial; returns the manifest."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet output needs pyarrow: pip install 'taskspec[parquet]'") from None
    info = manifest(env, n, seed, params, shard, "one row per trial; ob and gt hold `length` steps")
    metadata = {"taskspec": json.dumps(info)}  # in the schema, so every reader (pandas, Ray Data) keeps it
    bar = Progress(n, progress)
    written = 0
    writer = None
    part = Path(path).with_name(Path(path).name + ".partial")
    try:
        for first, batch in chunks(env, n, seed, shard):
            table = _trials_table(pa, batch, first).replace_schema_metadata(metadata)
            if writer is None:
                writer = pq.ParquetWriter(part, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=ROW_GROUP)
            written += len(batch.length)
            bar.update(written)
        bar.finish(written)
        assert writer is not None
        writer.add_key_value_metadata({"taskspec": json.dumps(info)})
        writer.close()
        writer = None
        part.replace(path)
    finally:
        if writer is not None:
            writer.close()
        part.unlink(missing_ok=True)
    return info


def _trials_table(pa: Any, batch: Batch, first: int) -> Any:
    """One row per trial, built from flat arrays and offsets (no Python loop over trials)."""
    ob, gt = flatten(batch)
    offsets = np.concatenate([[0], np.cumsum(batch.length)]).astype(np.int64)

    def flat(values: np.ndarray) -> Any:  # the type given explicitly: inferring it is ~1 s per 10^6 float32
        values = np.ascontiguousarray(values).reshape(-1)
        return pa.array(values, type=pa.from_numpy_dtype(values.dtype))

    def steps(values: np.ndarray) -> Any:  # (steps[, width]) -> one list of steps per trial
        inner = flat(values) if values.ndim == 1 else pa.FixedSizeListArray.from_arrays(flat(values), values.shape[1])
        return pa.LargeListArray.from_arrays(flat(offsets), inner)

    def per_trial(values: np.ndarray) -> Any:  # a vector variable becomes a fixed-size list
        if values.ndim == 1:
            return flat(values)
        return pa.FixedSizeListArray.from_arrays(flat(values), int(np.prod(values.shape[1:])))

    columns = {
        "trial": flat(np.arange(first, first + len(batch.length), dtype=np.int64)),
        "length": flat(batch.length.astype(np.int64)),
        "ob": steps(ob),
        "gt": steps(gt),
        **{f"trial_{k}": per_trial(v) for k, v in batch.variables.items()},
        **{f"start_{k}": flat(v) for k, v in batch.start.items()},
        **{f"end_{k}": flat(v) for k, v in batch.end.items()},
    }
    return pa.table(columns)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a Parquet or .npz file written by `taskspec dataset`."""
    if str(path).endswith(".npz"):
        return json.loads(str(np.load(path)["manifest"]))  # type: ignore[no-any-return]
    import pyarrow.parquet as pq

    return json.loads(pq.read_schema(path).metadata[b"taskspec"])  # type: ignore[no-any-return]


class _Column:
    """One output array, accumulated as raw bytes in a temporary file."""

    def __init__(self, directory: str, name: str):
        self.name = name
        self.file: BinaryIO = open(Path(directory) / f"{name}.raw", "w+b")  # noqa: SIM115 - closed in _assemble
        self.rows = 0
        self.dtype: np.dtype | None = None
        self.tail: tuple[int, ...] = ()

    def append(self, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        self.dtype, self.tail = array.dtype, array.shape[1:]
        self.file.write(array.tobytes())
        self.rows += len(array)


def _assemble(path: Path, columns: dict[str, _Column], extra: dict[str, np.ndarray]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for column in columns.values():
            column.file.flush()
            column.file.seek(0)
            assert column.dtype is not None
            header = {
                "descr": np.lib.format.dtype_to_descr(column.dtype),
                "fortran_order": False,
                "shape": (column.rows, *column.tail),
            }
            with archive.open(f"{column.name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array_header_2_0(entry, header)
                while block := column.file.read(_BLOCK):
                    entry.write(block)
            column.file.close()
        for name, array in extra.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array)
