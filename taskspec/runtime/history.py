"""Session variables and trial history: what a task remembers from one trial to the next.

Session variables go on from trial to trial; those that read the finished trial's outcome
(`last_performance`, `last_choice`, windows `past_<x>`, ...) see it as `history` records it,
under the names `machine.history` gives. A finished trial's outcome gathers over its steps
(`_note_step`) and is recorded when it ends (`_record`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from . import machine
from .hooks import TaskHooks


class TrialHistory(TaskHooks):
    """Session variables and the trial history of one env (a base of `TrialEnv`)."""

    trial: dict[str, Any]
    period_names: list[str]
    _session: dict[str, Any] | None  # session variables after the last generated trial
    _history: dict[str, Any] | None  # the finished trial, as session variables read it
    _trials_done: int
    _decision: tuple[Any, float] | None  # the action that ended the trial or made it jump, and when
    ended_rule: int  # the outcome rule that ended the trial (`last_rule`), -1: none

    def _forget_trial(self) -> None:
        """A trial starts: nothing gathered of its outcome yet."""
        self._trial_reward = 0.0
        self._ran_out = False  # the current trial ended by running out (`last_timed_out`)
        self._decision = None
        self.ended_rule = -1  # the outcome rule that ended the trial (`last_rule`): set by `_judge` when read

    def _note_step(self, judged: float, late: float | None, decided: bool, action: Any, t: float) -> None:
        """What the trial's outcome keeps of a step (the rules' reward, the timeout's or None if the trial
        did not run out, whether the action ended the trial or made it jump): `last_reward` is the trial's
        whole reward, `last_choice` the action that ended it or made it jump."""
        self._trial_reward = machine.earned(self._trial_reward, judged, 0.0 if late is None else late)
        self._ran_out = late is not None
        if decided:
            self._decision = (action, t)

    def adopt_session(self, other: TrialHistory) -> None:
        """Go on from `other`'s session, trial history included."""
        self._session, self._history, self._trials_done = other._session, other._history, other._trials_done

    def restart_session(self) -> None:
        """Session variables start again from `init`, and trial history from no trial."""
        self._session, self._history, self._trials_done = None, None, 0

    def session_values(self, rng: Any, n: int, given: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
        """Session variables for the next `n` trials, one trial after another (each may depend on the last).

        `given` (checked by `params.check_session_values`): the values they take for these trials
        instead, drawing nothing and leaving the session's own course as it was: trials are drawn
        ahead in chunks, so the session's next values may be drawn already."""
        if not self.session_variables:
            return {}
        if given is not None:
            return {name: np.repeat(np.asarray(value)[None], n, axis=0) for name, value in given.items()}
        split = hasattr(rng, "generators")  # a vector env's split generator: one session per sub-env
        parts = list(zip(rng.generators, rng.sessions, strict=True)) if split else [(rng, self._session)]
        histories = rng.histories if split else [self._history]
        each = rng.each if split else n
        values: dict[str, list[Any]] = {name: [] for name in self.session_variables}
        ended = []
        for (generator, state), history in zip(parts, histories, strict=True):
            if state is None:
                state = self._call(self._session_init, generator, 1)
            for _ in range(each):
                if self.info.reads_history:  # one trial at a time: the finished one's outcome is known
                    last = history if history is not None else first_history(self.trial_variables)
                    state = self._call(self._session_next, generator, 1, state, last)
                else:
                    state = self._call(self._session_next, generator, 1, state)
                for name, column in values.items():
                    column.append(state[name][0])
            ended.append(state)
        if split:
            rng.sessions = ended
        else:
            self._session = ended[0]
        return {name: np.array(column) for name, column in values.items()}

    def _record(self, period: str | None) -> None:
        """The finished trial as the next trial's session variables see it (`last_performance`, ...);
        `period`: the period of its last step."""
        self._trials_done += 1
        action, t = self._decision if self._decision is not None else (-1, -1.0)
        rule, self.ended_rule = self.ended_rule, -1
        self._history = history(
            self.performance,
            self._trial_reward,
            self._ran_out,
            action,
            t,
            self._trials_done,
            self.trial,
            self._history if self._history is not None else first_history(self.trial_variables),
            -1 if period is None else self.period_names.index(period),
            rule,
            self.info.history_reads or None,  # none listed: a class compiled before the list existed
        )


def first_history(trial_variables: tuple[str, ...]) -> dict[str, np.ndarray]:
    """What `last_...` reads before the first trial: no reward, no performance, no choice (-1);
    every window over past trials holds 0s."""
    values = machine.history(0.0, 0.0, False, -1, -1.0, 0, -1, -1)
    values |= {f"last_{name}": 0 for name in trial_variables}
    outcome = {name: np.asarray(value)[None] for name, value in values.items()}
    windows = machine.remember(np, None, outcome)
    return {name: np.zeros_like(value) if name.startswith("past_") else value for name, value in windows.items()}


def history(
    performance: Any,
    reward: float,
    ran_out: bool,
    action: Any,
    t: float,
    done: int,
    trial: Mapping[str, Any],
    previous: Mapping[str, Any],
    period: int,
    rule: int,
    reads: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """A finished trial's outcome as one-trial arrays, under the names session variables read, and
    the windows over past trials (`past_<x>`) shifted on from the `previous` trial's: those named in
    `reads` (what the session variables read), or all of them (None)."""
    values = {
        **machine.history(performance, reward, ran_out, action, t, done, period, rule),
        **{f"last_{name}": value for name, value in trial.items()},
    }
    if reads is None:
        return machine.remember(np, previous, {name: np.asarray(value)[None] for name, value in values.items()})
    # Only what is read: each window holds machine.WINDOW numbers, and a record is made at every trial's end.
    arrays = {name: np.asarray(values[name])[None] for name in reads if name in values}
    shifted = {
        f"last_{name[5:]}": np.asarray(values[f"last_{name[5:]}"])[None] for name in reads if name[:5] == "past_"
    }
    return {**arrays, **machine.remember(np, previous, shifted)} if shifted else arrays
