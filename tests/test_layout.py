"""The tree shows the rules: no import circles among robustprune's modules, and Streamlit only in the dashboard."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from robustprune.devtools.import_cycles import circles, import_graph, imports_in, module_names

ROOT = Path(__file__).resolve().parents[1] / "robustprune"


def test_no_import_circles_at_module_level_nor_through_imports_inside_functions():
    assert circles(ROOT) == []
    assert circles(ROOT, function_level=True) == []


def test_the_circle_finder_finds_a_circle(tmp_path):
    """A planted package: a -> b at module level, b -> a inside a function; c imports a submodule by name."""
    package = tmp_path / "robustprune"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from robustprune import b\n")
    (package / "b.py").write_text("def late():\n    from robustprune.a import x\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "c.py").write_text("from . import d\nfrom robustprune.sub.d import y\n")
    (package / "sub" / "d.py").write_text("import robustprune.sub.c\n")
    assert import_graph(package, function_level=False)["robustprune.b"] == set()
    assert circles(package) == [(["robustprune.sub.c", "robustprune.sub.d"],
                                 ["robustprune.sub.c", "robustprune.sub.d", "robustprune.sub.c"])]
    assert [members for members, _ in circles(package, function_level=True)] == [
        ["robustprune.a", "robustprune.b"], ["robustprune.sub.c", "robustprune.sub.d"]]


def streamlit_importers(root: Path) -> list[str]:
    """Modules with an import of streamlit anywhere in them (inside functions too)."""
    found = []
    for name, path in module_names(root).items():
        for node, _ in imports_in(ast.parse(path.read_text(encoding="utf-8"))):
            imported = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(module.split(".")[0] == "streamlit" for module in imported):
                found.append(name)
                break
    return found


def test_only_the_dashboard_imports_streamlit():
    outside = [name for name in streamlit_importers(ROOT) if not name.startswith("robustprune.dashboard.")]
    assert outside == []
    assert "robustprune.dashboard.widgets" in streamlit_importers(ROOT)  # the check sees an import where there is one


def test_the_figures_and_the_report_run_without_streamlit():
    """Not even through another module: importing every module of robustprune.figures and the report leaves
    streamlit unimported."""
    figures = sorted(name for name in module_names(ROOT) if name.startswith(("robustprune.figures",
                                                                              "robustprune.report")))
    code = ("import importlib, sys\n"
            f"for name in {figures!r}:\n    importlib.import_module(name)\n"
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'streamlit'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=ROOT.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
    assert len(figures) >= 10
