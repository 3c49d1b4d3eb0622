"""`read_human`: a person's log from the browser page (JSON or CSV) as arrays, one row per trial.

The layout is `Batch`'s where the log has the data (`length`, `variables`, `start`, `end` in steps,
and, from JSON only, the per-step `gt`, `period_id`, actions and rewards padded to the longest
trial), plus the outcome and the person's response per trial. `HumanTrials.choices(variable)` gives
the rows `tools.analysis.psychometric` and `chronometric` take, as `rollout_choices` does for a
simulated agent, so people and networks go through the same analysis.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import did_you_mean
from ..tools.analysis import Choices

FORMAT = "taskspec-human-log"
OUTCOME = ("performance", "reward", "timed_out", "choice", "response_time_ms", "target", "choice_step")


@dataclass
class HumanTrials:
    """One person's trials. Per-step arrays are None when read from CSV, which has one row per trial."""

    task: str
    dt: float
    length: np.ndarray  # (n,) steps
    variables: dict[str, np.ndarray]  # name -> (n,) or (n, size)
    start: dict[str, np.ndarray]  # period -> (n,) first step
    end: dict[str, np.ndarray]  # period -> (n,) step after the last
    performance: np.ndarray  # (n,) float
    reward: np.ndarray  # (n,) the trial's summed reward
    timed_out: np.ndarray  # (n,) bool
    choice: np.ndarray  # (n,) the first pressed action, -1 if none
    response_time_ms: np.ndarray  # (n,) ms from the trial's first frame to that press, NaN if none
    target: np.ndarray  # (n,) the ground truth at the pressed step, -1 if none
    choice_step: np.ndarray  # (n,) the pressed step, -1 if none
    meta: dict[str, Any] = field(default_factory=dict)  # seed, generator, keys, params, user agent (JSON)
    gt: np.ndarray | None = None  # (n, T) int, -1 on padding
    period_id: np.ndarray | None = None  # (n, T) index into meta["period_names"], -1 on padding
    action: np.ndarray | None = None  # (n, T) int, -1 on padding
    step_reward: np.ndarray | None = None  # (n, T) float, 0 on padding
    onsets_ms: dict[str, np.ndarray] | None = None  # period -> (n,) measured onset, NaN where not shown

    @property
    def mask(self) -> np.ndarray:
        """(n, T) True on the steps that belong to a trial (JSON logs only)."""
        width = 0 if self.gt is None else self.gt.shape[1]
        return np.arange(width) < self.length[:, None]

    def choices(self, variable: str, options: tuple[int, int] | None = None) -> Choices:
        """Signed stimulus and choice per trial with a response while one was asked for (the ground
        truth at the pressed step is one of the two `options`, by default the two mapped actions),
        as `tools.analysis.rollout_choices` gives them for an agent; choice_time is the response time."""
        if variable not in self.variables:
            raise ValueError(f"no trial variable '{variable}'{did_you_mean(variable, self.variables)}")
        if options is None:
            mapped = sorted(set(int(a) for a in self.meta.get("keys", {}).values()))
            if len(mapped) != 2:
                raise ValueError(
                    f"the log maps {len(mapped)} actions to keys (a CSV log names none); "
                    "name the two response actions with options=(a, b)"
                )
            options = (mapped[0], mapped[1])
        rows = np.isin(self.target, options) & np.isin(self.choice, options)
        sign = np.where(self.target[rows] == options[1], 1.0, -1.0)
        x = sign * np.abs(self.variables[variable][rows].astype(float)) + 0.0
        return Choices(
            x,
            (self.choice[rows] == options[1]).astype(int),
            self.choice[rows] == self.target[rows],
            self.response_time_ms[rows],
            f"{variable} (+ when action {options[1]} is correct)",
            f"action {options[1]}",
        )


def read_human(path: str | Path) -> HumanTrials:
    """A log the page (or the jsPsych plugin) wrote, .json or .csv, as `HumanTrials`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a taskspec log (not UTF-8 text)") from None
    if path.suffix.lower() == ".csv":
        return _from_rows(path, list(csv.DictReader(text.splitlines())))
    try:
        log = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not a taskspec log: JSON error at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(log, dict) or log.get("format") != FORMAT or log.get("version") != 1:
        raise ValueError(f"{path}: not a taskspec log (expected format '{FORMAT}', version 1)")
    return _from_json(path, log)


def _stack(values: list[Any]) -> np.ndarray:
    """Per-trial values as an array: numbers as (n,), vectors as (n, size)."""
    try:
        return np.asarray([np.nan if v is None else v for v in values])
    except ValueError:
        raise ValueError("a trial variable changes shape between trials") from None


def _from_json(path: Path, log: dict[str, Any]) -> HumanTrials:
    trials = log.get("trials")
    if not isinstance(trials, list) or not trials:
        raise ValueError(f"{path}: the log holds no trials")
    dt = float(log["dt"])
    names = list(log.get("period_names") or trials[0]["periods"])
    try:
        lengths = np.array([len(t["steps"]["action"]) for t in trials])
        width, n = int(lengths.max()), len(trials)
        gt, period_id, action = (np.full((n, width), -1, np.int64) for _ in range(3))
        step_reward = np.zeros((n, width))
        for i, t in enumerate(trials):
            steps, size = t["steps"], lengths[i]
            action[i, :size], gt[i, :size], step_reward[i, :size] = steps["action"], steps["gt"], steps["reward"]
            period_id[i, :size] = [_period_index(p, names) for p in steps["period"]]
        variables = {v: _stack([t["trial"].get(v) for t in trials]) for v in trials[0]["trial"]}
        bounds = {p: np.array([t["periods"].get(p, [np.nan, np.nan]) for t in trials], float) / dt for p in names}
        outcome = {k: [t.get(k) for t in trials] for k in OUTCOME}
        onsets = {p: np.array([t.get("onsets_ms", {}).get(p, np.nan) for t in trials], float) for p in names}
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise ValueError(f"{path}: a trial of the log is malformed ({type(exc).__name__} {exc})") from None
    meta = {k: log.get(k) for k in ("seed", "generator", "keys", "params", "user_agent", "period_names")}
    meta["period_names"] = names
    return HumanTrials(
        task=str(log["task"]),
        dt=dt,
        length=lengths,
        variables=variables,
        start={p: np.rint(b[:, 0]) for p, b in bounds.items()},
        end={p: np.rint(b[:, 1]) for p, b in bounds.items()},
        **_outcome(outcome),
        meta=meta,
        gt=gt,
        period_id=period_id,
        action=action,
        step_reward=step_reward,
        onsets_ms=onsets,
    )


def _period_index(period: Any, names: list[str]) -> int:
    """A step's period as an index into the period names: the log holds names or indices; -1 for none."""
    if isinstance(period, int):
        return period
    return names.index(period) if period in names else -1


def _outcome(columns: dict[str, list[Any]]) -> dict[str, Any]:
    def number(v: Any) -> float:
        return np.nan if v is None or v == "" else float(v)

    def flag(v: Any) -> bool:
        return v is True or str(v).lower() in ("true", "1")

    return {
        "performance": np.array([number(v) for v in columns["performance"]]),
        "reward": np.array([number(v) for v in columns["reward"]]),
        "timed_out": np.array([flag(v) for v in columns["timed_out"]]),
        "choice": np.array([int(number(v)) for v in columns["choice"]], np.int64),
        "response_time_ms": np.array([number(v) for v in columns["response_time_ms"]]),
        "target": np.array([int(number(v)) for v in columns["target"]], np.int64),
        "choice_step": np.array([int(number(v)) for v in columns["choice_step"]], np.int64),
    }


def _cell(text: str) -> Any:
    """A CSV cell as the page wrote it: a number, true/false, a JSON list, or empty (missing)."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("["):
        return json.loads(text)
    return float(text)


def _from_rows(path: Path, rows: list[dict[str, str]]) -> HumanTrials:
    if not rows or not {"trial", "length", *OUTCOME} <= set(rows[0]):
        raise ValueError(f"{path}: not a taskspec CSV log (expected the columns trial, length, {', '.join(OUTCOME)})")
    columns = list(rows[0])
    try:
        cells = {c: [_cell(r[c]) for r in rows] for c in columns}
        start = {c[len("start_") :]: np.array(cells[c], float) for c in columns if c.startswith("start_")}
        end = {c[len("end_") :]: np.array(cells[c], float) for c in columns if c.startswith("end_")}
        variables = {c[len("trial_") :]: _stack(cells[c]) for c in columns if c.startswith("trial_")}
        outcome = _outcome({k: cells[k] for k in OUTCOME})
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: a row of the CSV log is malformed ({exc})") from None
    return HumanTrials(
        task="",
        dt=float("nan"),
        length=np.array(cells["length"], float).astype(np.int64),
        variables=variables,
        start=start,
        end=end,
        **outcome,
        meta={"period_names": list(start)},
    )
