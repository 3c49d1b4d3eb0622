"""The README's instructions for the Ray tests are the commands CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_ray_commands_after_the_main_suite():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^(?:test -d \.venv-ray|RAY_AUTH_MODE=disabled \.venv-ray).*$", readme, flags=re.M)
    assert len(commands) == 2
    main_suite = ci.index("python -m pytest -q\n")
    for command in commands:
        assert command in ci and ci.index(command) > main_suite


def test_ci_runs_the_readme_code_checks_after_the_main_suite():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    checks = re.findall(r"^ruff check .*$", readme, flags=re.M)
    assert len(checks) == 1 and "mypy taskspec" in checks[0] and "ruff format --check" in checks[0]
    assert checks[0] in ci and ci.index(checks[0]) > ci.index("python -m pytest -q\n")


def test_ci_runs_the_readme_jax_library_commands_after_the_main_suite():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    venvs = r"\.venv-(?:gymnax|jaxrl)"
    commands = re.findall(rf"^(?:test -d {venvs}|TASKSPEC_REQUIRE=\S+ {venvs}/bin/python).*$", readme, flags=re.M)
    assert len(commands) == 4
    for command in commands:
        assert command in ci and ci.index(command) > ci.index("python -m pytest -q\n")


def test_ci_runs_the_readme_browser_commands_after_the_main_suite():
    """The browser stage installs Chromium and playwright and requires them: its tests cannot skip in CI."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    pattern = r"^(?:test -x /usr/bin/chromium|test -d \.venv-browser|TASKSPEC_REQUIRE=\S+ \.venv-browser/bin/python).*$"
    commands = re.findall(pattern, readme, flags=re.M)
    assert len(commands) == 3
    assert "apt-get install" in commands[0] and "[dev,browser]" in commands[1] and "vendor_jspsych" in commands[1]
    assert "TASKSPEC_REQUIRE=chromium" in commands[2] and "tests/test_browser.py" in commands[2]
    for command in commands:
        assert command in ci and ci.index(command) > ci.index("python -m pytest -q\n")
