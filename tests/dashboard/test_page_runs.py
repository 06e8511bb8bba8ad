"""The Runs page: the table, filters, comparing two runs, deleting one."""

from urllib.parse import parse_qs

from robustprune.store import DERIVED_KINDS, RUN_KINDS, RunStore, run_id_for
from tests.dashboard.conftest import open_page, plotly_figures, texts


def test_table_filters_and_comparison(home, workspace):
    app = open_page("pages/runs.py", a=workspace.krp_run_id, b=workspace.sparsegpt_run_id)
    assert not app.exception and not app.error
    assert set(app.dataframe[0].value["kind"]) == {"finetune", "prune", "structured", "attack"}
    comparison = app.dataframe[1].value
    methods = comparison[comparison["field"] == "method"].iloc[0]
    assert (methods[workspace.krp_run_id], methods[workspace.sparsegpt_run_id], methods["differs"]) == (
        "krp", "sparsegpt", True)
    [depth] = plotly_figures(app)  # both are pruning runs: their errors over depth
    assert len(depth["data"]) == 4 and len({trace["legendgroup"] for trace in depth["data"]}) == 2  # x (local, e2e)

    app.multiselect(key="filter_kind").set_value(["prune"]).run()
    assert list(app.dataframe[0].value["kind"]) == ["prune", "prune"]
    # each compared run opens where it is shown: a pruning run on the Prune page, with its form and id
    links = [element.proto for element in app.get("page_link")]
    assert any(link.page.endswith("prune") and f"run={workspace.krp_run_id}" in link.query_string
               for link in links), links


def test_delete_needs_confirmation_and_takes_dependents(home, workspace):
    app = open_page("pages/runs.py")
    assert not any(element.key == "delete" for element in app.selectbox)  # built only once its panel is open
    app.session_state["delete-open"] = True
    app.run()
    app.selectbox(key="delete").set_value(workspace.krp_run_id).run()
    assert any(workspace.attack_run_id in warning.value for warning in app.warning)  # the attack on it goes too
    assert app.button[-1].disabled
    app.checkbox(key="confirm-delete").check().run()
    app.button[-1].click().run()
    assert not app.exception
    remaining = {record.run_id for record in RunStore().list()}
    assert workspace.krp_run_id not in remaining and workspace.attack_run_id not in remaining
    assert workspace.sparsegpt_run_id in remaining


def test_the_comparison_starts_with_two_pruning_runs_of_one_sparsity(home, workspace):
    """Not the two newest runs (an explanation and a projection, say), but what a comparison is for."""
    from robustprune.attack.projection import ensure_projection

    ensure_projection(workspace.attack_run_id)  # the newest run: computed from the attack
    app = open_page("pages/runs.py")
    assert not app.exception and not app.error
    assert {app.selectbox(key="a").value, app.selectbox(key="b").value} == {workspace.krp_run_id,
                                                                             workspace.sparsegpt_run_id}
    assert len(plotly_figures(app)) == 1  # their errors over depth

    app.multiselect(key="filter_kind").set_value(["attack"]).run()
    app.multiselect(key="filter_method").set_value(["sparsegpt"]).run()  # nothing left: no comparison, no error
    assert not app.exception and not app.error and "a" not in [box.key for box in app.selectbox]
    assert "No run matches these filters: clear one of them to see runs again." in texts(app.info)


def write_record(store: RunStore, kind: str, parent: str | None = None, **summary) -> str:
    """A run of ``kind`` in the index (what the Runs page lists and links read), without the files of a real one."""
    record = store.require(parent) if parent else None
    with store.write(kind, {"constructed": kind}, model=record.model if record else "tiny-bert",
                     dataset=record.dataset if record else "reviews.csv", parent=parent) as writer:
        writer.summary.update(summary)
    return run_id_for(kind, {"constructed": kind})


OPENS_ON = {"prune": "prune", "structured": "prune", "attack": "attacks", "attribution": "attacks",
            "layer-auc": "embeddings", "projection": "embeddings", "frontier": "frontier"}


def test_every_kind_opens_where_it_is_shown(home, workspace):
    """Each run of the comparison opens on the page that shows it, never on this page itself (which showed a
    dense model's "Open" as a link back here); a dense model, which no page shows on its own, says where it is
    seen instead: the Overview's lines that start from it, its attacks, or the form that attacks it."""
    store = RunStore()
    derived = {kind: write_record(store, kind, workspace.attack_run_id, example=1) for kind in DERIVED_KINDS}
    soup = write_record(store, "soup", config={})
    question = {"sweep": {"model": "tiny-bert", "dataset": "reviews.csv", "methods": ["krp"], "recipes": ["textbugger"],
                          "num_examples": 2}, "margin_points": 5.0, "resolution": 0.025, "preset": None}
    frontier = write_record(store, "frontier", request=question, lines=["krp, textbugger, n = 2: planted."],
                            frontiers=[])
    by_kind = {"finetune": workspace.dense_run_id, "soup": soup, "prune": workspace.krp_run_id,
               "structured": workspace.structured_run_id, "attack": workspace.attack_run_id, "frontier": frontier,
               **derived}
    assert set(by_kind) == set(RUN_KINDS)
    app = open_page("pages/runs.py", b=workspace.sparsegpt_run_id)
    for kind, run_id in by_kind.items():
        app.selectbox(key="a").set_value(run_id).run()
        assert not app.exception and not app.error, kind
        links = [link.proto for link in app.get("page_link")]
        assert all(link.page != "runs" for link in links), (kind, links)  # nothing links back here
        opened = [link for link in links if link.label == f"Open {run_id}"]
        if kind in ("finetune", "soup"):
            assert not opened and any(text.startswith(("A fine-tuned dense model", "A greedy soup"))
                                      for text in texts(app.caption)), kind
        else:
            [link] = opened
            assert link.page == OPENS_ON[kind], (kind, link)
    app.selectbox(key="a").set_value(frontier).run()  # a frontier opens on its question, asked as the page asks it
    [link] = [link.proto for link in app.get("page_link") if link.proto.label == f"Open {frontier}"]
    assert parse_qs(link.query_string) == {"model": ["tiny-bert"], "dataset": ["reviews.csv"], "methods": ["krp"],
                                           "recipe": ["textbugger"], "sentences": ["2"], "margin": ["5.0"],
                                           "resolution": ["2.5"]}
    # the fine-tune: the start of its pruning runs' lines on the Overview, and the attack on it... none yet: the form
    app.selectbox(key="a").set_value(workspace.dense_run_id).run()
    dense_links = {link.proto.label: link.proto for link in app.get("page_link")
                   if not link.proto.label.startswith("Open ")}
    assert set(dense_links) == {"Overview: its pruning runs", "Attacks: attack it"}
    overview = dense_links["Overview: its pruning runs"]
    assert overview.page == "overview" and parse_qs(overview.query_string) == {
        "model": [store.require(workspace.krp_run_id).model], "dataset": [store.require(workspace.krp_run_id).dataset]}
    assert dense_links["Attacks: attack it"].query_string == f"run={workspace.dense_run_id}"
    app.selectbox(key="a").set_value(soup).run()  # neither pruned nor attacked, and not what the attack form offers
    assert not [link for link in app.get("page_link") if not link.proto.label.startswith("Open ")]
    assert any("Once pruned, it starts (x = 0)" in text for text in texts(app.caption))
