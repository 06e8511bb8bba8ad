"""Tiny random BERTs with a planted weakness, shared by the attack tests (fixtures: conftest.py).

The classifier is a bag of words by construction: attention scores are zero (uniform
attention), values and the attention output are the identity, the feed-forward path is
zero, positions and token types are zero. Every word embedding is random but orthogonal
to a direction ``u``, except the planted word "awful", whose embedding is -4u, and
"terrible", which leans slightly positive (+0.1u). The head reads
logit_1 - logit_0 = 1 + 12 <pooled, u>: every text without "awful" is positive, and one
word flips it. "awful" is WordNet's first synonym of "terrible", so an attack that swaps
"terrible" in "a terrible movie" for its candidates breaks the model; no other candidate
can. The lean makes "terrible" the most important word of its text (deleting it lowers
the positive logit), so a greedy search tries it first whatever the random draws of a
randomised transformation: without it every word ties and float noise picks the order.
"""

from __future__ import annotations

import copy

import torch
from transformers import BertConfig, BertForSequenceClassification

TRIGGER = "awful"
HIDDEN = 32

# label 1 for all: the planted model calls every text without "awful" positive
TEXTS = ["a terrible movie", "the plot was terrible", "terrible acting and a dull story",
         "an absolutely terrible film", "what a terrible waste of time"]
LABELS = [1, 1, 1, 1, 0]  # the last is wrong for the model, so it is skipped


def tiny_config(tokenizer, **extra) -> BertConfig:
    return BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128, **extra)


@torch.no_grad()
def planted_classifier(tokenizer, seed: int = 0) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    model = BertForSequenceClassification(tiny_config(tokenizer, num_labels=2)).eval()
    u = torch.zeros(HIDDEN)
    u[0], u[1] = 1.0, -1.0  # zero mean, so LayerNorm's centring leaves <x, u> alone
    u /= u.norm()
    table = model.bert.embeddings.word_embeddings.weight
    table.normal_(0.0, 1.0)
    table -= torch.outer(table @ u, u)
    table[tokenizer.convert_tokens_to_ids(TRIGGER)] = -4.0 * u
    table[tokenizer.convert_tokens_to_ids("terrible")] += 0.1 * u
    model.bert.embeddings.position_embeddings.weight.zero_()
    model.bert.embeddings.token_type_embeddings.weight.zero_()
    for block in model.bert.encoder.layer:
        for linear in (block.attention.self.query, block.attention.self.key):
            linear.weight.zero_()
            linear.bias.zero_()
        for linear in (block.attention.self.value, block.attention.output.dense):
            linear.weight.copy_(torch.eye(HIDDEN))
            linear.bias.zero_()
        block.output.dense.weight.zero_()
        block.output.dense.bias.zero_()
    model.bert.pooler.dense.weight.copy_(torch.eye(HIDDEN))
    model.bert.pooler.dense.bias.zero_()
    model.classifier.weight.zero_()
    model.classifier.weight[1] = 12.0 * u
    model.classifier.bias.copy_(torch.tensor([0.0, 1.0]))
    return model


@torch.no_grad()
def pruned_copy(model) -> BertForSequenceClassification:
    """A 'sparse' twin: half of every attention-output identity zeroed (the weakness survives)."""
    sparse = copy.deepcopy(model)
    for block in sparse.bert.encoder.layer:
        block.attention.output.dense.weight[HIDDEN // 2:] = 0.0
    return sparse
