"""The per-layer AUC of the dense–sparse divergence for sparse-only flips.

The planted run: the dense model is ``planted.py``'s bag of words; its "sparse" twin has one
change, in the FFN of block 1, which fires only on the word "dull" (given an embedding of its
own, 4w, orthogonal to everything else the texts use) and writes −3u into that token's state.
From layer 1 on, texts with "dull" diverge and the twin calls them negative, while the dense
model keeps calling them positive: the sparse model flips on them, and only on them. So layer
1's divergence decides the flip (AUC 1), the embedding layer's cannot (the same in both models: 0.5).
"""

import copy
import math

import numpy as np
import pytest
import torch
from planted import HIDDEN

from robustprune.attack.layer_auc import flip_auc_by_layer, flipped_in_sparse_only, layer_divergences, layer_flip_auc
from robustprune.attack.records import AttackExample, AttackResult, AttackSummary
from robustprune.errors import RobustPruneError

MARKER = "dull"
PAIRS = [("a fine movie", "a dull movie"), ("the plot was fine", "the plot was dull"),
         ("an absolutely fine film", "an absolutely dull film"), ("what a fine story", "what a great story"),
         ("a long movie", "a lengthy movie"), ("the acting was fine", "the acting was good")]


def planted_direction(tokenizer, table: torch.Tensor, texts: list[str]) -> torch.Tensor:
    """A unit vector orthogonal to the head's direction u and to every embedding the texts use but the marker's."""
    u = torch.zeros(HIDDEN)
    u[0], u[1] = 1.0, -1.0
    ids = sorted({token for text in texts for token in tokenizer(text)["input_ids"]}
                 - {tokenizer.convert_tokens_to_ids(MARKER)})
    basis, _ = torch.linalg.qr(torch.stack([u / u.norm()] + [table[token] for token in ids], dim=1))
    torch.manual_seed(5)
    w = torch.randn(HIDDEN)
    w -= basis @ (basis.T @ w)
    return w / w.norm(), u / u.norm()


@pytest.fixture(scope="module")
def planted_pair(tokenizer, dense_model):
    dense = copy.deepcopy(dense_model)
    table = dense.bert.embeddings.word_embeddings.weight
    w, u = planted_direction(tokenizer, table.detach(), [text for pair in PAIRS for text in pair])
    with torch.no_grad():
        table[tokenizer.convert_tokens_to_ids(MARKER)] = 4.0 * w
    sparse = copy.deepcopy(dense)
    ffn_in, ffn_out = sparse.bert.encoder.layer[0].intermediate.dense, sparse.bert.encoder.layer[0].output.dense
    with torch.no_grad():
        ffn_in.weight.zero_()
        ffn_in.bias.zero_()
        ffn_in.weight[0] = 4.0 * w   # fires on the marker's state only
        ffn_in.bias[0] = -8.0
        ffn_out.weight[:, 0] = -3.0 * u  # and pushes it towards the negative class
    return dense, sparse


def predictions(model, tokenizer, texts: list[str]) -> list[tuple[int, float]]:
    with torch.no_grad():
        probabilities = torch.softmax(model(**tokenizer(texts, padding=True, return_tensors="pt")).logits, -1)
    confidence, label = probabilities.max(-1)
    return list(zip(label.tolist(), confidence.tolist()))


def planted_attack(tokenizer, dense, sparse) -> AttackResult:
    """Attack records for PAIRS with both models' real predictions (every pair 'succeeded' on the sparse model)."""
    examples = []
    for index, (original, perturbed) in enumerate(PAIRS):
        (d0, dc0), (d1, dc1) = predictions(dense, tokenizer, [original, perturbed])
        (s0, sc0), (s1, sc1) = predictions(sparse, tokenizer, [original, perturbed])
        examples.append(AttackExample(index, 1, "succeeded" if s1 != s0 else "failed", original, perturbed, [1], 10,
                                      d0, dc0, d1, dc1, s0, sc0, s1, sc1))
    summary = AttackSummary("planted", "planted", {}, "sparse", len(examples), 3, 3, 0, 1.0, 0.5, 0.5, 20.0, 4.0,
                            10.0, 0.1, 0, 0, 765, 32, "cpu")
    return AttackResult(summary, examples)


def test_the_layer_where_the_models_part_decides_the_flip(tokenizer, planted_pair):
    dense, sparse = planted_pair
    result = planted_attack(tokenizer, dense, sparse)
    flipped = [flipped_in_sparse_only(example) for example in result.examples]
    assert flipped == [MARKER in perturbed for _, perturbed in PAIRS]  # the planted weakness, really there
    auc = layer_flip_auc(result, dense, sparse, tokenizer)
    assert auc.layers == [0, 1, 2] and (auc.positives, auc.negatives) == (3, 3)
    assert auc.auc_perturbed[0] == 0.5  # the embeddings are the same in both models: no information
    assert auc.auc_perturbed[1] == 1.0 and auc.auc_perturbed[2] == 1.0
    assert np.abs(auc.divergence_original).max() < 1e-4  # the originals hold no marker: the models agree on them
    rows = auc.layer_rows()
    assert rows[1]["divergence_flipped"] > 0.05 and rows[1]["divergence_others"] < 1e-4


def test_divergence_is_zero_for_identical_models(tokenizer, dense_model):
    divergence = layer_divergences(dense_model, copy.deepcopy(dense_model), tokenizer, ["a fine movie", "so dull"], 32)
    assert divergence.shape == (2, 3) and np.abs(divergence).max() < 1e-5


def test_auc_by_layer_is_the_share_of_correctly_ordered_pairs():
    divergence = np.array([[0.0, 0.9, 0.1], [0.0, 0.8, 0.3], [0.0, 0.1, 0.2], [0.0, 0.2, 0.2]])
    flipped = np.array([True, True, False, False])
    # layer 2: pairs (flipped, other) = (0.1, 0.2) (0.1, 0.2) (0.3, 0.2) (0.3, 0.2): 2 ordered of 4, none tied
    assert flip_auc_by_layer(divergence, flipped) == [0.5, 1.0, 0.5]
    assert flip_auc_by_layer(divergence, ~flipped) == [0.5, 0.0, 0.5]
    assert all(math.isnan(value) for value in flip_auc_by_layer(divergence, np.ones(4, dtype=bool)))
    with pytest.raises(RobustPruneError, match="one flag per example"):
        flip_auc_by_layer(divergence, flipped[:3])
