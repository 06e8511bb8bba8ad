"""TextBugger (Li, Ji, Du, Li & Wang, 2019).

TextBugger: Generating Adversarial Text Against Real-world Applications. NDSS 2019.
https://arxiv.org/abs/1812.05271

TextAttack's ``TextBuggerLi2018`` part for part: five bugs per word (insert a space,
delete, swap neighbouring characters, homoglyph, one of the 5 nearest counter-fitted
neighbours), sentence similarity >= 0.8 (angular) to the previous text, greedy search by
deletion importance. The character bugs need nothing downloaded. Offline substitutions
(see ``parts.py``): counter-fitted GloVe rebuilt offline for the paragram vectors of the
word bug (WordNet synonyms when no vectors can be had), MiniLM for USE. The stopwords
are NLTK's list (scikit-learn's only when NLTK's cannot be had, and then named).
"""

from __future__ import annotations

from robustprune.attack.recipes.parts import BuiltRecipe, RecipeParts

from textattack import Attack  # noqa: E402  (parts imported textattack after preparing NLTK data)
from textattack.constraints.pre_transformation import RepeatModification  # noqa: E402
from textattack.goal_functions import UntargetedClassification  # noqa: E402
from textattack.search_methods import GreedyWordSwapWIR  # noqa: E402
from textattack.transformations import (  # noqa: E402
    CompositeTransformation, WordSwapHomoglyphSwap, WordSwapNeighboringCharacterSwap,
    WordSwapRandomCharacterDeletion, WordSwapRandomCharacterInsertion)


class HomoglyphSwap(WordSwapHomoglyphSwap):
    """TextAttack's homoglyph bug, constructible from TextAttack 0.3.11's wheel.

    Its constructor fills the fixed homoglyph table TextBugger uses, then reads
    ``shared/intentional_homoglyphs.txt`` for the differential-evolution attack only; the
    0.3.11 wheel does not ship that file. Without it the table is all there is, as before.
    """

    def __init__(self, **kwargs):
        try:
            super().__init__(**kwargs)
        except FileNotFoundError:
            if not hasattr(self, "homos"):  # TextAttack changed its constructor: fail loudly
                raise


def build(model_wrapper, parts: RecipeParts) -> BuiltRecipe:
    substitutions: dict[str, str] = {}
    word_swap, named = parts.word_swap(max_candidates=5)
    substitutions.update(named)
    transformation = CompositeTransformation([
        WordSwapRandomCharacterInsertion(random_one=True, letters_to_insert=" ", skip_first_char=True,
                                         skip_last_char=True),
        WordSwapRandomCharacterDeletion(random_one=True, skip_first_char=True, skip_last_char=True),
        WordSwapNeighboringCharacterSwap(random_one=True, skip_first_char=True, skip_last_char=True),
        HomoglyphSwap(),
        word_swap,
    ])
    stopwords, named = parts.stopwords()
    substitutions.update(named)
    constraints = [RepeatModification(), stopwords]
    encoder, named = parts.sentence_encoder(threshold=0.8)
    substitutions.update(named)
    constraints.append(encoder)
    goal_function = UntargetedClassification(model_wrapper)
    search_method = GreedyWordSwapWIR(wir_method="delete")
    return BuiltRecipe("textbugger", Attack(goal_function, constraints, transformation, search_method),
                       substitutions)
