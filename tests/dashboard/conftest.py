"""Fixtures for the dashboard tests: a tiny prepared run store, copied into each test's cache.

Built once per session: a tiny random BERT saved as a model folder and a small sentiment
CSV (``text`` / ``label``), both in a data folder (``$ROBUSTPRUNE_DATA_DIR`` during the
tests: pages and links name them relative to it, ``tiny-bert`` and ``reviews.csv``, as a
user's links would), its dense fine-tuning, krp and sparsegpt runs at 50%,
a structured-magnitude run at half the FLOPs and an attack run on the krp run whose records
are constructed here (the attack recipes
are tested in ``tests/attack``). Each test gets a copy in its own ``$ROBUSTPRUNE_HOME``,
with the app's defaults pointed at the tiny model and dataset and the automatic worker
start switched off, so that a test runs jobs itself with ``JobQueue().work(once=True)``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from robustprune.attack.records import AttackExample, AttackResult, AttackSummary, LayerSimilarity, TransferSummary
from robustprune.store import RunStore, run_id_for
from tests.conftest import SENTENCES, save_model_folder, tiny_bert

APP = Path(__file__).resolve().parents[2] / "app.py"
POSITIVE = {"great", "fine", "superb", "moving"}
TINY_PRUNE = {"calibration": 16}  # the page sets calibration; held-out stays at its default


@dataclass
class Workspace:
    model_dir: str  # absolute paths (what the runs were made with) ...
    csv: str
    data_dir: str
    model_name: str  # ... and their names in the data folder (what pages and links use)
    csv_name: str
    home: Path
    dense_run_id: str
    krp_run_id: str
    sparsegpt_run_id: str
    attack_run_id: str
    structured_run_id: str


def write_reviews_csv(path: Path) -> Path:
    rows = [{"text": sentence, "label": "positive" if sentence.split()[3] in POSITIVE else "negative"}
            for sentence in SENTENCES]
    pd.DataFrame(rows * 4).to_csv(path, index=False)
    return path


def constructed_attack_result() -> AttackResult:
    """Four examples covering every filter: succeeded (sparse flips only), succeeded (both flip),
    failed (dense flips only), skipped; layer similarities for the two successes."""
    summary = AttackSummary(
        recipe="textfooler", recipe_label="textfooler (test records)", substitutions={}, attacked_model="sparse",
        num_examples=4, successful_attacks=2, failed_attacks=1, skipped_attacks=1, clean_accuracy=0.75,
        accuracy_under_attack=0.25, attack_success_rate=2 / 3, avg_perturbed_word_percent=12.5,
        avg_num_words=8.0, avg_num_queries=30.0, wall_seconds=1.5, queries_computed=90, queries_cached=10,
        seed=765, max_length=32, device="cpu")
    examples = [
        AttackExample(0, 1, "succeeded", "this movie was great and the plot worked",
                      "this movie was okay and the plot worked", [3], 25, 1, 0.9, 1, 0.7, 1, 0.8, 0, 0.6),
        AttackExample(1, 1, "succeeded", "this movie was superb and the plot soared",
                      "this film was superb and the plot flew", [1, 7], 40, 1, 0.95, 0, 0.55, 1, 0.9, 0, 0.85),
        AttackExample(2, 0, "failed", "this movie was dull and the plot dragged",
                      "this movie was dim and the plot dragged", [3], 25, 0, 0.8, 1, 0.51, 0, 0.7, 0, 0.6),
        AttackExample(3, 0, "skipped", "this movie was boring and the plot failed",
                      "this movie was boring and the plot failed", [], 1, 1, 0.6, 1, 0.6, 1, 0.58, 1, 0.58)]
    similarities = [LayerSimilarity(index, model, layer, 1.0 - 0.05 * layer * (2 if model == "sparse" else 1),
                                    1.0 - 0.04 * layer) for index in (0, 1) for model in ("dense", "sparse")
                    for layer in range(4)]
    transfers = [TransferSummary("sparse", "dense", 2, 2, 1, 0.5, 0.5)]
    return AttackResult(summary, examples, transfers, [], similarities, [])


def write_attack_run(store: RunStore, result: AttackResult, target_run_id: str, copy: int | None = None) -> str:
    """An attack run laid out as ``robustprune.attack.runs.attack`` writes one, from constructed records, on a pruning
    run or on a fine-tuned (dense) run; ``copy``
    numbers runs of the same records that are other runs (their keys differ in it)."""
    from robustprune.attack.runs import ATTACK_VERSION, AttackRun, save_attack_run

    target = store.require(target_run_id)
    attack = {"recipe": result.summary.recipe, "constructed": True, **({} if copy is None else {"copy": copy})}
    key = {"target": target_run_id, "attack": attack, "dataset": target.dataset, "version": ATTACK_VERSION}
    dense = target.kind in ("finetune", "soup")  # the dense model attacked: its own dense start, at sparsity 0
    run = AttackRun(run_id_for("attack", key), target_run_id, target_run_id if dense else target.parent, target.model,
                    target.dataset, "dense" if dense else target.method,
                    0.0 if dense else target.summary["sparsity"], result)
    save_attack_run(store, key, run)
    return run.run_id


@pytest.fixture(scope="session")
def workspace(tmp_path_factory, tokenizer) -> Workspace:
    from robustprune.data import load_task_data
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig
    from robustprune.structured import KPruneConfig
    from robustprune.structured.runs import prune_structured

    root = tmp_path_factory.mktemp("dashboard").resolve()
    data_dir = root / "data"
    model_dir = data_dir / "tiny-bert"
    save_model_folder(tiny_bert(tokenizer), tokenizer, model_dir)
    csv = write_reviews_csv(data_dir / "reviews.csv")
    store = RunStore(root / "home")
    data = load_task_data(str(csv))
    krp = prune(PruneConfig("krp", 0.5, **TINY_PRUNE), str(model_dir), data, "cpu", store=store)
    sparsegpt = prune(PruneConfig("sparsegpt", 0.5, **TINY_PRUNE), str(model_dir), data, "cpu", store=store)
    attack_run_id = write_attack_run(store, constructed_attack_result(), krp.run_id)
    structured = prune_structured("structured-magnitude", KPruneConfig(0.5), str(model_dir), data, "cpu", store=store)
    return Workspace(str(model_dir), str(csv), str(data_dir), model_dir.name, csv.name, store.root, krp.dense_run_id,
                     krp.run_id, sparsegpt.run_id, attack_run_id, structured.run_id)


@pytest.fixture
def empty_home(isolated_cache, workspace, monkeypatch) -> Path:
    """This test's cache, empty; the app's defaults point at the tiny model and CSV, its data folder at theirs;
    no automatic worker; interactive charts."""
    monkeypatch.setenv("ROBUSTPRUNE_DEFAULT_MODEL", workspace.model_dir)
    monkeypatch.setenv("ROBUSTPRUNE_DEFAULT_DATASET", workspace.csv)
    monkeypatch.setenv("ROBUSTPRUNE_DATA_DIR", workspace.data_dir)
    monkeypatch.setenv("ROBUSTPRUNE_NO_AUTOWORKER", "1")
    # plotly charts, whose figures the page tests read (``plotly_figures``); the static SVG of the same figures is
    # tested in test_charts.py and in the browser
    monkeypatch.setenv("ROBUSTPRUNE_CHARTS", "interactive")
    return isolated_cache


@pytest.fixture
def home(empty_home, workspace) -> Path:
    """This test's cache, holding a copy of the prepared runs."""
    shutil.copytree(workspace.home / "runs", empty_home / "runs", dirs_exist_ok=True)
    for name in ("index.sqlite", "index.sqlite-wal"):
        if (workspace.home / name).exists():
            shutil.copy2(workspace.home / name, empty_home / name)
    return empty_home


def record_sent_messages(monkeypatch, pick) -> list:
    """What the app sends the browser, as ``pick(msg)`` of every ForwardMsg for which it is not None."""
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue

    sent, enqueue = [], ForwardMsgQueue.enqueue

    def recording(queue, msg):
        if (item := pick(msg)) is not None:
            sent.append(item)
        return enqueue(queue, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)
    return sent


@pytest.fixture
def auto_reruns(monkeypatch):
    """The reruns pages ask the browser for (``st.fragment(run_every=...)``), as (fragment id, seconds)."""
    return record_sent_messages(monkeypatch, lambda msg: (msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
                                if msg.WhichOneof("type") == "auto_rerun" else None)


def open_page(page: str | None = None, **query: str) -> AppTest:
    """The app, on ``page`` (e.g. "pages/prune.py") with ``query`` as URL parameters, run once."""
    app = AppTest.from_file(str(APP), default_timeout=120)
    if page is not None:
        app.switch_page(page)
    app.query_params.update(query)
    return app.run()


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def plotly_figures(app: AppTest) -> list[dict]:
    """The plotly charts of the last run, as figure dicts (typed arrays decoded to lists)."""
    import json

    return [json.loads(element.proto.spec, object_hook=decode_typed_array) for element in app.get("plotly_chart")]


def decode_typed_array(value: dict):
    """Plotly writes numpy arrays as {"dtype", "bdata" (base64), "shape"}; give them back as lists."""
    if set(value) >= {"dtype", "bdata"}:
        import base64

        import numpy as np

        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(size) for size in str(value["shape"]).split(",")])
        return array.tolist()
    return value
