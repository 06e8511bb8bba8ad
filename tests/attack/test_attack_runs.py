"""Attack runs through the store and the CLI: JSON contract, cache, table, clear errors."""

import json
from dataclasses import replace

import pandas as pd
import pytest
from planted import LABELS, TEXTS

from robustprune.cli import main
from robustprune.errors import RobustPruneError
from robustprune.store import RunStore

ATTACK_FIELDS = {"recipe", "resources", "n", "clean_accuracy", "accuracy_under_attack", "attack_success_rate",
                 "avg_queries", "avg_perturbed_words", "seconds", "examples"}
EXAMPLE_FIELDS = {"original", "perturbed", "changed_words", "dense", "sparse", "result"}


@pytest.fixture
def planted_csv(tmp_path):
    path = tmp_path / "planted.csv"
    texts, labels = TEXTS[:4] + ["an awful film"], LABELS[:4] + [0]  # the model gets all five right
    pd.DataFrame({"text": texts * 40, "label": labels * 40}).to_csv(path, index=False)  # 20 test texts, the least
    return str(path)


def cli_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_attack_a_pruning_run_then_the_cache(capsys, planted_dir, planted_csv):
    common = ["--model", planted_dir, "--dataset", planted_csv, "--epochs", "0", "--device", "cpu"]
    pruned = cli_json(capsys, "prune", "--method", "magnitude", "--sparsity", "0.3", "--calibration", "8",
                      "--heldout", "4", *common)
    attack_argv = ["attack", "--run", pruned["run_id"], "--recipe", "textfooler", "-n", "3", *common[:4]]
    first = cli_json(capsys, *attack_argv)
    assert ATTACK_FIELDS <= set(first) and first["n"] == 3 and first["cached"] is False
    assert "sentence encoder: MiniLM" in first["resources"]
    assert first["accuracy_under_attack"] <= first["clean_accuracy"]
    assert all(EXAMPLE_FIELDS <= set(example) for example in first["examples"])
    assert any(example["result"] == "succeeded" and "awful" in example["perturbed"] for example in first["examples"])
    second = cli_json(capsys, *attack_argv)
    assert second["cached"] is True and second["examples"] == first["examples"]
    kinds = {run["kind"] for run in cli_json(capsys, "runs")["runs"]}
    assert kinds == {"finetune", "prune", "attack"}


def test_attack_a_structured_run(capsys, planted_dir, planted_csv):
    """A structured run is a smaller model (heads and neurons removed): attacked like any pruning run, with
    its x on the trade-off the fraction of FLOPs removed."""
    common = ["--model", planted_dir, "--dataset", planted_csv, "--epochs", "0", "--device", "cpu"]
    pruned = cli_json(capsys, "prune", "--method", "structured-magnitude", "--flops-reduction", "0.3", *common)
    attacked = cli_json(capsys, "attack", "--run", pruned["run_id"], "--recipe", "textbugger", "-n", "3",
                        *common[:4])
    assert attacked["n"] == 3 and attacked["accuracy_under_attack"] <= attacked["clean_accuracy"]
    assert attacked["method"] == "structured-magnitude"
    assert attacked["sparsity"] == pytest.approx(1 - pruned["flops_after"] / pruned["flops_before"])
    assert all({"dense", "sparse"} <= set(example) for example in attacked["examples"])


def test_table_writes_markdown_and_csv(capsys, planted_dir, planted_csv, tmp_path):
    csv = tmp_path / "table.csv"
    assert main(["table", "--methods", "magnitude", "--sparsities", "0.3,2:4", "--recipes", "textbugger", "-n", "2",
                 "--model", planted_dir, "--dataset", planted_csv, "--csv", str(csv), "--device", "cpu",
                 "--calibration", "8", "--heldout", "4", "--epochs", "0"]) == 0
    markdown = capsys.readouterr().out
    assert "accuracy_under_attack" in markdown and "| dense" in markdown
    frame = pd.read_csv(csv)
    assert list(frame["method"]) == ["dense", "magnitude", "magnitude 2:4"] and set(frame["recipe"]) == {"textbugger"}
    assert list(frame["sparsity"]) == [0.0, 0.3, 0.5]  # an N:M row of its own, at N/M
    assert (frame["succeeded"] + frame["failed"] + frame["skipped"] == frame["attacked"]).all()
    assert (frame["attacked"] == 2).all() and (frame["accuracy_under_attack"] <= frame["clean_accuracy"]).all()


@pytest.mark.parametrize("argv, message", [
    (["attack", "--dense", "--recipe", "deepwordbug"], "deepwordbug"),
    (["attack", "--run", "prune-000000000000", "--recipe", "textfooler"], "no cached run 'prune-000000000000'"),
    (["attack", "--dense", "--recipe", "textfooler", "--word-vectors", "/no/such/vectors.txt"], "/no/such/vectors.txt"),
])
def test_bad_attack_arguments(capsys, argv, message):
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert RunStore().list(kind="attack") == []


def test_a_sharded_attack_is_the_unsharded_run(planted_dir, planted_csv, tmp_path):
    """Shards searched separately (one of them as another worker would: attack_shard) merge into the very run
    an unsharded request makes: same id, same examples, same summary; the shards are gone afterwards."""
    from dataclasses import asdict

    from robustprune.attack import AttackConfig
    from robustprune.attack.runs import SHARD_KIND, attack, attack_shard
    from robustprune.data import load_task_data
    from robustprune.finetune import FinetuneConfig

    data = load_task_data(planted_csv)
    config = AttackConfig(recipe="textbugger", num_examples=4, max_length=64, word_vectors="wordnet")
    common = {"model": planted_dir, "dataset": data, "device": "cpu", "finetune_config": FinetuneConfig(epochs=0)}
    whole = attack("dense", config, store=RunStore(tmp_path / "whole"), **common)
    sharded_store = RunStore(tmp_path / "sharded")
    assert attack_shard("dense", config, 2, 4, store=sharded_store, **common) is None
    assert len(sharded_store.list(kind=SHARD_KIND)) == 1 and sharded_store.list(kind="attack") == []
    assert all(record.kind != SHARD_KIND for record in sharded_store.list())  # parts of runs are not listed
    sharded = attack("dense", config, store=sharded_store, shard_size=2, **common)
    assert sharded.run_id == whole.run_id and len(whole.result.examples) == 4
    assert [asdict(e) for e in sharded.result.examples] == [asdict(e) for e in whole.result.examples]
    timing = {"wall_seconds", "queries_computed", "queries_cached"}
    assert ({k: v for k, v in asdict(sharded.result.summary).items() if k not in timing}
            == {k: v for k, v in asdict(whole.result.summary).items() if k not in timing})
    assert sharded.result.layer_similarities == whole.result.layer_similarities
    assert sharded_store.list(kind=SHARD_KIND) == [] and sharded_store.require(sharded.run_id).summary["shards"] == 2



def test_a_longer_attack_searches_only_the_texts_a_shorter_one_did_not(planted_dir, planted_csv, tmp_path,
                                                                       monkeypatch):
    """After an attack on the first 2 texts, the same attack on 5 searches texts 2-4 only (in shards of 2, the
    first shard half from the shorter run) and is the run a fresh request makes: same id, same examples."""
    from dataclasses import asdict

    from robustprune.attack import AttackConfig
    from robustprune.attack import runs as attack_runs
    from robustprune.data import load_task_data
    from robustprune.finetune import FinetuneConfig

    data = load_task_data(planted_csv)
    config = AttackConfig(recipe="textbugger", num_examples=5, max_length=64, word_vectors="wordnet")
    common = {"model": planted_dir, "dataset": data, "device": "cpu", "finetune_config": FinetuneConfig(epochs=0)}
    fresh = attack_runs.attack("dense", config, store=RunStore(tmp_path / "fresh"), **common)

    store = RunStore(tmp_path / "growing")
    shorter = attack_runs.attack("dense", replace(config, num_examples=2), store=store, **common)
    searched = []
    search = attack_runs.search_examples

    def recording(attacked, tokenizer, texts, labels, indices, *args):
        searched.append(list(indices))
        return search(attacked, tokenizer, texts, labels, indices, *args)

    monkeypatch.setattr(attack_runs, "search_examples", recording)
    longer = attack_runs.attack("dense", config, store=store, shard_size=2, **common)
    assert searched == [[2, 3], [4]]
    assert longer.run_id == fresh.run_id and not longer.cached
    assert [asdict(e) for e in longer.result.examples] == [asdict(e) for e in fresh.result.examples]
    timing = {"wall_seconds", "queries_computed", "queries_cached"}
    assert ({k: v for k, v in asdict(longer.result.summary).items() if k not in timing}
            == {k: v for k, v in asdict(fresh.result.summary).items() if k not in timing})
    summary = store.require(longer.run_id).summary
    assert (summary["reused_from"], summary["reused_examples"]) == (shorter.run_id, 2)
    # a shorter run whose outcomes are gone is damaged, not started from: every text is searched
    from robustprune.store import DamagedRunWarning

    searched.clear()
    (store.directory(shorter.run_id) / "outcomes.parquet").unlink()
    with pytest.warns(DamagedRunWarning):
        attack_runs.attack("dense", replace(config, num_examples=3), store=store, **common)
    assert searched == [[0, 1, 2]]


def test_a_search_merged_from_parts_on_two_devices_names_both():
    """A run whose first texts came from a shorter run on a GPU and the rest from this CPU (or shards on a mixed
    Ray cluster) says both, once each, in the order they searched; its cost is the parts' sum."""
    from robustprune.attack.records import SearchOutcome
    from robustprune.attack.reuse import merged
    from robustprune.attack.search import SearchRun

    def part(device, index, seconds):
        outcome = SearchOutcome(**{name: None for name in SearchOutcome.__dataclass_fields__} | {"index": index})
        return SearchRun("textbugger", "TextBugger", {}, [outcome], seconds, 10, 2, seconds / 2, device)

    gpu, cpu = "cuda (NVIDIA H100)", "cpu"
    whole = merged([part(gpu, 0, 1.0), part(cpu, 1, 4.0), part(cpu, 2, 5.0)])
    assert whole.device == f"{gpu} + {cpu}" and [outcome.index for outcome in whole.outcomes] == [0, 1, 2]
    assert (whole.wall_seconds, whole.queries_computed, whole.queries_cached) == (10.0, 30, 6)
    assert merged([part(cpu, 0, 1.0), part(cpu, 1, 1.0)]).device == cpu


def test_an_attack_reads_each_text_as_far_as_the_model_does(planted_dir, planted_csv, tmp_path):
    """Whole reviews are fine-tuned and evaluated on 256 tokens (movie_reviews): the attack reads as many, not its
    default 128 (which cut a review to its first half); sentence data keeps 128. The request's run id is the run's."""
    from dataclasses import replace

    from robustprune.attack import AttackConfig
    from robustprune.attack.runs import attack
    from robustprune.attack.texts import AttackTexts
    from robustprune.data import load_task_data
    from robustprune.finetune import FinetuneConfig
    from robustprune.requests import AttackRequest

    sentences = load_task_data(planted_csv)
    documents = replace(sentences, max_length=256)
    config = AttackConfig(recipe="textbugger", num_examples=2, word_vectors="wordnet")
    assert config.max_length == 128 and sentences.max_length <= 128
    store = RunStore(tmp_path / "store")
    for data, read in ((sentences, 128), (documents, 256)):
        run = attack("dense", config, planted_dir, data, "cpu", store, finetune_config=FinetuneConfig(epochs=0))
        assert run.result.summary.max_length == read
        request = AttackRequest("dense", config, planted_dir, finetune=FinetuneConfig(epochs=0))
        assert request.run_id(data) == run.run_id
        # texts someone brings are read as far as the attacked model reads, whether it is named by its run id or
        # as "dense"; the request says the run's id before it runs
        texts = AttackTexts(tuple(TEXTS[:2]), None, "pasted")
        for target in (run.dense_run_id, "dense"):
            on_texts = attack(target, config, planted_dir, data, "cpu", store, texts=texts,
                              finetune_config=FinetuneConfig(epochs=0))
            assert on_texts.result.summary.max_length == read
            request = AttackRequest(target, config, planted_dir, texts=texts, finetune=FinetuneConfig(epochs=0))
            assert request.run_id(data, store=store) == on_texts.run_id


# ---------------------------------------------------------------------------- texts you bring

@pytest.fixture
def named_csv(tmp_path):
    """The planted model's data with class names: negative (0) and positive (1)."""
    path = tmp_path / "named.csv"
    texts, labels = TEXTS[:4] + ["an awful film"], ["positive"] * 4 + ["negative"]
    pd.DataFrame({"text": texts * 40, "label": labels * 40}).to_csv(path, index=False)
    return str(path)


def test_attack_texts_from_a_file_against_the_dense_model(capsys, planted_dir, named_csv, tmp_path):
    """--texts attacks the file's rows against the chosen model as it is: nothing new is fine-tuned for them."""
    common = ["--model", planted_dir, "--dataset", named_csv, "--epochs", "0", "--device", "cpu"]
    texts = tmp_path / "mine.csv"
    pd.DataFrame({"review": ["a terrible movie", "the plot was terrible", "what a terrible film"],
                  "sentiment": ["positive", "positive", "1"]}).to_csv(texts, index=False)
    dense = cli_json(capsys, "finetune", *common)
    argv = ["attack", "--run", dense["run_id"], "--recipe", "textfooler", "--word-vectors", "wordnet", "--texts",
            str(texts), "--text-column", "review", "--label-column", "sentiment", "--device", "cpu"]
    first = cli_json(capsys, *argv)
    assert first["n"] == 3 and [e["original"] for e in first["examples"]] == [
        "a terrible movie", "the plot was terrible", "what a terrible film"]
    assert all(e["result"] == "succeeded" and "awful" in e["perturbed"] for e in first["examples"])
    assert first["dataset"].startswith("texts:mine.csv (3 texts")
    assert set(first["parts"]) >= {"candidates", "stopwords", "part of speech", "sentence encoder"}
    assert {run["kind"] for run in cli_json(capsys, "runs")["runs"]} == {"finetune", "attack"}
    assert cli_json(capsys, *argv)["cached"] is True
    texts.write_text("review,sentiment\na terrible movie,positive\n")  # other texts: another run
    assert cli_json(capsys, *argv)["cached"] is False


def test_attack_texts_against_a_pruning_run_with_predicted_labels(capsys, planted_dir, planted_csv, tmp_path):
    common = ["--model", planted_dir, "--dataset", planted_csv, "--epochs", "0", "--device", "cpu"]
    pruned = cli_json(capsys, "prune", "--method", "magnitude", "--sparsity", "0.3", "--calibration", "8",
                      "--heldout", "4", *common)
    texts = tmp_path / "mine.txt"
    texts.write_text("a terrible movie\n\nan absolutely terrible film\n")
    attacked = cli_json(capsys, "attack", "--run", pruned["run_id"], "--recipe", "textfooler", "--word-vectors",
                        "wordnet", "--texts", str(texts), "--device", "cpu")
    assert attacked["n"] == 2 and attacked["method"] == "magnitude"
    assert [e["label"] for e in attacked["examples"]] == [1, 1]  # the dense model's predictions
    assert all({"dense", "sparse"} <= set(e) for e in attacked["examples"])


@pytest.mark.parametrize("rows, extra, message", [
    ({"text": ["a terrible movie"], "label": ["great"]}, [],
     "label(s) 'great' in mine.csv are not classes of the model; use 0..1 or negative, positive"),
    ({"text": ["a terrible movie"], "label": [7]}, [], "label(s) '7' in mine.csv are not classes of the model"),
    ({"text": ["a terrible movie"]}, ["--label-column", "gold"], "no column 'gold'"),
    ({"words": ["a terrible movie"]}, [], "no column 'text'"),
])
def test_bad_texts_get_one_clear_line(capsys, planted_dir, named_csv, tmp_path, rows, extra, message):
    texts = tmp_path / "mine.csv"
    pd.DataFrame(rows).to_csv(texts, index=False)
    argv = ["attack", "--dense", "--recipe", "textfooler", "--texts", str(texts), *extra, "--model", planted_dir,
            "--dataset", named_csv, "--epochs", "0", "--device", "cpu"]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]  # (above it: the datasets library reading the CSV)
    assert error.startswith("robustprune attack: error: ") and message in error
    assert RunStore().list() == []  # checked before any model was fine-tuned or attacked


@pytest.mark.parametrize("name, content, message", [
    ("bad.jsonl", b'{"text": "a", "label": 1}\nnot json\n', "bad.jsonl: line 2 is not JSON"),
    ("bad.parquet", b"not parquet", "bad.parquet: not a readable Parquet file"),
    ("empty.csv", b"", "empty.csv: the file is empty; give a column 'text'"),
    ("header.csv", b"text,label\n", "header.csv: has the columns text, label but no rows"),
    ("latin.txt", "un film tr\u00e8s bien\n".encode("latin-1"), "latin.txt: not UTF-8 text"),
    ("gap.csv", b"text,label\ngreat movie,\nbad movie,1\n", "gap.csv: 1 of 2 rows have no label (column 'label' "
                                                                "empty) on lines 2"),
    ("folder", None, "texts file '{folder}' is a folder"),
])
def test_a_bad_texts_file_is_one_clear_error(tmp_path, name, content, message):
    """Every way a texts file can be wrong is a RobustPruneError naming the file (the CLI's one line), never a
    parser's exception."""
    from robustprune.attack.texts import read_texts

    path = tmp_path / name
    path.mkdir() if content is None else path.write_bytes(content)
    with pytest.raises(RobustPruneError) as error:
        read_texts(path)
    assert message.format(folder=path) in str(error.value)


def test_texts_file_labels_are_read_as_written(tmp_path):
    """Integer labels stay "1" (pandas made a column with a gap 1.0 and nan); a .txt file has no labels."""
    from robustprune.attack.texts import read_texts

    (tmp_path / "mine.csv").write_text("text,label\ngood,1\nbad,negative\n", encoding="utf-8")
    texts = read_texts(tmp_path / "mine.csv")
    assert texts.texts == ("good", "bad") and texts.labels == ("1", "negative")
    (tmp_path / "mine.txt").write_text("good\n\n bad \n", encoding="utf-8")
    lines = read_texts(tmp_path / "mine.txt")
    assert lines.texts == ("good", "bad") and lines.labels is None


def test_the_library_attacks_texts_cached_by_their_content(planted_dir, named_csv):
    from robustprune.attack import AttackConfig
    from robustprune.attack.runs import attack
    from robustprune.attack.texts import AttackTexts
    from robustprune.data import load_task_data

    data = load_task_data(named_csv)
    config = AttackConfig(recipe="textfooler", num_examples=10, max_length=64, word_vectors="wordnet",
                          similarity=False)
    from robustprune.finetune import FinetuneConfig

    texts = AttackTexts(("a terrible movie", "terrible acting"), (1, "positive"), "pasted")
    run = attack("dense", config, planted_dir, data, "cpu", finetune_config=FinetuneConfig(epochs=0), texts=texts)
    assert [e.label for e in run.result.examples] == [1, 1] and run.result.summary.num_examples == 2
    again = attack(run.target_run_id, config, planted_dir, None, "cpu", texts=AttackTexts(texts.texts, (1, 1), "x"))
    assert again.cached is False  # labels given differently are other content: a run of its own
    same = attack(run.target_run_id, config, planted_dir, None, "cpu", texts=texts)
    assert same.cached is True and same.run_id == run.run_id


def test_a_large_texts_file_is_read_only_as_far_as_the_attack_goes(tmp_path):
    """-n 2 reads two texts: a line past them that is not even UTF-8, or a malformed row, is never read."""
    from robustprune.attack.texts import read_texts

    (tmp_path / "big.txt").write_bytes(b"a terrible movie\n\nterrible acting\n" + b"caf\xe9\n" * 1000)
    assert read_texts(tmp_path / "big.txt", limit=2).texts == ("a terrible movie", "terrible acting")
    (tmp_path / "big.csv").write_bytes(b"text,label\ngood,1\nbad,0\n" + b"caf\xe9,1\n" * 1000)
    labelled = read_texts(tmp_path / "big.csv", limit=2)
    assert labelled.texts == ("good", "bad") and labelled.labels == ("1", "0")
    (tmp_path / "big.jsonl").write_text('{"text": "good", "label": 1}\n' * 2 + "not json\n", encoding="utf-8")
    assert read_texts(tmp_path / "big.jsonl", limit=2).texts == ("good", "good")


def test_unlabelled_texts_are_labelled_only_as_far_as_the_attack_goes(planted_dir, named_csv, monkeypatch):
    """The dense model predicts the labels of the texts attacked, not of every text given (hours for a large file)."""
    from robustprune import evaluate
    from robustprune.attack import AttackConfig
    from robustprune.attack.runs import attack
    from robustprune.attack.texts import AttackTexts
    from robustprune.data import load_task_data
    from robustprune.finetune import FinetuneConfig

    predicted = []
    real = evaluate.predict_logits

    def counting(model, tokenizer, texts, *args, **kwargs):
        predicted.append(len(texts))
        return real(model, tokenizer, texts, *args, **kwargs)

    monkeypatch.setattr(evaluate, "predict_logits", counting)
    config = AttackConfig(recipe="textfooler", num_examples=2, max_length=64, word_vectors="wordnet",
                          similarity=False)
    texts = AttackTexts(tuple(f"a terrible movie number {index}" for index in range(500)), None, "big.txt")
    run = attack("dense", config, planted_dir, load_task_data(named_csv), "cpu",
                 finetune_config=FinetuneConfig(epochs=0), texts=texts)
    assert run.result.summary.num_examples == 2
    assert 2 in predicted and 500 not in predicted  # (20: the dense model evaluated on its test split)


def test_a_csv_field_longer_than_the_csv_modules_default_limit_is_read(tmp_path):
    from robustprune.attack.texts import read_texts
    from robustprune.data.files import read_rows

    review = "a long review " * 20_000  # 280,000 characters: over csv's default 131,072
    path = tmp_path / "long.csv"
    path.write_text(f"text,label\n{review},1\nshort,0\n", encoding="utf-8")
    assert read_texts(path).texts[0] == review
    assert read_rows(path, "text", "label").texts == [review, "short"]
