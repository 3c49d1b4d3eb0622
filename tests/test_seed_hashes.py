"""Fingerprints of the trials each bundled task gives for a seed, so a refactor that changes them is caught.

tests/data/seed_hashes.json holds, for every bundled task, sha256 hashes of `generate_trials(name, 32,
seed=0)` (ob, gt, mask, trial variables, period bounds) and of the first 3 batches of
`Dataset(name, 16, 100, seed=0)`, computed on main 2423ad7. Checking all 133 tasks takes minutes
(most of it the Dataset's default cache of 2**18 steps per refill), so CI checks a fixed sample: every
core NeuroGym task plus the variants below, with the Dataset's cache cut to the 3 batches hashed
(`dataset_short`). `TASKSPEC_SEED_HASHES=all` checks every task and the default Dataset too.

`python tests/test_seed_hashes.py` recomputes the file (`... modcog. NBack` only those tasks, keeping the
rest); do that only when a documented fix is meant to change trials, or for new tasks, and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import taskspec

DATA = Path(__file__).resolve().parent / "data" / "seed_hashes.json"
SHORT_CACHE = 300  # steps per row: exactly the 3 batches hashed, so the fast check builds no more


def _feed(digest: Any, label: str, array: Any) -> None:
    array = np.ascontiguousarray(np.asarray(array))
    digest.update(f"{label}|{array.dtype.str}|{array.shape}|".encode())
    digest.update(array.tobytes())


def trials_hash(name: str) -> str:
    """`generate_trials(name, 32, seed=0)`: ob, gt, mask, trial variables and period bounds."""
    batch = taskspec.generate_trials(name, 32, seed=0)
    digest = hashlib.sha256()
    for label, array in (("ob", batch.ob), ("gt", batch.gt), ("mask", batch.mask)):
        _feed(digest, label, array)
    for kind, table in (("var", batch.variables), ("start", batch.start), ("end", batch.end)):
        for key in sorted(table):
            _feed(digest, f"{kind}:{key}", table[key])
    return digest.hexdigest()


def dataset_hash(name: str, cache_len: int | None = None) -> str | None:
    """The first 3 batches of `Dataset(name, 16, 100, seed=0)`; None for a task without supervised data."""
    try:
        stream = taskspec.Dataset(name, 16, 100, seed=0, cache_len=cache_len)
    except ValueError:  # no ground truth (Bandit, Null)
        return None
    digest = hashlib.sha256()
    for i in range(3):
        inputs, target = stream()
        _feed(digest, f"inputs{i}", inputs)
        _feed(digest, f"target{i}", target)
    return digest.hexdigest()


def compute(names: list[str]) -> dict[str, dict[str, str | None]]:
    return {
        name: {
            "trials": trials_hash(name),
            "dataset": dataset_hash(name),
            "dataset_short": dataset_hash(name, SHORT_CACHE),
        }
        for name in names
    }


EVERYTHING = os.environ.get("TASKSPEC_SEED_HASHES") == "all"
VARIANTS = (  # session variables, agent-contingent timing, history, Mod-Cog and yang19 families
    "contextdecisionmaking.mante13",
    "modcog.ctxdm2seql",
    "modcog.dlydm1intr",
    "perceptualdecisionmaking.correction",
    "perceptualdecisionmaking.ibl20",
    "yang19.ctxdlydm1",
    "yang19.dms",
    "yang19.rtgo",
    "yang19paper.dm1",
)
CORE = tuple(name for name in taskspec.list_tasks() if "." not in name)  # NeuroGym's own tasks
CHECKED = taskspec.list_tasks() if EVERYTHING else sorted(CORE + VARIANTS)


def _recorded() -> dict[str, dict[str, str | None]]:
    return json.loads(DATA.read_text())  # type: ignore[no-any-return]


def test_the_record_covers_every_bundled_task() -> None:
    assert sorted(_recorded()) == sorted(taskspec.list_tasks())
    assert len(CORE) >= 30 and set(VARIANTS) <= set(taskspec.list_tasks())


@pytest.mark.parametrize("name", CHECKED)
def test_a_seed_gives_the_recorded_trials(name: str) -> None:
    recorded = _recorded()[name]
    assert trials_hash(name) == recorded["trials"], f"{name}: generate_trials changed; see this file's docstring"
    assert dataset_hash(name, SHORT_CACHE) == recorded["dataset_short"], f"{name}: Dataset batches changed"
    if EVERYTHING:
        assert dataset_hash(name) == recorded["dataset"], f"{name}: Dataset batches (default cache) changed"


def test_the_fingerprint_sees_a_changed_trial() -> None:
    """Guards the check against passing vacuously: another seed gives another hash."""
    batch = taskspec.generate_trials("GoNogo", 32, seed=0)
    other = taskspec.generate_trials("GoNogo", 32, seed=1)
    first, second = hashlib.sha256(), hashlib.sha256()
    _feed(first, "ob", batch.ob)
    _feed(second, "ob", other.ob)
    assert first.hexdigest() != second.hexdigest()
    assert trials_hash("GoNogo") == _recorded()["GoNogo"]["trials"]


if __name__ == "__main__":  # python tests/test_seed_hashes.py [TASK or FAMILY. ...]: all tasks, or just those
    chosen = [
        n for n in taskspec.list_tasks() if not sys.argv[1:] or any(n == a or n.startswith(a) for a in sys.argv[1:])
    ]
    table = {**(_recorded() if sys.argv[1:] else {}), **compute(chosen)}
    DATA.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(table)} tasks to {DATA}", file=sys.stderr)
