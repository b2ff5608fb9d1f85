"""#27: batch normalization as a layer of the Network lab (learnable scale γ and shift β), checked
in float64: backprop against central differences (full batch and minibatch statistics), the
complex-step Hessian-vector product against the exact one and a dense Hessian, the loss's blindness
to a hidden layer's weight scale, and the lab's measured comparison against the engine's own runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import optim
from optim import experiments
from surfaces.network import ACTIVATIONS, network, sharpness
from viz import claims


def _bn(activation="tanh", n=40, width=4):
    return network("moons", width=width, depth=2, activation=activation, n=n, batchnorm=True)


def _numeric_grad(net, w, eps=1e-6):
    eye = np.eye(net.dim)
    cols = [(net.f(w + eps * e) - net.f(w - eps * e)) / (2 * eps) for e in eye]
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_batch_norm_backprop_is_the_central_difference_full_batch_and_minibatch(activation):
    net = _bn(activation)
    plain = network("moons", width=4, depth=2, activation=activation, n=40)
    assert net.dim == plain.dim + 2 * 4  # a γ per hidden unit; β takes the bias's place
    rng = np.random.default_rng(0)
    w = np.stack([net.init("xavier_normal", s) for s in (0, 1, 2)])
    w = w + 0.1 * rng.standard_normal(w.shape)  # γ ≠ 1, β ≠ 0: every term of the backward pass
    np.testing.assert_allclose(net.grad(w), _numeric_grad(net, w), rtol=1e-5, atol=1e-8)
    # a minibatch is normalized by its own mean and variance: the same layer on those examples
    idx = np.arange(0, 40, 3)
    sub = dataclasses.replace(net, X=net.X[idx], y=net.y[idx])
    np.testing.assert_allclose(net.grad_batch(w, idx), sub.grad(w), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(net.f_batch(w, idx), sub.f(w), rtol=1e-12)
    # evaluated at the training points with the training statistics, it is the loss's own output
    out = net.predict(w, net.X)
    np.testing.assert_allclose(0.5 * np.mean((out - net.y) ** 2, axis=1), net.f(w), rtol=1e-12)


def test_at_initialization_gamma_is_one_and_beta_zero():
    net = _bn()
    w0 = net.init("he_uniform", 3)
    for (W, b, g), (i, o) in zip(net.unpack(w0[None]), net.layers):
        assert W.shape == (1, i, o) and not b.any()
        assert (g is None) == (o == 1) and (g is None or (g == 1).all())


def test_the_loss_is_blind_to_a_hidden_layers_weight_scale():
    """L(cW) = L(W) for a batch-normed layer's weights (exactly with ε = 0): so ∇_W L ⟂ W."""
    net = dataclasses.replace(_bn(width=6), bn_eps=0.0)
    w = net.init("xavier_uniform", 0) + 0.05
    for layer in range(2):
        scaled = w.copy()
        W = net.unpack(scaled[None])[layer][0]
        W *= 3.0  # a view into ``scaled``
        assert abs(net.f(scaled) / net.f(w) - 1) < 1e-12
        G = net.unpack(net.grad(w[None]))[layer][0]
        W0 = net.unpack(w[None])[layer][0]
        assert abs(np.sum(G * W0)) < 1e-10 * np.linalg.norm(G) * np.linalg.norm(W0)
    # the output layer has no normalization: its scale matters
    scaled = w.copy()
    net.unpack(scaled[None])[2][0][...] *= 3.0
    assert abs(net.f(scaled) / net.f(w) - 1) > 0.1


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_the_complex_step_hessian_vector_product(activation):
    """The complex step equals the exact forward-over-reverse product on plain networks (to
    rounding), and on batch-normed ones the dense Hessian of central differences."""
    plain = network("spiral", width=5, depth=2, activation=activation, n=60)
    w = np.stack([plain.init("xavier_normal", s) for s in (3, 4)]) + 0.01
    v = np.random.default_rng(0).standard_normal(w.shape)
    np.testing.assert_allclose(plain.hvp_complex(w, v), plain.hvp(w, v), rtol=1e-10, atol=1e-12)
    net = _bn(activation, n=30, width=3)
    w = np.stack([net.init("xavier_normal", s) for s in (1, 2)]) + 0.01
    margin = min(float(np.min(np.abs(z))) for z in net.pre_activations(w))
    eps = 1e-5 if activation == "tanh" else 1e-3 * margin  # no ReLU kink crossed
    cols = [(net.grad(w + eps * e) - net.grad(w - eps * e)) / (2 * eps) for e in np.eye(net.dim)]
    H = np.stack(cols, axis=-1)
    v = np.random.default_rng(1).standard_normal(w.shape)
    np.testing.assert_allclose(net.hvp(w, v), np.einsum("rpq,rq->rp", H, v), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(sharpness(net, w), np.linalg.eigvalsh(H)[:, -1], rtol=1e-5)


def test_the_scan_is_the_engines_gd_and_its_largest_stable_step_is_a_boundary():
    net = network("circles", 8, 2, "tanh", n=80, batchnorm=True)
    w0 = net.init("xavier_uniform", 0)
    sc = experiments.stable_scan(net, w0, [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0], 100)
    top, above = sc.largest, sc.first_unstable
    assert top is not None and above is not None and above > top
    for eta in (top, above):
        (t,) = optim.run_many(net, [optim.RunSpec("gd", [w0], {"lr": eta})], 100)
        i = int(np.flatnonzero(sc.etas == eta)[0])
        if eta == top:  # the plain loop and the engine: the same run
            np.testing.assert_allclose(t.loss[-1, 0], sc.final[i], rtol=1e-9)
            assert t.loss[-1, 0] < sc.start and np.isfinite(t.loss).all()
        else:
            assert not (np.isfinite(t.loss).all() and t.loss[-1, 0] < sc.start)


def _side(dim, sharp0, largest, first_unstable, loss_at, sharp_at, eta=0.5):
    etas = np.array([0.25, 0.5, 1.0, 2.0])
    stable = etas <= (largest if largest is not None else 0)
    scan = experiments.StableScan(etas, 1.0, np.where(stable, 0.1, np.nan), stable, etas, 150)
    from ui.network import BatchNormSide

    return BatchNormSide(dim, sharp0, scan, eta, loss_at, sharp_at)


def test_the_batch_norm_sentence_says_only_what_was_measured():
    same = {False: _side(10, 4.0, 1.0, 2.0, 0.2, 4.1), True: _side(12, 40.0, 1.0, 2.0, 0.05, 3.9)}
    said = claims.batchnorm_sentence(same)
    assert "**1** without batch norm and **1** with it (the same on this grid)" in said
    assert "10× sharper (λ_max 4 → 40)" in said
    assert "2/λ_max = 0.05" in said and "20× that" in said and "40 → 3.9" in said
    raised = {False: _side(10, 4.0, 0.5, 1.0, 0.2, 4.1), True: _side(12, 2.0, 1.0, 2.0, 0.1, 5.0)}
    said = claims.batchnorm_sentence(raised)
    assert "raises it ×2" in said and "flatter" in said and "falls" not in said
    assert "quadratic" not in said  # 1.0 is not beyond 1.2 × 2/λ_max = 1.2
    none = {False: _side(10, 4.0, None, 0.25, np.nan, np.nan), True: _side(12, 2, 1, 2, 0.1, 5)}
    assert "without batch norm no step size" in claims.batchnorm_sentence(none)
    table = claims.batchnorm_table(raised)
    assert list(table.columns) == ["without batch norm", "with batch norm"]
    assert table.iloc[3].tolist() == ["0.5", "1"]
