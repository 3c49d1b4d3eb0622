"""The expression language's vocabulary: the functions, names and operators a spec may write,
and what an expression may use where it appears (`Context`).

The checker (checker.py), the expansions of helper calls (expansions.py) and the backends read
these tables, so a name is added to the language in one place.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .defines import Defined

MATH = {
    "abs",
    "sqrt",
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "tanh",
    "arctan2",
    "floor",
    "ceil",
    "round",
    "sign",
    "mod",
    "minimum",
    "maximum",
    "clip",
    "where",
    "ring",
    "onehot",
    "multihot",
    "arange",
    "sum",
    "mean",
    "circdist",
    "interp",
    "cumsum",
    "lag",
}
RANDOM = {"choice", "uniform", "integers", "bernoulli", "normal", "trunc_exp", "nback_items"}
TIMING = {"start", "end"}
CONSTANTS = {"pi", "e", "inf"}
KEYWORDS = {"choice": {"p", "size", "replace"}, **{name: {"size"} for name in RANDOM - {"choice", "nback_items"}}}
# Functions of the NumPy backends only: a backend that accepts MATH | RANDOM | TIMING (as the JAX
# one does) refuses them by name. `choice(..., replace=...)` is NumPy-only too: such a backend
# must refuse the keyword itself.
SHAPES = {"len"}
# Step helpers, written in terms of the functions above before checking (expansions.py), so
# every backend runs them: whole_steps(ms) is `dt * floor(ms / dt)`, step_in('p') the step's
# index within period p, `round((t - start('p')) / dt)`, n_steps('p') its length in steps, and
# elapsed('p') the ms period p has run when the current step is over, `t + dt - start('p')`: so
# `until: elapsed('iti') >= 500` ends the period after exactly 500 ms (`t - start` would give 550).
STEP_HELPERS = {"whole_steps", "step_in", "n_steps", "elapsed"}
# Windows over past trials (a session variable's `next`), written out like the step helpers: over
# the last k finished trials (fewer at the session's start), window_count(k) is how many there are,
# window_sum(past_x, k) and window_mean(past_x, k) the sum and mean of x (0 before any trial).
# ended_in('p') and ended_by('rule'): see expansions.py.
WINDOW_HELPERS = {"window_count", "window_sum", "window_mean", "ended_in", "ended_by"}
FUNCTIONS = MATH | RANDOM | TIMING | SHAPES | STEP_HELPERS | WINDOW_HELPERS | {"old"}  # every name a spec may call
# Names the language itself provides in some contexts; specs may not reuse them.
BUILTIN_NAMES = {"dt", "t", "rep", "action", "target", "True", "False", "None", "inherited"}
# The finished trial, as a session variable's `next` sees it (plus `last_<trial variable>`), and the
# current trial's performance, which rules, `until` conditions and inputs may read.
HISTORY = {
    "last_performance",
    "last_reward",
    "last_timed_out",
    "last_choice",
    "last_choice_t",
    "last_period",
    "last_rule",
    "trials_done",
}
# Windows over past trials, in a session variable's `next`: `past_<x>` holds the last
# machine.WINDOW values of `last_<x>` (of the numbers among them), newest first.
PAST = {
    "past_performance",
    "past_reward",
    "past_timed_out",
    "past_choice",
    "past_choice_t",
    "past_period",
    "past_rule",
}
OUTCOME = {"performance"}
RESERVED = (
    BUILTIN_NAMES | CONSTANTS | HISTORY | PAST | OUTCOME
)  # names the language provides: a spec may not declare them


def history_names(trial: Iterable[str]) -> set[str]:
    """Every name a session variable's `next` may read about finished trials, given the trial variables."""
    return HISTORY | PAST | {f"{prefix}_{name}" for name in trial for prefix in ("last", "past")}


BINARY_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)  # and ** (as fn.power)
COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@dataclass(frozen=True)
class Context:
    """What an expression may use where it appears."""

    names: Mapping[str, str]  # visible name -> kind ("param", "var", "group", "reward", "builtin")
    periods: frozenset[str] = frozenset()
    later: frozenset[str] = frozenset()  # trial variables defined further down
    random: bool = False
    timing: bool = False
    wide: frozenset[str] = frozenset()  # action groups of several actions: `action == group` is a mistake
    defines: Mapping[str, Defined] = field(default_factory=dict)  # the spec's `define:` functions, inlined
    defining: str = ""  # the name this expression defines: never a "did you mean" for its own text
    # In a session variable's `next`: the variables updated later in the pass (read only as old(x)),
    # and those old() may read (them and the variable itself).
    below: frozenset[str] = frozenset()
    order: tuple[str, ...] = ()  # the periods in layout order: `last_period` is an index into it
    # The outcome rules in order (`last_rule` is an index into it): each one's `name` (None if it
    # has none) and whether it can end a trial.
    rules: tuple[tuple[str | None, bool], ...] = ()
    old: frozenset[str] = frozenset()
    # Where else an unknown name could be read (places.py), or None when the spec has no such name.
    elsewhere: Callable[[str], str | None] | None = None
    # Copies of repeated blocks: a block's name or one of its periods -> per copy (first and last
    # period of the copy, the periods whose start and end the name stands for in that copy).
    copies: Mapping[str, tuple[tuple[str, str, str, str], ...]] = field(default_factory=dict)
    spans: tuple[tuple[int, str, str], ...] = ()  # every copy: (its number, its first and last period)
    current_rep: bool = False  # `rep` is written out over the copies' spans (where no per-step table has it)


class ExprError(Exception):
    """A problem at (line, col) inside the expression text, both 0-based."""

    def __init__(self, message: str, line: int = 0, col: int = 0):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col
