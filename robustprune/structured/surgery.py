"""Physical removal of attention heads and FFN neurons, and reloading the smaller model.

Heads go through HF's ``prune_heads`` (via the adapter), which slices Q, K, V and the
attention output projection and records the removed heads in ``config.pruned_heads``;
``from_config`` re-applies that record, so the shapes come back on reload. A layer that
loses every head gets a ``HeadlessSelfAttention`` core (HF's cannot run with zero heads).

Neurons: ``BertConfig`` has one ``intermediate_size`` for all layers, and K-prune keeps a
different number per layer. The pruned model's config therefore carries the extra field
``intermediate_sizes`` (one int per layer; ``save_pretrained`` writes it to config.json
like any other config attribute). ``load_structured`` builds the model from its config,
narrows each FFN to its recorded size and then loads the saved state dict strictly, so
every weight is checked against its shape. A plain ``from_pretrained`` would refuse the
narrowed FFN weights (size mismatch) rather than load them wrongly.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file
from torch import nn

from robustprune.errors import RobustPruneError
from robustprune.models import adapter

INTERMEDIATE_SIZES = "intermediate_sizes"  # the config attribute with the FFN width of every layer


def require_structured_support(model: nn.Module) -> None:
    if not adapter.supports_structured(model):
        raise RobustPruneError(
            f"structured pruning supports {', '.join(sorted(adapter.STRUCTURED_MODEL_TYPES))} models, "
            f"not {model.config.model_type!r}")


def empty_linear(in_features: int, out_features: int, like: nn.Linear) -> nn.Linear:
    """A Linear with uninitialised weights (they are copied or loaded next), on ``like``'s device and dtype."""
    return nn.utils.skip_init(nn.Linear, in_features, out_features, bias=like.bias is not None,
                              device=like.weight.device, dtype=like.weight.dtype)


def sliced_linear(linear: nn.Linear, keep: torch.Tensor, dim: int) -> nn.Linear:
    """``linear`` with only the outputs (``dim`` 0) or inputs (``dim`` 1) where ``keep`` is True."""
    index = torch.nonzero(keep.to(linear.weight.device)).flatten()
    weight = linear.weight.detach().index_select(dim, index)
    sliced = empty_linear(weight.shape[1], weight.shape[0], linear)
    with torch.no_grad():
        sliced.weight.copy_(weight)
        if linear.bias is not None:
            sliced.bias.copy_(linear.bias.detach()[index] if dim == 0 else linear.bias.detach())
    return sliced


def remove_heads(model: nn.Module, layer: int, keep: torch.Tensor) -> None:
    """Remove the heads of ``layer`` where ``keep`` (one bool per current head) is False."""
    adapter.prune_heads(model, layer, torch.nonzero(~keep.cpu()).flatten().tolist())


def remove_neurons(model: nn.Module, layer: int, keep: torch.Tensor) -> None:
    """Remove the FFN neurons of ``layer`` where ``keep`` is False: rows of FFN-in, columns of FFN-out."""
    if bool(keep.all()):
        return
    linears = adapter.block_linears(model, layer)
    adapter.replace_linear(model, layer, "ffn_in", sliced_linear(linears["ffn_in"].module, keep, dim=0))
    adapter.replace_linear(model, layer, "ffn_out", sliced_linear(linears["ffn_out"].module, keep, dim=1))
    record_shapes(model)


def record_shapes(model: nn.Module) -> None:
    """Write the per-layer FFN widths into the config, for ``load_structured``."""
    setattr(model.config, INTERMEDIATE_SIZES, adapter.neuron_counts(model))


def narrow_ffn(model: nn.Module, layer: int, neurons: int) -> None:
    """Give ``layer`` an FFN of ``neurons`` neurons, weights uninitialised (they are loaded next)."""
    linears = adapter.block_linears(model, layer)
    ffn_in, ffn_out = linears["ffn_in"].module, linears["ffn_out"].module
    adapter.replace_linear(model, layer, "ffn_in", empty_linear(ffn_in.in_features, neurons, ffn_in))
    adapter.replace_linear(model, layer, "ffn_out", empty_linear(neurons, ffn_out.out_features, ffn_out))


def saved_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The safetensors state dict ``save_pretrained`` wrote, one file or sharded."""
    single, index = path / "model.safetensors", path / "model.safetensors.index.json"
    if single.exists():
        return load_file(single)
    if index.exists():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return {name: tensor for shard in shards for name, tensor in load_file(path / shard).items()}
    raise RobustPruneError(f"{path} has no model.safetensors; save the pruned model with save_pretrained")


def load_structured(path: str | Path) -> nn.Module:
    """Load a classifier saved with ``save_pretrained`` after structured pruning (any model works).

    A directory whose config has no ``intermediate_sizes`` is an ordinary checkpoint and
    goes through ``from_pretrained``.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification

    path = Path(path)
    config = AutoConfig.from_pretrained(path)
    sizes = getattr(config, INTERMEDIATE_SIZES, None)
    if sizes is None:
        return AutoModelForSequenceClassification.from_pretrained(path)
    with warnings.catch_warnings():  # layers without heads get Linear(d, 0); that is intended
        warnings.filterwarnings("ignore", message="Initializing zero-element tensors is a no-op")
        model = AutoModelForSequenceClassification.from_config(config)  # re-applies config.pruned_heads
    adapter.replace_headless_attention(model)
    for layer, neurons in enumerate(sizes):
        narrow_ffn(model, layer, neurons)
    model.load_state_dict(saved_state_dict(path), strict=True)
    return model.eval()
