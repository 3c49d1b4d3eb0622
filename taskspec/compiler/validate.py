"""Stage 2b: run the pydantic models over a located tree and translate their errors.

pydantic reports locations as tuples of keys; we map each back to the YAML line and
column and rewrite the message in plain words, with "did you mean" for unknown keys.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, SpecError, did_you_mean
from . import models
from .loader import Document
from .models import TaskSpec


def validate(doc: Document) -> TaskSpec:
    """The document as a `TaskSpec`; raises `SpecError` listing every structural problem."""
    if not isinstance(doc.data, dict):
        raise SpecError([doc.problem((), "a task spec must be a mapping of keys such as 'task', 'dt', 'periods'")])
    try:
        return TaskSpec.model_validate(doc.data)
    except ValidationError as exc:
        by_path: dict[tuple[str | int, ...], list[Any]] = {}
        for err in _intended(doc.data, exc.errors()):
            by_path.setdefault(_real_path(doc.data, err["loc"]), []).append(err)
        problems = []
        for path, errors in by_path.items():
            type_errors = [e for e in errors if e["type"] in _NOUNS]
            if len(type_errors) > 1:  # one failure per member of a union: say it once
                kinds = dict.fromkeys(_NOUNS[e["type"]] for e in type_errors)
                if "a number" in kinds:
                    kinds.pop("a whole number", None)
                nouns = " or ".join(kinds)
                problems.append(doc.problem(path, f"expected {nouns}, got {_describe(_value_at(doc.data, path))}"))
                errors = [e for e in errors if e not in type_errors]
            problems.extend(_translate(doc, err) for err in errors)
        error = SpecError(problems)
        error.paths = list(by_path)  # type: ignore[attr-defined]  # where structure failed, for pruning
        raise error from None


_SCALAR_LABELS = ("str", "int", "float", "bool", "list", "tuple", "literal")


def _member_label(part: Any) -> bool:
    """Whether a pydantic location part names a union member rather than a key."""
    return isinstance(part, str) and (
        part[:1].isupper() or part.startswith(("union[", "function-")) or part in _SCALAR_LABELS
    )


def _branch(data: Any, loc: tuple[Any, ...]) -> tuple[int, Any] | None:
    """(position in `loc`, value there) of the first union member an error went through, if any."""
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif _member_label(part):
            return i, node
        else:
            return None
    return None


def _intended(data: Any, errors: list[Any]) -> list[Any]:
    """When a mapping fails every member of a union (a period written as a mapping, say), keep only
    the errors of the model it was meant as: the one whose keys it shares most."""
    kept: list[Any] = []
    groups: dict[tuple[Any, ...], list[tuple[Any, Any, Any]]] = {}
    for err in errors:
        branch = _branch(data, err["loc"])
        if branch is None or not isinstance(branch[1], dict):
            kept.append(err)
            continue
        i, value = branch
        groups.setdefault(tuple(err["loc"][:i]), []).append((err["loc"][i], value, err))
    for items in groups.values():
        value = items[0][1]
        labels = [
            label
            for label in dict.fromkeys(label for label, _, _ in items)
            if isinstance(getattr(models, label, None), type)
        ]
        if not labels:
            kept += [err for _, _, err in items]
            continue
        best = max(labels, key=lambda label: len(set(value) & set(getattr(models, label).model_fields)))
        kept += [err for label, _, err in items if label == best]
    return kept


_NOUNS = {
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "int_type": "a whole number",
    "float_type": "a number",
    "string_type": "text (an expression)",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "finite_number": "a finite number",
}


def _translate(doc: Document, err: Any) -> Problem:
    path = _real_path(doc.data, err["loc"])
    kind, message = err["type"], err["msg"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        labels = [part for part in err["loc"][:-1] if isinstance(getattr(models, str(part), None), type)]
        parent_model = getattr(models, labels[-1]) if labels else _model_at(TaskSpec, path[:-1])
        known = list(parent_model.model_fields) if parent_model else []
        message = f"unknown key '{key}'{did_you_mean(key, known)}"
        if known:
            message += f"; allowed keys: {', '.join(known)}"
        if any(ch in key for ch in "()[]") or key[:1].isdigit():
            message += " (a comma inside {...} splits the mapping: put expressions with commas in quotes)"
    elif kind == "missing":
        message = f"missing required key '{path[-1]}'" if path else "missing required key"
        path = path[:-1] if path else path
    elif kind.endswith("_type") or kind in ("literal_error", "union_tag_invalid", "finite_number"):
        value = _value_at(doc.data, path)
        wanted = _NOUNS.get(kind) or _in_spec_terms(message).removeprefix("must be ")
        message = f"expected {wanted}, got {_describe(value)}"
    elif re.match(r"\w+ should", message):  # a bound: `dt` must be greater than 0, a list too long, ...
        value = _value_at(doc.data, path)
        message = _in_spec_terms(message) + ("" if isinstance(value, (list, dict)) else f", got {_describe(value)}")
    return doc.problem(path, message)


def _in_spec_terms(message: str) -> str:
    """pydantic's sentence in the spec's words: 'Input should be greater than 0' -> 'must be greater than 0'."""
    message = re.sub(r"^\w+ should", "must", message).replace(" after validation", "")
    return message.replace("a valid ", "").replace(" items", " entries")


def _real_path(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union-member labels (e.g. 'str', 'PeriodTiming') from a location."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not _member_label(part):
            path.append(part)  # a missing key
            node = None
    return tuple(path)


def _model_at(model: type[BaseModel], path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that describes the mapping at `path`, to suggest its keys."""
    current: Any = model
    for part in path:
        if isinstance(part, int) or current is None:
            if current is not None and hasattr(current, "__args__"):
                current = current.__args__[0]
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = _first_model(current.model_fields[part].annotation)
        else:
            current = _first_model(getattr(current, "__args__", (None,))[-1]) if current else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _first_model(annotation: Any) -> Any:
    """The BaseModel inside an annotation such as `list[Input]` or `dict[str, X | Model]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _describe(value: Any) -> str:
    """A written value as the spec's author sees it."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the {'whole ' if isinstance(value, int) else ''}number {value!r}"
    if isinstance(value, str) and value.lower() in _YAML11_WORDS:
        return f"the text {value!r} (only true and false are booleans here, as in YAML 1.2)"
    return f"the text {value!r}"


_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n"}  # booleans in YAML 1.1 only
