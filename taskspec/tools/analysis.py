"""Psychometric and chronometric curves, from simulated agents or from a trained model's outputs.

The fitted model is the standard one, P(choice = 1) = lapse_low + (1 - lapse_low - lapse_high)
* F((x - bias) / scale), F logistic or probit (cumulative normal). Bias and scale come from a
maximum-likelihood Fisher-scoring fit with zero lapses, which is robust and exact for a few
iterations; `lapses=True` then frees the lapse rates with a small Nelder-Mead search. NumPy only:
scipy is not a dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import did_you_mean
from ..library import as_env
from ..runtime import TrialEnv
from ..runtime.source import shown
from ..runtime.trials import Batch
from .plot import pyplot

EPS = 1e-12
RIDGE = 1e-3  # a very weak penalty on the standardised slope: finite fits even when choices separate perfectly


def _cdf(z: np.ndarray, fit: str) -> tuple[np.ndarray, np.ndarray]:
    """F(z) and its density: logistic, or probit through an erfc accurate to 1.2e-7 (Numerical Recipes)."""
    if fit == "logistic":
        p = np.exp(-np.logaddexp(0.0, -z))
        return p, p * (1 - p)
    if fit != "probit":
        raise ValueError(f"fit must be 'logistic' or 'probit', got {fit!r}")
    a = np.abs(z) / np.sqrt(2)
    t = 1 / (1 + 0.5 * a)
    poly = [
        -1.26551223,
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277,
    ]
    tail = 0.5 * t * np.exp(-a * a + np.polyval(poly[::-1], t))  # P(Z > |z|)
    return np.where(z >= 0, 1 - tail, tail), np.exp(-z * z / 2) / np.sqrt(2 * np.pi)


@dataclass
class PsychometricFit:
    """Choice-1 probability per stimulus value, and the fitted curve."""

    x: np.ndarray  # unique signed stimulus values
    n: np.ndarray  # trials at each value
    p: np.ndarray  # fraction of choice 1 at each value
    se: np.ndarray  # binomial standard error, sqrt(p (1 - p) / n)
    bias: float  # x where F crosses one half (the point of subjective equality without lapses)
    scale: float  # 1 / slope of F's argument; negative when choice 1 falls with x
    lapse_low: float = 0.0
    lapse_high: float = 0.0
    fit: str = "logistic"
    label: str = "x"
    choice_label: str = "choice 1"
    log_likelihood: float = float("nan")

    def predict(self, x: Any) -> np.ndarray:
        """The fitted P(choice = 1) at `x`."""
        f, _ = _cdf((np.asarray(x, float) - self.bias) / self.scale, self.fit)
        return self.lapse_low + (1 - self.lapse_low - self.lapse_high) * f

    def curve(self, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
        xs = np.linspace(self.x.min(), self.x.max(), points)
        return xs, self.predict(xs)

    def table(self) -> str:
        """The data per value and the fitted parameters, as text for a terminal."""
        head = f"P({self.choice_label})"
        w = max(8, len(head))
        rows = [f"{'x':>10} {'n':>7} {head:>{w}} {'s.e.':>7}"]
        rows += [
            f"{x:>10.4g} {n:>7d} {p:>{w}.3f} {s:>7.3f}"
            for x, n, p, s in zip(self.x, self.n, self.p, self.se, strict=True)
        ]
        lapses = f", lapses {self.lapse_low:.3g} / {self.lapse_high:.3g}" if self.lapse_low or self.lapse_high else ""
        rows.append(f"{self.fit} fit: bias {self.bias:.4g}, scale {self.scale:.4g}{lapses}")
        return "\n".join(rows)


def _loglik(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, EPS, 1 - EPS)
    return float(np.sum(k * np.log(p) + (n - k) * np.log1p(-p)))


def _fisher_scoring(x: np.ndarray, k: np.ndarray, n: np.ndarray, fit: str) -> tuple[float, float]:
    """Intercept and slope of F(a + b x) by Fisher scoring (Newton for the logistic) with step halving.

    The likelihood is concave in (a, b) for both links, so this converges from zero in a few
    steps; x is standardised first so the tolerance means the same at any stimulus unit.
    """
    mx, sx = float(np.average(x, weights=n)), float(np.sqrt(np.cov(x, aweights=n)) if len(x) > 1 else 1.0) or 1.0
    design = np.column_stack([np.ones_like(x), (x - mx) / sx])
    penalty = np.diag([0.0, 2 * RIDGE])

    def objective(beta: np.ndarray) -> float:
        return _loglik(k, n, _cdf(design @ beta, fit)[0]) - RIDGE * beta[1] ** 2

    beta = np.zeros(2)
    for _ in range(100):
        p, d = _cdf(design @ beta, fit)
        p, d = np.clip(p, EPS, 1 - EPS), np.maximum(d, EPS)
        grad = design.T @ (d * (k - n * p) / (p * (1 - p))) - penalty @ beta
        info = design.T @ (design * (n * d * d / (p * (1 - p)))[:, None]) + penalty
        step, before = np.linalg.solve(info, grad), objective(beta)
        while objective(beta + step) < before - 1e-12 and np.max(np.abs(step)) > 1e-12:
            step /= 2
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta[0] - beta[1] * mx / sx, beta[1] / sx


def _nelder_mead(f: Any, start: np.ndarray, size: np.ndarray, iterations: int = 3000) -> np.ndarray:
    """Minimise `f` from a simplex around `start` (standard coefficients 1, 2, 0.5, 0.5)."""
    simplex = np.vstack([start, start + np.diag(size)])
    values = np.array([f(s) for s in simplex])
    for _ in range(iterations):
        order = np.argsort(values)
        simplex, values = simplex[order], values[order]
        if values[-1] - values[0] < 1e-10:
            break
        centre = simplex[:-1].mean(axis=0)
        trial = centre + (centre - simplex[-1])
        ft = f(trial)
        if ft < values[0]:
            longer = centre + 2 * (centre - simplex[-1])
            fl = f(longer)
            simplex[-1], values[-1] = (longer, fl) if fl < ft else (trial, ft)
        elif ft < values[-2]:
            simplex[-1], values[-1] = trial, ft
        else:
            inner = centre + 0.5 * (simplex[-1] - centre)
            if (fi := f(inner)) < values[-1]:
                simplex[-1], values[-1] = inner, fi
            else:
                simplex[1:] = simplex[0] + 0.5 * (simplex[1:] - simplex[0])
                values[1:] = [f(s) for s in simplex[1:]]
    return simplex[np.argmin(values)]  # type: ignore[no-any-return]


def psychometric(
    x: Any, choice: Any, fit: str = "logistic", lapses: bool = False, label: str = "x", choice_label: str = "choice 1"
) -> PsychometricFit:
    """Choice-1 probability per unique x (counts, binomial s.e.) and the maximum-likelihood curve."""
    x, choice = np.asarray(x, float).ravel() + 0.0, np.asarray(choice).ravel()  # + 0.0 turns -0.0 into 0.0
    if len(x) != len(choice) or len(x) == 0:
        raise ValueError(f"x and choice need the same, non-zero length, got {len(x)} and {len(choice)}")
    if not np.isin(choice, (0, 1)).all():
        raise ValueError("choice must be 0 or 1 on every trial")
    levels, inverse, n = np.unique(x, return_inverse=True, return_counts=True)
    k = np.bincount(inverse, weights=choice.astype(float), minlength=len(levels))
    p = k / n
    a, b = _fisher_scoring(levels, k, n, fit)
    out = PsychometricFit(
        levels, n, p, np.sqrt(p * (1 - p) / n), -a / b, 1 / b, fit=fit, label=label, choice_label=choice_label
    )
    if lapses:

        def unpack(t: np.ndarray) -> tuple[float, float, float, float]:
            return t[0], out.scale * np.exp(t[1]), 0.5 / (1 + np.exp(-t[2])), 0.5 / (1 + np.exp(-t[3]))

        def cost(t: np.ndarray) -> float:
            bias, scale, low, high = unpack(t)
            return -_loglik(k, n, low + (1 - low - high) * _cdf((levels - bias) / scale, fit)[0])

        start = np.array([out.bias, 0.0, -3.9, -3.9])  # lapses of 1% each
        out.bias, out.scale, out.lapse_low, out.lapse_high = (
            float(v) for v in unpack(_nelder_mead(cost, start, np.array([0.1 * abs(out.scale), 0.1, 1.0, 1.0])))
        )
    out.log_likelihood = _loglik(k, n, out.predict(levels))
    return out


def plot_psychometric(fit: PsychometricFit, ax: Any = None, title: str | None = None) -> Any:
    """Data points with binomial error bars, the fitted curve and its parameters; returns the Figure."""
    if ax is None:
        _, ax = pyplot().subplots(figsize=(5, 3.8), layout="constrained")
    xs, ps = fit.curve()
    ax.axhline(0.5, color="0.7", lw=0.8, ls=":")
    ax.axvline(fit.bias, color="0.7", lw=0.8, ls="--")
    ax.plot(xs, ps, color="tab:blue", lw=2, label=f"{fit.fit} fit")
    ax.errorbar(fit.x, fit.p, fit.se, fmt="o", color="black", ms=5, capsize=2, label="data ± 1 s.e.")
    lapses = f"\nlapses = {fit.lapse_low:.2g} / {fit.lapse_high:.2g}" if fit.lapse_low or fit.lapse_high else ""
    ax.text(
        0.03,
        0.97,
        f"bias = {fit.bias:.3g}\nscale = {fit.scale:.3g}{lapses}\nn = {fit.n.sum()}",
        transform=ax.transAxes,
        va="top",
        fontsize=9,
    )
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(fit.label)
    ax.set_ylabel(f"P({fit.choice_label})")
    ax.legend(loc="lower right", fontsize=9, frameon=False)
    if title:
        ax.set_title(title)
    return ax.figure


def _options(env: TrialEnv) -> tuple[list[int], list[str]]:
    """The two response actions (every action outside a 'fixation' group) and their display names."""
    names: dict[str, Any] = env.action_space.name  # type: ignore[attr-defined]
    actions = [
        (int(c), g if np.ndim(cols) == 0 else f"{g} {i + 1}")
        for g, cols in names.items()
        if g != "fixation"
        for i, c in enumerate(np.atleast_1d(cols))
    ]
    if env.action_type != "discrete" or len(actions) != 2:
        raise ValueError(
            f"a psychometric curve needs two response actions; {env.task_name} has "
            f"{'continuous actions' if env.action_type != 'discrete' else len(actions)}"
        )
    return [a for a, _ in actions], [n for _, n in actions]


@dataclass
class Choices:
    """One row per trial: the signed stimulus, the choice (1 = second response action) and when it came."""

    x: np.ndarray
    choice: np.ndarray
    correct: np.ndarray
    choice_time: np.ndarray  # ms from trial start to the response step
    label: str
    choice_label: str


def rollout_choices(
    task: str | Path | TrialEnv,
    variable: str,
    trials: int = 2000,
    seed: int = 0,
    policy: str = "gt",
    noise: float | None = None,
    params: dict[str, Any] | None = None,
    bound: float = 1.0,
) -> Choices:
    """Play `trials` trials through `env.step` with a ground-truth agent that makes decision errors.

    Noise model: the agent fixates and waits as the ground truth says; at the first step whose
    ground truth is a response it picks the correct one with probability logistic(|x| / noise),
    else the other one. Signing x by the correct side makes P(choice 1) = logistic(x / noise)
    exactly: a psychometric curve with bias 0 and scale `noise` (default: a quarter of the
    largest |x|). `policy="random"` picks either response with probability one half.
    `policy="accumulate"` is a drift-diffusion agent for reaction-time tasks: while a response
    is allowed it sums the evidence (second minus first "stimulus" column) and answers when the
    sum reaches +-`bound` (or at the trial's last step), so weak stimuli take longer.
    """
    env = as_env(task, params)
    options, option_names = _options(env)
    if policy not in ("gt", "random", "accumulate"):
        raise ValueError(f"policy must be 'gt', 'random' or 'accumulate', got {policy!r}")
    if policy == "accumulate":
        return _accumulate(env, variable, trials, seed, bound, options, option_names)
    default = _default_noise(env, variable, seed)  # also checks the variable's name
    noise = default if noise is None else noise
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    rows: list[tuple[float, bool, bool, float]] = []
    decided: tuple[int, int, float] | None = None  # (action, correct action, ms into the trial)
    for _ in range(trials):
        new_trial, trial = False, env.trial
        while not new_trial:
            action = target = int(env.gt_now)
            if decided is None and target in options:
                p_right = 0.5 if policy == "random" else 1 / (1 + np.exp(-abs(float(trial[variable])) / noise))
                action = target if rng.random() < p_right else options[1 - options.index(target)]
                decided = (action, target, env.t)
            new_trial = env.step(action)[4]["new_trial"]
        if decided is not None:  # a trial without a response step (none in two-choice tasks) is skipped
            sign = 1.0 if decided[1] == options[1] else -1.0
            rows.append(
                (
                    sign * abs(float(trial[variable])) + 0.0,
                    decided[0] == options[1],
                    decided[0] == decided[1],
                    decided[2],
                )
            )
        decided = None
    x, choice, correct, when = (np.array(c) for c in zip(*rows, strict=True))
    return Choices(
        x, choice.astype(int), correct, when, f"{variable} (+ when {option_names[1]} is correct)", option_names[1]
    )


def _accumulate(
    env: TrialEnv, variable: str, trials: int, seed: int, bound: float, options: list[int], option_names: list[str]
) -> Choices:
    """Drift-diffusion choices and reaction times (ms from the first step a response is allowed)."""
    _default_noise(env, variable, seed)  # checks the variable's name
    columns = np.atleast_1d(env.observation_space.name.get("stimulus", []))  # type: ignore[attr-defined]
    if columns.size != 2:
        raise ValueError(f"the accumulating agent needs a two-column 'stimulus' input; {env.task_name} has none")
    ob, _ = env.reset(seed=seed)
    rows = []
    for _ in range(trials):
        trial, evidence, opened, decided, new_trial = env.trial, 0.0, None, None, False
        while not new_trial:
            target, action = int(env.gt_now), 0
            if decided is None and target in options:
                opened = env.t if opened is None else opened
                evidence += float(ob[columns[1]] - ob[columns[0]])
                if abs(evidence) >= bound or env.t_ind + 1 >= len(env.ob):
                    action = options[1] if evidence > 0 else options[0]
                    decided = (action, target, env.t - opened)
            ob, _, _, _, info = env.step(action)
            new_trial = info["new_trial"]
        if decided is not None:
            sign = 1.0 if decided[1] == options[1] else -1.0
            rows.append(
                (
                    sign * abs(float(trial[variable])) + 0.0,
                    decided[0] == options[1],
                    decided[0] == decided[1],
                    decided[2],
                )
            )
    x, choice, correct, when = (np.array(c) for c in zip(*rows, strict=True))
    return Choices(
        x, choice.astype(int), correct, when, f"{variable} (+ when {option_names[1]} is correct)", option_names[1]
    )


def _default_noise(env: TrialEnv, variable: str, seed: int) -> float:
    """A quarter of the largest |variable| in 256 trials: a curve that spans the levels. Checks the name."""
    values = shown(env.generate(np.random.default_rng(seed), 256).variables)
    if variable not in values:
        raise ValueError(
            f"{env.task_name} has no trial variable '{variable}'{did_you_mean(variable, values)}; "
            f"it has {', '.join(values)}"
        )
    return 0.25 * float(np.max(np.abs(values[variable]))) or 1.0


def model_choices(
    outputs: Any, batch: Batch, variable: str, options: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A model's signed stimulus and choice per trial, read at each trial's last step.

    `outputs` (n, T, n_actions) are logits or probabilities on a `generate_trials` batch.
    The choice is the larger of the two response outputs (a forced-choice readout, so a model
    still fixating counts too); the responses are the two ground-truth actions at the last step,
    unless `options` names them. x = |variable| signed + when the second response is correct.
    """
    if hasattr(outputs, "detach"):  # a torch tensor
        outputs = outputs.detach().cpu().numpy()
    outputs = np.asarray(outputs)
    n = len(batch.length)
    if outputs.ndim != 3 or outputs.shape[0] != n or outputs.shape[1] < batch.length.max():
        raise ValueError(f"outputs must be (n={n}, T>={batch.length.max()}, n_actions), got {outputs.shape}")
    last = batch.length - 1
    target = batch.gt[np.arange(n), last]
    pair = tuple(options) if options is not None else tuple(np.unique(target).tolist())
    if len(pair) != 2 or not np.isin(target, pair).all():
        raise ValueError(f"need exactly two response actions at the last step, found {sorted(set(target.tolist()))}")
    if variable not in batch.variables:
        raise ValueError(f"no trial variable '{variable}'{did_you_mean(variable, batch.variables)}")
    readout = outputs[np.arange(n), last]
    choice = (readout[:, pair[1]] > readout[:, pair[0]]).astype(int)
    x = np.abs(batch.variables[variable].astype(float)) * np.where(target == pair[1], 1.0, -1.0) + 0.0
    return x, choice


def psychometric_from_model(
    outputs: Any, batch: Batch, variable: str, fit: str = "logistic", options: tuple[int, int] | None = None
) -> PsychometricFit:
    """The psychometric curve of a model's choices (see `model_choices`) on a batch of trials."""
    x, choice = model_choices(outputs, batch, variable, options)
    return psychometric(
        x, choice, fit=fit, label=f"{variable} (signed by the correct response)", choice_label="second response"
    )


@dataclass
class Chronometric:
    """Mean reaction time per stimulus strength |x|, with standard errors and counts."""

    strength: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    n: np.ndarray


def chronometric(x: Any, reaction_time: Any) -> Chronometric:
    """Mean reaction time at each unique |x|: harder (weaker) stimuli should take longer."""
    strength = np.abs(np.asarray(x, float).ravel())
    rt = np.asarray(reaction_time, float).ravel()
    if len(strength) != len(rt) or len(rt) == 0:
        raise ValueError(f"x and reaction_time need the same, non-zero length, got {len(strength)} and {len(rt)}")
    levels, inverse, n = np.unique(strength, return_inverse=True, return_counts=True)
    mean = np.bincount(inverse, weights=rt) / n
    var = np.bincount(inverse, weights=(rt - mean[inverse]) ** 2) / np.maximum(n - 1, 1)
    return Chronometric(levels, mean, np.sqrt(var / n), n)
