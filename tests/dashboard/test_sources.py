"""No file on the server is read through a URL: datasets and models come from names, uploads, the data folder."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from robustprune.dashboard.browser import APP, free_port
from tests.dashboard.conftest import open_page, texts, write_reviews_csv


@pytest.fixture
def file_read(monkeypatch):
    """The dataset files the app parsed during a test (the default dataset, of the data folder, is one)."""
    from robustprune.data import registry

    parsed, read_rows = [], registry.read_rows

    def spy(path, *args):
        parsed.append(Path(path))
        return read_rows(path, *args)

    monkeypatch.setattr(registry, "read_rows", spy)
    return parsed


def prune_errors(**query) -> list[str]:
    app = open_page("pages/prune.py", **{"method": "krp", "sparsity": "50", "calibration": "16", **query})
    assert not app.exception
    return texts(app.error)


def test_a_dataset_path_in_a_url_is_refused_alike_whether_it_exists(home, workspace, tmp_path, file_read):
    outside = write_reviews_csv(tmp_path / "secret.csv")  # a valid dataset, outside the data folder
    (Path(workspace.data_dir) / "escape.csv").symlink_to(outside)
    try:
        answers = {name: prune_errors(model=workspace.model_name, dataset=name)
                   for name in (str(outside), str(tmp_path / "missing.csv"), "../../" + outside.name, "escape.csv")}
    finally:
        (Path(workspace.data_dir) / "escape.csv").unlink()
    for name, errors in answers.items():
        assert errors == [f"dataset {name!r} is not one the dashboard opens: choose a registered dataset, upload a "
                          "file, or name a file in the data folder ($ROBUSTPRUNE_DATA_DIR); the command line takes "
                          "any path"]
    assert outside not in file_read  # never parsed, nothing copied


def test_a_model_path_in_a_url_is_refused_alike_whether_it_exists(home, workspace, tiny_model_dir, monkeypatch):
    from robustprune.models import registry

    monkeypatch.setattr(registry, "load_config", lambda *args: pytest.fail("a model path from the URL was opened"))
    for name in (tiny_model_dir, "/no/such/model", "../" + Path(tiny_model_dir).name):
        assert prune_errors(model=name, dataset=workspace.csv_name) == [
            f"model {name!r} is not one the dashboard opens: choose a registered model, a model of a cached run, a "
            "hub id, or a model folder in the data folder ($ROBUSTPRUNE_DATA_DIR); the command line takes any path"]


def test_the_attack_form_refuses_a_server_path_too(home, workspace, file_read):
    app = open_page("pages/attacks.py", target=workspace.krp_run_id, attack_dataset=workspace.csv + "/../../x.csv")
    assert not app.exception
    assert any("is not one the dashboard opens" in message for message in texts(app.error))
    assert "submit-attack" not in [button.key for button in app.button]
    assert all(path.is_relative_to(workspace.data_dir) for path in file_read)


def test_an_upload_is_kept_in_the_store_and_named_in_the_url(home, workspace):
    from robustprune.dashboard.sources import store_upload
    from robustprune.jobs import JobQueue

    content = Path(workspace.csv).read_bytes()
    name = store_upload(content, "my reviews.csv")
    assert name.startswith("upload:") and store_upload(content, "copy.csv") == name  # by content
    stored = home / "uploads" / name.removeprefix("upload:")
    assert stored.read_bytes() == content
    app = open_page("pages/prune.py", model=workspace.model_name, dataset=name, calibration="16", method="magnitude",
                    sparsity="40")
    assert not app.exception and not app.error
    assert name in app.selectbox(key="dataset").options
    app.button(key="submit-job").click().run()
    [job] = JobQueue().list()
    assert job.params["dataset"] == str(stored)  # the worker reads the stored copy


def test_a_bad_file_of_the_data_folder_is_an_error_box(home, workspace, tmp_path, monkeypatch):
    (tmp_path / "latin1.csv").write_bytes("text,label\ntrès bien,1\n".encode("latin-1"))
    monkeypatch.setenv("ROBUSTPRUNE_DATA_DIR", str(tmp_path))
    errors = prune_errors(model=workspace.model_dir, dataset="latin1.csv")
    assert len(errors) == 1 and "latin1.csv: not UTF-8 text (byte 0xe8 on line 2)" in errors[0]


def test_the_server_listens_on_loopback_only_by_default(empty_home, tmp_path):
    """`streamlit run app.py` with no address option: the repository's .streamlit/config.toml binds it."""
    import psutil

    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port",
               str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    env = {**os.environ, "HOME": str(tmp_path)}  # no user-wide streamlit config
    with open(tmp_path / "streamlit.log", "wb") as log:
        server = subprocess.Popen(command, cwd=APP.parent, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        listening = {connection.laddr.ip for connection in psutil.Process(server.pid).net_connections("inet")
                     if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port}
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert listening and listening <= {"127.0.0.1", "::1"}, listening
    assert "Network URL" not in (tmp_path / "streamlit.log").read_text()
    assert socket.gethostbyname("localhost") == "127.0.0.1"


def test_a_name_too_long_for_a_file_is_refused_not_a_traceback(home, workspace):
    """The file system's "File name too long" came up through the page as an OSError traceback (with the data
    folder's absolute path in it)."""
    long_name = "a" * 300
    [model_error] = prune_errors(model=long_name, dataset=workspace.csv_name)
    assert model_error.startswith("model 'aaaa") and "is not one the dashboard opens" in model_error
    [dataset_error] = prune_errors(model=workspace.model_name, dataset=long_name + ".csv")
    assert "is not one the dashboard opens" in dataset_error and workspace.data_dir not in dataset_error


def test_the_uploader_names_the_file_types_it_takes(home, workspace):
    """What the uploader accepts is what its text (and the picker's help) lists: every type robustprune.data.files
    reads, .json included, and no other."""
    import re

    from robustprune.dashboard.sources import UPLOAD_SUFFIXES

    app = open_page("pages/prune.py", model=workspace.model_name, dataset=workspace.csv_name, method="krp")
    assert not app.exception
    [uploader] = app.get("file_uploader")
    assert list(uploader.proto.type) == []  # no filter: Streamlit would drop another type without a word
    help_text = next(box.proto.help for box in app.selectbox if box.key == "dataset")
    for text in (uploader.proto.label, help_text):
        named = re.findall(r"\.(?:csv|jsonl|json|parquet|txt|tsv|xlsx?)\b", text)
        assert sorted(named) == sorted(UPLOAD_SUFFIXES), text


def test_a_model_file_path_gets_one_message_whether_it_exists(home, workspace):
    """?model=tests/conftest.py (a file on the server) and ?model=tests/nosuch.py: the same answer, so a link cannot
    probe the server's files."""
    assert Path("tests/conftest.py").is_file() and not Path("tests/nosuch.py").exists()
    answers = []
    for name in ("tests/conftest.py", "tests/nosuch.py"):
        app = open_page("pages/prune.py", method="krp", sparsity="50", model=name, dataset=workspace.csv_name)
        assert not app.exception
        answers.append([message.replace(name, "NAME") for message in texts(app.error) + texts(app.warning)])
    assert answers[0] == answers[1] and answers[0]


def test_a_hub_id_gets_one_message_whether_a_folder_of_that_name_is_here(home, workspace):
    """?model=tests/dashboard (a folder under the server's current directory) and ?model=tests/nosuchdir: both are hub
    ids, looked up through huggingface_hub, never opened here; the same answer, so a link cannot probe the server's
    folders."""
    from robustprune.dashboard.choices import model_choice_source

    assert Path("tests/dashboard").is_dir() and not Path("tests/nosuchdir").exists()
    answers = []
    for name in ("tests/dashboard", "tests/nosuchdir"):
        assert model_choice_source(name) == f"hub:{name}"
        app = open_page("pages/prune.py", method="krp", sparsity="50", model=name, dataset=workspace.csv_name)
        assert not app.exception
        answers.append([message.replace(name, "NAME") for message in texts(app.error) + texts(app.warning)])
    assert answers[0] == answers[1] and answers[0]


def test_a_very_long_run_value_in_a_link_is_cut(home, workspace):
    long_run = "r" * 20_000
    for page in ("pages/prune.py", "pages/attacks.py"):
        app = open_page(page, run=long_run)
        assert not app.exception
        said = texts(app.warning) + texts(app.info) + texts(app.error) + [toast.proto.body for toast in app.toast]
        assert said and all(len(message) < 400 for message in said), [len(message) for message in said]


def test_a_refused_upload_is_named_by_its_file_name_and_not_kept(home):
    from robustprune.dashboard.sources import store_upload
    from robustprune.errors import RobustPruneError

    for content, name, message in ((b"text,label\ncaf\xe9,1\n", "latin.csv", "latin.csv: not UTF-8 text"),
                                   (b"text,label\n", "header.csv", "header.csv: has the columns text, label but no rows"),
                                   (b"MZ\x90\x00", "tool.exe", "tool.exe: unsupported file type .exe"),
                                   (b"not parquet", "x.parquet", "x.parquet: not a readable Parquet file")):
        with pytest.raises(RobustPruneError) as error:
            store_upload(content, name)
        assert str(error.value).startswith(message) and str(home) not in str(error.value)
    assert [path.name for path in (home / "uploads").iterdir()] == []


def test_uploads_kept_are_bounded_newest_first(home, workspace, monkeypatch):
    from robustprune.dashboard import sources

    monkeypatch.setattr(sources, "KEPT_UPLOADS", 2)
    content = Path(workspace.csv).read_bytes()
    names = [sources.store_upload(content + f"extra row {index},positive\n".encode(), f"r{index}.csv")
             for index in range(3)]
    assert sources.uploads() == names[:0:-1]  # the two newest
    assert sorted(path.name for path in (home / "uploads").iterdir()) == sorted(
        [*(name.removeprefix("upload:") for name in names[1:]), *(name.removeprefix("upload:") + ".name"
                                                                   for name in names[1:])])


def test_a_bad_upload_is_named_by_its_file_name_on_the_page(home, workspace):
    from robustprune.dashboard.sources import store_upload

    small = store_upload(b"text,label\ngood,1\nbad,0\n", "tiny reviews.csv")  # readable, too small to measure
    app = open_page("pages/prune.py", method="krp", sparsity="50", model=workspace.model_name, dataset=small)
    assert not app.exception
    [error] = texts(app.error)
    assert error.startswith("tiny reviews.csv: 2 rows") and str(home) not in error


def test_the_pages_show_no_error_details():
    """An exception the app does not expect: a generic message in the page, its traceback (with the server's paths)
    on the server's console only."""
    import tomllib

    from robustprune.dashboard.browser import APP

    config = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"  # false would still show the traceback


def test_the_uploader_says_why_it_refuses_a_file_and_keeps_a_good_one(home, workspace):
    """An .exe dropped on the uploader is refused with a line (Streamlit's type= filter dropped it without a word);
    a dataset file is stored and chosen."""
    app = open_page("pages/prune.py", model=workspace.model_name, dataset=workspace.csv_name, method="krp")
    [uploader] = app.get("file_uploader")
    uploader.set_value(("tool.exe", b"MZ\x90\x00", "application/octet-stream")).run()
    assert not app.exception
    assert any(message.startswith("tool.exe: unsupported file type .exe") for message in texts(app.error))
    [uploader] = app.get("file_uploader")
    uploader.set_value(("my reviews.csv", Path(workspace.csv).read_bytes(), "text/csv")).run()
    assert not app.exception
    assert app.selectbox(key="dataset").value.startswith("upload:")
    assert [path.name for path in (home / "uploads").iterdir() if path.suffix == ".name"] and \
        all(".partial" not in path.name for path in (home / "uploads").iterdir())
