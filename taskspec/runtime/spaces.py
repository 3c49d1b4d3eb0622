"""Named spaces: NeuroGym's `space.name`, the columns each observation or action group holds.

A compiled task says each group's size (given the parameters); the env lays the groups out in
order, bounds the total and turns an input's columns into a slice where they are contiguous, so
placements write through views.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

MAX_OBSERVATION_SIZE = 10_000


class NamedBox(gym.spaces.Box):
    """A Box whose dimensions have group names, as NeuroGym's `space.name`."""

    name: dict[str, int | list[int]]


class NamedDiscrete(gym.spaces.Discrete):
    name: dict[str, int | list[int]]


def named_columns(sizes: tuple[tuple[str, int], ...]) -> dict[str, int | list[int]]:
    """Each group's column (a group of one) or columns, the groups laid out in order."""
    names: dict[str, int | list[int]] = {}
    at = 0
    for name, size in sizes:
        names[name] = at if size == 1 else list(range(at, at + size))
        at += size
    return names


def as_slice(columns: np.ndarray) -> slice | np.ndarray:
    """Contiguous columns as a slice, so placements write through views."""
    if columns.size and np.all(np.diff(columns) == 1):
        return slice(int(columns[0]), int(columns[-1]) + 1)
    return columns


def checked_sizes(env: Any, sizes: Any) -> tuple[tuple[str, int], ...]:
    """Group sizes are whole numbers already (fn.size); here their total is bounded."""
    if sum(size for _, size in sizes) > MAX_OBSERVATION_SIZE:
        env.spec_problem("observation", f"a space may have at most {MAX_OBSERVATION_SIZE} columns in all")
    return tuple((name, int(size)) for name, size in sizes)
