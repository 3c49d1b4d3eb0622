"""Writing many trials to disk with bounded memory: .npz (NumPy) or Parquet (one row per trial).

Trials are generated in chunks and written as they come, so memory stays at a few chunks
whatever the number of trials. A chunk holds up to `CHUNK_TRIALS` trials, fewer when trials are
long (`chunk_trials`), so a few trials of a 50,000-step task export as readily as a million short
ones. With `shard=(i, k)` only part i of k of the sharded whole is written
(`taskspec.data.dataset.shard_blocks`; shards differ by one trial at most), so array jobs or Ray tasks
each write one part.

- .npz: each array's bytes are streamed to a temporary file, then stored uncompressed in the
  zip (so `load_npz` maps them lazily, reading only the rows asked for). Trials are back to
  back without padding: trial i is rows `onset[i] : onset[i] + length[i]` of `ob` and `gt`.
- Parquet (pyarrow, `pip install 'taskspec[parquet]'`): one row per trial with columns
  `trial` (its index in the whole), `length`, `ob`, `gt` and `period_id` as fixed-shape tensors
  (Arrow's `arrow.fixed_shape_tensor`: ob is (T, obs) float32, padded with zeros to the file's
  longest trial T; period_id is -1 on padding), `trial_<variable>`, `start_<period>`,
  `end_<period>` (steps); the manifest is JSON in the file metadata (key `taskspec`). Row groups
  of `ROW_GROUP` trials, zstd-compressed. `read_parquet` gives the padded `Batch` back.
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

from ..runtime import TrialEnv
from ..runtime.source import shown
from ..runtime.trials import CELL_BYTES, MAX_BATCH_BYTES, OB_BYTES, Batch
from .dataset import block_trials, concatenate, flatten, head, rows, shard_blocks

CHUNK_TRIALS = 8192  # the most trials per chunk (short tasks)
CHUNK_BYTES = 1 << 28  # what a chunk's arrays may take as the runtime counts them (long tasks: fewer trials)
SHARD_BLOCK = 4096  # the most trials per independently seeded block of a sharded export (generate_trials' default)
ROW_GROUP = 1024
_BLOCK = 1 << 22
_PROBE_SEED = 0  # the probe that sizes chunks: fixed, so the chunk size depends only on the task and its parameters


def _probe(env: TrialEnv) -> Batch:
    """`env.chunk_size` trials drawn with a fixed seed: what sizes an export's chunks and estimates its bytes."""
    return env.private().generate(np.random.default_rng(_PROBE_SEED), env.chunk_size)  # type: ignore[no-any-return]


def chunk_trials(env: TrialEnv, probe: Batch | None = None) -> int:
    """Trials per chunk of an export of `env`: `CHUNK_TRIALS`, or fewer so a chunk of its longest
    trials stays near `CHUNK_BYTES` (half of it, for trials up to twice as long as the probe's).

    Sized from a probe drawn with a fixed seed, so it depends only on the task and its parameters:
    the same seed gives the same file whatever `n` is.
    """
    probe = probe or _probe(env)
    per_step = OB_BYTES * probe.ob.shape[2] + 8 * int(np.prod(probe.gt.shape[2:])) + CELL_BYTES
    return max(1, min(CHUNK_TRIALS, CHUNK_BYTES // (2 * int(probe.length.max()) * per_step)))


def plan(env: TrialEnv, n: Any, path: str | Path, shard: tuple[int, int] | None = None) -> int:
    """The chunk size of an export of `n` trials of `env` (or shard `shard` of them) to `path`, after
    refusing, before anything is written, one whose index would not fit the memory budget or whose
    trials would not fit the disk."""
    import shutil

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of trials of at least 1, got {n!r}")
    written = int(n) if shard is None else (shard[0] + 1) * int(n) // shard[1] - shard[0] * int(n) // shard[1]
    index = 16 * written  # the lengths and onsets an .npz export holds in memory at its end
    if index > MAX_BATCH_BYTES:
        raise ValueError(
            f"n={n}: an export of {written} trials holds {index / 2**30:.1f} GiB of trial lengths and onsets, "
            f"more than the budget of {MAX_BATCH_BYTES / 2**30:g} GiB; write it as shards (--shard I/K)"
        )
    probe = _probe(env)
    row = probe.ob.shape[2] * 4 + probe.gt.itemsize * int(np.prod(probe.gt.shape[2:]))  # one step, as written
    per_trial = probe.length.mean() * row + 8 * (2 + len(probe.variables) + len(probe.start) + len(probe.end))
    free = shutil.disk_usage(Path(path).parent).free
    if written * per_trial > free:
        raise ValueError(
            f"n={n}: {written} trials would take about {written * per_trial / 2**20:,.0f} MiB, more than the "
            f"{free / 2**20:,.0f} MiB free where {Path(path).name} goes; write fewer trials, or shards elsewhere"
        )
    return chunk_trials(env, probe)


def chunks(
    env: TrialEnv, n: int, seed: int | None, shard: tuple[int, int] | None = None, size: int | None = None
) -> Iterator[tuple[int, Batch]]:
    """(index of its first trial in the whole, trials) for each chunk of the export, in order.

    Unsharded, the trials are `generate_trials(env, n, seed, chunk_size=size)`; sharded, they are
    `generate_trials(env, n, seed, shard=shard, chunk_size=min(size, SHARD_BLOCK))`, with `size`
    the export's `chunk_trials(env)` unless given.
    """
    size = size or chunk_trials(env)
    env = env.private()  # the caller's env is not advanced; sessions start afresh
    if shard is None:
        rng, _ = seeding.np_random(seed)
        for done in range(0, n, size):
            batch = env.generate(rng, size)
            yield done, batch if n - done >= size else head(batch, n - done)
        return
    blocks = shard_blocks(n, seed, shard, min(size, SHARD_BLOCK))
    if not blocks:
        raise ValueError(f"shard {shard[0]}/{shard[1]} holds no trials: {n} trials are fewer than {shard[1]} shards")
    first = shard[0] * n // shard[1]
    for rng, block, part in blocks:
        batch = rows(block_trials(env, rng, block), part)
        yield first, batch
        first += len(batch.length)


def manifest(
    env: TrialEnv,
    n: int,
    seed: int | None,
    params: dict[str, Any],
    shard: tuple[int, int] | None,
    layout: str,
    size: int,
) -> dict[str, Any]:
    from .. import __version__

    written = n if shard is None else (shard[0] + 1) * n // shard[1] - shard[0] * n // shard[1]
    return {
        "task": env.task_name,
        "n_trials": n,
        "seed": seed,
        "params": params,
        "dt": env.dt,
        "shard": list(shard) if shard else None,
        "trials_written": written,
        "chunk_trials": size,  # generate_trials(..., chunk_size=this) gives the same trials (shards: min(this, 4096))
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
    size = plan(env, n, path, shard)
    info = manifest(env, n, seed, params, shard, "trials back to back; see onset and length", size)
    bar = Progress(n, progress)
    with tempfile.TemporaryDirectory(dir=Path(path).parent) as tmp:
        columns: dict[str, _Column] = {}
        written = 0
        for first, batch in chunks(env, n, seed, shard, size):
            ob, gt = flatten(batch)
            parts = {
                "ob": ob,
                "gt": gt,
                "length": batch.length,
                "trial": np.arange(first, first + len(batch.length)),
                **{f"trial_{k}": v for k, v in shown(batch.variables).items()},
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
    """Write `n` trials (or shard `shard` of them) to a Parquet file, one row per trial; returns the manifest.

    Tensor columns have one shape for the whole file, so the trials are drawn twice: once for the
    longest trial (nothing kept but its length), then to write them padded to it.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet output needs pyarrow: pip install 'taskspec[parquet]'") from None
    size = plan(env, n, path, shard)
    info = manifest(env, n, seed, params, shard, "one row per trial; ob, gt and period_id padded to the longest", size)
    longest = max(int(batch.length.max()) for _, batch in chunks(env, n, seed, shard, size))
    metadata = {"taskspec": json.dumps(info)}  # in the schema, so every reader (pandas, Ray Data) keeps it
    bar = Progress(n, progress)
    written = 0
    writer = None
    part = Path(path).with_name(Path(path).name + ".partial")
    try:
        for first, batch in chunks(env, n, seed, shard, size):
            table = _trials_table(pa, batch, first, longest).replace_schema_metadata(metadata)
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


def _trials_table(pa: Any, batch: Batch, first: int, longest: int) -> Any:
    """One row per trial; the per-step arrays as tensors padded to `longest` steps (no Python loop over trials)."""

    def flat(values: np.ndarray) -> Any:  # the type given explicitly: inferring it is ~1 s per 10^6 float32
        values = np.ascontiguousarray(values).reshape(-1)
        return pa.array(values, type=pa.from_numpy_dtype(values.dtype))

    def tensor(values: np.ndarray, fill: int = 0) -> Any:  # (trials, steps, ...) padded to `longest` steps
        widths = [(0, 0)] * values.ndim
        widths[1] = (0, longest - values.shape[1])
        padded = np.pad(values, widths, constant_values=fill) if longest > values.shape[1] else values
        return pa.FixedShapeTensorArray.from_numpy_ndarray(np.ascontiguousarray(padded))

    def per_trial(values: np.ndarray) -> Any:  # a vector variable becomes a fixed-size list
        if values.ndim == 1:
            return flat(values)
        return pa.FixedSizeListArray.from_arrays(flat(values), int(np.prod(values.shape[1:])))

    columns = {
        "trial": flat(np.arange(first, first + len(batch.length), dtype=np.int64)),
        "length": flat(batch.length.astype(np.int64)),
        "ob": tensor(batch.ob),
        "gt": tensor(batch.gt),
        "period_id": tensor(batch.period_id, -1),
        **{f"trial_{k}": per_trial(v) for k, v in shown(batch.variables).items()},
        **{f"start_{k}": flat(v) for k, v in batch.start.items()},
        **{f"end_{k}": flat(v) for k, v in batch.end.items()},
    }
    return pa.table(columns)


def read_parquet(path: str | Path) -> Batch:
    """The trials of a Parquet file written by `taskspec dataset` (or a folder of its shards, read in
    file-name order) as one padded `Batch`, as `generate_trials` gives them (without loss weights:
    `taskspec.data.dataset.with_weight(env, batch)` adds them)."""
    import pyarrow.parquet as pq

    files = sorted(Path(path).glob("*.parquet")) if Path(path).is_dir() else [Path(path)]
    if not files:
        raise ValueError(f"{path}: no .parquet files in this folder")
    return concatenate([_batch(pq.read_table(file)) for file in files])


def _batch(table: Any) -> Batch:
    def tensor(name: str) -> np.ndarray:
        return table.column(name).combine_chunks().to_numpy_ndarray()  # type: ignore[no-any-return]

    def column(name: str) -> np.ndarray:
        values = table.column(name).combine_chunks()
        if hasattr(values, "flatten") and values.type.num_fields == 0 and hasattr(values.type, "list_size"):
            return values.flatten().to_numpy().reshape(len(values), values.type.list_size)  # type: ignore[no-any-return]
        return values.to_numpy()  # type: ignore[no-any-return]

    names = table.column_names
    length = column("length")
    longest = int(length.max())  # a shard's own longest trial, as generate_trials(shard=...) pads it
    return Batch(
        ob=tensor("ob")[:, :longest],
        gt=tensor("gt")[:, :longest],
        length=length,
        variables={n[len("trial_") :]: column(n) for n in names if n.startswith("trial_")},
        start={n[len("start_") :]: column(n) for n in names if n.startswith("start_")},
        end={n[len("end_") :]: column(n) for n in names if n.startswith("end_")},
        period_id=tensor("period_id")[:, :longest],
    )


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
