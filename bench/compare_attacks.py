"""Two stored attack runs compared as the tool compares a probe with its dense start: paired on the same sentences.

    python -m bench.compare_attacks MODEL_ATTACK REFERENCE_ATTACK [MODEL_ATTACK REFERENCE_ATTACK ...]

For pairs a frontier does not make itself: a pruned model of one dense start against another dense start (the
paper's setup, pruned from the soup, against the plain fine-tune), or two dense starts. Each pair prints its accuracy
under attack and clean accuracy with Wilson intervals and the difference with Newcombe's paired interval and the exact
McNemar p (``robustprune.stats.compare``; unpaired, and said so, when the two runs did not attack the same sentences).
"""

from __future__ import annotations

import sys

from robustprune.stats import attack_outcomes, compare
from robustprune.stats.text import difference_text
from robustprune.store import RunStore


def comparison_lines(store: RunStore, model_attack: str, reference_attack: str) -> list[str]:
    model, reference = (attack_outcomes(store.require(run_id)) for run_id in (model_attack, reference_attack))
    lines = [f"{model_attack} vs {reference_attack}:"]
    for metric in ("accuracy_under_attack", "clean_accuracy"):
        found = compare(model, reference, metric)
        lines.append(f"  {metric}: {found.accuracy:.1%} ({found.accuracy_low:.1%}–{found.accuracy_high:.1%}) vs "
                     f"{found.reference_accuracy:.1%} ({found.reference_low:.1%}–{found.reference_high:.1%}), n = "
                     f"{found.n}: {difference_text(found.difference, found.difference_low, found.difference_high, found.p_value, found.paired)}"
                     f" points ({found.interval_method}; {found.test})")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or len(argv) % 2:
        print("give attack run ids in pairs: MODEL_ATTACK REFERENCE_ATTACK", file=sys.stderr)
        return 2
    store = RunStore()
    for model_attack, reference_attack in zip(argv[::2], argv[1::2]):
        print("\n".join(comparison_lines(store, model_attack, reference_attack)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
