"""The self-contained HTML report: what it holds, plotly.js once, untrusted text escaped, the CLI."""

import re

import pytest

from robustprune.attack.records import AttackExample
from robustprune.cli import main
from robustprune.errors import RobustPruneError
from robustprune.report import build_report, write_report
from robustprune.store import RunStore
from tests.dashboard.conftest import constructed_attack_result, write_attack_run

PLOTLY_BUNDLE = "plotly.js v"  # the banner of the inlined bundle


def figures(report: str) -> int:
    return report.count('class="plotly-graph-div"')


def test_an_attack_report_holds_its_run_its_summary_and_its_examples(home, workspace):
    report = build_report(attack=workspace.attack_run_id)
    assert report.count(PLOTLY_BUNDLE) == 1 and report.count("<script src=") == 0  # inlined once, nothing fetched
    assert figures(report) >= 3  # the attacked run's heatmaps, errors over depth, sparsity
    assert workspace.krp_run_id in report and "accuracy under attack" in report
    # examples, most telling first: 0 flips the sparse model only
    assert report.index("Example 0: flipped in the sparse model only") < report.index("Example 1: succeeded")
    assert ">great</mark>" in report and ">okay</mark>" in report and "<b>word swap</b>" in report
    assert "Example 3" not in report  # skipped examples were never attacked
    # a title a stakeholder reads: the recipe and the model attacked; the recipe's parts are in the attack's table
    assert f"<h1>Attack {workspace.attack_run_id}: textfooler on the sparse model</h1>" in report
    assert "<td>textfooler (test records)</td>" in report


def test_cached_explanations_join_the_report(home, workspace, capsys):
    from robustprune.attack.explain import explain_example
    from robustprune.attack.layer_auc import ensure_layer_auc

    before = figures(build_report(attack=workspace.attack_run_id))
    explain_example(workspace.attack_run_id, 0, device="cpu")
    ensure_layer_auc(workspace.attack_run_id, device="cpu")
    report = build_report(attack=workspace.attack_run_id)
    assert figures(report) == before + 2  # the per-layer AUC and example 0's cosine per layer
    assert "sparse · adversarial" in report and "Which layers carry the robustness loss" in report
    assert main(["runs"]) == 0
    listed = capsys.readouterr().out
    assert f"example 0 of {workspace.attack_run_id} explained" in listed and "1 sparse-only flips, 2 others" in listed


def test_untrusted_text_is_escaped(home, workspace):
    result = constructed_attack_result()
    result.examples[0] = AttackExample(0, 1, "succeeded", "<script>alert(1)</script> a great film",
                                       "<script>alert(1)</script> a okay film", [3], 5, 1, 0.9, 1, 0.8, 1, 0.9, 0, 0.7)
    attack_run_id = write_attack_run(RunStore(), result, workspace.sparsegpt_run_id)
    report = build_report(attack=attack_run_id)
    assert "<script>alert(1)</script>" not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report


def test_a_pruning_run_report_and_the_overview(home, workspace):
    report = build_report(run=workspace.krp_run_id)
    assert report.count(PLOTLY_BUNDLE) == 1
    assert "Trade-off: accuracy vs sparsity" in report and f"Attack {workspace.attack_run_id}" in report
    structured = build_report(run=workspace.structured_run_id)
    assert "structured-magnitude" in structured and figures(structured) >= 1
    overview = build_report(overview=True)
    assert overview.count(PLOTLY_BUNDLE) == 1 and figures(overview) == 2  # unstructured and structured curves
    assert workspace.attack_run_id in overview
    assert "under attack, 95 % interval" in overview  # every attack's accuracies with their Wilson intervals


def test_the_trade_off_is_one_figure_per_recipe(home, workspace, monkeypatch):
    """With a TextFooler and a TextBugger attack on one run, the report's curves held one point under attack:
    their mean (and "1, 2 attacked" in its table), where the Overview shows each recipe's own."""
    import dataclasses

    from robustprune.report.document import ReportDocument
    from robustprune.store import RunStore
    from tests.dashboard.conftest import constructed_attack_result, write_attack_run

    textfooler = constructed_attack_result()
    textbugger = dataclasses.replace(textfooler, summary=dataclasses.replace(
        textfooler.summary, recipe="textbugger", accuracy_under_attack=0.75))
    write_attack_run(RunStore(), textbugger, workspace.krp_run_id)
    headings, tables = [], []
    monkeypatch.setattr(ReportDocument, "heading", lambda self, text, level=2: headings.append(text))
    monkeypatch.setattr(ReportDocument, "table", lambda self, frame, float_format="": tables.append(frame))
    build_report(overview=True)
    under = [heading for heading in headings if heading.startswith("Trade-off: accuracy vs sparsity")]
    assert [heading.split(",")[0] for heading in under] == ["Trade-off: accuracy vs sparsity under textbugger",
                                                            "Trade-off: accuracy vs sparsity under textfooler"]
    krp_rows = [table[table["run"] == workspace.krp_run_id] for table in tables
                if "run" in table and (table["run"] == workspace.krp_run_id).any()]
    assert [float(rows["accuracy under attack"].iloc[0]) for rows in krp_rows] == [0.75, 0.25]
    assert all(rows["runs"].iloc[0] == "1" for rows in krp_rows)
    # no attack reached the structured runs: their clean curves once, under no recipe
    structured = [heading for heading in headings if heading.startswith("Trade-off: accuracy vs FLOPs removed")]
    assert [heading.split(",")[0] for heading in structured] == ["Trade-off: accuracy vs FLOPs removed"]


def test_a_report_is_of_one_thing(home, workspace):
    with pytest.raises(RobustPruneError, match="one thing"):
        build_report(run=workspace.krp_run_id, overview=True)
    with pytest.raises(RobustPruneError, match="not an attack run"):
        build_report(attack=workspace.krp_run_id)
    with pytest.raises(RobustPruneError, match="is of kind .finetune.") as raised:
        build_report(run=workspace.dense_run_id)
    assert workspace.krp_run_id in str(raised.value)  # it names runs a report can be of


def test_an_unknown_run_names_runs_a_report_can_be_of(home, workspace):
    """It named the newest runs of any kind: attributions, projections, a dense run."""
    with pytest.raises(RobustPruneError, match="no cached run") as raised:
        build_report(attack=workspace.attack_run_id[:-1])  # one character short
    assert str(raised.value).endswith(f"(e.g. {workspace.attack_run_id})")
    with pytest.raises(RobustPruneError, match="no cached run") as raised:
        build_report(run=workspace.krp_run_id[:-1])
    named = str(raised.value).split("(e.g. ")[1].rstrip(")").split(", ")
    assert named[0] == workspace.krp_run_id and workspace.dense_run_id not in named


def test_the_report_command(home, workspace, tmp_path, capsys):
    output = tmp_path / "report.html"
    assert main(["report", "--attack", workspace.attack_run_id, "-o", str(output), "--examples", "1"]) == 0
    text = output.read_text(encoding="utf-8")
    assert len(re.findall(r"<h3>Example \d", text)) == 1
    assert "wrote" in capsys.readouterr().out
    assert main(["report", "--overview", "-o", str(tmp_path / "missing" / "x.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", "--run", "no-such-run", "-o", str(output)]) == 2
    assert output.read_text(encoding="utf-8") == text  # a failed report leaves the old file alone


def test_write_report_leaves_no_partial_file(home, workspace, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    path = write_report(folder / "r.html", overview=True)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [file.name for file in folder.iterdir()] == ["r.html"]


def test_a_failed_write_leaves_no_partial_file_and_says_why(tmp_path, monkeypatch):
    import os

    from robustprune.output_files import checked_output, write_output

    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    folder = tmp_path / "reports"
    folder.mkdir()
    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(RobustPruneError, match="cannot write .*r.html.: No space left on device"):
        write_output(checked_output(folder / "r.html", "-o", "r.html"), "<html></html>")
    assert list(folder.iterdir()) == []


def test_the_report_file_is_checked_before_the_report_is_built(home, tmp_path, capsys, monkeypatch):
    """A folder, or a file in place of its folder, is one line before any run is read (the overview of a big store
    takes seconds to build)."""
    import robustprune.report as report

    monkeypatch.setattr(report, "build_report", lambda **options: pytest.fail("built before the path was checked"))
    (tmp_path / "afile").write_text("x")
    for output, message in ((tmp_path, "is a folder; pass a file name, e.g. "),
                            (tmp_path / "afile" / "r.html", "is a file, not a folder")):
        assert main(["report", "--overview", "-o", str(output)]) == 2
        error = capsys.readouterr().err.strip()
        assert message in error and len(error.splitlines()) == 1
    assert main(["report", "--overview", "-o", str(tmp_path / "r.html"), "--examples", "3"]) == 2  # not ignored
    assert "--examples apply to --run and --attack reports" in capsys.readouterr().err


def test_a_report_exported_from_the_dashboard_has_real_colours(home, workspace, monkeypatch):
    """Inside Streamlit plotly's default template holds placeholder colours (#000001, ...) for Streamlit's front end
    to replace; a report built there ("Export report") must not carry them."""
    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401 - registers the "streamlit" template

    monkeypatch.setattr(pio.templates, "default", "streamlit")
    report = build_report(run=workspace.krp_run_id)
    assert figures(report) >= 3
    assert not re.search(r'"#0000(0[1-9]|[12][0-9]|30)"', report)  # the placeholders: #000001 to #000030


@pytest.mark.parametrize("option, table", [("--run", "layers.parquet"), ("--attack", "attack/examples.parquet")])
def test_a_report_of_a_run_with_a_damaged_table_is_one_line(home, workspace, tmp_path, capsys, option, table):
    """The report reads a run's tables through the store's verified read: same size, other bytes is damage, said
    in one line (it was a pyarrow traceback)."""
    run_id = workspace.krp_run_id if option == "--run" else workspace.attack_run_id
    damaged = home / "runs" / run_id / table
    content = bytearray(damaged.read_bytes())
    content[len(content) // 2] ^= 0xFF
    damaged.write_bytes(bytes(content))
    output = tmp_path / "report.html"
    assert main(["report", option, run_id, "-o", str(output)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "Traceback" not in error and not output.exists()
    assert f"cached run {run_id} is damaged ({table} does not hash to what was written" in error


def test_the_overview_report_does_not_print_the_servers_store_path(home, workspace):
    from robustprune import paths

    report = build_report(overview=True)
    assert str(paths.home()) not in report and str(paths.home().resolve()) not in report
