"""`taskspec web`: the experiment folder, its keys, refusals, the session runner and `read_human`.

No browser here (tests/test_browser.py runs the pages in Chromium): the folder's files and what
they reference are checked as text, the trial runner (taskspec-session.js) runs in Node with a
scripted participant, and read_human is checked against a participant simulated in Python.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import taskspec
from taskspec.cli import main
from taskspec.tools.analysis import psychometric, rollout_choices
from taskspec.web import experiment, vendor_jspsych
from taskspec.web.experiment import write_experiment

sys.path.insert(0, str(Path(__file__).parent))
from human_sim import simulated_log  # noqa: E402

NODE = "/usr/bin/node"
FIXTURES = Path(__file__).parent / "web_fixtures"
SESSION_JS = experiment.STATIC / "taskspec-session.js"
PDM = "PerceptualDecisionMaking"
CONFIG = re.compile(r'id="taskspec-config"[^>]*>(.*?)</script>')


class References(HTMLParser):
    """Every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("src", "href") and value is not None]


def references(page: Path) -> list[str]:
    parser = References()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def test_folder_has_its_files_and_references_only_local_ones(tmp_path: Path) -> None:
    assert experiment.jspsych_vendored(), "jsPsych is not vendored: run python -m taskspec.web.vendor_jspsych"
    out = tmp_path / "exp"
    written = write_experiment(PDM, out, trials=7)
    names = {p.relative_to(out).as_posix() for p in written}
    assert {"index.html", "page.js", "page.css", "taskspec-session.js", "taskspec-runtime.js", "task.js"} <= names
    assert {"jspsych.html", "jspsych-taskspec.js", "jspsych/jspsych.js", "jspsych/jspsych.css"} <= names
    for page in ("index.html", "jspsych.html"):
        refs = references(out / page)
        assert refs, page
        for ref in refs:
            if ref == "#":  # the download links, filled with Blob URLs at the end
                continue
            assert not re.match(r"[a-z]+:", ref) and not ref.startswith("/"), (page, ref)
            assert (out / ref).is_file(), (page, ref)
    ours = ["index.html", "jspsych.html", "page.js", "page.css", "taskspec-session.js", "jspsych-taskspec.js"]
    for name in ours + ["task.js", "taskspec-runtime.js"]:
        assert not re.search(r"https?://", (out / name).read_text(encoding="utf-8")), name
    config = json.loads(
        re.search(r'id="taskspec-config"[^>]*>(.*?)</script>', (out / "index.html").read_text()).group(1)
    )
    assert config == {
        "task": PDM,
        "params": {},
        "dt": 100.0,
        "keys": {"f": 1, "j": 2},
        "trials": 7,
        "feedback_ms": 500.0,
    }


def test_vendored_jspsych_matches_its_record() -> None:
    record = json.loads(vendor_jspsych.RECORD.read_text())
    assert record["version"] == vendor_jspsych.VERSION and record["version"].startswith("8.")
    assert record["integrity"] == vendor_jspsych.INTEGRITY
    assert vendor_jspsych.vendored() == record["files"]
    for name, digest in record["files"].items():
        data = (experiment.VENDOR / "jspsych" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
    assert b"initJsPsych" in (experiment.VENDOR / "jspsych" / "jspsych.js").read_bytes()


def test_the_wheel_takes_the_vendored_files_though_git_ignores_them() -> None:
    root = Path(__file__).resolve().parent.parent
    build = (root / "pyproject.toml").read_text().split("\n[tool.hatch.build]\n", 1)[1].split("\n[", 1)[0]
    assert 'artifacts = ["taskspec/web/vendor/jspsych/*"]' in build.splitlines()
    assert "taskspec/web/vendor/jspsych/" in (root / ".gitignore").read_text().splitlines()


def test_spec_text_reaches_the_page_only_as_data(tmp_path: Path) -> None:
    text = (Path(taskspec.__file__).parent.parent / "tasks" / f"{PDM}.yaml").read_text()
    hostile = "</script><script>alert(1)</script> & <b>bold</b>"
    spec = tmp_path / "hostile.yaml"
    spec.write_text(text.replace("  Two-alternative forced choice:", f"  {hostile} Two-alternative forced choice:"))
    assert taskspec.load(spec).__doc__ and hostile in taskspec.load(spec).__doc__
    write_experiment(spec, tmp_path / "exp", params={"cohs": [0, 51.2]}, trials=3)
    html = (tmp_path / "exp" / "index.html").read_text()
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in html
    block = CONFIG.search(html).group(1)
    assert json.loads(block)["params"] == {"cohs": [0, 51.2]}


def _config(out: Path) -> dict:
    return json.loads((out / experiment.MANIFEST).read_text())


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([], {"f": 1, "j": 2}),
        (["--keys", "J,F"], {"j": 1, "f": 2}),
        (["--keys", "choice=left,right"], {"ArrowLeft": 1, "ArrowRight": 2}),
        (["--keys", "choice=space,enter"], {" ": 1, "Enter": 2}),
    ],
)
def test_keys_option(tmp_path: Path, capsys: pytest.CaptureFixture[str], keys: list[str], expected: dict) -> None:
    assert main(["web", PDM, "-o", str(tmp_path / "exp"), *keys]) == 0
    assert _config(tmp_path / "exp")["keys"] == expected
    shown = re.findall(r"<kbd>(.*?)</kbd>", (tmp_path / "exp" / "index.html").read_text())
    assert len(shown) == 2 and "wrote" in capsys.readouterr().out


def test_many_responses_get_the_keyboard_rows(tmp_path: Path) -> None:
    """AntiReach answers in 32 directions: the default keys run along the keyboard's rows."""
    write_experiment("AntiReach", tmp_path / "exp", trials=2)
    keys = _config(tmp_path / "exp")["keys"]
    fixate, actions = experiment.response_actions(taskspec.make("AntiReach"))
    assert len(actions) == 32 and fixate == 0 and fixate not in keys.values()
    by_action = sorted(keys, key=keys.__getitem__)
    assert by_action == list("1234567890qwertyuiopasdfghjklzxc")
    assert sorted(keys.values()) == [index for index, _, _ in actions] == list(range(1, 33))


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (["--keys", "chioce=f,j"], "has no response group 'chioce' (did you mean 'choice'?)"),
        (["--keys", "f"], "has 2 response actions, got 1 keys"),
        (["--keys", "f,f"], "key 'f' is given to two actions"),
        (["--keys", "ff,j"], "key 'ff' is neither one character nor one of"),
        (["--keys", "choice"], None),  # one group name alone reads as one key: 'choice' is not a key
    ],
)
def test_bad_keys_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keys: list[str], message: str | None
) -> None:
    assert main(["web", PDM, "-o", str(tmp_path / "exp"), *keys]) == 2
    err = capsys.readouterr().err
    assert err.startswith("taskspec: ") and "Traceback" not in err
    if message:
        assert message in err
    assert not (tmp_path / "exp").exists()


def test_a_folder_with_other_files_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["web", PDM, "-o", str(tmp_path)]) == 2
    assert "not empty and was not written by `taskspec web`" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert main(["web", PDM, "-o", str(tmp_path / "exp"), "--trials", "3"]) == 0  # and a written one is rewritten
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text("not to be overwritten")
    (tmp_path / "exp" / "index.html").unlink()
    (tmp_path / "exp" / "index.html").symlink_to(elsewhere)
    assert main(["web", PDM, "-o", str(tmp_path / "exp"), "--trials", "4"]) == 0
    assert _config(tmp_path / "exp")["trials"] == 4
    assert elsewhere.read_text() == "not to be overwritten" and not (tmp_path / "exp" / "index.html").is_symlink()


def test_a_refused_task_is_refused_at_its_spec_location(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from taskspec.web.scripts import browser_refusals

    refused = next((name for name in taskspec.list_tasks() if browser_refusals(name)), None)
    assert refused is not None, "no bundled task is refused by the browser backend"
    problems = browser_refusals(refused)
    assert main(["web", refused, "-o", str(tmp_path / "exp")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [str(p) for p in problems]
    assert all(re.match(r".+\.yaml:\d+:\d+: ", line) for line in err), err
    assert not (tmp_path / "exp").exists()


def run_session(runtime: Path, task: Path, name: str, seed: int, script: dict, tmp_path: Path) -> dict:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script))
    args = [
        NODE,
        str(FIXTURES / "run_session.js"),
        str(SESSION_JS),
        str(runtime),
        str(task),
        name,
        str(seed),
        str(path),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_session_maps_presses_to_steps_and_logs_them(tmp_path: Path) -> None:
    """The runner with a hand-written stand-in env (a test fixture): which step a press lands in,
    the choice, response time and onsets it logs, and the CSV, read back by read_human."""
    script = {
        "keys": {"f": 1, "j": 2},
        "trials": 5,
        "frame_ms": 16.667,
        "feedback_ms": 300,
        "presses": [["f", 2150], ["j", 2105], ["f", 550], None, ["j", 1990, 2110]],
    }
    out = run_session(FIXTURES / "standin_runtime.js", FIXTURES / "standin_pdm_task.js", PDM, 3, script, tmp_path)
    trials = out["log"]["trials"][:4]
    assert [t["choice"] for t in trials] == [1, 2, 1, -1]
    assert [t["choice_step"] for t in trials] == [21, 21, 5, -1]  # 2150 ms and 2105 ms: step 21; 550 ms: step 5
    assert [t["response_time_ms"] for t in trials] == pytest.approx([2150, 2105, 550, None])
    assert [len(t["steps"]["action"]) for t in trials] == [22] * 4  # a press in the stimulus ends nothing
    assert [t["timed_out"] for t in trials] == [False, False, True, True]
    late = out["log"]["trials"][4]  # pressed at 1990 ms (step 19), delivered at 2110 ms: step 21 is the open one
    assert (late["choice_step"], late["response_time_ms"], len(late["steps"]["action"])) == (21, 1990, 22)
    for t in trials:  # a step's onset is the first frame at or after it: within one frame
        assert 0 <= t["onsets_ms"]["stimulus"] - 100 < 16.7
    (tmp_path / "log.json").write_text(json.dumps(out["log"]))
    (tmp_path / "log.csv").write_text(out["csv"])
    from_json, from_csv = taskspec.read_human(tmp_path / "log.json"), taskspec.read_human(tmp_path / "log.csv")
    for human in (from_json, from_csv):
        np.testing.assert_array_equal(human.choice, [1, 2, 1, -1, 2])
        np.testing.assert_array_equal(human.length, [22] * 5)
        np.testing.assert_array_equal(human.start["decision"], [21] * 5)
        np.testing.assert_array_equal(human.variables["coh"], [t["trial"]["coh"] for t in out["log"]["trials"]])
        np.testing.assert_allclose(human.response_time_ms, [2150, 2105, 550, np.nan, 1990])
    assert from_json.action is not None and from_json.action[2, 5] == 1 and set(from_json.action[2, 6:]) == {0}


def test_slow_frames_delay_the_display_but_never_stretch_a_trial(tmp_path: Path) -> None:
    """Frames 450 ms apart (a stalled page): every overdue step is judged on the next frame, a press
    still counts for the step its timestamp falls in, and onsets show the frames' lateness (a period
    no frame showed has none)."""
    script = {"keys": {"f": 1, "j": 2}, "trials": 2, "frame_ms": 450.0, "feedback_ms": 0,
              "presses": [["j", 2150], None]}  # fmt: skip
    out = run_session(FIXTURES / "standin_runtime.js", FIXTURES / "standin_pdm_task.js", PDM, 3, script, tmp_path)
    answered, missed = out["log"]["trials"]
    assert (answered["choice_step"], len(answered["steps"]["action"])) == (21, 22)
    assert len(missed["steps"]["action"]) == 22 and missed["timed_out"]
    for t in (answered, missed):
        assert t["onsets_ms"]["stimulus"] == pytest.approx(450.0)  # due at 100 ms, first drawn at 450 ms
        assert "decision" not in t["onsets_ms"]  # step 21 was judged at 2250 ms, before any frame showed it


def test_without_vendored_jspsych_only_the_page_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(experiment, "VENDOR", tmp_path / "no-vendor")
    assert main(["web", PDM, "-o", str(tmp_path / "exp")]) == 0
    assert (tmp_path / "exp" / "index.html").is_file() and not (tmp_path / "exp" / "jspsych.html").exists()


def test_session_runs_the_generated_task(tmp_path: Path) -> None:
    """The runner on webcore's runtime and generated PerceptualDecisionMaking: presses answer the
    steps they land in, and the steps logged are the env's (ground truth, periods, rewards)."""
    from taskspec.web.scripts import runtime_script, task_script

    (tmp_path / "runtime.js").write_text(runtime_script())
    (tmp_path / "task.js").write_text(task_script(PDM))
    presses = [["j", 2150], ["f", 2150], ["f", 40], None, ["j", 2199], ["f", 1000]]
    script = {"keys": {"f": 1, "j": 2}, "trials": 6, "frame_ms": 16.667, "feedback_ms": 0, "presses": presses}
    trials = run_session(tmp_path / "runtime.js", tmp_path / "task.js", PDM, 11, script, tmp_path)["log"]["trials"]
    env = taskspec.make(PDM)
    for t, press in zip(trials, presses, strict=True):
        steps = t["steps"]
        assert t["choice"] == ({"f": 1, "j": 2}[press[0]] if press else -1)
        assert all(g == 0 for g in steps["gt"][:21]) and steps["period"][:2] == ["fixation", "stimulus"]
        env.reset(seed=0)
        env.new_trial(**t["trial"])  # the Python env on the same trial and actions: the same rewards
        assert [env.step(a)[1] for a in steps["action"]] == pytest.approx(steps["reward"])
        if not press:
            assert t["timed_out"] and t["choice_step"] == -1 and set(steps["action"]) == {0}
            continue
        k = int(press[1] // 100)
        assert t["choice_step"] == k and steps["action"][k] == t["choice"]
        assert set(steps["action"][:k] + steps["action"][k + 1 :]) <= {0}
        if k >= 21:  # an answer in the decision period ends the trial, paid if correct
            assert len(steps["action"]) == k + 1 and not t["timed_out"]
            assert steps["reward"][k] == (1.0 if steps["gt"][k] == t["choice"] else 0.0)
        else:  # too early: a penalty in fixation, nothing in the stimulus; the trial runs out
            assert steps["reward"][k] == (-0.1 if k == 0 else 0.0) and len(steps["action"]) == 22 and t["timed_out"]


def test_the_jspsych_plugin_logs_what_the_page_logs(tmp_path: Path) -> None:
    """The plugin, one task trial per jsPsych trial over a block sharing one env (driven in Node by a
    stand-in for jsPsych and the browser), runs and logs the same trials as the page's runner with
    the same seed and presses; its rows rebuild the page's JSON log and CSV."""
    from taskspec.web.scripts import runtime_script, task_script

    (tmp_path / "runtime.js").write_text(runtime_script())
    (tmp_path / "task.js").write_text(task_script(PDM))
    presses = [["f", 2150], ["j", 2105], ["f", 550], None, ["j", 2120]]
    script = {"keys": {"f": 1, "j": 2}, "trials": 5, "frame_ms": 16.667, "feedback_ms": 200, "presses": presses}
    page = run_session(tmp_path / "runtime.js", tmp_path / "task.js", PDM, 8, script, tmp_path)["log"]
    (tmp_path / "script.json").write_text(json.dumps(script))
    files = [FIXTURES / "run_plugin.js", experiment.STATIC / "jspsych-taskspec.js", SESSION_JS]
    args = [NODE, *map(str, files), str(tmp_path / "runtime.js"), str(tmp_path / "task.js"), PDM, "8"]
    done = subprocess.run([*args, str(tmp_path / "script.json")], capture_output=True, text=True, timeout=60)  # noqa: S603
    assert done.returncode == 0, done.stderr
    plugin = json.loads(done.stdout)
    assert len(plugin["rows"]) == 5 and [r["taskspec_record"]["index"] for r in plugin["rows"]] == list(range(5))
    assert [r["response"] for r in plugin["rows"]] == [1, 2, 1, -1, 2]
    log = plugin["log"]
    same = ("format", "version", "task", "seed", "dt", "keys", "period_names", "generator")
    assert {k: log[k] for k in same} == {k: page[k] for k in same}
    for mine, theirs in zip(log["trials"], page["trials"], strict=True):
        assert mine["trial"] == theirs["trial"] and mine["steps"] == theirs["steps"]
        assert (mine["choice"], mine["choice_step"], mine["timed_out"]) == (
            theirs["choice"], theirs["choice_step"], theirs["timed_out"])  # fmt: skip
        assert mine["response_time_ms"] == pytest.approx(theirs["response_time_ms"], abs=1e-6)
    (tmp_path / "plugin.csv").write_text(plugin["csv"])
    human = taskspec.read_human(tmp_path / "plugin.csv")
    np.testing.assert_array_equal(human.choice, [1, 2, 1, -1, 2])


def test_read_human_gives_the_envs_psychometric(tmp_path: Path) -> None:
    """A participant simulated on the Python env writes the page's log; read_human's choices and
    fit equal those of `rollout_choices`, the env's own data under the same decision noise."""
    noise, seed, n = 8.0, 4, 300
    log = simulated_log(PDM, "coh", n, seed, noise)
    (tmp_path / "log.json").write_text(json.dumps(log))
    node = subprocess.run(  # the CSV as the page writes it: taskspec-session.js's csvText on the same log
        [NODE, "-e", f"require({json.dumps(str(SESSION_JS))}); process.stdout.write("
         "taskspecSession.csvText(JSON.parse(require('fs').readFileSync(0, 'utf8'))))"],
        input=json.dumps(log), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    (tmp_path / "log.csv").write_text(node.stdout)
    env_choices = rollout_choices(PDM, "coh", trials=n, seed=seed, noise=noise)
    env_fit = psychometric(env_choices.x, env_choices.choice)
    for path, options in (("log.json", None), ("log.csv", (1, 2))):  # a CSV does not hold the keys
        human = taskspec.read_human(tmp_path / path).choices("coh", options)
        np.testing.assert_array_equal(human.x, env_choices.x)
        np.testing.assert_array_equal(human.choice, env_choices.choice)
        np.testing.assert_array_equal(human.correct, env_choices.correct)
        fit = psychometric(human.x, human.choice)
        assert (fit.bias, fit.scale) == (env_fit.bias, env_fit.scale)
        np.testing.assert_array_equal(fit.p, env_fit.p)
    assert len(np.unique(env_choices.x)) == 9 and 0.2 < env_choices.choice.mean() < 0.8


def test_read_human_refuses_what_is_not_a_log(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text('{"format": "something"}')
    with pytest.raises(ValueError, match="not a taskspec log"):
        taskspec.read_human(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text('{"format": ')
    with pytest.raises(ValueError, match="JSON error at line 1"):
        taskspec.read_human(tmp_path / "broken.json")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a taskspec CSV log"):
        taskspec.read_human(tmp_path / "other.csv")
