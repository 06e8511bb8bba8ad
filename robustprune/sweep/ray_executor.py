"""Run a sweep's cells as Ray tasks: every CPU (and GPU) of this machine or of a Ray cluster.

The driver (this process) keeps the run store; tasks never see it. For each cell whose
needs are finished, the driver puts the runs it needs into Ray's object store as bundles
(``bundles.py``: a dense model's weights go up once, however many tasks read them) and
submits a task that computes the cell in a scratch store and returns the new runs, which
the driver writes into the store with its usual atomic writes. Attack runs are split
into shards of examples, one task each, merged by a last task; a shard that a lost node
or a killed worker took down is retried by Ray (``max_retries``), and only that shard.

Tasks ask for ``cpus_per_task`` CPUs, and one GPU each when the cluster has GPUs (the
cell then runs on ``cuda``). Every node needs the same robustprune installed: the driver
checks that before any work.

Addresses: ``auto`` (or ``local``) starts Ray on this machine; ``host:port`` joins a
running cluster's head (``ray start --head``); ``ray://host:port`` goes through Ray
Client. A cluster with token authentication (Ray's default since 2.5x) needs its token
on the driver as on every node: ``RAY_AUTH_TOKEN_PATH`` or ``RAY_AUTH_TOKEN``.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from dataclasses import replace

from robustprune.data import TaskData
from robustprune.attack.runs import SHARD_KIND
from robustprune.errors import RobustPruneError
from robustprune.store import RunStore
from robustprune.sweep.bundles import export_run, import_run, lineage
from robustprune.sweep.events import SweepEvents
from robustprune.sweep.plan import SweepPlan

RAY_ENV = "ROBUSTPRUNE_RAY"  # "auto", or a cluster address: the sweep's default executor
FAULT_ENV = "ROBUSTPRUNE_FAULT_KILL_ONCE"  # tests: a folder; each attack-shard task's first attempt dies after computing
LOCAL_ADDRESSES = ("auto", "local")
DEFAULT_RAY_SHARD_SIZE = 10  # examples per attack task


def ray_address_from_environment() -> str | None:
    return os.environ.get(RAY_ENV) or None


def _host_port(address: str) -> tuple[str, int]:
    text = address.removeprefix("ray://")
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise RobustPruneError(f"Ray address {address!r} is not host:port or ray://host:port (or 'auto' to start "
                               "Ray on this machine)")
    return host.strip("[]"), int(port)


def check_reachable(address: str, timeout_seconds: float = 5.0) -> None:
    """A clear error, before any work, when nothing answers at a cluster's address."""
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_seconds):
            return
    except OSError as error:
        raise RobustPruneError(
            f"cannot reach a Ray cluster at {address} ({error.strerror or error}); start one there with "
            "`ray start --head`, check the address and port, or leave --ray out to run on this process") from None


def portable(data: TaskData) -> TaskData:
    """``data`` with its splits in memory, so that it travels to other machines whole (not as cache-file paths)."""
    import datasets

    def in_memory(split):
        return datasets.Dataset.from_dict(split.to_dict(), features=split.features)

    return replace(data, train=in_memory(data.train), test=in_memory(data.test))


def _probe() -> dict:
    """Run on a node: what it has."""
    import torch

    import robustprune

    return {"robustprune": robustprune.__version__, "torch": torch.__version__,
            "cuda": torch.cuda.is_available(), "node": _node_id()}


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


def _compute_on_node(request, device: str, concurrency: int | None, run_id: str, data: TaskData,
                     *bundles) -> tuple[list, str, float]:
    """A Ray task: the cell's request (``robustprune.requests``) run in a scratch store holding ``bundles``;
    returns (the new runs, node id, seconds)."""
    import ray
    import torch

    from robustprune.sweep.bundles import new_runs, scratch_store

    started = time.perf_counter()
    threads = int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1)) or 1
    torch.set_num_threads(threads)
    with scratch_store(list(bundles)) as store:
        request.run(store, data, device, concurrency=concurrency)
        _maybe_fault(request.kind, run_id)
        return new_runs(store, {bundle.run_id for bundle in bundles}), _node_id(), time.perf_counter() - started


def _maybe_fault(kind: str, run_id: str) -> None:
    """Tests only (``ROBUSTPRUNE_FAULT_KILL_ONCE``): the first attempt of an attack shard dies after its work."""
    folder = os.environ.get(FAULT_ENV)
    if folder and kind == "attack-shard":
        marker = os.path.join(folder, run_id)
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)  # a killed worker: nothing returned, nothing written anywhere


class RayExecutor:
    name = "ray"
    default_shard_size = DEFAULT_RAY_SHARD_SIZE

    def __init__(self, address: str = "auto", *, device: str = "auto", cpus_per_task: int = 1,
                 num_cpus: int | None = None, concurrency: int | None = None, max_retries: int = 3,
                 runtime_env: dict | None = None, node_ip_address: str | None = None) -> None:
        self.address = address or "auto"
        self.device = device
        self.cpus_per_task = cpus_per_task
        self.num_cpus = num_cpus
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.runtime_env = runtime_env
        self.node_ip_address = node_ip_address
        self.started_ray = False
        self.gpus = 0.0
        self.nodes: dict[str, int] = {}  # node id -> tasks run there
        self.task_seconds: list[tuple[str, float]] = []  # (cell kind, seconds) of every finished task

    @property
    def local(self) -> bool:
        return self.address in LOCAL_ADDRESSES

    def describe(self) -> str:
        import ray

        resources = ray.cluster_resources()
        alive = sum(node["Alive"] for node in ray.nodes())
        where = "Ray on this machine" if self.local else f"Ray cluster at {self.address}"
        return (f"{where}: {alive} node(s), {resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs, "
                f"{self.cpus_per_task} CPU(s) per task")

    def prepare(self) -> None:
        """Connect (or start Ray here) and check the nodes; one clear error before any work."""
        try:
            import ray
        except ImportError:
            raise RobustPruneError("running on Ray needs the ray package: pip install 'robustprune[ray]'") from None
        if not self.local:
            check_reachable(self.address)
        if not ray.is_initialized():
            options = {"log_to_driver": False, "ignore_reinit_error": True}
            if self.runtime_env:
                options["runtime_env"] = self.runtime_env
            if self.node_ip_address:
                options["_node_ip_address"] = self.node_ip_address
            if self.local:
                options.update(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False)
            else:
                options["address"] = self.address
            try:
                ray.init(**options)
            except (ConnectionError, RuntimeError, ValueError) as error:
                raise RobustPruneError(f"could not connect to Ray at {self.address}: {str(error).splitlines()[0]}; "
                                       "check the address and the cluster's token (RAY_AUTH_TOKEN_PATH)") from None
            self.started_ray = True
        self._check_nodes(ray)
        self.gpus = ray.cluster_resources().get("GPU", 0.0)

    def _check_nodes(self, ray) -> None:
        import robustprune

        probe = ray.remote(num_cpus=0)(_probe)
        try:
            answer = ray.get(probe.remote(), timeout=300)
        except Exception as error:  # noqa: BLE001 - whatever the node raised, the cause is its environment
            cause = getattr(error, "cause", None) or error
            raise RobustPruneError(
                f"the Ray cluster's nodes cannot run robustprune ({type(cause).__name__}: "
                f"{str(cause).splitlines()[0] if str(cause) else ''}); install the same package on every node "
                f"(robustprune {robustprune.__version__} here)") from None
        if answer["robustprune"] != robustprune.__version__:
            raise RobustPruneError(
                f"the Ray cluster's nodes have robustprune {answer['robustprune']}, this driver "
                f"{robustprune.__version__}; install the same version on every node")

    def shutdown(self) -> None:
        if self.started_ray:
            import ray

            ray.shutdown()
            self.started_ray = False

    # -- the run
    def _runs_here(self, cell) -> bool:
        """A dense start from a local model folder is made here: the nodes do not have the folder."""
        from pathlib import Path

        return cell.kind in ("finetune", "soup") and Path(cell.request.model).expanduser().exists()

    def run(self, plan: SweepPlan, data: TaskData, store: RunStore, events: SweepEvents) -> None:
        import ray

        self.prepare()
        task_device = "cuda" if self.gpus and self.device in ("auto", "cuda") else (
            "cpu" if self.device == "auto" else self.device)
        remote = ray.remote(_compute_on_node).options(
            num_cpus=self.cpus_per_task, num_gpus=1 if task_device == "cuda" else 0,
            max_retries=self.max_retries, retry_exceptions=False)
        data_ref = ray.put(portable(data))
        shipped: dict[str, object] = {}

        def bundle_refs(cell) -> list:
            needed = lineage(store, [need for need in cell.needs])
            for run_id in needed:
                if run_id not in shipped:
                    shipped[run_id] = ray.put(export_run(store, run_id))
            return [shipped[run_id] for run_id in needed]

        done = plan.cached(store)
        failed: dict[str, str] = {}
        waiting = list(plan.missing(store))
        in_flight: dict[object, object] = {}
        while waiting or in_flight:
            for cell in list(waiting):
                blocked = [need for need in cell.needs if need in failed]
                if blocked:
                    waiting.remove(cell)
                    failed[cell.run_id] = f"needs {plan.cell(blocked[0]).label}, which failed"
                    events.failed(cell, failed[cell.run_id])
                elif all(need in done for need in cell.needs):
                    waiting.remove(cell)
                    events.started(cell)
                    if self._runs_here(cell):
                        self._run_here(cell, data, store, events, done, failed)
                        continue
                    in_flight[remote.remote(cell.request, task_device, self.concurrency, cell.run_id, data_ref,
                                            *bundle_refs(cell))] = cell
            if not in_flight:
                continue
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=10.0)
            events.alive()
            for ref in ready:
                cell = in_flight.pop(ref)
                try:
                    bundles, node, seconds = ray.get(ref)
                    for bundle in bundles:
                        import_run(store, bundle)
                except Exception as error:  # noqa: BLE001 - a task's error (or its node's loss, retries spent)
                    cause = getattr(error, "cause", None) or error
                    failed[cell.run_id] = f"{type(cause).__name__}: {cause}"
                    events.failed(cell, failed[cell.run_id])
                    continue
                self.nodes[node] = self.nodes.get(node, 0) + 1
                self.task_seconds.append((cell.kind, seconds))
                done.add(cell.run_id)
                if cell.kind == "attack":  # merged (on a node): the driver's copies of its shards go too
                    for need in cell.needs:
                        if plan.cell(need).kind == SHARD_KIND and store.get(need) is not None:
                            store.delete(need)
                events.done(cell)

    def _run_here(self, cell, data, store, events, done, failed) -> None:
        try:
            cell.request.run(store, data, self.device, events.progress_for(cell))
        except Exception as error:  # noqa: BLE001 - reported as the cell's failure; other cells go on
            failed[cell.run_id] = (str(error) if isinstance(error, RobustPruneError)
                                   else f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}")
            events.failed(cell, failed[cell.run_id])
            return
        done.add(cell.run_id)
        events.done(cell)


__all__ = ["RayExecutor", "RAY_ENV", "ray_address_from_environment", "check_reachable", "portable",
           "DEFAULT_RAY_SHARD_SIZE"]
