"""The parts of a recipe that TextAttack downloads, resolved offline and named.

Every method returns the part and a dict ``{part: what replaced it}``, empty when the
part is TextAttack's own. The recipe files collect those dicts into the label shown in
results and the UI, e.g. ``textfooler (candidates: WordNet; word distance: none;
part of speech: WordNet; sentence encoder: MiniLM)``.
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
from robustprune.attack.vectors import load_word_vectors, textattack_cached_vectors  # noqa: E402
from robustprune.attack.wordnet import WordNetPartOfSpeech, WordSwapWordNetPOS  # noqa: E402

MINILM = "MiniLM"
WORDNET = "WordNet"


@dataclass
class BuiltRecipe:
    name: str
    attack: object  # textattack.Attack
    substitutions: dict[str, str]

    @property
    def label(self) -> str:
        """``name (part: substitute; ...)``, or the bare name when nothing was substituted."""
        if not self.substitutions:
            return self.name
        return f"{self.name} ({'; '.join(f'{part}: {what}' for part, what in self.substitutions.items())})"


@dataclass
class RecipeParts:
    """Where the downloaded parts come from.

    ``word_vectors``: a vectors file or paragramcf folder; ``None`` takes TextAttack's cached
    counter-fitted vectors if present, else WordNet. ``mlm_path``: BERT-Attack's masked LM
    directory; ``None`` means the hub's bert-base-uncased. ``cached_encoder=False`` encodes
    every window, as TextAttack's own sentence encoders do (the benchmark's stock side).
    """

    device: str = "cpu"
    max_length: int = 128
    word_vectors: str | None = None
    mlm_path: str | None = None
    cached_encoder: bool = True
    encoder_batch_size: int = 64
    _embedding: tuple | None = field(default=None, repr=False)
    # shared by every recipe built from these parts (the searches of one run): one cache of sentence
    # encodings, one masked LM in memory
    _encodings: object = field(default_factory=encoding_cache, repr=False)
    _masked_lm: tuple | None = field(default=None, repr=False)

    # -- word candidates and their distance
    def embedding(self) -> tuple[WordEmbedding | None, str | None]:
        """(vectors, substitute name or None for TextAttack's own), or (None, None) for WordNet."""
        if self._embedding is None:
            if self.word_vectors is not None:
                self._embedding = (load_word_vectors(self.word_vectors), f"word vectors {Path(self.word_vectors).name}")
            elif textattack_cached_vectors() is not None:
                self._embedding = (WordEmbedding.counterfitted_GLOVE_embedding(), None)
            else:
                self._embedding = (None, None)
        return self._embedding

    def word_swap(self, max_candidates: int):
        """``WordSwapEmbedding`` on counter-fitted vectors, or same-POS WordNet synonyms."""
        vectors, name = self.embedding()
        if vectors is None:
            return WordSwapWordNetPOS(max_candidates=max_candidates), {"candidates": WORDNET}
        return WordSwapEmbedding(max_candidates=max_candidates, embedding=vectors), (
            {"candidates": name} if name else {})

    def word_distance(self, min_cos_sim: float):
        """``WordEmbeddingDistance`` on the same vectors; with WordNet there are none, and the
        constraint is left out: WordNet's candidates are synonyms by construction."""
        vectors, name = self.embedding()
        if vectors is None:
            return None, {"word distance": "none"}
        return WordEmbeddingDistance(embedding=vectors, min_cos_sim=min_cos_sim), (
            {"word distance": name} if name else {})

    # -- grammar and meaning
    def part_of_speech(self, allow_verb_noun_swap: bool = True):
        return WordNetPartOfSpeech(allow_verb_noun_swap=allow_verb_noun_swap), {"part of speech": WORDNET}

    def sentence_encoder(self, **kwargs):
        """The recipe's ``UniversalSentenceEncoder(**kwargs)`` as the same constraint on MiniLM."""
        kwargs.setdefault("metric", "angular")  # UniversalSentenceEncoder's default; SBERT's is cosine
        if self.cached_encoder:
            encoder = CachedSBERT(cache=self._encodings, device=self.device, batch_size=self.encoder_batch_size,
                                  **kwargs)
        else:
            encoder = MiniLMEncoder(device=self.device, batch_size=self.encoder_batch_size, **kwargs)
        return encoder, {"sentence encoder": MINILM}

    def stopwords(self):
        """``StopwordModification()`` with NLTK's list, which offline is scikit-learn's."""
        return StopwordModification(), {"stopwords": "scikit-learn"}

    # -- BERT-Attack
    def masked_lm_swap(self, **kwargs):
        if self._masked_lm is None:
            self._masked_lm = resources.load_masked_lm(self.mlm_path)
        model, tokenizer, name = self._masked_lm
        swap = WordSwapMaskedLM(masked_language_model=model, tokenizer=tokenizer, max_length=self.max_length,
                                **kwargs)
        return swap, ({} if name == resources.HUB_MLM else {"masked LM": name})
