"""Build hook: vendor jsPsych from the npm registry when the wheel (or an editable install) is built.

`taskspec web` writes folders that run offline from disk, so jsPsych ships inside the package rather
than coming from a CDN. The files are git-ignored; this hook runs `taskspec/web/vendor_jspsych.py`
(pinned version, integrity checked) when they are missing or differ from their record. Without npm
the build goes on with a warning: everything but `taskspec web` works, and `taskspec web` says how
to vendor jsPsych later.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class VendorJsPsych(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        path = Path(self.root) / "taskspec" / "web" / "vendor_jspsych.py"
        spec = importlib.util.spec_from_file_location("taskspec_vendor_jspsych", path)
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # stdlib only: the build environment has no NumPy
        try:
            recorded = json.loads(module.RECORD.read_text(encoding="utf-8"))["files"]
            if module.vendored() == recorded:
                return
        except (OSError, ValueError, KeyError):
            pass
        try:
            module.vendor()
        except (OSError, subprocess.CalledProcessError, RuntimeError) as exc:
            self.app.display_warning(
                f"jsPsych was not vendored ({exc}); `taskspec web` needs it: "
                "run `python -m taskspec.web.vendor_jspsych` with npm on the PATH"
            )
