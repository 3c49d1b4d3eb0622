"""One figure of a few trials, played through `env.step` under the timing contract.

Panels share the time axis: the observation heatmap, the ground truth, the actions taken
and the rewards, under a bar that names the periods. Every row is what the agent saw or
did at step k (reward and ground truth refer to the same k as the action), so a figure
can be read against the README's timing contract. matplotlib is imported only inside
`plot_trials`: it is an optional dependency (`taskspec[plot]`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np

from ..library import as_env
from ..runtime import TrialEnv

POLICIES = ("gt", "random", "fixate")
PERIOD_COLOURS = ("#cfe2f3", "#fde9c9", "#d9ead3", "#ead1dc", "#fff2cc", "#d0e0e3", "#e6d8f0", "#f4cccc")
MAX_ROWS = 3  # label rows in the period bar; labels that fit nowhere are dropped (their colour stays)
FONT = 9


@dataclass
class Rollout:
    """Steps of consecutive trials, one row per step k: ob[k] and the answer to it."""

    task: str
    policy: str
    dt: float
    ob: np.ndarray  # (T, obs)
    gt: np.ndarray  # (T,) or (T, act)
    action: np.ndarray  # (T,) or (T, act)
    reward: np.ndarray  # (T,)
    period: list[str | None]  # the most specific period of each step
    bounds: list[int]  # first step of each trial, then the total number of steps
    performance: list[float] = field(default_factory=list)
    variables: list[dict[str, Any]] = field(default_factory=list)


Policy = str | Callable[[np.ndarray], Any]  # a name of POLICIES, or observation -> action


def _policy(env: TrialEnv, policy: Policy, seed: int) -> Callable[[np.ndarray], Any]:
    """The action source: the ground truth, uniform random actions, always fixating, or the caller's."""
    if callable(policy):
        return policy
    if policy == "gt":
        return lambda ob: env.gt_now
    if policy == "random":
        env.action_space.seed(seed)
        return lambda ob: env.action_space.sample()
    if policy == "fixate":
        if env.action_type == "continuous":
            zeros = np.zeros(env.action_space.shape or (), np.float32)
            return lambda ob: zeros
        fixation = int(np.atleast_1d(env.action_space.name.get("fixation", 0))[0])  # type: ignore[attr-defined]
        return lambda ob: fixation
    raise ValueError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")


def _step_periods(env: TrialEnv) -> list[str | None]:
    """The period of each step of the current trial; where periods overlap the shortest wins,
    so a 1-step 'ready' cue inside a long 'measure' period keeps its own name."""
    spans = sorted(
        ((e - s, -i, name, s, e) for i, (name, s) in enumerate(env.start_ind.items()) if (e := env.end_ind[name]) > s),
        reverse=True,
    )
    labels: list[str | None] = [None] * len(env.ob)
    for _, _, name, s, e in spans:  # longest first, so shorter periods overwrite
        labels[s:e] = [name] * (min(e, len(labels)) - s)
    return labels


def rollout(
    task_or_env: str | Path | TrialEnv,
    trials: int = 3,
    seed: int = 0,
    policy: Policy = "gt",
    params: dict[str, Any] | None = None,
    steps: int | None = None,
) -> Rollout:
    """Play `trials` whole trials from `reset(seed=seed)` (or stop after `steps` steps, if sooner),
    recording each step as the contract defines it."""
    env = as_env(task_or_env, params)
    act = _policy(env, policy, seed)
    obs, _ = env.reset(seed=seed)
    played: list[tuple[Any, ...]] = []  # (ob, gt, action, reward, period) per step
    name = policy if isinstance(policy, str) else "given"
    out = Rollout(env.task_name, name, float(env.dt), *(np.empty(0),) * 4, [], [0])  # type: ignore[arg-type]
    labels = _step_periods(env)
    while len(out.bounds) <= trials and (steps is None or len(played) < steps):
        k, action, seen = env.t_ind, act(obs), obs
        obs, reward, _, _, info = env.step(action)
        played.append((seen, info["gt"], action, reward, labels[k]))
        if info["new_trial"]:
            out.bounds.append(len(played))
            out.performance.append(float(info["performance"]))
            out.variables.append(dict(info["trial"]))
            labels = _step_periods(env)
    if out.bounds[-1] < len(played):  # stopped inside a trial: it is drawn up to there
        out.bounds.append(len(played))
    columns = list(zip(*played, strict=True))
    out.ob, out.gt, out.action, out.reward = (np.asarray(c) for c in columns[:4])
    out.period = list(columns[4])
    return out


def _segments(labels: list[str | None], bounds: list[int]) -> list[tuple[int, int, str]]:
    """Runs of one period name as (first step, step after the last, name), split at trial bounds."""
    out: list[tuple[int, int, str]] = []
    for k, end in zip(bounds[:-1], bounds[1:], strict=False):
        for name, run in groupby(labels[k:end]):
            n = len(list(run))
            out += [(k, k + n, name)] if name is not None else []
            k += n
    return out


def group_ticks(names: dict[str, int | list[int]], per_column_up_to: int = 4) -> tuple[list[float], list[str]]:
    """Tick positions and labels for named columns: 'stimulus 1', 'stimulus 2' for small groups,
    one centred group name for large ones, so a 16-column ring stays legible."""
    ticks: list[float] = []
    labels: list[str] = []
    for name, cols in names.items():
        cols = [cols] if isinstance(cols, int) else list(cols)
        if len(cols) == 1 or len(cols) > per_column_up_to:
            ticks.append(float(np.mean(cols)))
            labels.append(name)
        else:
            ticks += [float(c) for c in cols]
            labels += [f"{name} {i + 1}" for i in range(len(cols))]
    return ticks, labels


def _place_rows(spans: list[tuple[float, float]], rows: int) -> list[int | None]:
    """Lowest row for each label span (x from, x to), in the given order, where it overlaps no label
    placed before it; None when every row is taken there."""
    taken: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
    placed: list[int | None] = []
    for lo, hi in spans:
        row = next((r for r in range(rows) if all(hi <= a or lo >= b for a, b in taken[r])), None)
        if row is not None:
            taken[row].append((lo, hi))
        placed.append(row)
    return placed


def _trial_labels(r: Rollout, n_vars: int, perf: bool) -> list[str]:
    """'trial 1: ground_truth=1, coh=25.6 · perf 1': the first `n_vars` scalar variables tell trials apart."""
    out = []
    for i, (p, v) in enumerate(zip(r.performance, r.variables, strict=True)):
        shown = [f"{k}={x:.4g}" for k, x in v.items() if isinstance(x, (int, float))][:n_vars]
        out.append(f"trial {i + 1}" + (": " + ", ".join(shown) if shown else "") + (f" · perf {p:g}" if perf else ""))
    return out


def _label_layout(r: Rollout, unit: float, axes_width: float) -> tuple[list[tuple[float, int, str, bool | None]], int]:
    """Period-bar texts as (x, row, text, wider than its period; None for trial labels) and the rows used.

    Text widths are estimated from the character count, so the bar can be sized before the
    figure exists. Each period name's first occurrence is placed first, so every name shows.
    """
    per_char = 0.55 * FONT / 72 * len(r.period) * unit / axes_width  # data units per character
    right = len(r.period) * unit
    segs = _segments(r.period, r.bounds)
    names = [s[2] for s in segs]
    firsts = [i for i in range(len(segs)) if names.index(names[i]) == i]
    # a repeated name is labelled only where it fits inside its own span: its colour already names it
    repeats = [
        i
        for i in range(len(segs))
        if i not in firsts and (segs[i][1] - segs[i][0]) * unit >= (len(names[i]) + 1.5) * per_char
    ]
    spans = []
    for i in firsts + repeats:
        half = (len(names[i]) + 1.5) * per_char / 2
        centre = float(np.clip((segs[i][0] + segs[i][1]) / 2 * unit, half, max(half, right - half)))
        spans.append((centre, half))
    rows = _place_rows([(c - h, c + h) for c, h in spans], MAX_ROWS)
    items = [
        (c, row, names[i], (segs[i][1] - segs[i][0]) * unit < 2 * h)
        for i, (c, h), row in zip(firsts + repeats, spans, rows, strict=True)
        if row is not None
    ]
    n_rows = 1 + max((it[1] for it in items), default=0)
    for n_vars, perf in ((2, True), (2, False), (1, True), (0, True), (0, False)):  # the first that fits
        trials = _trial_labels(r, n_vars, perf)
        t_spans = [(b * unit, b * unit + (len(t) + 2) * per_char) for b, t in zip(r.bounds, trials, strict=False)]
        placed = [row if hi <= right else None for row, (_, hi) in zip(_place_rows(t_spans, 1), t_spans, strict=True)]
        if None not in placed:
            break
    return items + [
        (lo + 0.5 * per_char, n_rows, t, None)
        for (lo, _), t, row in zip(t_spans, trials, placed, strict=True)
        if row is not None
    ], n_rows + 1


def pyplot() -> Any:
    """matplotlib's pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install 'taskspec[plot]'") from exc
    return plt


def _panels(plt: Any, ax: Any, heights: list[float]) -> tuple[Any, list[Any]]:
    """The figure and one axes per panel: a new figure, or the space of a given Figure or Axes."""
    if ax is None:
        fig = plt.figure(figsize=(11, sum(heights) + 1.3), layout="constrained")
        spec = fig.add_gridspec(len(heights), 1, height_ratios=heights)
    elif hasattr(ax, "add_gridspec"):  # a Figure or SubFigure
        fig, spec = ax, ax.add_gridspec(len(heights), 1, height_ratios=heights)
    else:
        if ax.get_subplotspec() is None:
            raise ValueError("ax must be a Figure, a SubFigure or an Axes placed on a grid (e.g. from subplots)")
        fig, spec = ax.figure, ax.get_subplotspec().subgridspec(len(heights), 1, height_ratios=heights)
        ax.remove()
    first = fig.add_subplot(spec[0])
    axes = [first] + [fig.add_subplot(spec[i], sharex=first) for i in range(1, len(heights))]
    for a in axes[:-1]:
        a.tick_params(labelbottom=False)
    return fig, axes


def _draw_observation(fig: Any, ax: Any, r: Rollout, names: dict[str, Any], unit: float) -> None:
    """The observation as a heatmap, one row per column, with group names and group separators."""
    n_obs = r.ob.shape[1]
    lo, hi = np.percentile(r.ob, [1, 99]) if r.ob.size else (0.0, 1.0)
    im = ax.imshow(
        r.ob.T,
        aspect="auto",
        interpolation="nearest",
        cmap="viridis",
        vmin=min(lo, 0),
        vmax=max(hi, lo + 1e-6),
        extent=(0, len(r.ob) * unit, n_obs - 0.5, -0.5),
    )
    ticks, labels = group_ticks(names)
    ax.set_yticks(ticks, labels, fontsize=FONT)
    for cols in list(names.values())[1:]:
        ax.axhline(np.min(cols) - 0.5, color="white", lw=0.8)
    ax.set_ylabel("observation")
    # an inset colorbar shares the right margin with the action legend instead of adding its own
    fig.colorbar(im, cax=ax.inset_axes((1.01, 0.0, 0.012, 1.0))).set_label("value", fontsize=FONT)


def _draw_actions(ax: Any, values: np.ndarray, r: Rollout, names: dict[str, Any], unit: float, label: str) -> None:
    """Discrete actions as a step line on an axis labelled with action names; continuous ones as lines."""
    edges = np.arange(len(values) + 1) * unit
    if values.ndim == 1:
        ax.stairs(values, edges, baseline=None, color="black" if label == "ground truth" else "tab:blue", lw=1.8)
        n_act = 1 + max(int(np.max(np.atleast_1d(c))) for c in names.values())
        ticks, labels = group_ticks(names)
        ax.set_yticks(ticks, labels, fontsize=FONT)
        ax.set_yticks(range(n_act), minor=True)
        ax.set_ylim(-0.6, n_act - 0.4)
        if label != "ground truth":
            wrong = np.flatnonzero(values != r.gt)
            ax.plot((wrong + 0.5) * unit, values[wrong], "o", color="tab:red", ms=4, label="≠ ground\ntruth")
            if len(wrong):
                ax.legend(
                    loc="upper left",
                    bbox_to_anchor=(1.0, 1.02),
                    fontsize=FONT - 1,
                    frameon=False,
                    handletextpad=0.1,
                    borderaxespad=0.2,
                )
    else:
        for j, name in enumerate(names):
            ax.stairs(values[:, j], edges, baseline=None, lw=1.5, label=name)
        ax.legend(loc="upper right", fontsize=FONT - 1)
    ax.set_ylabel(label)


def _draw_rewards(ax: Any, r: Rollout, unit: float, scale: list[float]) -> None:
    """Non-zero rewards as stems at their step, green when positive and red when negative."""
    k = np.flatnonzero(r.reward)
    x, y = (k + 0.5) * unit, r.reward[k]
    colours = np.where(y > 0, "tab:green", "tab:red")
    ax.vlines(x, 0, y, colors=colours, lw=1.8)
    ax.scatter(x, y, c=colours, s=22, zorder=3)
    ax.axhline(0, color="0.4", lw=0.8)
    lo, hi = min([0.0, *scale, *y]), max([0.0, *scale, *y])
    ax.set(ylim=(lo - 0.2 * (hi - lo or 1), hi + 0.2 * (hi - lo or 1)), ylabel="reward")


def _draw_periods(bar: Any, axes: list[Any], r: Rollout, order: list[str], unit: float, layout: Any) -> None:
    """Period spans in light colours (one per period name) on every line panel, named in the bar above."""
    colour = {name: PERIOD_COLOURS[i % len(PERIOD_COLOURS)] for i, name in enumerate(order)}
    items, rows = layout
    for s, e, name in _segments(r.period, r.bounds):
        bar.axvspan(s * unit, e * unit, ymax=(rows - 1) / rows, color=colour[name], lw=0)
        for ax in axes:
            ax.axvspan(s * unit, e * unit, color=colour[name], alpha=0.6, lw=0, zorder=0)
    for x, row, text, wide in items:
        if wide is None:  # a trial label
            bar.text(x, row + 0.5, text, ha="left", va="center", fontsize=FONT, fontweight="bold")
        else:  # a label wider than its period is boxed in the period's colour, so it still points to it
            box = {"boxstyle": "round,pad=0.15", "fc": colour[text], "ec": "0.55", "lw": 0.6} if wide else None
            bar.text(x, row + 0.5, text, ha="center", va="center", fontsize=FONT, bbox=box)
    bar.set(ylim=(0, rows), yticks=[])
    bar.tick_params(bottom=False)
    bar.spines[["left", "right", "top"]].set_visible(False)


def plot_trials(
    task_or_env: str | Path | TrialEnv,
    trials: int = 3,
    seed: int = 0,
    policy: Policy = "gt",
    params: dict[str, Any] | None = None,
    ax: Any = None,
    time: str = "ms",
    steps: int | None = None,
) -> Any:
    """A figure of `trials` trials played with `policy` ("gt", "random", "fixate", or a function of the
    observation returning the action); returns the Figure. With `steps`, play stops after that many steps
    if `trials` trials take longer.

    `ax` may be a Figure, a SubFigure or a grid-placed Axes to draw into instead of a new
    figure. `time="ms"` puts step k at k * dt ms, `time="steps"` at k. Save with
    `fig.savefig(path, dpi=120)`.
    """
    plt = pyplot()
    if time not in ("ms", "steps"):
        raise ValueError(f"time must be 'ms' or 'steps', got {time!r}")
    env = as_env(task_or_env, params)
    r = rollout(env, trials, seed, policy, steps=steps)
    unit = r.dt if time == "ms" else 1.0
    obs_names, act_names = env.observation_space.name, env.action_space.name  # type: ignore[attr-defined]
    # label widths are estimated from the axes width in inches, so the bar is sized before drawing
    layout = _label_layout(r, unit, 8.6 if ax is None else 0.8 * ax.bbox.width / ax.get_figure().dpi)
    n_act = len(np.atleast_1d(r.gt[0])) if r.gt.ndim > 1 else env.action_space.n  # type: ignore[attr-defined]
    act_height = float(np.clip(0.28 * n_act, 0.9, 1.6))
    heights = [0.24 * layout[1], float(np.clip(0.22 * r.ob.shape[1], 1.2, 2.6)), act_height, act_height, 1.0]
    fig, (bar, heat, gt_ax, act_ax, rew_ax) = _panels(plt, ax, heights)
    _draw_observation(fig, heat, r, obs_names, unit)
    _draw_actions(gt_ax, r.gt, r, act_names, unit, "ground truth")
    _draw_actions(act_ax, r.action, r, act_names, unit, "action taken")
    _draw_rewards(rew_ax, r, unit, list(env.rewards.values()))
    _draw_periods(bar, [gt_ax, act_ax, rew_ax], r, list(env.start_ind), unit, layout)
    for a in (heat, gt_ax, act_ax, rew_ax):
        for b in r.bounds[1:-1]:
            a.axvline(b * unit, color="white" if a is heat else "0.2", lw=1.4)
    bar.set_xlim(0, len(r.ob) * unit)
    rew_ax.set_xlabel(f"time (ms; one step = dt = {r.dt:g} ms)" if time == "ms" else "step")
    who = {"gt": "ground-truth policy", "random": "random policy", "fixate": "always-fixate policy"}.get(
        r.policy, "given policy"
    )
    shown = len(r.bounds) - 1
    fig.suptitle(f"{r.task}: {shown} trial{'s' * (shown != 1)}, {who}, seed {seed}", fontsize=FONT + 3)
    fig.align_ylabels([heat, gt_ax, act_ax, rew_ax])
    return fig


def save_plot(path: str | Path, task_or_env: str | Path | TrialEnv, dpi: int = 120, **kwargs: Any) -> Path:
    """Draw `plot_trials(task_or_env, **kwargs)` into `path` (format from the suffix) and close the figure."""
    fig = plot_trials(task_or_env, **kwargs)
    try:
        fig.savefig(path, dpi=dpi)
    finally:
        pyplot().close(fig)
    return Path(path)
