"""The fast paths that fill trials and reuse memory change no bit of what is built."""

import numpy as np
import pytest

from taskspec.runtime.trials import Scratch, _add, _gather


def _plain(target, value):
    target += value


@pytest.mark.parametrize(
    "value_shape",
    [(), (1,), (2,), (5, 1, 1), (5, 1, 2), (5, 7, 2)],
)
def test_pairs_of_columns_add_bit_for_bit(value_shape):
    """Two float32 columns added as complex64 pairs give the bits of float32 sums (slice and mask paths)."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((5, 9, 3)).astype(np.float32)
    value = (rng.standard_normal(value_shape) * 1e3).astype(np.float32)
    fast, slow = base.copy(), base.copy()
    _add(fast[:, 1:8, 1:3], value)
    _plain(slow[:, 1:8, 1:3], value)
    assert fast.tobytes() == slow.tobytes()
    where = rng.random((5, 7)) < 0.5
    gathered = _gather(value, (5, 7, 2), where)
    assert gathered.tobytes() == np.broadcast_to(value, (5, 7, 2))[where].tobytes()


def test_other_widths_take_the_plain_path():
    target = np.zeros((4, 6, 3), np.float32)
    _add(target, np.float32(1.5))
    _add(target[:, :, 0:1], np.arange(4, dtype=np.float32)[:, None, None])
    assert target[:, :, 1:].min() == 1.5 and (target[:, 0, 0] == 1.5 + np.arange(4)).all()


def test_scratch_reuses_memory_and_grows():
    scratch = Scratch()
    first = scratch.array("ob", (4, 5), np.float32)
    again = scratch.array("ob", (2, 3), np.int16)
    assert np.shares_memory(first, again)
    bigger = scratch.array("ob", (100, 100), np.float64)
    assert bigger.shape == (100, 100) and not np.shares_memory(first, bigger)
    other = scratch.array("gt", (4, 5), np.float32)
    assert not np.shares_memory(other, bigger)


def test_dataset_stream_grows_keeping_its_rows():
    from taskspec.data.stream import append_rows as _append

    memory = Scratch()
    rows = np.arange(12, dtype=np.float32).reshape(6, 2)
    stream = _append(memory, "ob", None, rows, 0, hint=8)
    stream = _append(memory, "ob", stream, rows + 100, 6, hint=8)  # past the hint: moves to larger memory
    assert len(stream) >= 12
    np.testing.assert_array_equal(stream[:12], np.concatenate([rows, rows + 100]))
    assert np.shares_memory(memory.array("ob", (12, 2), np.float32), stream)  # kept for the next cache
