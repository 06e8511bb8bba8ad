"""Models: a registry of short names, the loading path, and the one module that knows BERT's layout."""

from robustprune.models.registry import MODELS, load_classifier, resolve_model_source  # noqa: F401
