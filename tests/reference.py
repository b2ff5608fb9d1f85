"""Ground truth: one run, one step at a time, in plain Python floats, transcribed from the formulas.

Nothing here is shared with the engine: every rule is written out coordinate by coordinate from the
update equations in the docstrings (EECS 182, Goodfellow, NPTEL, PyTorch, Kingma & Ba, ...).
"""

from __future__ import annotations

import math

import numpy as np


def _sign(v: float) -> float:
    return (v > 0) - (v < 0)


def reference_run(surface, name: str, x0, steps: int, hp: dict, lr_at=None, hess=None):
    """Return (xs, states): xs[k] the iterate before step k, states[k] a dict after step k."""
    w = [float(v) for v in x0]
    d = len(w)
    lr_at = lr_at or (lambda k: 1.0)
    z = [0.0] * d
    buf, m, v, vmax = list(z), list(z), list(z), list(z)
    # L-BFGS (torch.optim.LBFGS, max_iter=1): pairs oldest first, last direction and step
    pairs_s: list[list[float]] = []
    pairs_y: list[list[float]] = []
    pairs_rho: list[float] = []
    lb_d, lb_t, lb_prev, lb_iter = list(z), 0.0, list(z), 0
    lb_s, lb_y, lb_h0 = list(z), list(z), 1.0

    def dot(a, b):
        return sum(a[i] * b[i] for i in range(d))

    # Schedule-Free (Defazio et al. 2024; schedulefree's reference classes): w is x, sf_z is z
    sf_z, sf_sum, sf_max = list(w), 0.0, -1.0

    xs, states = [list(w)], []
    conv = hp.get("convention")
    for k in range(steps):
        lr = hp["lr"] * lr_at(k)
        t = k + 1
        point = list(w)
        if name == "nesterov" and conv == "ema":
            point = [w[i] - lr * (1 - hp["beta"]) * buf[i] for i in range(d)]
        elif name == "nesterov" and conv == "heavy_ball":
            point = [w[i] - hp["beta"] * buf[i] for i in range(d)]
        elif name in ("sf_sgd", "sf_adamw"):  # y = (1 − β)z + βx
            point = [(1 - hp["beta"]) * sf_z[i] + hp["beta"] * w[i] for i in range(d)]
        elif name == "sam":  # the ascent point w + ρ g/‖g‖ (Foret et al. 2021)
            g0 = [float(c) for c in surface.grad(np.array(w))]
            norm = math.sqrt(sum(c * c for c in g0))
            point = [w[i] + (hp["rho"] * g0[i] / norm if norm > 0 else 0.0) for i in range(d)]
        g = [float(c) for c in surface.grad(np.array(point))]
        st: dict[str, list[float]] = {}
        new = list(w)
        if name == "gd":
            new = [w[i] - lr * g[i] for i in range(d)]
        elif name in ("momentum", "nesterov"):
            b = hp["beta"]
            for i in range(d):
                if conv == "ema":
                    buf[i] = (1 - b) * buf[i] + b * g[i]
                    new[i] = w[i] - lr * buf[i]
                elif conv == "heavy_ball":
                    buf[i] = b * buf[i] + lr * g[i]
                    new[i] = w[i] - buf[i]
                elif name == "momentum":
                    buf[i] = b * buf[i] + g[i]
                    new[i] = w[i] - lr * buf[i]
                else:  # torch nesterov
                    buf[i] = b * buf[i] + g[i]
                    new[i] = w[i] - lr * (g[i] + b * buf[i])
            st["m"] = list(buf)
            if name == "nesterov":
                st["lookahead"] = list(point)
        elif name == "adagrad":
            for i in range(d):
                v[i] = v[i] + g[i] * g[i]
                new[i] = w[i] - lr / (hp["eps"] + math.sqrt(v[i])) * g[i]
            st["v"] = list(v)
            st["eff_lr"] = [lr / (hp["eps"] + math.sqrt(v[i])) for i in range(d)]
        elif name == "rmsprop":
            for i in range(d):
                v[i] = hp["beta"] * v[i] + (1 - hp["beta"]) * g[i] * g[i]
                new[i] = w[i] - lr * g[i] / (math.sqrt(v[i]) + hp["eps"])
            st["v"] = list(v)
            st["eff_lr"] = [lr / (math.sqrt(v[i]) + hp["eps"]) for i in range(d)]
        elif name in ("adam", "adamw", "nadam", "amsgrad"):
            b1, b2, eps = hp["beta1"], hp["beta2"], hp["eps"]
            bc = hp.get("bias_correction", True)
            inside = hp.get("eps_inside", False)
            mh, vh, eff = [0.0] * d, [0.0] * d, [0.0] * d
            for i in range(d):
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
                vmax[i] = max(vmax[i], v[i])
                if name == "nadam":
                    mh[i] = b1 * m[i] / (1 - b1 ** (t + 1)) + (1 - b1) * g[i] / (1 - b1**t)
                    vh[i] = v[i] / (1 - b2**t)
                elif name == "amsgrad":
                    mh[i] = m[i] / (1 - b1**t)
                    vh[i] = vmax[i] / (1 - b2**t)
                elif bc:
                    mh[i], vh[i] = m[i] / (1 - b1**t), v[i] / (1 - b2**t)
                else:
                    mh[i], vh[i] = m[i], v[i]
                denom = math.sqrt(vh[i] + eps) if inside else math.sqrt(vh[i]) + eps
                eff[i] = lr / denom
                new[i] = w[i] - lr * mh[i] / denom
                if name == "adamw":
                    new[i] -= lr * hp["weight_decay"] * w[i]
            st.update(
                m=list(m), v=list(vmax if name == "amsgrad" else v), m_hat=mh, v_hat=vh, eff_lr=eff
            )
        elif name == "lion":
            for i in range(d):
                c = hp["beta1"] * m[i] + (1 - hp["beta1"]) * g[i]
                new[i] = w[i] - lr * (_sign(c) + hp["weight_decay"] * w[i])
                m[i] = hp["beta2"] * m[i] + (1 - hp["beta2"]) * g[i]
            st["m"] = list(m)
        elif name in ("sf_sgd", "sf_adamw"):
            sf_max = max(lr, sf_max)
            weight = (k + 1) ** hp["r"] * sf_max ** hp["weight_lr_power"]
            sf_sum += weight
            c = weight / sf_sum if sf_sum > 0 else 0.0
            for i in range(d):
                if name == "sf_sgd":
                    sf_z[i] -= lr * (g[i] + hp["weight_decay"] * point[i])
                else:
                    v[i] = hp["beta2"] * v[i] + (1 - hp["beta2"]) * g[i] * g[i]
                    denom = math.sqrt(v[i] / (1 - hp["beta2"] ** t)) + hp["eps"]
                    sf_z[i] -= lr * hp["weight_decay"] * point[i] + lr * g[i] / denom
                new[i] = (1 - c) * w[i] + c * sf_z[i]
            st.update(z=list(sf_z), lookahead=list(point))
            if name == "sf_adamw":
                st["v"] = list(v)
        elif name == "muon":  # torch.optim.Muon on one 1 × d matrix: NS₅ scales g/‖g‖ by p₅(1)
            mu = hp["beta"]
            for i in range(d):
                buf[i] = mu * buf[i] + (1 - mu) * g[i]
            look = [(1 - mu) * g[i] + mu * buf[i] if hp["nesterov"] else buf[i] for i in range(d)]
            norm = math.sqrt(sum(c * c for c in look))
            x = norm / max(norm, 1e-7)  # the one singular value after NS's normalization
            for _ in range(5):
                x = 3.4445 * x - 4.7750 * x**3 + 2.0315 * x**5
            for i in range(d):
                step = x * look[i] / norm if norm > 0 else 0.0
                new[i] = (1 - lr * hp["weight_decay"]) * w[i] - lr * step
            st["m"] = list(buf)
        elif name == "sam":
            new = [w[i] - lr * g[i] for i in range(d)]
            st["lookahead"] = list(point)
        elif name == "newton":
            h = surface.hess(np.array(w))
            a, b_, c, dd = h[0, 0] + hp["damping"], h[0, 1], h[1, 0], h[1, 1] + hp["damping"]
            det = a * dd - b_ * c
            step = [(dd * g[0] - b_ * g[1]) / det, (-c * g[0] + a * g[1]) / det]
            new = [w[i] - lr * step[i] for i in range(d)]
        elif name == "lbfgs":
            hist = int(hp["history"])
            if max(abs(c) for c in g) > 1e-7:  # else: torch returns before anything
                lb_iter += 1
                if lb_iter == 1:
                    lb_d = [-c for c in g]
                else:
                    y = [g[i] - lb_prev[i] for i in range(d)]
                    s_ = [lb_d[i] * lb_t for i in range(d)]
                    ys = dot(y, s_)
                    if ys > 1e-10:
                        if len(pairs_s) == hist:
                            pairs_s.pop(0), pairs_y.pop(0), pairs_rho.pop(0)
                        pairs_s.append(s_), pairs_y.append(y), pairs_rho.append(1.0 / ys)
                        lb_h0 = ys / dot(y, y)
                        lb_s, lb_y = s_, y
                    q = [-c for c in g]
                    al = [0.0] * len(pairs_s)
                    for i in range(len(pairs_s) - 1, -1, -1):
                        al[i] = dot(pairs_s[i], q) * pairs_rho[i]
                        q = [q[j] - al[i] * pairs_y[i][j] for j in range(d)]
                    r = [q[j] * lb_h0 for j in range(d)]
                    for i in range(len(pairs_s)):
                        be = dot(pairs_y[i], r) * pairs_rho[i]
                        r = [r[j] + (al[i] - be) * pairs_s[i][j] for j in range(d)]
                    lb_d = r
                lb_prev = list(g)
                if lb_iter == 1:
                    lb_t = min(1.0, 1.0 / sum(abs(c) for c in g)) * lr
                else:
                    lb_t = lr
                gtd = dot(g, lb_d)
                if gtd <= -1e-9:
                    if hp.get("line_search") == "armijo":
                        lb_t = lr
                        f0 = float(surface.f(np.array(w)))
                        for _ in range(30):
                            f1 = float(
                                surface.f(np.array([w[i] + lb_t * lb_d[i] for i in range(d)]))
                            )
                            if math.isfinite(f1) and f1 <= f0 + 1e-4 * lb_t * gtd:
                                break
                            lb_t *= 0.5
                    if hp.get("line_search") == "secant":
                        ahead = [
                            float(c)
                            for c in surface.grad(np.array([w[i] + lb_d[i] for i in range(d)]))
                        ]
                        curv = sum(lb_d[i] * (ahead[i] - g[i]) for i in range(d))
                        lb_t = lr * (-gtd / curv) if curv > 0 else lr
                    new = [w[i] + lb_t * lb_d[i] for i in range(d)]
            st.update(s=list(lb_s), y=list(lb_y), h0=[lb_h0] * d)
        else:
            raise KeyError(name)
        w = new
        xs.append(list(w))
        states.append(st)
    return np.array(xs), states
