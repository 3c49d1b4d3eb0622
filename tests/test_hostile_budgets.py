"""Hostile specs that ask for unbounded memory or time: each is refused quickly, in one located line.

Every case runs the real command line in a child process (so a hang or a memory blow-up
cannot take the test run with it) and checks: exit code 1, no traceback, exactly one
problem line, no file created, and the child's own peak memory (VmHWM) under the bound
docs/limits.md states.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import pytest

import taskspec
from taskspec.compiler import loader, lower
from taskspec.runtime import functions, trials

ROOT = Path(__file__).resolve().parent.parent
MEMORY_BOUND_KIB = 1 << 21  # 2 GiB: the peak docs/limits.md promises at the limits
SECONDS = 15  # "a few seconds" for a refusal, with room for a loaded machine (startup alone is ~1.5 s)

CHILD = """
import re, sys
from taskspec.cli import main
code = main(sys.argv[1:])
peak = re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)
sys.stderr.write("\\n@peak " + peak + "\\n")
sys.exit(code)
"""

BASE = """\
task: Hostile
dt: {dt}
params: {{sigma: 1.0}}
observation: {{fixation: 1, stimulus: {columns}}}
action: {{fixation: 1, choice: 2}}
trial:
  ground_truth: choice(2)
{extra_trial}periods: {{fixation: {dt}, stimulus: {stimulus}, decision: {dt}}}
inputs:
  - {{during: fixation, where: fixation, value: 1}}
{inputs}target:
  - {{during: decision, value: 1 + ground_truth}}
outcomes:
  - {{during: decision, when: action == target, reward: 1, end_trial: true}}
{tail}"""


def spec(dt=100, columns=2, stimulus=500, extra_trial="", inputs="", tail=""):
    return BASE.format(dt=dt, columns=columns, stimulus=stimulus, extra_trial=extra_trial, inputs=inputs, tail=tail)


def run_cli(tmp_path, text, *command):
    """Run `taskspec COMMAND spec.yaml` in a child; returns (exit code, problem lines, stderr, peak KiB, seconds)."""
    folder, work = tmp_path / "specs", tmp_path / "work"
    folder.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    path = folder / "hostile.yaml"
    path.write_text(text)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, command[0], str(path), *command[1:]], cwd=work, env=env,
                            capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "the command created a file"
    peak = int(re.search(r"@peak (\d+)", result.stderr).group(1))
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("@peak")]
    return result.returncode, lines, result.stderr, peak, seconds


def assert_refused(tmp_path, text, expected, *command):
    code, lines, stderr, peak, seconds = run_cli(tmp_path, text, *(command or ("validate",)))
    assert "Traceback" not in stderr, stderr
    assert code == 1, stderr
    assert len(lines) == 1, stderr
    assert re.match(r"^\S[^:]*(:\d+:\d+)?: ", lines[0]), lines[0]
    assert re.search(expected, lines[0]), lines[0]
    assert seconds < SECONDS, f"refused after {seconds:.1f} s"
    assert 0 < peak < MEMORY_BOUND_KIB, f"peak {peak} KiB"
    return lines[0]


# ----- numbers beyond 64 bits -----


def test_integer_literal_beyond_int64_in_yaml(tmp_path):
    text = spec().replace("{sigma: 1.0}", "{sigma: 1.0, big: 99999999999999999999}")
    line = assert_refused(tmp_path, text, r"outside the 64-bit range")
    assert ":3:" in line and "params.big" in line


def test_integer_literal_beyond_int64_in_an_expression(tmp_path):
    text = spec(extra_trial="  x: 99999999999999999999 * ground_truth\n")
    assert_refused(tmp_path, text, r"hostile\.yaml:8:\d+: trial\.x: a whole number here is outside the 64-bit range")


def test_float_literal_beyond_float64(tmp_path):
    assert_refused(tmp_path, spec(extra_trial="  x: 1e999\n"), r"trial\.x: the number 1e999 is outside the 64-bit")
    assert_refused(tmp_path, spec(extra_trial="  x: '2 * 1e999'\n"), r"trial\.x: a number here is outside the 64-bit")


@pytest.mark.parametrize("update", ["x * x", "x * x * x", "x * 1000 + 1"])
def test_session_variable_that_overflows_is_stopped(tmp_path, update):
    """int64 would wrap (2**64 is 0) and floats would become inf: both are refused at the entry."""
    text = spec(tail=f"session:\n  x: {{init: 2, next: {update}}}\n")
    assert_refused(tmp_path, text, r"hostile\.yaml:\d+:\d+: session\.x\.next: .*beyond \+-2\*\*53", "run",
                   "--trials", "300")


def test_state_variable_that_overflows_does_not_hang(tmp_path):
    """In `step`, state values are Python ints, which would grow without end: stopped at 2**53."""
    text = spec(stimulus=100_000, tail="state:\n  x: {init: 2, next: x * x}\n")
    assert_refused(tmp_path, text, r"state\.x\.next: .*beyond \+-2\*\*53", "run", "--trials", "5")


def test_overrides_beyond_int64_are_refused():
    with pytest.raises(taskspec.SpecError, match="dim_ring: expected a whole number"):
        taskspec.make("PerceptualDecisionMaking", dim_ring=10**30)


# ----- sizes -----


def test_size_draws_have_a_total_budget(tmp_path):
    """Twenty short lines, each a vector of 100,000 draws per trial: refused before drawing gigabytes."""
    lines = "".join(f"  v{i}: normal(0, 1, size=100000)\n" for i in range(20))
    assert_refused(tmp_path, spec(extra_trial=lines), r"trial\.v1: cannot evaluate: draws with size= would hold")


def test_broadcast_against_time_is_bounded(tmp_path):
    """(100000,) * (1, 2000, 1) would be 1.6 GB: refused when the vector is created."""
    text = spec(dt=1, stimulus=2000, inputs="  - {during: stimulus, where: stimulus, value: sum(ring(100000) * t)}\n")
    assert_refused(tmp_path, text, r"inputs\[1\]\.value: cannot evaluate: a vector of 100000 values")


@pytest.mark.parametrize(("extra", "value", "message"), [
    ("", "sum(sum([ring(100000)] * ring(100000)))", r"a list holds numbers \(one per trial at most\), but 'ring"),
])
def test_outer_products_are_refused(tmp_path, extra, value, message):
    """A second axis of values (a list of vectors) would square the size. (`onehot` of a vector of indices
    is one multi-hot vector since the type checker, not a second axis: nothing to refuse there.)"""
    text = spec(extra_trial=extra, inputs=f"  - {{during: stimulus, where: stimulus, value: '{value}'}}\n")
    assert_refused(tmp_path, text, r"inputs\[1\]\.value: " + message)  # at validate time, by the type checker


def test_expressions_holding_many_arrays_at_once_are_refused(tmp_path):
    """Each result held while the rest is computed may be as large as the observations: at most 6 at once."""
    x = "(coh * t + ring(2))"
    value = x
    for _ in range(functions.MAX_LIVE_ARRAYS):
        value = f"{x} * ({value})"
    text = spec(extra_trial="  coh: uniform(0, 1)\n", inputs=f"  - {{where: stimulus, value: '{value}'}}\n")
    assert_refused(tmp_path, text, r"inputs\[1\]\.value: expression holds more than 6 time-varying")


def test_batch_memory_is_bounded_before_allocating(tmp_path):
    """The case docs/limits.md used to get wrong: 99,999 steps of 40 noisy columns (3 GiB before)."""
    text = spec(dt=1, columns=39, stimulus=99_997,
                inputs="  - {during: stimulus, where: stimulus, value: 0.5, noise: sigma}\n")
    assert_refused(tmp_path, text, r"Hostile: periods: 64 trials of up to 99999 steps .* more than 2 GiB", "run")


def test_validation_work_is_bounded(tmp_path):
    """100 noisy inputs over 40 columns took 43 s to validate; now the work per batch is counted first."""
    noisy = "  - {during: stimulus, where: stimulus, value: 0.5, noise: sigma}\n" * 100
    text = spec(dt=1, columns=39, stimulus=2000, inputs=noisy)
    assert_refused(tmp_path, text, r"Hostile: inputs: 101 inputs writing 3901 columns .* more than 134217728")


@pytest.mark.parametrize(("key", "entry"), [
    ("inputs", "  - {where: fixation, value: 0}\n"),
    ("target", "  - {during: decision, value: 1}\n"),
    ("timeout", "  - {reward: 0}\n"),
    ("outcomes", "  - {when: false, reward: 0}\n"),
])
def test_lists_of_entries_are_counted(tmp_path, key, entry):
    text = spec().replace(f"\n{key}:\n", f"\n{key}:\n" + entry * 200 + "", 1)
    if f"\n{key}:\n" not in text:
        text += f"{key}:\n" + entry * 201
    limit = lower.MAX_PLACEMENTS if key in ("inputs", "target") else lower.MAX_RULES
    assert_refused(tmp_path, text, rf"{key}: at most {limit} entries are allowed, found 201")


@pytest.mark.parametrize("key", ["trial", "session", "state"])
def test_variables_are_counted(tmp_path, key):
    entry = "  v{i}: 1\n" if key == "trial" else "  v{i}: {{init: 0, next: 0}}\n"
    count = lower.MAX_VARIABLES + (0 if key == "trial" else 1)  # the spec has ground_truth already
    body = "".join(entry.format(i=i) for i in range(count))
    if key == "trial":
        text = spec(extra_trial=body)
    else:
        text = spec(tail=f"{key}:\n{body}")
    assert_refused(tmp_path, text, rf"{key}: at most {lower.MAX_VARIABLES} entries are allowed, found 201")


# ----- the file itself -----


def test_huge_file_is_refused_by_its_size_without_reading_it(tmp_path):
    """A sparse 10 GB file: only `stat` sees its size, so memory stays at the interpreter's own."""
    code, lines, stderr, peak, seconds = run_cli(tmp_path, "task: x\n", "validate")  # creates specs/hostile.yaml
    huge = tmp_path / "specs" / "hostile.yaml"
    with huge.open("r+b") as f:
        f.truncate(10 * 10**9)
    for command in (["validate", str(huge)], ["info", str(huge)], ["compile", str(huge)]):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", CHILD, *command], cwd=tmp_path / "work", capture_output=True,
                                text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert time.perf_counter() - start < SECONDS
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"larger than {loader.MAX_FILE_BYTES} bytes" in result.stderr
        assert int(re.search(r"@peak (\d+)", result.stderr).group(1)) < 200_000  # KiB: nothing was read


@pytest.mark.parametrize("text", ["task: " + "[" * 5000 + "]" * 5000 + "\n",
                                  "task: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
                                  "task:\n" + "".join("  " * i + "- \n" for i in range(1, 600))])
def test_deep_nesting_is_refused_before_pyyaml_recurses(tmp_path, text):
    assert_refused(tmp_path, text, rf"hostile\.yaml:\d+:\d+: nesting deeper than {loader.MAX_DEPTH} levels")


# ----- vector envs -----


@pytest.mark.parametrize("num_envs", [10**6, 10**9])
def test_num_envs_is_bounded_by_the_memory_budget(num_envs):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=f"num_envs={num_envs}: .* more than 2 GiB"):
        gym.make_vec("taskspec/PerceptualDecisionMaking-v0", num_envs=num_envs)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("num_envs", [0, -3, 2.5, True, "4"])
def test_num_envs_must_be_a_positive_whole_number(num_envs):
    for task in ("PerceptualDecisionMaking", "Bandit"):  # the native and the stepped vector env
        with pytest.raises(ValueError, match="num_envs must be a whole number of at least 1"):
            gym.make_vec(f"taskspec/{task}-v0", num_envs=num_envs)


def test_largest_num_envs_within_the_budget_works():
    env = taskspec.make("PerceptualDecisionMaking")
    n_obs, n_vec, _ = trials._widths(env)
    most = trials.MAX_BATCH_BYTES // (env.chunk_size * (trials.OB_BYTES * n_obs + 8 * n_vec + trials.CELL_BYTES))
    with pytest.raises(ValueError, match="more than 2 GiB"):
        trials.check_num_envs(env, most + 1)
    assert trials.check_num_envs(env, most) == most


def test_a_vector_env_of_many_envs_leaves_later_compiles_their_own_bound():
    """The rows a vector env's rules span bound its own steps only: a 500-trial window (a 500-wide vector)
    still compiles after a 40,000-env vector env was made (it once raised a process-wide bound)."""
    from taskspec.rl.vector import make_vector

    make_vector("PerceptualDecisionMaking", 40_000)
    assert functions.budget.cells == 1
    env = taskspec.make("perceptualdecisionmaking.shaping", window=500)
    env.reset(seed=0)
    for _ in range(20):
        env.step(env.gt_now)


WIDE_RULE = """
task: WideRule
dt: 100
observation: {input: 1}
action: {arm: 2}
trial:
  luck: uniform(0, 1)
periods: {choice: dt}
outcomes:
  - {reward: "luck * (sum(ring(20000)) > 0)", performance: 1, end_trial: true}
"""


@pytest.mark.parametrize(("num_envs", "refused"), [(100, False), (1000, True)])
def test_a_vector_env_bounds_the_vectors_its_rules_spread_over_its_envs(num_envs, refused):
    """20000 values x 1000 envs are more than MAX_VALUES; x 100 envs they fit (and a single env steps them)."""
    from taskspec.rl.vector import TrialVectorEnv

    envs = TrialVectorEnv(taskspec.load_text(WIDE_RULE), num_envs)
    envs.reset(seed=0)
    actions = [0] * num_envs
    if not refused:
        envs.step(actions)
        return
    wide = r"outcomes\[0\]\.\w+: cannot evaluate: a vector of 20000 values spread over 1000 trials x steps"
    with pytest.raises(taskspec.SpecError, match=wide):
        envs.step(actions)
    assert functions.budget.cells == 1  # the bound ended with the step that failed


# ----- YAML numbers -----


@pytest.mark.parametrize(("text", "value"), [("1e-3", 0.001), ("1E5", 100000.0), (".5", 0.5), ("+1", 1),
                                             ("-2.5e-1", -0.25), ("10", 10), ("[1e3, 2]", [1000.0, 2]),
                                             ("true", True), ("abc", "abc"), ("'1e-3'", "1e-3"), ("", None)])
def test_parse_value_reads_numbers_as_yaml_1_2(text, value):
    got = loader.parse_value(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", ["1e999", "99999999999999999999", "!!python/object:os.system x", "[" * 100])
def test_parse_value_refuses_what_a_spec_refuses(text):
    with pytest.raises(ValueError):
        loader.parse_value(text)


def test_exponent_numbers_are_numbers_in_a_spec(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(spec().replace("{sigma: 1.0}", "{sigma: 1e-3, scale: 1E2}").replace("dt: 100", "dt: 1e2"))
    env = taskspec.make(path)
    assert env.params == {"sigma": 0.001, "scale": 100.0} and env.dt == 100.0


def test_set_reads_exponent_numbers(tmp_path):
    from taskspec.cli import main

    assert main(["run", "PerceptualDecisionMaking", "--trials", "3", "--set", "sigma=1e-3"]) == 0
    assert main(["run", "PerceptualDecisionMaking", "--trials", "3", "--set", "sigma=1e999"]) == 2


def test_budget_constants_are_what_the_docs_say():
    text = (ROOT / "docs" / "limits.md").read_text()
    for value in (f"{functions.MAX_VALUES:,}", f"{functions.MAX_DRAWN:,}", f"{trials.MAX_FILL_VALUES:,}",
                  f"{lower.MAX_PLACEMENTS}", f"{lower.MAX_VARIABLES}", "2 GiB"):
        assert value in text, value
