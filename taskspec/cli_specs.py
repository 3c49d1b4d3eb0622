"""The CLI's commands about specs themselves: `validate`, `compile`, `list`, `info`, `schema` and `new`."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

import taskspec

from .cli_arguments import UsageError
from .cli_output import write_text
from .cli_printing import dump_json, print_problems, reporting_warnings, section
from .compiler.models import TaskSpec
from .errors import did_you_mean
from .library import spec_files
from .tools.lint import check_rollout


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every spec given, not just up to the first bad one, so one run lists all the work.

    A spec that compiles is also played for a few dozen trials by the ground-truth policy, which
    turns rewards nobody can earn into located warnings (they do not change the exit code).
    """
    failed = 0
    for name in args.specs:
        try:
            with reporting_warnings():
                check_rollout(taskspec.load(name))
        except taskspec.SpecError as exc:
            print_problems(exc)
            failed += 1
        else:
            print(f"OK: {name}")
    return 1 if failed else 0


def cmd_compile(args: argparse.Namespace) -> int:
    """Write the generated module; an unwritable OUT is a usage error, not a spec error."""
    source = taskspec.compile_source(args.spec)
    if args.output is None:
        sys.stdout.write(source)
        return 0
    write_text(args.output, source, spec_files(args.spec))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Names for scripts (`--json`), names with tags for people choosing a task."""
    names = taskspec.list_tasks(args.tag)
    if args.json:
        dump_json(names)
        return 0
    if not names and args.tag is not None:
        known = {t for n in taskspec.list_tasks() for t in taskspec.load_spec(n).tags}
        print(f"taskspec: no bundled task has tag '{args.tag}'{did_you_mean(args.tag, known)}", file=sys.stderr)
    section(None, [(n, ", ".join(taskspec.load_spec(n).tags)) for n in names], indent="")
    return 0


def _describe(task: str) -> dict[str, Any]:
    """Everything `info` shows, from the compiled class and a default env, so it matches what `make` gives."""
    cls = taskspec.load(task)
    env = cls()
    spaces: dict[str, Any] = {"observation": env.observation_space, "action": env.action_space}
    return {
        "name": cls.task_name,
        "description": inspect.cleandoc(cls.__doc__ or ""),
        "paper": cls.paper,
        "url": cls.url,
        "tags": list(cls.tags),
        "dt": env.dt,
        "periods": {p: {"duration": env.timing[p], "after": cls.period_after.get(p)} for p in env.timing},
        **{
            kind: {"space": str(space), "size": int(getattr(space, "n", 0) or space.shape[0]), "groups": space.name}
            for kind, space in spaces.items()
        },
        "params": {
            p.name: {"kind": p.kind, "default": p.default, "min": p.low, "max": p.high, "doc": p.doc}
            for p in cls.info.params
        },
        "rewards": dict(env.rewards),
    }


def cmd_info(args: argparse.Namespace) -> int:
    """A task's contract on one screen: what it shows, what it accepts, how it pays."""
    info = _describe(args.task)
    if args.json:
        dump_json(info)
        return 0
    print(info["name"], *("  " + line for line in info["description"].splitlines()), sep="\n")
    section(
        None,
        [
            ("paper", info["paper"]),
            ("url", info["url"]),
            ("tags", ", ".join(info["tags"])),
            ("dt", f"{info['dt']:g} ms"),
        ],
        indent="",
    )
    section(
        "periods",
        [(p, v["duration"], v["after"]) for p, v in info["periods"].items()],
        ("name", "duration (ms)", "after"),
    )
    for kind in ("observation", "action"):
        section(f"{kind}  {info[kind]['space']}", info[kind]["groups"].items(), ("group", "index"))
    section(
        "parameters",
        [(n, *p.values()) for n, p in info["params"].items()],
        ("name", "kind", "default", "min", "max", "doc"),
    )
    section("rewards", info["rewards"].items(), ("name", "value"))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """The schema editors use for completion, generated from the models so it cannot go stale."""
    print(json.dumps(TaskSpec.model_json_schema(), indent=2))
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """A starting spec that validates, so authors change a working task instead of a blank page."""
    from .tools.scaffold import new_spec

    output = Path(args.output or f"{args.name}.yaml")
    try:
        text = new_spec(args.name, args.from_task, output)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if os.path.lexists(output) and not args.force:  # lexists: a dangling link is something there too
        raise UsageError(f"{output} exists; use --force to overwrite it")
    write_text(output, text, spec_files(args.from_task) if args.from_task else (), "the --from task")
    taskspec.load(output)  # prove it validates
    print(f"wrote {output}; try: taskspec run {output}")
    return 0
