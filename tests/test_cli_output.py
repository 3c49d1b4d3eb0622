"""Every file the command line writes goes to a new file beside the target, renamed over a regular
file or nothing: a FIFO, a directory, the spec or a spec it extends is refused with one sentence
(exit 2) and left as it was. Devices are refused by the same check on the file's type; tests use
FIFOs in tmp_path only, never a real device."""

import fcntl
import os
import stat
from pathlib import Path

import pytest

from taskspec.cli import main

SPEC = """\
task: OutTiny
dt: 100
observation: {fixation: 1}
action: {fixation: 1, choice: 2}
trial:
  ground_truth: choice([1, 2])
periods: {fixation: 100, decision: 100}
target:
  - {during: decision, value: ground_truth}
outcomes:
  - {during: decision, when: action == target, reward: 1, performance: 1, end_trial: true}
"""


@pytest.fixture
def fifo(tmp_path):
    """A FIFO with a reader kept open and a 1 MiB buffer, so code that wrongly writes into it returns
    (and the test fails on its assertions) instead of blocking."""
    path = tmp_path / "pipe.out"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 1 << 20)
    except OSError:
        pass  # a smaller buffer still lets small outputs through
    yield path
    os.close(reader)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err.strip()


def spec(tmp_path, name="spec.yaml", text=SPEC):
    path = tmp_path / name
    path.write_text(text)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(
    "argv",
    [
        ["compile", "SPEC", "-o"],
        ["dataset", "SPEC", "-n", "3", "--seed", "0", "--quiet", "-o"],
        ["new", "Fresh", "--force", "-o"],
        ["plot", "SPEC", "--trials", "1", "-o"],
    ],
    ids=["compile", "dataset", "new", "plot"],
)
def test_a_fifo_target_is_refused_and_stays_a_fifo(tmp_path, capsys, fifo, argv):
    source = spec(tmp_path)
    code, out, err = run(capsys, *[source if a == "SPEC" else a for a in argv], fifo)
    assert (code, out) == (2, "")
    assert err == f"taskspec: refusing to write {fifo}: it is a FIFO (named pipe), not a regular file"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_psychometric_figure_into_a_fifo_is_refused(tmp_path, capsys, fifo):
    code, _, err = run(
        capsys, "psychometric", "PerceptualDecisionMaking", "--variable", "coh", "--trials", "50", "-o", fifo
    )
    assert code == 2 and err.endswith("it is a FIFO (named pipe), not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_directory_target_is_refused(tmp_path, capsys):
    source, folder = spec(tmp_path), tmp_path / "folder"
    folder.mkdir()
    for argv in (["compile", source], ["dataset", source, "-n", "2", "--quiet"]):
        code, _, err = run(capsys, *argv, "-o", folder)
        assert (code, err) == (2, f"taskspec: refusing to write {folder}: it is a directory, not a regular file")
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_dataset_refuses_to_overwrite_its_spec(tmp_path, capsys):
    source = spec(tmp_path)
    code, out, err = run(capsys, "dataset", source, "-n", "3", "--quiet", "-o", source)
    assert (code, out) == (2, "")
    assert err == f"taskspec: refusing to overwrite the spec {source} (-o {source}); choose another output file"
    assert source.read_text() == SPEC
    assert leftovers(tmp_path) == []


def test_no_command_writes_over_a_spec_the_spec_extends(tmp_path, capsys):
    parent = spec(tmp_path, "parent.yaml")
    child = spec(tmp_path, "child.yaml", "task: OutChild\nextends: parent.yaml\nrewards: {bonus: 2}\n")
    for argv in (["compile", child], ["dataset", child, "-n", "2", "--quiet"], ["plot", child]):
        code, _, err = run(capsys, *argv, "-o", parent)
        assert code == 2
        assert err == (
            f"taskspec: refusing to overwrite {parent}, a spec file that {child} extends or applies "
            f"(-o {parent}); choose another output file"
        )
    code, _, err = run(capsys, "new", "Other", "--from", child, "--force", "-o", parent)
    assert code == 2 and "a spec file that" in err
    assert parent.read_text() == SPEC


def test_writes_land_whole_with_no_temporary_left(tmp_path, capsys):
    source = spec(tmp_path)
    old = tmp_path / "old.npz"
    old.write_text("previous contents")
    for argv, target in (
        (["compile", source], "out.py"),
        (["dataset", source, "-n", "3", "--quiet"], "old.npz"),
        (["plot", source, "--trials", "1"], "fig.png"),
    ):
        code, _, err = run(capsys, *argv, "-o", tmp_path / target)
        assert code == 0, err
        assert (tmp_path / target).stat().st_size > 0
    assert (tmp_path / "old.npz").read_bytes()[:2] == b"PK"  # replaced by the archive
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(("kind", "name"), [(stat.S_IFCHR, "a character device"), (stat.S_IFBLK, "a block device")])
def test_a_device_is_refused_by_its_type(tmp_path, monkeypatch, kind, name):
    """No real device: `lstat` of a path in tmp_path is made to report a device's type."""
    from taskspec import cli_output

    target = tmp_path / "device"
    real_lstat = os.lstat
    monkeypatch.setattr(
        cli_output.os,
        "lstat",
        lambda p: (
            os.stat_result((kind | 0o666,) + tuple(real_lstat(tmp_path))[1:]) if Path(p) == target else real_lstat(p)
        ),
    )
    with pytest.raises(
        cli_output.OutputRefused, match=f"^refusing to write {target}: it is {name}, not a regular file$"
    ):
        cli_output.write_text(target, "text")
    assert not target.exists()
