"""Which gymnax is installed, if any: its space classes and the shape of its `step`'s return.

taskspec does not depend on gymnax. When it is installed, a JaxEnv speaks its API so that the
code written against it runs unchanged: gymnax 1.0 returns `(obs, state, reward, terminated,
truncated, info)`; gymnax 0.0.x (the API rejax 0.1.3 and PureJaxRL were written for) returns
`(obs, state, reward, done, info)` with `done = terminated or truncated`. Without gymnax the
env follows gymnax 1.0.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

try:
    from gymnax.environments import spaces as gymnax_spaces
except ImportError:  # gymnax is optional (the `gymnax` and `jaxrl` extras)
    gymnax_spaces: Any = None  # type: ignore[no-redef]


def _installed_version() -> str | None:
    if gymnax_spaces is None:
        return None
    try:
        return metadata.version("gymnax")
    except metadata.PackageNotFoundError:  # importable from a source folder: the current API is assumed
        return None


GYMNAX_VERSION = _installed_version()
FIVE_VALUE_STEP = GYMNAX_VERSION is not None and GYMNAX_VERSION.split(".", 1)[0] == "0"
