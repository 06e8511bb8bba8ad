"""The sentence-similarity constraint with MiniLM in place of the Universal Sentence Encoder.

TextAttack's recipes compare the text before and after a swap with USE (TensorFlow Hub,
downloaded). Offline the same ``SentenceEncoder`` constraint runs on the
all-MiniLM-L6-v2 sentence encoder robustprune ships, through TextAttack's own ``SBERT``
class, with each recipe's threshold, metric and window unchanged. The thresholds were
tuned for USE; MiniLM's similarities for a one-word synonym swap are of the same order
(about 0.9 cosine), but the same number does not cut at exactly the same texts.

``CachedSBERT`` adds one thing: a window that was encoded before is not encoded again.
During a greedy search the window around a position is the same for every candidate at
that position, so most encodings repeat. A window is known by what the encoder reads of
it (its token ids, cut at the encoder's ``max_seq_length``, 256 for MiniLM), so a whole
review that differs only past that cut is the one encoded before, with its very vector
(TextBugger compares whole texts: a failed search bugs every word of a long review). The
cache can be shared between the constraints of several searches (``RecipeParts`` does),
and inside scheduled searches (``batching.py``) the missing windows of all of them are
encoded in one call.
"""

from __future__ import annotations

import numpy as np

from robustprune.attack.batching import merged
from robustprune.attack.resources import import_textattack, sentence_encoder_dir

textattack = import_textattack()

import lru  # noqa: E402  (lru-dict, a TextAttack dependency)
from textattack.constraints.semantics.sentence_encoders import SBERT  # noqa: E402

_ENCODERS: dict[tuple[str, str], object] = {}


def sentence_transformer(device: str):
    """The MiniLM ``SentenceTransformer`` on ``device``, loaded once per process."""
    from sentence_transformers import SentenceTransformer

    key = (str(sentence_encoder_dir()), str(device))
    if key not in _ENCODERS:
        _ENCODERS[key] = SentenceTransformer(key[0], device=str(device))
    return _ENCODERS[key]


class MiniLMEncoder(SBERT):
    """TextAttack's ``SBERT`` constraint on the embedded MiniLM; encodings uncached, as stock."""

    def __init__(self, device: str = "cpu", batch_size: int = 64, **kwargs):
        # SBERT.__init__ would load the model by name onto TextAttack's global device
        textattack.constraints.semantics.sentence_encoders.SentenceEncoder.__init__(self, **kwargs)
        self.model = sentence_transformer(device)
        self.batch_size = batch_size

    def encode(self, sentences):
        return self.model.encode(list(sentences), batch_size=self.batch_size, show_progress_bar=False)


def encoding_cache(size: int = 2**16):
    """A cache of sentence encodings (window text -> vector) that several constraints may share."""
    return lru.LRU(size)


class CachedSBERT(MiniLMEncoder):
    """``MiniLMEncoder`` that encodes each distinct input once (LRU over the whole run, or a shared cache)."""

    def __init__(self, cache=None, **kwargs):
        super().__init__(**kwargs)
        self._encodings = cache if cache is not None else encoding_cache()  # what the encoder reads -> vector
        self._inputs = encoding_cache()  # window text -> what the encoder reads of it

    def encode(self, sentences):
        sentences = list(sentences)
        reads = self._read(sentences)
        missing = list({read: sentence for read, sentence in zip(reads, sentences)
                        if read not in self._encodings}.values())
        merged("sentence-encoder", missing, self._encode_missing)
        return np.stack([self._encodings[read] for read in reads])

    def _read(self, sentences: list[str]) -> list[bytes]:
        """What the encoder reads of each sentence: the ids its own tokenizer gives, truncated as it truncates."""
        new = list(dict.fromkeys(s for s in sentences if s not in self._inputs))
        if new:
            # what ``encode`` feeds the encoder (``preprocess`` from sentence-transformers 5.x, ``tokenize`` before)
            features = getattr(self.model, "preprocess", self.model.tokenize)(new)
            for sentence, ids, mask in zip(new, features["input_ids"], features["attention_mask"]):
                self._inputs[sentence] = ids[mask.bool()].numpy().astype(np.int32).tobytes()
        return [self._inputs[s] for s in sentences]

    def _encode_missing(self, sentences: list[str]) -> None:
        reads = self._read(sentences)
        wanted = {read: sentence for read, sentence in zip(reads, sentences) if read not in self._encodings}
        if wanted:
            for read, vector in zip(wanted, MiniLMEncoder.encode(self, list(wanted.values()))):
                self._encodings[read] = vector
