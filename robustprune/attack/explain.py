"""One attack example explained, and cached: why the sparse model flips where the dense one does not.

For example i of an attack run on a pruned model, ``explain_example`` computes

* Integrated Gradients (``attribution.integrated_gradients``) of the dense and the sparse
  model on the original and on the perturbed text, all four for the probability of the
  example's true label, so that the rows compare: a word that pushes a model away from the
  true label is negative in its row;
* the cosine between the dense and the sparse model's hidden states at every layer
  (``attribution.layer_cosines``), on the original and on the perturbed text;

and stores them as a run of kind ``"attribution"`` (parent: the attack run), keyed by the
attack run, the example and the IG settings. The dashboard's worker runs it as a job
(``robustprune.requests.AttributionRequest``); a page only reads the cached run.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from robustprune.attack.attribution import IGSettings, TextAttribution, integrated_gradients, layer_cosines
from robustprune.attack.derived import attack_models, derived_run, require_attack
from robustprune.attack.records import AttackResult
from robustprune.errors import RobustPruneError
from robustprune.progress import Progress, silent
from robustprune.store import RunStore, run_id_for

EXPLANATION_KIND = "attribution"
EXPLANATION_VERSION = 1
SIDES = ("original", "perturbed")


@dataclass
class LayerAgreement:
    """cos(dense, sparse hidden states) at one layer on one text: mean over tokens, and the [CLS] token."""

    side: str
    layer: int
    cosine_tokens: float
    cosine_cls: float


@dataclass
class ExampleExplanation:
    attack_run_id: str
    index: int
    settings: IGSettings
    attributions: list[TextAttribution]  # (model, side) for every model of the attack, both sides
    layers: list[LayerAgreement] = field(default_factory=list)  # empty for an attack on the dense model only
    seconds: float = 0.0
    device: str = "cpu"
    run_id: str = ""

    def attribution(self, model: str, side: str) -> TextAttribution | None:
        return next((row for row in self.attributions if row.model == model and row.side == side), None)

    def save(self, directory: str | Path) -> None:
        """``explanation.json``: settings and the per-text totals; ``tokens.parquet`` and ``layers.parquet``."""
        import pandas as pd

        directory = Path(directory)
        head = {"attack_run_id": self.attack_run_id, "index": self.index, "settings": self.settings.to_dict(),
                "seconds": self.seconds, "device": self.device,
                "texts": [{key: value for key, value in asdict(row).items()
                           if key not in ("tokens", "words", "attributions")} for row in self.attributions]}
        (directory / "explanation.json").write_text(json.dumps(head, indent=2), encoding="utf-8")
        pd.DataFrame([{"model": row.model, "side": row.side, "position": position, "token": token, "word": word,
                       "attribution": value} for row in self.attributions
                      for position, (token, word, value) in enumerate(zip(row.tokens, row.words, row.attributions))],
                     columns=["model", "side", "position", "token", "word", "attribution"]
                     ).to_parquet(directory / "tokens.parquet")
        pd.DataFrame([asdict(row) for row in self.layers], columns=["side", "layer", "cosine_tokens", "cosine_cls"]
                     ).to_parquet(directory / "layers.parquet")

    @classmethod
    def load(cls, directory: str | Path, run_id: str = "") -> "ExampleExplanation":
        import pandas as pd

        directory = Path(directory)
        head = json.loads((directory / "explanation.json").read_text(encoding="utf-8"))
        tokens = pd.read_parquet(directory / "tokens.parquet")
        attributions = []
        for text in head["texts"]:
            rows = tokens[(tokens["model"] == text["model"]) & (tokens["side"] == text["side"])]
            rows = rows.sort_values("position")
            attributions.append(TextAttribution(**text, tokens=list(rows["token"]),
                                                words=[int(word) for word in rows["word"]],
                                                attributions=[float(value) for value in rows["attribution"]]))
        layers = [LayerAgreement(**row) for row in pd.read_parquet(directory / "layers.parquet").to_dict("records")]
        return cls(head["attack_run_id"], head["index"], IGSettings(**head["settings"]), attributions, layers,
                   head["seconds"], head["device"], run_id)


def explanation_key(attack_run_id: str, index: int, settings: IGSettings) -> dict:
    return {"attack": attack_run_id, "example": int(index), "ig": settings.to_dict(), "version": EXPLANATION_VERSION}


def explanation_run_id(attack_run_id: str, index: int, settings: IGSettings = IGSettings()) -> str:
    """The id the explanation of this example has (or will have): a page can look it up without computing."""
    return run_id_for(EXPLANATION_KIND, explanation_key(attack_run_id, index, settings))


def cached_explanation(store: RunStore, attack_run_id: str, index: int,
                       settings: IGSettings = IGSettings()) -> ExampleExplanation | None:
    record = store.get(explanation_run_id(attack_run_id, index, settings), verify=True)
    return None if record is None else ExampleExplanation.load(record.directory, record.run_id)


def explain_example(attack_run_id: str, index: int, settings: IGSettings = IGSettings(), store: RunStore | None = None,
                    device: str = "auto", progress: Progress = silent) -> ExampleExplanation:
    """Attributions of every model of the attack on both texts of example ``index``, and the models' per-layer
    cosine; from the cache, or computed now and cached."""
    from robustprune.device import describe_device

    settings.validate()
    store = store or RunStore()
    attack = require_attack(store, attack_run_id, "explain an attack run's example")
    key = explanation_key(attack_run_id, index, settings)
    cached = store.get(run_id_for(EXPLANATION_KIND, key))
    if cached is not None:
        return ExampleExplanation.load(cached.directory, cached.run_id)
    result = AttackResult.load(attack.directory / "attack")
    example = next((example for example in result.examples if example.index == index), None)
    if example is None:
        raise RobustPruneError(f"attack run {attack_run_id} has no example {index}; it has examples "
                               f"0 to {len(result.examples) - 1}")
    started = time.perf_counter()
    models, tokenizer = attack_models(store, attack, device)
    max_length = result.summary.max_length
    texts = {"original": example.original_text, "perturbed": example.perturbed_text}
    steps = 2 * len(models) + (2 if "sparse" in models else 0)
    attributions = []
    for name, model in models.items():
        for side in SIDES:
            attributions.append(integrated_gradients(model, tokenizer, texts[side], example.label, max_length,
                                                     settings, name, side))
            progress("explain", len(attributions), steps)
    layers = []
    if "sparse" in models:
        for number, side in enumerate(SIDES, 1):
            layers += [LayerAgreement(side, *row) for row in layer_cosines(models["dense"], models["sparse"],
                                                                           tokenizer, texts[side], max_length)]
            progress("explain", len(attributions) + number, steps)
    explanation = ExampleExplanation(attack_run_id, index, settings, attributions, layers,
                                     time.perf_counter() - started,
                                     describe_device(next(models["dense"].parameters()).device))
    with derived_run(store, EXPLANATION_KIND, key, attack) as writer:
        explanation.save(writer.directory)
        writer.summary.update({"attack_run_id": attack_run_id, "example": index, "settings": settings.to_dict(),
                               "seconds": explanation.seconds, "device": explanation.device})
    explanation.run_id = run_id_for(EXPLANATION_KIND, key)
    return explanation


__all__ = ["EXPLANATION_KIND", "LayerAgreement", "ExampleExplanation", "explanation_key", "explanation_run_id",
           "cached_explanation", "explain_example"]
