"""Writes the Mod-Cog family (Khona et al. 2023) as bundled specs: Mod-Cog's bases plus modifiers.

Mod-Cog grows Yang et al.'s 20 tasks with two modifiers, each clockwise ("r") or
counter-clockwise ("l"): a sequence response ("seq", any task) and an integrated delay
("int", tasks with a delay). Its code (`mod_cog_tasks.py`) builds the 20 bases on NeuroGym's
yang19 classes with its own timing and fixation input, so each base here is the yang19 task
with the modifier of its family that sets what Mod-Cog's code does differently
(tasks/modifiers/modcog.dm.yaml, modcog.dlydm.yaml, modcog.match.yaml; the go family needs
none). Each combination is a short spec that extends a base and lists the modifiers
(modcog.seq.yaml, modcog.int.yaml). This writes 126 specs (tasks/modcog.*.yaml): the 93 task
functions of Mod-Cog's code (the 20 bases, 62 one-modifier combinations, 11 `intseq` tasks
with both modifiers clockwise) and the 33 other int + seq combinations that its README counts
towards 126 tasks but its code does not define.

    python examples/modcog_family.py            # rewrite the files
    python examples/modcog_family.py --check    # exit 1 if a file differs from what it would write
"""

from __future__ import annotations

import sys
from pathlib import Path

TASKS = Path(__file__).resolve().parent.parent / "tasks"
# base -> (yang19 task it extends, Mod-Cog base modifier or None, stim_mod default or None)
BASES: dict[str, tuple[str, str | None, list[int] | None]] = {
    "go": ("yang19.go", None, None),
    "rtgo": ("yang19.rtgo", None, None),
    "dlygo": ("yang19.dlygo", None, None),
    "anti": ("yang19.anti", None, None),
    "rtanti": ("yang19.rtanti", None, None),
    "dlyanti": ("yang19.dlyanti", None, None),
    "dm1": ("yang19.dm2", "modcog.dm", [1, 0]),  # Mod-Cog's dm1 is its dm2 with the other modality
    "dm2": ("yang19.dm2", "modcog.dm", None),
    "ctxdm1": ("yang19.ctxdm1", "modcog.dm", None),
    "ctxdm2": ("yang19.ctxdm2", "modcog.dm", None),
    "multidm": ("yang19.multidm", "modcog.dm", None),
    "dlydm1": ("yang19.dlydm1", "modcog.dlydm", None),
    "dlydm2": ("yang19.dlydm2", "modcog.dlydm", None),
    "ctxdlydm1": ("yang19.ctxdlydm1", "modcog.dlydm", None),
    "ctxdlydm2": ("yang19.ctxdlydm2", "modcog.dlydm", None),
    "multidlydm": ("yang19.multidlydm", "modcog.dlydm", None),
    "dms": ("yang19.dms", "modcog.match", None),
    "dnms": ("yang19.dnms", "modcog.match", None),
    "dmc": ("yang19.dmc", "modcog.match", None),
    "dnmc": ("yang19.dnmc", "modcog.match", None),
}
WITH_DELAY = [
    "dlygo", "dlyanti", "dlydm1", "dlydm2", "ctxdlydm1", "ctxdlydm2", "multidlydm", "dms", "dnms", "dmc", "dnmc",
]  # fmt: skip
REACTION_TIME = {"rtgo", "rtanti"}  # Mod-Cog keeps their 500 ms decision when it adds seq
DIRECTIONS = {"r": (1, "clockwise"), "l": (-1, "counter-clockwise")}
DOC = "the direction the response moves: 1 clockwise (Mod-Cog's r), -1 counter-clockwise (l)"
STIM_MOD_DOC = "whether modality 1 and modality 2 show the bumps (1 = yes, 0 = noise only; NeuroGym: booleans)"
HEADER = """# yaml-language-server: $schema=../schemas/taskspec.schema.json
# Written by examples/modcog_family.py: edit the script, not this file.
"""
PAPER = (
    "Khona, Chandra, Ma & Fiete (2023), Winning the lottery with neurobiology: faster learning on many "
    "cognitive tasks with fixed sparse RNNs"
)
WHAT = {
    "seq": "the response moves along the ring during the decision, 10 positions per second",
    "int": "the response is moved along the ring in proportion to a random delay",
}
BASE_WHAT = {
    None: "the same trials as the NeuroGym port",
    "modcog.dm": "a 500 ms stimulus; the fixation input on until the decision, noisy with the stimuli",
    "modcog.dlydm": "a 500 ms delay; the fixation input on until the decision, noisy with the stimuli",
    "modcog.match": "a 200-1200 ms delay; the fixation input on until the decision",
}
REFERENCE = f"""reference:
  paper: "{PAPER}"
  url: https://arxiv.org/abs/2207.03523
tags: [modcog, multitask, supervised]
"""
SEE = "See docs/parity.md (Mod-Cog) for the differences from Mod-Cog's code."


def base_spec(base: str) -> tuple[str, str]:
    """(task name, spec text) of a Mod-Cog base: its yang19 twin with its family's Mod-Cog modifier."""
    parent, modifier, stim_mod = BASES[base]
    modifiers = f"modifiers: [{modifier}]\n" if modifier else ""
    params = f'params:\n  stim_mod: {{default: {stim_mod}, doc: "{STIM_MOD_DOC}"}}\n' if stim_mod else ""
    how = f"{parent} with `stim_mod: {stim_mod}`" if stim_mod else parent
    if modifier:
        how += f" and the {modifier} modifier"
    text = f"""{HEADER}task: modcog.{base}
extends: {parent}
{modifiers}description: |
  Mod-Cog's {base} on the base its code builds on: {how} ({BASE_WHAT[modifier]}).
  {SEE}
{REFERENCE}{params}"""
    return f"modcog.{base}", text


def spec(base: str, modifier: str, side: str) -> tuple[str, str]:
    """(task name, spec text) of base + one modifier turning to one side."""
    sign, words = DIRECTIONS[side]
    name = f"{base}{modifier}{side}"
    param = "seq_dir" if modifier == "seq" else "int_dir"
    periods = "periods: {decision: 500}   # Mod-Cog keeps the reaction-time decision\n" if (
        modifier == "seq" and base in REACTION_TIME) else ""  # fmt: skip
    text = f"""{HEADER}task: modcog.{name}
extends: modcog.{base}
modifiers: [modcog.{modifier}]
description: |
  Mod-Cog's {name}: modcog.{base} with the {modifier} modifier ({WHAT[modifier]}), {words}.
  {SEE}
{REFERENCE}params:
  {param}: {{default: {sign}, doc: "{DOC}"}}
{periods}"""
    return f"modcog.{name}", text


def both(base: str, int_side: str, seq_side: str) -> tuple[str, str]:
    """(task name, spec text) of base + int + seq: Mod-Cog's `<base>intseq` (both clockwise) or one of
    the three combinations its README counts but its code does not define."""
    in_code = int_side == seq_side == "r"
    name = f"{base}intseq" if in_code else f"{base}int{int_side}seq{seq_side}"
    origin = ("a task function of Mod-Cog's code" if in_code else
              "counted by Mod-Cog's README (126 tasks) but not defined by its code")  # fmt: skip
    text = f"""{HEADER}task: modcog.{name}
extends: modcog.{base}
modifiers: [modcog.int, modcog.seq]
description: |
  Mod-Cog's {name}, {origin}: modcog.{base} with the int modifier
  ({WHAT["int"]}), {DIRECTIONS[int_side][1]}, and then the seq modifier
  ({WHAT["seq"]}), {DIRECTIONS[seq_side][1]}.
  {SEE}
{REFERENCE}params:
  int_dir: {{default: {DIRECTIONS[int_side][0]}, doc: "{DOC}"}}
  seq_dir: {{default: {DIRECTIONS[seq_side][0]}, doc: "{DOC}"}}
"""
    return f"modcog.{name}", text


def family() -> dict[str, str]:
    """Task name -> spec text: bases, int variants, seq variants, then both modifiers."""
    out = dict(base_spec(base) for base in BASES)
    out.update(spec(base, "int", side) for base in WITH_DELAY for side in "rl")
    out.update(spec(base, "seq", side) for side in "rl" for base in BASES)
    out.update(both(base, i, s) for base in WITH_DELAY for i in "rl" for s in "rl")
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
