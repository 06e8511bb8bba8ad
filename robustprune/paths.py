"""Where robustprune keeps its cache: ``$ROBUSTPRUNE_HOME`` or ``~/.cache/robustprune``."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "ROBUSTPRUNE_HOME"


def home() -> Path:
    """The root of the cache (runs, index, extracted data); created on first use."""
    root = Path(os.environ.get(HOME_ENV) or Path.home() / ".cache" / "robustprune")
    root.mkdir(parents=True, exist_ok=True)
    return root


def data_dir() -> Path:
    path = home() / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def output_file(path: str | os.PathLike, option: str, example: str) -> Path:
    """``path`` as a file robustprune can write, checked before any work is done (a report or a sweep's table
    should not be computed for minutes, then fail on its file name): not a folder, in a folder that exists and
    that this user may write to. ``option`` names the flag in the error (e.g. "-o"), ``example`` a file name that
    would do (e.g. "report.html")."""
    from robustprune.errors import RobustPruneError

    path = Path(path).expanduser()
    folder = path.parent
    if path.is_dir():
        raise RobustPruneError(f"{option} {str(path)!r} is a folder; pass a file name, e.g. {str(path / example)!r}")
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise RobustPruneError(f"cannot write {str(path)!r}: folder {str(folder)!r} {what}; pass a path in an "
                               "existing folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise RobustPruneError(f"cannot write {str(path)!r}: no permission to write there; pass a path in a folder "
                               "of yours")
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    """``text`` written to ``path`` through a temporary file beside it: never half-written, no temporary left."""
    from robustprune.errors import RobustPruneError

    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):  # a full disk, a read-only file system: what the system said
            raise RobustPruneError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
        raise
    return path


def process_umask() -> int:
    """This process's umask, read without changing it (``os.umask`` sets it, for every thread); 0o022 where the
    system does not say."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def permissions_as_created(folder: Path) -> None:
    """Give the files under ``folder`` the permissions a plain ``open`` gives (0o666 less the umask): some writers
    (safetensors' ``save_file``) create theirs readable by their owner only, which a store shared with a group, or
    read by another account, could not open."""
    mode = 0o666 & ~process_umask()
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.chmod(path, mode)
