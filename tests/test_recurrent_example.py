"""The recurrent example: its memoryless bound is computed from the task, and a tiny run goes end to end."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("sb3_contrib", reason="the recurrent example needs sb3-contrib (pip install 'taskspec[rl]')")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import train_recurrent  # noqa: E402


def test_memoryless_bound_is_chance_when_the_cue_is_gone():
    assert 0.5 <= train_recurrent.memoryless_bound(trials=2000) < 0.55


def test_memoryless_bound_reaches_one_when_the_cue_stays_visible():
    visible = train_recurrent.SPEC.replace("{during: cue, where: cue, value: cue}",
                                           "{during: [cue, delay, decision], where: cue, value: cue}")
    assert visible != train_recurrent.SPEC
    assert train_recurrent.memoryless_bound(visible, trials=200) == 1.0


def test_tiny_run_end_to_end(capsys):
    code = train_recurrent.main(["--steps", "256", "--envs", "4", "--eval-trials", "40"])
    out = capsys.readouterr().out
    assert "best memoryless policy: performance 0.5" in out
    assert "RecurrentPPO (LSTM)" in out and "after 256 steps" in out
    assert code in (0, 1)  # a tiny run need not learn; the exit code follows the printed margin
    assert ("does NOT beat" in out) == (code == 1)
