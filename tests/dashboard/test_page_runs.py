"""The Runs page: the table, filters, comparing two runs, deleting one."""

from robustprune.store import RunStore
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

    app.multiselect(key="kind").set_value(["prune"]).run()
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

    app.multiselect(key="kind").set_value(["attack"]).run()
    app.multiselect(key="method").set_value(["sparsegpt"]).run()  # nothing left: no comparison, no error
    assert not app.exception and not app.error and "a" not in [box.key for box in app.selectbox]
    assert "No run matches these filters: clear one of them to see runs again." in texts(app.info)
