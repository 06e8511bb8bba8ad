"""``sweep``'s lists on the command line: an item given twice is one cell, not every row twice."""

from __future__ import annotations

from robustprune.cli import apply_preset, build_parser, main, sweep_spec


def spec_of(*argv):
    args = build_parser().parse_args(["sweep", *argv])
    apply_preset(args)
    return sweep_spec(args)


def test_a_method_sparsity_or_recipe_given_twice_is_taken_once():
    spec = spec_of("--methods", "krp,magnitude,krp", "--sparsities", "0.5,0.50,2:4,2:4",
                   "--recipes", "textbugger,textbugger", "--flops-reductions", "0.5,0.5", "--dense", "finetune,finetune")
    assert spec.methods == ("krp", "magnitude")
    assert spec.sparsities == (0.5, "2:4")
    assert spec.recipes == ("textbugger",)
    assert spec.flops_reductions == (0.5,)
    assert spec.dense_starts == ("finetune",)


def test_a_dry_run_with_a_repeated_method_lists_each_row_once(capsys, tiny_model_dir, tiny_csv):
    import json

    common = ["sweep", "--dry-run", "--json", "--model", tiny_model_dir, "--dataset", str(tiny_csv), "--text-column",
              "review", "--label-column", "sentiment", "--sparsities", "0.5", "--recipes", "textbugger", "-n", "2"]
    assert main([*common, "--methods", "magnitude"]) == 0
    once = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main([*common, "--methods", "magnitude,magnitude"]) == 0
    twice = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(twice["rows"]) == len(once["rows"]) >= 1
    assert twice["cells"] == once["cells"]
