"""Writes the Mod-Cog family (Khona et al. 2023) as bundled specs: yang19 bases plus modifiers.

Mod-Cog grows Yang et al.'s 20 tasks with two modifiers, each clockwise ("r") or
counter-clockwise ("l"): a sequence response ("seq", any task) and an integrated delay
("int", tasks with a delay). Each combination is a short spec that extends the yang19 base
and lists the modifiers (tasks/modifiers/modcog.seq.yaml, modcog.int.yaml), so the family
is its bases plus two transforms. The 20 bases are the bundled yang19.* tasks; this writes
the other 73 task functions of Mod-Cog's code (tasks/modcog.*.yaml): the 62 combinations
of the 82-task set in its README and its 11 `intseq` tasks (both modifiers, clockwise).

    python examples/modcog_family.py            # rewrite the files
    python examples/modcog_family.py --check    # exit 1 if a file differs from what it would write
"""

from __future__ import annotations

import sys
from pathlib import Path

TASKS = Path(__file__).resolve().parent.parent / "tasks"
BASES = [
    "go", "rtgo", "dlygo", "anti", "rtanti", "dlyanti", "dm1", "dm2", "ctxdm1", "ctxdm2", "multidm",
    "dlydm1", "dlydm2", "ctxdlydm1", "ctxdlydm2", "multidlydm", "dms", "dnms", "dmc", "dnmc",
]  # fmt: skip
WITH_DELAY = [
    "dlygo", "dlyanti", "dlydm1", "dlydm2", "ctxdlydm1", "ctxdlydm2", "multidlydm", "dms", "dnms", "dmc", "dnmc",
]  # fmt: skip
DIRECTIONS = {"r": (1, "clockwise"), "l": (-1, "counter-clockwise")}
DOC = "the direction the response moves: 1 clockwise (Mod-Cog's r), -1 counter-clockwise (l)"
HEADER = """# yaml-language-server: $schema=../schemas/taskspec.schema.json
# Written by examples/modcog_family.py: edit the script, not this file.
"""
PAPER = (
    "Khona, Chandra, Ma & Fiete (2023), Winning the lottery with neurobiology: faster learning on many "
    "cognitive tasks with fixed sparse RNNs"
)


WHAT = {
    "seq": "the response moves along the ring during a 1000 ms decision",
    "int": "the response is moved along the ring in proportion to a random delay",
}

REFERENCE = f"""reference:
  paper: "{PAPER}"
  url: https://arxiv.org/abs/2207.03523
tags: [modcog, multitask, supervised]
"""


def spec(base: str, modifier: str, side: str) -> tuple[str, str]:
    """(task name, spec text) of base + one modifier turning to one side."""
    sign, words = DIRECTIONS[side]
    name = f"{base}{modifier}{side}"
    param = "seq_dir" if modifier == "seq" else "int_dir"
    text = f"""{HEADER}task: modcog.{name}
extends: yang19.{base}
modifiers: [modcog.{modifier}]
description: |
  Mod-Cog's {name}: yang19.{base} with the {modifier} modifier ({WHAT[modifier]}), {words}.
  See tasks/modifiers/modcog.{modifier}.yaml and docs/parity.md for the differences from Mod-Cog's code.
{REFERENCE}params:
  {param}: {{default: {sign}, doc: "{DOC}"}}
"""
    return f"modcog.{name}", text


def both(base: str) -> tuple[str, str]:
    """(task name, spec text) of Mod-Cog's `<base>intseq`: both modifiers, both clockwise (their defaults)."""
    name = f"{base}intseq"
    text = f"""{HEADER}task: modcog.{name}
extends: yang19.{base}
modifiers: [modcog.int, modcog.seq]
description: |
  Mod-Cog's {name}: yang19.{base} with the int modifier ({WHAT["int"]}) and then the seq
  modifier ({WHAT["seq"]}), both clockwise.
  See tasks/modifiers/ and docs/parity.md for the differences from Mod-Cog's code.
{REFERENCE}"""
    return f"modcog.{name}", text


def family() -> dict[str, str]:
    """Task name -> spec text: int variants, seq variants, then both (Mod-Cog's `intseq` tasks)."""
    out = dict(spec(base, "int", side) for base in WITH_DELAY for side in "rl")
    out.update(spec(base, "seq", side) for side in "rl" for base in BASES)
    out.update(both(base) for base in WITH_DELAY)
    return out


def main(argv: list[str]) -> int:
    specs = family()
    if "--check" in argv:
        stale = [n for n, text in specs.items() if not (TASKS / f"{n}.yaml").is_file()
                 or (TASKS / f"{n}.yaml").read_text() != text]  # fmt: skip
        print("\n".join(stale) or f"all {len(specs)} Mod-Cog specs are up to date")
        return 1 if stale else 0
    for name, text in specs.items():
        (TASKS / f"{name}.yaml").write_text(text)
    print(f"wrote {len(specs)} specs to {TASKS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
