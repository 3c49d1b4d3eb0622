"""The command line's arguments: their types, `--set KEY=VALUE` overrides, and the usage error (exit 2)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import yaml

from .compiler.loader import parse_value


class UsageError(ValueError):
    """A mistake in the command line itself (exit 2), as opposed to one in a spec (exit 1)."""


def parse_sets(items: Sequence[str]) -> dict[str, Any]:
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


def positive(text: str) -> int:
    """A trial count; zero trials would leave nothing to average."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return int(text)


def seed(text: str) -> int:
    """A seed as numpy and gymnasium take it: a whole number >= 0 (checked here, not deep in gymnasium)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return int(text)


def add_set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter, dt, rewards or timing override; VALUE is YAML (repeatable)",
    )
