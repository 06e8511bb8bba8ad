"""Word vectors for TextFooler's and TextBugger's candidates, when the user has them.

A counter-fitted / GloVe text file (``word v1 ... vd`` a line), a folder in TextAttack's
``paragramcf`` layout, or TextAttack's own cache when it holds that folder. Without any,
the recipes fall back to WordNet (``wordnet.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from robustprune.attack.resources import import_textattack
from robustprune.errors import RobustPruneError

textattack = import_textattack()

from textattack.shared import WordEmbedding  # noqa: E402

PARAGRAMCF_FILES = ("paragram.npy", "wordlist.pickle")


class WordVectors(WordEmbedding):
    """TextAttack's ``WordEmbedding`` with a working nearest-neighbour search.

    Without a precomputed neighbour matrix, TextAttack 0.3.11 slices ``topk``'s (values,
    indices) pair instead of the indices and fails; it also copies the whole matrix to a
    tensor on every call. Neighbours here are the same: smallest Euclidean distance, the
    word itself left out.
    """

    def nearest_neighbours(self, index, topn):
        if isinstance(index, str):
            index = self._word2index[index]
        if self.nn_matrix is not None:
            return super().nearest_neighbours(index, topn)
        if (index, topn) not in self._nn_cache:
            if getattr(self, "_matrix", None) is None:
                self._matrix = torch.as_tensor(np.asarray(self.embedding_matrix, dtype=np.float32))
            distances = torch.norm(self._matrix - self._matrix[index], dim=1)
            order = distances.topk(min(topn + 1, len(distances)), largest=False).indices.tolist()
            self._nn_cache[(index, topn)] = [neighbour for neighbour in order if neighbour != index][:topn]
        return self._nn_cache[(index, topn)]


def textattack_cached_vectors() -> Path | None:
    """TextAttack's counter-fitted ``paragramcf`` folder, if its cache already holds it."""
    folder = Path(textattack.shared.utils.path_in_cache("word_embeddings/paragramcf"))
    return folder if all((folder / name).exists() for name in PARAGRAMCF_FILES) else None


def load_word_vectors(path: str | os.PathLike):
    """A ``textattack.shared.WordEmbedding`` from a text file of vectors or a paragramcf folder.

    Text format (counter-fitted vectors as released, GloVe): ``word v1 v2 ... vd`` a line,
    optionally gzipped. Folder format: TextAttack's ``paragram.npy`` + ``wordlist.pickle``
    (+ ``nn.npy``); the word list is a pickle written by TextAttack, read only from a folder
    the user names or from TextAttack's own cache.
    """
    path = Path(path).expanduser()
    what_works = ("a text file of word vectors ('word v1 ... vd' a line, e.g. counter-fitted-vectors.txt "
                  "or glove.6B.300d.txt) or a folder with TextAttack's paragram.npy and wordlist.pickle")
    if not path.exists():
        raise RobustPruneError(f"word vectors {str(path)!r} do not exist; pass {what_works}")
    if path.is_dir():
        missing = [name for name in PARAGRAMCF_FILES if not (path / name).exists()]
        if missing:
            raise RobustPruneError(f"word-vector folder {str(path)!r} lacks {', '.join(missing)}; pass {what_works}")
        matrix = np.load(path / "paragram.npy")
        word2index = dict(np.load(path / "wordlist.pickle", allow_pickle=True))
        nn_matrix = np.load(path / "nn.npy") if (path / "nn.npy").exists() else None
    else:
        matrix, word2index = _read_vector_text(path, what_works)
        nn_matrix = None
    index2word = {index: word for word, index in word2index.items()}
    return WordVectors(matrix, word2index, index2word, nn_matrix)


def _read_vector_text(path: Path, what_works: str) -> tuple[np.ndarray, dict[str, int]]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    words, rows = [], []
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                parts = line.rstrip().split(" ")
                if number == 1 and len(parts) == 2 and all(part.isdigit() for part in parts):
                    continue  # word2vec text header: "<count> <dim>"
                if len(parts) < 2:
                    continue
                try:
                    rows.append(np.asarray(parts[1:], dtype=np.float32))
                except ValueError:
                    raise RobustPruneError(
                        f"{str(path)!r} line {number} is not 'word v1 ... vd'; pass {what_works}") from None
                if rows[-1].shape != rows[0].shape:
                    raise RobustPruneError(
                        f"{str(path)!r} line {number} has {rows[-1].size} numbers, line 1 has {rows[0].size}; "
                        f"pass {what_works}")
                words.append(parts[0])
    except UnicodeDecodeError:
        raise RobustPruneError(f"{str(path)!r} is not a UTF-8 text file; pass {what_works}") from None
    if not rows:
        raise RobustPruneError(f"{str(path)!r} holds no word vectors; pass {what_works}")
    return np.stack(rows), {word: index for index, word in enumerate(words)}
