"""The one place that knows where BERT-family encoders keep their blocks and Linear layers.

Algorithms ask for "the blocks" and "the prunable linears of a block, in forward order,
grouped by the input they share"; they never spell module paths themselves.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from torch import nn

# sub-layer short names shown in the dashboard's heatmap, in forward order
SUBLAYERS = ("query", "key", "value", "attention_output", "ffn_in", "ffn_out")

# model_type -> (path of the block list, {sub-layer: path inside a block})
LAYOUTS: dict[str, tuple[str, dict[str, str]]] = {
    "bert": ("bert.encoder.layer", {
        "query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
        "attention_output": "attention.output.dense", "ffn_in": "intermediate.dense", "ffn_out": "output.dense"}),
    "roberta": ("roberta.encoder.layer", {
        "query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
        "attention_output": "attention.output.dense", "ffn_in": "intermediate.dense", "ffn_out": "output.dense"}),
    "distilbert": ("distilbert.transformer.layer", {
        "query": "attention.q_lin", "key": "attention.k_lin", "value": "attention.v_lin",
        "attention_output": "attention.out_lin", "ffn_in": "ffn.lin1", "ffn_out": "ffn.lin2"}),
}
SUPPORTED_MODEL_TYPES = frozenset(LAYOUTS)

# Linears that read the same input are pruned together: Q, K and V all read the block input.
INPUT_GROUPS = (("query", "key", "value"), ("attention_output",), ("ffn_in",), ("ffn_out",))

# what stays dense, reported next to every pruning run
DENSE_PARTS = ("embeddings", "pooler", "classifier")

# The classification head on top of the encoder, applied to the first token's final hidden
# state: (Linear path, activation after it) in order; dropout is a no-op in eval mode.
HEAD_LAYOUTS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "bert": (("bert.pooler.dense", "tanh"), ("classifier", None)),
    "roberta": (("classifier.dense", "tanh"), ("classifier.out_proj", None)),
    "distilbert": (("pre_classifier", "relu"), ("classifier", None)),
}
ACTIVATIONS = {"tanh": nn.functional.tanh, "relu": nn.functional.relu, None: lambda tensor: tensor}


def head_prefixes(model: nn.Module) -> tuple[str, ...]:
    """State-dict prefixes of the head's Linear layers."""
    return tuple(f"{path}." for path, _ in HEAD_LAYOUTS[model.config.model_type])


def head_linears(model: nn.Module) -> list[tuple[nn.Linear, object]]:
    """The head's Linear layers with the activation that follows each, from the encoder upwards."""
    return [(model.get_submodule(path), ACTIVATIONS[activation])
            for path, activation in HEAD_LAYOUTS[model.config.model_type]]


@dataclass(frozen=True)
class PrunableLinear:
    block: int
    sublayer: str
    name: str  # full module path, as in the state dict
    module: nn.Linear


def layout(model: nn.Module) -> tuple[str, dict[str, str]]:
    return LAYOUTS[model.config.model_type]


def blocks(model: nn.Module) -> nn.ModuleList:
    return model.get_submodule(layout(model)[0])


def block_linears(model: nn.Module, index: int, block: nn.Module | None = None) -> dict[str, PrunableLinear]:
    """The prunable linears of block ``index`` (of ``block`` if given, e.g. a dense copy)."""
    block_path, sublayer_paths = layout(model)
    block = blocks(model)[index] if block is None else block
    return {sublayer: PrunableLinear(index, sublayer, f"{block_path}.{index}.{path}", block.get_submodule(path))
            for sublayer, path in sublayer_paths.items()}


def prunable_linears(model: nn.Module) -> list[PrunableLinear]:
    return [linear for index in range(len(blocks(model))) for linear in block_linears(model, index).values()]


# ---------------------------------------------------------------------------------------
# Structured pruning (whole attention heads and FFN neurons): where a block keeps its
# self-attention core (the module that splits Q, K, V into heads and returns their concatenation).
# DistilBERT is left out: its attention computes the head size from the head count, so a
# layer without heads cannot run there.
STRUCTURED_LAYOUTS: dict[str, dict[str, str]] = {
    "bert": {"attention_core": "attention.self"},
    "roberta": {"attention_core": "attention.self"},
}
STRUCTURED_MODEL_TYPES = frozenset(STRUCTURED_LAYOUTS)

# per structured sub-layer ("mha", "ffn"): its output projection, and the Linear that reads the
# sub-layer's residual input (None: the residual is the block's input itself, as for BERT's MHA)
STRUCTURED_SUBLAYERS: dict[str, tuple[str, str | None]] = {"mha": ("attention_output", None),
                                                           "ffn": ("ffn_out", "ffn_in")}


class HeadlessSelfAttention(nn.Module):
    """Stands in for a self-attention core whose heads were all pruned.

    HF's core reshapes its projections to (batch, -1, heads, head size), which has no
    answer for zero heads. This one returns the empty concatenation of zero heads, so
    the output projection adds only its bias. It keeps the (empty) Q, K, V Linears so that
    the state dict, ``block_linears`` and HF's ``config.pruned_heads`` stay consistent.
    """

    def __init__(self, query: nn.Linear, key: nn.Linear, value: nn.Linear, head_size: int) -> None:
        super().__init__()
        self.query, self.key, self.value = query, key, value
        self.num_attention_heads = 0
        self.attention_head_size = head_size
        self.all_head_size = 0

    def forward(self, hidden_states, *args, **kwargs):
        return hidden_states.new_zeros(*hidden_states.shape[:-1], 0), None


def supports_structured(model: nn.Module) -> bool:
    return model.config.model_type in STRUCTURED_LAYOUTS


def _structured_part(model: nn.Module, index: int, part: str) -> nn.Module:
    return blocks(model)[index].get_submodule(STRUCTURED_LAYOUTS[model.config.model_type][part])


def head_size(model: nn.Module) -> int:
    return model.config.hidden_size // model.config.num_attention_heads


def head_counts(model: nn.Module) -> list[int]:
    """Attention heads each block has now (after any head pruning)."""
    return [_structured_part(model, index, "attention_core").num_attention_heads for index in range(len(blocks(model)))]


def neuron_counts(model: nn.Module) -> list[int]:
    """FFN neurons (intermediate size) each block has now."""
    return [block_linears(model, index)["ffn_in"].module.out_features for index in range(len(blocks(model)))]


def output_projection(model: nn.Module, index: int, kind: str, block: nn.Module | None = None) -> nn.Linear:
    """The Linear whose input holds the units of sub-layer ``kind`` ("mha": heads, "ffn": neurons)."""
    return block_linears(model, index, block)[STRUCTURED_SUBLAYERS[kind][0]].module


def residual_reader(model: nn.Module, index: int, kind: str, block: nn.Module | None = None) -> nn.Linear | None:
    """The Linear whose input is the residual that sub-layer ``kind`` adds to; None: the block's input."""
    name = STRUCTURED_SUBLAYERS[kind][1]
    return None if name is None else block_linears(model, index, block)[name].module


def _replace(block: nn.Module, path: str, module: nn.Module) -> None:
    parent_path, _, attribute = path.rpartition(".")
    setattr(block.get_submodule(parent_path), attribute, module)


def replace_linear(model: nn.Module, index: int, sublayer: str, linear: nn.Linear) -> None:
    """Put ``linear`` in place of sub-layer ``sublayer`` (a name of ``SUBLAYERS``) of block ``index``."""
    _replace(blocks(model)[index], layout(model)[1][sublayer], linear)


def prune_heads(model: nn.Module, index: int, positions: list[int]) -> None:
    """Remove the heads at ``positions`` (0-based among the heads block ``index`` has now).

    HF's ``prune_heads`` takes the *original* head numbers and records them in
    ``config.pruned_heads`` (so ``from_config`` rebuilds the shapes); translate first.
    """
    if not positions:
        return
    already_pruned = set(model.config.pruned_heads.get(index, []))
    remaining = [head for head in range(model.config.num_attention_heads) if head not in already_pruned]
    with warnings.catch_warnings():  # HF builds Linear(d, 0) when all heads go; that is intended
        warnings.filterwarnings("ignore", message="Initializing zero-element tensors is a no-op")
        model.prune_heads({index: [remaining[position] for position in positions]})
    replace_headless_attention(model)


def replace_headless_attention(model: nn.Module) -> None:
    """Swap in ``HeadlessSelfAttention`` wherever a block has no heads left (also after ``from_config``)."""
    for index in range(len(blocks(model))):
        core = _structured_part(model, index, "attention_core")
        if core.num_attention_heads == 0 and not isinstance(core, HeadlessSelfAttention):
            headless = HeadlessSelfAttention(core.query, core.key, core.value, core.attention_head_size)
            _replace(blocks(model)[index], STRUCTURED_LAYOUTS[model.config.model_type]["attention_core"], headless)


def word_embeddings(model: nn.Module) -> nn.Embedding:
    """The input word-embedding table (token id -> vector), before positions and LayerNorm."""
    return model.get_input_embeddings()


def hidden_states(model: nn.Module, inputs: dict) -> tuple:
    """(embedding output, output of block 1, ..., output of block L) for tokenised ``inputs``."""
    return model(**inputs, output_hidden_states=True).hidden_states
