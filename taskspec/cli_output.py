"""Files the command line writes: never into a FIFO, a device or a directory, never over a spec it reads.

Every command that writes a file (`compile -o`, `dataset -o`, `new`, `plot -o`,
`psychometric -o`) writes a new file beside the target first and renames it over the target
only when the target is a regular file or nothing (a symbolic link there is replaced by the
file, never written through). Opening the target itself would block on a FIFO, write into a
device (as root, `-o /dev/null` would replace `/dev/null` for every process on the machine)
or destroy the spec being read; each of those is refused with one sentence (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from pathlib import Path


class OutputRefused(ValueError):
    """The target of `-o` is not a file this command may replace (a usage error, exit 2)."""


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def check_output(output: str | Path, reads: Sequence[Path] = (), what: str = "the spec") -> None:
    """Refuse a target that is not a regular file, a symbolic link or nothing, or that is a spec file read.

    `reads` are the spec files the command reads, `what` (e.g. "the spec") first, then every
    file it extends or applies as a modifier: writing over one would destroy a source of what is
    being written. `output` is shown as the user wrote it.
    """
    try:
        mode = os.lstat(output).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise OutputRefused(f"cannot write {output}: {exc.strerror or exc}") from None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OutputRefused(f"refusing to write {output}: it is {_kind(mode)}, not a regular file")
    folder = Path(output).parent
    if not folder.is_dir():
        raise OutputRefused(f"cannot write {output}: no such directory '{folder}'")
    if mode is None:
        return
    for k, source in enumerate(reads):
        try:
            same = os.path.samefile(output, source)  # resolved paths and hard links alike
        except OSError:
            continue  # a dangling link at the target, or a spec gone meanwhile: nothing to protect
        if same and k == 0:
            raise OutputRefused(f"refusing to overwrite {what} {source} (-o {output}); choose another output file")
        if same:
            raise OutputRefused(
                f"refusing to overwrite {source}, a spec file that {reads[0]} extends or applies (-o {output}); "
                "choose another output file"
            )


def write_output(
    output: str | Path, write: Callable[[Path], object], reads: Sequence[Path] = (), what: str = "the spec"
) -> None:
    """Run `write(temporary)` on a new file beside `output`, then rename it over `output`.

    The temporary name keeps the target's suffix (matplotlib picks a figure's format from it)
    and starts with a dot. The checks run again just before the rename, in case something
    appeared at the target while the file was written; the target is never left half-written.
    """
    check_output(output, reads, what)
    target = Path(output)
    temporary = target.with_name(f".{secrets.token_hex(4)}.{target.name}")
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # mode follows the umask
        write(temporary)
        check_output(output, reads, what)
        os.replace(temporary, output)
    except OSError as exc:
        raise OutputRefused(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def write_text(output: str | Path, text: str, reads: Sequence[Path] = (), what: str = "the spec") -> None:
    """`write_output` for a text file, in UTF-8."""
    write_output(output, lambda path: path.write_text(text, encoding="utf-8"), reads, what)
