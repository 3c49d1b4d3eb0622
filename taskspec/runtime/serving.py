"""A chunk of trials as the single env serves them: per-trial values as Python lists and dicts.

The env's step reads plain lists and dicts (cheaper than indexing arrays one value at a time);
they are converted once per chunk of trials, in bulk.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .source import Batch, shown


class TrialLists:
    """A chunk's per-trial values as Python lists and dicts, converted in bulk instead of per trial."""

    def __init__(self, batch: Batch, env: Any):
        self.length = batch.length.tolist()
        gt = batch.gt.tolist() if env.action_type == "discrete" else list(batch.gt)
        self.gt = [row[:n] for row, n in zip(gt, self.length, strict=True)]
        names = list(batch.variables)
        columns = [v.tolist() for v in batch.variables.values()]
        rows = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)] if names else None
        self.trial = rows if rows else [{} for _ in self.length]
        # the compiler's own state variables start from values kept apart from what `env.trial` shows
        visible = shown(dict.fromkeys(names))  # once, not once per name
        own = [name for name in names if name not in visible]
        self.hidden = [{name: row.pop(name) for name in own} for row in rows] if rows and own else None
        self.start_ind = per_trial_dicts(batch.start, 1)
        self.end_ind = per_trial_dicts(batch.end, 1)
        self.start_t = per_trial_dicts(batch.start, env.dt)
        self.end_t = per_trial_dicts(batch.end, env.dt)
        labels = np.array([*env.period_names, None], dtype=object)  # index -1 is "no period"
        period = np.take(labels, batch.period_id).tolist()
        self.period = [row[:n] for row, n in zip(period, self.length, strict=True)]


def per_trial_dicts(columns: dict[str, np.ndarray], scale: float) -> list[dict[str, Any]]:
    """One dict per trial from per-period arrays (scaled to ms when `scale` is dt)."""
    names = list(columns)
    values = [(v * scale).tolist() if scale != 1 else v.tolist() for v in columns.values()]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
