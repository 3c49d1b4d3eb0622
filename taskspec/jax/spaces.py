"""The spaces a JaxEnv exposes: gymnax's own classes when gymnax is installed, else the same interface.

gymnax's wrappers (`FlattenObservationWrapper`, `StickyActionWrapper`) and the libraries built on it
(rejax reads `isinstance(space, gymnax.environments.spaces.Discrete)` to choose a categorical policy)
test spaces by class, so with gymnax present these are subclasses of its `Box` and `Discrete`. taskspec
does not depend on gymnax: without it the stand-ins below have gymnax 1.0's constructor arguments,
attributes (`n`, `shape`, `dtype`, `low`, `high`) and methods (`sample(key)`, `contains(x)`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .gymnax_compat import gymnax_spaces as _gymnax_spaces

WIDE = 1e6  # an unbounded side of a Box samples from a finite range this wide (a uniform over inf is NaN)


class _Space:
    """gymnax's `Space` interface, for installations without gymnax."""

    def sample(self, key: jax.Array) -> jax.Array:
        raise NotImplementedError("a space subclass says how it samples")

    def contains(self, x: Any) -> Any:
        raise NotImplementedError("a space subclass says what it contains")


class _Discrete(_Space):
    """Actions 0..n-1 (gymnax's `Discrete(num_categories, *, dtype=int32)`)."""

    def __init__(self, num_categories: int, *, dtype: Any = jnp.int32):
        self.n = int(num_categories)
        self.shape: tuple[int, ...] = ()
        self.dtype = jnp.dtype(dtype)

    def __repr__(self) -> str:
        return f"Discrete({self.n}, dtype={self.dtype.name})"

    def sample(self, key: jax.Array) -> jax.Array:
        return jax.random.randint(key, self.shape, 0, self.n, dtype=self.dtype)

    def contains(self, x: Any) -> Any:
        x = jnp.asarray(x, self.dtype)
        return jnp.logical_and(x >= 0, x < self.n)


class _Box(_Space):
    """Real arrays within [low, high] (gymnax's `Box(low, high, shape, dtype=float32)`)."""

    def __init__(self, low: Any, high: Any, shape: Any, dtype: Any = jnp.float32):
        self.low, self.high, self.shape, self.dtype = low, high, tuple(shape), dtype

    def __repr__(self) -> str:
        return f"Box(low={self.low}, high={self.high}, shape={self.shape}, dtype={jnp.dtype(self.dtype).name})"

    def sample(self, key: jax.Array) -> jax.Array:
        return jax.random.uniform(key, self.shape, jnp.float32, self.low, self.high).astype(self.dtype)

    def contains(self, x: Any) -> Any:
        return jnp.logical_and(jnp.all(x >= self.low), jnp.all(x <= self.high))


_BaseDiscrete: Any = _gymnax_spaces.Discrete if _gymnax_spaces is not None else _Discrete
_BaseBox: Any = _gymnax_spaces.Box if _gymnax_spaces is not None else _Box


class Discrete(_BaseDiscrete):  # type: ignore[misc]
    """Actions 0..n-1: `isinstance(space, gymnax.environments.spaces.Discrete)` holds when gymnax is installed."""


class Box(_BaseBox):  # type: ignore[misc]
    """Real arrays within [low, high]; an infinite side samples within +-1e6 instead of giving NaN."""

    def sample(self, key: jax.Array) -> jax.Array:
        low = jnp.maximum(jnp.asarray(self.low, jnp.float32), -WIDE)
        high = jnp.minimum(jnp.asarray(self.high, jnp.float32), WIDE)
        return jax.random.uniform(key, self.shape, jnp.float32, low, high).astype(self.dtype)
