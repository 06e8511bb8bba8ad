"""TextFooler (Jin, Jin, Zhou & Szolovits, 2020).

Is BERT Really Robust? A Strong Baseline for Natural Language Attack on Text
Classification and Entailment. AAAI 2020. https://arxiv.org/abs/1907.11932

TextAttack's ``TextFoolerJin2019`` part for part: 50 nearest counter-fitted neighbours,
cosine >= 0.5 between word vectors, same part of speech (nouns and verbs
interchangeable), sentence similarity >= 0.840845057 (angular) in a 15-word window
against the previous text, greedy search by deletion importance. Offline substitutions
(see ``parts.py``): counter-fitted GloVe rebuilt offline for the paragram vectors (or
WordNet synonyms of the same part of speech and no word-distance constraint, when no
vectors can be had), spaCy's tagger for NLTK's where NLTK's is not installed, MiniLM
for USE. The stopwords are TextFooler's own list, as in TextAttack's recipe.
"""

from __future__ import annotations

from robustprune.attack.recipes.parts import BuiltRecipe, RecipeParts

from textattack import Attack  # noqa: E402  (parts imported textattack after preparing NLTK data)
from textattack.constraints.pre_transformation import (  # noqa: E402
    InputColumnModification, RepeatModification, StopwordModification)
from textattack.goal_functions import UntargetedClassification  # noqa: E402
from textattack.search_methods import GreedyWordSwapWIR  # noqa: E402

# The stopword list of TextFooler's released code, as TextAttack's recipe carries it.
TEXTFOOLER_STOPWORDS = frozenset("""
a about above across after afterwards again against ain all almost alone along already also
although am among amongst an and another any anyhow anyone anything anyway anywhere are aren
aren't around as at back been before beforehand behind being below beside besides between beyond
both but by can cannot could couldn couldn't d didn didn't doesn doesn't don don't down due
during either else elsewhere empty enough even ever everyone everything everywhere except first
for former formerly from hadn hadn't hasn hasn't haven haven't he hence her here hereafter
hereby herein hereupon hers herself him himself his how however hundred i if in indeed into is
isn isn't it it's its itself just latter latterly least ll may me meanwhile mightn mightn't mine
more moreover most mostly must mustn mustn't my myself namely needn needn't neither never
nevertheless next no nobody none noone nor not nothing now nowhere o of off on once one only
onto or other others otherwise our ours ourselves out over per please s same shan shan't she
she's should've shouldn shouldn't somehow something sometime somewhere such t than that that'll
the their theirs them themselves then thence there thereafter thereby therefore therein
thereupon these they this those through throughout thru thus to too toward towards under unless
until up upon used ve was wasn wasn't we were weren weren't what whatever when whence whenever
where whereafter whereas whereby wherein whereupon wherever whether which while whither who
whoever whole whom whose why with within without won won't would wouldn wouldn't y yet you you'd
you'll you're you've your yours yourself yourselves
""".split())


def build(model_wrapper, parts: RecipeParts) -> BuiltRecipe:
    substitutions: dict[str, str] = {}
    transformation, named = parts.word_swap(max_candidates=50)
    substitutions.update(named)
    constraints = [RepeatModification(), StopwordModification(stopwords=TEXTFOOLER_STOPWORDS),
                   InputColumnModification(["premise", "hypothesis"], {"premise"})]
    parts.sources["stopwords"] = "TextFooler's own list (in the recipe, as TextAttack's)"
    word_distance, named = parts.word_distance(min_cos_sim=0.5)
    substitutions.update(named)
    if word_distance is not None:
        constraints.append(word_distance)
    part_of_speech, named = parts.part_of_speech(allow_verb_noun_swap=True)
    substitutions.update(named)
    constraints.append(part_of_speech)
    # TextAttack's note: the paper says 0.7, the released code uses cos >= 0.5, i.e.
    # angular similarity 1 - arccos(0.5)/pi = 0.840845057, with a 15-word window.
    encoder, named = parts.sentence_encoder(threshold=0.840845057, metric="angular", compare_against_original=False,
                                            window_size=15, skip_text_shorter_than_window=True)
    substitutions.update(named)
    constraints.append(encoder)
    goal_function = UntargetedClassification(model_wrapper)
    search_method = GreedyWordSwapWIR(wir_method="delete")
    return BuiltRecipe("textfooler", Attack(goal_function, constraints, transformation, search_method), substitutions)
