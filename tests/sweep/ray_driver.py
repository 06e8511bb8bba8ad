"""Run a sweep on Ray and report what happened (run by the Ray tests inside a loopback-only namespace).

    python tests/sweep/ray_driver.py --spec spec.json --store DIR --address auto|HOST:PORT --out result.json
"""

from __future__ import annotations

import argparse
import json


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--address", default="auto")
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=2)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    from robustprune.store import RunStore
    from robustprune.sweep import SweepSpec, run_sweep
    from robustprune.sweep.events import SweepEvents
    from robustprune.sweep.loopback import interfaces, listening_sockets
    from robustprune.sweep.ray_executor import RayExecutor

    sockets: list = []

    class Watched(SweepEvents):
        def done(self, cell):  # while Ray runs: every socket it has open
            super().done(cell)
            sockets.extend(entry for entry in listening_sockets() if entry not in sockets)

    spec = SweepSpec.from_dict(json.load(open(args.spec)))
    executor = RayExecutor(args.address, device="cpu", num_cpus=args.num_cpus, node_ip_address="127.0.0.1")
    try:
        result = run_sweep(spec, store=RunStore(args.store), executor=executor, shard_size=args.shard_size,
                           events=Watched())
    finally:
        executor.shutdown()
    report = {"table": result.table.to_dict("records"), "computed": result.computed,
              "failures": [[state.label, state.error] for state in result.failures], "nodes": executor.nodes,
              "task_seconds": executor.task_seconds, "sockets": sockets, "interfaces": interfaces()}
    with open(args.out, "w") as handle:
        json.dump(report, handle, default=str)


if __name__ == "__main__":
    main()
