"""A frontier request as data: the preset's setup, a stable run id, a round trip through JSON."""

from __future__ import annotations

import json

from robustprune.cli import apply_preset, build_parser
from robustprune.cli.frontier import frontier_request
from robustprune.frontier import FrontierRequest


def request_of(*argv) -> FrontierRequest:
    args = build_parser().parse_args(["frontier", *argv])
    apply_preset(args)
    return frontier_request(args)


def test_the_paper_preset_gives_the_papers_krp_on_its_soup():
    request = request_of("--method", "krp", "--preset", "paper", "--recipe", "textbugger", "-n", "200")
    spec = request.sweep
    assert spec.methods == ("krp+refit",) and spec.dense_starts == ("soup",) and spec.calibration == 512
    assert spec.soup["criterion"] == "attack" and spec.num_examples == 200
    assert request.label(request.variants[0]) == "krp+refit (paper setup)"
    plain = request_of("--method", "krp", "--recipe", "textbugger")
    assert plain.sweep.methods == ("krp",) and plain.sweep.dense_starts == ("finetune",)
    assert plain.sweep.calibration == 128 and plain.levels == (0.3, 0.5, 0.7, 0.875)


def test_a_request_round_trips_and_its_run_id_names_its_fields():
    request = request_of("--methods", "krp,sparsegpt", "--recipes", "textbugger,textfooler", "--margin", "3")
    again = FrontierRequest.from_dict(json.loads(json.dumps(request.to_dict())))
    assert again == request and again.run_id() == request.run_id()
    assert request_of("--methods", "krp,sparsegpt", "--recipes", "textbugger,textfooler", "--margin", "4").run_id() \
        != request.run_id()
    assert request.probe_spec([0.6], ("krp",), ("textbugger",)).sparsities == (0.6,)
