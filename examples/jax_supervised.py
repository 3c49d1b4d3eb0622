"""Train a small GRU on PerceptualDecisionMaking in JAX, trials drawn on device inside `jit`, then test it.

    pip install 'taskspec[jax]'      # jax, jaxlib and optax
    python examples/jax_supervised.py [--steps 3000] [--seed 0]

Each training step draws a fresh batch of 64 trials with `taskspec.jax` (the same trials,
in distribution, as the NumPy backend's), runs a GRU over them and takes an Adam step on the
cross-entropy of every step's ground truth (padding masked out), all in one compiled function:
no data crosses from the host. As examples/train_supervised.py (PyTorch), the network is scored
on fresh trials by its choice at each trial's last (decision) step, per coherence level.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import taskspec.jax as tj

TASK = "PerceptualDecisionMaking"
HIDDEN, BATCH = 64, 64


def init(key: jax.Array, n_in: int, n_out: int) -> dict[str, jax.Array]:
    """GRU weights (update, reset and candidate gates stacked) and a linear read-out."""
    k1, k2, k3 = jax.random.split(key, 3)
    scale = 1 / np.sqrt(HIDDEN)
    return {
        "w_in": jax.random.uniform(k1, (n_in, 3 * HIDDEN), minval=-scale, maxval=scale),
        "w_h": jax.random.uniform(k2, (HIDDEN, 3 * HIDDEN), minval=-scale, maxval=scale),
        "b": jnp.zeros(3 * HIDDEN),
        "w_out": jax.random.uniform(k3, (HIDDEN, n_out), minval=-scale, maxval=scale),
        "b_out": jnp.zeros(n_out),
    }


def forward(net: dict[str, jax.Array], ob: jax.Array) -> jax.Array:
    """(batch, time, n_in) -> logits (batch, time, n_out)."""

    def cell(h: jax.Array, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        gates_x = x @ net["w_in"] + net["b"]
        gates_h = h @ net["w_h"]
        z = jax.nn.sigmoid(gates_x[:, :HIDDEN] + gates_h[:, :HIDDEN])
        r = jax.nn.sigmoid(gates_x[:, HIDDEN : 2 * HIDDEN] + gates_h[:, HIDDEN : 2 * HIDDEN])
        n = jnp.tanh(gates_x[:, 2 * HIDDEN :] + r * gates_h[:, 2 * HIDDEN :])
        h = (1 - z) * n + z * h
        return h, h @ net["w_out"] + net["b_out"]

    h0 = jnp.zeros((ob.shape[0], HIDDEN))
    return jax.lax.scan(cell, h0, ob.swapaxes(0, 1))[1].swapaxes(0, 1)


def train(steps: int, seed: int = 0, log_every: int = 100) -> tuple[dict[str, jax.Array], tj.JaxEnv, list[float]]:
    env = tj.make(TASK)
    optimizer = optax.adam(3e-3)
    net = init(jax.random.key(seed), env.n_obs, env.n_act)
    opt_state = optimizer.init(net)

    def loss_of(net: dict[str, jax.Array], key: jax.Array) -> jax.Array:
        batch = env.generate(key, BATCH)  # trials drawn on device, inside the compiled step
        logits = forward(net, batch.ob)
        mask = jnp.arange(env.max_steps)[None, :] < batch.length[:, None]
        losses = optax.softmax_cross_entropy_with_integer_labels(logits, batch.gt)
        return jnp.sum(losses * mask) / jnp.sum(mask)

    @jax.jit
    def step(net: Any, opt_state: Any, key: jax.Array) -> tuple[Any, Any, jax.Array]:
        loss, grads = jax.value_and_grad(loss_of)(net, key)
        updates, opt_state = optimizer.update(grads, opt_state)
        return optax.apply_updates(net, updates), opt_state, loss

    losses: list[float] = []
    key = jax.random.key(seed + 1)
    for i in range(steps):
        net, opt_state, loss = step(net, opt_state, jax.random.fold_in(key, i))
        losses.append(float(loss))
        if log_every and (i + 1) % log_every == 0:
            print(f"step {i + 1:5d}  loss {np.mean(losses[-log_every:]):.4f}")
    return net, env, losses


def accuracy_by_coherence(net: dict[str, jax.Array], env: tj.JaxEnv, n_trials: int = 4000, seed: int = 1) -> dict:
    batch = jax.jit(env.generate, static_argnums=1)(jax.random.key(1000 + seed), n_trials)
    choice = np.asarray(jnp.argmax(forward(net, batch.ob), -1))
    rows, last = np.arange(n_trials), np.asarray(batch.length) - 1
    correct = choice[rows, last] == np.asarray(batch.gt)[rows, last]
    coh = np.asarray(batch.variables["coh"])
    # float32 coherences (25.600000381...) shown as written in the spec
    return {round(float(c), 3): float(correct[coh == c].mean()) for c in np.unique(coh)} | {-1.0: float(correct.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="training batches of 64 trials")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    net, env, _ = train(args.steps, args.seed)
    accuracy = accuracy_by_coherence(net, env)
    print(f"trained in {time.perf_counter() - start:.0f} s on {jax.devices()[0].device_kind}")
    for coh, acc in accuracy.items():
        label = "all coherences" if coh < 0 else f"coherence {coh:5.1f}%"
        print(f"{label:>20}: decision accuracy {acc:.1%}")


if __name__ == "__main__":
    main()
