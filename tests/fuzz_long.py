"""The long fuzzing run: tests/test_properties.py and the Unicode-names property of
tests/test_hostile_code.py under the `long` hypothesis profile, then a summary.

    python tests/fuzz_long.py                 # over 10,000 examples; about 10-30 minutes on 2 cores
    python tests/fuzz_long.py -x -k mutated   # extra arguments go to pytest

It runs pytest with TASKSPEC_FUZZ=long, streams pytest's output, and ends with the number
of examples each property ran, how they ended (rejected with a SpecError, ran, ...) and
the failed tests. The child process gets an address-space limit (TASKSPEC_FUZZ_MEMORY_GB,
default 8; 0 for none) so a runaway allocation fails as MemoryError instead of waking the
out-of-memory killer. The exit code is pytest's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _limit_memory() -> None:
    gigabytes = float(os.environ.get("TASKSPEC_FUZZ_MEMORY_GB", "8"))
    if gigabytes > 0:
        import resource

        limit = int(gigabytes * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        stats_file = Path(folder) / "stats.json"
        env = {**os.environ, "TASKSPEC_FUZZ": "long", "TASKSPEC_FUZZ_STATS": str(stats_file),
               "PYTHONUNBUFFERED": "1"}  # stream pytest's progress through the pipe
        command = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_properties.py"),
                   str(ROOT / "tests" / "test_hostile_code.py"), "-k", "not test_hostile_code or unicode", "-q",
                   "-rfE",
                   "-p", "no:cacheprovider", "--hypothesis-show-statistics", *argv]
        print("$ TASKSPEC_FUZZ=long", " ".join(command[2:]), flush=True)
        started = time.monotonic()
        lines: list[str] = []
        preexec = _limit_memory if os.name == "posix" else None
        with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, preexec_fn=preexec) as child:  # noqa: S603 - our own interpreter
            assert child.stdout is not None
            for line in child.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(line.rstrip("\n"))
            code = child.wait()
        elapsed = time.monotonic() - started
        stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}

    print("\n" + "=" * 30 + " fuzz summary " + "=" * 30)
    print(f"profile: long, {elapsed / 60:.1f} min, pytest exit code {code}")
    by_property: dict[str, dict[str, int]] = {}
    for key, count in stats.items():
        prop, _, outcome = key.partition(": ")
        by_property.setdefault(prop, {})[outcome] = count
    total = 0
    for prop, outcomes in sorted(by_property.items()):
        runs = sum(outcomes.values())
        total += runs
        detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items(), key=lambda kv: -kv[1]))
        print(f"  {prop}: {runs} examples passed the property ({detail})")
    print(f"examples that passed the properties: {total} (mutation + random spec:"
          f" {sum(sum(by_property.get(p, {}).values()) for p in ('mutation', 'random spec'))})")
    counts = [tuple(map(int, m.groups())) for line in lines
              if (m := re.search(r"(\d+) passing, (\d+) failing, and (\d+) invalid", line))]
    if counts:
        passing, failing, invalid = (sum(c[i] for c in counts) for i in range(3))
        print(f"examples run (hypothesis, all phases and tests): {passing + failing + invalid}"
              f" ({passing} passing, {failing} failing, {invalid} invalid)")
    failed = [line for line in lines if re.match(r"^(FAILED|ERROR) ", line)]
    print(f"failed tests: {len(failed)}")
    for line in failed:
        print("  " + line)
    if not stats:
        print("(no statistics were written: did the test module run?)")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
