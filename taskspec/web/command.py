"""`taskspec web TASK -o DIR`: write a task as a browser experiment for people (taskspec.web.experiment)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _keys(items: list[str]) -> dict[str, str] | str | None:
    """`--keys f,j` (every response in order) or `--keys GROUP=f,j` (repeatable, one per group)."""
    if not items:
        return None
    if len(items) == 1 and "=" not in items[0]:
        return items[0]
    groups: dict[str, str] = {}
    for item in items:
        group, sep, keys = item.partition("=")
        if not sep or not group.strip():
            raise ValueError(f"--keys expects KEYS or GROUP=KEYS (e.g. choice=f,j), got '{item}'")
        groups[group.strip()] = keys
    return groups


def _params(items: list[str], parse_sets: Callable[[list[str]], dict[str, Any]]) -> dict[str, Any]:
    """`NAME=VALUE` pairs with YAML values, read as the CLI reads `--set` (its messages named for --param)."""
    try:
        return parse_sets(items)
    except ValueError as exc:
        raise ValueError(str(exc).replace("--set", "--param", 1)) from None


def cmd_web(args: argparse.Namespace, parse_sets: Callable[[list[str]], dict[str, Any]]) -> int:
    from .experiment import write_experiment

    written = write_experiment(
        args.task, Path(args.output), keys=_keys(args.keys), trials=args.trials, params=_params(args.param, parse_sets)
    )
    print(f"wrote {len(written)} files to {args.output}; open {Path(args.output) / 'index.html'} in a browser")
    if not (Path(args.output) / "jspsych.html").exists():
        print("no jspsych.html: jsPsych is not vendored here (python -m taskspec.web.vendor_jspsych)")
    return 0


def add_command(
    command: Callable[..., Any], parse_sets: Callable[[list[str]], dict[str, Any]], positive: Callable[[str], int]
) -> None:
    """Add `web` to the CLI's table of commands (`command` as in taskspec.cli._parser)."""
    p = command(
        "web",
        lambda args: cmd_web(args, parse_sets),
        "write a task as a browser experiment (a folder that opens from disk) for people",
    )
    p.add_argument("task", metavar="TASK")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write (new, or written before)")
    p.add_argument(
        "--keys",
        action="append",
        default=[],
        metavar="KEYS",
        help="keys of the response actions: f,j for all in order, or GROUP=f,j per group (repeatable); "
        "names: space, enter, left, right, up, down (default: f,j for two responses, else the keyboard's "
        "rows 1-0, q-p, a-l, z-m)",
    )
    p.add_argument("--trials", type=positive, default=100, help="trials per participant (default: 100)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter override; VALUE is YAML (repeatable)",
    )
