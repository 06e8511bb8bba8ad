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
