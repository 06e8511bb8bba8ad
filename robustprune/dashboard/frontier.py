"""The Frontier page's request: the same ``FrontierRequest`` the ``robustprune frontier`` command builds.

The page's choices are read as that command's flags (``cli.frontier.frontier_request``), so that a preset (the
paper's setup) fills the same settings in both, and a question asked on the page and on the command line is one
request with one run id: one cached answer.
"""

from __future__ import annotations

from robustprune.requests.frontier import FrontierRequest

RECIPES = ("textbugger", "textfooler", "bert-attack")
MARGIN_POINTS = 5.0
RESOLUTION = 0.025


def frontier_request(model: str, dataset: str, text_column: str, label_column: str, methods: list[str], recipe: str,
                     sentences: int, margin_points: float = MARGIN_POINTS, resolution: float = RESOLUTION,
                     preset: str | None = None, dense_start: str | None = None) -> FrontierRequest:
    from robustprune.cli import apply_preset, build_parser
    from robustprune.cli.frontier import frontier_request as from_flags

    argv = ["frontier", "--model", model, "--dataset", dataset, "--text-column", text_column, "--label-column",
            label_column, "--recipe", recipe, "-n", str(sentences), "--margin", f"{margin_points:g}",
            "--resolution", f"{resolution:g}"]
    if methods:
        argv += ["--method", ",".join(methods)]
    if preset:
        argv += ["--preset", preset]
    if dense_start:
        argv += ["--dense-start", dense_start]
    args = build_parser().parse_args(argv)
    apply_preset(args)
    return from_flags(args)


def unstructured_methods() -> list[str]:
    """The methods whose budget is a sparsity (the frontier's axis), and their re-fitted variants."""
    from robustprune.dashboard.sweep import method_options
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    return [method for method in method_options() if method.split("+")[0] not in STRUCTURED_METHODS]


__all__ = ["RECIPES", "frontier_request", "unstructured_methods"]
