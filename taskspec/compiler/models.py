"""Stage 2: the spec's shape as strict pydantic models, mirroring the YAML one to one.

These models only check structure and types; meaning (names resolve, shapes agree,
expressions are safe) is checked in `lower`. Unknown keys are errors everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# NaN and infinity are refused wherever a number is written: they have no meaning in a spec.
Finite = Annotated[float, Field(allow_inf_nan=False)]
Scalar = bool | int | Finite
Expr = Annotated[
    str | int | Finite,
    Field(description="An expression (see docs/spec-reference.md), or a plain number."),
]
Names = Annotated[str | list[str], Field(description="A period name or a list of period names.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Reference(Strict):
    """Where the paradigm comes from."""

    paper: str = Field(description="Citation of the paper the task reproduces.")
    url: str | None = Field(None, description="Link to the paper.")


class Param(Strict):
    """A parameter: a default that `make(name, param=value)` can override."""

    default: Scalar | list[Scalar] = Field(description="Default value; its type is the parameter's type.")
    doc: str | None = Field(None, description="What the parameter means, with units.")
    min: Finite | None = Field(None, description="Smallest allowed value (numbers only).")
    max: Finite | None = Field(None, description="Largest allowed value (numbers only).")


class Insert(Strict):
    """Where a variant's new period or list entry goes among the inherited ones (give one key)."""

    before: str | None = Field(None, description="The inherited entry it goes before.")
    after: str | None = Field(None, description="The inherited entry it goes after.")


class PeriodTiming(Strict):
    """A period with a duration and, optionally, a start relative to another period."""

    duration: Expr = Field(description="Duration in ms: a number or an expression of trial variables.")
    after: str | None = Field(
        None, description="Start when this period ends (periods may then overlap); default: after the previous one."
    )
    until: Expr | bool | None = Field(
        None,
        description="End the period early, after the first step at which this condition holds (reads `action`, "
        "`target`, `t`, `performance`, trial and state variables); `duration` is then its longest length.",
    )
    then: str | None = Field(
        None,
        description="The period that follows this one (listed later), or 'end' to end the trial with it; "
        "default: the next period listed.",
    )
    otherwise: str | None = Field(
        None,
        description="With `until`: where the trial goes if the condition never held within `duration` "
        "(a later period, or 'end': the trial ends and the timeout rules apply); default: as `then`.",
    )
    insert: Insert | None = Field(None, description="In a variant: where the new period goes among the inherited ones.")


class RepeatedPeriods(Strict):
    """A block of periods repeated a fixed number of times, e.g. cue/bin pairs of a pulse task.

    Copy k of period `cue` is named `cue<k>` (cue0, cue1, ...; from `first` on); `during: cue` means
    every copy, and the name `rep` (in inputs and targets) is the index of the current copy.
    """

    repeat: Annotated[int, Field(ge=1, le=100)] | str = Field(
        description="Number of copies: a whole number, or the name of a whole-number parameter (its default is used "
        "when the spec is compiled, so `make` cannot override it)."
    )
    first: int = Field(0, ge=0, le=1000, description="Index of the first copy, e.g. 1 for test1, test2, ...")
    periods: dict[str, Expr | PeriodTiming] = Field(description="The periods of one copy, in order.")
    insert: Insert | None = Field(
        None, description="In a variant: where the new block goes among the inherited periods."
    )


class GroupChoice(Strict):
    """An observation group chosen per trial, e.g. the modality a stimulus is shown in."""

    by: Expr = Field(
        description="A whole number per trial (parameters, trial and session variables): 0 picks the first."
    )
    among: list[str] = Field(min_length=1, description="The observation groups to choose from, in index order.")


class Define(Strict):
    """A pure function usable in every expression of the spec; calls are inlined (no recursion)."""

    args: list[str] = Field(default_factory=list, description="Argument names, read in `value`.")
    value: Expr = Field(description="The result: an expression of the arguments and the spec's names.")
    doc: str | None = Field(None, description="What the function computes.")


class Input(Strict):
    """Adds a value (and Gaussian noise) to observation groups during some periods."""

    during: Names | None = Field(None, description="Periods where the placement applies; default: the whole trial.")
    where: Names | GroupChoice = Field(
        description="Observation group(s); several groups are concatenated in order. "
        "`{by: expr, among: [g0, g1]}` picks one group per trial: the expression's value is its index."
    )
    value: Expr | None = Field(None, description="Value added; scalar or one entry per column of `where`.")
    noise: Expr | None = Field(None, description="Standard deviation of Gaussian noise added each step.")
    name: str | None = Field(
        None, description="A label a variant's entry with the same name patches (or removes: `remove: true`)."
    )
    insert: Insert | None = Field(None, description="In a variant: where the new entry goes among the inherited ones.")
    remove: bool = Field(False, description="In a variant: remove the inherited entry with this `name`.")


class Target(Strict):
    """Sets the ground truth (the correct action) during some periods; elsewhere it is 0."""

    during: Names | None = Field(None, description="Periods where the target applies; default: the whole trial.")
    value: Expr = Field(description="The correct action: an action index, or a vector for continuous actions.")
    name: str | None = Field(
        None, description="A label a variant's entry with the same name patches (or removes: `remove: true`)."
    )
    insert: Insert | None = Field(None, description="In a variant: where the new entry goes among the inherited ones.")
    remove: bool = Field(False, description="In a variant: remove the inherited entry with this `name`.")


class Regression(Strict):
    """Adds a value to action groups' columns of the regression target (`Batch.regression`) during some periods.

    A network with one output per action column can then be trained on these values (e.g. Yang et
    al.'s 0.8 bump on 0.05) instead of, or beside, the class labels of `target`."""

    during: Names | None = Field(None, description="Periods where the placement applies; default: the whole trial.")
    where: Names = Field(description="Action group(s); several groups are concatenated in order.")
    value: Expr = Field(description="Value added; scalar or one entry per column of `where`.")
    name: str | None = Field(
        None, description="A label a variant's entry with the same name patches (or removes: `remove: true`)."
    )
    insert: Insert | None = Field(None, description="In a variant: where the new entry goes among the inherited ones.")
    remove: bool = Field(False, description="In a variant: remove the inherited entry with this `name`.")


class Outcome(Strict):
    """A rule checked at each step; the first rule whose period and condition match decides the step."""

    during: Names | None = Field(None, description="Periods where the rule applies; default: every step.")
    when: Expr | bool = Field(True, description="Condition on `action`, `target`, trial variables and `t` (ms).")
    reward: Expr = Field(0, description="Reward: a reward name or an expression.")
    performance: Expr | None = Field(None, description="Sets the trial's performance (e.g. 1 for correct).")
    end_trial: bool = Field(False, description="Whether this step ends the trial.")
    goto: str | None = Field(
        None,
        description="Go on with this period (listed later) at the next step, skipping the rest of the current "
        "ones: e.g. a feedback period after the response.",
    )
    each: str | None = Field(
        None,
        description="Score the first response in each copy of this repeated block (or of this period) without "
        "ending the trial: after one of the rules with the same `each` matched in a copy, they are skipped until "
        "the next copy, and the trial's performance is the mean over copies of the `performance` they gave "
        "(a copy without a response scores 0). `during` defaults to these periods.",
    )
    name: str | None = Field(
        None,
        description="A label a variant's entry with the same name patches (or removes: `remove: true`); "
        "`ended_by('name')` in a session variable's `next` is whether this rule ended the last trial.",
    )
    insert: Insert | None = Field(None, description="In a variant: where the new entry goes among the inherited ones.")
    remove: bool = Field(False, description="In a variant: remove the inherited entry with this `name`.")


class Timeout(Strict):
    """What happens when a trial reaches its last step without a rule having ended it."""

    when: Expr | bool = Field(
        True,
        description="Condition on parameters, session and trial variables, state variables (their values after "
        "the last step) and `performance`.",
    )
    reward: Expr = Field(0, description="Reward added to the last step.")
    performance: Expr | None = Field(None, description="The trial's performance.")
    name: str | None = Field(
        None, description="A label a variant's entry with the same name patches (or removes: `remove: true`)."
    )
    insert: Insert | None = Field(None, description="In a variant: where the new entry goes among the inherited ones.")
    remove: bool = Field(False, description="In a variant: remove the inherited entry with this `name`.")


class SessionVariable(Strict):
    """A variable that lives across trials (blocks, reversals, drifting probabilities)."""

    init: Expr | bool | None = Field(
        None,
        description="Value before the first trial: an expression of parameters; `next` then also runs before the "
        "first trial (give `init` or `first`).",
    )
    first: Expr | bool | None = Field(
        None,
        description="Value of the first trial: an expression of parameters; `next` then runs between trials only, "
        "so it needs no `trials_done == 0` guard (give `init` or `first`).",
    )
    next: Expr | bool = Field(
        description="Value for each new trial, from the previous trial's values (those listed above it already "
        "updated; a variable listed below it must be read as `old(name)`) and its outcome (`last_performance`, "
        "`last_reward`, `last_timed_out`, `last_choice`, `last_choice_t`, `last_period` or `ended_in('p')`, "
        "`last_<trial variable>`, `trials_done`, "
        "the windows `past_<x>`); may draw at random."
    )


class StateVariable(Strict):
    """A variable that changes within a trial, driven by the agent's actions (a position, a choice made earlier)."""

    init: Expr | bool = Field(
        description="Value at the trial's first step: an expression of trial variables, one number or a "
        "vector (which `next` keeps)."
    )
    next: Expr | bool = Field(
        description="New value after each step's action, before the outcome rules judge that step; reads `action`, "
        "`target`, `t`, trial and state variables (those listed above it already updated)."
    )
    during: Names | None = Field(None, description="Periods where the update applies; default: every step.")


class Loss(Strict):
    """Weights of the supervised loss at each step: Yang et al. (2019)'s cost mask, PsychRNN's output mask."""

    weights: dict[str, Finite] = Field(
        default_factory=dict,
        description="Period (or block of repeated periods) -> weight of its steps; unlisted periods weigh `default`.",
    )
    default: Finite = Field(1.0, description="Weight of the steps of periods not listed in `weights`.")
    grace: dict[str, Finite] = Field(
        default_factory=dict,
        description="Period -> ms at its start that weigh 0 (e.g. 100 ms after a go cue for the response to form).",
    )
    groups: dict[str, Finite] = Field(
        default_factory=dict,
        description="Action group -> factor on its columns; then the weights have one column per action.",
    )


class Response(Strict):
    """The usual decision rules, derived from the target (see the tutorial).

    Adds, after the explicit `outcomes`: leaving fixation during `hold` earns `abort` (the trial
    goes on, or ends with `abort_ends_trial`); during `during`, an answer (any action but
    `fixation`) equal to the target earns `correct`, performance 1 and ends the trial; any other
    answer earns `fail` and ends the trial.
    """

    during: Names = Field(description="Periods where the agent answers.")
    hold: Names | None = Field(None, description="Periods where any action but `fixation` is an abort; default: none.")
    fixation: str = Field("fixation", description="The action group that means 'no answer yet'.")
    correct: Expr = Field("correct", description="Reward of a correct answer: a reward name or an expression.")
    fail: Expr | None = Field(
        None, description="Reward of a wrong answer; default: the reward named `fail` if declared, else 0."
    )
    abort: Expr | None = Field(
        None,
        description="Reward for leaving fixation in `hold`; default: the reward named `abort` if declared, else 0.",
    )
    abort_ends_trial: bool = Field(
        False,
        description="Whether leaving fixation in `hold` ends the trial (as most labs do; its performance stays 0); "
        "default: the trial goes on.",
    )


class TaskSpec(Strict):
    """A trial-based task: spaces, parameters, trial variables, periods, inputs, targets and rules."""

    task: str = Field(description="The task's name, e.g. 'PerceptualDecisionMaking'.")
    extends: str | None = Field(
        None, description="A bundled task or a spec file (relative path) this spec builds on; see docs."
    )
    description: str = Field("", description="What the task is, for `taskspec info` and docs.")
    reference: Reference | None = None
    tags: list[str] = Field(default_factory=list, description="Keywords for `taskspec list --tag`.")
    dt: Finite = Field(gt=0, description="Time step in ms.")
    params: dict[str, Param] = Field(default_factory=dict, description="Named parameters with defaults.")
    rewards: dict[str, Finite] = Field(default_factory=dict, description="Named rewards, usable in rules.")
    observation: dict[str, Expr] = Field(description="Ordered observation groups: name -> size.")
    action: dict[str, Expr] = Field(description="Ordered action groups: name -> size.")
    action_type: Literal["discrete", "continuous"] = Field("discrete", description="Kind of action space.")
    action_bounds: list[Finite] = Field(
        [-1.0, 1.0], min_length=2, max_length=2, description="[low, high] of continuous actions."
    )
    trial: dict[str, Expr | bool] = Field(
        default_factory=dict, description="Ordered per-trial variables: name -> expression (may draw at random)."
    )
    session: dict[str, SessionVariable] = Field(
        default_factory=dict, description="Variables that carry over from trial to trial, updated before each trial."
    )
    state: dict[str, StateVariable] = Field(
        default_factory=dict, description="Variables the agent's actions change within a trial."
    )
    episode: Literal["continuing", "trial"] = Field(
        "continuing",
        description="'continuing': trials follow each other in one episode; 'trial': each trial "
        "is an episode (`terminated` at its end).",
    )
    periods: dict[str, Expr | PeriodTiming | RepeatedPeriods] = Field(
        description="Ordered periods: name -> duration in ms (or a block of repeated periods)."
    )
    inputs: list[Input] = Field(default_factory=list, description="Observation placements.")
    target: list[Target] = Field(default_factory=list, description="Ground-truth placements.")
    regression: list[Regression] = Field(
        default_factory=list,
        description="Regression-target placements on the action columns, summed (0 elsewhere); see the tutorial.",
    )
    outcomes: list[Outcome] = Field(default_factory=list, description="Rules evaluated at each step.")
    timeout: list[Timeout] = Field(default_factory=list, description="Rules for trials that end by running out.")

    @field_validator("params", mode="before")
    @classmethod
    def _wrap_plain_params(cls, value: Any) -> Any:
        """`sigma: 1.0` is shorthand for `sigma: {default: 1.0}`."""
        if isinstance(value, dict):
            return {k: v if isinstance(v, dict) else {"default": v} for k, v in value.items()}
        return value

    loss: Loss | None = Field(
        None, description="Weights of the supervised loss per period (and action group); see the tutorial."
    )
    response: Response | None = Field(
        None,
        description="Shorthand for the usual fixation and decision rules, derived from the target; "
        "they follow the explicit `outcomes`.",
    )
    modifiers: list[str] = Field(
        default_factory=list,
        description="Bundled modifiers (tasks/modifiers) or fragment files merged over the parent in order, "
        "before this spec's own keys; see the tutorial.",
    )
    define: dict[str, Define] = Field(
        default_factory=dict, description="Named pure functions usable in expressions, e.g. a tuning curve."
    )
