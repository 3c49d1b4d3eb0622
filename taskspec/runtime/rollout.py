"""Batches of agent-contingent trials: the trials a policy lives through, step by step.

When actions shape a trial's timing (`until`, `then`, `goto`) or the next trials (session
variables that read `last_...`), a trial has no layout of its own until someone acts in it.
Supervised data for such tasks is defined as what the ground-truth policy experiences (or a
policy the caller names): each trial is laid out whole, played step by step under the usual
timing contract, and the steps actually visited become the batch's rows. Session variables
follow that policy's outcomes, trial after trial.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .source import Batch, Player, shown
from .trials import build

# A policy sees the observation and the ground truth of the step it answers, and returns an action.
Policy = Callable[[np.ndarray, Any], Any]


def play(
    env: Player,
    rng: Any,
    n: int,
    overrides: dict[str, Any],
    policy: Policy | None = None,
    session: dict[str, Any] | None = None,
) -> Batch:
    """`n` trials as `policy` (default: the ground truth) lives through them, continuing `env`'s session
    (`session`: its variables' values for these trials, checked, instead of their `next`)."""

    player = env.player()  # the session it plays on carries back to `env` at the end
    rows: list[tuple[Batch, int, np.ndarray]] = []
    # Trials are drawn as the env draws them when it serves `step`: in chunks, or one at a time
    # when each depends on the last one's outcome; so the same seed gives the same trials.
    size = 1 if env.info.reads_history else n
    while len(rows) < n:
        whole = build(player, rng, min(size, n - len(rows)), overrides, serving=True, session=session)
        for j in range(len(whole.length)):
            ob, _ = player.serve(whole, j)
            visited = [0]
            while True:
                target = player.target_now
                action = target if policy is None else policy(ob, target)
                ob, _, _, _, info = player.step(action)
                if info["new_trial"]:
                    break
                visited.append(player.t_ind)
            rows.append((whole, j, np.array(visited)))
    env.adopt_session(player)
    return _gather(env, rows)


def _gather(env: Player, rows: list[tuple[Batch, int, np.ndarray]]) -> Batch:
    """One padded batch of the visited steps; a period's start and end are where its visited steps lie
    (a skipped period starts and ends where the trial ends)."""
    n, longest = len(rows), max((len(steps) for _, _, steps in rows), default=1)
    first = rows[0][0] if rows else None
    width = env.observation_space.shape[0]  # type: ignore[index]
    ob = np.zeros((n, longest, width), np.float32)
    gt_shape = () if first is None else first.gt.shape[2:]
    gt = np.zeros((n, longest, *gt_shape), first.gt.dtype if first is not None else np.int64)
    period_id = np.full((n, longest), -1, np.int16)
    length = np.array([len(steps) for _, _, steps in rows], np.int64)
    start = {p: np.zeros(n, np.int64) for p in env.period_after}
    end = {p: np.zeros(n, np.int64) for p in env.period_after}
    for i, (whole, j, steps) in enumerate(rows):
        m = len(steps)
        ob[i, :m], gt[i, :m], period_id[i, :m] = whole.ob[j, steps], whole.gt[j, steps], whole.period_id[j, steps]
        for j, p in enumerate(env.period_after):
            where = np.flatnonzero(period_id[i, :m] == j)
            start[p][i], end[p][i] = (where[0], where[-1] + 1) if where.size else (m, m)
    names = list(shown(first.variables)) if first is not None else []
    variables = {k: np.stack([whole.variables[k][j] for whole, j, _ in rows]) for k in names}
    return Batch(ob, gt, length, variables, start, end, period_id)
