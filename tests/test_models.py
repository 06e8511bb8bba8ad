"""Model loading: the embedded default offline, clear errors for what cannot load."""

from pathlib import Path

import pytest
from transformers import GPT2Config

from robustprune.errors import RobustPruneError
from robustprune.models import adapter, load_classifier


def test_embedded_minilm_loads_offline_with_a_new_head():
    model, tokenizer = load_classifier("minilm", 2, ["negative", "positive"])
    assert model.config.model_type == "bert" and model.config.num_hidden_layers == 6
    assert model.classifier.out_features == 2 and model.config.id2label[1] == "positive"
    assert len(adapter.prunable_linears(model)) == 36
    assert tokenizer("a fine film")["input_ids"][0] == tokenizer.cls_token_id


def test_local_directory_loads(tiny_model_dir):
    model, _ = load_classifier(tiny_model_dir)
    assert len(adapter.blocks(model)) == 3


def test_not_an_encoder_classifier(tmp_path):
    GPT2Config(n_layer=1, n_embd=16, n_head=2).save_pretrained(tmp_path)
    with pytest.raises(RobustPruneError, match="'gpt2' model; robustprune prunes encoder classifiers"):
        load_classifier(str(tmp_path))


def test_uncached_hub_name_offline():
    with pytest.raises(RobustPruneError, match="not in the local Hugging Face cache.*minilm"):
        load_classifier("bert-base-uncased")


@pytest.mark.parametrize("folder, message", [
    ("emptydir", "is not a model directory \\(no config.json in it\\)"),  # not "a 'mpt' model" from the name
    ("missing/inside", "model folder .* does not exist"),
])
def test_a_folder_that_holds_no_model_says_so(tmp_path, folder, message):
    (tmp_path / "emptydir").mkdir()
    with pytest.raises(RobustPruneError, match=message) as error:
        load_classifier(str(tmp_path / folder))
    assert "save_pretrained" in str(error.value)  # and what would work


def test_a_hub_prefixed_name_is_never_a_folder_here(tmp_path, tiny_model_dir, monkeypatch):
    """"hub:owner/name" (how the dashboard passes a hub id) is looked up by huggingface_hub in its cache, even when a
    model folder "owner/name" is under the current directory; from the cache it loads."""
    import shutil

    from robustprune.models.registry import load_config

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_model_dir, tmp_path / "someone" / "tiny")  # a folder that transformers would open
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    with pytest.raises(RobustPruneError, match="'hub:someone/tiny' is not in the local Hugging Face cache"):
        load_config("hub:someone/tiny")
    # the same files in the Hugging Face cache's layout: refs/main names the snapshot
    repository = cache / "models--someone--tiny"
    shutil.copytree(tiny_model_dir, repository / "snapshots" / ("0" * 40))
    (repository / "refs").mkdir()
    (repository / "refs" / "main").write_text("0" * 40)
    source, config = load_config("hub:someone/tiny")
    assert Path(source) == repository / "snapshots" / ("0" * 40) and config.model_type == "bert"


def test_an_unreachable_hub_is_not_asked(monkeypatch):
    """Offline, a hub name is looked up in the local cache only: no download attempt (transformers would retry the
    hub for half a minute), one probe of the hub's host."""
    import socket

    import transformers
    from huggingface_hub import constants

    from robustprune import hub

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in hub.SWITCHES + hub.PROXIES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(hub, "_last_probe", {})
    probes, lookups = [], []

    def refuse(address, timeout=None):
        probes.append(address)
        raise OSError("no route to host")

    def from_pretrained(source, **kwargs):
        lookups.append(kwargs.get("local_files_only"))
        raise OSError(f"{source} is not cached")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", from_pretrained)
    with pytest.raises(RobustPruneError, match="not in the local Hugging Face cache and the hub is not reachable"):
        load_classifier("bert-base-uncased")
    assert lookups == [True] and len(probes) == 1
    assert not hub.hub_reachable() and len(probes) == 1  # the answer is remembered, not asked again at once
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert hub.hub_reachable() and len(probes) == 1  # behind a proxy a direct probe says nothing: not probed


def test_a_two_class_checkpoint_on_a_three_class_dataset_names_both_numbers(tiny_model_dir, tmp_path, capsys):
    """transformers raises RuntimeError ("size mismatch") here, not ValueError: one line, not a 45-line traceback."""
    from robustprune.cli import main

    with pytest.raises(RobustPruneError, match="classifier of 2 classes, the dataset has 3"):
        load_classifier(tiny_model_dir, num_labels=3)
    rows = [f"text number {index} is {word}" for index, word in enumerate(["good", "bad", "meh"] * 70)]
    csv = tmp_path / "three.csv"
    csv.write_text("text,label\n" + "\n".join(f"{row},{row.split()[-1]}" for row in rows) + "\n", encoding="utf-8")
    assert main(["finetune", "--model", tiny_model_dir, "--dataset", str(csv), "--epochs", "0"]) == 2
    error = capsys.readouterr().err.strip()
    assert "2 classes, the dataset has 3" in error and len(error.splitlines()) == 1
