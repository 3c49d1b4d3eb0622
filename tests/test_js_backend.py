"""The browser backend (taskspec/compiler/codegen_js.py, taskspec-runtime.js) run in Node.

Step for step: the Python env draws each trial and a scripted participant acts; the JavaScript env
plays the same trial (its variables and period lengths given as overrides) with the same actions,
and every step's period, ground truth, reward, the trial's end, its performance and the noise-free
observation columns must agree. Every bundled task either runs so or is refused at a spec location.
Distributions: trial variables and period lengths drawn by the JavaScript generator against NumPy's.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from js_harness import NODE, RUNTIME, mismatches, node_available, plain, run_node, scripted_trials

import taskspec
from taskspec.compiler import codegen_js
from taskspec.library import load, lowered
from taskspec.web import BrowserRefused, browser_refusals, runtime_script, task_script

pytestmark = pytest.mark.skipif(not node_available(), reason=f"Node.js is not installed ({NODE})")


def _played(names_params: list[tuple[str, dict]], n_trials: int, seed: int, tmp_path: Path) -> list[tuple]:
    jobs, records, scripts, envs = [], [], {}, []
    for name, params in names_params:
        job, record, env = scripted_trials(name, n_trials, seed, **params)
        jobs.append(job)
        records.append(record)
        scripts[name] = task_script(name, **params)
        envs.append(env)
    played = run_node("step_tasks.js", jobs, scripts, tmp_path)
    return list(zip([n for n, _ in names_params], envs, records, played, strict=True))


def test_perceptual_decision_making_step_for_step(tmp_path: Path) -> None:
    # without noise every observation column is fixed by the trial, so all of them are compared
    for name, env, records, played in _played([("PerceptualDecisionMaking", {"sigma": 0.0})], 30, 5, tmp_path):
        assert mismatches(env, records, played, all_columns=True) == [], name
        steps = sum(len(r["steps"]) for r in records)
        rewards = {row["reward"] for r in records for row in r["steps"]}
        assert steps > 300 and rewards >= {-0.1, 0.0, 1.0}  # aborts, failures and correct answers all happened


def test_dt_rewards_and_timing_given_to_make_step_for_step(tmp_path: Path) -> None:
    made = {"dt": 50, "rewards": {"abort": -1.0}, "timing": {"stimulus": 450}, "sigma": 0.0, "dim_ring": 3}
    for name, env, records, played in _played([("PerceptualDecisionMaking", made)], 15, 6, tmp_path):
        assert mismatches(env, records, played, all_columns=True) == [], name
        assert env.dt == 50 and env.end_ind["stimulus"] - env.start_ind["stimulus"] == 9
        assert max(sum(row["period"] == "stimulus" for row in r["steps"]) for r in records) == 9
        assert -1.0 in {row["reward"] for r in records for row in r["steps"]}


def test_a_different_trial_is_caught(tmp_path: Path) -> None:
    """The comparison can fail: the JavaScript env given the other direction differs at the decision."""
    job, records, env = scripted_trials("PerceptualDecisionMaking", 6, 1, sigma=0.0)
    for trial in job["trials"]:
        trial["overrides"]["ground_truth"] = 1 - trial["overrides"]["ground_truth"]
    script = task_script("PerceptualDecisionMaking", sigma=0.0)
    played = run_node("step_tasks.js", [job], {"PerceptualDecisionMaking": script}, tmp_path)[0]
    found = mismatches(env, records, played, all_columns=True)
    assert any("gt" in line for line in found) and any("observation" in line for line in found)


def test_one_trial_episodes_step_for_step(tmp_path: Path) -> None:
    """With `episode: trial` a trial's end terminates the episode and reset() draws the session's next trial."""
    cases = [
        ("PerceptualDecisionMaking", {"episode": "trial"}),
        ("perceptualdecisionmaking.staircase", {"episode": "trial"}),
    ]
    for name, env, records, played in _played(cases, 12, 2, tmp_path):
        assert env.episode == "trial" and mismatches(env, records, played) == [], name


def test_a_finished_episode_needs_reset(tmp_path: Path) -> None:
    (tmp_path / "t.js").write_text(task_script("PerceptualDecisionMaking", episode="trial"))
    seen = _node_json(
        f"const t = require({json.dumps(str(RUNTIME))});"
        f"new Function('taskspec', require('fs').readFileSync({json.dumps(str(tmp_path / 't.js'))}, 'utf8'))(t);"
        "const env = t.makeEnv('PerceptualDecisionMaking', {seed: 1}); env.reset();"
        "const out = env.step(1); let message = null;"  # an abort in fixation: the trial goes on to its end
        "let last = out; while (!last.terminated) last = env.step(0);"
        "try { env.step(0); } catch (err) { message = err.message; }"
        "const again = env.reset(); console.log(JSON.stringify([message, again.info.period, env.step(0).terminated]));"
    )
    assert seen == ["call reset() before step()", "fixation", False]


def test_contingent_timing_state_session_and_history_step_for_step(tmp_path: Path) -> None:
    tasks = [
        "perceptualdecisionmaking.fixationhold",  # until, otherwise, state variables, timeout rules
        "perceptualdecisionmaking.feedback",  # then, goto
        "perceptualdecisionmaking.staircase",  # session variables reading the last trial
        "perceptualdecisionmaking.correction",
        "stopsignal",
        "DawTwoStep",  # state and session variables
        "HierarchicalReasoning",
        "NBack",  # repeated blocks (rep)
    ]
    for name, env, records, played in _played([(t, {}) for t in tasks], 25, 11, tmp_path):
        assert mismatches(env, records, played) == [], name
    features = {t: lowered(load(t)) for t in tasks}
    for feature in ("until", "then", "otherwise"):
        assert any(any(getattr(p, feature) for p in ir.periods) for ir in features.values()), feature
    assert any(any(r.goto for r in ir.rules) for ir in features.values())
    assert any(ir.timeouts for ir in features.values()) and any(ir.session for ir in features.values())
    assert any(ir.reads_history for ir in features.values()) and any(ir.state for ir in features.values())


def test_every_bundled_task_runs_step_for_step_or_is_refused_at_its_spec_location(tmp_path: Path) -> None:
    running, refused = [], {}
    for name in taskspec.list_tasks():
        problems = browser_refusals(name)
        if problems:
            refused[name] = problems
        else:
            running.append((name, {}))
    assert len(running) > 200
    for name, problems in refused.items():
        for problem in problems:
            assert problem.file.endswith(".yaml") and problem.line > 0 and problem.column > 0, problem
            assert problem.path and problem.message, problem
        with pytest.raises(BrowserRefused) as caught:
            task_script(name)
        assert str(problems[0]) in str(caught.value)
    assert set(refused) == {"ReachingDelayResponse", "SpatialSuppressMotion"}  # the continuous-action tasks
    failed = {}
    for name, env, records, played in _played(running, 2, 7, tmp_path):
        found = mismatches(env, records, played)
        if found:
            failed[name] = found[:3]
    assert failed == {}


def test_refusals_name_what_and_where() -> None:
    problems = browser_refusals("ReachingDelayResponse")
    assert [str(p) for p in problems] == [
        "tasks/ReachingDelayResponse.yaml:23:19: action.respond: a browser experiment takes key presses:"
        " continuous actions cannot run there"
    ]
    spec = """
task: Late
dt: 100
observation: {fixation: 1}
action: {fixation: 1, go: 1}
trial:
  x: choice(3)
periods: {fixation: 200}
inputs:
  - {during: fixation, where: fixation, value: x}
target:
  - {during: fixation, value: fixation}
outcomes:
  - {during: fixation, when: action != fixation, reward: 1, end_trial: true}
"""
    cls = taskspec.load_text(spec, "late.yaml")
    assert browser_refusals(cls) == []
    code = lowered(cls).variables[0].value
    later = dataclasses.replace(code.expr, tree=ast.parse("frobnicate(3) + x", mode="eval").body)
    unknown = codegen_js.unsupported(
        dataclasses.replace(
            lowered(cls),
            variables=(dataclasses.replace(lowered(cls).variables[0], value=dataclasses.replace(code, expr=later)),),
        )
    )  # a function added to the language later is refused until the browser backend learns it
    assert [str(p) for p in unknown] == [
        "<late.yaml>:7:6: trial.x: the browser backend has no version of 'frobnicate()' yet"
    ]


def test_spec_text_never_becomes_code(tmp_path: Path) -> None:
    """A description with quotes and script-like text is a JSON string literal; names are `$`-prefixed locals."""
    spec = """
task: Quoted
description: "a \\"quoted\\" */ </script> task'); process.exit(3); ('"
dt: 100
params: {delete: {default: 2}}
observation: {fixation: 1}
action: {fixation: 1, go: 1}
trial:
  new: choice(delete)
periods: {fixation: 300}
inputs:
  - {during: fixation, where: fixation, value: new}
target:
  - {during: fixation, value: fixation}
outcomes:
  - {during: fixation, when: action != fixation, reward: 1, end_trial: true}
"""
    cls = taskspec.load_text(spec, "quoted.yaml")
    script = task_script(cls)
    assert 'const $delete = _c["delete"];' in script and "const $new = " in script
    assert "quoted.yaml" not in script  # locations travel as YAML path, line and column: no file name
    (tmp_path / "t.js").write_text(script)
    driver = (
        f"const t = require({json.dumps(str(RUNTIME))});"
        f"new Function('taskspec', require('fs').readFileSync({json.dumps(str(tmp_path / 't.js'))}, 'utf8'))(t);"
        "const env = t.makeEnv('Quoted', {seed: 1}); const first = env.reset();"
        "console.log(JSON.stringify([env.description, first.info.trial.new, env.step(1).reward]));"
    )
    done = subprocess.run([NODE, "-e", driver], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    description, drawn, reward = json.loads(done.stdout)
    assert description == "a \"quoted\" */ </script> task'); process.exit(3); ('" and drawn in (0, 1) and reward == 1


def test_a_failing_expression_is_reported_at_its_spec_line(tmp_path: Path) -> None:
    spec = """
task: Indexed
dt: 100
observation: {fixation: 1, cue: 1}
action: {fixation: 1, go: 1}
trial:
  x: choice(2)
periods: {fixation: 300}
inputs:
  - {during: fixation, where: cue, value: "[0.5, 1][x]"}
target:
  - {during: fixation, value: fixation}
outcomes:
  - {during: fixation, when: action != fixation, reward: 1, end_trial: true}
"""
    (tmp_path / "t.js").write_text(task_script(taskspec.load_text(spec, "indexed.yaml")))
    seen = _node_json(
        f"const t = require({json.dumps(str(RUNTIME))});"
        f"new Function('taskspec', require('fs').readFileSync({json.dumps(str(tmp_path / 't.js'))}, 'utf8'))(t);"
        "const env = t.makeEnv('Indexed', {seed: 1}); env.reset();"
        "const fine = env.newTrial({x: 1}).obs[1];"
        "let message = null; try { env.newTrial({x: 7}); } catch (err) { message = err.message; }"
        "console.log(JSON.stringify([fine, message]));"
    )
    assert seen == [
        1,
        "Indexed: inputs[0].value (line 10, column 43): cannot evaluate: index 7 is outside a list of 2 values"
        " (numbered 0 to 1)",
    ]


def test_runtime_api_for_the_page(tmp_path: Path) -> None:
    (tmp_path / "t.js").write_text(task_script("PerceptualDecisionMaking", dim_ring=3))
    driver = (
        f"const t = require({json.dumps(str(RUNTIME))});"
        f"new Function('taskspec', require('fs').readFileSync({json.dumps(str(tmp_path / 't.js'))}, 'utf8'))(t);"
        "const env = t.makeEnv('PerceptualDecisionMaking', {seed: 4});"
        "const first = env.reset(); let out; do { out = env.step(env.fixateAction); } while (!out.info.newTrial);"
        "function answered() { let o; do { o = env.step(env.periodName(env.k) === 'decision' ? 2 : 0); }"
        " while (!o.info.newTrial); return env.lastTrial; }"
        "console.log(JSON.stringify({generator: t.generator, dt: env.dt, periods: env.periods,"
        " observation: env.observation, actions: env.actions, fixate: env.fixateAction, obs: first.obs.length,"
        " last: env.lastTrial, isTyped: first.obs instanceof Float64Array, answered: answered()}));"
    )
    done = subprocess.run([NODE, "-e", driver], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert "xoshiro128**" in seen["generator"] and seen["dt"] == 100 and seen["isTyped"] and seen["obs"] == 4
    assert seen["periods"] == ["fixation", "stimulus", "delay", "decision"]
    assert [g["kind"] for g in seen["observation"]] == ["fixation", "ring"]
    assert seen["observation"][1]["columns"] == [1, 4] and len(seen["observation"][1]["angles"]) == 3
    assert [a["name"] for a in seen["actions"]] == ["fixation", "choice[0]", "choice[1]", "choice[2]"]
    assert seen["fixate"] == 0
    last = seen["last"]
    assert last["periods"]["stimulus"] == [100, 2100] and last["timedOut"] is True and last["choice"] == -1
    assert len(last["steps"]["action"]) == 22 and last["steps"]["period"][-1] == "decision"
    answered = seen["answered"]
    assert answered["choice"] == 2 and answered["choiceT"] == answered["periods"]["decision"][0] == 2100
    assert answered["timedOut"] is False and answered["steps"]["action"][-1] == 2
    assert "function" not in runtime_script()[:40] and "xoshiro128**" in runtime_script()


# ----- distributions: the JavaScript generator against NumPy's -----

DRAWN = [
    "PerceptualDecisionMaking",  # choice
    "ContextDecisionMaking",  # trunc_exp durations
    "Detection",
    "PulseDecisionMaking",  # bernoulli vectors
    "DelayComparison",  # integers
    "EconomicDecisionMaking",
    "DelayMatchCategory",  # uniform
    "Reaching1D",  # normal
    "yang19.dlydm1",  # choice without replacement
    "NBack",  # nback_items
]


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov distance."""
    grid = np.union1d(a, b)
    fa = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def test_trial_variables_and_durations_follow_numpys_distributions(tmp_path: Path) -> None:
    n = 3000
    scripts = {name: task_script(name) for name in DRAWN}
    drawn = run_node("draw_trials.js", [{"task": t, "seed": 3, "n": n} for t in DRAWN], scripts, tmp_path)
    compared = 0
    for name, trials in zip(DRAWN, drawn, strict=True):
        batch = taskspec.generate_trials(name, n, seed=9)
        ours: dict[str, np.ndarray] = {}
        theirs: dict[str, np.ndarray] = {}
        for var, values in batch.variables.items():
            js = np.array([plain(t["trial"][var]) for t in trials], float)
            py = np.asarray(values, float)
            for j in range(1 if py.ndim == 1 else py.shape[1]):  # each entry of a vector on its own
                key = var if py.ndim == 1 else f"{var}[{j}]"
                ours[key], theirs[key] = (js, py) if py.ndim == 1 else (js[:, j], py[:, j])
        for period in batch.start:
            ours[period] = np.array([t["durations"][period] for t in trials], float)
            theirs[period] = (batch.end[period] - batch.start[period]) * batch_dt(name)
        for key in ours:
            a, b = ours[key], theirs[key]
            spread = np.sqrt(a.var() / len(a) + b.var() / len(b))
            assert abs(a.mean() - b.mean()) <= 5 * spread + 1e-12, (name, key, a.mean(), b.mean())
            assert _ks(a, b) < 1.95 * np.sqrt(2 / n), (name, key, _ks(a, b))  # 0.1% level
            compared += 1
    assert compared > 60


def batch_dt(name: str) -> float:
    return float(taskspec.make(name).dt)


def _node_json(script: str) -> object:
    done = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_random_functions_follow_numpys_distributions() -> None:
    """The draws no bundled task makes with these arguments (choice with p=, per-entry bounds), against NumPy."""
    n = 20000
    drawn = _node_json(
        f"const t = require({json.dumps(str(RUNTIME))}); const g = new t.Generator(8); const f = t.fn;"
        f"const out = {{choice: [], normal: [], uniform: [], integers: []}};"
        f"for (let i = 0; i < {n}; i++) {{"
        " out.choice.push(f.choice(g, [[10, 20, 30]], {p: [0.2, 0.5, 0.3]}));"
        " out.normal.push(f.normal(g, [2, 3], {}));"
        " out.uniform.push(...f.uniform(g, [[0, 10], [1, 20]], {size: 2}));"
        " out.integers.push(f.integers(g, [-2, 5], {})); }"
        "console.log(JSON.stringify(out));"
    )
    assert isinstance(drawn, dict)
    rng = np.random.default_rng(8)
    numpy_draws = {
        "choice": rng.choice([10, 20, 30], n, p=[0.2, 0.5, 0.3]),
        "normal": rng.normal(2, 3, n),
        "uniform": rng.uniform([0, 10], [1, 20], (n, 2)).reshape(-1),
        "integers": rng.integers(-2, 5, n),
    }
    for name, theirs in numpy_draws.items():
        ours = np.asarray(drawn[name], float)
        spread = np.sqrt(ours.var() / len(ours) + theirs.var() / len(theirs))
        assert abs(ours.mean() - theirs.mean()) <= 5 * spread, name
        assert _ks(ours, np.asarray(theirs, float)) < 1.95 * np.sqrt(2 / n), name
    assert set(drawn["integers"]) == set(range(-2, 5)) and set(drawn["choice"]) == {10, 20, 30}


def test_observation_noise_as_the_spec_says_and_parameters_given_to_make_env(tmp_path: Path) -> None:
    """PerceptualDecisionMaking's stimulus noise has the spec's sd (sigma / sqrt(dt)) around the spec's mean;
    a parameter given to makeEnv changes the layout as it would in Python."""
    (tmp_path / "t.js").write_text(task_script("PerceptualDecisionMaking", sigma=2.0))
    seen = _node_json(
        f"const t = require({json.dumps(str(RUNTIME))});"
        f"new Function('taskspec', require('fs').readFileSync({json.dumps(str(tmp_path / 't.js'))}, 'utf8'))(t);"
        "const env = t.makeEnv('PerceptualDecisionMaking', {seed: 2}); env.reset();"
        "const rows = [];"
        "for (let i = 0; i < 200; i++) { const first = env.newTrial({ground_truth: 0, coh: 51.2});"
        " let out = env.step(0); rows.push(Array.from(out.obs)); }"
        "const wide = t.makeEnv('PerceptualDecisionMaking', {seed: 2, params: {dim_ring: 4}});"
        "console.log(JSON.stringify({rows, columns: wide.observation.map((g) => g.columns), n: wide.actions.length}));"
    )
    assert isinstance(seen, dict)
    stimulus = np.asarray(seen["rows"])[:, 1:]  # step 1 lies in the stimulus period
    expected = np.cos(np.array([0.0, np.pi])) * 51.2 / 200 + 0.5
    assert np.allclose(stimulus.mean(axis=0), expected, atol=5 * 0.2 / np.sqrt(200))
    assert np.allclose(stimulus.std(axis=0), 2.0 / np.sqrt(100), rtol=0.15)
    assert seen["columns"] == [[0, 1], [1, 5]] and seen["n"] == 5
