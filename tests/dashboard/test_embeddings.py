"""Pooled states, their 2-D projection (``robustprune.attack.projection``) and the Embeddings page's data."""

import numpy as np
import pytest

from robustprune.attack import projection
from robustprune.figures import embeddings
from tests.conftest import tiny_bert
from tests.dashboard.conftest import constructed_attack_result


def test_pca_keeps_the_two_largest_directions():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 3)) * np.array([10.0, 3.0, 0.01])
    coordinates, explained = projection.pca_2d(points)
    assert coordinates.shape == (50, 2) and explained > 0.999
    assert np.std(coordinates[:, 0]) == pytest.approx(np.std(points[:, 0]), rel=0.05)
    same = np.tile(np.float32([0.1, 0.7, -0.3]), (4, 1))  # one point four times: no direction to explain
    assert projection.pca_2d(same)[1] == 0.0 and not projection.pca_2d(same)[0].any()


def test_layer_states_pool_every_layer(tiny_model, tokenizer):
    texts = ["a fine film", "a dull and overlong film"]
    mean = projection.layer_states(tiny_model, tokenizer, texts, 16, "mean")
    cls = projection.layer_states(tiny_model, tokenizer, texts, 16, "cls")
    assert mean.shape == cls.shape == (4, 2, 64)  # embeddings + 3 blocks
    assert not np.allclose(mean, cls)
    both = projection.pooled_layer_states(tiny_model, tokenizer, texts, 16)  # one pass, both poolings
    assert np.allclose(both["mean"], mean, atol=1e-6) and np.allclose(both["cls"], cls, atol=1e-6)


def test_the_projection_is_the_pca_of_each_models_pooled_states(tiny_model, tokenizer):
    """Every stored fit: centred coordinates on the two leading eigenvectors of the pooled states' covariance
    (distances within the plane kept), the explained share from the eigenvalues, one fit per set of pairs."""
    result = constructed_attack_result()
    other = tiny_bert(tokenizer, seed=1)  # a second model, other weights
    fitted = projection.attack_projection(result, {"dense": tiny_model, "sparse": other}, tokenizer, 32)
    assert fitted.models() == ["dense", "sparse"]
    attacked = projection.projection_examples(result, include_failed=True)  # 0, 1 succeeded; 2 failed
    for name, model in (("dense", tiny_model), ("sparse", other)):
        for pooling in projection.POOLINGS:
            originals = projection.layer_states(model, tokenizer, [e.original_text for e in attacked], 32, pooling)
            adversarial = projection.layer_states(model, tokenizer, [e.perturbed_text for e in attacked], 32, pooling)
            for include_failed, rows in ((False, [0, 1]), (True, [0, 1, 2])):
                for layer in range(4):
                    coordinates, explained = fitted.view(name, pooling, include_failed, layer)
                    assert list(coordinates["index"]) == [attacked[row].index for row in rows] * 2
                    assert list(coordinates["text"]) == ["original"] * len(rows) + ["adversarial"] * len(rows)
                    states = np.concatenate([originals[layer][rows], adversarial[layer][rows]]).astype(np.float64)
                    centred = states - states.mean(axis=0)
                    eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
                    xy = coordinates[["x", "y"]].to_numpy()
                    if eigenvalues.sum() < 1e-8:  # [CLS] at the embedding layer: one point for every text
                        assert explained == 0.0 and np.allclose(xy, 0.0, atol=1e-4)
                        continue
                    assert explained == pytest.approx(eigenvalues[-2:].sum() / eigenvalues.sum(), rel=1e-3)
                    assert np.allclose(xy.mean(axis=0), 0.0, atol=1e-4)
                    expected = centred @ eigenvectors[:, [-1, -2]]  # same plane, each axis up to its sign
                    assert np.allclose(np.abs(xy), np.abs(expected), atol=1e-3 * np.abs(expected).max() + 1e-5)


def test_similarity_summary_per_model_and_layer():
    summary = embeddings.similarity_by_layer(constructed_attack_result(), "cosine_mean")
    sparse = summary[summary["model"] == "sparse"]
    assert list(sparse["mean"]) == pytest.approx([1.0, 0.9, 0.8, 0.7]) and set(summary["count"]) == {2}


@pytest.mark.parametrize("table", ["examples", "layer_similarities", "word_similarities", "transfer_examples"])
def test_a_row_table_as_a_frame_holds_every_row_and_field(table):
    """``AttackResult.frame`` builds its columns field by field; each row reads back as the record it was."""
    from dataclasses import asdict, fields

    result = constructed_attack_result()
    rows, kind = getattr(result, table), result.ROW_TABLES[table]
    frame = result.frame(table)
    assert list(frame.columns) == [field.name for field in fields(kind)] and len(frame) == len(rows)
    for position, row in enumerate(rows):
        assert {name: frame[name].iloc[position] for name in frame.columns} == asdict(row)


def test_the_projection_is_a_cached_run_of_its_attack(home, workspace):
    import pandas as pd

    from robustprune.cli.commands import run_detail
    from robustprune.dashboard.links import run_view
    from robustprune.errors import RobustPruneError
    from robustprune.store import RunStore

    store = RunStore()
    assert projection.cached_projection(store, workspace.attack_run_id) is None
    computed = projection.ensure_projection(workspace.attack_run_id, store)
    loaded = projection.cached_projection(store, workspace.attack_run_id)
    assert loaded.run_id == computed.run_id == projection.projection_run_id(workspace.attack_run_id)
    pd.testing.assert_frame_equal(loaded.points, computed.points)
    pd.testing.assert_frame_equal(loaded.variance, computed.variance)
    record = store.require(computed.run_id)
    assert record.parent == workspace.attack_run_id  # deleted with its attack
    assert run_view(store, computed.run_id) == ("pages/embeddings.py",
                                                {"run": workspace.krp_run_id, "attack": workspace.attack_run_id})
    assert "3 pairs, dense, sparse" in run_detail("projection", record.summary)
    with pytest.raises(RobustPruneError, match="pass an attack run"):
        projection.ensure_projection(workspace.krp_run_id, store)
    with pytest.raises(RobustPruneError, match="no projection of model 'pruned'"):
        loaded.view("pruned", "mean", False, 0)


def test_an_attack_without_pairs_has_an_empty_projection(tiny_model, tokenizer):
    from dataclasses import replace

    result = constructed_attack_result()
    result = replace(result, examples=[replace(example, result="skipped") for example in result.examples])
    empty = projection.attack_projection(result, {"dense": tiny_model}, tokenizer, 32)
    assert empty.points.empty and empty.variance.empty and empty.models() == []


def planted_pairs(count: int):
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame([{"index": index, "text": text, "x": rng.random(), "y": rng.random(),
                          "label": ("negative", "positive")[index % 2], "content": f"text {index}"}
                         for index in range(count) for text in ("adversarial", "original")])


@pytest.mark.parametrize("webgl, kind", [(False, "scatter"), (True, "scattergl")])
def test_the_projection_joins_each_pair_by_one_segment(webgl, kind):
    """The grey line runs from each original to its adversarial twin and breaks (NaN) before the next pair; with
    ``webgl`` every trace is a WebGL scatter."""
    frame = planted_pairs(3)
    figure = embeddings.projection_figure(frame, 1, "title", ["negative", "positive"], webgl=webgl)
    assert {trace.type for trace in figure.data} == {kind}
    [line] = [trace for trace in figure.data if trace.name == "pair"]
    for axis in ("x", "y"):
        by_text = frame.pivot(index="index", columns="text", values=axis)
        segments = np.asarray(getattr(line, axis), dtype=float).reshape(3, 3)
        assert np.array_equal(segments[:, 0], by_text["original"].to_numpy())
        assert np.array_equal(segments[:, 1], by_text["adversarial"].to_numpy())
        assert np.isnan(segments[:, 2]).all()
    markers = sum(len(trace.x) for trace in figure.data if trace.name.startswith(("original", "adversarial")))
    assert markers == 6


@pytest.mark.parametrize("mode", ["static", "interactive"])
def test_large_scatters_switch_to_webgl_at_the_mode_s_threshold(mode, monkeypatch):
    from robustprune.dashboard import charts

    monkeypatch.setenv(charts.CHARTS_ENV, mode)
    threshold = charts.WEBGL_MARKERS[mode]
    assert not charts.webgl(threshold - 1) and charts.webgl(threshold)
    assert charts.WEBGL_MARKERS["static"] < charts.WEBGL_MARKERS["interactive"]  # software WebGL pays later
