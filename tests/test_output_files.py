"""A file the user names for robustprune to write (``report -o``, ``sweep --csv``): a FIFO or device is written, not
replaced; a symlink's target is written, the link kept; a read-only file, a path in the run store and a name too
long for the system are refused with one line (exit 2)."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from robustprune.cli import main
from robustprune.errors import RobustPruneError
from robustprune.output_files import checked_output, write_output

LONG = "a" * 300


def overview(path) -> list[str]:
    return ["report", "--overview", "-o", str(path)]


def read_fifo_in_background(fifo):
    received = []

    def read():
        with open(fifo, encoding="utf-8") as stream:
            received.append(stream.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, received


def test_a_fifo_is_written_as_a_stream_not_replaced(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader, received = read_fifo_in_background(fifo)
    assert main(overview(fifo)) == 0
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO, not an HTML file in its place
    assert received and received[0].startswith("<!DOCTYPE html>")


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_full_device_is_one_line_and_stays_a_device(tmp_path, capsys):
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # a copy of /dev/full
    assert main(overview(full)) == 2
    error = capsys.readouterr().err
    assert "No space left on device" in error and len(error.strip().splitlines()) == 1
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_symlink_is_followed_its_target_written_and_the_link_kept(tmp_path):
    target = tmp_path / "real" / "report.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.html"
    link.symlink_to(target)
    assert main(overview(link)) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(path.name for path in target.parent.iterdir()) == ["report.html"]  # no temporary left


def test_a_read_only_file_is_refused_and_kept(tmp_path, capsys):
    output = tmp_path / "report.html"
    output.write_text("keep me", encoding="utf-8")
    output.chmod(0o444)
    assert main(overview(output)) == 2
    error = capsys.readouterr().err
    assert "read-only" in error and len(error.strip().splitlines()) == 1
    assert output.read_text(encoding="utf-8") == "keep me"


def test_a_path_in_the_run_store_is_refused(isolated_cache, capsys):
    index = isolated_cache / "index.sqlite"
    index.write_bytes(b"an index")
    assert main(overview(index)) == 2
    assert "inside the run store" in capsys.readouterr().err
    assert index.read_bytes() == b"an index"
    link = isolated_cache.parent / "innocent.html"  # a symlink into the store is the store too
    link.symlink_to(index)
    assert main(overview(link)) == 2
    assert index.read_bytes() == b"an index"


def test_a_regular_file_is_replaced_atomically_keeping_its_permissions(tmp_path):
    (tmp_path / "out").mkdir()
    output = tmp_path / "out" / "table.csv"
    output.write_text("old", encoding="utf-8")
    output.chmod(0o640)
    write_output(checked_output(output, "--csv", "table.csv"), "a,b\n1,2\n")
    assert output.read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert stat.S_IMODE(output.stat().st_mode) == 0o640
    assert [path.name for path in output.parent.iterdir()] == ["table.csv"]


def test_a_block_device_is_refused(monkeypatch, tmp_path):
    status = os.stat(tmp_path)
    fake = os.stat_result((stat.S_IFBLK | 0o660, *tuple(status)[1:]))
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: fake if str(path).endswith("sda") else real_stat(path, *a, **k))
    with pytest.raises(RobustPruneError, match="block device"):
        checked_output(tmp_path / "sda", "-o", "report.html")


@pytest.mark.parametrize("argv", [
    ["report", "--overview", "-o", f"{LONG}.html"],
    ["sweep", "--methods", "magnitude", "--sparsities", "0.5", "--csv", f"{LONG}.csv"],
    ["attack", "--dense", "--recipe", "textbugger", "--texts", f"{LONG}.txt"],
    ["prune", "--method", "magnitude", "--dataset", f"{LONG}.csv"],
    ["finetune", "--model", f"./{LONG}"],
])
def test_a_name_too_long_for_the_system_is_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "too long for a file name" in error and len(error.strip().splitlines()) == 1


def test_dev_stdout_is_written_through_the_shells_file_not_over_it(tmp_path):
    """`report -o /dev/stdout >> log`: the report is appended to the log, neither replacing nor truncating it."""
    import subprocess
    import sys
    from pathlib import Path

    log = tmp_path / "log.html"
    log.write_text("previous\n", encoding="utf-8")
    with open(log, "a", encoding="utf-8") as stdout:
        done = subprocess.run([sys.executable, "-m", "robustprune", "report", "--overview", "-o", "/dev/stdout"],
                              stdout=stdout, stderr=subprocess.PIPE, cwd=Path(__file__).parents[1], timeout=300)
    assert done.returncode == 0, done.stderr
    assert log.read_text(encoding="utf-8").startswith("previous\n<!DOCTYPE html>")
