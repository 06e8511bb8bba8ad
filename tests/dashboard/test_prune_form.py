"""The Prune page's form as data: a cached run's form asks for that run again; a link holds until the form changes."""

import pytest

from robustprune.dashboard.choices import DataChoice
from robustprune.dashboard.links import run_view
from robustprune.dashboard.prune_form import PruneForm, follow_link
from robustprune.dashboard.requests import prune_request
from robustprune.data import load_task_data
from robustprune.errors import RobustPruneError
from robustprune.requests import StructuredRequest
from robustprune.store import RunStore


def test_the_form_of_a_cached_run_names_that_run(home, workspace):
    data, store = load_task_data(workspace.csv), RunStore()
    for run_id in (workspace.krp_run_id, workspace.sparsegpt_run_id, workspace.structured_run_id):
        form = PruneForm.from_record(store.require(run_id))
        form = PruneForm(**{**form.__dict__, "data": DataChoice(workspace.csv)})  # the file's path, not its name
        assert form.request().run_id(data) == run_id


def test_query_params_hold_only_what_the_method_uses(empty_home, workspace):
    unstructured = PruneForm("m", DataChoice("rotten_tomatoes"), "krp", sparsity_percent=87.5, calibration=64)
    assert unstructured.query_params() == {"model": "m", "dataset": "rotten_tomatoes", "method": "krp",
                                           "dense": "finetune", "calibration": "64", "pattern": "unstructured",
                                           "paper": "False", "refit": "False", "adversarial": "0",
                                           "sparsity": "87.5"}
    two_four = PruneForm("m", DataChoice("rotten_tomatoes"), "wanda", pattern="2:4", sparsity_percent=70)
    assert "sparsity" not in two_four.query_params()
    assert two_four.request().config.target_sparsity == 0.5 and two_four.request().config.sparsity == 0.5
    structured = PruneForm("m", DataChoice(workspace.csv_name), "kprune", "soup", flops_percent=40,
                           sample_tokens=2048)
    assert structured.query_params() == {"model": "m", "dataset": workspace.csv_name, "text_column": "text",
                                         "label_column": "label", "method": "kprune", "dense": "soup",
                                         "flops": "40", "tokens": "2048"}
    request = structured.request()
    assert isinstance(request, StructuredRequest) and request.config.flops_reduction == 0.4
    assert request.to_dict()["dense"] == "soup" and "soup" in request.to_dict()


def test_bad_settings_are_named():
    with pytest.raises(RobustPruneError, match="FLOPs reduction"):
        PruneForm("m", DataChoice("rotten_tomatoes"), "kprune", flops_percent=100).request()
    with pytest.raises(RobustPruneError, match="dense start"):
        prune_request("m", DataChoice("rotten_tomatoes"), PruneForm("m", DataChoice("rotten_tomatoes"), "krp").request().config,
                      dense_start="average")


def test_a_link_holds_until_the_form_changes():
    memory, form, changed = {}, {"method": "krp", "sparsity": "50"}, {"method": "krp", "sparsity": "70"}
    assert follow_link(memory, "prune-a", form) == "prune-a"  # opened: the widgets show the link's form
    assert follow_link(memory, "prune-a", form) == "prune-a"  # reruns keep it
    assert follow_link(memory, "prune-a", changed) is None  # the user moved the slider
    assert follow_link(memory, "prune-b", changed) == "prune-b"  # a new link is followed again
    assert follow_link(memory, None, changed) is None and memory == {}


def test_every_run_has_a_view(home, workspace):
    store = RunStore()
    assert run_view(store, workspace.krp_run_id) == ("pages/prune.py", {"run": workspace.krp_run_id})
    assert run_view(store, workspace.structured_run_id) == ("pages/prune.py", {"run": workspace.structured_run_id})
    assert run_view(store, workspace.attack_run_id) == ("pages/attacks.py", {"run": workspace.krp_run_id,
                                                                             "attack": workspace.attack_run_id})
    assert run_view(store, workspace.dense_run_id) == ("pages/runs.py", {"a": workspace.dense_run_id})
    with pytest.raises(RobustPruneError):
        run_view(store, "prune-000000000000")


def test_the_papers_setup_is_the_run_of_its_settings_and_links_back_to_it(empty_home, workspace):
    """The toggle asks for the soup chosen under attack, krp with the re-fitted head and 512 texts: one run id,
    whichever way it was asked for; a run with those settings opens with the toggle on."""
    from types import SimpleNamespace

    from robustprune.prune import PruneConfig

    data = DataChoice("rotten_tomatoes")
    paper = PruneForm.paper_setup("minilm", data, "krp", 87.5).request()
    explicit = prune_request("minilm", data, PruneConfig("krp", 0.875, calibration=512, refit_head=True), "soup",
                             "attack")
    assert paper == explicit and paper.to_dict()["soup"] == {"criterion": "attack"}
    task_data = load_task_data("rotten_tomatoes")
    assert paper.dense.run_id(task_data) != prune_request("minilm", data, explicit.config, "soup").dense.run_id(
        task_data)  # a soup chosen by clean accuracy is another dense start
    record = SimpleNamespace(kind="prune", model="minilm", dataset="rotten_tomatoes", method="krp", summary={
        "dense_start": "soup", "method": "krp",
        "config": {**explicit.config.to_dict(), "sparsity": 0.875}})
    form = PruneForm.from_record(record, {"config": {"criterion": "attack"}})
    assert form.paper and form.refit_head and form.request() == paper


def test_adversarial_calibration_from_the_form():
    form = PruneForm("minilm", DataChoice("rotten_tomatoes"), "krp", calibration_adversarial=64, refit_head=True)
    config = form.request().config
    assert config.calibration_adversarial == 64 and config.refit_head
    assert form.query_params()["adversarial"] == "64"
