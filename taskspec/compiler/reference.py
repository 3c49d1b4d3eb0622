"""The spec reference (docs/spec-reference.md), generated from the models so it cannot drift.

Run `python -m taskspec.compiler.reference > docs/spec-reference.md`; a test fails when the file is stale.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..runtime.machine import WINDOW
from . import models
from .language import CONSTANTS, MATH, RANDOM, SHAPES, TIMING
from .names import MAX_NAME_CHARS
from .places import KIND_WORDS, PLACES


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(dict.fromkeys(_type_name(a) for a in args if a is not type(None)))
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping of name to {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    names = {str: "text", int: "whole number", float: "number", bool: "true/false"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _model_section(model: type[BaseModel]) -> list[str]:
    lines = [
        f"## {model.__name__}",
        "",
        (model.__doc__ or "").strip(),
        "",
        "| key | type | required | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, field in model.model_fields.items():
        required = field.is_required()
        default = (
            ""
            if required
            else (
                "[]"
                if field.default_factory is list
                else "{}"
                if field.default_factory is dict
                else repr(field.default)
            )
        )
        doc = (field.description or "").replace("|", "\\|")
        lines.append(
            f"| `{name}` | {_type_name(field.annotation).replace('|', '/')} | "
            f"{'yes' if required else 'no'} | {default} | {doc} |"
        )
    return [*lines, ""]


def _types_section() -> list[str]:
    """Types and shapes (compiler/types.py, shapes.py) and the table of which names each place reads
    (compiler/places.py), written from that table."""
    rows = []
    for place in PLACES.values():
        names = [KIND_WORDS[k].split(" ", 1)[1] + "s" for k in place.kinds]
        names += [f"`{b}`" for b in place.builtins]
        extra = ("; draws" if place.random else "") + ("; period times" if place.timing else "")
        rows.append(f"| {place.label} | {', '.join(names)}{extra} |")
    return [
        "## Types and shapes",
        "",
        "Every expression has a kind (truth value, whole number or number) and a shape per trial: one",
        "number, or a vector whose length follows from the spec (a number, or a parameter such as",
        "`dim_ring`). Both are worked out when the spec is checked, so a mismatch is a located sentence",
        "before any trial is drawn (`tests/bad_specs/shape_*.yaml` lists them). Vectors go wherever numbers go:",
        "",
        "- arithmetic, comparisons, `where`, `abs`, `cos`, ... work entry by entry; one number (fixed, or",
        "  one per trial) combines with a vector, and two vectors combine when they have the same length",
        "  (lengths that follow parameters, e.g. `ring(dim_ring) + w`, are compared when the env is made);",
        "- a list `[a, b]` holds numbers, each fixed or one per trial (`[d3, d3 if catch else s]`);",
        "- `x[i]` is one entry; with `i` one number per trial, one value per trial (`colors[j]`); a vector",
        "  of indices picks several entries of a list fixed for the task;",
        "- `sum`, `mean` and `len` turn a vector into one number (`sum(x > 2)` counts entries);",
        "- `onehot(i, n)` is a vector of n numbers, 1 at `i`; given a vector of indices it marks each of",
        "  them (multi-hot; `multihot` is the same function); an index outside 0..n-1 marks nothing;",
        "- draws take per-trial arguments: `integers(0, set_size)` with `set_size` one number per trial;",
        "  `choice()` picks from options fixed for the task; the size of a vector (`size=`, `ring(n)`,",
        "  `arange(n)`, `onehot(i, n)`) is the same for every trial; k different values with k per trial",
        "  up to a bound K are `choice(n, size=K, replace=False)` with the mask `arange(K) < k`;",
        "- a session variable may start as a vector (`init: 0 * arange(50)`) and keeps its shape in",
        "  `next`; one entry is updated with `where(arange(50) == i, new, old)`;",
        "- a state variable may be a vector too, starting from a constant (`init: 0 * arange(6)`) or",
        "  from a trial variable (`init: targets`); its `next` gives a vector of the same length, e.g.",
        "  `where(arange(6) == action - 1, 1, answered)` marks the item just chosen; rules, `until` and",
        "  inputs read it like any vector (`sum(answered)`, `answered[i]`; `examples/visual_search.yaml`);",
        "- conditions, rewards, performances, durations, group sizes, `by` and the targets of discrete",
        "  actions are one number; an input's value is one number or a vector of as many entries as its",
        "  groups have columns.",
        "",
        "Which names each place may read (a name read elsewhere is an error that says where it can be read):",
        "",
        "| place | names |",
        "| --- | --- |",
        *rows,
        "",
        "`dt` and the constants can be read everywhere; `rep` only in specs with repeated blocks.",
        "`examples/change_detection.yaml` is a multi-item display written with vectors.",
        "",
    ]


def reference_markdown() -> str:
    """The whole reference: every model, then the expression language's names."""
    parts = [
        "# Spec reference",
        "",
        "Generated from `taskspec/compiler/models.py` by `python -m taskspec.compiler.reference`;",
        "do not edit by hand.",
        "Unknown keys are errors everywhere.",
        "",
    ]
    for model in (
        models.TaskSpec,
        models.Reference,
        models.Param,
        models.SessionVariable,
        models.StateVariable,
        models.PeriodTiming,
        models.RepeatedPeriods,
        models.Input,
        models.Target,
        models.Regression,
        models.Outcome,
        models.Timeout,
        models.Response,
    ):
        parts += _model_section(model)
    parts += [
        "## Expressions",
        "",
        "Python syntax: numbers, `+ - * / // % **`, comparisons, `and or not`, `x if c else y`,",
        "indexing `a[i]`, lists `[a, b]`, and the names the context allows (parameters, session, trial",
        "and state variables, action groups, rewards in rules, `dt`, `t` in ms, `action` and `target`",
        "in rules and state updates, `rep` (the copy of a repeated period) in inputs, targets, rules,",
        "`until` and state updates).",
        "",
        f"- functions: {', '.join(f'`{f}`' for f in sorted(MATH | SHAPES))}; `len(x)` is the number of",
        "  entries of a list or vector",
        f"- random draws (trial and session variables and durations only; `size=k` draws a vector of k): "
        f"{', '.join(f'`{f}`' for f in sorted(RANDOM))}; `choice(options, size=k, replace=False)` draws k",
        "  different options for each trial (with `p=`, as drawing one by one and renormalising)",
        "- steps: `whole_steps(ms)` is `ms` rounded down to whole steps, `dt * floor(ms / dt)` (anywhere);",
        "  `step_in('p')` is the index of the current step within period p (0 at its first step) and",
        "  `n_steps('p')` the number of steps of period p, and `elapsed('p')` the ms period p has run",
        "  once the current step is over, `t + dt - start('p')`, so `until: elapsed('p') >= 500` ends it",
        "  after exactly 500 ms (inputs, targets, rules)",
        f"- period times in ms (inputs, targets, rules): {', '.join(f'`{f}(name)`' for f in sorted(TIMING))}",
        f"- constants: {', '.join(f'`{c}`' for c in sorted(CONSTANTS))}",
        "- `performance`: the current trial's performance so far (0 until a rule sets it), in rules,",
        "  `until` conditions, timeout rules and inputs (an input that reads it is added as the agent acts;",
        "  targets and noise cannot read it);",
        "- the finished trial, in a session variable's `next`: `last_performance`, `last_reward` (its total",
        "  reward), `last_timed_out` (no rule ended it), `last_choice` and `last_choice_t` (the action that",
        "  ended it or made it `goto` a period, and its time in ms; -1 if none), `last_<name>` for each trial",
        "  variable, `last_period` (the index, in layout order, of the period of the step that ended it;",
        "  `ended_in('p')` is whether that was period p), `last_rule` (the index of the outcome rule that",
        "  ended it, counting the `outcomes` from 0 and then the rules `response:` stands for, named `abort`",
        "  (with `hold`), `correct` and `fail`; -1 if it ran out; `ended_by('name')` is whether the rule with",
        "  that `name` ended it, `ended_by(2)` the same by index), and `trials_done` (trials finished). With",
        "  `init`, `next` also runs before the first trial, where they are all 0 (`last_choice`,",
        "  `last_choice_t`, `last_period` and `last_rule` -1); with `first`, it runs between trials only.",
        "  `past_rule` holds 0 where no trial was played yet, like every window: `window_count(k)` says",
        "  how many trials there are. Such tasks draw one trial at a time, once the last one has ended;",
        "  names starting with `last_` or `past_` are kept for these values.",
        f"- windows over past trials, in a session variable's `next`: `past_<x>` holds the last {WINDOW}",
        "  values of each number `last_<x>`, newest first (0 where no trial was played yet). Over the last",
        f"  k trials (fewer at the start of a session; 1 <= k <= {WINDOW}), `window_count(k)` is how many",
        "  there are, `window_sum(past_x, k)` and `window_mean(past_x, k)` the sum and mean of x (0 before",
        "  any trial). k is a whole number or an expression of parameters, checked against these bounds when",
        "  the env is made (an error at the call's position names the value given to `make()`)",
        "- update order: session variables are updated in the order listed; `next` reads the new value of",
        "  those listed above it, and reads one listed below it (not yet updated) only as `old(name)`, its",
        "  value in the trial that just ended; `old(name)` of the variable itself is its own value",
        "",
        *_types_section(),
        "## Agent-contingent timing",
        "",
        "Periods are laid out in the order listed, each at its full `duration`; the agent's actions then",
        "move the trial forward through them. A period with `until` ends after the first step where the",
        "condition holds, and the trial goes on with its `then` (default: the next period listed); if the",
        "condition never holds, after `duration` the trial goes to `otherwise` (default: as `then`).",
        "A rule with `goto` sends the trial to that period at the next step. `then`, `otherwise` and",
        "`goto` only lead to periods listed later (`end` ends the trial; the timeout rules then apply), so",
        "a trial cannot loop; a period nothing leads to is an error. `t` and `start()`/`end()` keep the",
        "laid-out times, so `t - start('feedback')` is the time since the feedback began. Steps of skipped",
        "periods are never served. `generate_trials`, `Dataset` and the plots show the steps the",
        "ground-truth policy lives through (its trial history too), one trial at a time.",
        "",
        "Bounds of draws: `integers(lo, hi)` draws whole numbers from `lo` up to `hi - 1` (`hi` is",
        "excluded, as in NumPy: `integers(1, 7)` is a die roll); `uniform(lo, hi)` draws from `lo` up to `hi`.",
        "",
        "Copies of a repeated block: `rep` is the number in the current copy's name, so it counts from",
        "`first`: with `repeat: 3` and `first: 1`, period `test` has copies test1, test2, test3 and `rep`",
        "is 1, 2, 3 in them (0, 1, 2 with the default `first: 0`); outside every copy it is -1. In rules,",
        "`until` and state updates, `rep` is the copy whose span (from its first period's start to its",
        "last period's end) holds the step, and a block's name or one of its periods in `start()`,",
        "`end()`, `step_in()` or `n_steps()` means that period in the current copy: with a block",
        "`stream: {repeat: 20, periods: {item: 500, blank: 250}}`, `step_in('item')` is the step within",
        "the item being shown and `start('stream')` the start of the current copy (both 0 outside the block).",
        "A block's period may have `until` (not `then` or `otherwise`): each copy ends after the first",
        "step where it holds and the next period laid out follows, e.g. a self-paced item",
        "`item: {duration: 2000, until: action != fixation}`.",
        "",
        "Sequences (vectors over the copies of a stream): `cumsum(x)` is the running sum of a vector;",
        "`lag(x, k)` is x shifted k entries later (entry i holds x[i - k]; -1 for i < k, so it never equals",
        "an item); `nback_items(m, n, k, rate)` draws n items from 0..m-1 where each item from the k-th on",
        "is the one k back with probability `rate`, else one of the other m - 1 at random (the first k at",
        "random). An n-back's stream and its matches are two lines: `items: nback_items(6, 20, 2, 0.3)`",
        "and `is_match: items == lag(items, 2)`. The JAX backend draws with its own generator, so its",
        "trials differ from NumPy's for the same seed but follow the same law.",
        "",
        "One answer per window: outcome rules with `each: W` (a block, one of its periods, or a plain",
        "period, which has one copy) score the first response in each copy of W and let the trial go on.",
        "A copy counts as answered at the first step where the condition of one of these rules holds;",
        "until the next copy they are skipped, and each adds its `performance` divided by the number of",
        "copies, so the trial's performance is the fraction of copies answered right (unanswered copies",
        "score 0). `during` defaults to W; the rules of one window share it and cannot end the trial or",
        "`goto`. The window's bookkeeping is two state variables, `_answered<j>` and",
        "`_answered<j>_before` (the copy last answered, -1 at first; `j` numbers the windows), which the",
        "rules read: `env.trial`, `info['trial']`, `generate_trials` and exports leave them out (only the",
        "env's own `generate`, whose batches it serves its trials from, keeps them).",
        "",
    ]
    parts += [
        "## Names",
        "",
        "Every name in a spec passes one check (`taskspec/compiler/names.py`), matched on the whole text:",
        "",
        "- parameters, session, trial and state variables, rewards, and action groups read in expressions:",
        "  ASCII letters, digits and `_`, starting with a letter, at most "
        f"{MAX_NAME_CHARS} characters; not a Python keyword or builtin,",
        "  nor a name the expression language or the generated module uses;",
        "- the task, periods, blocks of repeated periods and space groups: ASCII letters, digits, `_`, `.`",
        "  and `-`, starting with a letter (an action group with `.` or `-` names columns but cannot be read",
        "  in expressions);",
        "- tags: ASCII letters, digits, spaces, `_`, `.` and `-`.",
        "",
        "`extends` names a bundled task, or a `.yaml`/`.yml` file by a path relative to the spec's folder",
        "that stays inside the folder of the spec being loaded (no absolute paths, no `..` or links leading",
        "out). A spec given as text, or a bundled one, extends bundled tasks only. `modifiers` entries are",
        "found the same way, bundled ones in `tasks/modifiers/`.",
        "",
        "## Composition",
        "",
        "- Trial variables are evaluated in dependency order: each after the ones it reads (among those",
        "  ready, the one listed first), so a variant can add a variable anywhere; a cycle is an error.",
        "- `extends` merges mapping sections entry by entry (`name: ~` removes one). A new period is placed",
        "  with `insert: {before: p}` or `insert: {after: p}` on its entry (e.g.",
        "  `cue: {duration: 100, insert: {before: decision}}`).",
        "- List sections (inputs, target, outcomes, timeout) are replaced whole, unless the variant's list",
        "  names an entry of the parent's (`name: x`) or places one with `insert`: then an entry with a",
        "  parent's name replaces the keys it writes, `{name: x, remove: true}` removes it, and other entries",
        "  are added at the end or where their `insert` puts them.",
        "- In a replaced trial variable or period duration, and in a patched entry's keys, `inherited` is",
        "  the parent's expression there: `value: rotate(inherited, 1)` wraps the inherited target.",
        "- `modifiers: [m1, m2]` merges spec fragments over the parent in order, before the spec's own keys.",
        "  A fragment holds any sections but `task`, `extends`, `modifiers`, `description`, `reference` and",
        "  `tags`, plus an optional `doc`. Bundled: " + ", ".join(f"`{name}`" for name in _modifier_names()) + ".",
        "- `define: {f: {args: [x, y], value: expr}}` adds a function usable in every expression; each",
        "  call is replaced by the function's expression with the call's arguments put in (no recursion),",
        "  and the result is checked where it is used.",
        "- `where: {by: expr, among: [g0, g1]}` shows an input in one group per trial: the group whose",
        "  index the expression gives (parameters, trial and session variables).",
        "- `repeat:` may name a whole-number parameter; its default is used when the spec is compiled,",
        "  so `make` refuses to override it.",
        "",
    ]
    return "\n".join(parts)


def _modifier_names() -> list[str]:
    """The bundled modifiers (read from the folder: the compiler does not import the library)."""
    folder = Path(__file__).resolve().parent.parent / "tasks" / "modifiers"
    if not folder.is_dir():
        folder = Path(__file__).resolve().parent.parent.parent / "tasks" / "modifiers"
    return sorted(p.name[: -len(".yaml")] for p in folder.glob("*.yaml"))


if __name__ == "__main__":
    print(reference_markdown(), end="")
