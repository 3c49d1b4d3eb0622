"""The two spaces gymnax environments expose, with gymnax's methods (`sample(key)`, `contains`)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


class Discrete:
    """Actions 0..n-1."""

    def __init__(self, num_categories: int):
        self.n = int(num_categories)
        self.shape: tuple[int, ...] = ()
        self.dtype = jnp.int32

    def sample(self, key: jax.Array) -> jax.Array:
        return jax.random.randint(key, self.shape, 0, self.n).astype(self.dtype)

    def contains(self, x: Any) -> Any:
        return jnp.logical_and(x >= 0, x < self.n)


class Box:
    """Real vectors within [low, high]."""

    def __init__(self, low: float, high: float, shape: tuple[int, ...], dtype: Any = jnp.float32):
        self.low, self.high, self.shape, self.dtype = low, high, tuple(shape), dtype

    def sample(self, key: jax.Array) -> jax.Array:
        low = jnp.maximum(jnp.float32(self.low), -1e6)  # an unbounded side samples a wide finite range
        high = jnp.minimum(jnp.float32(self.high), 1e6)
        return jax.random.uniform(key, self.shape, self.dtype, low, high)

    def contains(self, x: Any) -> Any:
        return jnp.logical_and(jnp.all(x >= self.low), jnp.all(x <= self.high))
