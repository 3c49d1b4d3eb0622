"""`taskspec dataset`: N trials to an .npz file, with a manifest, in bounded memory."""

import json
import resource
import subprocess
import sys

import numpy as np

import taskspec
from taskspec.cli import main


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
    code = ("import sys; from taskspec.cli import main; "
            f"sys.exit(main(['dataset', 'PerceptualDecisionMaking', '-n', '1000000', '-o', {str(out)!r}, '--quiet']))")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < 1_000_000, f"peak memory {peak_kib / 1024:.0f} MiB"
    data = np.load(out, mmap_mode="r")
    assert data["length"].shape == (1_000_000,) and data["ob"].shape == (22_000_000, 3)
