"""Hashes of generate_trials(name, 64, seed=0) arrays for every bundled task."""
import hashlib, json, sys
import numpy as np
import taskspec

out = {}
for name in taskspec.list_tasks():
    try:
        b = taskspec.generate_trials(name, 64, seed=0)
    except Exception as exc:
        out[name] = f"error: {type(exc).__name__}: {exc}"[:300]
        continue
    parts = {}
    for key in sorted(vars(b)) if hasattr(b, "__dict__") else []:
        pass
    items = {}
    for attr in ("ob", "gt", "mask", "period_id", "weight"):
        if hasattr(b, attr):
            items[attr] = getattr(b, attr)
    for attr in ("trials", "variables", "vars", "periods", "start", "end", "length"):
        v = getattr(b, attr, None)
        if isinstance(v, dict):
            for k in sorted(v):
                items[f"{attr}.{k}"] = v[k]
        elif isinstance(v, np.ndarray):
            items[attr] = v
    h = {}
    for k, v in items.items():
        a = np.ascontiguousarray(np.asarray(v))
        h[k] = hashlib.sha256(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes()).hexdigest()[:16]
    out[name] = h
json.dump(out, open(sys.argv[1], "w"), indent=1, sort_keys=True)
print(len(out))
