"""A page checks the files of the runs it shows, not of every run of the store.

A sweep's store holds hundreds of attack runs, and listing runs checks each one's files (``RunStore.list``): with a
thousand attacks, the Prune page's script took 0.6-0.8 s a click for listings that only wanted the models that have
runs, and the Attacks page 0.3 s for its pickers. Choices now come from the index alone (``RunStore.index_values``),
listings filter in the index, and the attack runs are listed once per state of the store (``cached.attack_runs``).
"""

from __future__ import annotations

import os

import pytest

import robustprune.store as store_module
from robustprune.store import RunStore
from tests.dashboard.conftest import constructed_attack_result, open_page, texts, write_attack_run

EXTRA_ATTACKS = 12


def write_attack_runs(store: RunStore, target_run_id: str, count: int, start: int = 0) -> list[str]:
    """``count`` attack runs on ``target_run_id`` (keys that differ only in a copy number)."""
    result = constructed_attack_result()
    return [write_attack_run(store, result, target_run_id, copy=copy) for copy in range(start, start + count)]


@pytest.fixture
def checked_folders(monkeypatch) -> list[str]:
    """The run folders whose files the store checks from now on (by size), one entry a check."""
    checked, size_damage = [], store_module.size_damage

    def counted(folder):
        checked.append(os.path.basename(folder))
        return size_damage(folder)

    monkeypatch.setattr(store_module, "size_damage", counted)
    return checked


def test_the_prune_page_checks_no_attack_run(home, workspace, checked_folders):
    extra = set(write_attack_runs(RunStore(), workspace.sparsegpt_run_id, EXTRA_ATTACKS))
    checked_folders.clear()
    app = open_page("pages/prune.py", model=workspace.model_name, dataset=workspace.csv_name, method="krp",
                    sparsity="50", calibration="16")
    assert not app.exception and workspace.krp_run_id in app.success[0].value
    assert workspace.krp_run_id in checked_folders  # the run it shows is checked ...
    assert not extra & set(checked_folders)  # ... the attacks on another run are not


def test_the_attack_runs_are_listed_once_per_state_of_the_store(home, workspace, checked_folders):
    store = RunStore()
    extra = write_attack_runs(store, workspace.sparsegpt_run_id, EXTRA_ATTACKS)
    checked_folders.clear()
    first = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id)
    assert not first.exception and set(extra) <= set(checked_folders)  # listed for the pickers
    checked_folders.clear()
    for page in ("pages/attacks.py", "pages/embeddings.py", "pages/overview.py"):  # new sessions, same store
        app = open_page(page, run=workspace.krp_run_id, attack=workspace.attack_run_id)
        assert not app.exception, page
        assert not set(extra) & set(checked_folders), f"{page} checked an attack run it does not show again"
    newer = write_attack_runs(store, workspace.sparsegpt_run_id, 1, start=EXTRA_ATTACKS)[0]  # the state changes
    app = open_page("pages/attacks.py", run=workspace.sparsegpt_run_id, attack=newer)
    assert not app.exception and newer in checked_folders
    assert app.selectbox(key="attack").value == newer  # the picker shows it


def test_an_attack_damaged_after_the_listing_is_caught_when_opened(home, workspace):
    open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id)  # listed, intact
    folder = RunStore().directory(workspace.attack_run_id)
    summary = folder / "summary.json"
    summary.write_text(summary.read_text() + " ")
    app = open_page("pages/attacks.py", run=workspace.krp_run_id, attack=workspace.attack_run_id)
    assert not app.exception
    assert any(workspace.attack_run_id in message and "damaged" in message for message in texts(app.warning))


def test_the_runs_table_leaves_out_a_run_damaged_after_it_was_built(home, workspace):
    before = open_page("pages/runs.py")
    assert workspace.sparsegpt_run_id in list(before.dataframe[0].value["run"]) and not before.warning
    weights = RunStore().directory(workspace.sparsegpt_run_id) / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # the store's state is the same: the table is not built again
    after = open_page("pages/runs.py")
    assert not after.exception
    assert workspace.sparsegpt_run_id not in list(after.dataframe[0].value["run"])
    assert any(workspace.sparsegpt_run_id in message and "(prune) is damaged (weights.safetensors has 100 bytes"
               in message for message in texts(after.warning))
