"""The Overview's evidence for a pruned point under attack: its difference from its dense start's attack with the
same recipe, with the interval and p-value ``robustprune.stats.compare`` gives on the stored per-sentence outcomes."""

from __future__ import annotations

from robustprune.store import RunStore


class DenseComparisons:
    """A pruned model's attack against its dense start's attack with the same recipe, as hover text
    ("−6.0 points (−14.0, +2.0), p 0.21, paired"): ``robustprune.stats.compare`` on the stored per-sentence
    outcomes,
    each attack run read once (``OutcomeReader``). Of several attacks on the dense start, one on the same sentences
    is taken (a paired comparison); else the first, compared unpaired."""

    def __init__(self, store: RunStore, dense_attacks: dict) -> None:
        from robustprune.sweep.comparisons import OutcomeReader

        self.outcomes, self.dense_attacks = OutcomeReader(store), dense_attacks

    def __call__(self, info, dense_run_id: str) -> str:
        from robustprune.errors import RobustPruneError
        from robustprune.stats import compare

        candidates = self.dense_attacks.get((dense_run_id, info.recipe))
        if not candidates:
            return ""
        try:
            model = self.outcomes(info.run_id)
            references = [outcomes for outcomes in map(self.outcomes, [dense.run_id for dense in candidates])
                          if outcomes is not None]
        except RobustPruneError:  # an attack run stored without its per-example records: no comparison to draw
            return ""
        if model is None or not references:
            return ""
        reference = next((outcomes for outcomes in references if model.paired_with(outcomes)), references[0])
        return comparison_text(compare(model, reference, "accuracy_under_attack"))


def comparison_text(result) -> str:
    """``−6.0 points (−14.0, +2.0), p 0.21, paired``: a ``stats.Comparison`` as the hover reads it."""
    from robustprune.stats.text import points as signed

    p_value = f"p {result.p_value:.2g}" if result.p_value < 0.01 else f"p {result.p_value:.2f}"
    return (f"{signed(result.difference)} points ({signed(result.difference_low)}, {signed(result.difference_high)}),"
            f" {p_value}, {'paired' if result.paired else 'unpaired'}")


__all__ = ["DenseComparisons", "comparison_text"]
