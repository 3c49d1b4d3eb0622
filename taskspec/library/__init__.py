"""The door between compile time and run time: finding, loading, compiling and registering specs.

`load` runs the whole pipeline (load -> validate -> lower -> codegen) and execs the generated
source into a class, caching by spec text. Everything above the library (data, RL, tools, the
JAX backend) reaches the compiler through the names here. By purpose:

- `bundled`: the tasks and modifiers shipped with taskspec, and how a name finds one;
- `sources`: a spec's texts, its own and its parents', which a class is compiled from;
- `pipeline`: load -> extends -> validate -> lower on those texts, and what it gives (spec, IR, source);
- `classes`: the generated source exec'd into a class (a bounded cache), pickled as its texts;
- `making`: env instances, and the task behind what batch code is handed;
- `registry`: gymnasium ids.
"""

from __future__ import annotations

from .bundled import (
    MODIFIERS_DIR,
    SCHEMA_PATH,
    TASKS_DIR,
    is_path,
    modifier_files,
    resolve,
    resolve_modifier,
    task_files,
)
from .classes import MAX_COMPILED, class_from_sources, generated_warning_text, load, load_text, rebuild_env
from .making import as_env, make
from .pipeline import (
    REQUIRED_KEYS,
    browser_problems,
    compile_source,
    format_source,
    generate_js,
    jax_source,
    list_tasks,
    load_spec,
    lowered,
    task_ir,
)
from .registry import make_registered, register, register_all, registration_listeners
from .sources import Sources, spec_files

__all__ = [
    "MAX_COMPILED",
    "MODIFIERS_DIR",
    "REQUIRED_KEYS",
    "SCHEMA_PATH",
    "TASKS_DIR",
    "Sources",
    "as_env",
    "browser_problems",
    "class_from_sources",
    "compile_source",
    "format_source",
    "generate_js",
    "generated_warning_text",
    "is_path",
    "jax_source",
    "list_tasks",
    "load",
    "load_spec",
    "load_text",
    "lowered",
    "make",
    "make_registered",
    "modifier_files",
    "register",
    "register_all",
    "registration_listeners",
    "rebuild_env",
    "resolve",
    "resolve_modifier",
    "spec_files",
    "task_files",
    "task_ir",
]
