"""Numbers with their uncertainty: intervals for accuracies and for differences between models.

``intervals.py`` holds the formulas (Wilson; Newcombe's paired and unpaired intervals for a
difference of proportions; the exact McNemar test), ``outcomes.py`` reads a stored attack
run's per-sentence outcomes, and ``compare.py`` compares two models, or K seeds of two
models, choosing the paired or the unpaired analysis from the sentences themselves;
``text.py`` writes them as people read them (signed points, interval, p).
"""

from robustprune.stats.compare import (Comparison, PooledComparison, compare, compare_over_seeds,  # noqa: F401
                                       wilson_accuracy)
from robustprune.stats.intervals import (mcnemar_exact_p, newcombe_paired_difference,  # noqa: F401
                                         newcombe_unpaired_difference, wilson_interval)
from robustprune.stats.outcomes import SentenceOutcomes, attack_outcomes  # noqa: F401
