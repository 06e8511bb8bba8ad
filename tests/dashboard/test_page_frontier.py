"""The Frontier page: the question as the CLI asks it, one job, and the stored answer with its chart and table."""

from robustprune.jobs import JobQueue
from tests.dashboard.conftest import open_page, plotly_figures, texts

QUESTION = {"methods": "magnitude", "recipe": "textbugger", "sentences": "2", "resolution": "17.0"}


def frontier_page(workspace, **extra):
    return open_page("pages/frontier.py", model=workspace.model_name, dataset=workspace.csv_name,
                     **{**QUESTION, **extra})


def test_the_question_is_one_job_and_its_answer_is_drawn(home, workspace):
    app = frontier_page(workspace)
    assert not app.exception and not app.error
    app.button(key="find-frontier").click().run()
    queue = JobQueue()
    [job] = [job for job in queue.list() if job.kind == "frontier"]
    assert job.status == "queued" and job.params["sweep"]["methods"] == ["magnitude"]
    assert job.params["sweep"]["recipes"] == ["textbugger"] and job.params["sweep"]["num_examples"] == 2
    assert job.params["levels"] == [0.3, 0.5, 0.7, 0.875] and job.params["margin_points"] == 5.0
    assert queue.work(once=True) == 1
    done = queue.get(job.job_id)
    assert done.status == "done", done.error

    app = frontier_page(workspace)
    assert not app.exception and not app.error
    [line] = [text for text in texts(app.markdown) if text.startswith("**magnitude, textbugger, n = 2:")]
    figures = plotly_figures(app)
    assert len(figures) == 1 and "sparsity (%)" in str(figures[0]["layout"]["xaxis"]["title"])
    table = app.dataframe[-1].value
    assert list(table["sparsity"]) == [0.3, 0.5, 0.7, 0.875] and set(table["under_attack"]) <= {
        "kept", "lost", "undecided"}
    assert not [button for button in app.button if button.key == "find-frontier"]  # answered: nothing to start
    # nothing undecided here (the tiny model collapsed): no next question
    assert not [text for text in texts(app.info) if "would decide" in text]


def test_an_undecided_answer_links_to_the_question_on_the_sentences_that_would_decide(home, workspace,
                                                                                        monkeypatch):
    from dataclasses import replace

    from robustprune.data import load_task_data
    from robustprune.frontier import run as frontier_run

    frontier_page(workspace).button(key="find-frontier").click().run()
    assert JobQueue().work(once=True) == 1
    test_size = len(load_task_data(workspace.csv).test)
    stored = frontier_run.load_frontier
    monkeypatch.setattr(frontier_run, "load_frontier", lambda record: [  # the stored answer, 50 % undecided
        replace(answer, attack=replace(answer.attack, undecided=[0.5], sentences_to_decide=test_size))
        for answer in stored(record)])
    app = frontier_page(workspace)
    assert not app.exception
    [why] = [text for text in texts(app.info) if "would decide" in text]
    assert f"searches only the {test_size - 2:,} sentences added" in why
    [link] = [element.proto for element in app.get("page_link") if "Ask on" in element.proto.label]
    assert link.label == f"Ask on {test_size:,} sentences" and f"sentences={test_size}" in link.query_string


def test_a_question_that_cannot_work_is_one_line_and_no_job(home, workspace):
    app = frontier_page(workspace, sentences="100000")
    assert not app.exception
    assert any("ask for at most" in text for text in texts(app.error))
    assert not [job for job in JobQueue().list() if job.kind == "frontier"]


def test_the_overview_report_holds_every_stored_frontier(home, workspace):
    from robustprune.report import build_report

    frontier_page(workspace).button(key="find-frontier").click().run()
    assert JobQueue().work(once=True) == 1
    report = build_report(overview=True)
    assert "Robustness frontiers" in report and "magnitude, textbugger, n = 2:" in report
