"""What an attack run records: plain dataclasses, saved as JSON (summary) and Parquet (rows).

Accuracies and rates are fractions in [0, 1]; TextAttack prints the same numbers as
percentages rounded to two decimals. ``avg_perturbed_word_percent`` is a percentage, as
its name says. A quantity with nothing to average over (every example skipped) is 0, as
TextAttack reports the success rate then.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

RESULT_STATUSES = ("succeeded", "failed", "skipped")


@dataclass
class AttackSummary:
    recipe: str                    # "textfooler", "bert-attack", "textbugger"
    recipe_label: str              # e.g. "textfooler (candidates: WordNet; ...; sentence encoder: MiniLM)"
    substitutions: dict[str, str]  # recipe part -> what replaced the downloaded original
    attacked_model: str            # "dense" or "sparse"
    num_examples: int              # succeeded + failed + skipped
    successful_attacks: int
    failed_attacks: int
    skipped_attacks: int           # the attacked model was already wrong: nothing to attack
    clean_accuracy: float          # (num_examples - skipped) / num_examples
    accuracy_under_attack: float   # failed / num_examples
    attack_success_rate: float     # succeeded / (succeeded + failed)
    avg_perturbed_word_percent: float  # over successful attacks: changed words / words * 100
    avg_num_words: float           # over all examples
    avg_num_queries: float         # over attacked (not skipped) examples, as TextAttack counts them
    wall_seconds: float            # the attack loop, without similarity and transfer records
    queries_computed: int          # model forward passes the wrapper ran (distinct texts)
    queries_cached: int            # queries answered from the wrapper's cache
    seed: int
    max_length: int
    device: str
    # every part TextAttack downloads -> where this run's came from (real or substitute); {} in results
    # recorded before attack version 3
    parts: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchOutcome:
    """What the search found for one example, before the models are asked about it (``search.py``).

    Plain data, so that outcomes computed in another process (a shard of a run) merge into
    one run. ``num_words`` and ``num_words_changed`` are what TextAttack's ``WordsPerturbed``
    metric reads (the original's word count; for a successful attack the words that differ).
    """

    index: int
    label: int
    result: str                      # one of RESULT_STATUSES
    original_text: str
    perturbed_text: str              # the original for a skipped example
    changed_word_indices: list[int]
    changed_word_pairs: list[list[str]]  # [original word, replacement] for each replaced word
    num_queries: int
    num_words: int
    num_words_changed: int


@dataclass
class AttackExample:
    """One attacked input. For a skipped example, ``perturbed_text`` is the original."""

    index: int                     # position in the texts given to run_attack
    label: int                     # ground truth
    result: str                    # one of RESULT_STATUSES
    original_text: str
    perturbed_text: str
    changed_word_indices: list[int]  # positions in the original text's words (TextAttack's word split)
    num_queries: int
    dense_label_original: int
    dense_confidence_original: float   # softmax probability of the predicted label
    dense_label_perturbed: int
    dense_confidence_perturbed: float
    sparse_label_original: int | None = None
    sparse_confidence_original: float | None = None
    sparse_label_perturbed: int | None = None
    sparse_confidence_perturbed: float | None = None


@dataclass
class TransferSummary:
    """Adversarial texts found against ``source``, evaluated on ``target``.

    ``transfer_rate`` = transferred / target_correct_on_original: of the successful
    adversarial examples whose original the target classifies correctly, the share whose
    adversarial text the target gets wrong.
    """

    source: str
    target: str
    num_adversarial: int
    target_correct_on_original: int
    transferred: int
    transfer_rate: float
    target_accuracy_on_adversarial: float   # over all num_adversarial texts


@dataclass
class TransferExample:
    """One adversarial text on a further target model (see ``evaluate_transfer``)."""

    index: int
    target: str
    label: int
    label_original: int
    confidence_original: float
    label_perturbed: int
    confidence_perturbed: float


@dataclass
class LayerSimilarity:
    """cos(h(x), h(x')) at one layer, for a successful example x and its adversarial x'.

    ``layer`` 0 is the embedding output, ``layer`` i the output of encoder block i.
    ``cosine_mean``: token states averaged over each text's attended tokens;
    ``cosine_cls``: the first ([CLS]) token's state.
    """

    index: int
    model: str
    layer: int
    cosine_mean: float
    cosine_cls: float


@dataclass
class WordSimilarity:
    """cos(e(w), e(w')) between a replaced word and its replacement in the model's input
    word-embedding matrix (a word split into sub-words: the mean of their rows)."""

    index: int
    model: str
    original_word: str
    perturbed_word: str
    cosine: float


@dataclass
class AttackResult:
    summary: AttackSummary
    examples: list[AttackExample] = field(default_factory=list)
    transfers: list[TransferSummary] = field(default_factory=list)
    transfer_examples: list[TransferExample] = field(default_factory=list)
    layer_similarities: list[LayerSimilarity] = field(default_factory=list)
    word_similarities: list[WordSimilarity] = field(default_factory=list)

    ROW_TABLES = {"examples": AttackExample, "transfer_examples": TransferExample,
                  "layer_similarities": LayerSimilarity, "word_similarities": WordSimilarity}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "AttackResult":
        return cls(summary=AttackSummary(**data["summary"]),
                   transfers=[TransferSummary(**row) for row in data.get("transfers", [])],
                   **{name: [kind(**row) for row in data.get(name, [])] for name, kind in cls.ROW_TABLES.items()})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "AttackResult":
        return cls.from_dict(json.loads(text))

    def save(self, directory: str | Path) -> Path:
        """``summary.json`` (summary and transfer summaries) and one Parquet file per row table."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        head = {"summary": asdict(self.summary), "transfers": [asdict(row) for row in self.transfers]}
        (directory / "summary.json").write_text(json.dumps(head, indent=2), encoding="utf-8")
        for name, kind in self.ROW_TABLES.items():
            rows = [asdict(row) for row in getattr(self, name)]
            columns = {column.name: [row[column.name] for row in rows] for column in fields(kind)}
            pq.write_table(pa.table(columns), directory / f"{name}.parquet")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "AttackResult":
        import pyarrow.parquet as pq

        directory = Path(directory)
        data = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        for name in cls.ROW_TABLES:
            data[name] = pq.read_table(directory / f"{name}.parquet").to_pylist()
        return cls.from_dict(data)

    def frame(self, name: str):
        """One row table as a pandas DataFrame, e.g. ``frame("layer_similarities")`` for plots."""
        import pandas as pd

        rows = getattr(self, name)  # column by column: asdict copied each of a paper-sized run's 8400 rows deeply
        return pd.DataFrame({field.name: [getattr(row, field.name) for row in rows]
                             for field in fields(self.ROW_TABLES[name])})
