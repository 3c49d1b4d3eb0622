"""The command line: every subcommand's success path, its exit codes, and no tracebacks for user mistakes."""

import json
import re
import subprocess
import sys
from pathlib import Path

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
    assert err.splitlines() == [
        "warning: CliRounded: periods.fixation: 150 ms is not a multiple of dt=100 ms; it is rounded down to 100 ms"]


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
    assert err.splitlines() == [f"taskspec: cannot write {target}: No such file or directory"]
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
    assert schema == taskspec.models.TaskSpec.model_json_schema()
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
    assert err.count("warning: GoNogo: periods.stimulus: 500 ms is not a multiple of dt=30 ms") == 1


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
