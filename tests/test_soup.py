"""Greedy weight averaging (the robust dense start): exact averages, the greedy choice, cached runs, CLI, jobs."""

import json
from dataclasses import replace

import datasets
import pytest
import torch

from robustprune import pipeline, soup
from robustprune.cli import main
from robustprune.data import TaskData, load_task_data
from robustprune.errors import RobustPruneError
from robustprune.evaluate import accuracy, predict_logits
from robustprune.finetune import FinetuneConfig, finetune
from robustprune.jobs import JobQueue
from robustprune.prune.results import PruneResult
from robustprune.soup import (
    SoupConfig,
    candidate_configs,
    ensure_soup,
    greedy_soup,
    selection_split,
    uniform_average,
)
from robustprune.store import RunStore
from tests.conftest import SENTENCES, tiny_bert

QUICK = FinetuneConfig(epochs=0.25, batch_size=16)
POSITIVE = {"great", "fine", "superb", "moving"}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models on a shared 2-core machine: one thread is faster than two."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def data(tiny_csv):
    return load_task_data(str(tiny_csv), text_column="review", label_column="sentiment", max_length=32)


def flip_head(state: dict, factor: float) -> dict:
    """The same model with its classifier scaled by ``factor`` (negative: predictions reversed)."""
    return {name: tensor * factor if name.startswith("classifier.") else tensor.clone()
            for name, tensor in state.items()}


def test_uniform_average_is_the_exact_mean(tokenizer):
    states = [tiny_bert(tokenizer, layers=1, seed=seed).state_dict() for seed in range(3)]
    for index, state in enumerate(states):
        state["step"] = torch.tensor([index + 7])  # a non-float buffer: taken from the first
    averaged = uniform_average(states)
    assert averaged.keys() == states[0].keys()
    for name, tensor in averaged.items():
        if name == "step":
            assert torch.equal(tensor, torch.tensor([7]))
            continue
        expected = torch.stack([state[name] for state in states]).mean(dim=0)
        assert tensor.dtype == states[0][name].dtype
        torch.testing.assert_close(tensor, expected, rtol=0, atol=1e-7)
    assert not torch.equal(averaged["classifier.weight"], states[0]["classifier.weight"])

    # values whose mean is representable exactly: the average must be bit-exact
    generator = torch.Generator().manual_seed(0)
    dyadic = [{"w": torch.randint(-64, 64, (5, 7), generator=generator).float() / 8} for _ in range(4)]
    manual = (dyadic[0]["w"] + dyadic[1]["w"] + dyadic[2]["w"] + dyadic[3]["w"]) / 4
    assert torch.equal(uniform_average(dyadic)["w"], manual)


def test_averaging_refuses_models_that_do_not_match(tokenizer):
    one, two = tiny_bert(tokenizer, layers=1).state_dict(), tiny_bert(tokenizer, layers=2).state_dict()
    with pytest.raises(RobustPruneError, match="different parameters"):
        uniform_average([one, two])
    with pytest.raises(RobustPruneError, match="shapes differ"):
        uniform_average([{"w": torch.zeros(2, 3)}, {"w": torch.zeros(3, 2)}])


def test_a_soup_of_one_state_dict_is_that_state_dict(tokenizer):
    state = tiny_bert(tokenizer, layers=1).state_dict()
    chosen = greedy_soup([state], evaluate=lambda candidate: 0.5)
    assert chosen.kept == [0] and chosen.score == 0.5
    assert all(torch.equal(chosen.state_dict[name], tensor) for name, tensor in state.items())


@pytest.fixture(scope="module")
def trained(tokenizer):
    """A 1-layer tiny BERT fine-tuned to well above chance on the tiny sentiment task (a few seconds)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    labels = [int(sentence.split()[3] in POSITIVE) for sentence in SENTENCES]
    model = tiny_bert(tokenizer, layers=1)
    finetune(model, tokenizer, SENTENCES * 4, labels * 4, FinetuneConfig(epochs=5, batch_size=16, learning_rate=1e-3),
             32)
    torch.set_num_threads(threads)
    return model, labels


def test_greedy_soup_leaves_out_a_candidate_that_lowers_heldout_accuracy(tokenizer, trained):
    model, labels = trained

    def evaluate(state) -> float:
        model.load_state_dict(state)
        return accuracy(model, tokenizer, SENTENCES, labels, 32)

    good = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    assert evaluate(good) >= 0.8  # otherwise the reversed candidate could not be worse
    # averaged with the others, -5 × the head reverses every prediction; 2 × the head changes none
    candidates = [flip_head(good, -5.0), good, flip_head(good, 2.0)]

    chosen = greedy_soup(candidates, evaluate)
    assert chosen.order[-1] == 0 and chosen.scores[0] < chosen.scores[1] == chosen.scores[2]
    assert chosen.kept == [1, 2]  # best first; the tie does not lower the score, so it joins
    assert chosen.trial_scores[0] < chosen.score  # it was tried and would have lowered held-out accuracy
    assert chosen.score == pytest.approx(evaluate(good))
    expected = uniform_average([good, candidates[2]])
    assert all(torch.equal(chosen.state_dict[name], expected[name]) for name in expected)
    assert evaluate(uniform_average(candidates)) < chosen.score  # the plain average of all would be worse


def test_candidate_grid_varies_learning_rate_length_epochs_and_seed():
    configs = candidate_configs(SoupConfig(candidates=14, base=QUICK), max_length=32)
    assert configs[0] == replace(QUICK, max_length=32)  # the base setting is the first candidate
    assert [config.seed for config in configs] == list(range(14))
    settings = [(c.learning_rate, c.max_length, c.epochs) for c in configs]
    assert {rate for rate, _, _ in settings[:3]} == {1e-4, 5e-5, 2e-4}  # the cheapest axis varies first
    assert len(set(settings[:12])) == 12 == 3 * 2 * 2  # the whole grid once ...
    assert settings[12:] == settings[:2]  # ... then again with new seeds
    assert {c.max_length for c in configs} == {32, 16} and {c.epochs for c in configs} == {0.25, 0.5}


def test_selection_slice_comes_from_train_and_is_disjoint_from_what_candidates_train_on():
    table = lambda texts: datasets.Dataset.from_dict({"text": texts, "label": [i % 2 for i in range(len(texts))]})
    data = TaskData("unique", table([f"train {i}" for i in range(50)]), table([f"test {i}" for i in range(10)]),
                    ["a", "b"], "test", 16, fingerprint="unique:1")
    reduced, texts, labels = selection_split(data, SoupConfig(heldout_fraction=0.2))
    assert len(texts) == len(labels) == 10 and len(reduced.train) == 40
    assert not set(texts) & set(reduced.train["text"])
    assert set(texts) | set(reduced.train["text"]) == set(data.train["text"])
    assert reduced.test is data.test and not any(text.startswith("test") for text in texts)
    assert reduced.fingerprint != data.fingerprint and reduced.name == data.name
    assert selection_split(data, SoupConfig(heldout_fraction=0.2))[1] == texts  # seeded
    assert selection_split(data, SoupConfig(heldout_fraction=0.2, heldout_seed=1))[1] != texts


def test_soup_of_one_candidate_is_that_model_and_is_cached(tiny_model_dir, data, monkeypatch):
    result = ensure_soup(tiny_model_dir, data, SoupConfig(candidates=1, base=QUICK), "cpu")
    assert not result.cached and result.kept == 1 and result.run_id.startswith("soup-")
    candidate = result.candidates[0]
    assert candidate.kept and candidate.run_id.startswith("finetune-")
    soup_model, tokenizer = pipeline.load_dense(result.run_id, "cpu")
    single, _ = pipeline.load_dense(candidate.run_id, "cpu")
    texts = data.test["text"]
    assert torch.equal(predict_logits(soup_model, tokenizer, texts, 32), predict_logits(single, tokenizer, texts, 32))
    assert result.soup_test_accuracy == pytest.approx(candidate.test_accuracy)
    single_run = RunStore().get(candidate.run_id).summary  # one candidate: the soup predicts what it predicts
    assert result.test_prediction_counts == single_run["test_prediction_counts"]
    assert sum(result.test_label_counts) == len(data.test)
    assert result.heldout_examples + result.train_examples == len(data.train)
    assert {run.kind for run in RunStore().list()} == {"finetune", "soup"}

    monkeypatch.setattr(soup, "ensure_dense", lambda *a, **k: pytest.fail("a cached soup was rebuilt"))
    again = ensure_soup(tiny_model_dir, data, SoupConfig(candidates=1, base=QUICK), "cpu")
    assert again.cached and again.to_dict() | {"cached": False} == result.to_dict()


def test_soup_leaves_out_a_candidate_that_lowers_heldout_accuracy(tiny_model_dir, data, monkeypatch):
    real_load_dense = soup.load_dense
    first: list[dict] = []

    def load_dense_with_a_bad_second_candidate(run_id, device="auto", store=None):
        model, tokenizer = real_load_dense(run_id, device, store)
        if first:  # the second candidate: the first one with its predictions reversed
            model.load_state_dict(flip_head(first[0], -3.0))
        else:
            first.append({name: tensor.clone() for name, tensor in model.state_dict().items()})
        return model, tokenizer

    monkeypatch.setattr(soup, "load_dense", load_dense_with_a_bad_second_candidate)
    base = FinetuneConfig(epochs=5, batch_size=16, learning_rate=1e-3)  # learns the tiny task (cf. test_pipeline)
    result = ensure_soup(tiny_model_dir, data, SoupConfig(candidates=2, base=base), "cpu")
    good, bad = result.candidates
    assert good.heldout_accuracy > 0.5  # the test means something only if reversing hurts
    assert (good.kept, bad.kept, result.kept) == (True, False, 1)
    assert bad.soup_heldout_accuracy_when_tried < good.heldout_accuracy
    assert result.soup_heldout_accuracy == good.heldout_accuracy
    soup_model, tokenizer = real_load_dense(result.run_id, "cpu")
    good_model, _ = real_load_dense(good.run_id, "cpu")
    texts = data.test["text"]
    assert torch.equal(predict_logits(soup_model, tokenizer, texts, 32),
                       predict_logits(good_model, tokenizer, texts, 32))


def cli_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_soup_then_prune_from_the_soup(capsys, tiny_model_dir, tiny_csv):
    common = ["--model", tiny_model_dir, "--dataset", str(tiny_csv), "--text-column", "review",
              "--label-column", "sentiment", "--epochs", "0.25", "--device", "cpu"]
    made = cli_json(capsys, "soup", "--candidates", "2", *common)
    assert made["run_id"].startswith("soup-") and len(made["candidates"]) == 2
    assert all({"run_id", "heldout_accuracy", "kept", "config"} <= set(c) for c in made["candidates"])
    assert made["kept"] == sum(c["kept"] for c in made["candidates"]) >= 1
    assert max(made["candidates"], key=lambda c: c["heldout_accuracy"])["kept"]
    assert made["soup_heldout_accuracy"] >= max(c["heldout_accuracy"] for c in made["candidates"])
    assert [c["config"]["learning_rate"] for c in made["candidates"]] == [1e-4, 5e-5]
    assert 0.0 <= made["soup_test_accuracy"] <= 1.0

    prune = ["prune", "--method", "magnitude", "--sparsity", "0.5", "--calibration", "8", "--heldout", "8", *common]
    from_soup = cli_json(capsys, *prune, "--dense", "soup", "--candidates", "2")
    from_finetune = cli_json(capsys, *prune)
    assert from_soup["dense_start"] == "soup" and from_soup["dense_run_id"] == made["run_id"]
    assert from_soup["accuracy_dense"] == pytest.approx(made["soup_test_accuracy"])
    assert from_finetune["dense_start"] == "finetune" and from_finetune["dense_run_id"].startswith("finetune-")
    assert from_finetune["run_id"] != from_soup["run_id"]
    assert from_finetune["dense_run_id"] not in {c["run_id"] for c in made["candidates"]}

    kinds = [run["kind"] for run in cli_json(capsys, "runs")["runs"]]
    assert sorted(kinds) == ["finetune"] * 3 + ["prune"] * 2 + ["soup"]  # the soup was built once
    model, tokenizer = pipeline.load_pruned(from_soup["run_id"], "cpu")
    data = load_task_data(str(tiny_csv), text_column="review", label_column="sentiment")
    assert accuracy(model, tokenizer, data.test["text"], data.test["label"], 128) == pytest.approx(
        from_soup["accuracy_sparse"])

    assert main(["soup", "--candidates", "2", *common]) == 0  # the table, from the cache
    printed = capsys.readouterr().out
    assert "cached" in printed and made["run_id"] in printed and printed.count(" yes") == made["kept"]


def test_soup_job_runs_through_the_queue(tiny_model_dir, tiny_csv):
    queue = JobQueue()
    job = queue.submit("soup", {"model": tiny_model_dir, "dataset": str(tiny_csv), "text_column": "review",
                                "label_column": "sentiment", "device": "cpu", "finetune": {"epochs": 0.25},
                                "soup": {"candidates": 1}})
    assert queue.work(once=True) == 1
    done = queue.get(job.job_id)
    assert done.status == "done" and done.run_id.startswith("soup-") and RunStore().get(done.run_id).kind == "soup"


def test_bad_criteria_are_named_before_any_work(tiny_model_dir, data):
    with pytest.raises(RobustPruneError, match="unknown soup criterion"):
        SoupConfig(criterion="loss")
    with pytest.raises(RobustPruneError, match="deepwordbug"):
        SoupConfig(criterion="attack", attack_recipe="deepwordbug")
    with pytest.raises(RobustPruneError, match="attack_examples"):
        SoupConfig(criterion="attack", attack_examples=0)
    assert RunStore().list() == []


def test_a_clean_soup_key_does_not_depend_on_the_attack_settings():
    assert SoupConfig().to_dict() == SoupConfig(attack_examples=7).to_dict()
    assert SoupConfig(criterion="attack").to_dict() != SoupConfig(criterion="attack", attack_examples=7).to_dict()


def test_the_attack_criterion_scores_candidates_by_accuracy_under_attack(tiny_model_dir, data):
    """The paper's selection: each candidate's recorded score is its accuracy under TextBugger on the
    held-out texts, and the soup keeps what does not lower it."""
    from robustprune.attack.run import AttackConfig, run_attack
    from robustprune.pipeline import load_dense
    from robustprune.soup import selection_split

    config = SoupConfig(candidates=2, base=FinetuneConfig(epochs=0.25), criterion="attack", attack_examples=3)
    result = ensure_soup(tiny_model_dir, data, config, "cpu")
    assert result.criterion == "attack" and result.kept >= 1
    _, heldout_texts, heldout_labels = selection_split(data, config)
    for candidate in result.candidates:
        model, tokenizer = load_dense(candidate.run_id, "cpu")
        attacked = run_attack(model, tokenizer, heldout_texts, heldout_labels,
                              AttackConfig("textbugger", num_examples=3, max_length=result.max_length,
                                           similarity=False))
        assert candidate.heldout_accuracy == pytest.approx(attacked.summary.accuracy_under_attack)
    best = max(candidate.heldout_accuracy for candidate in result.candidates)
    assert result.soup_heldout_accuracy >= best  # greedy: never below its best candidate


def test_structured_pruning_can_start_from_the_soup(tiny_model_dir, tiny_csv, capsys):
    argv = ["prune", "--method", "structured-magnitude", "--flops-reduction", "0.3", "--model", tiny_model_dir,
            "--dataset", str(tiny_csv), "--text-column", "review", "--label-column", "sentiment", "--epochs", "0.25",
            "--device", "cpu", "--candidates", "1", "--json"]
    assert main([*argv, "--dense", "soup"]) == 0
    from_soup = json.loads(capsys.readouterr().out)
    assert main([*argv, "--dense", "finetune"]) == 0
    from_finetune = json.loads(capsys.readouterr().out)
    assert from_soup["dense_start"] == "soup" and from_soup["dense_run_id"].startswith("soup-")
    assert from_finetune["dense_start"] == "finetune" and from_soup["run_id"] != from_finetune["run_id"]


def test_old_prune_summaries_load_as_finetune_starts():
    summary = {"run_id": "prune-x", "model": "m", "dataset": "d", "method": "krp", "target_sparsity": 0.5,
               "sparsity": 0.5, "accuracy_dense": 0.9, "accuracy_sparse": 0.8, "prune_seconds": 1.0,
               "dense_run_id": "finetune-x", "device": "cpu", "config": {}, "dense_parts": []}
    assert PruneResult.from_dict(summary).dense_start == "finetune"
