"""When a pruned model has stopped classifying: the collapse rule, so that no table reads it as robust.

A model that gives (nearly) every input the same label cannot be flipped by an attack: its
"accuracy under attack" is the share of the texts that happen to carry that label, which
reads like robustness and is not. A model is **collapsed** when

- one class takes at least ``MAX_CLASS_SHARE`` (90 %) of its predictions, or
- its accuracy is within ``MAJORITY_MARGIN`` (5 points) of the majority-class rate, the
  accuracy of always answering the most frequent true label, and there are enough texts to
  say so: the accuracy's Wilson 95 % interval does not reach ``2 × MAJORITY_MARGIN`` (10
  points) above that rate,

on the same texts. Tables flag such rows, and the Overview draws them hollow and leaves
their accuracy under attack out of the curves.

The first rule is what the model did on these texts, and holds on any number of them. The
second is an estimate: on 10 texts a model that is right on 6 of them scores the majority
rate of a 6-to-4 sample, and its interval (31-83 %) says nothing about whether it classifies.
Such a model is not flagged; its check carries a ``caveat`` naming how many texts would tell.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CLASS_SHARE = 0.90
MAJORITY_MARGIN = 0.05


@dataclass(frozen=True)
class CollapseCheck:
    collapsed: bool
    reason: str | None  # why, in one line, when collapsed
    largest_class_share: float  # the share of predictions in the most predicted class
    majority_rate: float  # the share of the most frequent true label
    accuracy: float
    examples: int
    caveat: str | None = None  # near the majority rate on too few texts to call it collapsed


def _interval_reaches_past_the_margin(accuracy: float, examples: int, majority: float) -> tuple[bool, float, float]:
    """Whether the accuracy's Wilson 95 % interval reaches 2 × MAJORITY_MARGIN above the majority rate."""
    from robustprune.stats.intervals import wilson_interval

    low, high = wilson_interval(round(accuracy * examples), examples)
    return high > majority + 2 * MAJORITY_MARGIN + 1e-9, low, high


def check_counts(prediction_counts: list[int], label_counts: list[int], accuracy: float,
                 label_names: list[str] | None = None, texts: str = "test texts") -> CollapseCheck:
    """The rule on counts: how often each class was predicted, and how often each is the true label."""
    examples = sum(prediction_counts)
    if not examples:
        return CollapseCheck(False, None, 0.0, 0.0, accuracy, 0)
    top = max(range(len(prediction_counts)), key=lambda label: prediction_counts[label])
    share = prediction_counts[top] / examples
    majority = max(label_counts) / max(sum(label_counts), 1)
    name = label_names[top] if label_names and top < len(label_names) else f"label {top}"
    reason = caveat = None
    if share >= MAX_CLASS_SHARE - 1e-9:
        reason = f"predicts {name} for {share:.0%} of the {examples} {texts}"
    elif abs(accuracy - majority) <= MAJORITY_MARGIN + 1e-9:  # inclusive, whatever the float rounding
        too_few, low, high = _interval_reaches_past_the_margin(accuracy, examples, majority)
        near = (f"accuracy {accuracy:.1%} is within {MAJORITY_MARGIN:.0%} of always answering the majority "
                f"class ({majority:.1%}) on the {examples} {texts}")
        if too_few:
            caveat = (f"{near}, but its 95 % interval ({low:.0%}-{high:.0%}) reaches more than "
                      f"{2 * MAJORITY_MARGIN:.0%} above it: too few texts to tell whether it collapsed")
        else:
            reason = near
    return CollapseCheck(reason is not None, reason, share, majority, accuracy, examples, caveat)


def check_predictions(predictions: list[int], labels: list[int], num_labels: int | None = None,
                      label_names: list[str] | None = None, texts: str = "test texts") -> CollapseCheck:
    """The rule on one prediction per text (and its true label)."""
    num_labels = num_labels or (max([*predictions, *labels], default=0) + 1)
    prediction_counts = [sum(p == label for p in predictions) for label in range(num_labels)]
    label_counts = [sum(t == label for t in labels) for label in range(num_labels)]
    accuracy = sum(p == t for p, t in zip(predictions, labels)) / max(len(labels), 1)
    return check_counts(prediction_counts, label_counts, accuracy, label_names, texts)


__all__ = ["CollapseCheck", "check_counts", "check_predictions", "MAX_CLASS_SHARE", "MAJORITY_MARGIN"]
