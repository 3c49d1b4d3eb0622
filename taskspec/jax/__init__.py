"""The JAX backend (optional extra `taskspec[jax]`): tasks as gymnax environments and trial batches on device.

    import jax, taskspec.jax
    env = taskspec.jax.make("PerceptualDecisionMaking")
    obs, state = env.reset(jax.random.key(0))
    obs, state, reward, terminated, truncated, info = env.step(jax.random.key(1), state, 0)
    batch = taskspec.jax.generate_trials("PerceptualDecisionMaking", jax.random.key(0), 256)

See docs/jax.md.
"""

from __future__ import annotations

try:
    import jax  # noqa: F401
except ImportError:  # pragma: no cover - depends on the installation
    raise ImportError("the JAX backend needs jax: pip install 'taskspec[jax]' (or pip install jax jaxlib)") from None

from .env import EnvParams, EnvState, JaxEnv, generate_trials, make
from .spaces import Box, Discrete

__all__ = ["Box", "Discrete", "EnvParams", "EnvState", "JaxEnv", "generate_trials", "make"]
