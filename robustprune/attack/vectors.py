"""Word vectors for TextFooler's and TextBugger's candidates, when the user has them.

A counter-fitted / GloVe text file (``word v1 ... vd`` a line), a folder in TextAttack's
``paragramcf`` layout, or TextAttack's own cache when it holds that folder. Without any,
the recipes fall back to WordNet (``wordnet.py``).
"""

from __future__ import annotations

import os
import pickle
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
    (+ ``nn.npy``). Nothing is unpickled that could run code: the arrays are loaded with
    ``allow_pickle=False`` (an object array is refused), and the word list, a pickle, by an
    unpickler that refuses every global (a plain dict of words to ints needs none).
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
        matrix = load_numeric_array(path / "paragram.npy", what_works)
        word2index = load_word_list(path / "wordlist.pickle", what_works)
        nn_matrix = load_numeric_array(path / "nn.npy", what_works) if (path / "nn.npy").exists() else None
    else:
        matrix, word2index = _read_vector_text(path, what_works)
        nn_matrix = None
    index2word = {index: word for word, index in word2index.items()}
    return WordVectors(matrix, word2index, index2word, nn_matrix)


class PlainDataUnpickler(pickle.Unpickler):
    """Unpickles plain data only (dicts, lists, strings, numbers): any class or function a pickle names is refused,
    so a word list cannot run code."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"it names {module}.{name}")


def load_word_list(path: Path, what_works: str) -> dict[str, int]:
    """TextAttack's ``wordlist.pickle``: a dict of word -> row of the vector matrix, read without running code."""
    try:
        with open(path, "rb") as handle:
            word2index = PlainDataUnpickler(handle).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise RobustPruneError(f"{str(path)!r} is not a plain word -> index dict ({error}); robustprune unpickles "
                               f"no classes or functions: pass {what_works}") from None
    if not isinstance(word2index, dict) or not all(isinstance(word, str) and isinstance(index, int)
                                                   for word, index in word2index.items()):
        raise RobustPruneError(f"{str(path)!r} is not a dict of words to row numbers; pass {what_works}")
    return word2index


def load_numeric_array(path: Path, what_works: str) -> np.ndarray:
    """A ``.npy`` array of numbers, loaded without pickle (an object array is refused)."""
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:  # object arrays need pickle; also a file that is not .npy
        raise RobustPruneError(f"{str(path)!r} is not a numeric .npy array ({error}); pass {what_works}") from None
    if not (np.issubdtype(array.dtype, np.number) and array.ndim == 2):
        raise RobustPruneError(f"{str(path)!r} holds a {array.dtype} array of shape {array.shape}, not a matrix of "
                               f"numbers; pass {what_works}")
    return array


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
