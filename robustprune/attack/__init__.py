"""Adversarial attacks through TextAttack, offline: TextFooler, BERT-Attack, TextBugger.

Importing this package is cheap: ``textattack`` (14 s, and it reads NLTK data at import)
is imported on first use, after ``resources`` has put that data in place.
"""

from robustprune.attack.recipes import RECIPES, recipe_name  # noqa: F401
from robustprune.attack.records import (  # noqa: F401
    AttackExample,
    AttackResult,
    AttackSummary,
    LayerSimilarity,
    TransferExample,
    TransferSummary,
    WordSimilarity,
)
from robustprune.attack.run import AttackConfig, evaluate_transfer, run_attack  # noqa: F401
