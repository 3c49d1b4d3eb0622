"""The bundled library: where the task specs and modifiers shipped with taskspec live, and how a
name finds one (a name only ever resolves to the bundled library; a file is named by a path)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..errors import Problem, SpecError, did_you_mean

_PACKAGE = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    """Bundled data: inside the package in a wheel, beside it in a source checkout."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


TASKS_DIR = _data_dir("tasks")
SCHEMA_PATH = _data_dir("schemas") / "taskspec.schema.json"
MODIFIERS_DIR = TASKS_DIR / "modifiers"


def task_files() -> dict[str, Path]:
    """Bundled task name -> spec file."""
    return dict(_bundled())


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[tuple[str, Path], ...]:
    # The installed task folder does not change while a program runs; listing it once keeps
    # name lookups (every make, generate_trials, Dataset) off the file system.
    return tuple((p.name[: -len(".yaml")], p) for p in sorted(TASKS_DIR.glob("*.yaml")))


def is_path(name_or_path: str | Path) -> bool:
    """Whether an argument names a file: a Path, or text with a folder separator or a YAML suffix.

    Anything else is a bundled task name, and only ever resolves to the bundled library, so a
    file in the working directory can never stand in for a bundled task.
    """
    if isinstance(name_or_path, Path):
        return True
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(sep in name_or_path for sep in separators) or name_or_path.endswith((".yaml", ".yml"))


def resolve(name_or_path: str | Path) -> Path:
    """A bundled task name or a path to a spec file; a SpecError if neither."""
    text = str(name_or_path)
    if is_path(name_or_path):
        path = Path(text)
        if not path.is_file():
            raise SpecError([Problem(text, 0, 0, "", "no such spec file")])
        return path
    bundled = task_files()
    if text.endswith("-v0") and text[:-3] in bundled:
        text = text[:-3]
    if text not in bundled:
        shown = ascii(text)[1:-1]
        hint = did_you_mean(text, bundled) or f"; a spec file is named by a path, e.g. ./{shown}.yaml"
        raise SpecError([Problem(shown, 0, 0, "", f"no bundled task named '{shown}'{hint}")])
    return bundled[text]


def modifier_files() -> dict[str, Path]:
    """Bundled modifier name -> spec fragment (tasks/modifiers/NAME.yaml)."""
    return {p.name[: -len(".yaml")]: p for p in sorted(MODIFIERS_DIR.glob("*.yaml"))}


def resolve_modifier(name: str) -> Path:
    """A bundled modifier by name; a SpecError if there is none."""
    bundled = modifier_files()
    if name not in bundled:
        shown = ascii(name)[1:-1]
        hint = did_you_mean(name, bundled) or "; a local modifier is named by a path, e.g. ./mine.yaml"
        raise SpecError([Problem(shown, 0, 0, "", f"no bundled modifier named '{shown}'{hint}")])
    return bundled[name]


def display_name(file: str) -> str:
    """Bundled specs are named by their path inside the project, so output is machine-independent."""
    path = Path(file).resolve()
    if path.parent == MODIFIERS_DIR.resolve():
        return f"tasks/modifiers/{path.name}"
    return f"tasks/{path.name}" if path.parent == TASKS_DIR.resolve() else file
