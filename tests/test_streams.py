"""Streams of items: sequences (`cumsum`, `lag`, `nback_items`), `rep` and a block's period names
meaning the current copy in rules and state updates, and `each:` (one answer per copy) -- on the
bundled 2-back (tasks/NBack.yaml) and on small specs, in the single env, the vector env, batches and JAX.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import taskspec
from taskspec.rl.vector import make_vector

FIXATION, MATCH, NONMATCH = 0, 1, 2
NBACK = Path(__file__).resolve().parent.parent / "tasks" / "NBack.yaml"


def _play(env, policy, trials: int) -> list[tuple[float, dict]]:
    """(performance, trial variables) of each finished trial; `policy(env)` gives each step's action."""
    done = []
    while len(done) < trials:
        trial = dict(env.trial)
        info = env.step(policy(env))[4]
        if info["new_trial"]:
            done.append((info["performance"], trial))
    return done


def test_a_perfect_agent_scores_1_and_one_saying_non_match_scores_1_minus_the_matches():
    env = taskspec.make("NBack")
    env.reset(seed=0)
    perfect = _play(env, lambda e: int(e.gt_now), 30)
    assert [p for p, _ in perfect] == [1.0] * 30  # exactly: each copy adds to a whole count
    env.reset(seed=1)
    never = _play(env, lambda e: NONMATCH, 30)
    for performance, trial in never:
        assert performance == pytest.approx(1 - np.mean(trial["is_match"]))
    assert np.mean([p for p, _ in never]) < 0.9  # matches happen, and saying non-match misses them


def test_the_match_rate_is_as_set_and_matches_are_the_items_n_back():
    for back, rate in ((2, 0.3), (3, 0.6)):
        batch = taskspec.generate_trials("NBack", 400, seed=0, back=back, match_rate=rate)
        items, is_match = batch.variables["items"], batch.variables["is_match"]
        assert items.shape == (400, 20) and items.min() >= 0 and items.max() <= 5
        same = items[:, back:] == items[:, :-back]
        np.testing.assert_array_equal(is_match[:, back:], same)
        assert not is_match[:, :back].any()  # no item `back` steps before the first ones
        assert abs(same.mean() - rate) < 0.02  # 400 x (20 - back) items: sd about 0.005


def test_the_ground_truth_of_each_item_is_match_or_non_match():
    batch = taskspec.generate_trials("NBack", 8, seed=3)
    steps = 5  # 500 ms items at dt = 100
    for row in range(8):
        wanted = np.where(batch.variables["is_match"][row], MATCH, NONMATCH)
        np.testing.assert_array_equal(batch.gt[row, : 20 * steps], np.repeat(wanted, steps))


def test_only_the_first_answer_per_item_counts():
    env = taskspec.make("NBack")
    env.reset(seed=2)

    def wrong_then_right(e):  # the first step of each item answers wrong, the others right
        gt = int(e.gt_now)
        return (MATCH + NONMATCH - gt) if e.t_ind % 5 == 0 else gt

    assert [p for p, _ in _play(env, wrong_then_right, 5)] == pytest.approx([0.0] * 5)
    env.reset(seed=2)
    late = _play(env, lambda e: int(e.gt_now) if e.t_ind % 5 == 4 else FIXATION, 5)  # at each item's last step
    assert [p for p, _ in late] == pytest.approx([1.0] * 5)
    env.reset(seed=2)
    rewards = []
    for _ in range(100):  # one trial: never answering scores 0 and earns nothing, but the trial runs out
        _, reward, _, _, info = env.step(FIXATION)
        rewards.append(reward)
    assert info["new_trial"] and info["performance"] == 0 and sum(rewards) == 0


def test_every_other_item_answered_scores_half():
    env = taskspec.make("NBack")
    env.reset(seed=4)
    half = _play(env, lambda e: int(e.gt_now) if (e.t_ind // 5) % 2 == 0 else FIXATION, 4)
    assert [p for p, _ in half] == pytest.approx([0.5] * 4)


COPIES = """
task: Copies
dt: 100
observation: {fixation: 1}
action: {fixation: 1, go: 1}
trial:
  x: "[1, 2, 3, 4]"
  running: cumsum(x)
  before: lag(x, 1)
state:
  copy_seen: {init: -5, next: rep, during: stream}
  copy_steps: {init: 0, next: "n_steps('stream') + step_in('stream')", during: stream}
periods:
  stream:
    repeat: 3
    first: 1
    periods: {item: 300, blank: 200}
  after: 200
target:
  - {during: stream, value: "go if step_in('item') == 1 else fixation"}
outcomes:
  - {during: stream, when: "action == go and step_in('item') == 1", reward: "10 * rep + n_steps('item')"}
  - {during: after, when: "action == go", reward: "copy_seen + rep"}
"""


def _write(tmp_path, text: str, name: str = "copies.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_rep_and_a_blocks_period_names_mean_the_current_copy_in_rules_and_state(tmp_path):
    env = taskspec.make(_write(tmp_path, COPIES))
    env.reset(seed=0)
    assert env.trial["running"] == [1, 3, 6, 10] and env.trial["before"] == [-1, 1, 2, 3]
    rewards = [env.step(1)[1] for _ in range(15)]
    # the block's name means the current copy too: 5 steps long, the last step of a copy is its step 4
    assert env._state["copy_steps"] == 5 + 4
    rewards += [env.step(1)[1] for _ in range(2)]
    # copies 1..3 of item (3 steps) + blank (2 steps): the second step of each item pays 10 * rep + 3
    assert rewards[:15] == [0, 13, 0, 0, 0, 0, 23, 0, 0, 0, 0, 33, 0, 0, 0]
    # after the block: `rep` is -1 and the state kept the last copy's number
    assert rewards[15:] == [3 - 1, 3 - 1]
    np.testing.assert_array_equal(np.nonzero(env.gt == 1)[0], [1, 6, 11])


def test_unknown_period_in_step_in_suggests_the_block_period_not_a_copy(tmp_path):
    text = COPIES.replace("go and step_in('item')", "go and step_in('itme')")
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.load(_write(tmp_path, text))
    message = str(err.value)
    assert "unknown period 'itme'" in message and "'item'" in message and "item3" not in message


def test_each_refuses_ending_the_trial_and_unknown_windows(tmp_path):
    text = NBACK.read_text()
    ending = text.replace("reward: fail, performance: 0}", "reward: fail, performance: 0, end_trial: true}")
    with pytest.raises(taskspec.SpecError, match="cannot end the trial"):
        taskspec.load(_write(tmp_path, ending, "ending.yaml"))
    unknown = text.replace("- {each: item, when: action == target", "- {each: itm, when: action == target")
    with pytest.raises(taskspec.SpecError, match="unknown period or block 'itm'.*'item'"):
        taskspec.load(_write(tmp_path, unknown, "unknown.yaml"))


def test_the_vector_env_steps_the_stream_as_single_envs_do():
    vec = make_vector("NBack", 3)
    singles = [taskspec.make("NBack") for _ in range(3)]
    vec.reset(seed=5)
    for i, env in enumerate(singles):
        env.reset(seed=5 + i)
    rng = np.random.default_rng(0)
    ended = 0
    for step in range(250):
        actions = rng.integers(0, 3, 3) if step % 2 else np.array([int(e.gt_now) for e in singles])
        _, reward, _, _, info = vec.step(actions)
        for i, env in enumerate(singles):
            _, s_reward, _, _, s_info = env.step(int(actions[i]))
            assert reward[i] == s_reward and info["new_trial"][i] == s_info["new_trial"]
            if s_info["new_trial"]:
                ended += 1
                assert info["performance"][i] == s_info["performance"]
    assert ended == 6  # 100 steps per trial


def _codes_action(code: str, gt: int) -> int:
    return {"F": FIXATION, "R": gt, "W": MATCH + NONMATCH - gt}[code]


def test_jax_scores_a_scripted_stream_as_numpy_does():
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    # per item (5 steps): answer right at once; wrong then right; late right; never; right then wrong
    script = ("RFFFF" + "WRRRR" + "FFFRF" + "FFFFF" + "RWWWW") * 4 + "R" * 30
    env = taskspec.make("NBack")
    env.reset(seed=0)
    expected = []
    for code in script:
        _, reward, _, _, info = env.step(_codes_action(code, int(env.gt_now)))
        expected.append((info["period"], reward, info["new_trial"], info.get("performance")))
    jenv = tj.make("NBack")
    step = jax.jit(jenv.step)
    _, state = jenv.reset(jax.random.key(0))
    got = []
    for i, code in enumerate(script):
        action = _codes_action(code, int(jenv.ground_truth(state)))
        _, state, reward, *_, info = step(jax.random.key(i + 1), state, action)
        ended = bool(info["new_trial"])
        got.append(
            (
                jenv.period_names[int(info["period"])],
                float(reward),
                ended,
                float(info["performance"]) if ended else None,
            )
        )
    assert [g[:3] for g in got] == [e[:3] for e in expected]
    finals = [(g[3], e[3]) for g, e in zip(got, expected, strict=True) if e[2]]
    assert len(finals) == 1 and finals[0][0] == pytest.approx(finals[0][1], abs=1e-5)
    assert finals[0][1] == pytest.approx(3 * 4 / 20)  # items answered right first: 3 of each 5, 4 times
    # the window's bookkeeping (`_answered0`...) is not among the variables JAX shows
    assert set(info["trial"]) == {"items", "is_match"}


def test_the_windows_bookkeeping_is_hidden_from_trial_info_batches_and_exports(tmp_path):
    """`each:` is written out with state variables `_answered<j>`: the rules read them, users never see them."""
    from taskspec.data.export import load_npz, write_npz

    shown = {"items", "is_match"}
    env = taskspec.make("NBack")
    _, info = env.reset(seed=0)
    assert set(info["trial"]) == set(env.trial) == shown
    assert set(env.state_variables) == {"_answered0", "_answered0_before"}  # still there, for the rules
    info = env.step(FIXATION)[4]
    while not info["new_trial"]:
        info = env.step(FIXATION)[4]
    assert set(info["trial"]) == shown
    vec = make_vector("NBack", 2)
    vec.reset(seed=0)
    info = {"new_trial": np.zeros(2, bool)}
    while not info["new_trial"].any():
        info = vec.step(np.zeros(2, int))[4]
    assert set(info["trial"]) == shown
    assert set(taskspec.generate_trials("NBack", 3, seed=0).variables) == shown
    out = tmp_path / "nback.npz"
    write_npz(env, 3, out, 0, {}, progress=False)
    assert {name for name in load_npz(out) if name.startswith("trial_")} == {f"trial_{name}" for name in shown}


def _code_lines(text: str, comment: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith(comment))


def test_the_line_counts_the_tutorial_gives():
    """docs/tutorial.md: the YAML file has 33 lines that are neither blank nor comments, the
    NeuroGym-style class shown there 49."""
    tutorial = (NBACK.parent.parent / "docs" / "tutorial.md").read_text()
    section = tutorial[tutorial.index("## 11. Streams of items") :]
    listing = section[section.index("```python\n") + len("```python\n") :]
    listing = listing[: listing.index("```")]
    assert _code_lines(NBACK.read_text(), "#") == 33
    assert _code_lines(listing, "#") == 49
    assert "33 lines" in section and "49 such" in section


WINDOWS = """
task: Windows
dt: 100
observation: {fixation: 1}
action: {fixation: 1, go: 1}
periods:
  stream:
    repeat: 4
    periods: {cue: 200, wait: 300}
  decision: 300
outcomes:
  - {each: stream, when: action == go, reward: 1, performance: 1}
  - {each: decision, when: action == go, reward: 5}
"""


def test_each_copy_of_a_block_and_a_plain_period_are_windows(tmp_path):
    env = taskspec.make(_write(tmp_path, WINDOWS, "windows.yaml"))
    env.reset(seed=0)
    # copies of 5 steps (cue 2 + wait 3): press in the wait of copy 0, twice in copy 1, never after;
    # then three presses in the decision period, which is one window of its own
    presses = [0, 0, 0, 1, 0] + [1, 0, 1, 1, 0] + [0] * 10 + [1, 1, 1]
    steps = [env.step(a) for a in presses]
    rewards = [s[1] for s in steps]
    assert rewards == [0, 0, 0, 1, 0] + [1, 0, 0, 0, 0] + [0] * 10 + [5, 0, 0]
    assert [s[4]["new_trial"] for s in steps] == [False] * 22 + [True]  # no rule ended the trial
    assert steps[-1][4]["performance"] == pytest.approx(2 / 4)  # two of the four copies answered


SELF_PACED = """
task: SelfPaced
dt: 100
observation: {fixation: 1}
action: {fixation: 1, go: 1}
periods:
  stream:
    repeat: 4
    periods:
      item: {duration: 1000, until: "action == go or step_in('item') >= rep"}
      gap: 200
  end_of_stream: 100
"""


def test_until_in_a_block_ends_the_current_copy_and_reads_rep(tmp_path):
    """Copy c of `item` ends after the step where `go` is pressed or its own step c comes; every
    backend visits the same periods."""
    path = _write(tmp_path, SELF_PACED, "self_paced.yaml")
    actions = [0, 0, 0] + [0, 0, 0, 0] + [1, 0, 0] + [0, 0, 0, 0, 0, 0] + [0]
    expected = (
        ["item0"] + ["gap0"] * 2  # copy 0 ends after its step 0
        + ["item1"] * 2 + ["gap1"] * 2  # copy 1 at its step 1
        + ["item2"] + ["gap2"] * 2  # go at step 0 ends copy 2 at once
        + ["item3"] * 4 + ["gap3"] * 2  # copy 3 runs its steps 0..3
        + ["end_of_stream"]
    )  # fmt: skip
    env = taskspec.make(path)
    env.reset(seed=0)
    infos = [env.step(a)[4] for a in actions]
    assert [i["period"] for i in infos] == expected
    assert [i["new_trial"] for i in infos] == [False] * 16 + [True]
    vec = make_vector(path, 2)
    vec.reset(seed=0)
    assert [vec.step(np.array([a, a]))[4]["period"][1] for a in actions] == expected
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    jenv = tj.make(path)
    step = jax.jit(jenv.step)
    _, state = jenv.reset(jax.random.key(0))
    visited = []
    for i, a in enumerate(actions):
        _, state, *_, info = step(jax.random.key(i + 1), state, a)
        visited.append(jenv.period_names[int(info["period"])])
    assert visited == expected


def test_jax_draws_streams_by_the_same_law():
    """The JAX backend's own draws of nback_items: items in range, matches at match_rate (0.3)."""
    jax = pytest.importorskip("jax")
    import taskspec.jax as tj

    env = tj.make("NBack")
    _, state = jax.jit(jax.vmap(env.reset))(jax.random.split(jax.random.key(0), 400))
    items, is_match = np.asarray(state.variables["items"]), np.asarray(state.variables["is_match"])
    assert items.shape == (400, 20) and items.min() == 0 and items.max() == 5
    same = items[:, 2:] == items[:, :-2]
    np.testing.assert_array_equal(is_match[:, 2:], same)
    assert abs(same.mean() - 0.3) < 0.02 and not is_match[:, :2].any()


@pytest.mark.parametrize(
    ("when", "column", "message"),
    [
        ("action == targt", 34, "unknown name 'targt' (did you mean 'target'?)"),
        ("items == target", 24, "a condition is one value, but 'items == target' is a vector of 20 values"),
    ],
)
def test_a_mistake_in_a_window_rule_is_reported_once_where_written(tmp_path, when, column, message):
    text = NBACK.read_text().replace("- {each: item, when: action == target,", f"- {{each: item, when: {when},")
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.load(_write(tmp_path, text, "mistake.yaml"))
    lines = str(err.value).splitlines()
    assert len(lines) == 1 and f"mistake.yaml:33:{column}: outcomes[0].when: {message}" in lines[0]
