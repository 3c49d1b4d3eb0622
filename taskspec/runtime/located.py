"""Errors raised inside a generated class, located at the spec line that caused them.

A generated module carries a table, `_SPEC_LOCATIONS`, of (generated line, YAML path, file, line,
column); an error inside its code, a problem the runtime finds with a spec path (a space too
large) and a duration that is not a whole number of steps are all reported in the spec's terms.
"""

from __future__ import annotations

import bisect
import math
import sys
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import Problem, SpecError, SpecWarning
from . import functions as fn


class SpecLocated:
    """The located-error helpers of `TrialEnv` (a base of it)."""

    task_name: ClassVar[str]
    dt: float
    timing: dict[str, Any]
    _timing_over: Mapping[str, float]

    def _located(self, exc: Exception) -> Exception:
        """Turn an error raised inside generated code into a SpecError at the spec line.

        The generated module carries a table of (generated line, YAML path, file, line, column);
        the innermost frame of that module in the traceback picks its row.
        """
        module = sys.modules.get(type(self).__module__)
        table = getattr(module, "_SPEC_LOCATIONS", ())
        tb, line = exc.__traceback__, None
        while tb is not None:
            if module is not None and tb.tb_frame.f_globals is module.__dict__:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None or not table:
            return exc
        row = bisect.bisect_right([entry[0] for entry in table], line) - 1
        if row < 0:
            return exc
        _, path, file, spec_line, col = table[row]
        message = str(exc) if isinstance(exc, fn.Said) else f"cannot evaluate: {fn.in_spec_terms(exc)}"
        return SpecError([Problem(file, spec_line, col, path, message)])

    def spec_problem(self, path: str, message: str) -> None:
        """Raise a SpecError at the spec line of `path` (looked up in the generated module's table)."""
        module = sys.modules.get(type(self).__module__)
        for _, where, file, line, col in getattr(module, "_SPEC_LOCATIONS", ()):
            if where == path:
                raise SpecError([Problem(file, line, col, path, message)])
        raise SpecError([Problem(self.task_name, 0, 0, path, message)])

    def _warn_rounding(self) -> None:
        for name, ms in self.timing.items():
            steps = ms / self.dt if isinstance(ms, (int, float)) else 0.0
            if math.isfinite(steps) and abs(steps - round(steps)) > 1e-9:
                floored = (ms // self.dt) * self.dt
                # a duration given to make(timing=...) has no spec line: the task's name says where
                where = self.task_name if name in self._timing_over else self._spec_line(f"periods.{name}")
                warnings.warn(
                    f"{where}: periods.{name}: {ms:g} ms is not a multiple of "
                    f"dt={self.dt:g} ms; it is rounded down to {floored:g} ms",
                    SpecWarning,
                    stacklevel=4,
                )

    def _spec_line(self, path: str) -> str:
        """'file:line:col' of a spec path (or of its `duration`), from the generated module's table;
        the task's name when the table has no such row."""
        module = sys.modules.get(type(self).__module__)
        for _, where, file, line, col in getattr(module, "_SPEC_LOCATIONS", ()):
            if where in (path, f"{path}.duration") and line:
                return f"{file}:{line}:{col}"
        return self.task_name
