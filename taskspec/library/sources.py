"""Reading a spec's texts: its own and those of every parent and modifier it extends.

The texts are what a class is compiled from (`Sources`): they key the class cache and travel with
pickles, so a class is rebuilt anywhere without reading a file again.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

from ..compiler.extends import resolve_extends
from ..compiler.loader import Document, read_file
from ..compiler.loader import load_text as parse_yaml
from ..errors import Problem, SpecError
from .bundled import TASKS_DIR, display_name, is_path, resolve, resolve_modifier

# The texts a class is compiled from: the spec's (display file, text) first, then each parent it
# extends, in order. It keys the class cache and travels with pickles, so nothing is re-read from disk.
Sources = tuple[tuple[str, str], ...]


class Reader:
    """Reads the parents a spec extends and records their texts.

    Reading from disk (`root` set: the folder of the spec being loaded) allows bundled names and
    .yaml files inside that folder tree only. Given `recorded` texts (from a pickle or the cache
    key), it replays them and never touches the disk.
    """

    def __init__(self, root: Path | None, recorded: dict[str, str] | None = None):
        self.root, self.recorded = root, recorded
        self.read: list[tuple[str, str]] = []
        self.paths: list[Path] = []  # the files read, for the command line's "never write over a spec" check

    def __call__(self, reference: str, child_dir: Path, modifier: bool = False) -> Document:
        if not is_path(reference):
            bundled = resolve_modifier(reference) if modifier else resolve(reference)
            file, path = display_name(str(bundled)), bundled
        else:
            path = self._checked_path(reference, child_dir)
            file = str(path)
        if self.recorded is None:
            text = read_file(path)
        elif file in self.recorded:
            text = self.recorded[file]
        else:
            raise SpecError([Problem("", 0, 0, "", "the parent is missing from the recorded spec texts")])
        self.read.append((file, text))
        self.paths.append(path)
        return parse(text, file)

    def _checked_path(self, reference: str, child_dir: Path) -> Path:
        """A parent file relative to its child's folder, refused outside the loaded spec's folder tree."""
        if not reference.endswith((".yaml", ".yml")):
            raise SpecError([Problem("", 0, 0, "", "a parent file must end in .yaml or .yml")])
        relative = Path(reference)
        if relative.is_absolute() or relative.drive:
            raise SpecError([Problem("", 0, 0, "", "a parent file must be named relative to this spec's folder")])
        path = child_dir / relative
        if self.recorded is not None:
            return path  # checked when the texts were recorded
        if self.root is None:
            raise SpecError(
                [Problem("", 0, 0, "", "a bundled spec or a spec given as text can extend bundled tasks only")]
            )
        if not path.resolve().is_relative_to(self.root):
            raise SpecError(
                [
                    Problem(
                        "",
                        0,
                        0,
                        "",
                        "a parent file must lie inside the folder of the spec being "
                        "loaded (no '..' out of it, no links leading out)",
                    )
                ]
            )
        return path


@lru_cache(maxsize=512)
def _parsed(text: str, file: str) -> Document:
    return parse_yaml(text, file)


def parse(text: str, file: str) -> Document:
    """A spec text parsed once per (text, file): parents and modifiers shared by many tasks (the yang19 bases
    under the Mod-Cog family) and a variant made in a loop are not parsed again. Callers get their own copy."""
    return copy.deepcopy(_parsed(text, file))


def own_source(name_or_path: str | Path) -> tuple[Sources, Path | None]:
    """A spec's own (display file, text), and the folder its parents must lie in (None: bundled)."""
    path = resolve(name_or_path)
    file = display_name(str(path))
    root = None if file.startswith("tasks/") and path.resolve().parent == TASKS_DIR.resolve() else path.resolve().parent
    return ((file, read_file(path)),), root


def sources_of(name_or_path: str | Path) -> Sources:
    """Everything a spec's class depends on: its text and the texts of the parents it extends."""
    own, root = own_source(name_or_path)
    return with_parents(own, root)


def with_parents(own: Sources, root: Path | None) -> Sources:
    if "extends" not in own[0][1] and "modifiers" not in own[0][1]:  # no parents: skip parsing (`make` in a loop)
        return own
    # Only the parents' texts are needed here: the spec is checked (and cached) from all the texts.
    (file, text), reader = own[0], Reader(root)
    resolve_extends(parse(text, file), reader)
    return ((file, text), *reader.read)


def spec_files(name_or_path: str | Path) -> list[Path]:
    """The files a spec is read from: its own and every parent or modifier file it names, recursively."""
    own, root = own_source(name_or_path)
    (file, text), reader = own[0], Reader(root)
    if "extends" in text or "modifiers" in text:
        resolve_extends(parse(text, file), reader)
    return [resolve(name_or_path), *reader.paths]
