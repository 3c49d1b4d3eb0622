"""Tasks as browser experiments: the same spec run by people in a page (issue 23)."""

from .scripts import BrowserRefused, browser_refusals, runtime_script, task_script

__all__ = ["BrowserRefused", "browser_refusals", "runtime_script", "task_script"]
