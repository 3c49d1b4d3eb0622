"""What generated code leaves behind: NumPy's warnings are said at the spec's line (never a line of
generated code), `last_` names are reserved for defined functions too, compiled modules leave
`sys.modules` and `linecache` with their classes, and a long `extends` chain of `inherited` wrappers
is refused in words about the chain."""

import gc
import linecache
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import taskspec
from taskspec.cli import main

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
task: Hygiene
dt: 100
rewards: {correct: 1.0}
observation: {fixation: 1, stimulus: 1}
action: {fixation: 1, go: 1}
trial:
  signal: uniform(0, 1)
periods: {stimulus: 300, decision: 100}
inputs:
  - {during: stimulus, where: stimulus, value: VALUE}
target:
  - {during: decision, value: go}
outcomes:
  - {during: decision, when: action == go, reward: correct, performance: 1, end_trial: true}
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_numpy_warnings_are_said_at_the_spec_line_by_the_command_line(tmp_path, capsys):
    """Both branches of `a if c else b` are computed for every trial, so log() of a negative number warns
    although the spec is sound: a warning (not an error), at the input's line, no generated code."""
    spec = write(tmp_path, "w.yaml", SPEC.replace("VALUE", '"0 if signal < 2 else log(signal - 2)"'))
    assert main(["run", str(spec), "--trials", "3"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"warning: {spec}:10:48: inputs[0].value: invalid value encountered in log (NumPy, while computing this value)"
    ]


def test_numpy_warnings_in_a_session_update_and_in_a_script(tmp_path):
    """A script calling `make` (Python's own warning display) sees the spec's line too."""
    text = SPEC.replace("VALUE", "signal").replace(
        "trial:\n", "session:\n  z: {init: 1.0, next: z / (z - z)}\ntrial:\n"
    )
    spec = write(tmp_path, "s.yaml", text)
    script = (
        "import taskspec\n"
        "try:\n"
        f"    env = taskspec.make({str(spec)!r})\n"
        "    env.reset(seed=0)\n"
        "    for _ in range(20): env.step(env.gt_now)\n"
        "except taskspec.SpecError as exc: print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "taskspec-generated" not in done.stderr and "fn." not in done.stderr and "z = " not in done.stderr
    assert f"warning: {spec}:7:24: session.z.next: divide by zero encountered in divide" in done.stderr
    assert f"{spec}:7:24: session.z.next: cannot evaluate" in done.stdout


@pytest.mark.parametrize(
    ("define", "path"),
    [
        ("last_x: {args: [v], value: v + 1}", "define.last_x"),
        ("f: {args: [last_v], value: last_v + 1}", "define.f.args[0]"),
    ],
)
def test_last_names_are_reserved_for_defined_functions_and_their_arguments(tmp_path, define, path):
    spec = write(
        tmp_path, "d.yaml", SPEC.replace("VALUE", "signal").replace("trial:\n", f"define:\n  {define}\ntrial:\n")
    )
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.load(spec)
    assert f": {path}: '" in str(err.value)
    assert "names starting with 'last_' are kept for the previous trial's values" in str(err.value)


def generated() -> tuple[int, int]:
    modules = sum(name.startswith("taskspec._generated.") for name in list(sys.modules))
    lines = sum(str(name).startswith("<taskspec-generated-") for name in list(linecache.cache))
    return modules, lines


def test_compiled_modules_are_evicted_with_their_classes():
    from taskspec import library

    kept = taskspec.load_text(SPEC.replace("VALUE", "signal * 7"))()  # an env alive through the evictions
    for k in range(300):
        cls = taskspec.load_text(SPEC.replace("VALUE", f"signal + {k}"))
        cls().reset(seed=0)
    del cls
    gc.collect()
    modules, lines = generated()
    assert modules <= library.MAX_COMPILED + 20 and lines <= library.MAX_COMPILED + 20, (modules, lines)
    kept.reset(seed=1)  # an env of an evicted class keeps its module while it lives
    kept.step(kept.gt_now)
    assert type(kept).__module__ in sys.modules
    import pickle

    assert pickle.loads(pickle.dumps(kept)).task_name == "Hygiene"


def test_a_long_chain_of_inherited_wrappers_is_refused_in_words_about_the_chain(tmp_path):
    long_sum = " + ".join(str(k) for k in range(1, 26))
    write(
        tmp_path,
        "base.yaml",
        SPEC.replace("uniform(0, 1)", f"uniform(0, 1) + 0.0001 * ({long_sum})").replace("VALUE", "signal"),
    )
    parent = "base.yaml"
    for k in range(1, 8):
        write(tmp_path, f"c{k}.yaml", f"task: C{k}\nextends: {parent}\ntrial:\n  signal: (inherited + inherited) / 2\n")
        parent = f"c{k}.yaml"
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.load(tmp_path / "c7.yaml")
    message = str(err.value)
    assert "unknown name 'inherited'" not in message
    assert (
        "with the inherited expression put in for 'inherited' the expression is longer than 2000 characters" in message
    )
    assert textwrap.dedent(message).count("\n") == 0
