"""Pages in a real browser (headless Chromium through Playwright): a scripted participant presses keys at
chosen times, the log the page hands to the download is replayed in the Python env step for step.

Skipped, with the reason, where Chromium or playwright is missing, unless TASKSPEC_REQUIRE contains
"chromium" (CI's browser stage, .ci/run): there a missing browser is a failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import browser_harness as harness  # noqa: E402

from taskspec.web.replay import replay  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "web"

_why = harness.missing()
if _why and not harness.required():
    pytest.skip(f"no browser to test in: {_why}", allow_module_level=True)


@pytest.fixture(scope="module")
def context():
    assert _why is None, f"TASKSPEC_REQUIRE contains chromium but {_why}"
    with harness.browser() as ctx:
        yield ctx


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
