"""`write_experiment`: a task as a folder that runs in a browser from disk, for people.

The folder holds the page (index.html, page.js, page.css), the shared trial runner
(taskspec-session.js), the JS runtime and the task's JS (taskspec.web.scripts), the jsPsych plugin
and, when jsPsych has been vendored (`python -m taskspec.web.vendor_jspsych`), an example
jsPsych timeline (jspsych.html) with jsPsych's own files. Nothing is fetched at run time, so the
page opens over file:// and works offline. Spec text reaches the page only as data: HTML-escaped
text, and settings as JSON whose <, > and & are escaped so no value can close the script block.
"""

from __future__ import annotations

import inspect
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..errors import did_you_mean

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR = HERE / "vendor"
JSPSYCH_FILES = ("jspsych.js", "jspsych.css")  # written by vendor_jspsych.py into VENDOR / "jspsych"
PAGE_FILES = ("page.js", "page.css", "taskspec-session.js", "jspsych-taskspec.js")
MANIFEST = "taskspec-experiment.json"  # marks a folder written here, which a later run may overwrite

# Key names people type on the command line, as the browser's KeyboardEvent.key spells them.
NAMED_KEYS = {
    "space": " ",
    "enter": "Enter",
    "left": "ArrowLeft",
    "right": "ArrowRight",
    "up": "ArrowUp",
    "down": "ArrowDown",
}
SHOWN_KEYS = {value: name for name, value in NAMED_KEYS.items()}
DEFAULT_PAIR = ("f", "j")  # two responses: one under each index finger
DEFAULT_MANY = tuple("1234567890qwertyuiopasdfghjklzxcvbnm")  # rows of the keyboard, left to right

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)

Keys = Mapping[str, "str | Sequence[str]"] | Sequence[str] | str


def response_actions(env: Any) -> tuple[int | None, list[tuple[int, str, str]]]:
    """The action meaning "no response" (the first one-action group whose name starts with 'fix',
    as the JS env's `fixateAction`; else None) and the others as (index, group, label) in index
    order: the actions a person answers with keys."""
    fixate: int | None = None
    actions: list[tuple[int, str, str]] = []
    for group, columns in env.action_space.name.items():
        indices = [int(c) for c in (columns if isinstance(columns, list) else [columns])]
        if fixate is None and group.startswith("fix") and not isinstance(columns, list):
            fixate = indices[0]
            continue
        for i, index in enumerate(indices):
            actions.append((index, group, group if len(indices) == 1 else f"{group} {i + 1}"))
    return fixate, sorted(actions)


def _key(text: str) -> str:
    """A key as KeyboardEvent.key gives it: one printable character (letters lower case) or a named key."""
    name = text.strip()
    if name.lower() in NAMED_KEYS:
        return NAMED_KEYS[name.lower()]
    if len(name) != 1 or not name.isprintable() or name == ",":
        raise ValueError(
            f"key '{text}' is neither one character nor one of {', '.join(NAMED_KEYS)}; "
            "write keys as --keys f,j or --keys GROUP=f,j"
        )
    return name.lower()


def _split(keys: str | Sequence[str]) -> list[str]:
    return [_key(k) for k in (keys.split(",") if isinstance(keys, str) else keys)]


def resolve_keys(env: Any, keys: Keys | None = None) -> dict[str, int]:
    """{key: action index} for every response action: the defaults (f and j for two responses, else
    the keyboard's rows 1-0, q-p, a-l, z-m), replaced by `keys`: a list for all responses in order,
    or {group: keys} per group."""
    fixate, actions = response_actions(env)
    if env.action_type != "discrete":
        raise ValueError(f"{env.task_name} has continuous actions, which keys cannot give")
    defaults = DEFAULT_PAIR if len(actions) == 2 else DEFAULT_MANY
    if len(actions) > len(defaults) and keys is None:
        raise ValueError(f"{env.task_name} has {len(actions)} response actions; give their keys with --keys")
    chosen = {index: defaults[i] for i, (index, _, _) in enumerate(actions) if i < len(defaults)}
    if isinstance(keys, Mapping):
        groups: dict[str, list[int]] = {}
        for index, group, _ in actions:
            groups.setdefault(group, []).append(index)
        for group, given in keys.items():
            if group not in groups:
                raise ValueError(
                    f"--keys: {env.task_name} has no response group '{group}'{did_you_mean(group, groups)}; "
                    f"it has {', '.join(groups)}"
                )
            names = _split(given)
            if len(names) != len(groups[group]):
                raise ValueError(f"--keys: group '{group}' has {len(groups[group])} actions, got {len(names)} keys")
            chosen.update(zip(groups[group], names, strict=True))
    elif keys is not None:
        names = _split(keys)
        if len(names) != len(actions):
            raise ValueError(f"--keys: {env.task_name} has {len(actions)} response actions, got {len(names)} keys")
        chosen = {index: name for (index, _, _), name in zip(actions, names, strict=True)}
    by_key: dict[str, int] = {}
    for index, name in chosen.items():
        if name in by_key:
            raise ValueError(f"--keys: key '{SHOWN_KEYS.get(name, name)}' is given to two actions")
        by_key[name] = index
    return by_key


def script_json(value: Any) -> Markup:
    """JSON that can sit inside <script> as data: <, > and & escaped, so no text can end the block
    (and marked safe for the template: HTML escaping would turn its quotes into entities)."""
    text = json.dumps(value, allow_nan=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S704


def _prepare(out_dir: Path) -> None:
    """The folder, made if missing; one holding other files is refused rather than mixed into."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise ValueError(f"{out_dir} is not empty and was not written by `taskspec web`; choose another folder")
    out_dir.mkdir(parents=True, exist_ok=True)


def jspsych_vendored() -> bool:
    return all((VENDOR / "jspsych" / name).is_file() for name in JSPSYCH_FILES)


def write_experiment(
    task: Any,
    out_dir: str | Path,
    *,
    keys: Keys | None = None,
    trials: int = 100,
    params: Mapping[str, Any] | None = None,
    feedback_ms: float = 500.0,
) -> list[Path]:
    """Write the experiment folder for `task` (a bundled name, a spec path or a TrialEnv subclass);
    returns the files written. A task the browser cannot run raises its located refusals
    (`taskspec.web.scripts.BrowserRefused`) before anything is written."""
    from ..library import as_env
    from .scripts import runtime_script, task_script

    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"trials must be a whole number of at least 1, got {trials!r}")
    if isinstance(feedback_ms, bool) or not isinstance(feedback_ms, (int, float)) or not 0 <= feedback_ms < 60_000:
        raise ValueError(f"feedback_ms must be a number of ms from 0 to 60000, got {feedback_ms!r}")
    params = dict(params or {})
    task_js = task_script(task, **params)  # refusals first: located, before any file exists
    env = as_env(task, params or None)
    key_map = resolve_keys(env, keys)
    fixate, actions = response_actions(env)
    shown = {index: SHOWN_KEYS.get(k, k) for k, index in key_map.items()}
    config = {
        "task": env.task_name,
        "params": params,
        "dt": env.dt,
        "keys": key_map,
        "trials": trials,
        "feedback_ms": float(feedback_ms),
    }
    context = {
        "task": env.task_name,
        "description": inspect.cleandoc(type(env).__doc__ or ""),
        "dt": f"{env.dt:g}",
        "trials": trials,
        "key_rows": ([{"label": "fixation (wait)", "key": None}] if fixate is not None else [])
        + [{"label": label, "key": shown[index]} for index, _, label in actions],
        "config_json": script_json(config),
    }
    out = Path(out_dir)
    _prepare(out)
    files = {
        "index.html": _TEMPLATES.get_template("index.html.j2").render(context),
        "taskspec-runtime.js": runtime_script(),
        "task.js": task_js,
        MANIFEST: json.dumps({"written_by": "taskspec web", **config}, indent=1, sort_keys=True) + "\n",
    }
    if jspsych_vendored():
        files["jspsych.html"] = _TEMPLATES.get_template("jspsych.html.j2").render(context)
    written = [_write(out / name, text) for name, text in files.items()]
    written += [_write(out / name, STATIC / name) for name in PAGE_FILES]
    if jspsych_vendored():
        if (out / "jspsych").is_symlink():
            (out / "jspsych").unlink()
        (out / "jspsych").mkdir(exist_ok=True)
        written += [_write(out / "jspsych" / name, VENDOR / "jspsych" / name) for name in JSPSYCH_FILES]
    return written


def _write(target: Path, content: str | Path) -> Path:
    """Write a file of the folder; a symbolic link there is replaced by the file, not written through."""
    if target.is_symlink():
        target.unlink()
    if isinstance(content, Path):
        shutil.copyfile(content, target)
    else:
        target.write_text(content, encoding="utf-8")
    return target
