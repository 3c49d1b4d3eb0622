"""Per-trial statistics of a Yang et al. (2019) trial, from its arrays alone.

One function measures both sides of the parity check: Yang's own generator
(`tests/data/yang19paper/measure.py`, run once to write the reference figures) and the
bundled `yang19paper.*` family (`tests/test_yang_paper_parity.py`). It needs NumPy only.

A trial is given as Yang lays it out: `x` (steps, 85) noise-free inputs (fixation, 32 ring
units of modality 1, 32 of modality 2, 20 rule units), `y` (steps, 33) regression targets
(fixation output, 32 ring outputs), `c` (steps, 33) cost mask, and `epochs` (name -> steps).
"""

from __future__ import annotations

import numpy as np

N_RING = 32
PREF = np.arange(N_RING) * (2 * np.pi / N_RING)
MOD1 = slice(1, 1 + N_RING)
MOD2 = slice(1 + N_RING, 1 + 2 * N_RING)
RULES = slice(1 + 2 * N_RING, 1 + 2 * N_RING + 20)
SHOWN = 1e-3  # a ring column counts as showing a stimulus above this (a bump's far tail is ~1e-14)


def popvec(activity: np.ndarray) -> float:
    """The population-vector angle of ring activity, in [0, 2 pi)."""
    return float(np.mod(np.arctan2(activity @ np.sin(PREF), activity @ np.cos(PREF)), 2 * np.pi))


def circdist(a: float, b: float) -> float:
    d = abs(a - b) % (2 * np.pi)
    return float(min(d, 2 * np.pi - d))


def trial_statistics(x: np.ndarray, y: np.ndarray, c: np.ndarray, epochs: dict[str, int]) -> dict[str, float]:
    """Scalar statistics of one trial; keys absent where they do not apply (e.g. no stimulus)."""
    stats: dict[str, float] = {"length": float(len(x))}
    for name, steps in epochs.items():
        stats[f"epoch_{name}"] = float(steps)
    stats["fix_on"] = float(np.sum(x[:, 0] > 0.5))
    rules = x[:, RULES]
    stats["rule_on"] = float(np.sum(rules.max(axis=1) > 0.5))
    stats["rule_total"] = float(rules.sum())
    go = bool(y[-1, 1:].max() > 0.1)
    stats["go"] = float(go)
    response = popvec(y[-1, 1:] - 0.05) if go else None
    for k, cols in ((1, MOD1), (2, MOD2)):
        ring = x[:, cols]
        stats[f"stim_steps_mod{k}"] = float(np.sum(ring.max(axis=1) > SHOWN))
        stats[f"stim_sum_mod{k}"] = float(ring.sum())
        if ring.max() > SHOWN:
            stats[f"peak_mod{k}"] = float(ring.max())
            if response is not None:  # does the response point at this modality's strongest column?
                peak_angle = PREF[int(np.argmax(ring.max(axis=0)))]
                stats[f"resp_at_peak_mod{k}"] = float(circdist(response, peak_angle) < 2 * np.pi / N_RING)
    shown = [k for k, cols in ((1, MOD1), (2, MOD2)) if x[:, cols].max() > SHOWN]
    if len(shown) == 1:
        stats["only_mod1"] = float(shown == [1])
    stats["target_fix_sum"] = float(y[:, 0].sum())
    stats["target_fix_high"] = float(np.sum(y[:, 0] > 0.5))
    stats["target_ring_max"] = float(y[:, 1:].max())
    stats["target_ring_sum"] = float(y[:, 1:].sum())
    stats["response_steps"] = float(np.sum(y[:, 1:].max(axis=1) > 0.1))
    stats["mask_fix_sum"] = float(c[:, 0].sum())
    stats["mask_ring_sum"] = float(c[:, 1].sum())
    stats["mask_response"] = float(np.sum(c[:, 1] == 5))
    stats["mask_zero"] = float(np.sum(c[:, 1] == 0))
    return stats


def two_stimuli(x: np.ndarray, epochs: dict[str, tuple[int, int]]) -> dict[str, float]:
    """Match tasks: sample (stim1) and test (go1) modality and the angle between them."""
    out: dict[str, float] = {}
    first, second = epochs["stim1"], epochs["go1"]
    sample = x[first[0] : first[1]].sum(axis=0)
    test = x[second[0] : second[1]].sum(axis=0)
    m1 = 1 if sample[MOD1].max() > sample[MOD2].max() else 2
    m2 = 1 if test[MOD1].max() > test[MOD2].max() else 2
    out["same_modality"] = float(m1 == m2)
    out["sample_mod1"] = float(m1 == 1)
    a1 = popvec(sample[MOD1] if m1 == 1 else sample[MOD2])
    a2 = popvec(test[MOD1] if m2 == 1 else test[MOD2])
    out["sample_test_dist"] = circdist(a1, a2)
    out["sample_upper"] = float(a1 < np.pi)
    return out


def summarise(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Mean, standard deviation and count of each statistic over the trials that have it."""
    keys = sorted({k for row in rows for k in row})
    out = {}
    for key in keys:
        values = np.array([row[key] for row in rows if key in row], float)
        out[key] = {
            "mean": float(values.mean()),
            "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "n": int(len(values)),
        }
    return out
