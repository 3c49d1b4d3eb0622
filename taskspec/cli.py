"""The `taskspec` command line: check, compile, inspect and try out task specs.

A user mistake ends in located problem lines or one `taskspec: ...` line and an exit
code, never a traceback: 0 success, 1 spec errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import taskspec
from taskspec.cli_arguments import UsageError, add_set_option, parse_sets, positive, seed
from taskspec.cli_figures import add_commands as add_figure_commands
from taskspec.cli_printing import print_problems, reporting_warnings
from taskspec.cli_specs import cmd_compile, cmd_info, cmd_list, cmd_new, cmd_schema, cmd_validate
from taskspec.cli_trials import RUN_COLUMNS, cmd_dataset, cmd_run
from taskspec.web.command import add_command as add_web_command

__all__ = ["RUN_COLUMNS", "UsageError", "main"]  # RUN_COLUMNS and UsageError: importable here as before


def _parser() -> argparse.ArgumentParser:
    """One sub-parser per command, each storing its handler, so `main` dispatches without an if-chain."""
    parser = argparse.ArgumentParser(prog="taskspec", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"taskspec {taskspec.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace], int], text: str, json_help: str = "") -> Any:
        p = sub.add_parser(name, help=text, description=text)
        p.set_defaults(func=func)
        if json_help:
            p.add_argument("--json", action="store_true", help=json_help)
        return p

    command(
        "validate",
        cmd_validate,
        "check specs; report every problem, located; warn of rewards the ground truth never earns",
    ).add_argument("specs", nargs="+", metavar="FILE_OR_TASK")
    p = command("compile", cmd_compile, "write a spec as a standalone Python module")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT.py",
        help="output file (default: stdout); never the spec itself, "
        "and a symbolic link there is replaced by the file, not written through",
    )
    command("list", cmd_list, "the bundled tasks", "a JSON list of names").add_argument(
        "--tag", help="only tasks with this tag"
    )
    command(
        "info", cmd_info, "periods, spaces, parameters, rewards and reference of a task", "one JSON object"
    ).add_argument("task", metavar="TASK")
    command("schema", cmd_schema, "the JSON Schema of specs")
    p = command("run", cmd_run, "simulate a task with a ground-truth and a random policy", "one JSON object")
    p.add_argument("task", metavar="TASK")
    p.add_argument("--trials", type=positive, default=200, help="trials per policy (default: 200)")
    p.add_argument("--seed", type=seed, default=0, help="seed of trials and random actions (default: 0)")
    add_set_option(p)
    p = command("dataset", cmd_dataset, "write N trials with their variables to an .npz or Parquet file")
    p.add_argument("task", metavar="TASK")
    p.add_argument("-n", type=positive, required=True, metavar="N", help="number of trials")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file (.npz, or .parquet)")
    p.add_argument("--seed", type=seed, default=None, help="seed of the trials (default: random)")
    add_set_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar (shown only on a terminal anyway)")
    p.add_argument("--format", choices=("npz", "parquet"), help="file format (default: from the suffix of OUT)")
    p.add_argument("--shard", metavar="I/K", help="write only part I of K (0-based) of the N trials; needs --seed")
    add_figure_commands(command, parse_sets, positive, seed)
    add_web_command(command, parse_sets, positive)
    p = command("new", cmd_new, "write a commented starting spec that validates")
    p.add_argument("name", metavar="NAME", help="the task name; the file is NAME.yaml unless -o is given")
    p.add_argument("--from", dest="from_task", metavar="TASK", help="start from a variant of this task")
    p.add_argument("-o", "--output", metavar="FILE.yaml", help="output file")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing file (a symbolic link is replaced by the file, not written through)",
    )
    return parser


def _check_utf8(values: dict[str, Any]) -> None:
    """Arguments must be text: a file name with bytes that are not UTF-8 arrives with surrogates
    (Python's surrogateescape), which can be neither printed nor written into a module."""
    for value in values.values():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and not text.isprintable():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    try:  # the bytes as given, non-UTF-8 ones escaped: 'caf\xe9.yaml'
                        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                    except UnicodeEncodeError:  # a surrogate that stands for no byte
                        shown = text.encode("utf-8", "backslashreplace").decode("utf-8")
                    raise UsageError(
                        f"argument '{shown}' is not valid UTF-8 text; if it names a file, rename the file"
                    ) from None


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code instead of exiting, so tests and `cli.py` can call it."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and argparse's usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        _check_utf8(vars(args))
        with reporting_warnings():
            return int(args.func(args))
    except taskspec.SpecError as exc:
        print_problems(exc)
        return 1
    except (UsageError, ValueError, OSError) as exc:  # ValueError: a bad argument to a command
        print(f"taskspec: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # python -m taskspec.cli
    sys.exit(main())
