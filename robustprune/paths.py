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
