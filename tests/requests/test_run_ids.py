"""Requests compute the run ids the version before them computed (``landed_run_ids.json``): every run a store
holds from that version is found cached, and a sweep plans the very same cells."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from robustprune.attack.attribution import IGSettings
from robustprune.attack.run import AttackConfig
from robustprune.attack.texts import AttackTexts
from robustprune.finetune import FinetuneConfig
from robustprune.jobs import job_id_for
from robustprune.prune import PruneConfig
from robustprune.requests import (REQUESTS, AttackRequest, FrontierRequest, AttackShardRequest, AttributionRequest, DataRef,
                                  FinetuneRequest, LayerAUCRequest, ProjectionRequest, PruneRequest,
                                  SoupCandidateRequest, SoupRequest, StructuredRequest, SweepRequest,
                                  request_from_dict)
from robustprune.soup import SoupConfig
from robustprune.structured import KPruneConfig
from robustprune.sweep import SweepSpec, plan_sweep

from tests.requests.landed_run_ids import fixed_data

LANDED = json.loads((Path(__file__).parent / "landed_run_ids.json").read_text(encoding="utf-8"))
RUNS = LANDED["runs"]
REF = DataRef("fixed")


@pytest.fixture(scope="module")
def data():
    return fixed_data()


def requests() -> dict:
    finetune = FinetuneConfig(epochs=2, seed=3)
    soup = SoupConfig(candidates=3, base=finetune, criterion="attack", attack_examples=5)
    prune = PruneConfig("krp", 0.5, calibration=8, heldout=4, seed=2)
    attack = AttackConfig(recipe="textbugger", num_examples=6)
    on_pruned = AttackRequest(RUNS["prune"], attack, data=REF)
    return {"finetune": FinetuneRequest("minilm", REF, finetune),
            "finetune-default": FinetuneRequest("minilm", REF),
            "soup": SoupRequest("minilm", REF, soup),
            "soup-candidate-1": SoupCandidateRequest("minilm", REF, soup, 1),
            "prune": PruneRequest("minilm", REF, prune, "finetune", finetune),
            "prune-from-soup": PruneRequest("minilm", REF, prune, "soup", finetune, soup),
            "structured": StructuredRequest("minilm", REF, "kprune", KPruneConfig(flops_reduction=0.4, seed=1),
                                            finetune=finetune),
            # data-free: its seed and sample are no part of its key
            "structured-magnitude": StructuredRequest("minilm", REF, "structured-magnitude",
                                                      KPruneConfig(flops_reduction=0.4, seed=9), finetune=finetune),
            "attack-dense": AttackRequest("dense", attack, "minilm", REF),
            "attack": on_pruned,
            "attack-shard-2-4": AttackShardRequest(on_pruned, 2, 4),
            "attack-texts": AttackRequest(RUNS["prune"], attack,
                                          texts=AttackTexts(("one text", "another text"), (0, 1), "pasted")),
            "attribution": AttributionRequest(RUNS["attack"], 3, IGSettings(steps=7)),
            "layer-auc": LayerAUCRequest(RUNS["attack"]),
            "projection": ProjectionRequest(RUNS["attack"])}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_every_kind_of_request_computes_the_landed_run_id(name, data):
    request = requests()[name]
    assert request.run_id(data) == RUNS[name]
    assert request.store_kind == RUNS[name].rsplit("-", 1)[0]


def test_every_registered_kind_is_checked():
    checked = {type(request) for request in requests().values()} | {SweepRequest, FrontierRequest}  # new kinds
    assert checked == set(REQUESTS.values())


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_request_travels_as_plain_data(name, data):
    request = requests()[name]
    params = json.loads(json.dumps(request.to_dict()))  # what the job table stores
    again = request_from_dict(request.kind, params)
    assert again == request and again.run_id(data) == RUNS[name]


def test_a_pruning_request_requires_its_dense_start_and_its_calibration_attacks(data):
    from dataclasses import replace

    prune = requests()["prune"]
    assert [dense.run_id(data) for dense in prune.requires(data)] == [RUNS["finetune"]]
    adversarial = replace(prune, config=PruneConfig("krp", 0.5, calibration=8, heldout=4, seed=2,
                                                    calibration_adversarial=4))
    dense, *attacks = adversarial.requires(data)
    assert dense.run_id(data) == RUNS["finetune"] and attacks
    assert all(attack.target == RUNS["finetune"] and attack.texts is not None for attack in attacks)
    soup = requests()["soup"]
    assert [candidate.run_id(data) for candidate in soup.requires(data)][1] == RUNS["soup-candidate-1"]


def test_a_sweep_plans_the_landed_cells_and_rows(data):
    sweep = LANDED["sweep"]
    plan = plan_sweep(SweepSpec.from_dict(sweep["spec"]), data, sweep["shard_size"])
    assert [[cell.run_id, cell.kind, cell.label, list(cell.needs)] for cell in plan.cells] == sweep["cells"]
    assert [asdict(row) for row in plan.rows] == sweep["rows"]
    for cell in plan.cells:  # each cell is the request that makes its run
        assert cell.request.run_id(data) == cell.run_id and cell.request.store_kind == cell.kind


# the parameters the pages and the job handlers of the landed version wrote into the job table
LANDED_JOBS = [
    ("finetune", {"model": "minilm", "dataset": "fixed", "text_column": "text", "label_column": "label",
                  "finetune": {}}, "finetune-default"),
    ("prune", {"model": "minilm", "dataset": "fixed", "text_column": "text", "label_column": "label",
               "finetune": {"epochs": 2, "seed": 3}, "dense": "finetune",
               "prune": PruneConfig("krp", 0.5, calibration=8, heldout=4, seed=2).to_dict()}, "prune"),
    ("attack", {"target": "dense", "attack": asdict(AttackConfig(recipe="textbugger", num_examples=6)),
                "model": "minilm", "dataset": "fixed", "text_column": "text", "label_column": "label"},
     "attack-dense"),
    ("attack", {"target": RUNS["prune"], "attack": asdict(AttackConfig(recipe="textbugger", num_examples=6)),
                "texts": {"texts": ["one text", "another text"], "labels": [0, 1], "source": "pasted"}},
     "attack-texts"),
    ("attribution", {"attack": RUNS["attack"], "example": 3, "ig": IGSettings(steps=7).to_dict()}, "attribution"),
    ("layer-auc", {"attack": RUNS["attack"]}, "layer-auc"),
    ("projection", {"attack": RUNS["attack"]}, "projection"),
]


@pytest.mark.parametrize("kind, params, name", LANDED_JOBS)
def test_a_job_queued_by_the_landed_version_reads_back_unchanged(kind, params, name, data):
    """Its request makes the same run, and writes the same parameters (so the job keeps its id)."""
    request = request_from_dict(kind, params)
    assert request.run_id(data) == RUNS[name]
    assert request.to_dict() == params
    assert job_id_for(kind, request.to_dict()) == job_id_for(kind, params)


def test_the_landed_soup_and_sweep_jobs_read_back_unchanged():
    soup = {"model": "minilm", "dataset": "rotten_tomatoes", "text_column": "text", "label_column": "label",
            "finetune": {}, "soup": {"criterion": "attack"}}
    assert request_from_dict("soup", soup).to_dict() == soup
    assert request_from_dict("soup", soup).soup == SoupConfig(criterion="attack")
    sweep = {"spec": LANDED["sweep"]["spec"], "ray": None}
    assert request_from_dict("sweep", sweep).to_dict() == sweep
