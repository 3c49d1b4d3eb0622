"""The step machine's array namespace for one env: plain Python numbers and booleans.

The single env runs the step machine (runtime/machine.py) with this module as `xp`, one value
per name instead of one per env, so the meaning of a step is the machine's and nothing is written
twice. Only what the machine calls is here; each is the one-value case of its NumPy namesake.
"""

from __future__ import annotations

from typing import Any


def where(condition: Any, yes: Any, no: Any) -> Any:
    return yes if condition else no


def isnan(value: Any) -> bool:
    return value != value  # NaN is the one number unequal to itself (cheaper than math.isnan)


def logical_not(value: Any) -> bool:
    return not value
