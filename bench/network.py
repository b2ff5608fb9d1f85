"""Network lab benchmark (#16): training, sharpness and the page's reruns, in CPU seconds.

Run with ``python -m bench.network``. CPU time (``time.process_time``, all threads) on a shared
machine: compare the lines of one run, not runs of different days.
"""

from __future__ import annotations

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
        print(f"  GD's sharpness every 10 steps ({len(gd)} points, Lanczos {k}): {cpu:.2f} s CPU")
    print(f"    at step 500: λ_max = {s[-1]:.3f}, 2/η = {2 / LR['gd']:.3f}")

    from streamlit.testing.v1 import AppTest

    def first():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page("pages/8_Network.py")
        at.run()
        return at

    cpu, at = _cpu(first)
    print("The lab's page (AppTest: script, training, sharpness, figures)")
    print(f"  first paint at the defaults, caches cold: {cpu:.2f} s CPU (target ≤ 2 s)")
    cpu, _ = _cpu(lambda: at.selectbox(key="nn_init").set_value("he_normal").run())
    print(f"  a slider rerun that retrains (initialization → He normal): {cpu:.2f} s CPU")
    cpu, _ = _cpu(lambda: at.selectbox(key="nn_init").set_value("xavier_uniform").run())
    print(f"  back to a setting seen before (cached across sessions): {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
