"""Attack sentences the user brings, on the dense model and a pruned one side by side: the data behind the form.

The form's text is one sentence a line, each optionally prefixed with its label
(``positive: a terrible movie`` or ``1: a terrible movie``; the prefix counts as a label
only when it names one of the model's classes). Without labels the dense model's
predictions are the labels. It becomes two attack jobs on the same ``AttackTexts``: one
on the pruned run's dense parent, one on the pruned run (which also records the dense
model's predictions, so either side reads on its own).
"""

from __future__ import annotations

from robustprune.attack.run import AttackConfig
from robustprune.attack.texts import AttackTexts
from robustprune.errors import RobustPruneError
from robustprune.requests import AttackRequest
from robustprune.store import PRUNING_KINDS, RunStore

PASTED = "pasted"


def parse_pasted(text: str, classes: list[str]) -> AttackTexts:
    """``AttackTexts`` from the form's text (see the module docstring); one line of error when the lines mix
    labelled and unlabelled sentences, or hold none."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise RobustPruneError("no sentences: write one sentence a line")
    known = {name.lower() for name in classes} | {str(index) for index in range(len(classes))}
    texts, labels = [], []
    for line in lines:
        prefix, colon, rest = line.partition(":")
        if colon and prefix.strip().lower() in known and rest.strip():
            labels.append(prefix.strip())
            texts.append(rest.strip())
        else:
            labels.append(None)
            texts.append(line)
    given = [label is not None for label in labels]
    if any(given) and not all(given):
        missing = given.index(False) + 1
        raise RobustPruneError(f"line {missing} has no label but others do; label every line "
                               f"({', '.join(classes)}: sentence) or none (the dense model's predictions)")
    return AttackTexts(tuple(texts), tuple(labels) if all(given) else None, PASTED)


def side_by_side_requests(store: RunStore, pruned_run_id: str, recipe: str,
                          texts: AttackTexts) -> dict[str, AttackRequest]:
    """{"dense": the attack on the pruned run's dense parent, "pruned": the attack on the pruned run}."""
    record = store.require(pruned_run_id)
    if record.kind not in PRUNING_KINDS or not record.parent:
        raise RobustPruneError(f"run {pruned_run_id!r} is of kind '{record.kind}'; pick a pruning run")
    config = AttackConfig(recipe=recipe, num_examples=len(texts.texts))
    return {"dense": AttackRequest(record.parent, config, texts=texts),
            "pruned": AttackRequest(pruned_run_id, config, texts=texts)}


__all__ = ["PASTED", "parse_pasted", "side_by_side_requests"]
