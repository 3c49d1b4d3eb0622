"""Hostile YAML is refused fast, with a located error and bounded memory (docs/limits.md)."""

import subprocess
import sys
import time

import pytest

import taskspec
from taskspec import loader


def _load_text(text, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(taskspec.SpecError) as err:
        taskspec.load(path)
    assert time.perf_counter() - start < 5
    return str(err.value)


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    message = _load_text("\n".join(lines) + "\n", tmp_path)
    assert f"more than {loader.MAX_NODES} YAML nodes" in message and "spec.yaml:1:1:" in message


def test_alias_bomb_memory_stays_bounded(tmp_path):
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    # VmHWM is this process's own peak; ru_maxrss on Linux carries over the parent's peak across fork+exec.
    code = (f"import re, taskspec\ntry:\n    taskspec.load({str(path)!r})\nexcept taskspec.SpecError:\n"
            "    print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True).stdout
    assert 0 < int(out) < 500_000  # KiB: the refusal itself, measured in the child that loaded the bomb


def test_deep_nesting_is_refused(tmp_path):
    message = _load_text("task: " + "[" * 60 + "]" * 60 + "\n", tmp_path)
    assert f"nesting deeper than {loader.MAX_DEPTH} levels" in message


def test_huge_document_is_refused(tmp_path):
    message = _load_text("task: x\n" + "# padding\n" * 120_000, tmp_path)
    assert f"larger than {loader.MAX_FILE_BYTES} bytes" in message


def test_non_regular_file_is_refused():
    with pytest.raises(taskspec.SpecError, match="not a regular file|no such spec file"):
        taskspec.load_spec("/dev/zero")


@pytest.mark.parametrize("text", ["hello", "- a", "42", "~", "[task, dt]", "true"])
def test_document_that_is_not_a_mapping_is_one_located_error(text, tmp_path):
    message = _load_text(text + "\n", tmp_path)
    assert message.strip().endswith("a task spec must be a mapping of keys such as 'task', 'dt', 'periods'")
    assert "spec.yaml:1:1:" in message
