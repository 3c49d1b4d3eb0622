"""Bad specs and the exact errors they produce, file:line:col and message.

Each `tests/bad_specs/NAME.yaml` has its expected output in `NAME.expected`.
Regenerate after a deliberate change of messages with:

    python tests/test_bad_specs.py --regenerate
"""

import re
import sys
from pathlib import Path

import pytest

import taskspec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = sorted((HERE / "bad_specs").glob("*.yaml"))


def errors_of(spec: Path) -> str:
    try:
        taskspec.load(spec.relative_to(ROOT))
    except taskspec.SpecError as exc:
        return str(exc) + "\n"
    return "(no error)\n"


@pytest.mark.parametrize("spec", CASES, ids=[c.stem for c in CASES])
def test_bad_spec_errors_are_pinned(spec, monkeypatch):
    monkeypatch.chdir(ROOT)
    expected = spec.with_suffix(".expected").read_text()
    got = errors_of(spec)
    assert got == expected, f"errors changed; if intended run: python tests/test_bad_specs.py --regenerate\n{got}"


def test_every_problem_is_located(monkeypatch):
    monkeypatch.chdir(ROOT)
    for spec in CASES:
        for line in errors_of(spec).splitlines():
            file, line_no, col, rest = line.split(":", 3)
            assert file == str(spec.relative_to(ROOT)) and int(line_no) >= 1 and int(col) >= 1, line


# Words of Python, pydantic or numpy that a spec's author should never have to read.
INTERNAL_WORDS = re.compile(
    r"pydantic|numpy|ndarray|\bnp\.|\bstr\b|\bint\b|int64|float64|dtype|Traceback|NoneType|\bdict\b|\bbool\b"
    r"|Input should|validation error|truth value|out of bounds|object at 0x|__\w+__",
    re.IGNORECASE,
)


def test_messages_read_in_the_spec_terms():
    for expected in sorted((HERE / "bad_specs").glob("*.expected")):
        for line in expected.read_text().splitlines():
            message = line.split(": ", 2)[-1]  # after "file:line:col: path: "
            assert not INTERNAL_WORDS.search(message), line


if __name__ == "__main__" and "--regenerate" in sys.argv:
    import os

    os.chdir(ROOT)
    for case in CASES:
        case.with_suffix(".expected").write_text(errors_of(case))
        print("wrote", case.with_suffix(".expected").relative_to(ROOT))
