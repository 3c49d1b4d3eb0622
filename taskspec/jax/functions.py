"""The functions JAX-rendered expressions call (`fn.*`), for one trial or one env at a time.

The generated JAX code (compiler/codegen_jax.py) is written for a single trial: trial
variables are numbers (or vectors for `size=` draws), time `t` is one number. Batches come from
`jax.vmap`, so none of NumPy's batch-shape bookkeeping (trials x steps x columns) is needed here.
Names and meanings follow `taskspec.runtime.functions`; the checks NumPy makes at run time
(finite values, whole-number indices) cannot raise under `jit`: the NumPy class's dry run
checks the spec when the task is loaded, and the differences are listed in docs/jax.md.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

pi, e, inf = jnp.pi, jnp.e, jnp.inf
abs = jnp.abs  # noqa: A001 - the spec language's own name
sqrt, exp, log, sin, cos, tan, tanh = jnp.sqrt, jnp.exp, jnp.log, jnp.sin, jnp.cos, jnp.tan, jnp.tanh
arctan2, floor, ceil, round, sign = jnp.arctan2, jnp.floor, jnp.ceil, jnp.round, jnp.sign  # noqa: A001
minimum, maximum, clip, where = jnp.minimum, jnp.maximum, jnp.clip, jnp.where
logical_not = jnp.logical_not
float32, asarray = jnp.float32, jnp.asarray  # session and state variables are float32; trial variables keep theirs
mod = jnp.mod  # a zero divisor gives NaN here (NumPy's backend raises); docs/jax.md says so


class Uniforms:
    """The uniform draws of one call, sliced in turn from one array drawn at once.

    Every random value here (integers, normals, choices) is made from uniforms, so one call of
    `jax.random.uniform` per trial or step replaces a key split per draw: splits dominate the
    cost of a step on CPU. Shapes are static, so how many a call takes is known when it is
    traced: a pool made without values counts them (and hands out 0.5s, discarded)."""

    def __init__(self, values: jax.Array | None):
        self.values, self.used = values, 0

    def take(self, shape: tuple[int, ...]) -> jax.Array:
        size = 1
        for n in shape:
            size *= n
        first, self.used = self.used, self.used + size
        if self.values is None:
            return jnp.full(shape, 0.5, jnp.float32)
        return self.values[first : first + size].reshape(shape)


def power(base: Any, exponent: Any) -> Any:
    return jnp.power(jnp.asarray(base, jnp.float32), exponent)


def all_of(*values: Any) -> Any:
    out = values[0]
    for v in values[1:]:
        out = jnp.logical_and(out, v)
    return out


def any_of(*values: Any) -> Any:
    out = values[0]
    for v in values[1:]:
        out = jnp.logical_or(out, v)
    return out


def isin(value: Any, options: Any) -> Any:
    return jnp.any(jnp.asarray(value)[..., None] == jnp.atleast_1d(jnp.asarray(options)), axis=-1)


def array(values: tuple[Any, ...]) -> jax.Array:
    """A list literal of numbers (one trial: no batch axis to line up)."""
    parts = [jnp.asarray(v) for v in values]
    if any(p.ndim for p in parts):
        return jnp.concatenate([jnp.atleast_1d(p) for p in parts])
    return jnp.stack(parts) if parts else jnp.zeros(0)


def arange(n: Any) -> jax.Array:
    return jnp.arange(int(n))


def ring(n: Any) -> jax.Array:
    size = int(n)
    return jnp.arange(size) * (2 * jnp.pi / size)


def onehot(index: Any, n: Any) -> jax.Array:
    return (jnp.asarray(index) == jnp.arange(int(n))).astype(jnp.float32)


def among(index: Any, n: int) -> Any:
    """A chosen group's index; one outside the groups (which NumPy's backend refuses) shows the input
    nowhere here: a jitted function cannot raise."""
    values = jnp.asarray(index)
    ok = (values == jnp.floor(values)) & (values >= 0) & (values < n)
    return jnp.where(ok, values, -1)


def column(value: Any) -> Any:
    """One trial at a time: a per-trial number meets a vector by broadcasting already."""
    return value


def multihot(indices: Any, n: Any) -> jax.Array:
    """1 at each of a vector of indices (one trial: the vector is the only axis)."""
    return jnp.any(jnp.asarray(indices)[..., None] == jnp.arange(int(n)), axis=-2).astype(jnp.float32)


def interp(x: Any, xp: Any, fp: Any) -> Any:
    return jnp.interp(x, jnp.asarray(xp, jnp.float32), jnp.asarray(fp, jnp.float32))


def circdist(a: Any, b: Any) -> Any:
    d = jnp.mod(jnp.asarray(a) - jnp.asarray(b), 2 * jnp.pi)
    return jnp.minimum(d, 2 * jnp.pi - d)


def take(values: Any, index: Any) -> Any:
    """values[index] on the last axis; an index of floats is cut to a whole number."""
    if isinstance(values, (int, float)):  # an action group of one column indexed by 0
        values = jnp.asarray([values])
    return jnp.take(jnp.asarray(values), jnp.asarray(index).astype(jnp.int32), axis=-1)


def sum(values: Any) -> Any:  # noqa: A001
    return jnp.sum(jnp.asarray(values), axis=-1)


def mean(values: Any) -> Any:
    return jnp.mean(jnp.asarray(values), axis=-1)


def cumsum(values: Any) -> Any:
    return jnp.cumsum(jnp.asarray(values), axis=-1)


def lag(values: Any, k: Any) -> Any:
    """As the NumPy runtime's: entry i holds entry i - k, -1 where there is none; k is fixed, so static."""
    values = jnp.asarray(values)
    if values.dtype == jnp.bool_:
        values = values.astype(jnp.int32)
    steps, size = int(k), values.shape[-1]
    filler = jnp.full((*values.shape[:-1], min(steps, size)), -1, values.dtype)
    return jnp.concatenate([filler, values[..., : max(size - steps, 0)]], axis=-1)


def nback_items(rng: Uniforms, _n: Any, symbols: Any, length: Any, k: Any, rate: Any) -> jax.Array:
    """As the NumPy runtime's (its own draws): the first k items at random, each later one the item
    k back with probability `rate`, else one of the other symbols."""
    m, size, back = int(symbols), int(length), int(k)
    match = rng.take((size,)) < rate
    other = 1 + jnp.floor(rng.take((size,)) * (m - 1)).astype(jnp.int32)
    items = jnp.floor(rng.take((size,)) * m).astype(jnp.int32)
    for i in range(back, size):  # size and back are fixed: the loop unrolls under jit
        before = items[i - back]
        items = items.at[i].set(jnp.where(match[i], before, (before + other[i]) % m))
    return items


def length(values: Any) -> int:
    """`len(x)`: a list's or vector's number of entries; shapes are static under jit, so a plain int."""
    if jnp.ndim(values) == 0:
        raise ValueError("len() takes a list or vector, not a single number")
    return int(jnp.shape(values)[-1])


# Random draws: one value (or one vector of `size` values) for the trial being drawn; `_n` is unused,
# kept so that the rendering of random calls is the same as NumPy's.


def _shape(size: Any) -> tuple[int, ...]:
    return () if size is None else (int(size),)


def _index(rng: Uniforms, n: Any, size: Any) -> jax.Array:
    """Whole numbers 0..n-1, equally likely: a scaled uniform draw compiles far smaller than randint."""
    draw = jnp.floor(rng.take(_shape(size)) * n).astype(jnp.int32)
    return jnp.minimum(draw, jnp.asarray(n, jnp.int32) - 1)


def choice(rng: Uniforms, _n: Any, values: Any, p: Any = None, size: Any = None, replace: bool = True) -> jax.Array:
    options = jnp.asarray(values)
    if options.ndim == 0:
        options = jnp.arange(int(values))
    if not replace:
        return options[_distinct(rng, options.shape[0], p, size)]
    if p is None:
        return options[_index(rng, options.shape[0], size)]
    cumulative = jnp.cumsum(jnp.asarray(p, jnp.float32))
    draw = rng.take((*_shape(size), 1)) * cumulative[-1]
    picked = jnp.sum(draw >= cumulative, axis=-1)
    return options[jnp.minimum(picked, options.shape[0] - 1)]


def _distinct(rng: Uniforms, m: int, p: Any, size: Any) -> jax.Array:
    """Indices of `size` distinct options out of m (one index when `size` is None), as the NumPy
    runtime's `_distinct` draws them: the options ranked by random keys, the first `size` kept.
    Uniform keys give every subset in every order equally often; keys log(u) / p give the order of
    drawing one by one with probabilities p, renormalised after each draw (Efraimidis and Spirakis),
    and an option of probability 0 is never drawn. `size` and m are fixed (static under jit), and
    the NumPy class's trial drawn when the env is made refuses more values than there are options."""
    k = 1 if size is None else int(size)
    u = rng.take((m,))
    if p is None:
        keys = u
    else:
        weights = jnp.asarray(p, jnp.float32)
        # log1p(-u) = log(1 - u), with 1 - u in (0, 1]: a finite key for every option drawn with p > 0
        keys = jnp.where(weights > 0, jnp.log1p(-u) / jnp.where(weights > 0, weights, 1.0), -jnp.inf)
    order = jax.lax.top_k(keys, k)[1]  # the k largest keys, in decreasing order (ties to the lower index)
    return order[0] if size is None else order


def uniform(rng: Uniforms, _n: Any, low: Any, high: Any, size: Any = None) -> jax.Array:
    low, high = jnp.asarray(low, jnp.float32), jnp.asarray(high, jnp.float32)
    return low + (high - low) * rng.take(_shape(size))


def integers(rng: Uniforms, _n: Any, low: Any, high: Any, size: Any = None) -> jax.Array:
    low = jnp.asarray(low, jnp.int32)
    return low + _index(rng, jnp.asarray(high, jnp.int32) - low, size)


def bernoulli(rng: Uniforms, _n: Any, p: Any, size: Any = None) -> jax.Array:
    return (rng.take(_shape(size)) < p).astype(jnp.int32)


def normal(rng: Uniforms, _n: Any, mean: Any, std: Any, size: Any = None) -> jax.Array:
    return mean + std * standard_normal(rng, _shape(size))


def standard_normal(rng: Uniforms, shape: tuple[int, ...]) -> jax.Array:
    """Normal draws by Box-Muller, both of each pair used: exact, and cheap to compile and run."""
    size = 1
    for n in shape:
        size *= n
    u = rng.take((2, (size + 1) // 2))
    radius = jnp.sqrt(-2.0 * jnp.log1p(-u[0]))  # 1 - u lies in (0, 1]: no log(0)
    angle = 2 * jnp.pi * u[1]
    return jnp.concatenate([radius * jnp.cos(angle), radius * jnp.sin(angle)])[:size].reshape(shape)


def trunc_exp(rng: Uniforms, _n: Any, mean: Any, low: Any = 0.0, high: Any = jnp.inf, size: Any = None) -> jax.Array:
    """Exponential with the given mean restricted to [low, high), by the inverse CDF (as NumPy's backend)."""
    lo, hi = jnp.exp(-jnp.asarray(low, jnp.float32) / mean), jnp.exp(-jnp.asarray(high, jnp.float32) / mean)
    draw = -mean * jnp.log(lo - rng.take(_shape(size)) * (lo - hi))
    return jnp.where(low >= high, jnp.asarray(high, jnp.float32), draw)


# Period tests and outcome rules, for one env.


def inside(periods: tuple[str, ...], start: dict[str, Any], end: dict[str, Any], t: Any) -> Any:
    """Whether time `t` (ms) lies in one of `periods`; True when none is named."""
    if not periods:
        return jnp.asarray(True)
    return any_of(*[(start[p] <= t) & (t < end[p]) for p in periods])


class Outcomes:
    """Outcome rules for one step: the first rule that matches decides (later rules are masked)."""

    def __init__(self) -> None:
        self.open: Any = jnp.asarray(True)
        self.reward: Any = jnp.asarray(0.0, jnp.float32)
        self.performance: Any = jnp.asarray(jnp.nan, jnp.float32)  # NaN: left as it was
        self.end: Any = jnp.asarray(False)
        self.goto: Any = jnp.asarray(-1, jnp.int32)  # the period (by index) the trial goes on with; -1: none
        # The rule that ended the trial (-1: none), for `last_rule`: generated code calls `rule` once
        # per outcome rule, in the rules' order, so the calls count the rules (as NumPy's Outcomes).
        self.ended_by: Any = jnp.asarray(-1, jnp.int32)
        self.rules_seen = 0

    def rule(self, hit: Any, reward: Any, performance: Any, end_trial: bool, goto: int = -1) -> None:
        index = self.rules_seen
        self.rules_seen += 1
        hit = jnp.logical_and(self.open, jnp.asarray(hit).astype(bool))
        self.reward = jnp.where(hit, jnp.asarray(reward, jnp.float32), self.reward)
        if performance is not None:
            self.performance = jnp.where(hit, jnp.asarray(performance, jnp.float32), self.performance)
        if end_trial:
            self.end = jnp.logical_or(self.end, hit)
            self.ended_by = jnp.where(hit, jnp.int32(index), self.ended_by)
        if goto >= 0:
            self.goto = jnp.where(hit, jnp.int32(goto), self.goto)
        self.open = jnp.logical_and(self.open, jnp.logical_not(hit))


def truth(value: Any) -> Any:
    """A condition as one boolean (NumPy's `bool(...)` of an `until`)."""
    return jnp.asarray(value).astype(bool)


def place(ob: jax.Array, columns: Any, where: Any, value: Any, noise: Any, rng: Uniforms) -> jax.Array:
    """Add an input's value (and noise) to the columns it writes, at a step that lies in its periods."""
    width = len(columns)
    extra = jnp.zeros(width, jnp.float32)
    if value is not None:
        extra = extra + jnp.broadcast_to(jnp.asarray(value, jnp.float32), (width,))
    if noise is not None:
        extra = extra + jnp.asarray(noise, jnp.float32) * standard_normal(rng, (width,))
    extra = jnp.where(where, extra, 0.0)
    first, last = int(columns[0]), int(columns[-1]) + 1
    if last - first == width:  # contiguous columns (the usual case): a pad, cheaper than a scatter
        return ob + jnp.pad(extra, (first, ob.shape[0] - last))
    return ob.at[jnp.asarray(columns)].add(extra)


def settle(old: Any, where: Any, value: Any) -> Any:
    """A state variable's update, applied only while one of its periods is on."""
    return jnp.where(where, jnp.asarray(value, jnp.float32), old)
