"""The `taskspec` command line: check, compile, inspect and try out task specs.

A user mistake ends in located problem lines or one `taskspec: ...` line and an exit
code, never a traceback: 0 success, 1 spec errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import json
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import taskspec
from taskspec.cli_figures import add_commands as add_figure_commands
from taskspec.cli_output import OutputRefused, check_output, write_output, write_text
from taskspec.compiler.loader import parse_value
from taskspec.compiler.models import TaskSpec
from taskspec.errors import did_you_mean
from taskspec.library import generated_warning_text, spec_files
from taskspec.tools.lint import check_rollout
from taskspec.web.command import add_command as add_web_command


class UsageError(ValueError):
    """A mistake in the command line itself (exit 2), as opposed to one in a spec (exit 1)."""


@contextlib.contextmanager
def _reporting_warnings() -> Iterator[None]:
    """Show SpecWarnings as `warning: ...` lines: they address the spec author, not a developer.

    Only SpecWarnings are forced to "always", so library warnings hidden by default stay hidden.
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", taskspec.SpecWarning)
            yield
    finally:
        shown: set[str] = set()  # the load-time dry run and the env itself may raise the same warning
        for w in caught:
            if issubclass(w.category, taskspec.SpecWarning):
                if str(w.message) not in shown:
                    print(f"warning: {w.message}", file=sys.stderr)
                shown.add(str(w.message))
            elif (text := generated_warning_text(w.message, w.filename, w.lineno)) is not None:
                if text not in shown:  # NumPy's warnings from generated code, at the spec's line
                    print(f"warning: {text}", file=sys.stderr)
                shown.add(text)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _section(
    title: str | None, rows: Iterable[Sequence[Any]], header: Sequence[str] | None = None, indent: str = "  "
) -> None:
    """A titled table in left-aligned columns, so values compare down a column; an empty one says so."""
    cells = [["-" if c is None else f"{c:g}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    if cells and header:
        cells.insert(0, list(header))
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))] if cells else []
    lines = [(indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip() for row in cells]
    print("\n".join(([title] if title else []) + (lines or [indent + "(none)"])))


def _dump_json(obj: Any) -> None:
    """JSON on stdout; numpy scalars (and anything odd) degrade to plain values, not a crash."""
    print(json.dumps(obj, indent=2, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _space_line(space: Any) -> str:
    """A space and its named groups on one line: the indices a network's readout must use."""
    return f"{space}  " + " ".join(f"{name}={index}" for name, index in space.name.items())


def _cmd_validate(args: argparse.Namespace) -> int:
    """Check every spec given, not just up to the first bad one, so one run lists all the work.

    A spec that compiles is also played for a few dozen trials by the ground-truth policy, which
    turns rewards nobody can earn into located warnings (they do not change the exit code).
    """
    failed = 0
    for name in args.specs:
        try:
            with _reporting_warnings():
                check_rollout(taskspec.load(name))
        except taskspec.SpecError as exc:
            _print_problems(exc)
            failed += 1
        else:
            print(f"OK: {name}")
    return 1 if failed else 0


def _cmd_compile(args: argparse.Namespace) -> int:
    """Write the generated module; an unwritable OUT is a usage error, not a spec error."""
    source = taskspec.compile_source(args.spec)
    if args.output is None:
        sys.stdout.write(source)
        return 0
    write_text(args.output, source, spec_files(args.spec))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    """Names for scripts (`--json`), names with tags for people choosing a task."""
    names = taskspec.list_tasks(args.tag)
    if args.json:
        _dump_json(names)
        return 0
    if not names and args.tag is not None:
        known = {t for n in taskspec.list_tasks() for t in taskspec.load_spec(n).tags}
        print(f"taskspec: no bundled task has tag '{args.tag}'{did_you_mean(args.tag, known)}", file=sys.stderr)
    _section(None, [(n, ", ".join(taskspec.load_spec(n).tags)) for n in names], indent="")
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


def _cmd_info(args: argparse.Namespace) -> int:
    """A task's contract on one screen: what it shows, what it accepts, how it pays."""
    info = _describe(args.task)
    if args.json:
        _dump_json(info)
        return 0
    print(info["name"], *("  " + line for line in info["description"].splitlines()), sep="\n")
    _section(
        None,
        [
            ("paper", info["paper"]),
            ("url", info["url"]),
            ("tags", ", ".join(info["tags"])),
            ("dt", f"{info['dt']:g} ms"),
        ],
        indent="",
    )
    _section(
        "periods",
        [(p, v["duration"], v["after"]) for p, v in info["periods"].items()],
        ("name", "duration (ms)", "after"),
    )
    for kind in ("observation", "action"):
        _section(f"{kind}  {info[kind]['space']}", info[kind]["groups"].items(), ("group", "index"))
    _section(
        "parameters",
        [(n, *p.values()) for n, p in info["params"].items()],
        ("name", "kind", "default", "min", "max", "doc"),
    )
    _section("rewards", info["rewards"].items(), ("name", "value"))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    """The schema editors use for completion, generated from the models so it cannot go stale."""
    print(json.dumps(TaskSpec.model_json_schema(), indent=2))
    return 0


def _parse_sets(items: Sequence[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs with YAML values, so numbers, lists and mappings need no extra syntax."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got '{item}'")
        try:
            overrides[key.strip()] = parse_value(text)  # YAML 1.2 numbers, as in specs
        except yaml.YAMLError:
            raise UsageError(f"--set {key.strip()}: cannot read '{text}' as a YAML value") from None
    return overrides


def _simulate(env: taskspec.TrialEnv, policy: Callable[[], Any], trials: int, seed: int) -> dict[str, Any]:
    """Whole trials under one policy; per-trial sums make policies with different trial lengths comparable."""
    env.reset(seed=seed)
    rewards: list[float] = []
    perfs: list[float] = []
    steps: list[int] = []
    total, count = 0.0, 0
    while len(steps) < trials:
        _, reward, _, _, info = env.step(policy())
        total, count = total + reward, count + 1
        if info["new_trial"]:
            rewards.append(total)
            perfs.append(float(info["performance"]))
            steps.append(count)
            total, count = 0.0, 0
    return {
        "reward_per_trial": float(np.mean(rewards)),
        "performance": float(np.mean(perfs)),
        "steps_per_trial": {"mean": float(np.mean(steps)), "min": min(steps), "max": max(steps)},
    }


def _cmd_run(args: argparse.Namespace) -> int:
    """The end-to-end check: a spec is only useful if the ground truth earns clearly more than chance."""
    overrides = _parse_sets(args.set)
    env = taskspec.load(args.task)(**overrides)
    truth = _simulate(env, lambda: env.gt_now, args.trials, args.seed)
    env.action_space.seed(args.seed)
    chance = _simulate(env, env.action_space.sample, args.trials, args.seed)
    result = {
        "task": env.task_name,
        "dt": env.dt,
        "trials": args.trials,
        "seed": args.seed,
        "overrides": overrides,
        "observation_space": _space_line(env.observation_space),
        "action_space": _space_line(env.action_space),
        "steps_per_trial": truth["steps_per_trial"],
        "policies": {"ground_truth": truth, "random": chance},
    }
    if args.json:
        _dump_json(result)
        return 0
    _section(
        None,
        [
            ("task", env.task_name),
            ("dt", f"{env.dt:g} ms"),
            ("trials", f"{args.trials} (seed {args.seed})"),
            ("observation", result["observation_space"]),
            ("action", result["action_space"]),
        ],
        indent="",
    )
    rows = [
        (
            name,
            f"{p['steps_per_trial']['mean']:.1f}",
            p["steps_per_trial"]["min"],
            p["steps_per_trial"]["max"],
            f"{p['reward_per_trial']:.3f}",
            f"{p['performance']:.3f}",
        )
        for name, p in result["policies"].items()
    ]
    _section(None, rows, ("policy", "steps/trial", "min", "max", "reward/trial", "performance"), indent="")
    print(RUN_COLUMNS)
    return 0


# What the columns of `taskspec run` mean, printed under its table (tests/test_lab_conventions.py checks
# each against a run whose answer it knows).
RUN_COLUMNS = """
ground_truth acts the target at every step; random draws actions uniformly.
steps/trial, min, max: mean, shortest and longest trial in steps of dt.
reward/trial: mean of each trial's summed reward.
performance: mean over trials of the performance each trial ended with: the value the spec's rules
  (or `response`) set, e.g. 1 for a correct answer, and 0 for a trial no rule scored."""


def _cmd_dataset(args: argparse.Namespace) -> int:
    """Trials to disk for training elsewhere: streamed in chunks, so a million trials fit in little memory."""
    import time

    from .data.export import plan, write_npz, write_parquet

    overrides = _parse_sets(args.set)
    env = taskspec.load(args.task)(**overrides)
    output, reads = Path(args.output), spec_files(args.task)
    check_output(args.output, reads)  # before the work: refused at once, not after minutes of trials
    fmt = args.format or ("parquet" if output.suffix == ".parquet" else "npz")
    shard = _shard(args.shard)
    if shard is not None and args.seed is None:
        raise UsageError("--shard needs --seed: every shard must draw from the same seed")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError("--format parquet needs pyarrow: pip install 'taskspec[parquet]'") from None
    started = time.perf_counter()
    writer = write_parquet if fmt == "parquet" else write_npz
    manifests: list[dict[str, Any]] = []
    try:
        plan(env, args.n, output, shard)  # budget and disk refused in the target's name, before the temporary file
        write_output(
            args.output,
            lambda path: manifests.append(
                writer(env, args.n, path, args.seed, overrides, progress=not args.quiet, shard=shard)
            ),
            reads,
        )
    except OutputRefused:
        raise
    except taskspec.SpecError as exc:
        raise _dataset_advice(exc) from None
    except ValueError as exc:  # e.g. a shard with no trials
        raise UsageError(str(exc)) from None
    manifest = manifests[0]
    rate = manifest["trials_written"] / max(time.perf_counter() - started, 1e-9)
    part = f" (shard {shard[0]}/{shard[1]} of {args.n:,})" if shard else ""
    print(
        f"wrote {manifest['trials_written']:,} trials{part} of {manifest['task']} to {output} "
        f"({fmt}, {rate:,.0f} trials/s)"
    )
    return 0


def _shard(text: str | None) -> tuple[int, int] | None:
    """'i/k' (0-based part i of k) as a tuple; a usage error otherwise."""
    if text is None:
        return None
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise UsageError(f"--shard expects I/K with 0 <= I < K (e.g. 0/4), got '{text}'")
    return int(index), int(count)


def _dataset_advice(exc: taskspec.SpecError) -> taskspec.SpecError:
    """The batch-size advice of the library names `chunk_size`, which this command does not have.

    `dataset` sizes its chunks to the trials' length but never below an env's own chunk (what
    `step` builds); what a user of the command can change is the length of the trials.
    """
    advice = (
        "; that is the smallest chunk `taskspec dataset` builds: shorten the trials "
        "(--set timing={period: ms}) or use a larger step (--set dt=...)"
    )
    library_advice = r";[^;]*(?:chunk_size|fewer trials at once)[^;]*$"
    return taskspec.SpecError(
        [dataclasses.replace(p, message=re.sub(library_advice, advice, p.message)) for p in exc.problems]
    )


def _cmd_new(args: argparse.Namespace) -> int:
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


def _positive(text: str) -> int:
    """A trial count; zero trials would leave nothing to average."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return int(text)


def _seed(text: str) -> int:
    """A seed as numpy and gymnasium take it: a whole number >= 0 (checked here, not deep in gymnasium)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return int(text)


def _add_set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter, dt, rewards or timing override; VALUE is YAML (repeatable)",
    )


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
        _cmd_validate,
        "check specs; report every problem, located; warn of rewards the ground truth never earns",
    ).add_argument("specs", nargs="+", metavar="FILE_OR_TASK")
    p = command("compile", _cmd_compile, "write a spec as a standalone Python module")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT.py",
        help="output file (default: stdout); never the spec itself, "
        "and a symbolic link there is replaced by the file, not written through",
    )
    command("list", _cmd_list, "the bundled tasks", "a JSON list of names").add_argument(
        "--tag", help="only tasks with this tag"
    )
    command(
        "info", _cmd_info, "periods, spaces, parameters, rewards and reference of a task", "one JSON object"
    ).add_argument("task", metavar="TASK")
    command("schema", _cmd_schema, "the JSON Schema of specs")
    p = command("run", _cmd_run, "simulate a task with a ground-truth and a random policy", "one JSON object")
    p.add_argument("task", metavar="TASK")
    p.add_argument("--trials", type=_positive, default=200, help="trials per policy (default: 200)")
    p.add_argument("--seed", type=_seed, default=0, help="seed of trials and random actions (default: 0)")
    _add_set_option(p)
    p = command("dataset", _cmd_dataset, "write N trials with their variables to an .npz or Parquet file")
    p.add_argument("task", metavar="TASK")
    p.add_argument("-n", type=_positive, required=True, metavar="N", help="number of trials")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file (.npz, or .parquet)")
    p.add_argument("--seed", type=_seed, default=None, help="seed of the trials (default: random)")
    _add_set_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar (shown only on a terminal anyway)")
    p.add_argument("--format", choices=("npz", "parquet"), help="file format (default: from the suffix of OUT)")
    p.add_argument("--shard", metavar="I/K", help="write only part I of K (0-based) of the N trials; needs --seed")
    add_figure_commands(command, _parse_sets, _positive, _seed)
    add_web_command(command, _parse_sets, _positive)
    p = command("new", _cmd_new, "write a commented starting spec that validates")
    p.add_argument("name", metavar="NAME", help="the task name; the file is NAME.yaml unless -o is given")
    p.add_argument("--from", dest="from_task", metavar="TASK", help="start from a variant of this task")
    p.add_argument("-o", "--output", metavar="FILE.yaml", help="output file")
    p.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing file (a symbolic link is replaced by the file, not written through)",
    )
    return parser


def _print_problems(exc: taskspec.SpecError) -> None:
    """One line per problem, each `FILE:LINE:COL: path: message`, which editors can jump to."""
    for line in [str(p) for p in exc.problems] or [f"taskspec: {exc}"]:
        print(line, file=sys.stderr)


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
        with _reporting_warnings():
            return int(args.func(args))
    except taskspec.SpecError as exc:
        _print_problems(exc)
        return 1
    except (UsageError, ValueError, OSError) as exc:  # ValueError: a bad argument to a command
        print(f"taskspec: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # python -m taskspec.cli
    sys.exit(main())
