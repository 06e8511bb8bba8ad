"""Results of a pruning run: plain data, serialised to JSON (summary) and Parquet (layers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


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
    test_prediction_counts: list[int] | None = None  # per class, on the test split (None: runs made before)
    test_label_counts: list[int] | None = None
    # robustness-aware calibration (PruneConfig.calibration_adversarial): texts added, how many of them flipped the
    # dense model, and the attack runs on training texts that found them
    adversarial_calibration_texts: int = 0
    adversarial_calibration_flipped: int = 0
    adversarial_attack_run_ids: list[str] = field(default_factory=list)

    @property
    def collapse(self):
        """``robustprune.collapse.CollapseCheck`` of the pruned model on the test split, or None if not recorded."""
        return collapse_of(self.test_prediction_counts, self.test_label_counts, self.accuracy_sparse)

    def to_dict(self) -> dict:
        """Every field, and whether the pruned model collapsed (``collapsed``, ``collapse_reason``)."""
        check = self.collapse
        return {**asdict(self), "collapsed": None if check is None else check.collapsed,
                "collapse_reason": None if check is None else check.reason}

    @classmethod
    def from_dict(cls, data: dict) -> "PruneResult":
        names = {f.name for f in fields(cls)}
        data = {key: value for key, value in data.items() if key in names}
        data["layers"] = [LayerRecord(**layer) for layer in data.get("layers", [])]
        return cls(**data)


def collapse_of(prediction_counts, label_counts, accuracy: float):
    """The collapse check of recorded test counts (None when a run did not record them)."""
    if not prediction_counts or not label_counts:
        return None
    from robustprune.collapse import check_counts

    return check_counts(prediction_counts, label_counts, accuracy)


def recorded_collapse(summary: dict):
    """The collapse check of a stored run's summary: a pruning run's recorded test predictions, or a fine-tune's or
    soup's (recorded since they record them); None when it has none."""
    return collapse_of(summary.get("test_prediction_counts"), summary.get("test_label_counts"),
                       summary.get("accuracy_sparse", summary.get("accuracy", 0.0)))
