"""The single env's generated `_settle` (compiler/codegen_settle.py) against the step machine itself.

Every compiled class renders the machine's `settle` for its own task's flow, over plain numbers; the
single env calls it instead of `machine.settle` with `xp=runtime.scalar`. Here, on every bundled task
(and a few specs that take every branch of the flow: `until` with and without `then`, `otherwise`,
empty periods passed on, `goto`, `then: end`, timeout rules that set the performance), an env
stepping the generated way and one stepping through the machine (`step_by_machine`: every step by
`machine_settle`, no shortcut) get the same actions, and must give the same observations, rewards,
ends and infos step for step; and each call of the generated `_settle` must return what the machine
returns for the same step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import taskspec
from taskspec.library.pipeline import compile_source, list_tasks

STEPS = 500

# Branches the bundled tasks may not reach with random actions: a zero-length delay passed on to its
# `then`, an `until` without `then` (on after its laid-out end), `then: end`, gotos, and timeout rules
# that read and set the performance.
FLOWS = {
    "flow_all": """
task: FlowAll
dt: 100
observation: {o: 1}
action: {wait: 1, go: 1, stop: 1}
trial:
  d: "choice([0, 100, 200])"
state:
  pressed: {init: 0, next: "pressed + 1 if action == go else pressed"}
periods:
  fixation: {duration: 300, until: action == go, then: stimulus}
  stimulus: {duration: 400, until: pressed >= 2, otherwise: feedback}
  delay: {duration: d, then: decision}
  decision: {duration: 300, until: "action == stop and performance == 1", then: end}
  feedback: 200
target:
  - {during: decision, value: go}
outcomes:
  - {during: decision, when: action == go, reward: 1, performance: 1}
  - {during: delay, when: action == stop, reward: -1, goto: feedback}
timeout:
  - {when: performance == 1, reward: 0.5, performance: 2}
  - {when: pressed >= 1, reward: -0.5}
""",
    "flow_goto_empty": """
task: FlowGotoEmpty
dt: 100
observation: {o: 1}
action: {wait: 1, go: 1}
trial:
  gap: "choice([0, 100])"
periods:
  a: 300
  b: {duration: gap, then: c}
  c: {duration: gap, then: d}
  d: 200
outcomes:
  - {during: a, when: action == go, reward: 1, goto: b}
  - {during: d, when: action == go, reward: 2, performance: 1, end_trial: true}
timeout:
  - {reward: -1}
""",
}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) and type(a) is type(b)


def _checked(env: Any, calls: list[int]) -> Any:
    """`env._settle`, each call also answered by the machine (after it: `_settle` writes nothing)."""
    generated = env._settle

    def settle(*args: Any) -> Any:
        mine = generated(*args)
        reference = env.machine_settle(*args)
        assert _same(mine, reference), (args, mine, reference)
        calls.append(1)
        return mine

    return settle


def _run(make: Any, seed: int) -> int:
    """Step a generated env and a machine env together; the number of `_settle` calls checked."""
    fast, slow = make(), make().step_by_machine()
    assert type(fast)._settle is not type(fast).machine_settle, "the class has no generated `_settle`"
    calls: list[int] = []
    fast._settle = _checked(fast, calls)
    rng = np.random.default_rng(seed)
    outs = [env.reset(seed=seed) for env in (fast, slow)]
    assert _same(outs[0], outs[1])
    for env in (fast, slow):
        env.action_space.seed(seed)
    for step in range(STEPS):
        if fast.action_type == "continuous":
            action: Any = fast.action_space.sample()
            slow.action_space.sample()  # the same draw for both
        elif rng.random() < 0.5:  # half the time the ground truth, so trials get to their later periods
            action = fast.target_now if np.ndim(fast.target_now) == 0 else 0
        else:
            action = int(rng.integers(0, fast.action_space.n))
        a, b = fast.step(action), slow.step(action)
        assert _same(a, b), (step, a, b)
        if a[2]:
            assert _same(fast.reset(), slow.reset())
    return len(calls)


@pytest.mark.parametrize("task", list_tasks())
def test_generated_settle_steps_as_the_machine_on_every_bundled_task(task: str) -> None:
    assert _run(lambda: taskspec.make(task), seed=1) > 0


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_generated_settle_takes_every_branch_of_the_flow_as_the_machine(name: str) -> None:
    cls = taskspec.load_text(FLOWS[name], f"{name}.yaml")
    for seed in range(4):
        assert _run(cls, seed) > 0


def test_a_task_without_flow_or_timeout_rules_gets_no_code_for_them() -> None:
    source = compile_source("PerceptualDecisionMaking")
    settle = source.split("def _settle", 1)[1].split("\n\n", 1)[0]
    assert "_dest" not in settle and "_period" not in settle and "_performed = " not in settle
