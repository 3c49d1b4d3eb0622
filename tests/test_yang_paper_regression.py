"""The `regression:` section: value placements on the action columns, carried in `Batch.regression`."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import taskspec
from taskspec.data.multitask import TaskMix

SPEC = """\
task: RegressionDemo
dt: 100
params: {n: 3}
observation: {fixation: 1, stimulus: n}
action: {fixation: 1, choice: n}
trial:
  ground_truth: choice(n)
  go: bernoulli(0.5)
periods: {fixation: 200, decision: "choice([100, 300])"}
inputs:
  - {during: fixation, where: fixation, value: 1}
target:
  - {during: decision, value: "choice[ground_truth] if go else fixation"}
regression:
  - {name: baseline, where: [fixation, choice], value: 0.05}
  - {name: hold, during: fixation, where: fixation, value: 0.75}
  - {name: answer, during: decision, where: choice, value: "onehot(ground_truth, n) * 0.8 * go"}
"""


def write(tmp_path, text: str, name: str = "task.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_placements_add_up_on_their_columns_and_periods(tmp_path):
    batch = taskspec.generate_trials(write(tmp_path, SPEC), 200, seed=0)
    reg = batch.regression
    assert reg is not None and reg.shape == (*batch.ob.shape[:2], 4) and reg.dtype == np.float32
    for i in range(200):
        fix_end, length = int(batch.end["fixation"][i]), int(batch.length[i])
        g, go = int(batch.variables["ground_truth"][i]), bool(batch.variables["go"][i])
        expected = np.full((length, 4), 0.05, np.float32)
        expected[:fix_end, 0] = 0.8
        expected[fix_end:, 1 + g] += 0.8 * go
        np.testing.assert_allclose(reg[i, :length], expected, atol=1e-6)
        assert not reg[i, length:].any()  # padding stays 0
    # the class labels are still there, beside the regression target
    assert set(np.unique(batch.gt)) <= {0, 1, 2, 3}


def test_kept_through_chunks_and_task_mixes(tmp_path):
    path = write(tmp_path, SPEC)
    whole = taskspec.generate_trials(path, 50, seed=3)
    chunked = taskspec.generate_trials(path, 50, seed=3, chunk_size=16)
    assert chunked.regression is not None and chunked.regression.shape[:2] == chunked.ob.shape[:2]
    np.testing.assert_array_equal(chunked.regression[~chunked.mask], 0)
    assert whole.regression is not None
    mix = taskspec.generate_trials(TaskMix([path, path]), 40, seed=1)
    assert mix.regression is not None and mix.regression.shape == (40, mix.ob.shape[1], 4)
    np.testing.assert_allclose(mix.regression[:, 0, 0], 0.8)


def test_tasks_without_it_have_none(tmp_path):
    text = SPEC.split("regression:")[0]
    assert taskspec.generate_trials(write(tmp_path, text), 5, seed=0).regression is None


def test_a_variant_patches_an_entry_by_name(tmp_path):
    write(tmp_path, SPEC, "base.yaml")
    variant = write(
        tmp_path,
        """\
        task: RegressionVariant
        extends: base.yaml
        regression:
          - {name: hold, value: 0.5}
        """,
        "variant.yaml",
    )
    batch = taskspec.generate_trials(variant, 20, seed=0)
    assert batch.regression is not None
    np.testing.assert_allclose(batch.regression[:, 0, 0], 0.55)
    np.testing.assert_allclose(batch.regression[:, 0, 1:], 0.05)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{where: stimulus, value: 1}", r"regression\[0\]\.where: unknown action group 'stimulus'"),
        (
            "{where: [fixation, choise], value: 1}",
            r"regression\[0\]\.where\[1\]: unknown action group 'choise'.*choice",
        ),
        ("{during: decisoin, where: choice, value: 1}", r"regression\[0\]\.during: .*decisoin"),
        ("{where: choice, value: nope}", r"regression\[0\]\.value: .*nope"),
        ("{where: choice, value: performance}", r"regression\[0\]\.value: a regression target cannot depend"),
    ],
)
def test_mistakes_are_located_sentences(tmp_path, entry, message):
    text = SPEC.split("regression:")[0] + f"regression:\n  - {entry}\n"
    with pytest.raises(taskspec.SpecError, match=message) as info:
        taskspec.load(write(tmp_path, text))
    assert "task.yaml:" in str(info.value)


def test_a_value_of_the_wrong_width_is_refused(tmp_path):
    text = SPEC.split("regression:")[0] + "regression:\n  - {where: choice, value: '[1, 2]'}\n"
    with pytest.raises(Exception, match="regression value has 2 entries but 'choice' have 3 column"):
        taskspec.generate_trials(write(tmp_path, text), 4, seed=0)


def test_the_jax_backend_refuses_it_with_a_located_sentence(tmp_path):
    tj = pytest.importorskip("taskspec.jax")
    jax = pytest.importorskip("jax")
    with pytest.raises(
        taskspec.SpecError, match=r"task.yaml:\d+:\d+: regression\[0\]\.value: the JAX backend does not"
    ):
        tj.generate_trials(write(tmp_path, SPEC), jax.random.PRNGKey(0), 4)
