"""Before/after throughput of two checkouts, measured in one run under the same load.

Run: python benchmarks/compare_trees.py OLD_TREE NEW_TREE [--rounds 2] [--seconds 1.5]

Each benchmark (bench_rl, bench_data, bench_jax) runs alternately on the old and the new tree
(its own benchmarks/ script, with that tree first on PYTHONPATH), `--rounds` times each, the order
flipped every round so neither tree always runs first. For every rate a benchmark prints, the
median of the rounds is taken per tree and the ratio new/old is printed (1.00: no change), with
the lowest and highest ratio of the two runs of one round: on a busy machine their spread says how
much of a difference is noise (bench_data's "numpy floor" runs the same code in both trees).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\w.])")  # rates print with thousands separators
RUNS = {
    "bench_rl": ["--seconds"],
    "bench_data": ["--seconds"],
    "bench_jax": ["--sizes", "1024", "4096", "--seconds"],
}


def rates(output: str) -> dict[str, list[float]]:
    """Each printed line's rates (numbers with thousands separators), keyed by the line with them blanked."""
    found: dict[str, list[float]] = {}
    section = ""  # the last unindented line's first word: bench_jax's task
    for line in output.splitlines():
        if line and not line[0].isspace():
            section = line.split(",")[0].split()[0]
        values = [float(v.replace(",", "")) for v in NUMBER.findall(line)]
        if values:
            key = re.sub(r"\s+", " ", NUMBER.sub("#", re.sub(r"\d+\.\d+x?|\d+\.\d s", "", line))).strip()
            found[f"{section} | {key}" if line.startswith(" ") else key] = values
    return found


def run(tree: Path, bench: str, seconds: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    args = [sys.executable, str(tree / "benchmarks" / f"{bench}.py"), *RUNS[bench], str(seconds)]
    done = subprocess.run(args, env=env, cwd=tree, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--benches", nargs="+", default=list(RUNS))
    args = parser.parse_args()
    for bench in args.benches:
        measured: dict[str, list[dict[str, list[float]]]] = {"old": [], "new": []}
        for r in range(args.rounds):
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            for which in order:
                measured[which].append(rates(run(getattr(args, which), bench, args.seconds)))
        print(f"\n{bench}: median of {args.rounds} rounds, new / old [lowest-highest ratio of one round's pair]")
        for key, first in measured["old"][0].items():
            columns = []
            for j in range(len(first)):
                pairs = [
                    (o[key][j], n[key][j])
                    for o, n in zip(measured["old"], measured["new"], strict=True)
                    if key in o and key in n and len(o[key]) > j and len(n[key]) > j
                ]
                if not pairs:  # e.g. a target met in one tree and MISSED in the other: different lines
                    columns.append("not printed by both trees in one round")
                    continue
                old = statistics.median(o for o, _ in pairs)
                new = statistics.median(n for _, n in pairs)
                spread = [n / o for o, n in pairs]  # how far apart the rounds were: the noise of the machine
                columns.append(
                    f"{old:>13,.0f} -> {new:>13,.0f} ({new / old:.2f} [{min(spread):.2f}-{max(spread):.2f}])"
                )
            print(f"  {key[:70]:70} " + "   ".join(columns))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
