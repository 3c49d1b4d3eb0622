"""Hostile YAML is refused fast, with a located error and bounded memory (docs/limits.md)."""

import ast
import subprocess
import sys
import time

import pytest

import taskspec
from taskspec.compiler import loader
from taskspec.runtime import functions


def _load_text(text, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.load(path)
    assert time.perf_counter() - start < 5
    return str(err.value)


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    message = _load_text("\n".join(lines) + "\n", tmp_path)
    assert f"more than {loader.MAX_NODES} YAML nodes" in message and "spec.yaml:1:1:" in message


def test_alias_bomb_memory_stays_bounded(tmp_path):
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    # VmHWM is this process's own peak; ru_maxrss on Linux carries over the parent's peak across fork+exec.
    code = (f"import re, taskspec\ntry:\n    taskspec.load({str(path)!r})\nexcept taskspec.SpecError:\n"
            "    print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True).stdout
    assert 0 < int(out) < 500_000  # KiB: the refusal itself, measured in the child that loaded the bomb


def test_deep_nesting_is_refused(tmp_path):
    message = _load_text("task: " + "[" * 60 + "]" * 60 + "\n", tmp_path)
    assert f"nesting deeper than {loader.MAX_DEPTH} levels" in message


def test_huge_document_is_refused(tmp_path):
    message = _load_text("task: x\n" + "# padding\n" * 120_000, tmp_path)
    assert f"larger than {loader.MAX_FILE_BYTES} bytes" in message


def test_non_regular_file_is_refused():
    with pytest.raises(taskspec.SpecError, match="not a regular file|no such spec file"):
        taskspec.load_spec("/dev/zero")


@pytest.mark.parametrize("text", ["hello", "- a", "42", "~", "[task, dt]", "true"])
def test_document_that_is_not_a_mapping_is_one_located_error(text, tmp_path):
    message = _load_text(text + "\n", tmp_path)
    assert message.strip().endswith("a task spec must be a mapping of keys such as 'task', 'dt', 'periods'")
    assert "spec.yaml:1:1:" in message


# ----- memory at the limits (docs/limits.md: peak RSS under 2 GiB) -----

MEMORY_BOUND_KIB = 1 << 21  # 2 GiB

AT_LIMIT = """\
task: AtLimit
dt: 1
observation: {{fixation: 1, stimulus: {stimulus}}}
action: {{fixation: 1, choice: 2}}
trial:
  ground_truth: choice(2)
  coh: uniform(0, 1)
  draws: normal(0, 1, size={draws})
periods: {{fixation: 1, stimulus: {steps}, decision: 1}}
inputs:
  - {{during: stimulus, where: stimulus, value: "{value}", noise: 1}}
  - {{during: fixation, where: fixation, value: 1 + mean(draws)}}
target:
  - {{during: decision, value: 1 + ground_truth}}
outcomes:
  - {{during: decision, when: action == target, reward: 1, end_trial: true}}
"""


def _peak_of(code: str) -> tuple[str, int]:
    """Run `code` in a fresh interpreter; its output and its own peak RSS in KiB."""
    code += "\nimport re\nprint(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=300, capture_output=True, text=True).stdout
    *lines, peak = out.strip().splitlines()
    return "\n".join(lines), int(peak)


_X = "(coh * t + ring(COLS))"
_DEEPEST = f"{_X} * ({_X} * ({_X} * ({_X} * {_X})))"  # 6 results held at once, the most allowed


@pytest.mark.parametrize("value", ["0.5", "cos(coh * t + ring(COLS)) * sin(ring(COLS) - t) + exp(-coh * t / 1000)",
                                   _DEEPEST])
def test_peak_memory_at_the_batch_limit(tmp_path, value):
    """The longest trials a 40-column task may have, served by `step` (64 trials a chunk), with size= draws
    and a value computed over trials x steps x columns: the peak stays under the documented bound."""
    from taskspec.compiler import expressions
    from taskspec.runtime import trials

    columns = 40
    draws = 8  # a vector trial variable, paid for as float64 values at every step
    per_cell = trials.OB_BYTES * columns + 8 * draws + trials.CELL_BYTES
    steps = trials.MAX_BATCH_BYTES // (taskspec.TrialEnv.chunk_size * per_cell)
    text = AT_LIMIT.format(stimulus=columns - 1, steps=steps - 2, draws=draws,
                           value=value.replace("COLS", str(columns - 1)))
    if value == _DEEPEST:
        assert expressions.live_arrays(ast.parse(value, mode="eval").body) == functions.MAX_LIVE_ARRAYS
    (tmp_path / "at_limit.yaml").write_text(text)
    (tmp_path / "over.yaml").write_text(text.replace(f"stimulus: {steps - 2}", f"stimulus: {steps - 1}"))
    out, peak = _peak_of(f"import taskspec\nenv = taskspec.make({str(tmp_path / 'at_limit.yaml')!r})\n"
                         "env.reset(seed=0)\nfor _ in range(100): env.step(env.gt_now)\nprint(env.ob.shape)")
    assert out == f"({steps}, {columns})" and peak < MEMORY_BOUND_KIB
    with pytest.raises(taskspec.SpecError, match="more than 2 GiB"):
        taskspec.load(tmp_path / "over.yaml")


def test_peak_memory_of_a_large_batch():
    """generate_trials in one chunk as large as the budget lets a bundled task have."""
    out, peak = _peak_of("import taskspec\nb = taskspec.generate_trials('PulseDecisionMaking', 20000, seed=0, "
                         "chunk_size=20000)\nprint(b.ob.shape[0])")
    assert out == "20000" and peak < MEMORY_BOUND_KIB
