"""examples/train_yang19_paper.py runs: a few iterations of Yang's network on the 20 yang19paper rules."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest


def load_example():
    path = Path(__file__).resolve().parent.parent / "examples" / "train_yang19_paper.py"
    spec = importlib.util.spec_from_file_location("train_yang19_paper", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_few_iterations_train_and_log(tmp_path):
    pytest.importorskip("torch", reason="the example needs torch")
    example = load_example()
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    log_path = tmp_path / "log.json"
    log = example.main(
        ["--iterations", "3", "--batch", "8", "--eval-every", "16", "--eval-trials", "4", "--log", str(log_path)]
        + (["--figure", str(tmp_path / "curve.png")] if has_matplotlib else [])
    )
    assert log["trials_total"] == 24 and log["trials"][0] == 0 and log["trials"][-1] == 24
    assert all(math.isfinite(v) for v in log["loss"][1:])
    assert set(log["final"]) == set(example.RULES) and all(0 <= p <= 1 for p in log["final"].values())
    assert json.loads(log_path.read_text())["trials_total"] == 24
    assert not has_matplotlib or (tmp_path / "curve.png").stat().st_size > 10_000


def test_the_network_is_yangs():
    torch = pytest.importorskip("torch")
    example = load_example()
    net = example.LeakyRNN(seed=1)
    assert tuple(net.w_in.shape) == (85, 256) and tuple(net.w_rec.shape) == (256, 256)
    w = net.w_rec.detach().numpy().astype(float)
    assert abs(w @ w.T - 0.25 * np.eye(256)).max() < 1e-4  # 0.5 x an orthogonal matrix
    net.eval()
    with torch.no_grad():
        out = net(torch.zeros(2, 5, 85))
    assert out.shape == (2, 5, 33) and float(out.min()) > 0 and float(out.max()) < 1  # a sigmoid readout
    # leaky: with the drive on for one step only, the state decays by 1 - alpha = 0.8 per step
    x = torch.zeros(1, 3, 85)
    x[0, 0, 0] = 1.0
    with torch.no_grad():
        drive = torch.relu(x[0, 0] @ net.w_in + net.b)
        h1 = 0.2 * drive
        h2 = 0.8 * h1 + 0.2 * torch.relu(h1 @ net.w_rec + net.b)
        expected = torch.sigmoid(net.out(h2))
        assert torch.allclose(net(x)[0, 1], expected, atol=1e-6)


def test_the_reported_run_is_the_committed_log():
    """docs/parity.md's table and totals of the training run are those of the committed log."""
    root = Path(__file__).resolve().parent.parent
    log = json.loads((root / "docs" / "figures" / "yang19paper_training.json").read_text())
    text = (root / "docs" / "parity.md").read_text()
    assert f"{log['trials_total']:,} trials in {log['wall_seconds'] / 60:.0f} minutes" in text
    assert f"{100 * log['fraction_of_yang_budget']:.1f}% of Yang's" in text
    for rule, perf in log["final"].items():
        assert f"| {rule} | {perf:.2f} |" in text
    assert sum(p >= 0.9 for p in log["final"].values()) == 6  # "Six rules reached 0.9"
    assert (root / "docs" / "figures" / "yang19paper_learning_curve.png").stat().st_size > 10_000
