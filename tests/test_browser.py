"""Pages in a real browser (headless Chromium through Playwright): a scripted participant presses keys at
chosen times, the log the page hands to the download is replayed in the Python env step for step.

Skipped, with the reason, where Chromium or playwright is missing, unless TASKSPEC_REQUIRE contains
"chromium" (CI's browser stage, .ci/run): there a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import browser_harness as harness  # noqa: E402

import taskspec  # noqa: E402
from taskspec.web.replay import replay  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TRIALS = 5

FIXTURES = Path(__file__).parent / "fixtures" / "web"

_why = harness.missing()
if _why and not harness.required():
    pytest.skip(f"no browser to test in: {_why}", allow_module_level=True)


@pytest.fixture(scope="module")
def driver():
    assert _why is None, f"TASKSPEC_REQUIRE contains chromium but {_why}"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture
def context(driver):
    """A fresh browser per test: Playwright's fake clock belongs to the context."""
    with harness.browser(driver=driver) as ctx:
        yield ctx


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """`taskspec web PerceptualDecisionMaking -o exp/`, run as a user runs it."""
    out = tmp_path_factory.mktemp("web") / "exp"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "taskspec", "web", "PerceptualDecisionMaking", "-o", str(out)]
    done = subprocess.run([*command, "--trials", str(TRIALS)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


# PerceptualDecisionMaking at dt = 100 ms: step 0 is fixation, 1-20 the stimulus, 21 the decision.
# Default keys: f and j for the two choices (actions 1 and 2); no key is the fixate action 0.
PLAN = {
    0: [(21, "f")],  # answers in the decision period
    1: [(0, "j"), (21, "j")],  # breaks fixation (the abort penalty), then answers
    2: [(5, "f")],  # presses during the stimulus, which the rules ignore, and never answers
    3: [],  # no key at all: the trial runs out
    4: [(21, "j"), (21, "f")],  # two keys in one step: the first counts
}


def test_the_experiment_page_log_replays_equal_in_python(context, experiment, tmp_path):
    page = harness.open_page(context, experiment / "index.html", query="seed=12")
    page.click("#start")
    harness.play_page(page, PLAN)
    log = harness.download_json(page, "#download-json")
    assert page.errors == []
    trials = log["trials"]
    assert [t["index"] for t in trials] == list(range(TRIALS))
    pressed = [[(k, a) for k, a in enumerate(t["steps"]["action"]) if a != 0] for t in trials]
    assert pressed == [[(21, 1)], [(0, 2), (21, 2)], [(5, 1)], [], [(21, 2)]]
    assert trials[1]["steps"]["reward"][0] == -0.1
    assert trials[3]["timed_out"] and trials[3]["choice"] == -1 and trials[3]["performance"] == 0
    for t in (trials[0], trials[1], trials[4]):  # an answer ends the trial: correct (1) or not (0)
        assert t["performance"] == (1 if t["trial"]["ground_truth"] + 1 == t["choice"] else 0)
    result = replay(log)
    assert result.equal, result.summary()
    assert result.steps == sum(len(t["steps"]["action"]) for t in trials) == TRIALS * 22
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    human = taskspec.read_human(path)
    assert list(human.choice) == [t["choice"] for t in trials]


def test_a_jspsych_timeline_with_the_plugin_runs_and_replays(context, experiment):
    timeline = experiment / "jspsych.html"
    assert timeline.exists(), "no jspsych.html: jsPsych is not vendored (python -m taskspec.web.vendor_jspsych)"
    page = harness.open_page(context, timeline, query="seed=3")
    harness.run_for(page, 100, [(50, " ")])  # the timeline's start screen: any key
    rows = "taskspecJsPsych.data.get().filter({trial_type: 'taskspec'}).count()"
    # keys at chosen page times: the first trial's decision step, a fixation break, a later answer
    harness.run_for(page, 3000, [(16 * 135, "f")])
    harness.run_for(page, 3000, [(40, "j"), (16 * 135, "j")])
    for _ in range(400):
        if page.evaluate(rows) >= TRIALS:
            break
        page.clock.run_for(harness.FRAME_MS * 10)
    assert page.evaluate(rows) == TRIALS
    log = page.evaluate("jsPsychTaskspec.log(taskspecJsPsych)")
    assert page.errors == []
    assert len(log["trials"]) == TRIALS and any(t["choice"] > 0 for t in log["trials"])
    result = replay(log)
    assert result.equal, result.summary()


def test_the_harness_replays_a_fixture_page_log(context):
    """The fixture page (a hand-written task, tests/fixtures/web) checks the harness itself: keys at
    chosen fake-clock times, the download event, and a replay that finds the page's deliberate
    departures from the spec when there are some (here there are none)."""
    page = harness.open_page(context, FIXTURES / "index.html")
    page.keyboard.press(" ")
    # trial 0: answer 'f' in the decision period; trial 1: break fixation, then 'j'; trial 2: no answer
    harness.run_for(page, 7500, [(2150, "f"), (2250 + 30, "j"), (2250 + 2150, "j")])
    assert page.text_content("#status") == "done"
    log = harness.download_json(page, "#download")
    assert page.errors == []
    assert len(log["trials"]) == 3
    choices = [t["choice"] for t in log["trials"]]
    assert choices[0] == 1 and choices[1] == 2 and choices[2] == -1
    assert log["trials"][1]["steps"]["reward"][0] == -0.1
    result = replay(log)
    assert result.equal, result.summary()
    assert result.steps == sum(len(t["steps"]["action"]) for t in log["trials"])


def test_a_page_that_departs_from_the_spec_is_caught(context):
    """The fixture page made faulty (its correct answer pays 0.5): the replay names that step."""
    page = harness.open_page(context, FIXTURES / "index.html", query="faulty")
    page.keyboard.press(" ")
    harness.run_for(page, 7500, [(2150, "f")])
    log = harness.download_json(page, "#download")
    mismatches = replay(log).mismatches
    answered = [t for t in log["trials"] if t["choice"] > 0]
    assert len(answered) == 1 and answered[0]["index"] == 0
    last = len(answered[0]["steps"]["action"]) - 1
    if answered[0]["performance"] == 1:  # a correct answer: the reward departs from the spec's 1.0
        assert [(m.trial, m.step, m.what, m.logged, m.replayed) for m in mismatches] == [(0, last, "reward", 0.5, 1.0)]
    else:  # a wrong answer pays 0 on both sides: the page's fault is not reached
        assert mismatches == []


def test_period_onsets_are_never_early_on_the_real_clock(context, tmp_path):
    """On the real clock (no fake one) each period is first drawn at or after its spec onset, never
    before; how late is measured, not asserted (it depends on the machine's load): the table is printed
    here and benchmarks/web_frame_timing.py measures it over more trials."""
    from taskspec.web.experiment import write_experiment
    from taskspec.web.replay import onset_drift

    write_experiment("PerceptualDecisionMaking", tmp_path / "exp", trials=2, feedback_ms=100)
    # this test has a context of its own, where no fake clock was installed
    page = harness.open_page(context, tmp_path / "exp" / "index.html", fake_clock=False, query="seed=5")
    page.click("#start")
    page.wait_for_function("window.taskspecExperiment.done", timeout=60_000, polling=200)
    log = harness.download_json(page, "#download-json")
    drift = onset_drift(log)
    print({name: {k: round(v, 2) for k, v in row.items()} for name, row in drift.items()})
    assert set(drift) == {"fixation", "stimulus", "decision"}  # every period with steps was shown
    for trial in log["trials"]:
        for name, measured in trial["onsets_ms"].items():
            assert measured >= trial["periods"][name][0] - 1e-6, (name, measured)
    assert replay(log).equal
