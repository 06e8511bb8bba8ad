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


def delong_by_definition(positives: np.ndarray, negatives: np.ndarray) -> tuple[float, float]:
    """AUC and its variance from DeLong's structural components, pair by pair: psi = 1, 1/2 or 0."""
    psi = (positives[:, None] > negatives[None, :]) + 0.5 * (positives[:, None] == negatives[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return psi.mean(), v10.var(ddof=1) / len(positives) + v01.var(ddof=1) / len(negatives)


def test_the_auc_interval_is_delongs():
    """The interval from midranks equals DeLong's variance computed pair by pair, ties included."""
    from scipy.stats import norm

    from robustprune.attack.layer_auc import flip_auc_intervals

    rng = np.random.default_rng(0)
    flipped = rng.random(40) < 0.3
    divergence = np.round(rng.normal(size=(40, 3)) + 0.8 * flipped[:, None] * np.arange(3), 1)  # ties
    lows, highs = flip_auc_intervals(divergence, flipped, level=0.9)
    for layer in range(3):
        auc, variance = delong_by_definition(divergence[flipped, layer], divergence[~flipped, layer])
        assert auc == pytest.approx(flip_auc_by_layer(divergence, flipped)[layer])
        half = norm.ppf(0.95) * math.sqrt(variance)
        assert (lows[layer], highs[layer]) == pytest.approx((max(0.0, auc - half), min(1.0, auc + half)))
    assert all(math.isnan(value) for value in flip_auc_intervals(divergence[:5], np.array([1, 0, 0, 0, 0], bool))[0])


def test_the_auc_interval_covers_the_true_auc_as_often_as_it_says():
    """Divergences of the flipped examples shifted by delta from N(0, 1): the true AUC is Phi(delta / sqrt 2)."""
    from scipy.stats import norm

    from robustprune.attack.layer_auc import flip_auc_intervals

    rng = np.random.default_rng(1)
    delta, flipped = 0.8, np.arange(100) < 30
    true_auc = norm.cdf(delta / math.sqrt(2))
    divergence = rng.normal(size=(100, 400)) + delta * flipped[:, None]  # 400 independent "layers"
    lows, highs = flip_auc_intervals(divergence, flipped)
    covered = np.mean([low <= true_auc <= high for low, high in zip(lows, highs)])
    assert 0.91 <= covered <= 0.98, covered


def test_few_examples_cannot_make_a_layer_significant():
    """Two sparse-only flips among seven, perfectly separated: AUC 1, and yet the exact two-sided p-value is 2 / 21
    (2 of the C(7, 2) = 21 ways to place the two flips are as extreme)."""
    from robustprune.attack.layer_auc import flip_auc_intervals, flip_auc_p_values

    divergence = np.array([[0.9], [0.8], [0.1], [0.2], [0.3], [0.4], [0.5]])
    flipped = np.array([True, True, False, False, False, False, False])
    assert flip_auc_by_layer(divergence, flipped) == [1.0]
    assert flip_auc_p_values(divergence, flipped) == pytest.approx([2 / 21])
    assert flip_auc_intervals(divergence, flipped) == ([1.0], [1.0])  # DeLong's variance is 0 here: see the p-value


def test_the_figure_shows_each_layers_interval_and_which_layers_are_significant():
    """Layer 1 separates 10 sparse-only flips from 20 other examples; layers 0 and 2 carry noise."""
    from robustprune.attack.layer_auc import LayerFlipAUC
    from robustprune.figures.explanation import layer_auc_figure

    rng = np.random.default_rng(2)
    flipped = np.arange(30) < 10
    divergence = rng.normal(size=(30, 3)) + np.array([0.0, 3.0, 0.0]) * flipped[:, None]
    auc = LayerFlipAUC("attack-0", "prune-0", [0, 1, 2], flip_auc_by_layer(divergence, flipped),
                       flip_auc_by_layer(-divergence, flipped), 10, 20, examples=list(range(30)),
                       divergence_perturbed=divergence.tolist(), divergence_original=(-divergence).tolist(),
                       flipped=flipped.tolist())
    rows = auc.layer_rows()
    assert [row["p_perturbed"] < 0.05 for row in rows] == [False, True, False]
    assert all(row["auc_perturbed_low"] <= row["auc_perturbed"] <= row["auc_perturbed_high"] for row in rows)
    traces = {trace.name: trace for trace in layer_auc_figure(auc).data}
    band = traces["95 % interval (DeLong), adversarial"]
    assert list(band.y) == [row["auc_perturbed_low"] for row in rows] and band.fill == "tonexty"
    assert list(traces["95 % interval, upper end"].y) == [row["auc_perturbed_high"] for row in rows]
    assert list(traces["AUC, adversarial texts"].marker.symbol) == ["circle-open", "circle", "circle-open"]
