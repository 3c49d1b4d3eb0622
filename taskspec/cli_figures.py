"""The figure commands of the CLI: `taskspec plot` and `taskspec psychometric`.

Kept apart from cli.py because they need matplotlib, an optional extra: without it they
say how to install it instead of failing on import.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli_output import check_output, write_output
from .library import spec_files


def _matplotlib() -> None:
    try:
        import matplotlib
    except ImportError:
        raise ValueError("plotting needs matplotlib: pip install 'taskspec[plot]'") from None
    matplotlib.use("Agg")  # files only: works without a display


def cmd_plot(args: argparse.Namespace, parse_sets: Callable[[list[str]], dict[str, Any]]) -> int:
    """One figure of a rollout: observations, ground truth, actions, rewards, periods."""
    _matplotlib()
    from .tools.plot import save_plot

    output, params, reads = Path(args.output), parse_sets(args.set) or None, spec_files(args.task)
    check_output(args.output, reads)  # before the rollout
    write_output(
        args.output,
        lambda path: save_plot(path, args.task, trials=args.trials, seed=args.seed, policy=args.policy, params=params),
        reads,
    )
    print(f"wrote {output}")
    return 0


def cmd_psychometric(args: argparse.Namespace, parse_sets: Callable[[list[str]], dict[str, Any]]) -> int:
    """Choice probability against a signed stimulus variable, for a ground-truth policy with decision noise."""
    from .library import load_spec
    from .tools import analysis

    if args.output:  # refused before the rollout and the fit, not after them
        check_output(Path(args.output), spec_files(args.task))
    policy = args.policy or ("accumulate" if "reaction time" in load_spec(args.task).tags else "gt")
    choices = analysis.rollout_choices(
        args.task,
        args.variable,
        trials=args.trials,
        seed=args.seed,
        policy=policy,
        noise=args.noise,
        params=parse_sets(args.set) or None,
    )
    fit = analysis.psychometric(
        choices.x, choices.choice, fit=args.fit, label=choices.label, choice_label=choices.choice_label
    )
    print(f"policy: {policy}")
    print(fit.table())
    if policy == "accumulate":  # reaction-time tasks: how long the decisions took
        chrono = analysis.chronometric(choices.x, choices.choice_time)
        print(f"{'|' + args.variable + '|':>10} {'n':>7} {'mean RT (ms)':>13} {'s.e.':>7}")
        for level, n, mean, se in zip(chrono.strength, chrono.n, chrono.mean, chrono.se, strict=True):
            print(f"{level:10g} {n:7d} {mean:13.1f} {se:7.1f}")
    if args.output:
        _matplotlib()
        figure = analysis.plot_psychometric(fit, title=args.task)
        write_output(Path(args.output), lambda path: figure.savefig(path, dpi=120), spec_files(args.task))
        print(f"wrote {args.output}")
    return 0


def _noise(text: str) -> float:
    """Decision noise: a positive finite number (0 would divide by zero, NaN would fit nothing)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got '{text}'")
    return value


def add_commands(
    command: Callable[..., Any],
    parse_sets: Callable[[list[str]], dict[str, Any]],
    count: Callable[[str], int],
    seed: Callable[[str], int],
) -> None:
    """Register the figure commands with the CLI's parser; `count` and `seed` check those arguments."""
    p = command(
        "plot",
        lambda a: cmd_plot(a, parse_sets),
        "plot a rollout: observations, ground truth, actions, rewards and periods",
    )
    p.add_argument("task", metavar="TASK")
    p.add_argument("-o", "--output", required=True, metavar="FIG.png")
    p.add_argument("--trials", type=count, default=3, help="trials to show (default: 3)")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--policy", choices=["gt", "random", "fixate"], default="gt")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a parameter override")
    p = command(
        "psychometric",
        lambda a: cmd_psychometric(a, parse_sets),
        "fit a psychometric curve of a ground-truth policy with decision noise",
    )
    p.add_argument("task", metavar="TASK")
    p.add_argument("--variable", required=True, help="the signed stimulus variable, e.g. coh")
    p.add_argument("-o", "--output", metavar="FIG.png", help="also save the curve")
    p.add_argument("--trials", type=count, default=2000)
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--noise", type=_noise, default=None, help="decision noise (default: a quarter of max |x|)")
    p.add_argument("--fit", choices=["logistic", "probit"], default="logistic")
    p.add_argument(
        "--policy",
        choices=["gt", "accumulate"],
        default=None,
        help="gt: ground truth with decision noise; accumulate: drift-diffusion agent with reaction "
        "times (the default for reaction-time tasks)",
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a parameter override")
