"""The command line: every subcommand's success path, its exit codes, and no tracebacks for user mistakes."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import taskspec
from taskspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
LOCATED = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): (?P<message>.+)$")

GOOD_SPEC = """\
task: CliTiny
dt: 100
observation: {fixation: 1}
action: {fixation: 1, choice: 2}
trial:
  ground_truth: choice([1, 2])
periods: {fixation: FIXATION, decision: 100}
target:
  - {during: decision, value: ground_truth}
outcomes:
  - {during: decision, when: action == target, reward: 1, performance: 1, end_trial: true}
"""


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ----- validate -----

def test_validate_bundled_tasks(capsys):
    code, out, err = run_cli(capsys, "validate", *taskspec.list_tasks(), "tasks/GoNogo.yaml")
    assert code == 0, err
    assert out.splitlines() == [f"OK: {name}" for name in taskspec.list_tasks()] + ["OK: tasks/GoNogo.yaml"]


def test_validate_unknown_key_is_located(tmp_path, capsys):
    bad = write(tmp_path, "bad_key.yaml", GOOD_SPEC.replace("FIXATION", "100") + "colour: red\n")
    code, out, err = run_cli(capsys, "validate", str(bad))
    assert code == 1
    assert out == ""
    match = LOCATED.match(err.splitlines()[0])
    assert match, err
    assert (match["file"], match["line"], match["path"]) == (str(bad), "12", "colour")
    assert "unknown key 'colour'" in match["message"]


def test_validate_reports_every_semantic_problem_and_continues(tmp_path, capsys):
    """An unknown period in a rule and in an input: both reported, and the next spec is still checked."""
    text = GOOD_SPEC.replace("FIXATION", "100").replace("during: decision, when", "during: stimulus, when")
    text += "inputs:\n  - {during: fixaton, where: fixation, value: 1}\n"
    bad = write(tmp_path, "bad_period.yaml", text)
    code, out, err = run_cli(capsys, "validate", str(bad), "GoNogo")
    assert code == 1
    assert out.splitlines() == ["OK: GoNogo"]
    lines = err.splitlines()
    assert len(lines) == 2 and all(LOCATED.match(line) for line in lines), err
    assert any(":11:" in line and "outcomes[0].during: unknown period 'stimulus'" in line for line in lines)
    assert any(":13:" in line and "unknown period 'fixaton' (did you mean 'fixation'?)" in line for line in lines)


def test_validate_shows_spec_warnings(tmp_path, capsys):
    spec = write(tmp_path, "rounded.yaml", GOOD_SPEC.replace("FIXATION", "150").replace("CliTiny", "CliRounded"))
    code, out, err = run_cli(capsys, "validate", str(spec))
    assert code == 0
    assert out == f"OK: {spec}\n"
    line = next(i for i, text in enumerate(spec.read_text().splitlines(), 1) if "150" in text)
    column = spec.read_text().splitlines()[line - 1].index("150") + 1
    assert err.splitlines() == [  # located at the duration in the spec
        f"warning: {spec}:{line}:{column}: periods.fixation: 150 ms is not a multiple of dt=100 ms; "
        "it is rounded down to 100 ms"]


def test_run_and_info_take_a_spec_file(tmp_path, capsys):
    spec = write(tmp_path, "my_task.yaml", GOOD_SPEC.replace("FIXATION", "100"))
    code, out, _ = run_cli(capsys, "run", str(spec), "--trials", "3", "--json")
    assert code == 0 and json.loads(out)["task"] == "CliTiny"
    code, out, _ = run_cli(capsys, "info", str(spec), "--json")
    assert code == 0 and json.loads(out)["name"] == "CliTiny"


def test_validate_unknown_task_and_missing_file(capsys):
    code, _, err = run_cli(capsys, "validate", "PerceptualDecisionMakin", "no/such/file.yaml")
    assert code == 1
    assert "did you mean 'PerceptualDecisionMaking'?" in err
    assert "no/such/file.yaml: no such spec file" in err


# ----- compile -----

def test_compile_to_stdout_and_file(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "compile", "GoNogo")
    assert code == 0
    assert out == taskspec.compile_source("GoNogo")
    compile(out, "GoNogo.py", "exec")  # valid Python
    target = tmp_path / "gonogo.py"
    code, out, _ = run_cli(capsys, "compile", "GoNogo", "-o", str(target))
    assert (code, out) == (0, "")
    assert target.read_text() == taskspec.compile_source("GoNogo")


def test_compile_into_missing_directory_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "missing" / "out.py"
    code, out, err = run_cli(capsys, "compile", "GoNogo", "-o", str(target))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"taskspec: cannot write {target}: no such directory '{target.parent}'"]
    assert not target.exists()


def test_compile_bad_spec_exits_1(tmp_path, capsys):
    bad = write(tmp_path, "bad.yaml", GOOD_SPEC.replace("FIXATION", "100") + "colour: red\n")
    code, out, err = run_cli(capsys, "compile", str(bad), "-o", str(tmp_path / "out.py"))
    assert (code, out) == (1, "")
    assert LOCATED.match(err.splitlines()[0])
    assert not (tmp_path / "out.py").exists()


# ----- list, info, schema -----

def test_list_all_with_tags(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == taskspec.list_tasks()
    columns = {line.index(", ".join(taskspec.load_spec(line.split()[0]).tags)) for line in lines}
    assert len(columns) == 1  # tags aligned in one column


def test_list_by_tag(capsys):
    code, out, _ = run_cli(capsys, "list", "--tag", "go-no-go")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    tagged = [name for name in taskspec.list_tasks() if "go-no-go" in taskspec.load_spec(name).tags]
    assert names == tagged and {"GoNogo", "ReadySetGo"} <= set(names)
    assert "PerceptualDecisionMaking" not in out
    code, out, _ = run_cli(capsys, "list", "--tag", "go-no-go", "--json")
    assert code == 0
    assert json.loads(out) == tagged


def test_list_unknown_tag_suggests(capsys):
    code, out, err = run_cli(capsys, "list", "--tag", "gonogo", "--json")
    assert (code, json.loads(out)) == (0, [])
    code, out, err = run_cli(capsys, "list", "--tag", "gonogo")
    assert "did you mean 'go-no-go'?" in err


def test_info_text(capsys):
    code, out, _ = run_cli(capsys, "info", "PerceptualDecisionMaking")
    assert code == 0
    assert out.startswith("PerceptualDecisionMaking\n  Two-alternative forced choice")
    assert "Britten et al. (1992)" in out and "https://www.jneurosci.org/content/12/12/4745" in out
    assert re.search(r"^  stimulus +2000 +fixation$", out, flags=re.M)
    assert re.search(r"^  choice +\[1, 2\]$", out, flags=re.M)
    assert re.search(r"^  sigma +float +1 +0 +- +input noise", out, flags=re.M)
    assert re.search(r"^  abort +-0\.1$", out, flags=re.M)


def test_info_json(capsys):
    code, out, _ = run_cli(capsys, "info", "ReadySetGo", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["name"] == "ReadySetGo"
    assert info["dt"] == 80
    assert "go-no-go" in info["tags"]
    assert info["periods"]["measure"] == {"duration": "measure", "after": "fixation"}
    assert info["observation"] == {"space": "Box(-inf, inf, (3,), float32)", "size": 3,
                                   "groups": {"fixation": 0, "ready": 1, "set": 2}}
    assert info["action"]["groups"] == {"fixation": 0, "go": 1} and info["action"]["size"] == 2
    assert info["params"]["gain"] == {"kind": "float", "default": 1.0, "min": 0.0, "max": None,
                                      "doc": "production interval / measured interval"}
    assert info["rewards"] == {"abort": -0.1, "correct": 1.0, "fail": 0.0}


def test_info_unknown_task(capsys):
    code, out, err = run_cli(capsys, "info", "GoNoGo")
    assert (code, out) == (1, "")
    assert err.strip() == "GoNoGo: no bundled task named 'GoNoGo' (did you mean 'GoNogo'?)"


def test_schema(capsys):
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema == taskspec.compiler.models.TaskSpec.model_json_schema()
    assert "periods" in schema["properties"]


def test_version(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert (code, out.strip()) == (0, f"taskspec {taskspec.__version__}")


# ----- run -----

def test_run_ground_truth_beats_random(capsys):
    code, out, _ = run_cli(capsys, "run", "PerceptualDecisionMaking", "--json")
    assert code == 0
    result = json.loads(out)
    truth, chance = result["policies"]["ground_truth"], result["policies"]["random"]
    assert result["trials"] == 200 and result["dt"] == 100
    assert truth["performance"] == 1.0 and truth["reward_per_trial"] == 1.0
    assert chance["performance"] < 0.6
    assert result["steps_per_trial"] == {"mean": 22.0, "min": 22, "max": 22}
    assert result["observation_space"] == "Box(-inf, inf, (3,), float32)  fixation=0 stimulus=[1, 2]"


def test_run_text_summary(capsys):
    code, out, _ = run_cli(capsys, "run", "PerceptualDecisionMaking", "--trials", "50")
    assert code == 0
    assert re.search(r"^task +PerceptualDecisionMaking$", out, flags=re.M)
    assert re.search(r"^action +Discrete\(3\)  fixation=0 choice=\[1, 2\]$", out, flags=re.M)
    truth = re.search(r"^ground_truth +22\.0 +22 +22 +(\S+) +(\S+)$", out, flags=re.M)
    chance = re.search(r"^random +\S+ +\d+ +\d+ +(\S+) +(\S+)$", out, flags=re.M)
    assert truth and chance, out
    assert float(truth[2]) == 1.0 and float(chance[2]) < 0.6


def test_run_is_reproducible_by_seed(capsys):
    outs = [run_cli(capsys, "run", "GoNogo", "--trials", "30", "--seed", seed, "--json")[1] for seed in ("1", "1", "2")]
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["policies"] != json.loads(outs[2])["policies"]


def test_run_set_overrides(capsys):
    code, out, _ = run_cli(capsys, "run", "PerceptualDecisionMaking", "--trials", "20", "--set", "sigma=0.5",
                           "--set", "cohs=[0, 50]", "--set", "dt=50", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["overrides"] == {"sigma": 0.5, "cohs": [0, 50], "dt": 50}
    assert result["dt"] == 50
    assert result["steps_per_trial"]["mean"] == 43  # 100 ms fixation + 2000 ms stimulus, then one decision step
    assert result["policies"]["ground_truth"]["performance"] == 1.0


def test_run_shows_rounding_warning_once(capsys):
    code, _, err = run_cli(capsys, "run", "GoNogo", "--trials", "5", "--set", "dt=30")
    assert code == 0
    assert err.count("warning: tasks/GoNogo.yaml:19:34: periods.stimulus: 500 ms is not a multiple of dt=30 ms") == 1


def test_run_unknown_parameter_exits_1(capsys):
    code, out, err = run_cli(capsys, "run", "PerceptualDecisionMaking", "--set", "nosuch=1")
    assert (code, out) == (1, "")
    assert "nosuch" in err
    assert "unknown parameter 'nosuch'" in err


def test_run_bad_parameter_value_exits_1(capsys):
    code, _, err = run_cli(capsys, "run", "PerceptualDecisionMaking", "--set", "sigma=-1")
    assert code == 1
    assert "params.sigma" in err and "below the minimum" in err


@pytest.mark.parametrize("item", ["bad", "=1", "cohs=[1,"])
def test_run_malformed_set_is_a_usage_error(capsys, item):
    code, out, err = run_cli(capsys, "run", "PerceptualDecisionMaking", "--set", item)
    assert (code, out) == (2, "")
    assert err.startswith("taskspec: --set") and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["run", "GoNogo", "--trials", "0"], ["run"], ["frobnicate"], []])
def test_argparse_usage_errors_exit_2(capsys, argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert "usage: taskspec" in err


# ----- as a script -----

def test_cli_py_from_repo_root():
    proc = subprocess.run([sys.executable, "cli.py", "run", "GoNogo", "--trials", "20", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["policies"]["ground_truth"]["performance"] == 1.0
    proc = subprocess.run([sys.executable, "cli.py", "run", "GoNogo", "--set", "bad"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "taskspec: --set expects KEY=VALUE, got 'bad'\n"


# ----- mistakes in arguments, names and files: one line, exit 1 (spec) or 2 (usage), never a traceback -----

def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["run", "GoNogo", "--seed", "-1"],
    ["run", "GoNogo", "--seed", "1.5"],
    ["dataset", "GoNogo", "-n", "3", "-o", "x.npz", "--seed", "-3"],
    ["plot", "GoNogo", "-o", "x.png", "--seed", "-2"],
    ["plot", "GoNogo", "-o", "x.png", "--trials", "0"],
    ["psychometric", "GoNogo", "--variable", "coh", "--seed", "-1"],
    ["psychometric", "GoNogo", "--variable", "coh", "--trials", "-5"],
    ["psychometric", "GoNogo", "--variable", "coh", "--noise", "nan"],
    ["psychometric", "GoNogo", "--variable", "coh", "--noise", "0"],
])
def test_bad_numbers_in_arguments_are_usage_errors(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, "")
    option = argv[-2]  # each case ends with the faulty option and its value
    assert re.fullmatch(rf"taskspec \w+: error: argument {option}: expected a (whole|positive) number.*",
                        err.splitlines()[-1]), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("item", "message"), [
    ("rewards=5", "rewards: expected a mapping of reward names to numbers, e.g. rewards={name: value}, got 5"),
    ("timing=[1]", "timing: expected a mapping of period names to durations in ms, e.g. timing={name: value}, got [1]"),
    ("self=1", "params.self: unknown parameter 'self'"),
    ("rewards={1: 2}", "rewards.1: unknown reward '1'"),
    ("rewards={correct: [1, 2]}", "rewards.correct: expected a number, got [1, 2]"),
])
def test_run_set_mistakes_are_one_located_line(capsys, item, message):
    code, out, err = run_cli(capsys, "run", "PerceptualDecisionMaking", "--set", item)
    assert (code, out) == (1, "")
    assert one_line(err) == f"PerceptualDecisionMaking (make arguments): {message}"


@pytest.mark.parametrize(("kwargs", "path"), [({"rewards": 5}, "rewards"), ({"timing": [1]}, "timing"),
                                              ({"timing": "fixation"}, "timing"), ({"self": 1}, "params.self")])
def test_make_with_malformed_overrides_raises_a_spec_error(kwargs, path):
    with pytest.raises(taskspec.SpecError) as caught:
        taskspec.make("PerceptualDecisionMaking", **kwargs)
    [problem] = caught.value.problems
    assert (problem.file, problem.path) == ("PerceptualDecisionMaking (make arguments)", path)


EVALUATION_ERROR = GOOD_SPEC.replace("FIXATION", "1000 / (n - 3)") + "params: {n: 3}\n"


@pytest.mark.parametrize("name", ["spec (1).yaml", "a (b) (c).yaml", "x:1:2 (3).yaml"])
def test_file_names_with_parentheses_and_colons_are_reported_whole(tmp_path, capsys, name):
    """An error found while evaluating an expression is located in the file, whatever its name."""
    spec = write(tmp_path, name, EVALUATION_ERROR)
    code, out, err = run_cli(capsys, "validate", str(spec))
    assert (code, out) == (1, "")
    match = LOCATED.match(one_line(err))
    assert match, err
    assert (match["file"], match["line"], match["col"], match["path"]) == (str(spec), "7", "21", "periods.fixation")
    assert match["message"] == "cannot evaluate: division by zero"


def test_compiled_module_of_a_file_with_parentheses_reports_the_whole_name(tmp_path, monkeypatch):
    spec = write(tmp_path, "spec (1).yaml", EVALUATION_ERROR.replace("params: {n: 3}", "params: {n: 4}"))
    module = tmp_path / "compiled_paren.py"
    module.write_text(taskspec.compile_source(spec))
    monkeypatch.syspath_prepend(str(tmp_path))
    cls = __import__("compiled_paren").CliTiny
    with pytest.raises(taskspec.SpecError) as caught:
        cls(n=3).reset(seed=0)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(spec), 7, 21)


NOT_UTF8 = os.fsdecode(b"caf\xe9.yaml")  # a Latin-1 name, as the command line hands it to Python


@pytest.mark.parametrize("argv", [["validate", NOT_UTF8], ["run", NOT_UTF8], ["info", NOT_UTF8],
                                  ["compile", NOT_UTF8], ["compile", "GoNogo", "-o", NOT_UTF8],
                                  ["validate", "GoNogo", NOT_UTF8], ["run", "GoNogo", "--set", "sigma=" + NOT_UTF8]])
def test_non_utf8_arguments_are_one_readable_line(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    (tmp_path / NOT_UTF8).write_text(GOOD_SPEC.replace("FIXATION", "100"))
    before = sorted(tmp_path.iterdir())
    code, out, err = run_cli(capsys, *argv)
    assert (code, out) == (2, "")
    line = one_line(err)
    assert line.startswith("taskspec: argument '") and "caf\\xe9.yaml' is not valid UTF-8 text" in line
    line.encode("utf-8")  # printable as it stands
    assert sorted(tmp_path.iterdir()) == before


def test_non_utf8_file_name_through_a_real_command_line(tmp_path):
    spec = tmp_path / NOT_UTF8
    spec.write_text(GOOD_SPEC.replace("FIXATION", "100"))
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "validate", os.fsencode(spec)],
                          capture_output=True, timeout=120, check=False)
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr.decode("utf-8") == f"taskspec: argument '{tmp_path}/caf\\xe9.yaml' is not valid UTF-8 text; " \
                                          "if it names a file, rename the file\n"


def test_dataset_budget_message_names_what_the_command_can_change(tmp_path, capsys):
    output = tmp_path / "long.npz"
    # chunks are sized by steps (issue 22), so only trials too long for even an env's own chunk of 64 fail
    code, out, err = run_cli(capsys, "dataset", "PerceptualDecisionMaking", "-n", "10", "-o", str(output),
                             "--set", "dim_ring=500", "--set", "timing={stimulus: 200000}", "--quiet")
    assert (code, out) == (1, "")
    line = one_line(err)
    assert line.startswith("PerceptualDecisionMaking: periods: 64 trials of up to 2002 steps") and "GiB" in line
    assert "chunk_size" not in line
    assert line.endswith("that is the smallest chunk `taskspec dataset` builds: shorten the trials "
                         "(--set timing={period: ms}) or use a larger step (--set dt=...)")
    assert list(tmp_path.iterdir()) == []


def test_dataset_advice_is_followed_by_a_working_command(tmp_path, capsys):
    """The advice works: a larger dt brings the same 2000 s stimulus within the budget."""
    output = tmp_path / "long.npz"
    code, _, err = run_cli(capsys, "dataset", "PerceptualDecisionMaking", "-n", "2", "-o", str(output),
                           "--set", "timing={stimulus: 2000000}", "--set", "dt=4000", "--quiet")
    assert code == 0, err
    assert output.is_file()


def test_compile_refuses_to_overwrite_its_own_spec(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = write(tmp_path, "X.yaml", GOOD_SPEC.replace("FIXATION", "100"))
    (tmp_path / "sub").mkdir()
    os.symlink(spec, tmp_path / "link.py")
    os.link(spec, tmp_path / "hard.py")
    for output in ("X.yaml", str(spec), "./sub/../X.yaml", "link.py", "hard.py"):
        code, out, err = run_cli(capsys, "compile", "X.yaml", "-o", output)
        assert (code, out) == (2, "")
        assert one_line(err) == (f"taskspec: refusing to overwrite the spec X.yaml (-o {output}); "
                                 "choose another output file")
    assert spec.read_text() == GOOD_SPEC.replace("FIXATION", "100")
    code, out, err = run_cli(capsys, "new", "Y", "--from", "X.yaml", "-o", "hard.py", "--force")
    assert code == 2 and "refusing to overwrite the --from task X.yaml" in one_line(err)
    assert spec.read_text() == GOOD_SPEC.replace("FIXATION", "100")


def test_compile_and_new_replace_a_symlink_instead_of_writing_through_it(tmp_path, capsys):
    victim = write(tmp_path, "victim.txt", "keep me\n")
    for argv, name in ((["compile", "GoNogo", "-o"], "out.py"), (["new", "CliLinked", "--force", "-o"], "new.yaml")):
        link = tmp_path / name
        os.symlink(victim, link)
        code, _, err = run_cli(capsys, *argv, str(link))
        assert code == 0, err
        assert not link.is_symlink() and link.is_file()
        assert victim.read_text() == "keep me\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted({"victim.txt", "out.py", name})  # no temp files
    assert (tmp_path / "out.py").read_text() == taskspec.compile_source("GoNogo")
    assert taskspec.load(tmp_path / "new.yaml").task_name == "CliLinked"


def test_new_without_force_refuses_a_dangling_symlink(tmp_path, capsys):
    link = tmp_path / "T.yaml"
    os.symlink(tmp_path / "elsewhere.yaml", link)
    code, out, err = run_cli(capsys, "new", "T", "-o", str(link))
    assert (code, out) == (2, "")
    assert one_line(err) == f"taskspec: {link} exists; use --force to overwrite it"
    assert not (tmp_path / "elsewhere.yaml").exists()


@pytest.mark.parametrize("expression", ["mod(1, 0)", "mod(ground_truth, 0)", "mod(ground_truth, [1, 0])",
                                        "mod(3, n - 3)"])
def test_mod_by_zero_is_an_error_like_division_by_zero(tmp_path, capsys, expression):
    text = GOOD_SPEC.replace("FIXATION", "100") + "params: {n: 3}\n"
    text = text.replace("  ground_truth: choice([1, 2])\n", f"  ground_truth: choice([1, 2])\n  m: {expression}\n")
    spec = write(tmp_path, "mod.yaml", text)
    code, out, err = run_cli(capsys, "validate", str(spec))
    assert (code, out) == (1, "")
    match = LOCATED.match(one_line(err))
    assert match and (match["line"], match["path"]) == ("7", "trial.m"), err
    assert match["message"] == "cannot evaluate: mod(x, 0): modulo by zero"


def test_mod_keeps_numpy_results_for_nonzero_divisors():
    from taskspec.runtime import functions as fn

    assert fn.mod(7, 3) == 1 and fn.mod(-1, 3) == 2 and fn.mod(1, -3) == -2
    assert fn.mod(7.5, 2 * np.pi) == pytest.approx(7.5 - 2 * np.pi)
    np.testing.assert_array_equal(fn.mod(np.arange(6), np.array([4, 4, 4, 5, 5, 5])), [0, 1, 2, 3, 4, 0])
    with pytest.raises(ZeroDivisionError):
        fn.mod(np.arange(3), np.array([1, 0, 2]))
    with pytest.raises(ZeroDivisionError):
        fn.mod(1.5, 0.0)


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "taskspec.cli", "run", "GoNogo", "--seed", "-1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == ("taskspec run: error: argument --seed: "
                                            "expected a whole number >= 0, got '-1'")
