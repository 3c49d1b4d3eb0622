"""`define:` functions that call each other in nests: the copying done while inlining is bounded,
so a 2 KB spec whose functions double at each level is refused at its line in well under a second."""

import textwrap
import time

import pytest

import taskspec
from taskspec.compiler.expressions import MAX_EXPRESSION_NODES

SPEC = """
    task: Nested
    dt: 100
    rewards: {correct: 1.0}
    observation: {fixation: 1, stimulus: 1}
    action: {fixation: 1, go: 1}
    define:
      f0: {args: [x], value: x}
    LEVELS
    trial:
      signal: uniform(0, 1)
    periods: {stimulus: 300, decision: 100}
    inputs:
      - {during: stimulus, where: stimulus, value: CALL}
    target:
      - {during: decision, value: go}
    outcomes:
      - {during: decision, when: action == go, reward: correct, performance: 1, end_trial: true}
"""


def nested_spec(tmp_path, levels, call="signal"):
    """f_k(x) = f_{k-1}(f_{k-1}(x)): the inlined tree stays `x`, the copies made on the way double per level."""
    lines = "\n".join(f"      f{k}: {{args: [x], value: f{k - 1}(f{k - 1}(x))}}" for k in range(1, levels + 1))
    text = textwrap.dedent(SPEC.replace("    LEVELS", lines).replace("CALL", call))
    path = tmp_path / "nested.yaml"
    path.write_text(text)
    return path, text


def test_forty_nested_levels_are_refused_at_their_lines_within_a_second(tmp_path):
    path, text = nested_spec(tmp_path, 40)
    assert len(text) < 2600
    start = time.perf_counter()
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.make(path)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"refusing the nested defines took {elapsed:.2f} s"
    lines = str(err.value).splitlines()
    from taskspec.compiler.defines import INLINE_WORK_FACTOR  # after the timing: the old code has no such bound

    limit = INLINE_WORK_FACTOR * MAX_EXPRESSION_NODES
    line_of = {
        f"f{k}": text.splitlines().index(next(s for s in text.splitlines() if s.startswith(f"  f{k}:"))) + 1
        for k in range(41)
    }
    assert any(
        line.startswith(f"{path}:{line_of['f40']}:")
        and "define.f40.value" in line
        and f"more than {limit} parts" in line
        for line in lines
    )
    assert all("Traceback" not in line for line in lines)


def test_a_few_nested_levels_still_inline(tmp_path):
    path, _ = nested_spec(tmp_path, 6, call="f6(signal)")
    env = taskspec.make(path)
    env.reset(seed=0)
    trial = env.new_trial()
    assert trial is not None


def test_an_inlined_result_past_the_part_limit_is_refused_at_the_call(tmp_path):
    """Little copying, a large result: fifty uses of an argument of a dozen parts."""
    body = " + ".join(["x"] * 50)
    text = textwrap.dedent(SPEC.replace("    LEVELS", f"      wide: {{args: [x], value: {body}}}"))
    path = tmp_path / "wide.yaml"
    path.write_text(text.replace("value: CALL", "value: wide(signal * 2 + signal * 3 + 1)"))
    message = str(pytest.raises(taskspec.SpecError, taskspec.make, path).value)
    assert f"with wide() inlined the expression has more than {MAX_EXPRESSION_NODES} parts" in message
    assert "inputs[0].value" in message
