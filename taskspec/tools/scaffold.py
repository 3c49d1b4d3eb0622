"""`taskspec new`: a commented starting spec that validates as written.

From scratch it is a small two-choice decision task showing every section; with
`--from TASK` it is a variant that extends TASK and shows how to override its parts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..library import SCHEMA_PATH, load_spec

# The schema line and the comments name the output file: only names that cannot break a YAML comment.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.\-/ ]+")
_CHECKOUT_SCHEMA = Path("schemas") / "taskspec.schema.json"


def schema_line(output: Path | None) -> str:
    """The yaml-language-server line: a path relative to the spec when it sits in a taskspec checkout
    (a folder above it holds schemas/taskspec.schema.json), so the line stays true for every clone;
    else the installed schema's absolute address."""
    if output is not None:
        folder = output.resolve().parent
        for above in (folder, *folder.parents):
            if (above / _CHECKOUT_SCHEMA).is_file() and (above / "pyproject.toml").is_file():
                relative = Path(os.path.relpath(above / _CHECKOUT_SCHEMA, folder)).as_posix()
                if _PLAIN_PATH.fullmatch(relative):
                    return f"# yaml-language-server: $schema={relative}"
                break
    return f"# yaml-language-server: $schema={SCHEMA_PATH.resolve().as_uri()}"


FROM_SCRATCH = """{schema}
# A starting point: a two-choice decision on a noisy stimulus. Check it with
#   taskspec validate {file}      and try it with      taskspec run {file}
task: {name}
description: |
  What the agent sees, what it must do, and when. (Shown by `taskspec info`.)
tags: [perceptual, two-alternative, supervised]
dt: 100                          # ms per step
params:                          # defaults; override with make("{file}", sigma=0.5) or --set sigma=0.5
  sigma: {{default: 1.0, min: 0, doc: input noise per sqrt(ms)}}
  cohs: {{default: [0, 25, 50], doc: evidence strength in percent}}
rewards: {{abort: -0.1, correct: 1.0, fail: 0.0}}
observation: {{fixation: 1, stimulus: 2}}   # named input groups and their sizes
action: {{fixation: 1, choice: 2}}         # named action groups: action 0 = fixate, 1..2 = choices
trial:                                    # drawn once per trial, in order
  ground_truth: choice(2)                 # 0 or 1: which choice is correct
  coh: choice(cohs)
periods: {{fixation: 300, stimulus: 1000, decision: 200}}   # durations in ms, in order
inputs:
  - {{during: [fixation, stimulus], where: fixation, value: 1}}
  - during: stimulus
    where: stimulus
    value: cos(ring(2) - ring(2)[ground_truth]) * coh / 200 + 0.5
    noise: sigma / sqrt(dt)
target:                                   # the correct action; 0 (fixate) elsewhere
  - {{during: decision, value: "choice[ground_truth]"}}
outcomes:                                 # checked every step; the first match decides
  - {{during: [fixation, stimulus], when: action != fixation, reward: abort}}
  - {{during: decision, when: action == target, reward: correct, performance: 1, end_trial: true}}
  - {{during: decision, when: action != fixation, reward: fail, end_trial: true}}
# These are the usual rules: `response: {{during: decision, hold: [fixation, stimulus]}}` says the same.
"""

FROM_TASK = """{schema}
# A variant of {parent}: everything not written here is inherited. Mappings (params,
# rewards, periods, trial, observation, action) are merged entry by entry; lists (inputs,
# target, outcomes, timeout) and `response` are replaced whole. See `taskspec info {parent}`.
task: {name}
extends: {parent}
description: |
  {parent}, changed: say how.
{params}periods:                  # e.g. lengthen a period
{periods}
"""


def new_spec(name: str, parent: str | None = None, output: Path | None = None) -> str:
    """The text of a new spec named `name`, from scratch or extending `parent`, to be written to
    `output` (default: NAME.yaml in the working folder), which its comments and schema line name."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.\-]*", name):
        raise ValueError(f"'{name}' is not a valid task name: use letters, digits, '.', '-' and '_'")
    shown = str(output) if output is not None else f"{name}.yaml"
    file = shown if _PLAIN_PATH.fullmatch(shown) else "SPEC.yaml"
    schema = schema_line(output if output is not None else Path(shown))
    if parent is None:
        return FROM_SCRATCH.format(schema=schema, name=name, file=file)
    spec = load_spec(parent)
    params = ""
    if spec.params:
        first, param = next(iter(spec.params.items()))
        params = f"params:                   # e.g. a different default\n  {first}: {param.default!r}\n"
    periods = "\n".join(
        f"  {p}: {d.duration if hasattr(d, 'duration') else d!r}" for p, d in list(spec.periods.items())[:1]
    )
    return FROM_TASK.format(schema=schema, name=name, parent=spec.task, params=params, periods=periods)
