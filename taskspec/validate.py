"""Stage 2b: run the pydantic models over a located tree and translate their errors.

pydantic reports locations as tuples of keys; we map each back to the YAML line and
column and rewrite the message in plain words, with "did you mean" for unknown keys.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import Problem, SpecError, did_you_mean
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
        for err in exc.errors():
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


_NOUNS = {
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "int_type": "a whole number", "float_type": "a number", "string_type": "text (an expression)",
    "bool_type": "true or false", "list_type": "a list", "tuple_type": "a list",
    "finite_number": "a finite number",
}


def _translate(doc: Document, err: Any) -> Problem:
    path = _real_path(doc.data, err["loc"])
    kind, message = err["type"], err["msg"]
    if kind == "extra_forbidden":
        key = str(path[-1])
        parent_model = _model_at(TaskSpec, path[:-1])
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
        message = f"{message[0].lower()}{message[1:]}, got {_describe(value)}"
    return doc.problem(path, message)


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
        elif isinstance(node, dict) and isinstance(part, str) and not part[:1].isupper() \
                and part not in ("str", "int", "float", "bool", "list", "tuple", "function-before", "literal"):
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
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
