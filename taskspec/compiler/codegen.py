"""Stage 4: IR to Python source.

Each generated method is built here as a list of lines from the IR: the spec names its
expressions read become local variables (bound as each method's scope says), expressions
are rendered from their checked trees (`render.py`), and literals go through `repr`. The
jinja2 template only lays out the class. The same source is exec'd at load time and
written by `compile`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2

from . import ir
from .codegen_flow import FlowMethods
from .codegen_rules import RuleMethods
from .codegen_settle import SettleMethods
from .codegen_text import Method, dict_lines, docstring, literal, loss_literal
from .codegen_trials import TrialMethods

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # noqa: S701 - this renders Python, not HTML; literals go through repr
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


class _Generator(TrialMethods, RuleMethods, FlowMethods, SettleMethods):
    """All the class's methods (each builder in its module) and its TaskInfo record."""

    def attributes(self) -> list[tuple[str, str]]:
        """The keyword arguments of the class's TaskInfo record, as source."""
        task = self.task
        params = "".join(
            f"\n            ParamInfo({p.name!r}, {p.kind!r}, {literal(p.default)}, {literal(p.low)}, "
            f"{literal(p.high)}, {literal(p.doc)}),"
            for p in task.params
        )
        fields = [
            ("name", repr(task.name)),
            ("dt", repr(task.dt)),
            ("paper", literal(task.paper)),
            ("url", literal(task.url)),
            ("tags", literal(task.tags)),
            ("params", f"({params}\n        )" if params else "()"),
            ("rewards", dict_lines(dict(task.rewards), 8)),
            (
                "timing",
                dict_lines({p.name: p.constant_ms if p.constant_ms is not None else p.text for p in task.periods}, 8),
            ),
            ("period_after", dict_lines({p.name: p.after for p in task.periods}, 8)),
            ("period_copy", dict_lines({p.name: p.copy for p in task.periods if p.copy is not None}, 8)),
            ("trial_variables", literal(tuple(v.name for v in task.variables))),
            ("session_variables", literal(tuple(s.name for s in task.session))),
            ("state_variables", literal(tuple(s.name for s in task.state))),
            ("input_groups", literal(tuple(i.groups for i in task.inputs))),
            ("state_inputs", literal(tuple(i.index for i in task.inputs if i.follows_state))),
            ("has_target", repr(bool(task.targets))),
            ("regression_groups", literal(tuple(r.groups for r in task.regression))),
            ("episode", repr(task.episode)),
            ("action_type", repr(task.action_type)),
            ("action_bounds", literal(task.action_bounds)),
            (
                "flow",
                dict_lines(
                    {p.name: (p.until is not None, p.then, p.otherwise) for p in task.periods if p.until or p.then},
                    8,
                ),
            ),
            ("goto_targets", literal(tuple(sorted({r.goto for r in task.rules if r.goto})))),
            ("reads_history", repr(task.reads_history)),
            (
                "history_reads",  # what `_session_next` reads of the finished trial (see Scope.kinds)
                literal(tuple(sorted(n for n, kind in self.kinds.items() if kind == "history"))),
            ),
            ("reads_performance", repr(task.reads_performance)),
            ("loss", loss_literal(task.loss)),
        ]
        defaults = {
            "paper": "None",
            "url": "None",
            "tags": "()",
            "params": "()",
            "rewards": "{}",
            "timing": "{}",
            "period_after": "{}",
            "period_copy": "{}",
            "trial_variables": "()",
            "session_variables": "()",
            "state_variables": "()",
            "input_groups": "()",
            "state_inputs": "()",
            "has_target": "False",
            "regression_groups": "()",
            "episode": "'continuing'",
            "action_type": "'discrete'",
            "flow": "{}",
            "goto_targets": "()",
            "reads_history": "False",
            "history_reads": "()",
            "reads_performance": "False",
            "action_bounds": "(-1.0, 1.0)",
            "loss": "None",
        }
        return [(name, value) for name, value in fields if defaults.get(name) != value]

    def methods(self) -> list[Method]:
        return [
            self.group_sizes(),
            *self.session(),
            self.sample_trials(),
            self.fill(),
            self.judge(),
            *self.state(),
            self.judge_all(),
            *self.until(),
            *self.timeout(),
            self.settle(),
        ]


def generate(task: ir.TaskIR, layout: Callable[[str], str] | None = None) -> str:
    """Python source of a module defining the task's env class.

    `layout` (e.g. a formatter) is applied before the table of spec locations is computed, so
    the table's line numbers are those of the module as written.
    """
    generator = _Generator(task)
    imports = ", ".join(["ParamInfo"] * bool(task.params) + ["TaskInfo", "TrialEnv", "fn"])
    source = _ENV.get_template("env.py.jinja").render(
        imports=imports,
        class_name=task.class_name,
        docstring=docstring(task.description),
        attributes=generator.attributes(),
        methods=generator.methods(),
    )
    if layout is not None:
        source = layout(source)
    source += generator.where.table(source)
    return layout(source) if layout is not None else source
