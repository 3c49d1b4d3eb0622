"""Composition: dependency-ordered trial variables, variants that insert and patch, `inherited`,
`define:` functions, a per-trial chosen observation group, parameters in `repeat`, modifiers,
and the Mod-Cog family written as yang19 bases plus two modifiers."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import taskspec

ROOT = Path(__file__).resolve().parent.parent

PARENT = """
    task: Parent
    dt: 100
    params: {sigma: 0.0, level: 2}
    rewards: {correct: 1.0, abort: -0.1}
    observation: {fixation: 1, stimulus: 1}
    action: {fixation: 1, go: 1}
    trial:
      signal: uniform(0, level)
    periods: {fixation: 200, stimulus: 300, decision: 100}
    inputs:
      - {name: fix, during: [fixation, stimulus], where: fixation, value: 1}
      - {name: stim, during: stimulus, where: stimulus, value: signal, noise: sigma / sqrt(dt)}
    target:
      - {name: response, during: decision, value: go}
    outcomes:
      - {name: abort, during: fixation, when: action != fixation, reward: abort}
      - {name: correct, during: decision, when: action == go, reward: correct, performance: 1, end_trial: true}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def errors(path, **params):
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.make(path, **params)
    return str(err.value)


def test_trial_variables_run_in_dependency_order_keeping_written_order_and_draws(tmp_path):
    written = write(tmp_path, "a.yaml", PARENT.replace("signal: uniform(0, level)", """signal: uniform(0, level)
      offset: uniform(0, 1)
      total: signal + offset"""))
    shuffled = write(tmp_path, "b.yaml", PARENT.replace("signal: uniform(0, level)", """total: signal + offset
      signal: uniform(0, level)
      offset: uniform(0, 1)"""))
    a, b = taskspec.make(written), taskspec.make(shuffled)
    a.reset(seed=4)
    b.reset(seed=4)
    assert list(a.trial) == list(b.trial) == ["signal", "offset", "total"]  # ready variables go in written order
    assert a.trial == b.trial and a.trial["total"] == a.trial["signal"] + a.trial["offset"]


def test_a_variant_inserts_and_patches_without_helper_specs(tmp_path):
    write(tmp_path, "parent.yaml", PARENT)
    child = write(tmp_path, "child.yaml", """
        task: Child
        extends: parent.yaml
        trial:
          signal: inherited + 10          # wraps the parent's draw
          boosted: 2 * signal + offset    # reads a variable listed below it
          offset: uniform(0, 1)
        periods:
          cue: {duration: 100, insert: {before: stimulus}}
        inputs:
          - {name: stim, value: boosted}
          - {name: fix, remove: true}
          - {name: cue, during: cue, where: fixation, value: 0.5, insert: {before: stim}}
        outcomes:
          - {name: early, during: cue, when: action != fixation, reward: abort, insert: {after: abort}}
    """)
    env = taskspec.make(child)
    assert list(env.timing) == ["fixation", "cue", "stimulus", "decision"]
    spec = taskspec.load_spec(child)
    assert [i.name for i in spec.inputs] == ["cue", "stim"] and spec.inputs[1].where == "stimulus"
    assert [o.name for o in spec.outcomes] == ["abort", "early", "correct"]
    env.reset(seed=0)
    trial = env.trial
    assert 10 <= trial["signal"] <= 12 and trial["boosted"] == pytest.approx(2 * trial["signal"] + trial["offset"])
    cue, stim = env.start_ind["cue"], env.start_ind["stimulus"]
    assert np.all(env.ob[:cue, 0] == 0) and env.ob[cue, 0] == 0.5  # `fix` removed, `cue` added
    np.testing.assert_allclose(env.ob[stim:env.end_ind["stimulus"], 1], trial["boosted"], rtol=1e-6)
    env.reset(seed=0)
    for _ in range(cue):
        env.step(0)
    _, reward, *_ = env.step(1)  # breaking fixation in the inserted cue period: the inserted rule
    assert reward == -0.1


def test_composition_mistakes_are_located(tmp_path):
    write(tmp_path, "parent.yaml", PARENT)
    bad = write(tmp_path, "bad.yaml", """
        task: Bad
        extends: parent.yaml
        periods:
          cue: {duration: 100, insert: {before: stimulu}}
        inputs:
          - {name: nothing, remove: true}
    """)
    message = errors(bad)
    assert f"{bad}:5:" in message and "cannot insert before 'stimulu': no such inherited entry" in message
    assert f"{bad}:7:" in message and "no inherited entry named 'nothing' to remove" in message
    write(tmp_path, "mod.yaml", "task: NotAModifier\nrewards: {correct: 2.0}\n")
    uses = write(tmp_path, "uses.yaml", "task: Uses\nextends: parent.yaml\nmodifiers: [mod.yaml]\n")
    assert "mod.yaml:1:7: task: a modifier cannot set 'task'" in errors(uses)
    unknown = write(tmp_path, "unknown.yaml", "task: U\nextends: parent.yaml\nmodifiers: [modcog.sq]\n")
    assert "cannot apply modifier 'modcog.sq': no bundled modifier named 'modcog.sq' (did you mean" in errors(unknown)


def test_define_functions_are_inlined_checked_and_never_recursive(tmp_path):
    spec = PARENT.replace("    trial:", """    define:
      bump: {args: [x, mu], value: "exp(-circdist(x, mu) ** 2 / (2 * width() ** 2))"}
      width: {args: [], value: 0.5}
    trial:""").replace("value: signal,", 'value: "bump(signal, 1)",')
    env = taskspec.make(write(tmp_path, "d.yaml", spec))
    env.reset(seed=2)
    s = env.trial["signal"]
    want = np.exp(-min(abs(s - 1), 2 * np.pi - abs(s - 1)) ** 2 / (2 * 0.5**2))
    np.testing.assert_allclose(env.ob[env.start_ind["stimulus"], 1], want, rtol=1e-6)
    # the generated code holds the inlined expression, not a call
    assert "bump" not in taskspec.compile_source(tmp_path / "d.yaml", formatted=False)
    recursive = spec.replace('value: 0.5}', 'value: "width() + 1"}')
    assert "defined functions cannot call themselves: width -> width" in errors(write(tmp_path, "r.yaml", recursive))
    wrong = spec.replace('"bump(signal, 1)"', "bump(signal)")
    assert "inputs[1].value: bump() takes 2 argument(s) (x, mu)" in errors(write(tmp_path, "w.yaml", wrong))
    random_in_rule = spec.replace("value: 0.5}", 'value: "uniform(0, 1)"}').replace(
        "reward: correct, performance", "reward: width(), performance")
    message = errors(write(tmp_path, "u.yaml", random_in_rule))
    assert "outcomes[1].reward: random function 'uniform' is only allowed" in message


def test_a_chosen_group_shows_the_same_trials_as_masked_inputs(tmp_path):
    both = """
        task: Modality
        dt: 100
        observation: {fixation: 1, mod1: 3, mod2: 3}
        action: {fixation: 1, choice: 3}
        trial:
          modality: integers(0, 2)
          level: uniform(0, 1)
        periods: {fixation: 100, stimulus: 300}
        inputs:
    """
    chosen = write(tmp_path, "chosen.yaml", both + """
          - {during: stimulus, where: {by: modality, among: [mod1, mod2]}, value: level, noise: 0.1}
    """)
    masked = write(tmp_path, "masked.yaml", both + """
          - {during: stimulus, where: mod1, value: level * (modality == 0), noise: 0.1 * (modality == 0)}
          - {during: stimulus, where: mod2, value: level * (modality == 1), noise: 0.1 * (modality == 1)}
    """)
    a, b = (taskspec.generate_trials(p, 16, seed=3) for p in (chosen, masked))
    np.testing.assert_array_equal(a.ob, b.ob)
    shown = np.abs(a.ob[:, 1:, 1:4]).sum(axis=(1, 2)) > 0
    np.testing.assert_array_equal(shown, a.variables["modality"] == 0)


def test_repeat_takes_a_parameter_whose_override_is_refused_with_the_reason(tmp_path):
    spec = write(tmp_path, "rep.yaml", PARENT.replace("params: {sigma: 0.0, level: 2}",
                                                      "params: {sigma: 0.0, level: 2, pulses: 3}").replace(
        "decision: 100}", "decision: 100, train: {repeat: pulses, periods: {pulse: 100}}}"))
    assert list(taskspec.make(spec).timing)[-3:] == ["pulse0", "pulse1", "pulse2"]
    message = errors(spec, pulses=4)
    assert "params.pulses: 'pulses' is fixed at 3" in message and "block 'train' repeats" in message
    assert "unknown parameter 'pulse'" in errors(write(tmp_path, "bad.yaml", spec.read_text().replace(
        "repeat: pulses", "repeat: pulse")))


# ----- the Mod-Cog family -----

MODCOG = taskspec.list_tasks(tag="modcog")


def test_the_modcog_family_is_bundled_from_its_generator():
    assert len(MODCOG) == 126  # Mod-Cog's 20 bases and 106 combinations (tests/test_modcog.py)
    named = {"modcog.go", "modcog.goseqr", "modcog.dnmcseql", "modcog.dlygointr", "modcog.multidlydmintl",
             "modcog.dnmcintseq", "modcog.dnmcintlseql"}
    assert named <= set(MODCOG)
    check = subprocess.run([sys.executable, str(ROOT / "examples" / "modcog_family.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("task", MODCOG)
def test_modcog_ground_truth_policy_is_at_the_rules_maximum(task):
    env = taskspec.make(task)
    env.reset(seed=0)
    done, reward, aborts = 0, 0.0, 0
    while done < 4:
        _, r, _, _, info = env.step(env.gt_now)
        reward += r
        aborts += r < 0
        if info["new_trial"]:
            assert info["performance"] == 1, info["trial"]
            done += 1
    assert aborts == 0 and reward >= 1.0  # correct responses earn 1; withholding on a no-go trial earns 0


def test_seq_moves_the_response_along_the_ring_and_never_onto_fixation():
    env = taskspec.make("modcog.goseql")
    for seed in range(8):
        env.reset(seed=seed)
        gt = env.gt[env.start_ind["decision"]:env.end_ind["decision"]]
        assert len(gt) == 10 and np.all(gt >= 1)  # 1000 ms of responses, all on the choice ring
        first = env.trial["ground_truth"]
        np.testing.assert_array_equal(gt - 1, (first - np.arange(10)) % 16)
    batch = taskspec.generate_trials("modcog.goseql", 64, seed=1)  # the batch path agrees: never fixation
    decision = batch.gt[:, -10:][batch.length == batch.length.max()]
    assert np.all(decision >= 1)


def test_int_moves_the_response_by_the_delay_and_composes_with_seq(tmp_path):
    env = taskspec.make("modcog.dlygointr")
    for seed in range(8):
        env.reset(seed=seed)
        delay = env.trial["int_delay"]
        assert delay in range(0, 1200, 100) and env.end_ind["delay"] - env.start_ind["delay"] == delay // 100
        np.testing.assert_array_equal(env.gt[env.start_ind["decision"]:] - 1,
                                      (env.trial["ground_truth"] + delay // 100) % 16)
    both = write(tmp_path, "both.yaml", """
        task: dlygointlseqr
        extends: yang19.dlygo
        modifiers: [modcog.int, modcog.seq]
        params: {int_dir: -1, seq_dir: 1}
    """)
    env = taskspec.make(both)
    env.reset(seed=5)
    gt = env.gt[env.start_ind["decision"]:env.end_ind["decision"]] - 1
    np.testing.assert_array_equal(gt, (env.trial["ground_truth"] - env.trial["int_delay"] // 100 + np.arange(10)) % 16)


def test_anti_modifier_turns_a_task_into_its_anti_version(tmp_path):
    anti = write(tmp_path, "anti.yaml", "task: AntiDm\nextends: yang19.dm1\nmodifiers: [anti]\n")
    pro, con = taskspec.make("yang19.dm1"), taskspec.make(anti)
    for seed in range(4):
        pro.reset(seed=seed)
        con.reset(seed=seed)
        np.testing.assert_array_equal(pro.ob, con.ob)
        d = pro.start_ind["decision"]
        assert con.gt[d] - 1 == (pro.gt[d] - 1 + 8) % 16


def test_insert_and_remove_in_a_spec_without_parent_are_located_errors(tmp_path):
    spec = write(tmp_path, "lone.yaml", """
        task: Lone
        dt: 100
        observation: {fixation: 1}
        action: {fixation: 1}
        periods:
          a: 100
          b: {duration: 100, insert: {before: a}}
        target:
          - {value: 0, remove: true}
    """)
    message = errors(spec)
    assert f"{spec}:8:" in message
    assert "'insert' places an entry among inherited ones; this spec inherits none" in message
    assert f"{spec}:10:" in message and "'remove' removes an inherited entry; this spec inherits none" in message


def test_modcog_and_yang19_tasks_line_up_in_one_mixed_batch():
    from taskspec.data.multitask import TaskMix

    mix = TaskMix(["yang19.go", "modcog.goseqr", "modcog.dmsintl", "modcog.dlydm1seql"])
    batch = taskspec.generate_trials(mix, 16, seed=0)
    env = taskspec.make("modcog.dlydm1seql")
    shared = env.observation_space.shape[0]  # fixation and both modalities, then the one-hot rule
    assert batch.ob.shape[2] == shared + 4 and batch.weight is not None
    assert set(batch.variables["task"]) <= {0, 1, 2, 3} and len(set(batch.variables["task"])) > 1


def test_modifier_and_inlining_budgets(tmp_path):
    from taskspec.compiler.defines import INLINE_WORK_FACTOR
    from taskspec.compiler.expressions import MAX_EXPRESSION_NODES
    from taskspec.compiler.extends import MAX_MODIFIERS

    write(tmp_path, "parent.yaml", PARENT)
    write(tmp_path, "m.yaml", "rewards: {correct: 2.0}\n")
    listed = ["m.yaml"] * (MAX_MODIFIERS + 1)
    many = write(tmp_path, "many.yaml", f"task: Many\nextends: parent.yaml\nmodifiers: {listed}\n")
    assert f"at most {MAX_MODIFIERS} modifiers are allowed" in errors(many)
    # each level doubles the expression: the 2**9 copies of x inlining would make exceed the copying budget
    levels = "\n".join(f"      f{k}: {{args: [x], value: f{k - 1}(x) + f{k - 1}(x)}}" for k in range(1, 10))
    spec = PARENT.replace("    trial:", f"    define:\n      f0: {{args: [x], value: x}}\n{levels}\n    trial:")
    spec = spec.replace("value: signal,", "value: f9(signal),")
    limit = INLINE_WORK_FACTOR * MAX_EXPRESSION_NODES
    assert f"copies more than {limit} parts" in errors(write(tmp_path, "big.yaml", spec))


def test_errors_in_a_patched_entry_point_at_the_file_that_wrote_each_key(tmp_path):
    parent = write(tmp_path, "parent.yaml", PARENT.replace("value: signal, noise", "value: signa, noise"))
    child = write(tmp_path, "child.yaml", """
        task: Child
        extends: parent.yaml
        inputs:
          - {name: cue, during: fixation, where: fixation, value: 0.5, insert: {before: fix}}
          - {name: stim, noise: sigm}
    """)
    lines = errors(child).splitlines()
    assert f"{child}:6:25: inputs[2].noise: unknown name 'sigm' (did you mean 'sigma'?)" in lines
    assert any(line.startswith(f"{parent}:13:") and "inputs[2].value: unknown name 'signa'" in line for line in lines)
