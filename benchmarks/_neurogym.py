"""Run benchmarks/neurogym_rates.py in NeuroGym's own venv (see that file) and return its figures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("neurogym_rates.py")


def neurogym_rate(python: str | None, what: str, task: str, seconds: float) -> float | None:
    """NeuroGym's steps/s ("step") or Dataset timesteps/s ("dataset") for `task`, measured now; None
    without a NeuroGym python, or if NeuroGym fails on the task."""
    if not python:
        return None
    command = [python, str(SCRIPT), what, str(seconds), task]  # the user's own NeuroGym python
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        return None
    return float(json.loads(result.stdout.strip().splitlines()[-1])[task])
