"""The JAX backend: equal in distribution to the NumPy backend on every bundled task, and the
timing contract, gymnax's interface and the refusals of unsupported features.

Not draw for draw (the generators differ): for each task, 32 independent sessions of 16 trials
from each backend are compared statistic by statistic (trial variables, period lengths, per-period
observation means and ground-truth fractions, and the reward per trial the ground-truth policy
earns), each within 5 standard errors computed from the 32 session means. Each task compiles once,
with XLA's optimisation turned down: compile time, not run time, is what costs here.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402

import taskspec  # noqa: E402
import taskspec.jax as tj  # noqa: E402
from taskspec import SpecError  # noqa: E402

SESSIONS, TRIALS, ROLLOUT_TRIALS = 32, 16, 6
FAST_COMPILE = {"xla_backend_optimization_level": 0}


def _jax_run(env: tj.JaxEnv):
    """One compiled function: SESSIONS batches of TRIALS trials, and SESSIONS ground-truth rollouts."""
    steps = ROLLOUT_TRIALS * env.max_steps

    def rollout(key):
        obs, state = env.reset(key)

        def body(carry, key):
            state, total, trials, squares, running = carry
            obs, state2, reward, done, info = env.step(key, state, env.ground_truth(state))
            running = running + reward
            ended = info["new_trial"]
            total = total + jnp.where(ended, running, 0.0)
            squares = squares + jnp.where(ended, running**2, 0.0)
            trials = trials + ended
            return (state2, total, trials, squares, jnp.where(ended, 0.0, running)), None

        zero = jnp.float32(0)
        carry, _ = jax.lax.scan(body, (state, zero, jnp.int32(0), zero, zero), jax.random.split(key, steps))
        return carry[1], carry[2]

    def run(key):
        k1, k2 = jax.random.split(key)
        batches = jax.vmap(lambda k: env.generate(k, TRIALS))(jax.random.split(k1, SESSIONS))
        return batches, jax.vmap(rollout)(jax.random.split(k2, SESSIONS))

    compiled = jax.jit(run).lower(jax.random.key(0)).compile(compiler_options=FAST_COMPILE)
    return jax.device_get(compiled(jax.random.key(1)))


def _numpy_run(name: str):
    batches = [taskspec.generate_trials(name, TRIALS, seed=s) for s in range(SESSIONS)]
    totals, counts = [], []
    env = taskspec.make(name)
    for s in range(SESSIONS):
        env.reset(seed=1000 + s)
        total = trials = 0.0
        while trials < ROLLOUT_TRIALS:
            _, reward, terminated, _, info = env.step(env.gt_now)
            total += reward
            if info["new_trial"]:
                trials += 1
                if terminated:
                    env.reset()
        totals.append(total)
        counts.append(trials)
    return batches, (np.array(totals), np.array(counts))


def _units_numpy(batches, stat):
    return np.array([stat(b.ob, b.gt, b.length, b.variables, b.start, b.end, b.period_id) for b in batches])


def _units_jax(batches, stat):
    fields = (batches.ob, batches.gt, batches.length, batches.variables, batches.start, batches.end, batches.period_id)
    out = []
    for i in range(SESSIONS):
        one = [f[i] if not isinstance(f, dict) else {k: v[i] for k, v in f.items()} for f in fields]
        out.append(stat(*one))
    return np.array(out)


def _period_stats(periods, action_type, n_act):
    """Per-session statistics: for each period, the mean observation per column and the ground truth."""

    def stat(ob, gt, length, variables, start, end, period_id):
        values = []
        for i, _name in enumerate(periods):
            where = np.asarray(period_id) == i
            if not where.any():
                values += [np.nan] * (ob.shape[-1] + (n_act if action_type == "discrete" else gt.shape[-1]))
                continue
            values += list(np.asarray(ob)[where].mean(axis=0))
            g = np.asarray(gt)[where]
            if action_type == "discrete":
                values += [np.mean(g == a) for a in range(n_act)]
            else:
                values += list(g.mean(axis=0))
        return values

    return stat


def _variable_stats(names, periods):
    def stat(ob, gt, length, variables, start, end, period_id):
        values = [np.mean(length)]
        for name in names:
            v = np.asarray(variables[name], np.float64)
            values += list(v.mean(axis=0).ravel())
        values += [np.mean(np.asarray(end[p]) - np.asarray(start[p])) for p in periods]
        return values

    return stat


def _assert_close(a: np.ndarray, b: np.ndarray, what: list[str], task: str) -> None:
    """Each column's mean over sessions agrees within 5 standard errors (plus float32 slack)."""
    a, b = np.atleast_2d(np.asarray(a, np.float64)), np.atleast_2d(np.asarray(b, np.float64))
    assert a.shape[1] == b.shape[1] == len(what), (task, a.shape, b.shape, len(what))
    for j, label in enumerate(what):
        x, y = a[:, j][~np.isnan(a[:, j])], b[:, j][~np.isnan(b[:, j])]
        if len(x) < 2 or len(y) < 2:
            assert len(x) < 2 and len(y) < 2 or min(len(x), len(y)) >= 2, (task, label, "a period only one backend has")
            continue
        se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
        slack = 1e-3 * (1 + abs(x.mean()))
        assert abs(x.mean() - y.mean()) <= 5 * se + slack, (
            f"{task}: {label}: NumPy {x.mean():.4g} vs JAX {y.mean():.4g} (se {se:.3g})"
        )


@pytest.mark.parametrize("name", taskspec.list_tasks())
def test_equal_in_distribution(name):
    env = tj.make(name)
    j_batches, (j_total, j_count) = _jax_run(env)
    n_batches, (n_total, n_count) = _numpy_run(name)
    assert j_batches.ob.shape[1:] == (TRIALS, env.max_steps, env.n_obs)
    assert int(np.max(n_batches[0].length)) <= env.max_steps  # the static bound holds for NumPy's trials too
    periods = list(env.period_names)
    numpy_env = taskspec.make(name)
    names = [n for n in numpy_env.session_variables + numpy_env.trial_variables + numpy_env.state_variables]
    for stat, labels in (
        (_variable_stats(names, periods), None),
        (_period_stats(periods, "continuous" if env.continuous else "discrete", env.n_act), None),
    ):
        a, b = _units_numpy(n_batches, stat), _units_jax(j_batches, stat)
        _assert_close(a, b, labels or [f"statistic {j}" for j in range(a.shape[1])], name)
    assert (j_count > 0).all() and (n_count > 0).all()
    _assert_close((n_total / n_count)[:, None], (j_total / j_count)[:, None], ["reward per trial"], name)
