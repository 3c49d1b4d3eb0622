"""Yang et al. (2019)'s loss and get_perf (`taskspec.data.losses`), checked on hand-made arrays."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from taskspec.data.losses import last_steps, popvec, target_angle, yang_loss, yang_performance


def hand_made():
    """Two trials of 3 steps, 2 output columns; one padded step. Errors 1 everywhere but weighted."""
    output = np.zeros((2, 3, 2), np.float32)
    target = np.ones((2, 3, 2), np.float32)
    weight = np.ones((2, 3, 2), np.float32)
    weight[0, 2] = 5.0  # a response step
    weight[:, :, 0] *= 2  # the fixation column counts double
    weight[1, 2] = 0.0  # padding
    mask = np.array([[True, True, True], [True, True, False]])
    return output, target, weight, mask


def test_the_mask_multiplies_the_error_before_squaring():
    output, target, weight, mask = hand_made()
    # cells: trial 0 steps 0-1: (2^2 + 1^2) * 2; step 2: (10^2 + 5^2); trial 1 steps 0-1: (2^2 + 1^2) * 2
    expected = ((4 + 1) * 2 + (100 + 25) + (4 + 1) * 2) / (5 * 2)
    assert yang_loss(output, target, weight, mask) == pytest.approx(expected)
    linear = float((weight * (target - output) ** 2).sum() / (5 * 2))
    assert yang_loss(output, target, weight, mask) > 3 * linear  # the linear weighting is another loss


def test_without_padding_it_is_yangs_mean_over_every_cell():
    rng = np.random.default_rng(0)
    output, target = rng.random((4, 6, 3)), rng.random((4, 6, 3))
    weight = rng.choice([0.0, 1.0, 5.0], (4, 6, 3))
    assert yang_loss(output, target, weight) == pytest.approx(np.mean(np.square((target - output) * weight)))
    per_step = weight[..., 0]  # a (batch, steps) weight applies to every column
    assert yang_loss(output, target, per_step) == pytest.approx(
        np.mean(np.square((target - output) * per_step[..., None]))
    )


def test_torch_and_jax_give_the_same_value_and_a_gradient():
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")
    import jax

    output, target, weight, mask = hand_made()
    expected = yang_loss(output, target, weight, mask)
    out_t = torch.tensor(output, requires_grad=True)
    value = yang_loss(out_t, torch.tensor(target), torch.tensor(weight), torch.tensor(mask))
    assert isinstance(value, torch.Tensor) and float(value.detach()) == pytest.approx(expected)
    value.backward()
    # d/d output of ((t - o) w)^2 / cells = -2 (t - o) w^2 / cells
    np.testing.assert_allclose(out_t.grad.numpy(), -2 * weight**2 / 10, rtol=1e-6)
    jax_value = yang_loss(jnp.asarray(output), jnp.asarray(target), jnp.asarray(weight), jnp.asarray(mask))
    assert float(jax_value) == pytest.approx(expected)
    grad = jax.grad(lambda o: yang_loss(o, jnp.asarray(target), jnp.asarray(weight), jnp.asarray(mask)))(
        jnp.asarray(output)
    )
    np.testing.assert_allclose(np.asarray(grad), -2 * weight**2 / 10, rtol=1e-6)


def test_the_module_imports_neither_torch_nor_jax():
    code = "import sys, taskspec.data.losses; print('torch' in sys.modules, 'jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def bump(angle: float, n: int = 32) -> np.ndarray:
    pref = np.arange(n) * 2 * np.pi / n
    d = np.abs(pref - angle) % (2 * np.pi)
    d = np.minimum(d, 2 * np.pi - d)
    return 0.8 * np.exp(-((d / (np.pi / 8)) ** 2) / 2)


def test_popvec_and_target_angle_recover_a_bump_centre():
    for angle in (0.0, 0.3, np.pi, 5.9):
        got = popvec(bump(angle))
        assert 0 <= got < 2 * np.pi
        assert min(abs(got - angle), 2 * np.pi - abs(got - angle)) < 1e-9  # 0 may come back as 2 pi - 1e-16
    go = np.concatenate([[0.05], 0.05 + bump(2.0)])
    nogo = np.full(33, 0.05)
    np.testing.assert_allclose(target_angle(np.stack([go, nogo])), [2.0, -1.0], atol=1e-9)


def test_get_perf_on_hand_made_outputs():
    """Yang's rule: fixation trials need the fixation output > 0.5; response trials need it <= 0.5
    and the ring's population vector within 0.2 pi of the target."""

    def out(fix: float, angle: float | None) -> np.ndarray:
        ring = np.full(32, 0.05) if angle is None else 0.05 + bump(angle)
        return np.concatenate([[fix], ring])

    rows = [
        (out(0.8, None), -1.0, 1.0),  # fixates when it should
        (out(0.3, 1.0), -1.0, 0.0),  # breaks fixation on a no-go trial
        (out(0.1, 1.0 + 0.19 * np.pi), 1.0, 1.0),  # within 0.2 pi
        (out(0.1, 1.0 + 0.21 * np.pi), 1.0, 0.0),  # just outside
        (out(0.6, 1.0), 1.0, 0.0),  # right angle, but still fixating
        (out(0.1, 6.2), 0.1, 1.0),  # across 2 pi: 0.18 rad apart
    ]
    outputs = np.stack([r[0] for r in rows])
    np.testing.assert_array_equal(yang_performance(outputs, np.array([r[1] for r in rows])), [r[2] for r in rows])


def test_last_steps_reads_each_trials_own_last_step():
    array = np.arange(2 * 4 * 1).reshape(2, 4, 1)
    np.testing.assert_array_equal(last_steps(array, np.array([2, 4])), [[1], [7]])
