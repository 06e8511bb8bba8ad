"""The driver: walks the encoder block by block and feeds each method's ``LayerPruner``.

Two activation streams go up the encoder side by side: the dense model's and the
sparse model's (pruned so far). Inside a block the Linear layers are pruned in forward
order, in groups that read the same input (Q, K, V together; then the attention output;
then FFN in; then FFN out), so every layer sees the inputs of the already pruned layers
below it. Only one block's dense copy and one group's statistics live at a time.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from robustprune.evaluate import batched, tokenize
from robustprune.models import adapter
from robustprune.progress import Progress, silent
from robustprune.prune.base import LayerPruner, PruneConfig
from robustprune.prune.results import LayerRecord


class _StopForward(Exception):
    pass


@dataclass
class _Batch:
    """One batch of texts at the current depth of the encoder, in both models."""

    block_args: tuple  # positional arguments the model passes to a block, after the hidden states
    block_kwargs: dict
    token_mask: torch.Tensor  # (batch, seq) True for real tokens
    dense_hidden: torch.Tensor
    sparse_hidden: torch.Tensor
    calibration: bool  # False: held-out, used only to measure reconstruction errors


@torch.no_grad()
def encoder_inputs(model: nn.Module, tokenizer, texts: list[str], max_length: int, batch_size: int,
                   calibration: bool) -> list[_Batch]:
    """The first block's inputs (embedding output and mask arguments), captured with a hook."""
    first_block = adapter.blocks(model)[0]
    device = next(model.parameters()).device
    captured: list[_Batch] = []

    def capture(module, args, kwargs):
        hidden = args[0] if args else kwargs.pop("hidden_states")
        captured.append(_Batch(tuple(args[1:]), dict(kwargs), token_mask, hidden, hidden.clone(), calibration))
        raise _StopForward

    handle = first_block.register_forward_pre_hook(capture, with_kwargs=True)
    try:
        for texts_batch in batched(texts, batch_size):
            encoded = tokenize(tokenizer, texts_batch, max_length, device)
            token_mask = encoded["attention_mask"].bool()
            try:
                model(**encoded)
            except _StopForward:
                pass
    finally:
        handle.remove()
    return captured


def run_block(block: nn.Module, hidden: torch.Tensor, batch: _Batch) -> torch.Tensor:
    output = block(hidden, *batch.block_args, **batch.block_kwargs)
    return output[0] if isinstance(output, tuple) else output


@contextmanager
def capture_inputs(linears: dict[str, nn.Linear], store: dict[str, torch.Tensor], token_mask_ref: list):
    """Forward hooks that put each linear's input tokens (padding removed) into ``store``."""

    def hook_for(sublayer):
        def hook(module, inputs, output):
            store[sublayer] = inputs[0][token_mask_ref[0]]
        return hook

    handles = [linear.register_forward_hook(hook_for(sublayer)) for sublayer, linear in linears.items()]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def relative_error(reference: torch.Tensor, approximation: torch.Tensor) -> float:
    reference, approximation = reference.double(), approximation.double()
    return float(((reference - approximation) ** 2).sum() / (reference ** 2).sum().clamp_min(1e-30))


def layer_record(linear: adapter.PrunableLinear, dense_linear: nn.Linear,
                 sparse_inputs: torch.Tensor, dense_inputs: torch.Tensor) -> LayerRecord:
    """Local and end-to-end relative reconstruction errors of one pruned layer (see LayerRecord)."""
    sparse_linear = linear.module
    dense_on_sparse = dense_linear(sparse_inputs)
    weight = sparse_linear.weight
    return LayerRecord(
        name=linear.name, block=linear.block, sublayer=linear.sublayer,
        out_features=weight.shape[0], in_features=weight.shape[1],
        sparsity=float((weight == 0).sum()) / weight.numel(),
        reconstruction_error_local=relative_error(dense_on_sparse, sparse_linear(sparse_inputs)),
        reconstruction_error_e2e=relative_error(dense_linear(dense_inputs), sparse_linear(sparse_inputs)),
    )


@torch.no_grad()
def prune_group(group: tuple[str, ...], block_index: int, model: nn.Module, dense_block: nn.Module,
                batches: list[_Batch], method: type[LayerPruner], config: PruneConfig) -> list[LayerRecord]:
    """Prune one input group of one block: stream inputs, solve, write weights, measure."""
    sparse_linears = {name: item for name, item in adapter.block_linears(model, block_index).items() if name in group}
    dense_linears = {name: item.module for name, item in
                     adapter.block_linears(model, block_index, dense_block).items() if name in group}
    sparse_block = adapter.blocks(model)[block_index]
    pruners = {name: method(item.module.weight, config) for name, item in sparse_linears.items()}
    sparse_store: dict[str, torch.Tensor] = {}
    dense_store: dict[str, torch.Tensor] = {}
    heldout_sparse: dict[str, list[torch.Tensor]] = {name: [] for name in group}
    heldout_dense: dict[str, list[torch.Tensor]] = {name: [] for name in group}
    token_mask_ref: list = [None]
    with capture_inputs({name: item.module for name, item in sparse_linears.items()}, sparse_store, token_mask_ref), \
            capture_inputs(dense_linears, dense_store, token_mask_ref):
        for batch in batches:
            if batch.calibration and not method.uses_inputs:
                continue
            token_mask_ref[0] = batch.token_mask
            run_block(sparse_block, batch.sparse_hidden, batch)
            run_block(dense_block, batch.dense_hidden, batch)
            for name in group:
                if batch.calibration:
                    pruners[name].add_batch(sparse_store[name], dense_store[name] if method.uses_dense_inputs else None)
                else:
                    heldout_sparse[name].append(sparse_store[name])
                    heldout_dense[name].append(dense_store[name])
    records = []
    for name, item in sparse_linears.items():
        item.module.weight.copy_(pruners.pop(name).prune().to(item.module.weight.dtype))
        records.append(layer_record(item, dense_linears[name], torch.cat(heldout_sparse[name]),
                                    torch.cat(heldout_dense[name])))
    return records


@torch.no_grad()
def prune_model(model: nn.Module, tokenizer, calibration_texts: list[str], heldout_texts: list[str],
                method: type[LayerPruner], config: PruneConfig, max_length: int,
                progress: Progress = silent) -> list[LayerRecord]:
    """Prune ``model`` in place, block by block; returns one record per pruned Linear."""
    model.eval()
    batches = (encoder_inputs(model, tokenizer, calibration_texts, max_length, config.batch_size, True)
               + encoder_inputs(model, tokenizer, heldout_texts, max_length, config.batch_size, False))
    blocks = adapter.blocks(model)
    total_steps = len(blocks) * len(adapter.INPUT_GROUPS)
    records: list[LayerRecord] = []
    for block_index, block in enumerate(blocks):
        dense_block = copy.deepcopy(block)
        for group_index, group in enumerate(adapter.INPUT_GROUPS):
            records.extend(prune_group(group, block_index, model, dense_block, batches, method, config))
            progress("prune", block_index * len(adapter.INPUT_GROUPS) + group_index + 1, total_steps)
        for batch in batches:  # move both streams past this block
            batch.sparse_hidden = run_block(block, batch.sparse_hidden, batch)
            batch.dense_hidden = run_block(dense_block, batch.dense_hidden, batch)
        del dense_block
    if config.refit_head:
        refit_head(model, batches, config)
    return records


def with_bias_column(inputs: torch.Tensor) -> torch.Tensor:
    return torch.cat([inputs, torch.ones(inputs.shape[0], 1, dtype=inputs.dtype, device=inputs.device)], dim=1)


@torch.no_grad()
def refit_head(model: nn.Module, batches: list[_Batch], config: PruneConfig) -> None:
    """Re-fit the head's Linears (weight and bias) so that, fed by the pruned encoder, they
    reproduce the dense head's pre-activations: the krp objective (1) without a sparsity
    constraint, i.e. the rectified weight W* of Eq. (2), on the calibration texts' first token.
    The layers stay dense; the last layer's output is the logits themselves."""
    from robustprune.prune.krp import rectified_weight
    from robustprune.prune.obs import HessianAccumulator, inverse_hessian_factor

    calibration = [batch for batch in batches if batch.calibration]
    sparse_inputs = torch.cat([batch.sparse_hidden[:, 0] for batch in calibration]).float()
    dense_inputs = torch.cat([batch.dense_hidden[:, 0] for batch in calibration]).float()
    for linear, activation in adapter.head_linears(model):
        dense_weight = torch.cat([linear.weight, linear.bias.unsqueeze(1)], dim=1).float()
        statistics = HessianAccumulator(dense_weight.shape[1], dense_weight.device, with_cross=True)
        statistics.add(with_bias_column(sparse_inputs), with_bias_column(dense_inputs))
        damping = statistics.damping(config.damping)
        hessian = statistics.damped_hessian(damping)
        fitted = rectified_weight(dense_weight, hessian, statistics.damped_cross(damping), inverse_hessian_factor(hessian))
        dense_outputs = activation(dense_inputs @ linear.weight.T.float() + linear.bias.float())
        linear.weight.copy_(fitted[:, :-1].to(linear.weight.dtype))
        linear.bias.copy_(fitted[:, -1].to(linear.bias.dtype))
        sparse_inputs, dense_inputs = activation(sparse_inputs @ linear.weight.T.float() + linear.bias.float()), dense_outputs
