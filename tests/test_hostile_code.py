"""Specs are data: no spec text, file name or path reaches executed code, and nothing is read
from outside the spec's own folder tree.

Each hostile case carries a payload that would create a marker file if it ever ran as Python;
every test checks that the marker never appears, and that the answer is a located SpecError
or a working env whose source holds the hostile text only inside `repr` literals.
"""

from __future__ import annotations

import ast
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import taskspec
from taskspec import SpecError, library

ROOT = Path(__file__).resolve().parent.parent
BASE = yaml.safe_load((ROOT / "tasks" / "GoNogo.yaml").read_text())


def payload(marker: Path) -> str:
    """Python that would create `marker` if it were ever executed."""
    return f"\nimport pathlib; pathlib.Path({str(marker)!r}).touch()\n#"


def spec_text(**changes: object) -> str:
    tree = {k: v for k, v in BASE.items() if k != "extends"}
    tree.update(changes)
    return yaml.safe_dump(tree, sort_keys=False)


def assert_only_checked_code(source: str) -> None:
    """The module is a docstring, the runtime import, one class and the location table; every
    identifier in it is plain ASCII (spec text can only sit inside string constants)."""
    tree = ast.parse(source)
    kinds = [type(node).__name__ for node in tree.body]
    assert kinds == ["Expr", "ImportFrom", "ClassDef", "Assign"], kinds
    for node in ast.walk(tree):
        for name in (getattr(node, "id", None), getattr(node, "name", None), getattr(node, "attr", None),
                     getattr(node, "arg", None)):
            if isinstance(name, str):
                assert name.isascii() and name.replace("_", "a").isalnum(), name


def run_everywhere(path: Path, marker: Path) -> None:
    """validate, info, make, gym.make-like loading, compile + import: a SpecError or success, no marker."""
    for call in (lambda: taskspec.load_spec(path), lambda: taskspec.make(path),
                 lambda: assert_only_checked_code(taskspec.compile_source(path))):
        try:
            call()
        except SpecError as exc:
            assert "Traceback" not in str(exc)
    try:
        source = taskspec.compile_source(path)
    except SpecError:
        pass
    else:
        namespace: dict[str, object] = {}
        exec(compile(source, "<compiled>", "exec"), namespace)  # importing `compile` output
    assert not marker.exists(), "spec text ran as code"


HOSTILE_NAMES = ['x\n', "x'", 'x"""', "a\nimport os", "None", "True", "false", "x y", "é", "ﬁ", "a\\b", "_x",
                 "x" * 65, "__import__", "class", "self", "TrialEnv"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("where", ["block", "period", "group", "variable", "param", "reward", "task", "tag"])
def test_hostile_names_are_refused_or_inert(tmp_path: Path, name: str, where: str) -> None:
    marker = tmp_path / "PWNED"
    hostile = name + payload(marker) if "\n" in name else name
    tree = {k: v for k, v in BASE.items()}
    if where == "block":
        tree["periods"] = {**BASE["periods"], hostile: {"repeat": 2, "periods": {"cue": 100}}}
    elif where == "period":
        tree["periods"] = {**BASE["periods"], hostile: 100}
    elif where == "group":
        tree["observation"] = {**BASE["observation"], hostile: 1}
    elif where == "variable":
        tree["trial"] = {**BASE["trial"], hostile: "uniform(0, 1)"}
    elif where == "param":
        tree["params"] = {**(BASE.get("params") or {}), hostile: 1}
    elif where == "reward":
        tree["rewards"] = {**BASE["rewards"], hostile: 1.0}
    elif where == "task":
        tree["task"] = hostile
    else:
        tree["tags"] = [hostile]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    run_everywhere(path, marker)


@pytest.mark.parametrize("name", ["None", "true", "false", "class", "TrialEnv", "fn"])
def test_task_names_that_are_python_words_compile(tmp_path: Path, name: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(spec_text(task=name))
    source = taskspec.compile_source(path)
    assert_only_checked_code(source)
    cls = taskspec.load(path)
    assert cls.task_name == name and cls.__name__.isidentifier() and cls.__name__ not in ("None", "True", "False")


def test_names_checked_with_fullmatch_refuse_a_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(spec_text(trial={**BASE["trial"], "coh\n": "uniform(0, 1)"}))
    with pytest.raises(SpecError, match="not a valid name"):
        taskspec.load_spec(path)


@pytest.mark.parametrize("stem", ['a"""b', "a\nimport os\nb", "a'b", "a\\b", "spec (1)", "a\rb", "a\x1bb"])
def test_file_names_never_reach_source(tmp_path: Path, stem: str) -> None:
    marker = tmp_path / "PWNED"
    folder = tmp_path / ("dir" + stem)
    folder.mkdir()
    path = folder / (stem + payload(marker).replace("/", "_") + ".yaml")
    path.write_text(spec_text())
    source = taskspec.compile_source(path)
    assert_only_checked_code(source)
    tree = ast.parse(source)
    constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert str(path) in constants  # the path travels as data: the location table
    assert str(path) not in ast.get_docstring(tree)  # type: ignore[operator]
    env = taskspec.make(path)
    env.reset(seed=0)
    env.step(0)
    # A spec that extends such a file is just as inert.
    child = folder / "child.yaml"
    child.write_text(f"extends: {path.name!r}\ntask: Child\n" if "\n" not in path.name and "\r" not in path.name
                     else "extends: plain.yaml\ntask: Child\n")
    (folder / "plain.yaml").write_text(spec_text())
    assert_only_checked_code(taskspec.compile_source(child))
    taskspec.make(child)
    assert not marker.exists()


def test_runtime_errors_are_located_per_spec_even_with_equal_file_names(tmp_path: Path) -> None:
    """Two specs with the same file name in different folders: each error points at its own line."""
    located = []
    for i, padding in enumerate(["", "\n\n\n"]):
        folder = tmp_path / f"d{i}"
        folder.mkdir()
        path = folder / "spec.yaml"
        path.write_text(padding + spec_text(params={"n": 1},
                                            trial={**BASE["trial"], "bad": "choice(arange(n))"}))
        env = taskspec.make(path, n=0)  # an empty choice: fails when trials are drawn
        with pytest.raises(SpecError) as info:
            env.new_trial()
        problem = info.value.problems[0]
        located.append((problem.file, problem.line))
    assert located[0][0] != located[1][0]
    assert located[1][1] == located[0][1] + 3


def test_bundled_names_resolve_only_to_the_bundled_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    impostor = spec_text(task="Impostor", description="not the bundled task")
    for name in ("GoNogo", "GoNogo.yaml"):
        (tmp_path / name).write_text(impostor)
    assert taskspec.make("GoNogo").task_name == "GoNogo"
    import gymnasium as gym

    assert gym.make("taskspec/GoNogo-v0").unwrapped.task_name == "GoNogo"
    (tmp_path / "child.yaml").write_text("extends: GoNogo\ntask: Child\n")
    assert taskspec.load_spec("child.yaml").description == taskspec.load_spec("GoNogo").description
    assert taskspec.make("./GoNogo.yaml").task_name == "Impostor"  # a path names the user's file


@pytest.mark.parametrize("reference", ["/etc/passwd", "../secret.yaml", "sub/../../secret.yaml", "/tmp/x.yaml",
                                       "secret.txt", "link/secret.yaml"])
def test_extends_stays_inside_the_spec_folder_tree(tmp_path: Path, reference: str) -> None:
    secret = "SECRET-VALUE-123"
    (tmp_path / "secret.yaml").write_text(f"task: x\npassword: {secret}\n")
    (tmp_path / "secret.txt").write_text(secret)
    project = tmp_path / "project"
    project.mkdir()
    (project / "sub").mkdir()
    (project / "link").symlink_to(tmp_path)
    child = project / "child.yaml"
    child.write_text(f"extends: {reference!r}\ntask: Child\n")
    with pytest.raises(SpecError) as info:
        taskspec.load_spec(child)
    text = str(info.value)
    assert secret not in text and "root:" not in text
    assert info.value.problems[0].path == "extends" and info.value.problems[0].line == 1


def test_extends_inside_the_tree_still_works(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.yaml").write_text(spec_text(task="Parent"))
    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / "child.yaml").write_text("extends: ../base/parent.yaml\ntask: Child\n")
    (tmp_path / "top.yaml").write_text("extends: base/parent.yaml\ntask: Top\n")
    assert taskspec.load_spec(tmp_path / "top.yaml").task == "Top"
    # From variants/ the parent lies outside the loaded spec's folder: refused.
    with pytest.raises(SpecError, match="inside the folder"):
        taskspec.load_spec(tmp_path / "variants" / "child.yaml")


def test_spec_text_can_extend_bundled_tasks_only() -> None:
    cls = taskspec.load_text("extends: GoNogo\ntask: FromText\n")
    assert cls.task_name == "FromText"
    with pytest.raises(SpecError, match="bundled tasks only"):
        taskspec.load_text("extends: parent.yaml\ntask: FromText\n")


def test_class_cache_follows_an_edited_parent(tmp_path: Path) -> None:
    parent, child = tmp_path / "parent.yaml", tmp_path / "child.yaml"
    parent.write_text(spec_text(task="Parent", rewards={**BASE["rewards"], "correct": 1.0}))
    child.write_text("extends: parent.yaml\ntask: Child\n")
    assert taskspec.make(child).rewards["correct"] == 1.0
    parent.write_text(spec_text(task="Parent", rewards={**BASE["rewards"], "correct": 7.0}))
    assert taskspec.make(child).rewards["correct"] == 7.0


def test_pickles_carry_every_text_and_read_no_file(tmp_path: Path) -> None:
    parent, child = tmp_path / "parent.yaml", tmp_path / "child.yaml"
    parent.write_text(spec_text(task="Parent", rewards={**BASE["rewards"], "correct": 3.0}))
    child.write_text("extends: parent.yaml\ntask: Child\n")
    env = taskspec.make(child)
    env.reset(seed=1)
    data = pickle.dumps(env)
    parent.write_text(spec_text(task="Parent", rewards={**BASE["rewards"], "correct": 9.0}))
    code = ("import pickle, sys; env = pickle.loads(sys.stdin.buffer.read());"
            "print(env.task_name, env.rewards['correct'], env.default_rewards['correct'])")
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, cwd="/",
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=True)
    assert out.stdout.split() == [b"Child", b"3.0", b"3.0"]


def test_first_loads_from_many_threads_create_one_class(tmp_path: Path) -> None:
    path = tmp_path / "threads.yaml"
    path.write_text(spec_text(task="Threads", description="made in threads"))
    classes: list[type] = []
    barrier = threading.Barrier(8)

    def load() -> None:
        barrier.wait()
        classes.append(taskspec.load(path))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(classes) == 8 and len({id(c) for c in classes}) == 1


def test_compiled_module_carries_its_locations_as_data() -> None:
    source = taskspec.compile_source("PerceptualDecisionMaking")
    assert "# @ " not in source and "tasks/PerceptualDecisionMaking.yaml" not in source.split("_SPEC_LOCATIONS")[0]
    namespace: dict[str, object] = {}
    exec(compile(source, "<compiled>", "exec"), namespace)
    table = namespace["_SPEC_LOCATIONS"]
    assert isinstance(table, tuple) and all(row[2] == "tasks/PerceptualDecisionMaking.yaml" for row in table)
    lines = source.splitlines()
    for number, path, *_ in table:  # each row points at its 'see' comment
        assert lines[number - 1].strip().startswith("# see _SPEC_LOCATIONS[")
        assert path.split(".")[0].split("[")[0] in ("observation", "action", "trial", "periods", "inputs",
                                                   "target", "outcomes", "timeout", "session", "state", "response")


ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


LONG = os.environ.get("TASKSPEC_FUZZ", "ci") == "long"  # `python tests/fuzz_long.py` runs this property too


@settings(max_examples=1500 if LONG else 60, deadline=None, derandomize=not LONG, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=ANY_TEXT, stem=ANY_TEXT, where=st.sampled_from(["block", "period", "group", "variable", "task"]))
def test_any_unicode_name_or_file_name_is_refused_or_inert(tmp_path_factory: pytest.TempPathFactory, name: str,
                                                          stem: str, where: str) -> None:
    folder = tmp_path_factory.mktemp("uni")
    marker = folder / "PWNED"
    key = name + payload(marker)
    tree = {k: v for k, v in BASE.items()}
    if where == "block":
        tree["periods"] = {**BASE["periods"], key: {"repeat": 1, "periods": {"cue": 100}}}
    elif where == "period":
        tree["periods"] = {**BASE["periods"], key: 100}
    elif where == "group":
        tree["observation"] = {**BASE["observation"], key: 1}
    elif where == "variable":
        tree["trial"] = {**BASE["trial"], key: "uniform(0, 1)"}
    else:
        tree["task"] = key
    safe_stem = stem.replace("/", "_").replace("\x00", "_")
    try:
        path = folder / (safe_stem + ".yaml")
        path.write_text(yaml.safe_dump(tree, sort_keys=False, allow_unicode=True))
    except (OSError, UnicodeEncodeError):
        return  # the file system refuses this name: nothing to load
    run_everywhere(path, marker)
    assert library.is_path(path)
