"""Results of a structured pruning run: plain data, serialised to JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from robustprune.structured.flops import ModelCost


@dataclass
class SublayerRecord:
    """One sub-layer (a layer's MHA or its FFN) as K-prune left it.

    Both errors are ‖Ŷ − Y‖² / ‖Y‖² on the sample tokens, where Y is the dense model's
    sub-layer output before its LayerNorm (output projection + residual) and Ŷ the pruned
    model's: with the kept units' original weights (``untuned``) and after the
    least-squares weight tuning (``tuned``; equal to ``untuned`` when tuning is off).
    """

    layer: int
    kind: str  # "mha" (units are heads) or "ffn" (units are neurons)
    units_before: int
    units_kept: int
    reconstruction_error_untuned: float
    reconstruction_error_tuned: float


@dataclass
class StructuredResult:
    method: str  # "kprune" or "structured-magnitude"
    flops_reduction: float  # the target c: the fraction of FLOPs to remove
    seq_len: int  # the sequence length the FLOPs are counted for
    flops_before: int
    flops_after: int
    params_before: int
    params_after: int
    heads_before: list[int]  # per layer
    heads_kept: list[int]
    neurons_before: list[int]
    neurons_kept: list[int]
    seconds: float
    sample_texts: int = 0  # texts whose activations and gradients were used (0: data-free method)
    sample_tokens: int = 0  # their tokens, padding excluded
    config: dict = field(default_factory=dict)
    sublayers: list[SublayerRecord] = field(default_factory=list)

    @property
    def flops_ratio(self) -> float:
        """FLOPs after / before: at most 1 − ``flops_reduction``."""
        return self.flops_after / self.flops_before if self.flops_before else 1.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> StructuredResult:
        data = dict(data)
        data["sublayers"] = [SublayerRecord(**record) for record in data.get("sublayers", [])]
        return cls(**data)


def structured_result(method: str, flops_reduction: float, before: ModelCost, after: ModelCost, seconds: float,
                      **details) -> StructuredResult:
    """A result from the model's cost before and after pruning; ``details`` fill the optional fields."""
    return StructuredResult(
        method=method, flops_reduction=flops_reduction, seq_len=before.seq_len,
        flops_before=before.flops, flops_after=after.flops, params_before=before.params, params_after=after.params,
        heads_before=list(before.heads), heads_kept=list(after.heads),
        neurons_before=list(before.neurons), neurons_kept=list(after.neurons), seconds=seconds, **details)
