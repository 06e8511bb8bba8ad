"""BERT-Attack (Li, Ma, Guo, Xue & Qiu, 2020).

BERT-ATTACK: Adversarial Attack Against BERT Using BERT. EMNLP 2020.
https://arxiv.org/abs/2004.09984

TextAttack's ``BERTAttackLi2020`` part for part: candidates from a masked LM at the
word's sub-word positions (top 8: TextAttack lowered the paper's 48 for run time),
at most 40 % of the words changed, sentence similarity >= 0.2 (cosine) to the original,
greedy search by [UNK]-replacement importance. Offline substitutions (see ``parts.py``):
the masked LM is the one given (the hub's bert-base-uncased by default, which offline
is only there if cached; see ``parts.py`` for the offline default), MiniLM for USE. The
stopwords are NLTK's list. The masked LM reads at most ``max_length`` tokens, as the
classifier does (TextAttack: 512).
"""

from __future__ import annotations

from robustprune.attack.recipes.parts import BuiltRecipe, RecipeParts

from textattack import Attack  # noqa: E402  (parts imported textattack after preparing NLTK data)
from textattack.constraints.overlap import MaxWordsPerturbed  # noqa: E402
from textattack.constraints.pre_transformation import RepeatModification  # noqa: E402
from textattack.goal_functions import UntargetedClassification  # noqa: E402
from textattack.search_methods import GreedyWordSwapWIR  # noqa: E402


def build(model_wrapper, parts: RecipeParts) -> BuiltRecipe:
    substitutions: dict[str, str] = {}
    transformation, named = parts.masked_lm_swap(method="bert-attack", max_candidates=8)
    substitutions.update(named)
    stopwords, named = parts.stopwords()
    substitutions.update(named)
    constraints = [RepeatModification(), stopwords, MaxWordsPerturbed(max_percent=0.4)]
    encoder, named = parts.sentence_encoder(threshold=0.2, metric="cosine", compare_against_original=True,
                                            window_size=None)
    substitutions.update(named)
    constraints.append(encoder)
    goal_function = UntargetedClassification(model_wrapper)
    search_method = GreedyWordSwapWIR(wir_method="unk")
    return BuiltRecipe("bert-attack", Attack(goal_function, constraints, transformation, search_method),
                       substitutions)
