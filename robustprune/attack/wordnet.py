"""Word candidates and part of speech from WordNet 3.0, for machines without the downloads.

Part of speech. TextAttack tags with NLTK's perceptron tagger or flair's, both
downloaded. Offline the tag of a word is the part of speech of its most frequent WordNet
sense: for every synset of the word (after WordNet's own lemmatiser, ``morphy``), the
SemCor count of the word's lemma in it (``cntlist.rev``) is added to that synset's part
of speech, and the largest total wins (ties go to WordNet's order: noun, verb, adjective,
adverb). A word WordNet does not know is ``X``. The tag ignores context: "film" is a
noun in "a film" and in "they film it".

Candidates. For a word tagged P, the synonyms are the lemmas of its P synsets in WordNet
order (senses by frequency), single words only, put back into the word's inflection
with lemminflect (a TextAttack dependency): "movies" -> "films", "hated" -> "detested".
"""

from __future__ import annotations

from functools import lru_cache

from robustprune.attack import resources

textattack = resources.import_textattack()

from lemminflect import getAllInflections, getInflection  # noqa: E402
from nltk.corpus.reader.wordnet import WordNetCorpusReader  # noqa: E402
from textattack.constraints.grammaticality import PartOfSpeech  # noqa: E402
from textattack.shared.utils import is_one_word  # noqa: E402
from textattack.transformations import WordSwap  # noqa: E402
from textattack.transformations.word_swaps.word_swap_embedding import recover_word_case  # noqa: E402



class _WordNet30(WordNetCorpusReader):
    """NLTK's reader, minus the WordNet-3.0-to-loaded-version sense map built at start-up.

    NLTK 3.10 builds it whenever the data's version string is not the literal "wordnet"
    (so always), reading index.sense twice: 13 s here, for multilingual lookups only.
    The data is WordNet 3.0 itself, so the map would be the identity.
    """

    def map_wn(self, version="wordnet"):
        return None


@lru_cache(maxsize=1)
def _wordnet() -> WordNetCorpusReader:
    import warnings

    root = resources.prepare_nltk() / "corpora" / "wordnet"
    with warnings.catch_warnings():  # "multilingual functions are not available": not used
        warnings.simplefilter("ignore", UserWarning)
        return _WordNet30(str(root), None)


class _LazyWordNet:
    def __getattr__(self, name):
        return getattr(_wordnet(), name)


wordnet = _LazyWordNet()
UNIVERSAL = {"n": "NOUN", "v": "VERB", "a": "ADJ", "s": "ADJ", "r": "ADV"}
WORDNET_ORDER = ("n", "v", "a", "r")


@lru_cache(maxsize=2**16)
def wordnet_pos(word: str) -> str | None:
    """``n``/``v``/``a``/``r`` of the word's most frequent WordNet sense, ``None`` if unknown."""
    word = word.lower()
    totals: dict[str, int] = {}
    for synset in wordnet.synsets(word):
        pos = "a" if synset.pos() == "s" else synset.pos()
        base = wordnet.morphy(word, synset.pos()) or word
        count = sum(lemma.count() for lemma in synset.lemmas() if lemma.name().lower() in (word, base))
        totals[pos] = totals.get(pos, 0) + count
    if not totals:
        return None
    return max(WORDNET_ORDER, key=lambda pos: (totals.get(pos, -1), -WORDNET_ORDER.index(pos)))


def universal_pos(word: str) -> str:
    pos = wordnet_pos(word)
    return UNIVERSAL[pos] if pos else "X"


def _penn_tag(word: str, base: str, pos: str) -> str | None:
    """The Penn tag (``NNS``, ``VBD``, ...) under which ``word`` inflects ``base``, if any."""
    upos = UNIVERSAL[pos]
    for tag, forms in getAllInflections(base, upos=upos).items():
        if word in forms and tag not in ("NN", "VB", "VBP", "JJ", "RB"):
            return tag
    return None


@lru_cache(maxsize=2**16)
def wordnet_synonyms(word: str, max_candidates: int) -> tuple[str, ...]:
    """Up to ``max_candidates`` same-POS WordNet synonyms of ``word``, inflected and cased like it."""
    lowered = word.lower()
    pos = wordnet_pos(lowered)
    if pos is None:
        return ()
    base = wordnet.morphy(lowered, pos) or lowered
    tag = _penn_tag(lowered, base, pos) if base != lowered else None
    synonyms: list[str] = []
    for synset in wordnet.synsets(base, pos=pos):
        if base not in (name.lower() for name in synset.lemma_names()):
            continue  # a sense of another lemma that morphy also reaches ("hated" -> "hat")
        for lemma in synset.lemma_names():
            if "_" in lemma or lemma.lower() in (lowered, base) or not is_one_word(lemma):
                continue
            candidate = lemma.lower()
            if tag is not None:
                inflected = getInflection(candidate, tag=tag)
                candidate = inflected[0] if inflected else candidate
            candidate = recover_word_case(candidate, word)
            if candidate not in synonyms and candidate.lower() != lowered:
                synonyms.append(candidate)
            if len(synonyms) >= max_candidates:
                return tuple(synonyms)
    return tuple(synonyms)


class WordSwapWordNetPOS(WordSwap):
    """Swap a word for its WordNet synonyms of the same part of speech (see module docstring)."""

    def __init__(self, max_candidates: int = 50, **kwargs):
        super().__init__(**kwargs)
        self.max_candidates = max_candidates

    def _get_replacement_words(self, word):
        return list(wordnet_synonyms(word, self.max_candidates))

    def extra_repr_keys(self):
        return ["max_candidates"]


class WordNetPartOfSpeech(PartOfSpeech):
    """TextAttack's ``PartOfSpeech`` constraint with the WordNet tag in place of a tagger model.

    Same rule as the recipe's (equal universal tags, nouns and verbs interchangeable when
    ``allow_verb_noun_swap``), but the tag is context-free (see module docstring).
    """

    def __init__(self, allow_verb_noun_swap: bool = True, compare_against_original: bool = True):
        super().__init__(tagger_type="wordnet", tagset="universal", allow_verb_noun_swap=allow_verb_noun_swap,
                         compare_against_original=compare_against_original)

    def _get_pos(self, before_ctx, word, after_ctx):
        return universal_pos(word)
