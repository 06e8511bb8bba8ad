"""The paper's setup as one choice: the settings it stands for, one cache key with the explicit flags."""

from robustprune.cli import apply_preset, build_parser, sweep_spec
from robustprune.data import load_task_data
from robustprune.presets import PRESETS, preset_of
from robustprune.sweep import plan_sweep


def parsed(*argv):
    args = build_parser().parse_args(list(argv))
    apply_preset(args)
    return args


def test_the_paper_preset_is_the_soup_under_attack_krp_refit_and_512_texts():
    args = parsed("prune", "--preset", "paper")
    assert (args.method, args.dense, args.criterion, args.refit_head, args.calibration) == (
        "krp", "soup", "attack", True, 512)
    plain = parsed("prune", "--method", "krp")
    assert (plain.dense, plain.criterion, plain.refit_head, plain.calibration) == ("finetune", "clean", False, 128)


def test_explicit_flags_win_over_the_preset():
    args = parsed("prune", "--preset", "paper", "--calibration", "256", "--dense", "finetune")
    assert (args.calibration, args.dense, args.refit_head) == (256, "finetune", True)


def test_a_preset_sweep_is_the_sweep_of_the_same_explicit_settings(tiny_model_dir, tiny_csv):
    common = ["--model", tiny_model_dir, "--dataset", str(tiny_csv), "--text-column", "review", "--label-column",
              "sentiment", "-n", "4", "--calibration", "64"]
    preset = sweep_spec(parsed("sweep", "--preset", "paper", *common))
    explicit = sweep_spec(parsed("sweep", "--dense", "soup", "--criterion", "attack", "--methods", "krp+refit",
                                 "--sparsities", "0.3,0.5,0.7,0.875", *common))
    assert preset == explicit
    data = load_task_data(str(tiny_csv), "review", "sentiment")
    assert [cell.run_id for cell in plan_sweep(preset, data).cells] == [
        cell.run_id for cell in plan_sweep(explicit, data).cells]


def test_a_run_with_the_papers_settings_is_named_a_paper_run():
    paper = PRESETS["paper"]
    run = {"dense_start": "soup", "method": "krp", "config": {"refit_head": True, "calibration": 512}}
    assert preset_of(run, {"config": {"criterion": "attack"}}) == paper.name
    assert preset_of(run, {"config": {"criterion": "clean"}}) is None
    assert preset_of({**run, "config": {"refit_head": False, "calibration": 512}}, {"config": {"criterion": "attack"}}) \
        is None
