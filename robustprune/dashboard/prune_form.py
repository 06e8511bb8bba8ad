"""The Prune page's form as plain data: what the URL holds, the request it makes, and the form of a cached run.

The form's URL parameters are the link to a view: ``PruneForm.from_record`` turns a cached
pruning run (unstructured or structured) into the form that asks for it, so the Overview
and the Runs page can link to any run, and ``PruneForm.query_params`` is compared with
the widgets to tell whether the user has since asked for something else.
"""

from __future__ import annotations

from dataclasses import dataclass

from robustprune.dashboard.choices import DataChoice, model_choice_source, sparsity_fraction
from robustprune.dashboard.requests import prune_request, structured_request
from robustprune.requests import PruneRequest, StructuredRequest
from robustprune.presets import PRESETS
from robustprune.prune import PruneConfig
from robustprune.store import RunRecord
from robustprune.structured import METHODS as STRUCTURED_METHODS
from robustprune.structured import KPruneConfig

UNSTRUCTURED = "unstructured"
PATTERNS = (UNSTRUCTURED, "2:4", "4:8")
DEFAULT_SAMPLE_TOKENS = KPruneConfig(0.0).sample_tokens


def is_structured(method: str) -> bool:
    return method in STRUCTURED_METHODS


@dataclass(frozen=True)
class PruneForm:
    """What the Prune page's widgets hold. Percentages as the sliders show them."""

    model: str
    data: DataChoice
    method: str
    dense_start: str = "finetune"
    calibration: int = 128
    sparsity_percent: float = 50.0
    pattern: str = UNSTRUCTURED
    flops_percent: float = 50.0
    sample_tokens: int = DEFAULT_SAMPLE_TOKENS
    paper: bool = False  # the paper's setup (robustprune.presets): soup chosen under attack, re-fitted head, 512 texts
    refit_head: bool = False
    calibration_adversarial: int = 0  # robustness-aware calibration: adversarial texts of the dense model added

    @property
    def structured(self) -> bool:
        return is_structured(self.method)

    def request(self) -> PruneRequest | StructuredRequest:
        """The request of this form, its model resolved (``sources``); RobustPruneError names a setting that
        cannot work, or a model the dashboard does not open."""
        model = model_choice_source(self.model)
        if self.structured:
            config = KPruneConfig(flops_reduction=sparsity_fraction(self.flops_percent),
                                  sample_tokens=int(self.sample_tokens))
            return structured_request(model, self.data, self.method, config, self.dense_start)
        pattern = None if self.pattern == UNSTRUCTURED else self.pattern
        config = PruneConfig(self.method, sparsity_fraction(self.sparsity_percent), pattern=pattern,
                             calibration=int(self.calibration), refit_head=self.refit_head,
                             calibration_adversarial=int(self.calibration_adversarial))
        criterion = PRESETS["paper"].soup.get("criterion", "clean") if self.paper else "clean"
        return prune_request(model, self.data, config, self.dense_start, criterion)

    def query_params(self) -> dict[str, str]:
        """The URL parameters that set the widgets to this form (only those that matter for the method)."""
        params = {"model": self.model, **{key: value for key, value in self.data.url_fields().items()
                                          if self.data.is_file or key == "dataset"},
                  "method": self.method, "dense": self.dense_start}
        if self.structured:
            params["flops"] = f"{self.flops_percent:g}"
            if self.method == "kprune":
                params["tokens"] = str(int(self.sample_tokens))
        else:
            params.update(calibration=str(int(self.calibration)), pattern=self.pattern, paper=str(self.paper),
                          refit=str(self.refit_head), adversarial=str(int(self.calibration_adversarial)))
            if self.pattern == UNSTRUCTURED:
                params["sparsity"] = f"{self.sparsity_percent:g}"
        return params

    @classmethod
    def paper_setup(cls, model: str, data: DataChoice, method: str, sparsity_percent: float = 50.0,
                    pattern: str = UNSTRUCTURED, calibration_adversarial: int = 0) -> "PruneForm":
        """The form of the paper's setup (``robustprune.presets.PRESETS["paper"]``) for ``method``."""
        paper = PRESETS["paper"]
        return cls(model, data, method, paper.dense_start, paper.calibration, sparsity_percent, pattern, paper=True,
                   refit_head=paper.refit_head, calibration_adversarial=calibration_adversarial)

    @classmethod
    def from_record(cls, record: RunRecord, dense_summary: dict | None = None) -> PruneForm:
        """The form that asks for a cached ``prune`` or ``structured`` run (``dense_summary``: its dense start's,
        which says whether a soup was chosen under attack: the paper's setup)."""
        summary = record.summary
        dataset = DataChoice(record.dataset or "", **{name: summary[name] for name in ("text_column", "label_column")
                                                      if name in summary})
        start = summary.get("dense_start", "finetune")
        if record.kind == "structured":
            config = summary.get("config", {})
            return cls(record.model, dataset, record.method, start, flops_percent=100 * summary["flops_reduction"],
                       sample_tokens=config.get("sample_tokens", DEFAULT_SAMPLE_TOKENS))
        from robustprune.presets import preset_of

        config = summary["config"]
        return cls(record.model, dataset, record.method, start, calibration=config["calibration"],
                   sparsity_percent=round(100 * config["sparsity"], 4), pattern=config.get("pattern") or UNSTRUCTURED,
                   paper=preset_of(summary, dense_summary) == "paper", refit_head=bool(config.get("refit_head")),
                   calibration_adversarial=int(config.get("calibration_adversarial", 0)))


def follow_link(memory: dict, linked: str | None, form_params: dict[str, str]) -> str | None:
    """The run a link names, for as long as the form still shows what it showed when the link was opened.

    ``memory`` persists between reruns (the page's session state); ``form_params`` is the
    form's ``query_params()`` now. Returns None once the user has changed the form.
    """
    if not linked:
        memory.clear()
        return None
    if memory.get("linked") != linked:
        memory.update(linked=linked, form=dict(form_params))
        return linked
    if memory.get("form") == form_params:
        return linked
    memory.clear()
    return None


__all__ = ["PruneForm", "PATTERNS", "UNSTRUCTURED", "is_structured", "follow_link"]
