"""Results of a pruning run: plain data, serialised to JSON (summary) and Parquet (layers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LayerRecord:
    """One pruned Linear layer.

    ``reconstruction_error_local`` = ‖W X_s − Ŵ X_s‖² / ‖W X_s + b‖²: dense and sparse
    weights on the same (sparse-model) inputs, the error this layer adds itself.
    ``reconstruction_error_e2e`` = ‖(W X_d + b) − (Ŵ X_s + b)‖² / ‖W X_d + b‖²: the dense
    model's output of this layer against the sparse model's, everything below included.
    Both on held-out calibration texts.
    """

    name: str
    block: int
    sublayer: str
    out_features: int
    in_features: int
    sparsity: float
    reconstruction_error_local: float
    reconstruction_error_e2e: float


@dataclass
class PruneResult:
    run_id: str
    model: str
    dataset: str
    method: str
    target_sparsity: float
    sparsity: float
    accuracy_dense: float
    accuracy_sparse: float
    prune_seconds: float
    dense_run_id: str
    device: str
    config: dict
    dense_parts: list[str]
    layers: list[LayerRecord] = field(default_factory=list)
    cached: bool = False
    dense_start: str = "finetune"  # "finetune" (one fine-tuned model) or "soup" (greedy weight average)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PruneResult":
        data = dict(data)
        data["layers"] = [LayerRecord(**layer) for layer in data.get("layers", [])]
        return cls(**data)
