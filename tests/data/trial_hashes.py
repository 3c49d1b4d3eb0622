"""Hashes of `taskspec.generate_trials(name, 64, seed=0)` for every bundled task: "nothing lost".

    python tests/data/trial_hashes.py OUT.json                 # write the hashes
    python tests/data/trial_hashes.py OUT.json --compare REF   # and list the tasks that differ from REF

`trial_hashes_before.json` holds them from the tree before the type checker (2423ad7). Each array
(ob, gt, mask, period ids, loss weights, lengths, variables, period bounds) is hashed with its
dtype and shape; a task that cannot be built records its error instead.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import numpy as np

import taskspec


def task_hashes(name: str) -> dict[str, str] | str:
    try:
        batch = taskspec.generate_trials(name, 64, seed=0)
    except Exception as exc:  # recorded: a task that stops building is a difference too
        return f"error: {type(exc).__name__}: {exc}"[:300]
    arrays: dict[str, Any] = {k: getattr(batch, k) for k in ("ob", "gt", "mask", "period_id", "weight", "length")}
    for group in ("variables", "start", "end"):
        arrays |= {f"{group}.{k}": v for k, v in getattr(batch, group).items()}
    out = {}
    for key, value in sorted(arrays.items()):
        array = np.ascontiguousarray(np.asarray(value))
        digest = hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes())
        out[key] = digest.hexdigest()[:16]
    return out


def main(argv: list[str]) -> int:
    hashes = {name: task_hashes(name) for name in taskspec.list_tasks()}
    with open(argv[0], "w") as f:
        json.dump(hashes, f, indent=1, sort_keys=True)
    print(f"{len(hashes)} tasks hashed")
    if "--compare" in argv:
        with open(argv[argv.index("--compare") + 1]) as f:
            reference = json.load(f)
        differ = sorted(name for name in reference.keys() | hashes.keys() if reference.get(name) != hashes.get(name))
        print(f"{len(differ)} differ: {differ}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
