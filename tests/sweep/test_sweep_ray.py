"""The sweep on Ray, on this machine, confined to loopback (``robustprune.sweep.loopback``).

Local Ray (2 CPUs) and a two-node cluster (``ray start --head`` + ``ray start --address``,
two raylets) run inside a fresh network namespace whose only interface is loopback; the
results must equal the serial sweep's, run by run; a worker killed mid-task costs only its
shard; and nothing Ray started listens beyond loopback. Ray's token authentication stays
on: every process gets the same token file.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from robustprune.errors import RobustPruneError
from robustprune.store import RunStore
from robustprune.sweep import run_sweep
from robustprune.sweep.loopback import LOOPBACK_ADDRESSES, in_loopback_namespace, loopback_unavailable

DRIVER = Path(__file__).with_name("ray_driver.py")
pytest.importorskip("ray")
pytestmark = [pytest.mark.skipif(loopback_unavailable() is not None, reason=str(loopback_unavailable())),
              pytest.mark.ray]


@pytest.fixture
def ray_env(tmp_path):
    """A token for this test's cluster, Ray's files in a short temporary folder (socket paths are limited)."""
    token = tmp_path / "ray-token"
    token.write_text(secrets.token_hex(32))
    temp = Path(tempfile.mkdtemp(prefix="rp-ray-", dir="/tmp"))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token),
           "RAY_USAGE_STATS_ENABLED": "0", "RAY_TMPDIR": str(temp)}
    yield env, temp
    shutil.rmtree(temp, ignore_errors=True)


def sweep_on_ray(spec, tmp_path, env, script: str | None = None, address: str = "auto") -> dict:
    spec_file, out = tmp_path / "spec.json", tmp_path / "ray-result.json"
    spec_file.write_text(json.dumps(spec.to_dict()))
    driver = [sys.executable, str(DRIVER), "--spec", str(spec_file), "--store", str(tmp_path / "ray-store"),
              "--address", address, "--out", str(out)]
    if script is None:
        command = in_loopback_namespace(driver)
    else:
        command = in_loopback_namespace(["sh", "-c", script + ' && "$@"; status=$?; ray stop --force >/dev/null 2>&1;'
                                         ' exit $status', "sh", *driver], own_processes=True)
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(out.read_text())


def comparable(rows) -> list[dict]:
    keep = ("method", "sparsity", "recipe", "succeeded", "failed", "skipped", "clean_accuracy",
            "accuracy_under_attack", "avg_queries", "test_accuracy", "model_run_id", "attack_run_id")
    return [{key: row[key] for key in keep} for row in rows]


def assert_loopback_only(report: dict) -> None:
    assert report["interfaces"] == ["lo"]
    assert report["sockets"], "no listening socket seen while Ray ran"
    outside = [entry for entry in report["sockets"] if entry[1] not in LOOPBACK_ADDRESSES + ("0.0.0.0", "::")]
    assert outside == [], f"listening beyond loopback: {outside}"


def test_a_sweep_on_local_ray_equals_the_serial_sweep(spec, tmp_path, ray_env):
    env, _ = ray_env
    serial = run_sweep(spec, store=RunStore(tmp_path / "serial"))
    report = sweep_on_ray(spec, tmp_path, env)
    assert report["failures"] == []
    assert comparable(report["table"]) == comparable(serial.table.to_dict("records"))
    # every cell a Ray task, but the dense start: made by the driver, since the model is a local folder
    assert sum(report["nodes"].values()) == report["computed"] - 1 > 0
    assert_loopback_only(report)
    again = run_sweep(spec, store=RunStore(tmp_path / "ray-store"))  # the driver wrote every run into its store
    assert again.computed == 0 and not list((tmp_path / "ray-store" / "runs").glob(".partial-*"))


def test_a_killed_task_is_retried_and_leaves_nothing_half_written(spec, tmp_path, ray_env):
    env, _ = ray_env
    markers = tmp_path / "killed"
    markers.mkdir()
    serial = run_sweep(spec, store=RunStore(tmp_path / "serial"))
    report = sweep_on_ray(spec, tmp_path, {**env, "ROBUSTPRUNE_FAULT_KILL_ONCE": str(markers)})
    killed = list(markers.iterdir())
    assert len(killed) == 6  # every shard's first attempt died: 3 attacked models x 2 shards of 2 examples
    assert report["failures"] == []
    assert comparable(report["table"]) == comparable(serial.table.to_dict("records"))
    store = RunStore(tmp_path / "ray-store")
    assert not list((tmp_path / "ray-store" / "runs").glob(".partial-*"))
    assert store.list(kind="attack-shard") == []  # merged into their runs


def test_a_two_node_cluster_runs_tasks_on_both_nodes(spec, tmp_path, ray_env):
    env, temp = ray_env
    port = 6390
    cluster = (f"ray start --head --node-ip-address=127.0.0.1 --port={port} --num-cpus=1 --include-dashboard=false "
               f"--disable-usage-stats --temp-dir={temp} >/dev/null && "
               f"ray start --address=127.0.0.1:{port} --node-ip-address=127.0.0.1 --num-cpus=1 "
               "--disable-usage-stats >/dev/null")
    serial = run_sweep(spec, store=RunStore(tmp_path / "serial"))
    report = sweep_on_ray(spec, tmp_path, env, script=cluster, address=f"127.0.0.1:{port}")
    assert report["failures"] == []
    assert len(report["nodes"]) == 2, report["nodes"]  # two raylets, tasks on each
    assert comparable(report["table"]) == comparable(serial.table.to_dict("records"))
    assert_loopback_only(report)


def test_an_unreachable_cluster_fails_before_any_work(spec, tmp_path):
    from robustprune.sweep.ray_executor import RayExecutor

    store = RunStore(tmp_path / "store")
    with pytest.raises(RobustPruneError, match="cannot reach a Ray cluster at 127.0.0.1:9") as raised:
        run_sweep(spec, store=store, executor=RayExecutor("127.0.0.1:9"))
    assert len(str(raised.value).splitlines()) == 1 and store.list() == []


def test_a_malformed_address_says_what_works(spec, tmp_path):
    from robustprune.sweep.ray_executor import RayExecutor

    with pytest.raises(RobustPruneError, match="is not host:port"):
        run_sweep(spec, store=RunStore(tmp_path / "store"), executor=RayExecutor("my-cluster"))


class FakeRay:
    """Just enough of ``ray`` for the driver's check of the nodes: a probe that answers ``answer`` or raises it."""

    def __init__(self, answer):
        self.answer = answer

    def remote(self, **options):
        return lambda function: type("Remote", (), {"remote": staticmethod(lambda: "probe")})

    def get(self, reference, timeout=None):
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.mark.parametrize("answer, message", [
    ({"robustprune": "0.0.1", "torch": "2.13.0", "cuda": False, "node": "n"},
     "the Ray cluster's nodes have robustprune 0.0.1, this driver"),
    (ModuleNotFoundError("No module named 'robustprune'"),
     "the Ray cluster's nodes cannot run robustprune (ModuleNotFoundError: No module named 'robustprune'); "
     "install the same package on every node"),
])
def test_a_cluster_without_the_same_package_fails_before_any_work(answer, message):
    from robustprune.sweep.ray_executor import RayExecutor

    with pytest.raises(RobustPruneError) as raised:
        RayExecutor("127.0.0.1:6390")._check_nodes(FakeRay(answer))
    assert str(raised.value).startswith(message) and len(str(raised.value).splitlines()) == 1


def test_stopping_a_test_cluster_leaves_other_ray_processes_alone(tmp_path):
    """``ray stop --force`` kills every Ray process it can see; the two-node test stops its cluster so, and
    once killed the raylet of a sweep this machine's user was running. Inside the test's own PID namespace
    it sees only its own processes: a process named like a raylet outside survives."""
    outsider = tmp_path / "raylet"
    shutil.copy(shutil.which("sleep"), outsider)
    process = subprocess.Popen([str(outsider), "120"])
    try:
        subprocess.run(in_loopback_namespace(["ray", "stop", "--force"], own_processes=True),
                       capture_output=True, text=True, timeout=120, check=True)
        assert process.poll() is None, "ray stop in the test's namespace killed a process outside it"
    finally:
        process.kill()
        process.wait()
