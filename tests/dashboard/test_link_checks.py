"""A link's value that a page's widget cannot take is said (a toast naming it and what is shown), not dropped."""

import pytest

from tests.dashboard.conftest import open_page, texts


def link_notices(app) -> list[str]:
    return [text for text in texts(app.toast) if text.startswith("The link's")]


@pytest.mark.parametrize("page, query, notice", [
    ("pages/prune.py", {"method": "krp", "sparsity": "150"},
     "The link's sparsity='150' is not a sparsity from 0 to 95 (%); showing 50 %."),
    ("pages/prune.py", {"method": "nosuch"}, "The link's method='nosuch' is not one of krp, "),
    ("pages/prune.py", {"method": "krp", "calibration": "abc"},
     "The link's calibration='abc' is not a whole number from 1 to 4,096; showing 128."),
    ("pages/sweep.py", {"executor": "ray"},
     "The link's executor='ray' is not one of \"this machine's worker process\", 'a Ray cluster'; showing this "),
    ("pages/sweep.py", {"seeds": "0"}, "The link's seeds='0' is not a whole number from 1 to 20; showing 1."),
    ("pages/sweep.py", {"sparsities": ["30", "70.0"]},
     "The link's sparsities='30,70.0' is not among 30.0, 50.0, 70.0, 87.5; showing 70.0."),
    ("pages/attacks.py", {"filter": "nosuch"}, "The link's filter='nosuch' is not one of all, succeeded"),
    ("pages/embeddings.py", {"pooling": "max"}, "The link's pooling='max' is not one of mean, cls; showing mean."),
    ("pages/runs.py", {"a": "prune-000000000000"},
     "The link's a='prune-000000000000' is not a run of the table above (deleted, or filtered out); showing "),
    ("pages/overview.py", {"model": "nosuch"}, "The link's model='nosuch' is not one of "),
    ("pages/runs.py", {"filter_kind": "prunes"},
     "The link's filter_kind='prunes' is not among this cache's kinds; showing none."),
])
def test_a_value_the_widget_cannot_take_is_said_once(home, workspace, page, query, notice):
    app = open_page(page, **query)
    assert not app.exception
    [said] = link_notices(app)
    assert said.startswith(notice), said
    app.run()
    assert link_notices(app) == []  # said once: the URL now holds what the page shows


def test_values_the_widgets_take_are_not_remarked_on(home, workspace):
    app = open_page("pages/prune.py", method="sparsegpt", sparsity="70", calibration="16", pattern="2:4")
    assert not app.exception and link_notices(app) == []
    app = open_page("pages/sweep.py", seeds="3", sparsities=["30.0", "70.0"], methods=["krp", "magnitude"])
    assert not app.exception and link_notices(app) == []
