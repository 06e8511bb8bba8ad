"""A finished search as an answer: the range with its evidence, one line and a table.

"krp+refit (paper setup), textbugger, n = 200: kept up to 72.5 %, lost from 80 %; 75–77.5 %
undecided (about 600 sentences would decide)" — never a bare yes: the line names what was
kept, what was lost, what the data cannot tell yet, and the clean accuracy's verdicts beside
it; where robustness was kept but clean accuracy lost, it says so (a model that keeps its
robustness but loses its accuracy is no free lunch: one leaning to one class is harder to flip). The table
has every probe with both verdicts, the differences in points with their 95 % intervals,
and the p-value (one seed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from robustprune.frontier.search import FrontierSearch, Probe, boundaries
from robustprune.frontier.verdict import KEPT, LOST, UNDECIDED, Verdict
from robustprune.stats.text import difference_text


def percent(sparsity: float) -> str:
    return f"{sparsity * 100:.1f}".removesuffix(".0") + " %"


@dataclass(frozen=True)
class Boundary:
    """What one metric's verdicts say: kept up to, lost from, undecided between, kept beyond the loss."""

    kept_up_to: float  # 0: not kept at any probed sparsity
    lost_from: float | None  # None: not lost at any probed sparsity
    undecided: list[float]  # probed sparsities between the two whose verdict is undecided
    kept_beyond: list[float]  # kept above lost_from: the response is not monotone there
    sentences_to_decide: int | None  # the most the undecided probes between need (rough, see verdict.py)
    highest_probed: float
    lost_from_collapsed: bool = False  # the model at lost_from collapsed (robustprune.collapse)
    undecided_beyond: list[float] = field(default_factory=list)  # undecided above lost_from (not shown lost there)

    @classmethod
    def of(cls, verdicts: dict[float, Verdict]) -> "Boundary":
        kept_up_to, lost_from = boundaries(verdicts)
        top = lost_from if lost_from is not None else float("inf")
        between = [s for s, v in sorted(verdicts.items()) if kept_up_to < s < top and v.verdict == UNDECIDED]
        needs = [verdicts[s].sentences_to_decide for s in between if verdicts[s].sentences_to_decide is not None]

        def above_the_loss(verdict: str) -> list[float]:
            return [s for s, v in sorted(verdicts.items()) if s > top and v.verdict == verdict]

        return cls(kept_up_to, lost_from, between, above_the_loss(KEPT), max(needs) if needs else None,
                   max(verdicts, default=0.0), lost_from is not None and verdicts[lost_from].collapsed,
                   above_the_loss(UNDECIDED))

    def describe(self) -> str:
        parts = []
        if self.kept_up_to > 0:
            parts.append(f"kept up to {percent(self.kept_up_to)}" + (", the highest level probed" if (
                self.lost_from is None and self.kept_up_to == self.highest_probed) else ""))
        if self.lost_from is not None:
            parts.append(f"lost from {percent(self.lost_from)}" + (" (collapsed)" if self.lost_from_collapsed else ""))
        text = ", ".join(parts)
        if self.undecided:
            span = (percent(self.undecided[0]) if len(self.undecided) == 1 else
                    f"{percent(self.undecided[0]).removesuffix(' %')}–{percent(self.undecided[-1])}")
            text += f"{'; ' if text else ''}{span} undecided"
            if self.sentences_to_decide:
                text += f" (about {self.sentences_to_decide} sentences would decide)"
        if self.kept_up_to == 0 and self.lost_from is not None and not self.undecided:
            text = "not kept at any level probed, " + text
        if self.kept_beyond:
            text += f"; kept again at {', '.join(percent(s) for s in self.kept_beyond)} (not monotone)"
        if self.undecided_beyond:
            text += f"; {', '.join(percent(s) for s in self.undecided_beyond)} undecided above the loss"
        return text


@dataclass
class FrontierAnswer:
    """The frontier of one method under one attack."""

    method: str  # the method variant's label, e.g. krp+refit
    label: str  # for people, e.g. "krp+refit (paper setup)"
    recipe: str
    sentences: int
    seeds: int
    margin: float  # fraction
    resolution: float
    attack: Boundary
    clean: Boundary
    probes: list[Probe] = field(default_factory=list)
    complete: bool = True  # False when a probe's run failed and the search stopped there
    dense_collapsed: bool = False  # the dense start itself collapsed: it has no robustness to keep

    @classmethod
    def of(cls, search: FrontierSearch, method: str, label: str, recipe: str, sentences: int,
           seeds: int, complete: bool = True, dense_collapsed: bool = False) -> "FrontierAnswer":
        return cls(method, label, recipe, sentences, seeds, search.margin, search.resolution,
                   Boundary.of(search.verdicts("attack")), Boundary.of(search.verdicts("clean")),
                   [search.probes[s] for s in sorted(search.probes)], complete, dense_collapsed)

    def line(self) -> str:
        seeds = f", {self.seeds} seeds" if self.seeds > 1 else ""
        if not self.probes:
            return f"{self.label}, {self.recipe}, n = {self.sentences}{seeds}: no probe finished (a run failed)."
        stopped = "" if self.complete else " (incomplete: a run failed; the same request again retries it)"
        if self.dense_collapsed:
            stopped += " The dense start itself collapsed (robustprune.collapse): it has no robustness to keep."
        return (f"{self.label}, {self.recipe}, n = {self.sentences}{seeds}: {self.attack.describe()}. "
                f"Clean accuracy: {self.clean.describe()}.{self.no_free_lunch()}{stopped}")

    def kept_but_clean_lost(self) -> list[float]:
        """The sparsities kept under attack whose clean accuracy was lost on the same sentences."""
        return [probe.sparsity for probe in self.probes if probe.attack.verdict == KEPT and probe.clean.verdict == LOST]

    def no_free_lunch(self) -> str:
        """What the line must say when robustness was kept where accuracy was not: a model that leans to one class,
        on its way to collapsing, is harder to flip, so its accuracy under attack holds (or rises) while it loses
        the sentences it classified right — kept robustness there is no free lunch."""
        hollow = self.kept_but_clean_lost()
        if not hollow:
            return ""
        return (f" At {', '.join(percent(sparsity) for sparsity in hollow)} robustness was kept but clean accuracy "
                "lost: no free lunch (a model leaning to one class is harder to flip).")

    def table(self) -> pd.DataFrame:
        rows = []
        for probe in self.probes:
            rows.append({"method": self.method, "recipe": self.recipe, "sparsity": probe.sparsity,
                         "under_attack": probe.attack.verdict,
                         "attack_vs_dense_points": difference_text(probe.attack.difference, probe.attack.difference_low,
                                                                   probe.attack.difference_high, probe.attack.p_value),
                         "clean": probe.clean.verdict,
                         "clean_vs_dense_points": difference_text(probe.clean.difference, probe.clean.difference_low,
                                                                  probe.clean.difference_high, probe.clean.p_value),
                         "collapsed": probe.attack.collapsed,
                         "sentences_to_decide": probe.attack.sentences_to_decide})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["line"] = self.line()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "FrontierAnswer":
        """The answer ``to_dict`` wrote (a stored frontier run's ``frontiers``)."""
        probes = [Probe(probe["sparsity"], Verdict(**probe["attack"]), Verdict(**probe["clean"]),
                        list(probe.get("run_ids", []))) for probe in data["probes"]]
        boundaries_ = {}
        for metric in ("attack", "clean"):
            stored = data[metric]
            if "undecided_beyond" not in stored:  # stored before it was: read off the probes' verdicts
                stored = {**stored, "undecided_beyond": Boundary.of(
                    {probe.sparsity: getattr(probe, metric) for probe in probes}).undecided_beyond}
            boundaries_[metric] = Boundary(**stored)
        return cls(data["method"], data["label"], data["recipe"], data["sentences"], data["seeds"], data["margin"],
                   data["resolution"], boundaries_["attack"], boundaries_["clean"], probes,
                   data["complete"], data["dense_collapsed"])


def more_sentences(answers: list[FrontierAnswer], sentences: int, test_size: int) -> tuple[int | None, str | None]:
    """The next question to ask when the answers leave sparsities undecided under attack: (n, why) with n the
    most sentences the undecided probes need (their rough estimate), if the test split has that many; else
    (None, why not). (None, None) when nothing is undecided or more sentences would not help."""
    needs = [answer.attack.sentences_to_decide for answer in answers if answer.attack.sentences_to_decide]
    wanted = max(needs, default=0)
    if wanted <= sentences:
        return None, None
    if wanted > test_size:
        return None, (f"About {wanted:,} sentences would decide what is undecided, more than the test split's "
                      f"{test_size:,}: several seeds (robustprune frontier --seeds K) pool over sentences and seeds.")
    return wanted, (f"About {wanted:,} sentences would decide what is undecided. Asked on {wanted:,}, each attack "
                    f"searches only the {wanted - sentences:,} sentences added, starting from its cached run on the "
                    f"first {sentences:,} (runs made before attack runs kept their search outcomes are searched "
                    "again).")


__all__ = ["Boundary", "FrontierAnswer", "more_sentences", "percent"]
