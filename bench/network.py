"""Network lab benchmark (#16): training, sharpness and the page's reruns, in CPU seconds.

Run with ``python -m bench.network`` (``--against DIR``: serve another checkout beside this one,
e.g. ``git worktree add /tmp/old REV``). CPU time (``time.process_time``, all threads) on a shared
machine: compare the lines of one run, not runs of different days.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SIX = ("gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
LR = {"gd": 0.5, "momentum": 0.25, "nesterov": 0.25, "adam": 0.01, "rmsprop": 0.01, "adagrad": 0.1}


def _cpu(fn):
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        help="another checkout (a worktree of an older commit) served beside this one",
    )
    args = parser.parse_args()
    import optim
    from surfaces.network import EOS_PRESET, network, sharpness

    np.seterr(all="ignore")
    net = network(**EOS_PRESET["network"])
    w0 = net.init(EOS_PRESET["init"], EOS_PRESET["seed"])
    specs = [optim.RunSpec(n, [w0], {"lr": LR[n]}) for n in SIX]
    cpu, trajs = _cpu(lambda: optim.run_many(net, specs, 500))
    print(f"Network {net.title}: {net.dim} parameters, {net.n_data} examples")
    print(f"  6 optimizers × 500 full-batch steps (run_many): {cpu:.2f} s CPU")
    gd = trajs[0].xy[::10, 0]
    for k in (12, 30):
        cpu, s = _cpu(lambda k=k: sharpness(net, gd, k=k))
        print(
            f"  GD's sharpness every 10 steps ({len(gd)} points, Lanczos ≤ {k} steps, stopping"
            f" once converged to 1e-6): {cpu:.2f} s CPU"
        )
    print(f"    at step 500: λ_max = {s[-1]:.3f}, 2/η = {2 / LR['gd']:.3f}")

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    cpu, _ = _cpu(at.run)  # AppTest's component scan and the app's imports: a server's start
    print("The lab's page under AppTest (script, training, sharpness, figures)")
    print(f"  the home page first (AppTest's component scan, the app's imports): {cpu:.2f} s CPU")
    at.switch_page("pages/8_Network.py")
    cpu, _ = _cpu(at.run)
    print(f"  the lab's first paint at the defaults, caches cold: {cpu:.2f} s CPU (target ≤ 2 s)")
    cpu, _ = _cpu(lambda: at.selectbox(key="nn_init").set_value("he_normal").run())
    print(f"  a rerun that retrains (initialization → He normal): {cpu:.2f} s CPU (target ≤ 2 s)")
    cpu, _ = _cpu(lambda: at.selectbox(key="nn_init").set_value("xavier_uniform").run())
    print(f"  back to a setting seen before (cached across sessions): {cpu:.2f} s CPU")
    served([ROOT, *args.against])


SERVED = (
    ("server start (Streamlit's imports, component scan)", None),
    ("the lab as a fresh server's first page (the app's imports too)", "≤ 2 s"),
    ("then, the page done: the Gallery's pictures, in the background", None),
    ("a visitor who retrains (?init=he_normal)", "≤ 2 s"),
    ("a visitor at the defaults (cached)", None),
    ("a visitor with batch norm on (?bn=1)", "≤ 2 s"),
    ("then its comparison too (?bn=1&bn_scan=1: GD at 14 step sizes)", "≤ 2 s"),
    ("a visitor with the edge section on (?edge_on=1: five GD runs)", "≤ 2 s"),
)


def served(roots: list[Path]) -> None:
    """The same page on a real server (``streamlit run``), as visitors meet it: the server's CPU
    (all its threads) from a page request to its last message; one column per checkout served
    (this one, and ``--against`` another commit's worktree), in one run."""
    from tests.wsclient import Server, proc_cpu_seconds, settle, visit_cpu

    def one(root: Path) -> list[float]:
        server = Server(root=root)

        def visit(query: str = "") -> float:
            return visit_cpu(server, "Network", query)

        try:
            settle(server.pid)
            start = proc_cpu_seconds(server.pid)
            first = visit()
            settle(server.pid)
            rest = proc_cpu_seconds(server.pid) - start - first
            return [start, first, rest, visit("init=he_normal"), visit()] + [
                visit(q) for q in ("bn=1", "bn=1&bn_scan=1", "edge_on=1")
            ]
        finally:
            server.stop()

    cols = [one(root) for root in roots]
    names = ["this checkout"] + [root.name for root in roots[1:]]
    print("The lab's page on a real server (s of its process's CPU, all threads)")
    print(f"  {'':66s}" + "".join(f"{n[:16]:>17s}" for n in names))
    for i, (what, target) in enumerate(SERVED):
        row = "".join(f"{c[i]:17.2f}" for c in cols)
        print(f"  {what:66s}{row}" + (f"   target {target}" if target else ""))


if __name__ == "__main__":
    main()
