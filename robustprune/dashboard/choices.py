"""What the pages offer to choose from: models, datasets, methods, sparsity levels.

The default model and dataset are the embedded ones; ``$ROBUSTPRUNE_DEFAULT_MODEL`` and
``$ROBUSTPRUNE_DEFAULT_DATASET`` replace them (a demo on another model, or tests on tiny
local ones). A model is registered, of a cached run, in the data folder or a hub id; a
dataset is registered, an upload or a file in the data folder (``sources``: a page never
opens a server path taken from its URL). These functions say what is wrong with a choice
before a job is submitted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from robustprune.dashboard.sources import (UPLOAD_PREFIX, data_files, data_models, dataset_source, model_source,
                                           uploads)
from robustprune.data.registry import DATASETS, LOCAL_SUFFIXES
from robustprune.errors import RobustPruneError
from robustprune.figures.overview import METHOD_ORDER
from robustprune.models.registry import HUB_PREFIX, MODELS
from robustprune.prune import METHODS
from robustprune.store import RunStore

DEFAULT_MODEL_ENV = "ROBUSTPRUNE_DEFAULT_MODEL"
DEFAULT_DATASET_ENV = "ROBUSTPRUNE_DEFAULT_DATASET"
PAPER_SPARSITY_PERCENT = (30.0, 50.0, 70.0, 87.5)  # the levels of Li et al. (2023), Table 1


@dataclass(frozen=True)
class DataChoice:
    """A dataset as a page names it (a registered name, ``upload:<id>``, or a file in the data folder; see
    ``sources``), and a file's columns."""

    dataset: str
    text_column: str = "text"
    label_column: str = "label"

    @property
    def is_file(self) -> bool:
        return is_local_file(self.dataset)

    @property
    def source(self) -> str:
        """What ``load_task_data`` gets: the registered name, or the file's path; RobustPruneError when refused."""
        return dataset_source(self.dataset, default_dataset())

    def url_fields(self) -> dict:
        """The URL parameters of this choice (as the page names it)."""
        return {"dataset": self.dataset, "text_column": self.text_column, "label_column": self.label_column}

    def job_fields(self) -> dict:
        """The job parameters of this choice: the dataset resolved to what the worker loads."""
        return {**self.url_fields(), "dataset": self.source}


def default_model() -> str:
    return os.environ.get(DEFAULT_MODEL_ENV) or "minilm"


def default_dataset() -> str:
    return os.environ.get(DEFAULT_DATASET_ENV) or "rotten_tomatoes"


def is_local_file(dataset: str) -> bool:
    return dataset not in DATASETS and (dataset.startswith(UPLOAD_PREFIX)
                                        or Path(dataset).suffix.lower() in LOCAL_SUFFIXES)


def pruning_methods() -> list[str]:
    """Unstructured methods, then structured ones (K-prune, structured magnitude), the papers' first."""
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    known = {**METHODS, **STRUCTURED_METHODS}
    return [name for name in METHOD_ORDER if name in known] + sorted(set(known) - set(METHOD_ORDER))


def cached_models(store: RunStore | None = None) -> set[str]:
    return {model for (model,) in (store or RunStore()).index_values("model") if model}


def model_options(store: RunStore | None = None, *extra: str | None) -> list[str]:
    """Registered models, the data folder's model folders, models with cached runs, then ``extra`` names
    (e.g. from the URL)."""
    options = [default_model(), *MODELS, *data_models(), *sorted(cached_models(store))]
    options += [name for name in extra if name]
    return list(dict.fromkeys(options))


def dataset_options(*extra: str | None) -> list[str]:
    """Registered datasets, the data folder's files, uploads, then ``extra`` names (e.g. from the URL)."""
    return list(dict.fromkeys([default_dataset(), *DATASETS, *data_files(), *uploads(),
                               *(name for name in extra if name)]))


def model_choice_source(name: str, store: RunStore | None = None) -> str:
    """The model the pipeline gets for a model named on a page (``sources.model_source``)."""
    return model_source(name, cached_models(store), default_model())


def model_problem(name: str, store: RunStore | None = None) -> tuple[str, str] | None:
    """(level, message) when a model choice will not work, is refused, or needs the network; None when it is fine."""
    name = name.strip()
    if not name:
        return "error", "choose a model: a registered name or a model folder of the data folder"
    try:
        name = model_choice_source(name, store)
    except RobustPruneError as error:
        return "error", str(error)
    if name.startswith(HUB_PREFIX):
        return hub_lookup(name.removeprefix(HUB_PREFIX))
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
    return hub_lookup(name)  # a cached run's hub id, named before the dashboard marked them hub:


def hub_lookup(repo_id: str) -> tuple[str, str]:
    """The warning for a model that is looked up on the Hugging Face hub."""
    return "warning", (f"{repo_id} is neither registered ({', '.join(MODELS)}) nor a model folder of the data folder: "
                       "it is looked up in the local Hugging Face cache, then on the hub, which needs the network")


def sparsity_fraction(percent: float) -> float:
    """A slider's percentage as the fraction the configs take (87.5 -> 0.875, exactly): sparsity, FLOPs removed."""
    return round(float(percent) / 100.0, 6)


__all__ = ["DataChoice", "PAPER_SPARSITY_PERCENT", "default_model", "default_dataset",
           "is_local_file", "pruning_methods", "model_options", "dataset_options", "model_choice_source",
           "model_problem", "sparsity_fraction"]
