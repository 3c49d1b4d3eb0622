"""Vendor jsPsych from the npm registry into taskspec/web/vendor/jspsych/: `python -m taskspec.web.vendor_jspsych`.

The experiment folder must run offline from disk, so jsPsych ships inside the package (the wheel
takes the vendored files as build artifacts) instead of coming from a CDN. This is the build
step that fetches it: `npm pack` of one pinned version, whose tarball must match the pinned
integrity (the registry's sha512) before anything is copied. The browser bundle and the stylesheet
are copied, and vendor/jspsych.json records the version, the integrity and each file's sha256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess  # noqa: S404 - runs npm, the registry's own client, with fixed arguments
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "8.3.0"
INTEGRITY = "sha512-UrwSVG14v8oRX6WFQ1L6uuGT0G7KgRDSH48iKIVIQI+yMRGAlvg+tEUNFKe/1xZxgk3kZiZ5xP0AnpPqPj1zkg=="
FILES = {"package/dist/index.browser.min.js": "jspsych.js", "package/css/jspsych.css": "jspsych.css"}
VENDOR = Path(__file__).parent / "vendor"
RECORD = VENDOR / "jspsych.json"


def integrity(data: bytes) -> str:
    """npm's integrity string (Subresource Integrity) of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def vendored() -> dict[str, str]:
    """{file name: sha256} of the vendored files, for checking them against the record."""
    return {name: hashlib.sha256((VENDOR / "jspsych" / name).read_bytes()).hexdigest() for name in FILES.values()}


def vendor(npm: str = "npm") -> dict[str, object]:
    """Fetch, check and copy jsPsych VERSION; returns the record written to vendor/jspsych.json."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(  # noqa: S603
            [npm, "pack", f"jspsych@{VERSION}", "--pack-destination", tmp, "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = Path(tmp) / f"jspsych-{VERSION}.tgz"
        data = tarball.read_bytes()
        if integrity(data) != INTEGRITY:
            raise RuntimeError(f"jspsych {VERSION}: the tarball's integrity {integrity(data)} is not the pinned one")
        target = VENDOR / "jspsych"
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            manifest = archive.extractfile("package/package.json")
            license_name = json.load(manifest)["license"] if manifest is not None else "unknown"
            for member, name in FILES.items():
                source = archive.extractfile(member)
                if source is None:
                    raise RuntimeError(f"jspsych {VERSION}: {member} is missing from the package")
                with source, open(target / name, "wb") as out:
                    shutil.copyfileobj(source, out)
    record: dict[str, object] = {
        "package": "jspsych",
        "version": VERSION,
        "license": license_name,
        "integrity": INTEGRITY,
        "files": vendored(),
    }
    RECORD.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    try:
        print(json.dumps(vendor(), indent=1))
    except (OSError, subprocess.CalledProcessError, RuntimeError) as exc:
        print(f"vendor_jspsych: {exc}", file=sys.stderr)
        sys.exit(1)
