"""The docs stay true: the generated reference is current and every spec shown in the docs loads."""

import re
from pathlib import Path

import pytest
import yaml

import taskspec
from taskspec.compiler.reference import reference_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_spec_reference_is_current():
    committed = (DOCS / "spec-reference.md").read_text()
    regenerate = "python -m taskspec.compiler.reference > docs/spec-reference.md"
    assert committed == reference_markdown(), f"regenerate: {regenerate}"


def _doc_specs():
    for page in sorted(DOCS.glob("*.md")):
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", page.read_text(), flags=re.S)):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and "task" in data and ("dt" in data or "extends" in data):
                yield pytest.param(block, id=f"{page.stem}-{i}")


@pytest.mark.parametrize("block", list(_doc_specs()))
def test_specs_in_the_docs_load_and_run(block, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(block)
    env = taskspec.make(spec)
    env.reset(seed=0)
    for _ in range(50):
        env.step(env.gt_now)
