"""Word vectors from a paragramcf folder are loaded without running code: no pickle beyond plain data."""

import os
import pickle

import numpy as np
import pytest

from robustprune.attack.vectors import load_word_vectors
from robustprune.errors import RobustPruneError


def paragramcf_folder(tmp_path, matrix, word_list_bytes):
    folder = tmp_path / "paragramcf"
    folder.mkdir()
    np.save(folder / "paragram.npy", matrix, allow_pickle=True)
    (folder / "wordlist.pickle").write_bytes(word_list_bytes)
    return folder


class RunsCode:
    """A pickle that calls a function on load: what a hostile word list would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_a_plain_word_list_and_numeric_matrix_load(tmp_path):
    matrix = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]], dtype=np.float32)
    folder = paragramcf_folder(tmp_path, matrix, pickle.dumps({"good": 0, "fine": 1, "awful": 2}))
    vectors = load_word_vectors(folder)
    assert vectors.nearest_neighbours("good", 1) == [1]


def test_a_word_list_that_would_run_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "code-ran"
    folder = paragramcf_folder(tmp_path, np.zeros((1, 2), dtype=np.float32),
                               pickle.dumps({"good": RunsCode(str(marker))}))
    with pytest.raises(RobustPruneError, match=r"is not a plain word -> index dict \(it names \w+\.mkdir\)"):
        load_word_vectors(folder)
    assert not marker.exists()


def test_an_object_array_is_refused(tmp_path):
    matrix = np.array([[0.0, "x"]], dtype=object)
    folder = paragramcf_folder(tmp_path, matrix, pickle.dumps({"good": 0}))
    with pytest.raises(RobustPruneError, match="paragram.npy' is not a numeric .npy array"):
        load_word_vectors(folder)
