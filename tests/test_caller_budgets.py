"""Sizes a caller asks for are budgeted like the sizes a spec asks for: `generate_trials(task, 10**9)`,
an absurd `Dataset(batch_size=..., seq_len=...)` and `taskspec.jax.generate_trials(..., 10**8)` are
refused before allocating, with one sentence naming the argument and the limit (docs/limits.md)."""

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

import taskspec

ROOT = Path(__file__).resolve().parent.parent
ADDRESS_SPACE = 3 << 30  # the child's limit: an unchecked 6 GB allocation fails there, not on the machine

CHILD = """
import json, time, taskspec
cases = {
    "generate_trials": lambda: taskspec.generate_trials("PerceptualDecisionMaking", 10**9, seed=0),
    "dataset": lambda: taskspec.Dataset("PerceptualDecisionMaking", batch_size=10**5, seq_len=10**5)(),
    "dataset_cache": lambda: taskspec.Dataset("PerceptualDecisionMaking", batch_size=64, seq_len=100,
                                              cache_len=10**9)(),
}
for name, case in cases.items():
    start = time.perf_counter()
    try:
        case()
        outcome = "no error"
    except ValueError as exc:
        outcome = "ValueError: " + str(exc)
    except BaseException as exc:  # MemoryError and the like: what the old code ended in
        outcome = type(exc).__name__ + ": " + str(exc)
    print(json.dumps([name, outcome, time.perf_counter() - start]), flush=True)
"""


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.fixture(scope="module")
def refusals():
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300, cwd=ROOT, preexec_fn=_limited
    )
    return {name: (outcome, seconds) for name, outcome, seconds in map(json.loads, done.stdout.splitlines())}


@pytest.mark.parametrize(
    ("case", "arguments"),
    [
        ("generate_trials", "n=1000000000: "),
        ("dataset", "batch_size=100000, seq_len=100000: "),
        ("dataset_cache", "batch_size=64, seq_len=100, cache_len=1000000000: "),
    ],
)
def test_absurd_sizes_are_refused_before_allocating(refusals, case, arguments):
    outcome, seconds = refusals[case]
    assert outcome.startswith("ValueError: " + arguments), outcome
    assert "more than the 2 GiB allowed for arrays built at once" in outcome
    assert len(outcome.splitlines()) == 1
    assert seconds < 5


def test_a_result_that_outgrows_the_budget_as_trials_are_drawn_is_refused_between_chunks(monkeypatch):
    """The first check assumes one step per trial; the real trials are longer, which the next check sees."""
    from taskspec.data import budgets

    monkeypatch.setattr(budgets, "MAX_BATCH_BYTES", 40 << 20)  # 40 MiB: PerceptualDecisionMaking trials are 22 steps
    start = time.perf_counter()
    with pytest.raises(
        ValueError,
        match=r"^n=100000: 102400 trials \(100000 rounded up to whole chunks\) of up to "
        r"\d+ steps at 32 bytes per step",
    ):
        taskspec.generate_trials("PerceptualDecisionMaking", 100_000, seed=0)
    assert time.perf_counter() - start < 5
    assert taskspec.generate_trials("PerceptualDecisionMaking", 20_000, seed=0).ob.shape[0] == 20_000


def test_sizes_must_be_whole_numbers():
    with pytest.raises(ValueError, match="n must be a whole number of at least 1, got 2.5"):
        taskspec.generate_trials("PerceptualDecisionMaking", 2.5)
    with pytest.raises(ValueError, match="batch_size must be a whole number of at least 1, got 1.5"):
        taskspec.Dataset("PerceptualDecisionMaking", batch_size=1.5)


def test_jax_generate_trials_refuses_a_batch_past_the_budget():
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    with pytest.raises(ValueError) as err:
        tj.generate_trials("PerceptualDecisionMaking", jax.random.key(0), 10**8)
    message = str(err.value)
    assert message.startswith("n=100000000: 100000000 trials padded to ")
    assert "more than the 2 GiB allowed for arrays built at once" in message and "\n" not in message
