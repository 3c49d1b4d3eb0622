"""The one check every name in a spec passes before it can reach generated code.

Two kinds of name exist. *Identifiers* (parameters, variables, rewards, action groups
used in expressions) become Python names in the generated class, so they must be plain
ASCII identifiers that shadow nothing the generated module or the expression language
uses. *Labels* (the task, periods, blocks of periods, space groups, tags) only ever
travel as data (string literals rendered with `repr`), but they are still held to a
small alphabet so that they read the same in YAML, in messages and in every tool.
All patterns are matched with `fullmatch` on ASCII text: `re.match(... $)` would accept a
trailing newline, and Unicode identifiers can normalise into one another.
"""

from __future__ import annotations

import builtins
import keyword
import re

MAX_NAME_CHARS = 64

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*", re.ASCII)
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\- ]*", re.ASCII)

# Names the generated module binds itself: a spec name equal to one of them would shadow it.
GENERATED_NAMES = frozenset({"TrialEnv", "fn", "np", "self", "None", "True", "False"})
PYTHON_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist)  # soft keywords (match) are fine

_RULES = {
    "identifier": (_IDENTIFIER, "letters, digits and '_', starting with a letter"),
    "label": (_LABEL, "letters, digits, '_', '.' and '-', starting with a letter"),
    "tag": (_TAG, "letters, digits, spaces, '_', '.' and '-', starting with a letter or digit"),
}


def name_problem(name: object, kind: str, reserved: frozenset[str] | set[str] = frozenset()) -> str | None:
    """Why `name` is not a valid name of `kind` ("identifier", "label" or "tag"); None when it is."""
    pattern, alphabet = _RULES[kind]
    if not isinstance(name, str) or not name:
        return "a name must be non-empty text"
    shown = ascii(name)[1:-1]  # control characters and quotes stay visible and on one line
    if len(name) > MAX_NAME_CHARS:
        return f"'{shown[:MAX_NAME_CHARS]}...' is longer than {MAX_NAME_CHARS} characters"
    if not pattern.fullmatch(name):
        return f"'{shown}' is not a valid name: use {alphabet}"
    if kind == "identifier" and (name in PYTHON_NAMES or name in GENERATED_NAMES):
        return f"'{name}' is a Python or generated-code name; choose another name"
    if name in reserved:
        return f"'{name}' is reserved by the expression language; choose another name"
    return None


def class_name(task: str) -> str:
    """The generated class's name: the task's label in CamelCase, made safe whatever the label.

    `task` has passed the label check; a result that would clash with Python or the generated
    module (a task named `none` gives `None`) gets a `Task` prefix.
    """
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", task) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts)
    if not _IDENTIFIER.fullmatch(name) or name in PYTHON_NAMES or name in GENERATED_NAMES:
        name = "Task" + name
    return name
