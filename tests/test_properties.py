"""Property-based tests (hypothesis): whatever a spec says, taskspec answers with a SpecError or a working env.

The properties:

1. Mutations of every bundled task (a key deleted, a value of another type, two names
   swapped, an extreme number, a near-miss key, an expression replaced by a random one,
   a key inserted) either load or raise `taskspec.SpecError`, never another exception.
   A spec that loads gives an env whose constructor works or raises SpecError, that
   passes gymnasium's `check_env`, and that runs 200 steps raising nothing but SpecError.
2. The same for small specs generated from scratch (1-3 observation and action groups,
   1-4 periods, trial variables, inputs, targets, outcome and timeout rules), with and
   without random perturbations, and with random `make(...)` keyword arguments.
3. The same seed gives byte-identical observations and rewards in processes with
   different PYTHONHASHSEED values.
4. Every SpecError line reads `FILE:LINE:COL: ...` or `FILE: ...` and holds no traceback.

Each example runs under hypothesis' deadline and a hard alarm, so a hang fails the test.
The number of examples comes from a profile chosen by the environment variable
TASKSPEC_FUZZ: `ci` (the default, part of the normal suite, well under a minute) or `long`
(over 10,000 examples; run it with `python tests/fuzz_long.py`).
"""

from __future__ import annotations

import collections
import contextlib
import copy
import datetime
import functools
import json
import os
import re
import reprlib
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from gymnasium.utils.env_checker import check_env
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import taskspec
from taskspec import SpecError

ROOT = Path(__file__).resolve().parent.parent
MODCOG_SAMPLE = ("modcog.goseqr", "modcog.dmsintl", "modcog.dlydm1intr", "modcog.ctxdm2seql")  # as conftest.py
TASKS = [name for name in taskspec.list_tasks() if name in MODCOG_SAMPLE or not name.startswith("modcog.")]
TASK_FILES = {name: ROOT / "tasks" / f"{name}.yaml" for name in TASKS}

# ----- profiles ----------------------------------------------------------------------------------

settings.register_profile(
    "ci",
    max_examples=280,  # mutations of the bundled tasks in all; the other properties scale from it
    # A legitimate spec at the limits (a 100,000-step trial) takes up to ~9 s for load + check_env
    # + 200 steps on 2 cores; typical examples take 40 ms. The alarm below catches real hangs.
    deadline=datetime.timedelta(seconds=10),
    database=None,  # nothing written into the checkout; a failure prints its reproduce blob
    derandomize=True,  # CI runs the same examples every time; the long profile explores
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    # No shrinking in the fast profile: shrinking one failure can take minutes. The failing spec is
    # still printed (see the `note`s), and the regression tests at the end hold minimal reproducers.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.register_profile("long", settings.get_profile("ci"), max_examples=7000,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink], derandomize=False)
PROFILE = os.environ.get("TASKSPEC_FUZZ", "ci")
if PROFILE not in ("ci", "long"):
    raise ValueError(f"TASKSPEC_FUZZ must be 'ci' or 'long', got {PROFILE!r}")
BASE = settings.get_profile(PROFILE)
TOTAL = BASE.max_examples
# Mutations: the total shared by the bundled tasks, at least 5 each (ci: 280, long: 7000 in all).
MUTATION_SETTINGS = settings(BASE, max_examples=max(5, -(-TOTAL // len(TASKS))))
RANDOM_SPEC_SETTINGS = settings(BASE, max_examples=TOTAL * 4 // 7)  # 160 (ci), 4000 (long)
TEXT_SETTINGS = settings(BASE, max_examples=TOTAL // 7)  # 40 (ci), 1000 (long)

HARD_LIMIT_S = 60  # an example still running after this is a hang, even inside one slow call
STEPS = 200

# Examples run per property and how they ended; `python tests/fuzz_long.py` prints this.
STATS: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _write_stats() -> Iterator[None]:
    yield
    target = os.environ.get("TASKSPEC_FUZZ_STATS")
    if target:
        Path(target).write_text(json.dumps(dict(STATS), indent=1, sort_keys=True))


# ----- running a spec ------------------------------------------------------------------------------


class Hang(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` in the package can swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


LOCATED = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<rest>\S.*)$")
UNLOCATED = re.compile(r"^(?P<file>[^\n:]+): (?P<rest>\S.*)$")
TRACEBACK_TEXT = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|^\s+\^+\s*$", re.M)


def check_messages(exc: SpecError) -> None:
    """Property 4: every line of a SpecError is `FILE:LINE:COL: message` or `FILE: message`, no traceback."""
    text = str(exc)
    assert text.strip(), "a SpecError without any message"
    assert exc.problems, "a SpecError without problems"
    assert not TRACEBACK_TEXT.search(text), f"a SpecError message holds traceback text:\n{text}"
    for line in text.splitlines():
        match = LOCATED.match(line)
        if match:
            assert int(match["line"]) >= 1 and int(match["col"]) >= 1, f"line/column below 1 in: {line!r}"
            continue
        assert UNLOCATED.match(line), f"a SpecError line is neither 'FILE:LINE:COL: ...' nor 'FILE: ...': {line!r}"


SHORT = reprlib.Repr()
SHORT.maxlong = SHORT.maxstring = 60


def escaped(where: str, exc: BaseException) -> AssertionError:
    return AssertionError(f"{type(exc).__name__} escaped from {where} (only taskspec.SpecError may): {exc}")


def exercise(path: Path, kwargs: dict[str, Any] | None = None) -> str:
    """Load, construct, check and run the spec at `path`; the outcome, or an AssertionError naming the bug."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(HARD_LIMIT_S):
            warnings.simplefilter("ignore")
            return _exercise(path, kwargs or {})
    except Hang as exc:
        raise AssertionError(f"hang: the example {exc}") from None


def _exercise(path: Path, kwargs: dict[str, Any]) -> str:
    stage = "taskspec.load"
    try:
        cls = taskspec.load(path)
        stage = f"the env constructor cls(**{SHORT.repr(kwargs)})"
        env = cls(**kwargs)
    except SpecError as exc:
        check_messages(exc)
        return "rejected by load" if stage == "taskspec.load" else "rejected by the constructor"
    except Exception as exc:
        raise escaped(stage, exc) from exc
    try:
        check_env(env, skip_render_check=True)
    except SpecError as exc:  # a spec expression failing on some trial, reported at its line
        check_messages(exc)
        return "SpecError at run time"
    except AssertionError as exc:
        raise AssertionError(f"gymnasium's check_env fails: {exc}") from exc
    except Exception as exc:
        raise escaped("gymnasium's check_env (reset/step)", exc) from exc
    try:
        env.action_space.seed(0)
        ob, _ = env.reset(seed=0)
        check_layout(env)
        for k in range(STEPS):
            assert env.observation_space.contains(ob), f"observation outside the observation space: {ob!r}"
            action = env.gt_now if k % 3 == 0 else env.action_space.sample()
            ob, reward, terminated, truncated, info = env.step(action)
            assert isinstance(reward, float), f"reward is a {type(reward).__name__}"
            assert terminated is False and truncated is False
    except SpecError as exc:
        check_messages(exc)
        return "SpecError at run time"
    except AssertionError:
        raise
    except Exception as exc:
        raise escaped("env.reset/env.step", exc) from exc
    return "ran"


def check_layout(env: Any) -> None:
    """Every period of the current trial lies inside it: 0 <= start <= end <= trial length."""
    length = len(env.ob)
    for name in env.start_ind:
        start, end = env.start_ind[name], env.end_ind[name]
        assert 0 <= start <= end <= length, \
            f"period {name!r} spans steps {start}..{end} of a {length}-step trial (timing {env.timing})"


def dump(tree: Any, path: Path) -> str:
    text = yaml.safe_dump(tree, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return text


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for mutated specs, with a parent spec that `extends: parent.yaml` can find."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "parent.yaml").write_text(TASK_FILES["GoNogo"].read_text())
    return folder


# ----- values, names and expressions --------------------------------------------------------------

EXTREME_VALUES: list[Any] = [0, -1, 1, 1e308, -1e308, float("nan"), float("inf"), float("-inf"), ".nan", "nan",
                             "inf", 10**30, -(10**30), 10**400, 2**63, -(2**63) - 1, 5e-324, 1e-300, 0.5, -0.0]
EXTREME_TEXT = ["0", "-1", "1e308", "-1e308", "1e999", "10**30", "10**400", "10**10**10", "0 / 0", "-0.0", "1e-320",
                "2**63", "(-1)**0.5", "nan", "inf", "-inf"]
OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in", "not in",
             "is", "&", "|", "^", "<<", "@"]
FUNCTIONS = ["abs", "sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "arctan2", "floor", "ceil", "round", "sign",
             "mod", "minimum", "maximum", "clip", "where", "ring", "onehot", "arange", "sum", "mean", "circdist",
             "choice", "uniform", "integers", "bernoulli", "normal", "trunc_exp", "start", "end",
             "eval", "open", "getattr", "__import__", "print", "len", "int"]
BUILTIN_NAMES = ["dt", "t", "action", "target", "pi", "e", "inf", "True", "False", "None", "nan", "self", "np", "fn",
                 "_rng", "_n", "__class__", "x"]
NUMBERS = ["0", "1", "-1", "2", "0.5", "3", "100", "1e308", "1e-9", "10**30", "1e999"]
EXTENDS_REFS = ["PerceptualDecisionMaking", "GoNogo", "parent.yaml", "spec.yaml", "missing.yaml",
                "PerceptualDecisionMakingRT", "../", "/", ".", "sub/dir.yaml", "GoNogo-v0", "gonogo", "", " "]

safe_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=10)
scalars = st.one_of(st.integers(-3, 3), st.integers(), st.floats(), safe_text, st.booleans(), st.none(),
                    st.sampled_from(EXTREME_VALUES))
any_value = st.one_of(scalars, st.lists(scalars, max_size=3),
                      st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), scalars,
                                      max_size=2))
VALUE_KINDS = [bool, int, float, str, list, dict, type(None)]


def kind_values(kind: type) -> st.SearchStrategy[Any]:
    return {
        bool: st.booleans(), int: st.one_of(st.integers(-3, 3), st.integers(), st.sampled_from([10**30, 10**400])),
        float: st.one_of(st.floats(), st.sampled_from([1e308, -1e308, float("nan"), 0.5])),
        str: st.one_of(safe_text, st.sampled_from(["fixation", "stimulus", "1", "x", ".nan", "choice(2)"])),
        list: st.lists(scalars, max_size=3), dict: st.dictionaries(safe_text, scalars, max_size=2),
        type(None): st.none(),
    }[kind]


def spec_names(tree: Any) -> list[str]:
    """The names a spec defines (parameters, rewards, groups, variables, periods) and a near miss of each."""
    names: list[str] = []
    if isinstance(tree, dict):
        for section in ("params", "rewards", "observation", "action", "trial", "periods"):
            if isinstance(tree.get(section), dict):
                names += [k for k in tree[section] if isinstance(k, str) and k]
    return sorted(set(names) | {name[:-1] + name[-1].upper() for name in names}) or ["x"]


def expressions(names: list[str], periods: list[str]) -> st.SearchStrategy[str]:
    """Short expression texts: well-formed trees over the spec's names, or token soup."""
    period_names = periods or ["fixation"]
    atoms = st.one_of(
        st.sampled_from(names), st.sampled_from(BUILTIN_NAMES), st.sampled_from(NUMBERS),
        st.sampled_from(period_names).flatmap(lambda p: st.sampled_from([f"start('{p}')", f"end('{p}')"])),
        st.sampled_from(["'text'", "start('nope')", "start(x)", "end()", "[]", "()", "{}", "x.y", "lambda: 0"]),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(OPERATORS), inner).map(" ".join),
            st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3)).map(
                lambda f: f"{f[0]}({', '.join(f[1])})"),
            inner.map(lambda x: f"({x})"), inner.map(lambda x: f"-{x}"), inner.map(lambda x: f"not {x}"),
            st.tuples(inner, inner, inner).map(lambda x: f"{x[0]} if {x[1]} else {x[2]}"),
            st.tuples(inner, inner).map(lambda x: f"{x[0]}[{x[1]}]"),
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            inner.map(lambda x: f"choice({x}, p=[0.5, 0.5])"),
        )

    trees = st.recursive(atoms, extend, max_leaves=6)
    tokens = st.one_of(st.sampled_from(names), st.sampled_from(OPERATORS), st.sampled_from(FUNCTIONS),
                       st.sampled_from(NUMBERS), st.sampled_from(["(", ")", "[", "]", ",", "'", ":", "if", "else"]))
    soup = st.lists(tokens, min_size=1, max_size=8).map(" ".join)
    return st.one_of(trees, soup)


def near_misses(name: str) -> list[str]:
    out = {name + "s", name + "_", "_" + name, name.upper(), name.capitalize(), name.replace("_", "-"), name + " ",
           name[:-1] or "x", name[1:] or "y", name + name[-1:], name.replace("e", "a", 1)}
    for i in range(len(name) - 1):
        out.add(name[:i] + name[i + 1] + name[i] + name[i + 2:])
    out.discard(name)
    return sorted(out)


# ----- mutations ------------------------------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]
SECTIONS = ("params", "rewards", "observation", "action", "trial", "periods")
EXPRESSION_KEYS = {"value", "noise", "when", "reward", "performance", "duration"}


def node_paths(tree: Any) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            out.append((*path, key))
            walk(value, (*path, key))

    walk(tree, ())
    return out


def get(tree: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def put(tree: Any, path: tuple[Any, ...], value: Any) -> None:
    get(tree, path[:-1])[path[-1]] = value


def expression_paths(tree: Any) -> list[tuple[Any, ...]]:
    def is_expression(path: tuple[Any, ...]) -> bool:
        head = path[0]
        if head in ("trial", "observation", "action"):
            return len(path) == 2
        if head == "periods":
            return len(path) == 2 or path[-1] == "duration"
        return head in ("inputs", "target", "outcomes", "timeout") and path[-1] in EXPRESSION_KEYS
    return [p for p in node_paths(tree) if is_expression(p)]


def periods_of(tree: Any) -> list[str]:
    periods = tree.get("periods") if isinstance(tree, dict) else None
    return [p for p in periods if isinstance(p, str)] if isinstance(periods, dict) else []


def m_delete(draw: Draw, tree: Any) -> str:
    path = draw(st.sampled_from(node_paths(tree)))
    del get(tree, path[:-1])[path[-1]]
    return f"delete {path}"


def m_retype(draw: Draw, tree: Any) -> str:
    path = draw(st.sampled_from(node_paths(tree)))
    old = get(tree, path)
    kind = draw(st.sampled_from([k for k in VALUE_KINDS if not isinstance(old, k)]))
    put(tree, path, draw(kind_values(kind)))
    return f"retype {path} from {type(old).__name__} to {kind.__name__}"


def _swap_words(node: Any, swap: dict[str, str]) -> Any:
    pattern = re.compile(r"(?<![\w'])(" + "|".join(re.escape(k) for k in swap) + r")(?![\w'])")
    quoted = re.compile(r"'(" + "|".join(re.escape(k) for k in swap) + r")'")

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {swap.get(k, k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            value = quoted.sub(lambda m: f"'{swap[m[1]]}'", value)
            return pattern.sub(lambda m: swap[m[1]], value)
        return value

    return walk(node)


def m_swap(draw: Draw, tree: Any) -> str:
    """Swap two period / group / variable / parameter / reward names: keys only, order only, or everywhere."""
    sections = [s for s in SECTIONS if isinstance(tree.get(s), dict) and len(tree[s]) >= 2]
    if not sections:
        return "swap: nothing to swap"
    section = draw(st.sampled_from(sections))
    a, b = draw(st.lists(st.sampled_from(list(tree[section])), min_size=2, max_size=2, unique=True))
    mode = draw(st.sampled_from(["keys", "order", "everywhere"]))
    items = list(tree[section].items())
    if mode == "keys":
        tree[section] = {(b if k == a else a if k == b else k): v for k, v in items}
    elif mode == "order":
        i, j = [k for k, _ in items].index(a), [k for k, _ in items].index(b)
        items[i], items[j] = items[j], items[i]
        tree[section] = dict(items)
    else:
        swapped = _swap_words(tree, {a: b, b: a})
        tree.clear()
        tree.update(swapped)
    return f"swap {section} names {a!r} and {b!r} ({mode})"


def m_extreme(draw: Draw, tree: Any) -> str:
    numeric = [p for p in node_paths(tree) if isinstance(get(tree, p), (int, float))]
    texts = [p for p in expression_paths(tree) if isinstance(get(tree, p), str) and re.search(r"\d", get(tree, p))]
    choices = ["any"] + (["number"] if numeric else []) + (["in text"] if texts else [])
    how = draw(st.sampled_from(choices))
    if how == "in text":
        path = draw(st.sampled_from(texts))
        text = get(tree, path)
        spans = [m.span() for m in re.finditer(r"\d+(\.\d*)?(e-?\d+)?", text)]
        start, end = draw(st.sampled_from(spans))
        put(tree, path, text[:start] + draw(st.sampled_from(EXTREME_TEXT)) + text[end:])
        return f"extreme number inside {path}"
    path = draw(st.sampled_from(numeric if how == "number" else node_paths(tree)))
    value = draw(st.sampled_from(EXTREME_VALUES))
    put(tree, path, value)
    return f"extreme {value!r} at {path}"


def m_near_miss(draw: Draw, tree: Any) -> str:
    keyed = [p for p in node_paths(tree) if isinstance(p[-1], str)]
    path = draw(st.sampled_from(keyed))
    parent, old = get(tree, path[:-1]), path[-1]
    new = draw(st.sampled_from(near_misses(old)))
    items = [(new if k == old else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)
    return f"rename key {path} to {new!r}"


def m_expression(draw: Draw, tree: Any) -> str:
    paths = expression_paths(tree) or node_paths(tree)
    path = draw(st.sampled_from(paths))
    text = draw(expressions(spec_names(tree), periods_of(tree)))
    put(tree, path, text)
    return f"expression {path} = {text!r}"


def m_insert(draw: Draw, tree: Any) -> str:
    """Add a key or an entry: optional keys the bundled tasks do not use, new list items, unknown keys."""
    names, periods = spec_names(tree), periods_of(tree) or ["fixation"]
    expr = expressions(names, periods)
    period_ref = st.one_of(st.sampled_from(periods), st.lists(st.sampled_from(periods), max_size=3), st.none())
    options = {
        "action_type": st.sampled_from(["continuous", "discrete", "Continuous", ""]),
        "action_bounds": st.one_of(st.lists(st.sampled_from([-1, 1, 0, 1e308, -1e308, float("nan"), 2]),
                                            max_size=3), scalars),
        "extends": st.sampled_from(EXTENDS_REFS),
        "timeout": st.lists(st.fixed_dictionaries({"when": expr}, optional={"reward": expr, "performance": expr}),
                            max_size=2),
        "dt": st.sampled_from(EXTREME_VALUES + [1, 7, 0.3, "100", "dt"]),
        "params": st.dictionaries(st.sampled_from(names + ["n", "sigma"]), scalars, max_size=2),
        "unknown": any_value,
    }
    where = draw(st.sampled_from(["top", "section", "list", "item"]))
    if where == "top":
        key = draw(st.sampled_from(list(options)))
        tree[key] = draw(options[key])
        return f"insert top-level {key}"
    if where == "section":
        section = draw(st.sampled_from(SECTIONS))
        if not isinstance(tree.get(section), dict):
            tree[section] = {}
        name = draw(st.sampled_from(names + ["new", "t", "dt", "cos", "fixation", "1x", "a b", "x'y", ""]))
        value = draw(st.one_of(expr, scalars, st.fixed_dictionaries({"duration": expr}, optional={
            "after": st.sampled_from(periods + ["nope"])}), st.fixed_dictionaries({"default": scalars})))
        tree[section][name] = value
        return f"insert {section}.{name}"
    lists_ = [k for k in ("inputs", "target", "outcomes", "timeout") if isinstance(tree.get(k), list)]
    if where == "list" or not any(tree[k] for k in lists_):
        key = draw(st.sampled_from(["inputs", "target", "outcomes", "timeout"]))
        item = draw(st.fixed_dictionaries({}, optional={
            "during": period_ref, "where": st.sampled_from(names), "value": expr, "noise": expr, "when": expr,
            "reward": expr, "performance": expr, "end_trial": st.booleans()}))
        if not isinstance(tree.get(key), list):
            tree[key] = []
        tree[key].insert(draw(st.integers(0, len(tree[key]))), item)
        return f"insert an item into {key}"
    key = draw(st.sampled_from([k for k in lists_ if tree[k]]))
    i = draw(st.integers(0, len(tree[key]) - 1))
    if draw(st.booleans()):
        tree[key].append(copy.deepcopy(tree[key][i]))
        return f"duplicate {key}[{i}]"
    item_key = draw(st.sampled_from(["during", "where", "value", "noise", "when", "reward", "performance",
                                     "end_trial", "after", "duration"]))
    if isinstance(tree[key][i], dict):
        tree[key][i][item_key] = draw(st.one_of(expr, period_ref, st.booleans(), scalars))
    return f"set {key}[{i}].{item_key}"


MUTATIONS = {"delete": m_delete, "retype": m_retype, "swap": m_swap, "extreme": m_extreme, "near miss": m_near_miss,
             "expression": m_expression, "insert": m_insert}


def mutate(draw: Draw, tree: Any, count: int) -> list[str]:
    done = []
    for _ in range(count):
        if not isinstance(tree, dict) or not tree:
            break
        name = draw(st.sampled_from(sorted(MUTATIONS)))
        done.append(MUTATIONS[name](draw, tree))
    return done


@functools.cache
def bundled_tree(task: str) -> Any:
    return yaml.safe_load(TASK_FILES[task].read_text())


# ----- property 1: mutations of the bundled tasks ---------------------------------------------------


@pytest.mark.parametrize("task", TASKS)
@MUTATION_SETTINGS
@given(data=st.data())
def test_mutated_bundled_specs_load_or_raise_spec_error(task: str, data: st.DataObject, fuzz_dir: Path) -> None:
    tree = copy.deepcopy(bundled_tree(task))
    done = mutate(data.draw, tree, data.draw(st.sampled_from([1, 1, 1, 2, 3]), label="mutations"))
    # About one example in 50 (hypothesis favours the bounds 0 and 49, so test a middle value).
    if data.draw(st.integers(0, 49), label="replace the whole document") == 25:
        tree = data.draw(st.one_of(scalars, st.lists(scalars, max_size=2), st.just(tree.get("periods"))))
        done.append(f"document replaced by {tree!r}")
    path = fuzz_dir / "spec.yaml"
    text = dump(tree, path)
    note(f"mutations: {done}\n--- spec.yaml ---\n{text}")
    outcome = exercise(path)
    STATS[f"mutation: {outcome}"] += 1


# ----- property 2: specs from scratch ---------------------------------------------------------------

PARAM_POOL = ["n", "size", "sigma", "gain", "cohs", "flag", "k"]
VAR_POOL = ["gt", "coh", "side", "delay_ms", "x", "y", "z"]
REWARD_POOL = ["correct", "fail", "abort", "miss"]
OBS_POOL = ["fix_in", "stim", "cue", "ctx", "extra"]
ACT_POOL = ["fixate", "left", "right", "go", "choice"]
PERIOD_POOL = ["fixation", "stimulus", "delay", "decision", "cue"]


@st.composite
def random_specs(draw: Draw) -> tuple[dict[str, Any], dict[str, Any]]:
    """A small spec that looks valid, perhaps perturbed, and keyword arguments for the constructor."""
    dt = draw(st.one_of(st.sampled_from([1, 10, 20, 50, 80, 100, 0.5]), st.floats(5, 200)))
    spec: dict[str, Any] = {"task": draw(st.sampled_from(["Random", "random.task-2", "R"])), "dt": dt}

    params: dict[str, Any] = {}
    int_params: list[str] = []
    for name in draw(st.lists(st.sampled_from(PARAM_POOL), max_size=3, unique=True)):
        kind = draw(st.sampled_from(["int", "float", "list", "bool", "plain"]))
        if kind == "int":
            params[name] = {"default": draw(st.integers(1, 4)), "min": 1, "doc": "a size"}
            int_params.append(name)
        elif kind == "float":
            params[name] = {"default": draw(st.floats(0, 2)), "min": 0}
        elif kind == "list":
            params[name] = {"default": draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))}
        elif kind == "bool":
            params[name] = draw(st.booleans())
        else:
            params[name] = draw(st.integers(1, 3))
            int_params.append(name)
    if params:
        spec["params"] = params
    rewards = {r: draw(st.sampled_from([-1.0, -0.1, 0.0, 0.5, 1.0])) for r in
               draw(st.lists(st.sampled_from(REWARD_POOL), max_size=3, unique=True))}
    if rewards:
        spec["rewards"] = rewards

    size = st.one_of(st.integers(1, 4), st.sampled_from(int_params)) if int_params else st.integers(1, 4)
    observation = {g: draw(size) for g in draw(st.lists(st.sampled_from(OBS_POOL), min_size=1, max_size=3,
                                                        unique=True))}
    action = {g: draw(size) for g in draw(st.lists(st.sampled_from(ACT_POOL), min_size=1, max_size=3, unique=True))}
    spec["observation"], spec["action"] = observation, action
    continuous = draw(st.integers(0, 6)) == 0
    if continuous:
        spec["action_type"] = "continuous"
        low = draw(st.sampled_from([-1.0, 0.0, -5.0]))
        spec["action_bounds"] = [low, low + draw(st.sampled_from([1.0, 2.0, 10.0]))]

    trial: dict[str, Any] = {}
    int_vars: list[str] = []
    for name in draw(st.lists(st.sampled_from(VAR_POOL), max_size=3, unique=True)):
        template = draw(st.sampled_from(["choice", "choice_list", "uniform", "bernoulli", "integers", "normal",
                                         "trunc_exp", "derived", "constant", "param"]))
        earlier = list(trial)
        if template == "choice":
            trial[name] = f"choice({draw(size)})"
            int_vars.append(name)
        elif template == "choice_list":
            trial[name] = f"choice([{draw(st.integers(0, 2))}, {draw(st.integers(0, 2))}])"
            int_vars.append(name)
        elif template == "uniform":
            trial[name] = f"uniform({draw(st.integers(0, 5))}, {draw(st.integers(5, 10))})"
        elif template == "bernoulli":
            trial[name] = f"bernoulli({draw(st.sampled_from([0, 0.3, 0.5, 1]))})"
            int_vars.append(name)
        elif template == "integers":
            trial[name] = f"integers(0, {draw(st.integers(1, 3))})"
            int_vars.append(name)
        elif template == "normal":
            trial[name] = "normal(0, 1)"
        elif template == "trunc_exp":
            trial[name] = f"trunc_exp({draw(st.sampled_from([100, 300]))}, 100, {draw(st.sampled_from([200, 500]))})"
        elif template == "derived" and earlier:
            a = draw(st.sampled_from(earlier))
            trial[name] = draw(st.sampled_from([f"{a} + 1", f"1 if {a} == 1 else 0", f"abs({a}) * 2",
                                                f"maximum({a}, 0)", f"mod({a} + 1, 2)"]))
        elif template == "param" and params:
            trial[name] = draw(st.sampled_from(list(params)))
        else:
            trial[name] = draw(st.integers(0, 2))
            int_vars.append(name)
    if trial:
        spec["trial"] = trial

    periods: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(PERIOD_POOL), min_size=1, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["steps", "steps", "constant", "uniform", "choice", "trunc_exp", "variable",
                                     "after"]))
        if kind == "steps":
            duration: Any = dt * draw(st.integers(0, 5))
        elif kind == "constant":
            duration = draw(st.sampled_from([0, 100, 150, 333, 500]))
        elif kind == "uniform":
            duration = f"uniform({draw(st.integers(0, 3)) * 100}, {draw(st.integers(3, 6)) * 100})"
        elif kind == "choice":
            duration = "choice([100, 200, 300])"
        elif kind == "trunc_exp":
            duration = "trunc_exp(200, 100, 400)"
        elif kind == "variable" and trial:
            duration = f"100 * clip(abs({draw(st.sampled_from(list(trial)))}), 0, 3) + 100"
        else:
            duration = 200
        if kind == "after" and periods:
            duration = {"duration": duration, "after": draw(st.sampled_from(list(periods)))}
        periods[name] = duration
    if all(isinstance(d, (int, float)) and d < dt for d in periods.values()):
        periods[next(reversed(periods))] = dt * 2  # a trial needs at least one step
    spec["periods"] = periods
    period_names = list(periods)
    during = st.one_of(st.none(), st.sampled_from(period_names),
                       st.lists(st.sampled_from(period_names), min_size=1, max_size=3, unique=True))

    def value_for(width: Any) -> st.SearchStrategy[Any]:
        options: list[Any] = [1, 0.5, "0.5 + 0.1 * t / 1000", f"cos(ring({width})) * 0.5 + 0.5",
                              f"arange({width}) * 0.1"]
        options += [f"onehot({v}, {width})" for v in int_vars] + list(trial)
        options += [f"{p} * 0.1" for p in params if p not in int_params and not isinstance(params[p], bool)
                    and not isinstance(params[p].get("default") if isinstance(params[p], dict) else None, list)]
        options += [f"1 if t >= start('{p}') + dt else 0" for p in period_names]
        return st.sampled_from(options)

    inputs = []
    for _ in range(draw(st.integers(0, 3))):
        group = draw(st.sampled_from(list(observation)))
        item: dict[str, Any] = {"where": group}
        if draw(st.booleans()):
            item["during"] = draw(during)
        if draw(st.integers(0, 3)):
            item["value"] = draw(value_for(observation[group]))
        if draw(st.booleans()) or "value" not in item:
            item["noise"] = draw(st.sampled_from([0.1, 0, "0.1 / sqrt(dt)", "sigma" if "sigma" in params else 0.2]))
        inputs.append(item)
    if inputs:
        spec["inputs"] = inputs

    n_actions = len(action)  # a lower bound: every group has at least one action
    target_values: list[Any] = list(range(n_actions))
    target_values += [g for g in action if action[g] == 1]
    target_values += [v for v in int_vars]
    if continuous:
        target_values = [0.0, 0.5, "[" + ", ".join(["0.25"] * n_actions) + "]", "0.5 if t > 100 else 0"]
    targets = [{"during": draw(st.sampled_from(period_names)), "value": draw(st.sampled_from(target_values))}
               for _ in range(draw(st.integers(0, 2)))]
    if targets:
        spec["target"] = targets

    reward_values = list(rewards) + [0, 1, -0.5] + [f"{r} * 2" for r in rewards]
    first_group = next((g for g in action if action[g] == 1), next(iter(action)))
    conditions = [True, "action == target", f"action != {first_group}", f"action == {first_group}",
                  f"t >= start('{period_names[-1]}')", f"t - end('{period_names[0]}') > 100"]
    conditions += [f"action == target and {v} == 1" for v in int_vars]
    if continuous:
        conditions = [True, "t > 100", "sum(action) > 0"] + [f"{v} > 0" for v in trial]
    outcomes = []
    for _ in range(draw(st.integers(0, 4))):
        rule: dict[str, Any] = {"when": draw(st.sampled_from(conditions)),
                                "reward": draw(st.sampled_from(reward_values))}
        if draw(st.booleans()):
            rule["during"] = draw(during)
        if draw(st.booleans()):
            rule["performance"] = draw(st.sampled_from([0, 1]))
        if draw(st.booleans()):
            rule["end_trial"] = True
        outcomes.append(rule)
    if outcomes:
        spec["outcomes"] = outcomes
    timeouts = []
    for _ in range(draw(st.integers(0, 2))):
        rule = {"when": draw(st.sampled_from([True] + [f"{v} == 1" for v in trial]))}
        if draw(st.booleans()):
            rule["reward"] = draw(st.sampled_from(reward_values))
        if draw(st.booleans()):
            rule["performance"] = draw(st.sampled_from([0, 1]))
        timeouts.append(rule)
    if timeouts:
        spec["timeout"] = timeouts

    perturbations = draw(st.sampled_from([0, 0, 1, 1, 2]))
    spec["__mutations__"] = mutate(draw, spec, perturbations)
    kwargs: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:  # make(..., **overrides), possibly wrong
        for name in draw(st.lists(st.sampled_from(list(params) + ["dt", "rewards", "timing", "nope"]), max_size=2,
                                  unique=True)):
            if name == "rewards":
                kwargs[name] = draw(st.dictionaries(st.sampled_from(REWARD_POOL), scalars, max_size=2))
            elif name == "timing":
                kwargs[name] = draw(st.dictionaries(st.sampled_from(PERIOD_POOL), scalars, max_size=2))
            else:
                kwargs[name] = draw(st.one_of(scalars, st.lists(scalars, max_size=3)))
    return spec, kwargs


@RANDOM_SPEC_SETTINGS
@given(case=random_specs())
def test_random_specs_load_or_raise_spec_error(case: tuple[dict[str, Any], dict[str, Any]], fuzz_dir: Path) -> None:
    spec, kwargs = copy.deepcopy(case)
    done = spec.pop("__mutations__", [])
    path = fuzz_dir / "random.yaml"
    text = dump(spec, path)
    note(f"mutations: {done}\nconstructor arguments: {kwargs!r}\n--- random.yaml ---\n{text}")
    outcome = exercise(path, kwargs)
    STATS[f"random spec: {outcome}"] += 1


# ----- property 4 on raw text: broken YAML files -----------------------------------------------------

TEXT_SNIPPETS = ["\t", ":", ": ", "{", "}", "[", "]", "- ", "&a ", "*a", "<<: *a", "!!python/object:os.system ",
                 "!!binary ", "? ", "|", ">", "'", '"', "#", "%YAML 1.1\n", "---\n", "...\n", "\n  ", "\x00", "\x07",
                 "\ufeff", "\u2028", "é", "task: X\n", "dt: 0\n"]


@TEXT_SETTINGS
@given(data=st.data())
def test_corrupted_yaml_text_gives_located_errors(data: st.DataObject, fuzz_dir: Path) -> None:
    task = data.draw(st.sampled_from(TASKS), label="task")
    raw = TASK_FILES[task].read_bytes()
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        at = data.draw(st.integers(0, len(raw)), label="position")
        edit = data.draw(st.sampled_from(["delete", "insert", "duplicate line", "truncate", "bytes"]), label="edit")
        if edit == "delete":
            raw = raw[:at] + raw[at + data.draw(st.integers(1, 40)):]
        elif edit == "insert":
            raw = raw[:at] + data.draw(st.sampled_from(TEXT_SNIPPETS)).encode() + raw[at:]
        elif edit == "duplicate line" and raw:
            lines = raw.splitlines(keepends=True)
            i = data.draw(st.integers(0, len(lines) - 1))
            raw = b"".join(lines[: i + 1] + lines[i:])
        elif edit == "truncate":
            raw = raw[:at]
        else:
            raw = raw[:at] + data.draw(st.binary(min_size=1, max_size=4)) + raw[at:]
    path = fuzz_dir / "text.yaml"
    path.write_bytes(raw)
    note(f"--- text.yaml ---\n{raw.decode('utf-8', 'backslashreplace')}")
    outcome = exercise(path)
    STATS[f"corrupted text: {outcome}"] += 1


def test_bad_spec_messages_have_the_located_form() -> None:
    """Property 4 on the pinned bad specs: every line is located and traceback-free."""
    for spec in sorted((ROOT / "tests" / "bad_specs").glob("*.yaml")):
        with pytest.raises(SpecError) as info:
            taskspec.load(spec)
        check_messages(info.value)


# ----- property 3: determinism across processes ------------------------------------------------------

KITCHEN_SINK = """\
task: KitchenSink
dt: 20
params: {n: {default: 3, min: 2}, sigma: 0.3}
rewards: {correct: 1.0, fail: -0.5}
observation: {fix: 1, stim: n, ctx: 2}
action: {fixate: 1, choice: n}
trial:
  gt: choice(n)
  ctx_id: bernoulli(0.3)
  wait: trunc_exp(100, 40, 300)
  angle: ring(n)[gt] + normal(0, 0.1)
periods:
  fixation: uniform(40, 200)
  cue: {duration: 60, after: fixation}
  stimulus: choice([100, 200, 300])
  delay: wait
  decision: 100
inputs:
  - {during: [fixation, cue, stimulus, delay], where: fix, value: 1}
  - {during: stimulus, where: stim, value: "cos(ring(n) - angle) * 0.5 + 0.5", noise: sigma / sqrt(dt)}
  - {where: ctx, value: "onehot(ctx_id, 2)", noise: 0.01}
target:
  - {during: decision, value: "choice[gt]"}
outcomes:
  - {during: fixation, when: action != fixate, reward: fail, end_trial: true}
  - during: decision
    when: action == target
    reward: "correct * (1 - (t - start('decision')) / 1000)"
    performance: 1
    end_trial: true
  - {during: decision, when: action != fixate, reward: fail, performance: 0, end_trial: true}
timeout:
  - {when: ctx_id == 1, reward: fail, performance: 0}
"""

DETERMINISM_SCRIPT = r"""
import hashlib, json, struct, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
import taskspec

out = {}
for name in sys.argv[1:]:
    digest = hashlib.sha256(taskspec.compile_source(name).encode())
    env = taskspec.make(name)
    env.action_space.seed(1)
    actions = np.random.default_rng(12345)
    ob, info = env.reset(seed=0)
    digest.update(ob.tobytes())
    for k in range(300):
        if env.action_type == "continuous":
            action = actions.uniform(*env.action_bounds, size=env.action_space.shape).astype(np.float32)
        elif k % 4 == 0:
            action = env.gt_now
        else:
            action = int(actions.integers(env.action_space.n))
        ob, reward, terminated, truncated, info = env.step(action)
        digest.update(ob.tobytes())
        digest.update(struct.pack("<d?", reward, info["new_trial"]))
        digest.update(np.asarray(info["gt"]).tobytes())
    out[name] = digest.hexdigest()
print(json.dumps(out))
"""


def _run_determinism(hash_seed: str, names: list[str]) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-c", DETERMINISM_SCRIPT, *names], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_same_seed_same_bytes_in_any_process(tmp_path: Path) -> None:
    sink = tmp_path / "kitchen_sink.yaml"
    sink.write_text(KITCHEN_SINK)
    continuous = tmp_path / "continuous.yaml"
    continuous.write_text(KITCHEN_SINK.replace("task: KitchenSink", "task: Continuous")
                          .replace("action: {fixate: 1, choice: n}",
                                   "action: {fixate: 1, choice: n}\naction_type: continuous\n"
                                   "action_bounds: [-1, 1]")
                          .replace('value: "choice[gt]"', 'value: "onehot(gt + 1, n + 1) * 1.0"')
                          .replace("action != fixate", "sum(action) > 2")
                          .replace("action == target", "sum(action) < -2"))
    names = [*TASKS, str(sink), str(continuous)]
    first, second = _run_determinism("0", names), _run_determinism("4242", names)
    assert set(first) == set(names)
    differing = [name for name in names if first[name] != second[name]]
    assert not differing, f"different bytes for the same seed under another PYTHONHASHSEED: {differing}"


# ----- regressions: each bug the properties found, as its minimal spec -------------------------------

# Each case is the smallest spec (and `make` arguments) showing one bug; until the package is
# fixed these fail with "<Exception> escaped from ..." or a check_env assertion.

BASE_SPEC = """\
task: Repro
dt: 100
observation: {fixation: 1}
action: {fixation: 1, go: 1}
periods: {fixation: 100, decision: 100}
"""
HUGE = "1" + "0" * 400  # a YAML integer too large for a float


def _with(old: str, new: str) -> str:
    assert old in BASE_SPEC
    return BASE_SPEC.replace(old, new)


REGRESSIONS: dict[str, tuple[str, dict[str, Any]]] = {
    # Group sizes are evaluated in _group_sizes, which has no "# @" location markers, so errors escape raw.
    "size expression TypeError": (_with("{fixation: 1}", "{fixation: sqrt()}"), {}),
    "size expression IndexError": (_with("{fixation: 1}", "{fixation: '2[0]'}"), {}),
    "size expression inf": (_with("{fixation: 1}", "{fixation: inf}"), {}),
    "size expression nan": (_with("{fixation: 1}", "{fixation: 0 * inf}"), {}),
    "input where empty list": (BASE_SPEC + "inputs:\n  - {where: [], value: 1}\n", {}),
    # Rewards are converted with float() in step(), outside the located evaluation.
    "outcome reward is a list": (BASE_SPEC + "outcomes:\n  - {reward: '[1, 2]'}\n", {}),
    "outcome reward is a list parameter": (BASE_SPEC + "params: {cohs: [1, 2]}\noutcomes:\n  - {reward: cohs}\n", {}),
    "timeout reward is a list": (BASE_SPEC + "timeout:\n  - {reward: '[1, 2]'}\n", {}),
    "outcome reward huge integer": (BASE_SPEC + f"outcomes:\n  - {{reward: {HUGE}}}\n", {}),
    "timeout reward huge integer": (BASE_SPEC + f"timeout:\n  - {{reward: {HUGE}}}\n", {}),
    "period duration huge integer": (_with("decision: 100", f"decision: {HUGE}"), {}),
    # Durations overflow int64 steps silently: the period ends before it starts.
    "period duration 1e30": (_with("decision: 100", "decision: 1.0e+30"), {}),
    "tiny dt": (_with("dt: 100", "dt: 1.0e-300").replace("decision: 100", "decision: 1.0e+10"), {}),
    "action bounds beyond float32": (BASE_SPEC + "action_type: continuous\naction_bounds: [-1.0e+39, 1]\n", {}),
    # make(...) arguments: huge integers reach float().
    "make rewards huge integer": (BASE_SPEC + "rewards: {x: 1}\n", {"rewards": {"x": 10**400}}),
    "make dt huge integer": (BASE_SPEC, {"dt": 10**400}),
    "make timing huge integer": (BASE_SPEC, {"timing": {"decision": 10**400}}),
    "make float parameter huge integer": (BASE_SPEC + "params: {s: 1.0}\n", {"s": 10**400}),
    "make int parameter huge integer": (BASE_SPEC + "params: {k: 1}\n", {"k": 10**400}),
    "make list parameter huge integer": (BASE_SPEC + "params: {l: [1, 2]}\n", {"l": [10**400]}),
    # Non-finite values computed by expressions reach observations, rewards and targets: check_env fails.
    "NaN observation value": (BASE_SPEC + "inputs:\n  - {where: fixation, value: log(0 - 1)}\n", {}),
    "NaN observation noise": (BASE_SPEC + "inputs:\n  - {where: fixation, value: 1, noise: sqrt(0 - 1)}\n", {}),
    "NaN reward": (BASE_SPEC + "outcomes:\n  - {reward: log(0 - 1)}\n", {}),
    "NaN continuous target": (BASE_SPEC + "action_type: continuous\ntarget:\n  - {value: log(0 - 1)}\n", {}),
    # A control character in a key split the message in two lines (str.splitlines breaks at \x1e).
    "control character in a period's key": (_with("decision: 100", 'decision: {"\\x1e": 0}'), {}),
}


def test_regression_a_period_mapping_gets_the_errors_of_the_model_it_means(tmp_path: Path) -> None:
    """A period written as a mapping failed all three union members: pydantic's labels reached the path."""
    path = tmp_path / "spec.yaml"
    path.write_text(_with("decision: 100", "decision: {repeat: 2, periods: {a: 1}, x: 1}"))
    with pytest.raises(SpecError) as info:
        taskspec.load(path)
    check_messages(info.value)
    assert [p.message for p in info.value.problems] == ["unknown key 'x'; allowed keys: repeat, first, periods, insert"]


@pytest.mark.parametrize("text", ["hello\n", "- a\n", "42\n", "~\n", "[task, dt]\n"])
def test_regression_a_document_that_is_not_a_mapping(text: str, tmp_path: Path) -> None:
    """validate() refuses it, then _meaning_problems called data.items() on it: AttributeError."""
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    exercise(path)


def test_regression_yaml_reader_error_is_one_located_line(tmp_path: Path) -> None:
    """A control character in the file: PyYAML's ReaderError has no `problem`, and its str() spans two lines."""
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"\x00" + BASE_SPEC.encode())
    with pytest.raises(SpecError) as info:
        taskspec.load(path)
    check_messages(info.value)


@pytest.mark.parametrize("case", list(REGRESSIONS))
def test_regression(case: str, tmp_path: Path) -> None:
    text, kwargs = REGRESSIONS[case]
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    exercise(path, kwargs)


LOAD_IN_CHILD = """
import sys, taskspec
try:
    taskspec.load(sys.argv[1])
except taskspec.SpecError as exc:
    print("SpecError:", exc)
else:
    print("loaded")
"""


def load_in_child(spec: Path, gigabytes: int = 4, timeout: int = 60) -> None:
    """taskspec.load in a child process with an address-space limit and a timeout: for bugs that eat memory."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (gigabytes * 2**30, gigabytes * 2**30))

    try:
        result = subprocess.run([sys.executable, "-c", LOAD_IN_CHILD, str(spec)], capture_output=True, text=True,
                                timeout=timeout, preexec_fn=limit, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"hang: loading {spec.name} ran for over {timeout} s") from None
    last = (result.stderr.strip().splitlines() or [""])[-1]
    assert result.returncode == 0 and result.stdout.startswith(("SpecError: ", "loaded")), \
        f"only a SpecError may escape taskspec.load; exit code {result.returncode}, {last}"


needs_posix = pytest.mark.skipif(os.name != "posix" or not Path("/dev/zero").exists(), reason="needs rlimits")


@needs_posix
def test_extends_a_device_is_refused(tmp_path: Path) -> None:
    """`extends: /dev/zero`: the size check reads st_size (0 for a device), then reads forever."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("task: Zero\nextends: /dev/zero\n")
    load_in_child(spec)


@needs_posix
def test_continuous_targets_are_bounded_like_observations(tmp_path: Path) -> None:
    """MAX_BATCH_VALUES bounds the observation array, not the (n, T, actions) target array of continuous tasks."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(BASE_SPEC.replace("go: 1}", "move: 10000}\naction_type: continuous")
                    .replace("decision: 100}", "decision: 9999900}"))
    load_in_child(spec)
