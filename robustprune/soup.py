"""Robust dense start: a greedy weight average ("model soup") of fine-tuned candidates.

Li et al., "Towards Robust Pruning: An Adaptive Knowledge-Retention Pruning Strategy for
Language Models", EMNLP 2023, prune not one fine-tuned model but the weight average of
several, chosen greedily as in Wortsman et al., "Model soups", ICML 2022. With K
candidates θ_1 … θ_K fine-tuned from the same start θ_0 and a held-out score s:

    order the candidates by s, best first: θ_(1), …, θ_(K)
    S ← {θ_(1)};  for k = 2 … K:  if s(avg(S ∪ {θ_(k)})) ≥ s(avg(S)):  S ← S ∪ {θ_(k)}
    soup = avg(S) = (1/|S|) Σ_{θ ∈ S} θ

avg is the uniform mean of every floating-point tensor of the state dict; integer
buffers are the same in all candidates and are copied from the first. A candidate that
does not lower the held-out score joins (ties join), so a soup of one model is that model.
The paper's numbers (BERT-base, SST-2, clean / under TextFooler): single model
92.3 / 12.7, soup 91.4 / 30.4.

Deviations from the paper, each on purpose:

- Selection score. The paper ranks and admits by *accuracy under attack* on held-out
  data: criterion ``"attack"`` does that, with a TextAttack recipe (``attack_recipe``,
  TextBugger by default: it needs no downloads offline) on the first ``attack_examples``
  held-out texts, for every candidate and every trial average. It costs an attack per
  evaluation (minutes on a CPU for 50 texts), so the default here is clean held-out
  accuracy (criterion ``"clean"``): one forward pass per model.
- Grid. The paper fine-tunes ~10 candidates varying learning rate (1e-5–5e-5), optimiser
  (Adam, AdamW, SGD), seed, epochs (3–30), weight decay and adversarial training. Here the
  project's AdamW fine-tuning is varied in learning rate, epochs and max length (as
  multiples of a base ``FinetuneConfig``) with a distinct seed per candidate, K = 4 by
  default (a CPU budget). The grid is walked in mixed-radix order, the cheapest setting
  (learning rate) fastest, so the first few candidates cost about one base run each.
- Held-out data. A seeded slice of the *training* split (``heldout_fraction``); candidates
  are trained on the rest. The test split is never used to choose, only to report.
"""

from __future__ import annotations

import functools
import itertools
import random
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Callable, Mapping, Sequence

import torch

from robustprune.data import TaskData
from robustprune.device import describe_device, resolve_device
from robustprune.errors import RobustPruneError
from robustprune.evaluate import accuracy
from robustprune.evaluate import evaluate as evaluate_on
from robustprune.finetune import FinetuneConfig, FinetuneResult
from robustprune.dense import ensure_dense, model_fingerprint, resolve_data, run_lock
from robustprune.loading import load_dense
from robustprune.progress import Progress, silent
from robustprune.store import RunStore, run_id_for

SOUP_VERSION = 1  # bump when a change alters results
START_SEED = 0  # seeds the freshly initialised head, so that all candidates start from the same weights

StateDict = Mapping[str, torch.Tensor]
# criterion -> score(model, tokenizer, texts, labels, max_length, progress): higher is better
Criterion = Callable[..., float]


def clean_accuracy(model, tokenizer, texts: list[str], labels: list[int], max_length: int,
                   progress: Progress = silent) -> float:
    return accuracy(model, tokenizer, texts, labels, max_length, progress=progress)


def accuracy_under_attack(model, tokenizer, texts: list[str], labels: list[int], max_length: int,
                          progress: Progress = silent, *, recipe: str = "textbugger", examples: int = 50) -> float:
    """The paper's selection score: accuracy under ``recipe`` on the first ``examples`` texts."""
    from robustprune.attack.run import AttackConfig, run_attack

    config = AttackConfig(recipe=recipe, num_examples=min(examples, len(texts)), max_length=max_length,
                          similarity=False)
    return run_attack(model, tokenizer, texts, labels, config, progress=progress).summary.accuracy_under_attack


SELECTION_CRITERIA: dict[str, Criterion] = {"clean": clean_accuracy, "attack": accuracy_under_attack}
KNOWN_CRITERIA = tuple(SELECTION_CRITERIA)


@dataclass(frozen=True)
class SoupConfig:
    """Everything that determines a soup (part of its cache key)."""

    candidates: int = 4  # K; the paper uses about 10
    base: FinetuneConfig = FinetuneConfig()  # batch size, weight decay, warm-up; the grid scales it
    learning_rate_factors: tuple[float, ...] = (1.0, 0.5, 2.0)  # × base.learning_rate
    max_length_factors: tuple[float, ...] = (1.0, 0.5)  # × the base max length, for training only
    epoch_factors: tuple[float, ...] = (1.0, 2.0)  # × base.epochs
    heldout_fraction: float = 0.1  # of the training split, for selection; candidates train on the rest
    heldout_seed: int = 0
    criterion: str = "clean"  # "clean": held-out accuracy; "attack": accuracy under attack (the paper's)
    attack_recipe: str = "textbugger"  # criterion "attack" only
    attack_examples: int = 50  # criterion "attack" only: held-out texts attacked per evaluation

    def __post_init__(self) -> None:
        if self.candidates < 1:
            raise RobustPruneError(f"a soup needs at least 1 candidate, got {self.candidates}")
        if not 0.0 < self.heldout_fraction < 1.0:
            raise RobustPruneError(f"held-out fraction {self.heldout_fraction} must be in (0, 1)")
        if self.criterion not in KNOWN_CRITERIA:
            raise RobustPruneError(f"unknown soup criterion {self.criterion!r}; use one of {', '.join(KNOWN_CRITERIA)}")
        if self.criterion == "attack":
            from robustprune.attack.recipes import recipe_name

            recipe_name(self.attack_recipe)  # an unknown recipe fails here, before any fine-tuning
            if self.attack_examples < 1:
                raise RobustPruneError(f"the held-out texts attacked per evaluation (attack_examples; CLI "
                                       f"--criterion-examples) must be at least 1, got {self.attack_examples}")
        factors = self.learning_rate_factors + self.max_length_factors + self.epoch_factors
        if not (self.learning_rate_factors and self.max_length_factors and self.epoch_factors) or min(factors) <= 0:
            raise RobustPruneError("every grid axis needs at least one factor, and factors must be > 0")

    def to_dict(self) -> dict:
        """Plain JSON values (lists, not tuples), so that a cached summary reads back equal. The attack settings
        only appear for criterion "attack" (a clean soup's cache key does not depend on them)."""
        fields = {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(self).items()}
        if self.criterion != "attack":
            fields = {name: value for name, value in fields.items() if not name.startswith("attack_")}
        return fields

    @classmethod
    def from_dict(cls, data: dict) -> "SoupConfig":
        data = dict(data)
        if isinstance(data.get("base"), dict):
            data["base"] = FinetuneConfig(**data["base"])
        for name in ("learning_rate_factors", "max_length_factors", "epoch_factors"):
            if name in data:
                data[name] = tuple(data[name])
        return cls(**data)


def candidate_configs(config: SoupConfig, max_length: int) -> list[FinetuneConfig]:
    """The K fine-tuning settings: the grid in mixed-radix order, a new seed for each candidate.

    Candidate 0 is the base setting itself. ``max_length`` is the soup's (evaluation) length;
    a factor below 1 trains on shorter truncations of the same texts.
    """
    base = config.base
    grid = list(itertools.product(config.epoch_factors, config.max_length_factors, config.learning_rate_factors))
    configs = []
    for index in range(config.candidates):
        epochs, length, rate = grid[index % len(grid)]
        configs.append(replace(base, learning_rate=base.learning_rate * rate, epochs=base.epochs * epochs,
                               seed=base.seed + index, max_length=max(8, round(max_length * length))))
    return configs


def selection_split(data: TaskData, config: SoupConfig) -> tuple[TaskData, list[str], list[int]]:
    """(data the candidates train on, held-out texts, held-out labels): a seeded, disjoint split of train.

    The returned TaskData keeps ``data``'s name and test split, and gets its own fingerprint,
    so that candidates are cached apart from fine-tunes on the whole training split.
    """
    size = len(data.train)
    heldout = round(size * config.heldout_fraction)
    if heldout < 1 or heldout >= size:
        raise RobustPruneError(f"held-out fraction {config.heldout_fraction} of {size} training texts leaves "
                               f"{heldout} for selection and {size - heldout} for training; both must be >= 1")
    chosen = sorted(random.Random(config.heldout_seed).sample(range(size), heldout))
    chosen_set = set(chosen)
    rest = [index for index in range(size) if index not in chosen_set]
    selection = data.train.select(chosen)
    reduced = replace(data, train=data.train.select(rest),
                      fingerprint=f"{data.fingerprint}|soup-train:{config.heldout_fraction}:{config.heldout_seed}")
    return reduced, selection["text"], selection["label"]


def uniform_average(state_dicts: Sequence[StateDict]) -> dict[str, torch.Tensor]:
    """The mean of each floating-point tensor (summed in float64, rounded once); others from the first."""
    if not state_dicts:
        raise RobustPruneError("nothing to average: no state dicts")
    first = state_dicts[0]
    for other in state_dicts[1:]:
        if other.keys() != first.keys():
            difference = sorted(set(other.keys()) ^ set(first.keys()))
            raise RobustPruneError(f"cannot average models with different parameters: {difference[:3]}")
    averaged = {}
    for name, tensor in first.items():
        if not tensor.is_floating_point():
            averaged[name] = tensor.clone()
            continue
        shapes = {tuple(state[name].shape) for state in state_dicts}
        if len(shapes) > 1:
            raise RobustPruneError(f"cannot average {name!r}: shapes differ ({sorted(shapes)})")
        total = torch.zeros(tensor.shape, dtype=torch.float64, device=tensor.device)
        for state in state_dicts:
            total += state[name].to(device=tensor.device, dtype=torch.float64)
        averaged[name] = (total / len(state_dicts)).to(tensor.dtype)
    return averaged


@dataclass
class GreedySoup:
    """What ``greedy_soup`` chose: indices into the candidates, and the average of the kept ones."""

    order: list[int]  # candidates by score, best first
    kept: list[int]  # in the order they joined
    scores: list[float]  # each candidate's own score
    trial_scores: dict[int, float]  # score of the average when candidate i was tried (the first: its own)
    state_dict: dict[str, torch.Tensor]
    score: float


def greedy_soup(state_dicts: Sequence[StateDict], evaluate: Callable[[StateDict], float],
                scores: Sequence[float] | None = None) -> GreedySoup:
    """Wortsman et al.'s greedy soup: add each candidate, best first, unless it lowers the score.

    ``evaluate`` scores a state dict on held-out data (higher is better); ``scores`` are the
    candidates' own scores when already known. Ties keep the earlier candidate first.
    """
    if not state_dicts:
        raise RobustPruneError("a soup needs at least one candidate")
    scores = [float(s) for s in scores] if scores is not None else [evaluate(state) for state in state_dicts]
    order = sorted(range(len(state_dicts)), key=lambda index: -scores[index])
    kept = [order[0]]
    soup, best = uniform_average([state_dicts[order[0]]]), scores[order[0]]
    trial_scores = {order[0]: best}
    for index in order[1:]:
        trial = uniform_average([state_dicts[i] for i in kept + [index]])
        trial_scores[index] = evaluate(trial)
        if trial_scores[index] >= best:
            kept.append(index)
            soup, best = trial, trial_scores[index]
    return GreedySoup(order, kept, scores, trial_scores, soup, best)


@dataclass
class SoupCandidate:
    run_id: str  # an ordinary fine-tune run (on the training split less the held-out slice)
    config: dict
    heldout_accuracy: float  # under the soup's criterion (clean, or under attack)
    test_accuracy: float  # its fine-tune run's, at its own training max length; reported, never used to choose
    kept: bool
    soup_heldout_accuracy_when_tried: float


@dataclass
class SoupResult:
    run_id: str
    model: str
    dataset: str
    criterion: str
    candidates: list[SoupCandidate]
    soup_heldout_accuracy: float
    soup_test_accuracy: float
    max_length: int
    heldout_examples: int
    train_examples: int
    test_examples: int
    seconds: float
    device: str
    config: dict
    cached: bool = False
    test_prediction_counts: list[int] | None = None  # per class, on the test split (None: soups made before)
    test_label_counts: list[int] | None = None

    @property
    def kept(self) -> int:
        return sum(candidate.kept for candidate in self.candidates)

    def to_dict(self) -> dict:
        return {**asdict(self), "kept": self.kept}

    @classmethod
    def from_dict(cls, data: dict) -> "SoupResult":
        names = {f.name for f in fields(cls)}
        data = {key: value for key, value in data.items() if key in names}
        data["candidates"] = [SoupCandidate(**candidate) for candidate in data.get("candidates", [])]
        return cls(**data)

    def as_dense(self) -> FinetuneResult:
        """The soup as a pruning run's dense start (``pipeline.prune`` reads these fields)."""
        return FinetuneResult(run_id=self.run_id, model=self.model, dataset=self.dataset,
                              accuracy=self.soup_test_accuracy, train_examples=self.train_examples,
                              test_examples=self.test_examples, seconds=self.seconds, device=self.device,
                              config={"max_length": self.max_length, "soup": self.config}, cached=self.cached)


def soup_key(model: str, data: TaskData, config: SoupConfig, max_length: int) -> dict:
    return {"model": model_fingerprint(model), "dataset": data.fingerprint, "soup": config.to_dict(),
            "max_length": max_length, "version": SOUP_VERSION}


def criterion_for(config: SoupConfig) -> Criterion:
    """The score function of ``config.criterion``, with its settings bound."""
    if config.criterion == "attack":
        return functools.partial(accuracy_under_attack, recipe=config.attack_recipe, examples=config.attack_examples)
    return SELECTION_CRITERIA[config.criterion]


def state_dict_of(model) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def candidate_runs(data: TaskData, config: SoupConfig) -> tuple[TaskData, list[FinetuneConfig]]:
    """(the data the candidates train on, their fine-tuning settings): what ``ensure_soup`` fine-tunes first.

    Each candidate is an ordinary cached fine-tune run (``ensure_candidate``), so they can be made
    beforehand, side by side (the sweep does), and the soup then finds them cached.
    """
    max_length = config.base.max_length or data.max_length
    return selection_split(data, config)[0], candidate_configs(config, max_length)


def ensure_candidate(model: str, train_data: TaskData, candidate: FinetuneConfig, device: str = "auto",
                     store: RunStore | None = None, progress: Progress = silent) -> FinetuneResult:
    """One soup candidate, from the cache or fine-tuned now."""
    # The new head is drawn from the global RNG: seed it so that every candidate starts from the
    # same weights (a soup averages models fine-tuned from one start); fork so callers' RNG is untouched.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(START_SEED)
        return ensure_dense(model, train_data, candidate, device, store, progress)


def ensure_soup(model: str = "minilm", dataset: str | TaskData = "rotten_tomatoes", config: SoupConfig | None = None,
                device: str = "auto", store: RunStore | None = None, progress: Progress = silent) -> SoupResult:
    """The greedy soup of (model, dataset): from the cache, or built now (candidates cached as fine-tunes)."""
    store = store or RunStore()
    data = resolve_data(dataset)
    config = config or SoupConfig()
    max_length = config.base.max_length or data.max_length
    key = soup_key(model, data, config, max_length)
    with run_lock(store, run_id_for("soup", key), progress):
        cached = store.get(run_id_for("soup", key), verify=True)
        if cached is not None:
            return SoupResult.from_dict({**cached.summary, "cached": True})
        return build_soup(model, data, config, key, device, store, progress)


def build_soup(model: str, data: TaskData, config: SoupConfig, key: dict, device: str, store: RunStore,
               progress: Progress) -> SoupResult:
    """Fine-tune the candidates (each cached as a fine-tune run), choose them greedily, write the soup run."""
    score = criterion_for(config)
    max_length = key["max_length"]
    torch_device = resolve_device(device)
    start = time.perf_counter()
    train_data, heldout_texts, heldout_labels = selection_split(data, config)
    runs = [ensure_candidate(model, train_data, candidate, device, store, progress)
            for candidate in candidate_configs(config, max_length)]
    probe, tokenizer = load_dense(runs[0].run_id, device, store)
    state_dicts = [state_dict_of(probe)] + [state_dict_of(load_dense(run.run_id, device, store)[0]) for run in runs[1:]]

    def evaluate(state: StateDict) -> float:
        probe.load_state_dict(state)
        return score(probe, tokenizer, heldout_texts, heldout_labels, max_length, progress)

    chosen = greedy_soup(state_dicts, evaluate)
    probe.load_state_dict(chosen.state_dict)
    on_test = evaluate_on(probe, tokenizer, data.test["text"], data.test["label"], max_length, progress=progress)
    soup_test_accuracy = on_test.accuracy
    candidates = [SoupCandidate(run.run_id, run.config, chosen.scores[i], run.accuracy, i in chosen.kept,
                                chosen.trial_scores[i]) for i, run in enumerate(runs)]
    result = SoupResult(run_id=run_id_for("soup", key), model=model, dataset=data.name, criterion=config.criterion,
                        candidates=candidates, soup_heldout_accuracy=chosen.score,
                        soup_test_accuracy=soup_test_accuracy, max_length=max_length,
                        heldout_examples=len(heldout_texts), train_examples=len(train_data.train),
                        test_examples=len(data.test), seconds=time.perf_counter() - start,
                        device=describe_device(torch_device), config=config.to_dict(),
                        test_prediction_counts=on_test.prediction_counts, test_label_counts=on_test.label_counts)
    with store.write("soup", key, model=model, dataset=data.name, method="soup") as run:
        probe.save_pretrained(run.directory / "model", safe_serialization=True)
        tokenizer.save_pretrained(run.directory / "model")
        # "accuracy" lets run listings (CLI, dashboard) show the soup beside fine-tunes
        run.summary.update({**result.to_dict(), "accuracy": soup_test_accuracy})
    return result


DENSE_STARTS = ("finetune", "soup")


def dense_start(start: str, model: str, data: TaskData, finetune_config: FinetuneConfig | None = None,
                soup_config=None, device: str = "auto", store: RunStore | None = None,
                progress: Progress = silent) -> FinetuneResult:
    """The dense model a pruning run starts from: one fine-tuned model, or the greedy soup of several.

    Without a ``soup_config`` the soup's candidates vary ``finetune_config`` (its base setting).
    """
    if start == "finetune":
        return ensure_dense(model, data, finetune_config, device, store, progress)
    if start == "soup":
        soup_config = soup_config or SoupConfig(base=finetune_config or FinetuneConfig())
        return ensure_soup(model, data, soup_config, device, store, progress).as_dense()
    raise RobustPruneError(f"unknown dense start {start!r}; use one of {', '.join(DENSE_STARTS)}")


__all__ = ["SoupConfig", "SoupResult", "SoupCandidate", "GreedySoup", "uniform_average", "greedy_soup",
           "ensure_soup", "candidate_configs", "candidate_runs", "ensure_candidate", "selection_split",
           "SELECTION_CRITERIA", "DENSE_STARTS", "dense_start"]
