"""A file the user named for robustprune to write (``report -o``, ``sweep --csv``): checked before any work, then
written without harming what the name points at.

- A new name, or a regular file: written to a temporary file beside it and renamed over it (never half-written;
  the old file keeps its permissions). A read-only file is refused, not replaced.
- A symlink is followed: its target is what gets written (atomically, as above), as a shell's ``>`` would; the
  link itself stays. Replacing the link with a regular file would silently cut it from where it pointed.
- A character device or a FIFO (``/dev/stdout``, ``/dev/null``, a named pipe), and any name under ``/dev`` or
  ``/proc`` (``/dev/stdout`` redirected to a file), is written as a stream: renaming a file over it would replace
  the device node (as root, the system's ``/dev/null``), or the shell's file instead of appending to it. A block device (a disk) is
  refused: nothing robustprune writes belongs on one.
- A path inside the run store (``$ROBUSTPRUNE_HOME``) is refused: a report over ``index.sqlite`` breaks the store.

Every refusal is a ``RobustPruneError``: one line naming the path and what would work.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from robustprune import paths
from robustprune.errors import RobustPruneError


@dataclass(frozen=True)
class OutputFile:
    """Where a checked output goes: ``named`` is the path as the user gave it; ``target`` the regular file that is
    replaced atomically (a symlink's target), or None when ``named`` is a device or FIFO written as a stream."""

    named: Path
    target: Path | None


def name_too_long(path: str | os.PathLike) -> bool:
    """Whether the system refuses ``path`` for its length (a part over NAME_MAX, the whole over PATH_MAX)."""
    try:
        os.lstat(path)
    except OSError as error:
        return error.errno == errno.ENAMETOOLONG
    except ValueError:  # a NUL byte: not too long, refused elsewhere
        return False
    return False


def inside_store(path: Path) -> bool:
    store = paths.home().resolve()
    return path == store or path.is_relative_to(store)


def checked_output(path: str | os.PathLike, option: str, example: str) -> OutputFile:
    """``path`` as an output robustprune may write, checked before any work is done (a report or a sweep's table
    should not be computed for minutes, then fail on its file name). ``option`` names the flag in the error (e.g.
    "-o"), ``example`` a file name that would do (e.g. "report.html")."""
    named = Path(path).expanduser()
    if name_too_long(named):
        raise RobustPruneError(f"{option}: the name {str(named)[:60]!r}… is too long for a file (at most 255 "
                               "characters a part); pass a shorter one, e.g. " + repr(example))
    target = named.resolve()  # symlinks followed: the file that would be written
    if inside_store(target):
        raise RobustPruneError(f"{option} {str(named)!r} is inside the run store ({paths.HOME_ENV}); writing there "
                               f"could break it: pass a path outside it, e.g. {example!r}")
    try:
        status = os.stat(named)
    except (FileNotFoundError, NotADirectoryError):  # a new name (its folder is checked below)
        status = None
    except OSError as error:
        raise RobustPruneError(f"cannot write {str(named)!r}: {error.strerror or error}") from None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise RobustPruneError(f"{option} {str(named)!r} is a folder; pass a file name, e.g. "
                               f"{str(named / example)!r}")
    if status is not None and stat.S_ISBLK(status.st_mode):
        raise RobustPruneError(f"{option} {str(named)!r} is a block device (a disk); pass a file name, e.g. "
                               f"{example!r}")
    # a character device, a FIFO, a socket; or a name under /dev or /proc (/dev/stdout redirected to a file: the
    # shell's file, maybe opened to append, is written through its descriptor, not replaced by a new one)
    if status is not None and (not stat.S_ISREG(status.st_mode) or str(named).startswith(("/dev/", "/proc/"))):
        if not os.access(named, os.W_OK):
            raise RobustPruneError(f"cannot write {str(named)!r}: no permission to write it")
        return OutputFile(named, None)
    folder = target.parent
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise RobustPruneError(f"cannot write {str(named)!r}: folder {str(folder)!r} {what}; pass a path in an "
                               "existing folder")
    if status is not None and (not os.access(target, os.W_OK) or not status.st_mode & 0o222):  # root may write
        # anything: a file no one may write is read-only on purpose
        raise RobustPruneError(f"cannot write {str(named)!r}: the file is read-only; make it writable "
                               f"(chmod u+w) or pass another name, e.g. {example!r}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RobustPruneError(f"cannot write {str(named)!r}: no permission to write in {str(folder)!r}; pass a path "
                               "in a folder of yours")
    return OutputFile(named, target)


def write_output(output: OutputFile, text: str) -> Path:
    """``text`` written to ``output`` (from ``checked_output``): a stream, or a temporary file renamed over the
    target (no temporary left behind, whatever happens). Returns the path as the user named it."""
    try:
        if output.target is None:
            # "a": a reopened /dev/stdout that is the shell's file is neither truncated nor written over; a device
            # or FIFO ignores it
            with open(output.named, "a", encoding="utf-8") as stream:
                stream.write(text)
            return output.named
        replace_atomically(output.target, text)
    except OSError as error:  # a full disk, a read-only file system, a closed pipe: what the system said
        raise RobustPruneError(f"cannot write {str(output.named)!r}: {error.strerror or error}") from None
    return output.named


def replace_atomically(path: Path, text: str) -> None:
    """``text`` to a temporary file beside ``path``, then renamed over it, keeping an existing file's permissions."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        if path.exists():
            os.chmod(partial, stat.S_IMODE(path.stat().st_mode))
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


__all__ = ["OutputFile", "checked_output", "write_output", "name_too_long"]
