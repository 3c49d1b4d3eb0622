"""Which names each place of a spec may read: one table, for lowering and for hints.

A place is where an expression is written (a group size, a trial variable, an outcome rule,
...). Its row says which kinds of declared name it sees (parameters, session, trial and state
variables, action groups, rewards), which names of the language itself (`t`, `action`,
`last_*`, ...), and whether it may draw at random or read period times. The lowerer builds
each expression's context from the row; when a name is unknown, the same table says where it
could be read instead, so a hint never suggests a name the place cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass

from .language import HISTORY, OUTCOME, PAST


@dataclass(frozen=True)
class Place:
    label: str  # how messages name the place
    kinds: tuple[str, ...]  # kinds of declared name it reads
    builtins: tuple[str, ...] = ()  # the language's own names it reads, besides dt
    random: bool = False
    timing: bool = False  # start('p'), end('p'), step helpers


_TRIAL = ("param", "session variable", "trial variable", "action group")
_STEP = (*_TRIAL, "state variable")

PLACES: dict[str, Place] = {
    "size": Place("group sizes", ("param",)),
    "session init": Place("session variables' 'init'", ("param", "action group"), random=True),
    "session next": Place(
        "session variables' 'next'",
        ("param", "action group", "session variable"),
        (*sorted(HISTORY), "last_*", *sorted(PAST), "past_*"),
        random=True,
    ),
    "trial": Place("trial variables", _TRIAL, random=True),
    "state init": Place("state variables' 'init'", _TRIAL),
    "duration": Place("period durations", ("param", "session variable", "trial variable"), random=True),
    "by": Place("'where: {by: ...}'", ("param", "session variable", "trial variable")),
    "input": Place("inputs", _STEP, ("t", "rep", *sorted(OUTCOME)), timing=True),
    "target": Place("targets", _STEP, ("t", "rep", *sorted(OUTCOME)), timing=True),
    "rule": Place(
        "outcome rules, 'until' and state variables' 'next'",
        (*_STEP, "reward"),
        ("t", "rep", "action", "target", *sorted(OUTCOME)),
        timing=True,
    ),
    "timeout": Place("timeout rules", (*_STEP, "reward"), tuple(sorted(OUTCOME))),
}
KIND_WORDS = {
    "param": "a parameter",
    "session variable": "a session variable",
    "trial variable": "a trial variable",
    "state variable": "a state variable",
    "action group": "an action group",
    "reward": "a reward",
}


def readers(name: str, kind: str | None) -> list[str]:
    """The places that may read `name` (declared with `kind`, or one of the language's own names)."""
    key = name[:4] + "_*" if name[:5] in ("last_", "past_") and name not in HISTORY | PAST else name
    return [
        place.label
        for place in PLACES.values()
        if (kind is not None and kind in place.kinds) or (kind is None and key in place.builtins)
    ]


def elsewhere(name: str, kind: str | None, here: str) -> str | None:
    """'`name` ... can be read in ...' when `name` exists but the place `here` cannot read it."""
    places = [label for label in readers(name, kind) if label != PLACES[here].label]
    if not places:
        return None
    what = KIND_WORDS.get(kind or "", "")
    if name.startswith("last_") and kind is None:
        what = "the finished trial's value"
    if name.startswith("past_") and kind is None:
        what = "the values of the last trials"
    subject = f"'{name}' ({what})" if what else f"'{name}'"
    return f"{subject} cannot be read in {PLACES[here].label}; it can be read in {'; '.join(places)}"
