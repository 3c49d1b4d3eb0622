"""Shared fixtures: the bundled task names and the repository root."""

from pathlib import Path

import pytest

import taskspec

ROOT = Path(__file__).resolve().parent.parent
TASKS = taskspec.list_tasks()


@pytest.fixture(params=TASKS)
def task(request: pytest.FixtureRequest) -> str:
    return request.param
