"""Exports and model downloads of the Runs page."""

import io
import zipfile

import pandas as pd
import pytest
import torch
from transformers import AutoModelForSequenceClassification

from robustprune.figures import runs
from robustprune.store import RunStore


def test_a_pruned_model_downloads_as_a_loadable_folder(home, workspace, tmp_path):
    archive = runs.model_archive(workspace.krp_run_id, RunStore())
    zipfile.ZipFile(io.BytesIO(archive)).extractall(tmp_path / "model")
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "model")
    query = model.bert.encoder.layer[0].attention.self.query.weight
    assert float((query == 0).float().mean()) == pytest.approx(0.5, abs=0.01)
    assert (tmp_path / "model" / "model.safetensors").is_file() and (tmp_path / "model" / "config.json").is_file()


def test_exports_round_trip(home):
    frame = runs.list_runs_frame(RunStore())
    assert pd.read_csv(io.BytesIO(runs.export_bytes(frame, "CSV")))["run"].tolist() == frame["run"].tolist()
    assert pd.read_parquet(io.BytesIO(runs.export_bytes(frame, "Parquet")))["run"].tolist() == frame["run"].tolist()


def test_a_dense_model_downloads_its_folder(home, workspace, tmp_path):
    zipfile.ZipFile(io.BytesIO(runs.model_archive(workspace.dense_run_id))).extractall(tmp_path / "dense")
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "dense")
    assert isinstance(model.classifier, torch.nn.Linear)
