"""Trial statistics of the Mod-Cog family, computed the same way from Mod-Cog's own generator
(tests/data/modcog_reference.py, run in a separate venv) and from the bundled specs
(tests/test_modcog.py). Only NumPy: the reference venv has no taskspec.

Each trial is given as its observation rows, its period bounds in steps, whether it asks for a
response, and the direction (0 .. dim_ring - 1) of the target at each decision step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DIM_RING = 16
GROUPS = {"fixation": slice(0, 1), "stimulus_mod1": slice(1, 17), "stimulus_mod2": slice(17, 33)}
STIMULUS = slice(1, 33)


def signed_shift(directions: np.ndarray) -> np.ndarray:
    """Positions each decision step's target lies from the first one's, in (-dim_ring/2, dim_ring/2]."""
    shift = (directions - directions[0]) % DIM_RING
    return np.where(shift > DIM_RING // 2, shift - DIM_RING, shift)


class Collector:
    """Per-trial figures, summarised as [mean, sd, n] over the trials that have them."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}
        self.directions = np.zeros(DIM_RING, dtype=int)
        self.shifts: list[np.ndarray] = []
        self.responses: list[bool] = []

    def put(self, key: str, value: float) -> None:
        self.values.setdefault(key, []).append(float(value))

    def add(self, ob: np.ndarray, bounds: dict[str, tuple[int, int]], respond: bool, directions: np.ndarray) -> None:
        """One trial: `ob` (T, 33) trimmed to the trial, `bounds` period -> (first step, step after the last)."""
        self.put("length", len(ob))
        for period, (start, end) in bounds.items():
            self.put(f"duration/{period}", end - start)
            if end <= start:
                continue
            rows = ob[start:end]
            for group, columns in GROUPS.items():
                self.put(f"obs/{period}/{group}", rows[:, columns].mean())
                self.put(f"obs_sq/{period}/{group}", (rows[:, columns] ** 2).mean())
        self.put("peak", ob[:, STIMULUS].max())
        decision = bounds["decision"][0]
        off = np.flatnonzero(ob[:, 0] == 0)
        self.put("fixation_off", (off[0] if len(off) else len(ob)) - decision)  # steps after the decision starts
        self.responses.append(bool(respond))
        if respond:
            self.directions[directions[0]] += 1
            self.shifts.append(signed_shift(directions))

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            key: [float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, len(v)]
            for key, v in sorted(self.values.items())
        }
        out["respond"] = [float(np.mean(self.responses)), len(self.responses)]
        out["directions"] = self.directions.tolist()
        if self.shifts:  # mean shift at each decision step, over trials whose decision is that long
            longest = max(len(s) for s in self.shifts)
            out["shift"] = [float(np.mean([s[k] for s in self.shifts if len(s) > k])) for k in range(longest)]
        return out
