"""`taskspec dataset`: N trials to an .npz file, with a manifest, in bounded memory."""

import json
import subprocess
import sys

import numpy as np
import pytest

import taskspec
import taskspec.data.export
from taskspec.cli import main
from taskspec.data.dataset import shard_blocks


def test_dataset_command_writes_trials_and_manifest(tmp_path, capsys):
    out = tmp_path / "cdm.npz"
    assert main(["dataset", "ContextDecisionMaking", "-n", "10000", "-o", str(out), "--seed", "3",
                 "--set", "sigma=0.5", "--quiet"]) == 0
    data = np.load(out)
    manifest = json.loads(str(data["manifest"]))
    assert manifest["task"] == "ContextDecisionMaking" and manifest["seed"] == 3
    assert manifest["params"] == {"sigma": 0.5} and manifest["taskspec_version"] == taskspec.__version__
    expected = taskspec.generate_trials("ContextDecisionMaking", 10000, seed=3, chunk_size=8192, sigma=0.5)
    np.testing.assert_array_equal(data["length"], expected.length)
    np.testing.assert_array_equal(data["trial_coh_1"], expected.variables["coh_1"])
    for i in (0, 8191, 8192, 9999):
        onset, length = data["onset"][i], data["length"][i]
        np.testing.assert_array_equal(data["ob"][onset:onset + length], expected.ob[i, :length])
        np.testing.assert_array_equal(data["gt"][onset:onset + length], expected.gt[i, :length])


def test_dataset_command_errors(tmp_path, capsys):
    assert main(["dataset", "PerceptualDecisionMaking", "-n", "5", "-o", str(tmp_path / "no" / "x.npz")]) == 2
    assert main(["dataset", "PerceptualDecisonMaking", "-n", "5", "-o", str(tmp_path / "x.npz")]) == 1
    assert "did you mean 'PerceptualDecisionMaking'" in capsys.readouterr().err


def test_a_million_trials_stay_under_a_gigabyte(tmp_path):
    out = tmp_path / "big.npz"
    # The child reports its own peak (VmHWM): RUSAGE_CHILDREN would be the largest of every child this
    # test session has waited for, and ru_maxrss carries the parent's peak across fork+exec on Linux.
    code = ("import re, sys; from taskspec.cli import main; "
            f"code = main(['dataset', 'PerceptualDecisionMaking', '-n', '1000000', '-o', {str(out)!r}, '--quiet']); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    peak_kib = int(done.stdout.split()[-1])
    assert peak_kib < 1_000_000, f"peak memory {peak_kib / 1024:.0f} MiB"
    data = np.load(out, mmap_mode="r")
    assert data["length"].shape == (1_000_000,) and data["ob"].shape == (22_000_000, 3)


# ----- shards, Parquet, lazy npz, progress (issue 13) -----

def _equal_batches(a, b):
    np.testing.assert_array_equal(a.length, b.length)
    for i in range(len(a.length)):
        n = a.length[i]
        np.testing.assert_array_equal(a.ob[i, :n], b.ob[i, :n])
        np.testing.assert_array_equal(a.gt[i, :n], b.gt[i, :n])
    for k in a.variables:
        np.testing.assert_array_equal(a.variables[k], b.variables[k])


def _cat(parts):
    from taskspec.data.dataset import concatenate

    return concatenate(parts)


@pytest.mark.parametrize("task", ["PerceptualDecisionMaking", "perceptualdecisionmaking.ibl20"])
def test_shards_are_disjoint_reproducible_and_make_the_same_whole_for_any_count(task):
    n, block = 1000, 128
    whole = taskspec.generate_trials(task, n, seed=7, shard=(0, 1), chunk_size=block)
    assert len(whole.length) == n
    for k in (2, 3, 8):
        shards = [taskspec.generate_trials(task, n, seed=7, shard=(i, k), chunk_size=block) for i in range(k)]
        assert sum(len(s.length) for s in shards) == n  # disjoint and complete: the sizes add up, in order
        _equal_batches(_cat(shards), whole)
    again = taskspec.generate_trials(task, n, seed=7, shard=(1, 3), chunk_size=block)
    _equal_batches(again, taskspec.generate_trials(task, n, seed=7, shard=(1, 3), chunk_size=block))
    other = taskspec.generate_trials(task, n, seed=8, shard=(0, 1), chunk_size=block)
    assert not np.array_equal(other.variables["ground_truth"], whole.variables["ground_truth"])


def test_shard_misuse_is_a_clear_error():
    for shard in ((2, 2), (-1, 2), (0, 0)):
        with pytest.raises(ValueError, match="0 <= i < k"):
            taskspec.generate_trials("GoNogo", 10, seed=0, shard=shard)
    with pytest.raises(ValueError, match="need a seed"):
        taskspec.generate_trials("GoNogo", 10, shard=(0, 2))
    with pytest.raises(ValueError, match="holds no trials"):
        taskspec.generate_trials("GoNogo", 2, seed=0, shard=(0, 3))  # two trials, three shards: shard 0 is empty


def test_parquet_export_one_row_per_trial_with_manifest(tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs pyarrow (pip install 'taskspec[parquet]')")
    pd = pytest.importorskip("pandas", reason="reading Parquet as a data frame needs pandas")
    out = tmp_path / "cdm.parquet"
    assert main(["dataset", "ContextDecisionMaking", "-n", "3000", "-o", str(out), "--seed", "3",
                 "--set", "sigma=0.5"]) == 0
    stdout, stderr = capsys.readouterr()
    assert "wrote 3,000 trials of ContextDecisionMaking" in stdout and "trials/s" in stdout
    assert "\r" not in stderr  # not a terminal: no progress bar updates in logs
    table = pq.read_table(out)
    manifest = json.loads(table.schema.metadata[b"taskspec"])
    assert manifest["task"] == "ContextDecisionMaking" and manifest["seed"] == 3
    assert manifest["params"] == {"sigma": 0.5}
    assert pq.ParquetFile(out).metadata.num_row_groups >= 3  # read by row group, not whole
    assert manifest["chunk_trials"] == 8192  # short trials: whole chunks of 8192
    expected = taskspec.generate_trials("ContextDecisionMaking", 3000, seed=3, chunk_size=8192, sigma=0.5)
    frame = pd.read_parquet(out)
    assert len(frame) == 3000 and list(frame["trial"]) == list(range(3000))
    np.testing.assert_array_equal(frame["length"], expected.length)
    np.testing.assert_array_equal(frame["trial_coh_1"], expected.variables["coh_1"])
    longest = int(expected.length.max())
    for i in (0, 1500, 2999):
        n = expected.length[i]
        # each trial is one float32 array (Arrow's fixed-shape tensor: pandas sees its values in row-major order)
        ob = frame["ob"][i]
        assert ob.dtype == np.float32 and ob.shape == (longest * 5,)
        np.testing.assert_array_equal(ob.reshape(longest, 5)[:n], expected.ob[i, :n])
        assert not ob.reshape(longest, 5)[n:].any()  # zeros on padding
        np.testing.assert_array_equal(frame["gt"][i][:n], expected.gt[i, :n])
        assert frame["end_decision"][i] == n
    assert taskspec.data.export.read_manifest(out) == manifest
    ob_type = table.schema.field("ob").type
    assert (ob_type.extension_name, ob_type.shape) == ("arrow.fixed_shape_tensor", [longest, 5])


def test_parquet_shards_from_the_cli_equal_the_sharded_whole(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs pyarrow (pip install 'taskspec[parquet]')")
    n = 9000  # three blocks of 4096, 4096, 808 trials
    for i in range(2):
        assert main(["dataset", "GoNogo", "-n", str(n), "-o", str(tmp_path / f"part{i}.parquet"), "--seed", "1",
                     "--shard", f"{i}/2", "--quiet"]) == 0
    parts = [pq.read_table(tmp_path / f"part{i}.parquet") for i in range(2)]
    assert [p.num_rows for p in parts] == [4500, 4500]
    assert json.loads(parts[1].schema.metadata[b"taskspec"])["shard"] == [1, 2]
    whole = taskspec.generate_trials("GoNogo", n, seed=1, shard=(0, 1))
    trials = np.concatenate([p.column("trial").to_numpy() for p in parts])
    np.testing.assert_array_equal(trials, np.arange(n))
    lengths = np.concatenate([p.column("length").to_numpy() for p in parts])
    np.testing.assert_array_equal(lengths, whole.length)
    gt = parts[1].column("gt").combine_chunks().to_numpy_ndarray()[100]
    np.testing.assert_array_equal(gt[:whole.length[4600]], whole.gt[4500 + 100, :whole.length[4600]])


def test_cli_shard_errors(tmp_path, capsys):
    out = str(tmp_path / "x.npz")
    assert main(["dataset", "GoNogo", "-n", "10", "-o", out, "--shard", "0/2"]) == 2  # no seed
    assert main(["dataset", "GoNogo", "-n", "10", "-o", out, "--seed", "0", "--shard", "2/2"]) == 2
    assert main(["dataset", "GoNogo", "-n", "2", "-o", out, "--seed", "0", "--shard", "0/3"]) == 2  # empty
    err = capsys.readouterr().err
    assert "needs --seed" in err and "0 <= I < K" in err and "holds no trials" in err
    assert "Traceback" not in err


def test_npz_is_stored_uncompressed_and_loads_lazily(tmp_path):
    import zipfile

    from taskspec.data.export import load_npz

    out = tmp_path / "pdm.npz"
    assert main(["dataset", "PerceptualDecisionMaking", "-n", "5000", "-o", str(out), "--seed", "2", "--quiet"]) == 0
    assert {m.compress_type for m in zipfile.ZipFile(out).infolist()} == {zipfile.ZIP_STORED}
    lazy, eager = load_npz(out), np.load(out)
    assert isinstance(lazy["ob"], np.memmap)
    for name in ("ob", "gt", "length", "onset", "trial_coh"):
        np.testing.assert_array_equal(lazy[name], eager[name])
    assert json.loads(str(lazy["manifest"]))["seed"] == 2


def test_progress_bar_only_on_a_terminal():
    import io

    from taskspec.data.export import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for stream, expect_bar in ((io.StringIO(), False), (Terminal(), True)):
        bar = Progress(100, stream=stream)
        bar.update(50)
        bar.finish(100)
        assert ("\r[" in stream.getvalue()) is expect_bar


# ----- issue 22: tensor columns, a reader back to a Batch, equal shards, chunks sized by steps -----

def test_read_parquet_gives_back_the_padded_batch_that_was_written(tmp_path):
    pytest.importorskip("pyarrow.parquet", reason="Parquet needs pyarrow (pip install 'taskspec[parquet]')")
    out = tmp_path / "ibl.parquet"
    assert main(["dataset", "perceptualdecisionmaking.ibl20", "-n", "1500", "-o", str(out), "--seed", "5",
                 "--quiet"]) == 0
    read = taskspec.data.export.read_parquet(out)
    written = taskspec.generate_trials("perceptualdecisionmaking.ibl20", 1500, seed=5, chunk_size=8192)
    for name in ("ob", "gt", "length", "period_id"):
        got, want = getattr(read, name), getattr(written, name)
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want)
    for kind in ("variables", "start", "end"):
        assert getattr(read, kind).keys() == getattr(written, kind).keys()
        for key, want in getattr(written, kind).items():
            np.testing.assert_array_equal(getattr(read, kind)[key], want)


def test_parquet_observations_reach_torch_as_one_tensor(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs pyarrow (pip install 'taskspec[parquet]')")
    torch = pytest.importorskip("torch", reason="the torch extra is not installed")
    out = tmp_path / "gng.parquet"
    assert main(["dataset", "GoNogo", "-n", "300", "-o", str(out), "--seed", "0", "--quiet"]) == 0
    ob = torch.tensor(pq.read_table(out).column("ob").combine_chunks().to_numpy_ndarray())
    batch = taskspec.generate_trials("GoNogo", 300, seed=0, chunk_size=8192)
    assert ob.shape == batch.ob.shape and ob.dtype == torch.float32
    assert torch.equal(ob, torch.from_numpy(batch.ob))


def test_shards_are_equal_whatever_the_block_size(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet needs pyarrow (pip install 'taskspec[parquet]')")
    sizes = [sum(p[2].stop - p[2].start for p in shard_blocks(20_000, 0, (i, 8), 4096)) for i in range(8)]
    assert sizes == [2500] * 8  # the old shards were whole blocks: 8,192 and 11,808 trials
    odd = [sum(p[2].stop - p[2].start for p in shard_blocks(1001, 0, (i, 7), 100)) for i in range(7)]
    assert max(odd) - min(odd) <= 1 and sum(odd) == 1001
    assert [len(shard_blocks(5, 0, (i, 8), 4)) for i in range(8)] == [0, 1, 0, 1, 1, 0, 1, 1]  # 5 trials, 8 shards
    for i in range(3):
        assert main(["dataset", "GoNogo", "-n", "1001", "-o", str(tmp_path / f"part{i}.parquet"), "--seed", "1",
                     "--shard", f"{i}/3", "--quiet"]) == 0
    assert [pq.read_metadata(tmp_path / f"part{i}.parquet").num_rows for i in range(3)] == [333, 334, 334]
    whole = taskspec.generate_trials("GoNogo", 1001, seed=1, shard=(0, 1))
    _equal_batches(taskspec.data.export.read_parquet(tmp_path), whole)  # the folder of shards, in order


def test_a_few_trials_of_a_long_task_export_in_small_chunks(tmp_path):
    spec = tmp_path / "long.yaml"
    spec.write_text(LONG_TASK)
    out = tmp_path / "long.npz"
    assert main(["dataset", str(spec), "-n", "3", "-o", str(out), "--seed", "0", "--quiet"]) == 0
    data = np.load(out)
    manifest = json.loads(str(data["manifest"]))
    assert list(data["length"]) == [50_000] * 3 and data["ob"].shape == (150_000, 3)
    assert 1 <= manifest["chunk_trials"] < 64  # chunks sized by steps, not 8192 trials
    again = taskspec.generate_trials(str(spec), 3, seed=0, chunk_size=manifest["chunk_trials"])
    np.testing.assert_array_equal(data["ob"][50_000:100_000], again.ob[1])


def test_an_export_that_cannot_fit_is_refused_with_a_sentence(tmp_path, capsys):
    out = tmp_path / "huge.npz"
    assert main(["dataset", "GoNogo", "-n", str(2 * 10**8), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "n=200000000: an export of 200000000 trials holds 3.0 GiB of trial lengths and onsets, more than " \
           "the budget of 2 GiB" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_an_export_larger_than_the_free_disk_is_refused(tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(2**30, 2**30 - 2**23, 2**23))
    assert main(["dataset", "PerceptualDecisionMaking", "-n", "100000", "-o", str(tmp_path / "x.npz"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "n=100000: 100000 trials would take about " in err
    assert " MiB, more than the 8 MiB free where x.npz goes; write fewer trials, or shards elsewhere" in err
    assert list(tmp_path.iterdir()) == []


LONG_TASK = """
task: LongTask
dt: 1
observation: {fixation: 1, stimulus: 2}
action: {fixation: 1, choice: 2}
trial: {ground_truth: choice(2)}
periods: {fixation: 100, stimulus: 49800, decision: 100}
inputs:
  - {during: fixation, where: fixation, value: 1}
  - {during: stimulus, where: stimulus, value: "onehot(ground_truth, 2)"}
target:
  - {during: decision, value: "choice[ground_truth]"}
outcomes:
  - {during: decision, when: action == target, reward: 1, end_trial: true}
"""
