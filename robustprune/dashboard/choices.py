"""What the pages offer to choose from: models, datasets, methods, sparsity levels.

The default model and dataset are the embedded ones; ``$ROBUSTPRUNE_DEFAULT_MODEL`` and
``$ROBUSTPRUNE_DEFAULT_DATASET`` replace them (a demo on another model, or tests on tiny
local ones). Any model name (registered, local directory, hub id) and any dataset
(registered or a local CSV / JSONL / Parquet file) can be chosen; these functions say
what is wrong with a choice before a job is submitted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from robustprune.data.registry import DATASETS, LOCAL_SUFFIXES
from robustprune.errors import RobustPruneError
from robustprune.models.registry import MODELS
from robustprune.prune import METHODS
from robustprune.store import RunStore

DEFAULT_MODEL_ENV = "ROBUSTPRUNE_DEFAULT_MODEL"
DEFAULT_DATASET_ENV = "ROBUSTPRUNE_DEFAULT_DATASET"
PAPER_SPARSITY_PERCENT = (30.0, 50.0, 70.0, 87.5)  # the levels of Li et al. (2023), Table 1
METHOD_ORDER = ("krp", "sparsegpt", "wanda", "magnitude", "kprune", "structured-magnitude")  # the papers' first
SUBLAYER_LABELS = {"query": "Q", "key": "K", "value": "V", "attention_output": "O", "ffn_in": "FFN in",
                   "ffn_out": "FFN out"}


@dataclass(frozen=True)
class DataChoice:
    """A dataset as a job loads it: a registered name or a file path, and a file's columns."""

    dataset: str
    text_column: str = "text"
    label_column: str = "label"

    @property
    def is_file(self) -> bool:
        return is_local_file(self.dataset)

    def job_fields(self) -> dict:
        return {"dataset": self.dataset, "text_column": self.text_column, "label_column": self.label_column}


def default_model() -> str:
    return os.environ.get(DEFAULT_MODEL_ENV) or "minilm"


def default_dataset() -> str:
    return os.environ.get(DEFAULT_DATASET_ENV) or "rotten_tomatoes"


def is_local_file(dataset: str) -> bool:
    return dataset not in DATASETS and Path(dataset).suffix.lower() in LOCAL_SUFFIXES


def pruning_methods() -> list[str]:
    """Unstructured methods, then structured ones (K-prune, structured magnitude), the papers' first."""
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    known = {**METHODS, **STRUCTURED_METHODS}
    return [name for name in METHOD_ORDER if name in known] + sorted(set(known) - set(METHOD_ORDER))


def model_options(store: RunStore | None = None, *extra: str | None) -> list[str]:
    """Registered models, then models with cached runs, then ``extra`` names (e.g. from the URL)."""
    options = [default_model(), *MODELS]
    options += sorted({record.model for record in (store or RunStore()).list() if record.model})
    options += [name for name in extra if name]
    return list(dict.fromkeys(options))


def dataset_options(*extra: str | None) -> list[str]:
    """Registered datasets, then ``extra`` paths (e.g. from the URL)."""
    return list(dict.fromkeys([default_dataset(), *DATASETS, *(name for name in extra if name)]))


def model_problem(name: str) -> tuple[str, str] | None:
    """(level, message) when a model choice will not work, or needs the network; None when it is fine."""
    name = name.strip()
    if not name:
        return "error", "choose a model: a registered name or a local model directory"
    if name in MODELS and not MODELS[name].embedded:
        return "warning", f"{name} comes from the Hugging Face hub: it needs the network or a local hub cache"
    if name in MODELS:
        return None
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            return "error", f"{name} is a folder without a config.json; save a model there with save_pretrained"
        try:
            from robustprune.models.registry import load_config

            load_config(str(path))
        except RobustPruneError as error:
            return "error", str(error)
        return None
    if name.startswith(("/", ".", "~")) or name.count("/") > 1:  # a path; a hub id is "owner/name"
        return "error", f"model directory {name} does not exist"
    return "warning", (f"{name} is neither registered ({', '.join(MODELS)}) nor a local directory: it will be "
                       "looked up on the Hugging Face hub, which needs the network")


def sparsity_fraction(percent: float) -> float:
    """A slider's percentage as the fraction the configs take (87.5 -> 0.875, exactly): sparsity, FLOPs removed."""
    return round(float(percent) / 100.0, 6)


__all__ = ["DataChoice", "PAPER_SPARSITY_PERCENT", "SUBLAYER_LABELS", "default_model", "default_dataset",
           "is_local_file", "pruning_methods", "model_options", "dataset_options", "model_problem",
           "sparsity_fraction"]
