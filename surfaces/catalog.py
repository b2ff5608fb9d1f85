"""Analytic surfaces: the lecture notes' examples, classic test functions and teaching shapes.

Every function follows its cited source; minima are the literature values (polished to machine
precision by Newton's method where the literature gives only a few digits).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np

from vocab import Param

from .base import Surface, SurfaceEntry, polish

PI = np.pi


def _with_polished(s: Surface, minima, local=(), saddles=()) -> Surface:
    mins = tuple(polish(s, m) for m in minima)
    f_min = float(min(s.f(np.array(m)) for m in mins))
    return replace(
        s,
        minima=mins,
        f_min=f_min,
        local_minima=tuple(polish(s, m) for m in local),
        saddles=tuple(polish(s, m) for m in saddles),
    )


# --- lecture examples ------------------------------------------------------------------------------


def sigma_w(sigma1: float, sigma2: float, y1: float, y2: float) -> Surface:
    c = (y1 / sigma1, y2 / sigma2)
    smax, smin = max(sigma1, sigma2), min(sigma1, sigma2)
    lo = [min(0.0, v) - 2.0 for v in c]
    hi = [max(0.0, v) + 2.0 for v in c]
    limit = 1.0 / smax**2
    return Surface(
        "sigma_w",
        "σw ≈ y, two singular values (EECS 182)",
        lambda x, y: (y1 - sigma1 * x) ** 2 + (y2 - sigma2 * y) ** 2,
        lambda x, y: (-2 * sigma1 * (y1 - sigma1 * x), -2 * sigma2 * (y2 - sigma2 * y)),
        ((lo[0], hi[0]), (lo[1], hi[1])),
        r"L(w) = (y_1 - \sigma_1 w_1)^2 + (y_2 - \sigma_2 w_2)^2",
        "EECS 182/282 lecture, 15 Sept 2022, eq. (1)–(3)",
        hess_fn=lambda x, y: (2 * sigma1**2, 0.0, 2 * sigma2**2),
        minima=(c,),
        f_min=0.0,
        notes=(
            f"GD is stable for η < 1/σ_max² = {limit:.4g}; the smallest σ sets the speed. "
            f"Condition number κ = (σ_max/σ_min)² = {(smax / smin) ** 2:.3g}."
        ),
        params={"sigma1": sigma1, "sigma2": sigma2, "y1": y1, "y2": y2},
        starts=((0.0, 0.0), (lo[0] + 0.5, hi[1] - 0.5)),
        lr_gd=(0.01 * limit, 0.45 * limit, 1.2 * limit),
        lr_adaptive=(1e-3, 0.1, 1.0),
        axes=("w₁", "w₂"),
        bowl=True,
    )


def quadratic(kappa: float, angle_deg: float, scale: float) -> Surface:
    lam_max, lam_min = scale, scale / kappa
    th = np.deg2rad(angle_deg)
    c, s = np.cos(th), np.sin(th)
    # H = R diag(λmin, λmax) Rᵀ with R the rotation by θ: the flat valley runs along (cos θ, sin θ)
    hxx = lam_min * c * c + lam_max * s * s
    hyy = lam_min * s * s + lam_max * c * c
    hxy = (lam_min - lam_max) * c * s
    start = (c * -2.5 - s * 1.2, s * -2.5 + c * 1.2)
    return Surface(
        "quadratic",
        "Ill-conditioned quadratic",
        lambda x, y: 0.5 * (hxx * x * x + 2 * hxy * x * y + hyy * y * y),
        lambda x, y: (hxx * x + hxy * y, hxy * x + hyy * y),
        ((-3.0, 3.0), (-3.0, 3.0)),
        r"L(w) = \tfrac12\, w^\top R(\theta)\,\mathrm{diag}(\lambda_{\min}, \lambda_{\max})\,"
        r"R(\theta)^\top w,\quad \kappa = \lambda_{\max}/\lambda_{\min}",
        "COSI 165B (after Goodfellow §8.2.1): ill-conditioned Hessian, zig-zag paths",
        hess_fn=lambda x, y: (hxx, hxy, hyy),
        minima=((0.0, 0.0),),
        f_min=0.0,
        notes=(
            f"λ_min = {lam_min:.4g}, λ_max = {lam_max:.4g}, κ = {kappa:.4g}. GD is stable for "
            f"η < 2/λ_max = {2 / lam_max:.4g}; best constant step 2/(λ_min+λ_max) = "
            f"{2 / (lam_min + lam_max):.4g}. Rotated by {angle_deg:g}°: per-coordinate methods "
            "help only when the valley is axis-aligned."
        ),
        params={"kappa": kappa, "angle_deg": angle_deg, "scale": scale},
        starts=(start, (2.0 * c + 1.0 * s, 2.0 * s - 1.0 * c)),
        # default 1.6/λ_max: GD overshoots the steep direction (factor −0.6) and zig-zags
        lr_gd=(0.01 / lam_max, 1.6 / lam_max, 2.5 / lam_max),
        lr_adaptive=(1e-3, 0.1, 1.0),
        axes=("w₁", "w₂"),
        bowl=True,
    )


# --- classic test functions ------------------------------------------------------------------------


def rosenbrock(b: float) -> Surface:
    def hess(x, y):
        return 2 - 4 * b * y + 12 * b * x * x, -4 * b * x, 2 * b + 0 * x

    def grad(x, y):
        r = y - x * x
        return 2 * (x - 1) - (4 * b) * x * r, (2 * b) * r

    s = Surface(
        "rosenbrock",
        "Rosenbrock's banana valley",
        lambda x, y: (1 - x) ** 2 + b * (y - x * x) ** 2,
        grad,
        ((-2.0, 2.0), (-1.0, 3.0)),
        rf"L(x, y) = (1 - x)^2 + {b:g}\,(y - x^2)^2",
        "Rosenbrock (1960); SciPy go_benchmark Rosenbrock",
        hess_fn=hess,
        minima=((1.0, 1.0),),
        f_min=0.0,
        params={"b": b},
        starts=((-1.5, 2.0), (-1.0, -0.5), (0.0, 2.5)),
        lr_gd=(1e-5, 1e-3, 5e-3 * 100 / b),
        lr_adaptive=(1e-3, 0.05, 0.5),
        log_scale=True,
    )
    h = s.hess(np.array([1.0, 1.0]))
    ev = np.linalg.eigvalsh(h)
    return replace(s, notes=f"Curved, narrow valley; κ ≈ {ev[1] / ev[0]:.0f} at the minimum.")


def _beale_hess(x, y):
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    fxx = 2 * ((y - 1) ** 2 + (y**2 - 1) ** 2 + (y**3 - 1) ** 2)
    fxy = (
        2 * ((y - 1) * x + t1)
        + 2 * ((y**2 - 1) * 2 * x * y + 2 * y * t2)
        + 2 * ((y**3 - 1) * 3 * x * y**2 + 3 * y**2 * t3)
    )
    fyy = (
        2 * x * x + 2 * ((2 * x * y) ** 2 + 2 * x * t2) + 2 * ((3 * x * y**2) ** 2 + 6 * x * y * t3)
    )
    return fxx, fxy, fyy


def _beale_grad(x, y):
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    gx = 2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1)
    gy = 2 * t1 * x + 4 * t2 * x * y + 6 * t3 * x * y**2
    return gx, gy


def beale() -> Surface:
    return Surface(
        "beale",
        "Beale",
        lambda x, y: (
            (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
        ),
        _beale_grad,
        ((-4.5, 4.5), (-4.5, 4.5)),
        r"L = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        "Beale (1958); SciPy go_benchmark Beale",
        hess_fn=_beale_hess,
        minima=((3.0, 0.5),),
        f_min=0.0,
        notes="Flat plateaus and sharp ridges at the corners; values span ~10⁵ (log colour scale).",
        window=((-4.5, 4.5), (-4.5, 4.5)),
        starts=((1.0, 1.5), (-2.0, -2.0), (0.7, 1.4)),
        lr_gd=(1e-5, 1e-3, 2e-2),
        lr_adaptive=(1e-3, 0.05, 0.5),
        log_scale=True,
    )


def himmelblau() -> Surface:
    def f(x, y):
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(x, y):
        a, b = x * x + y - 11, x + y * y - 7
        return 4 * x * a + 2 * b, 2 * a + 4 * y * b

    def hess(x, y):
        a, b = x * x + y - 11, x + y * y - 7
        return 4 * a + 8 * x * x + 2, 4 * x + 4 * y, 2 + 4 * b + 8 * y * y

    s = Surface(
        "himmelblau",
        "Himmelblau (four minima)",
        f,
        grad,
        ((-5.0, 5.0), (-5.0, 5.0)),
        r"L = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        "Himmelblau (1972)",
        hess_fn=hess,
        notes="Four global minima with value 0, one local maximum, four saddles: the start decides.",
        starts=((0.0, 0.0), (-1.0, 4.0), (-4.0, -0.5), (4.5, -4.5)),
        lr_gd=(1e-4, 0.01, 0.03),
        lr_adaptive=(1e-3, 0.1, 1.0),
        log_scale=True,
    )
    return _with_polished(
        s,
        [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        saddles=[
            (-3.07303, -0.08135),
            (-0.12796, -1.95371),
            (0.08668, 2.88425),
            (3.38515, 0.07385),
        ],
    )


def booth() -> Surface:
    return Surface(
        "booth",
        "Booth",
        lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
        lambda x, y: (
            2 * (x + 2 * y - 7) + 4 * (2 * x + y - 5),
            4 * (x + 2 * y - 7) + 2 * (2 * x + y - 5),
        ),
        ((-10.0, 10.0), (-10.0, 10.0)),
        r"L = (x + 2y - 7)^2 + (2x + y - 5)^2",
        "SciPy go_benchmark Booth",
        hess_fn=lambda x, y: (10.0, 8.0, 10.0),
        minima=((1.0, 3.0),),
        f_min=0.0,
        notes="A tilted quadratic bowl, Hessian eigenvalues 18 and 2 (κ = 9); GD limit η < 1/9.",
        starts=((-8.0, -8.0), (8.0, -6.0)),
        lr_gd=(1e-3, 0.05, 0.13),
        lr_adaptive=(1e-2, 0.5, 3.0),
    )


def rastrigin() -> Surface:
    return Surface(
        "rastrigin",
        "Rastrigin (egg crate)",
        lambda x, y: 20 + x * x - 10 * np.cos(2 * PI * x) + y * y - 10 * np.cos(2 * PI * y),
        lambda x, y: (2 * x + 20 * PI * np.sin(2 * PI * x), 2 * y + 20 * PI * np.sin(2 * PI * y)),
        ((-5.12, 5.12), (-5.12, 5.12)),
        r"L = 20 + \sum_{i} \big(x_i^2 - 10\cos(2\pi x_i)\big)",
        "Rastrigin (1974); SciPy",
        hess_fn=lambda x, y: (
            2 + 40 * PI**2 * np.cos(2 * PI * x),
            0.0,
            2 + 40 * PI**2 * np.cos(2 * PI * y),
        ),
        minima=((0.0, 0.0),),
        f_min=0.0,
        notes="A bowl covered in ~100 local minima: gradient methods stop in the nearest one.",
        starts=((-4.2, 3.7), (2.3, -2.2)),
        lr_gd=(1e-4, 2e-3, 1e-2),
        lr_adaptive=(1e-3, 0.1, 1.0),
    )


def ackley() -> Surface:
    def f(x, y):
        r = np.sqrt(0.5 * (x * x + y * y))
        return (
            -20 * np.exp(-0.2 * r)
            - np.exp(0.5 * (np.cos(2 * PI * x) + np.cos(2 * PI * y)))
            + np.e
            + 20
        )

    def grad(x, y):
        r = np.sqrt(0.5 * (x * x + y * y))
        safe = np.where(r > 0, r, 1.0)
        radial = np.where(r > 0, 2 * np.exp(-0.2 * r) / safe, 0.0)
        wave = PI * np.exp(0.5 * (np.cos(2 * PI * x) + np.cos(2 * PI * y)))
        return radial * x + wave * np.sin(2 * PI * x), radial * y + wave * np.sin(2 * PI * y)

    return Surface(
        "ackley",
        "Ackley",
        f,
        grad,
        ((-5.0, 5.0), (-5.0, 5.0)),
        r"L = -20 e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
        "Ackley (1987); SciPy go_benchmark Ackley01 (shown on [−5, 5]²)",
        minima=((0.0, 0.0),),
        f_min=0.0,
        notes="A nearly flat, ridged outer region and a sharp funnel; the minimum is a cone point.",
        starts=((-4.0, 3.5), (3.0, 3.0)),
        lr_gd=(1e-4, 5e-3, 0.05),
        lr_adaptive=(1e-3, 0.1, 1.0),
    )


def six_hump_camel() -> Surface:
    s = Surface(
        "six_hump_camel",
        "Six-hump camel",
        lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
        lambda x, y: (8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3),
        ((-3.0, 3.0), (-2.0, 2.0)),
        r"L = \big(4 - 2.1x^2 + \tfrac{x^4}{3}\big)x^2 + xy + (-4 + 4y^2)\,y^2",
        "Dixon & Szegő (1978); SciPy go_benchmark SixHumpCamel",
        hess_fn=lambda x, y: (8 - 25.2 * x**2 + 10 * x**4, 1.0 + 0 * x, -8 + 48 * y**2),
        window=((-2.0, 2.0), (-1.1, 1.1)),
        notes="Two global minima, four local ones; the walls grow like x⁶.",
        starts=((-1.5, -0.8), (1.2, 0.9), (0.0, 0.0)),
        lr_gd=(1e-4, 0.01, 0.05),
        lr_adaptive=(1e-3, 0.05, 0.5),
    )
    return _with_polished(
        s,
        [(0.0898, -0.7126), (-0.0898, 0.7126)],
        local=[(-1.7036, 0.7961), (1.7036, -0.7961), (-1.6071, -0.5687), (1.6071, 0.5687)],
    )


def goldstein_price() -> Surface:
    def parts(x, y):
        u, v = x + y + 1, 2 * x - 3 * y
        p = 19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y
        q = 18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
        return u, v, p, q, 1 + u * u * p, 30 + v * v * q

    def f(x, y):
        *_, a, b = parts(x, y)
        return a * b

    def grad(x, y):
        u, v, p, q, a, b = parts(x, y)
        dp = -14 + 6 * x + 6 * y  # ∂p/∂x = ∂p/∂y
        ax = ay = 2 * u * p + u * u * dp
        bx = 4 * v * q + v * v * (-32 + 24 * x - 36 * y)
        by = -6 * v * q + v * v * (48 - 36 * x + 54 * y)
        return ax * b + a * bx, ay * b + a * by

    return Surface(
        "goldstein_price",
        "Goldstein–Price",
        f,
        grad,
        ((-2.0, 2.0), (-2.0, 2.0)),
        r"L = [1 + (x+y+1)^2(19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]\,"
        r"[30 + (2x-3y)^2(18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
        "Goldstein & Price (1971); SciPy go_benchmark GoldsteinPrice",
        minima=((0.0, -1.0),),
        f_min=3.0,
        notes="Values from 3 to ~10⁶ (log colour scale); several local minima.",
        starts=((-1.5, 1.5), (1.0, 1.2)),
        lr_gd=(1e-6, 1e-4, 1e-3),
        lr_adaptive=(1e-3, 0.02, 0.2),
        log_scale=True,
    )


def banana() -> Surface:
    return Surface(
        "banana",
        "Distill banana",
        lambda x, y: (1 - x) ** 2 + 20 * (3 * y - x * x) ** 2,
        lambda x, y: (-2 * (1 - x) - 80 * x * (3 * y - x * x), 120 * (3 * y - x * x)),
        ((-2.0, 2.0), (-0.5, 1.5)),
        r"L = (1 - x)^2 + 20\,(3y - x^2)^2",
        'Goh, "Why Momentum Really Works", Distill (2017)',
        hess_fn=lambda x, y: (2 - 240 * y + 240 * x * x, -240 * x, 360.0 + 0 * x),
        minima=((1.0, 1.0 / 3.0),),
        f_min=0.0,
        notes="A bent valley, gentler than Rosenbrock: momentum's overshoot is easy to see.",
        starts=((-1.5, 1.2), (-1.0, -0.3)),
        lr_gd=(1e-4, 3e-3, 6e-3),
        lr_adaptive=(1e-3, 0.05, 0.5),
        log_scale=True,
    )


# --- teaching shapes -------------------------------------------------------------------------------


def saddle() -> Surface:
    return Surface(
        "saddle",
        "Saddle x² − y²",
        lambda x, y: x * x - y * y,
        lambda x, y: (2 * x, -2 * y),
        ((-2.0, 2.0), (-2.0, 2.0)),
        r"L = x^2 - y^2",
        "Goodfellow et al. §8.2.3 (saddle points)",
        hess_fn=lambda x, y: (2.0, 0.0, -2.0),
        saddles=((0.0, 0.0),),
        notes="Unbounded below; GD started near the ridge y = 0 lingers at the saddle, then escapes.",
        starts=((-1.8, 0.01), (-1.8, 0.3)),
        lr_gd=(1e-3, 0.05, 0.5),
        lr_adaptive=(1e-3, 0.05, 0.5),
    )


def monkey_saddle() -> Surface:
    return Surface(
        "monkey_saddle",
        "Monkey saddle x³ − 3xy²",
        lambda x, y: x**3 - 3 * x * y * y,
        lambda x, y: (3 * x * x - 3 * y * y, -6 * x * y),
        ((-2.0, 2.0), (-2.0, 2.0)),
        r"L = x^3 - 3xy^2",
        "A degenerate saddle (three valleys, zero Hessian at 0)",
        hess_fn=lambda x, y: (6 * x, -6 * y, -6 * x),
        saddles=((0.0, 0.0),),
        notes="The gradient and Hessian vanish at 0: escape is polynomially slow.",
        starts=((1.5, 0.05), (0.8, 1.2)),
        lr_gd=(1e-3, 0.02, 0.2),
        lr_adaptive=(1e-3, 0.05, 0.5),
    )


def plateau() -> Surface:
    def f(x, y):
        s = (x - 2) ** 2 + (y - 2) ** 2
        return 1 - np.exp(-s / 2) + 0.005 * s

    def grad(x, y):
        s = (x - 2) ** 2 + (y - 2) ** 2
        h = 0.5 * np.exp(-s / 2) + 0.005
        return 2 * h * (x - 2), 2 * h * (y - 2)

    def hess(x, y):
        dx, dy = x - 2, y - 2
        e = np.exp(-(dx * dx + dy * dy) / 2)
        h, dh = 0.5 * e + 0.005, -0.25 * e
        return 2 * h + 4 * dh * dx * dx, 4 * dh * dx * dy, 2 * h + 4 * dh * dy * dy

    return Surface(
        "plateau",
        "Plateau with a gentle slope",
        f,
        grad,
        ((-6.0, 4.0), (-6.0, 4.0)),
        r"L = 1 - e^{-s/2} + 0.005\,s,\quad s = (x-2)^2 + (y-2)^2",
        "NPTEL deep learning (momentum on gentle slopes); after Goodfellow §8.2.4",
        hess_fn=hess,
        minima=((2.0, 2.0),),
        f_min=0.0,
        notes="Far from the well the slope is ~0.01: GD crawls, momentum builds speed.",
        starts=((-5.0, -4.0), (-5.5, 3.0)),
        lr_gd=(0.01, 1.0, 5.0),
        lr_adaptive=(1e-3, 0.1, 1.0),
    )


def cliff() -> Surface:
    height, k = 4.0, 20.0

    def sig(x):
        return 0.5 * (1 + np.tanh(-0.5 * k * x))  # σ(−kx) without overflow

    def f(x, y):
        return 0.05 * ((x - 3) ** 2 + y * y) + height * sig(x)

    def grad(x, y):
        s = sig(x)
        return 0.1 * (x - 3) - height * k * s * (1 - s), 0.1 * y

    def hess(x, y):
        s = sig(x)
        return 0.1 + height * k * k * s * (1 - s) * (1 - 2 * s), 0.0 * x, 0.1 + 0.0 * x

    s = Surface(
        "cliff",
        "Cliff (exploding gradient)",
        f,
        grad,
        ((-4.0, 8.0), (-3.0, 3.0)),
        r"L = 0.05\,\big((x-3)^2 + y^2\big) + 4\,\sigma(-20x)",
        "COSI 165B, Goodfellow §8.2.4: cliffs and gradient clipping",
        hess_fn=hess,
        notes="At x = 0 the gradient jumps to ~20: a plain step catapults the run; clip it.",
        starts=((-3.0, 1.5), (-3.5, -1.0)),
        lr_gd=(1e-3, 0.5, 2.0),
        lr_adaptive=(1e-3, 0.1, 1.0),
    )
    return _with_polished(s, [(3.0, 0.0)])


def two_wells() -> Surface:
    s = Surface(
        "two_wells",
        "Two wells (local and global minimum)",
        lambda x, y: (x * x - 1) ** 2 + 0.3 * x + 0.5 * y * y,
        lambda x, y: (4 * x * (x * x - 1) + 0.3, y),
        ((-2.0, 2.0), (-1.5, 1.5)),
        r"L = (x^2 - 1)^2 + 0.3x + \tfrac12 y^2",
        "A tilted double well (non-convex)",
        hess_fn=lambda x, y: (12 * x * x - 4, 0.0, 1.0),
        notes="The right well is only local: momentum can carry a run over the ridge, GD cannot.",
        starts=((1.8, 1.0), (0.3, -1.2)),
        lr_gd=(1e-3, 0.05, 0.3),
        lr_adaptive=(1e-3, 0.05, 0.5),
    )
    return _with_polished(s, [(-1.04, 0.0)], local=[(0.96, 0.0)], saddles=[(0.075, 0.0)])


def river_valley() -> Surface:
    """Wen et al. (2024)'s river valley: steep walls (curvature ``a = 20`` across) around a
    meandering river ``y = ½ sin(0.8x)`` whose floor slopes gently down to the sea at ``x = 4``
    (a pseudo-Huber floor: slope ~1 far away, a bowl at the end)."""
    a, m = 20.0, 4.0

    def river(x):
        return 0.5 * np.sin(0.8 * x)

    def slope(x):
        return 0.4 * np.cos(0.8 * x)

    def f(x, y):
        return np.sqrt(1 + (x - m) ** 2) - 1 + 0.5 * a * (y - river(x)) ** 2

    def grad(x, y):
        d = y - river(x)
        return (x - m) / np.sqrt(1 + (x - m) ** 2) - a * d * slope(x), a * d

    def hess(x, y):
        d, r1, r2 = y - river(x), slope(x), -0.32 * np.sin(0.8 * x)
        hxx = (1 + (x - m) ** 2) ** -1.5 + a * r1 * r1 - a * d * r2
        return hxx, -a * r1, a + 0.0 * x

    s = Surface(
        "river_valley",
        "River valley (steep walls, a gently sloping floor)",
        f,
        grad,
        ((-6.0, 6.0), (-2.0, 2.0)),
        r"L = \sqrt{1 + (x-4)^2} - 1 + 10\,\big(y - \tfrac12 \sin 0.8x\big)^2",
        "Wen et al. (2024), the river-valley picture of warm-up–stable–decay",
        hess_fn=hess,
        notes="Across the valley the curvature is ~20 (GD is stable for η < ~0.09); along its "
        "floor the slope is ~1 until the bowl at x = 4: a high η bounces between the walls "
        "while it advances.",
        starts=((-5.0, 1.5), (-5.5, -1.0)),
        lr_gd=(1e-3, 0.06, 0.1),
        lr_adaptive=(1e-3, 0.05, 0.5),
    )
    return _with_polished(s, [(m, float(river(m)))])


def sharp_and_flat() -> Surface:
    """Two Gaussian wells: a sharp deep one at (−1.5, 0) (width 0.5) and a wide shallower one at
    (2, 0) (width 1.6): the picture of sharpness-aware minimization (Foret et al. 2021)."""
    sharp, flat = (-1.5, 0.5, 1.0), (2.0, 1.6, 0.9)  # centre x, width, depth

    def parts(x, y):
        out = []
        for cx, w, d in (sharp, flat):
            e = d * np.exp(-((x - cx) ** 2 + y * y) / (2 * w * w))
            out.append((e, cx, w))
        return out

    def f(x, y):
        return 1.0 - sum(e for e, _, _ in parts(x, y))

    def grad(x, y):
        p = parts(x, y)
        return (
            sum(e * (x - cx) / w**2 for e, cx, w in p),
            sum(e * y / w**2 for e, _, w in p),
        )

    def hess(x, y):
        hxx = hxy = hyy = 0.0 * x
        for e, cx, w in parts(x, y):
            dx, dy, w2 = x - cx, y, w * w
            hxx = hxx + e * (1 / w2 - dx * dx / w2**2)
            hxy = hxy - e * dx * dy / w2**2
            hyy = hyy + e * (1 / w2 - dy * dy / w2**2)
        return hxx, hxy, hyy

    s = Surface(
        "sharp_flat",
        "A sharp well and a flat one",
        f,
        grad,
        ((-4.0, 5.0), (-3.0, 3.0)),
        r"L = 1 - e^{-\lVert w - a\rVert^2/(2\cdot 0.5^2)} - 0.9\,e^{-\lVert w - b\rVert^2/(2\cdot 1.6^2)}",
        "Foret et al. (2021): sharpness-aware minimization prefers flat minima",
        hess_fn=hess,
        notes="The sharp well (curvature ~4) is deeper; the flat one (curvature ~0.35) is wide. "
        "SAM's ascent point looks ρ uphill: in the sharp well that point is high.",
        starts=((-1.0, 1.5), (-0.6, 0.5)),
        lr_gd=(1e-3, 0.05, 0.5),
        lr_adaptive=(1e-3, 0.05, 0.5),
    )
    return _with_polished(s, [(-1.5, 0.0)], local=[(2.0, 0.0)], saddles=[(-0.4, 0.0)])


ENTRIES = [
    SurfaceEntry(
        "sigma_w",
        "σw ≈ y (EECS 182)",
        "lecture",
        sigma_w,
        (
            Param("sigma1", "σ₁", 1.0, low=0.05, high=10.0, ui_low=0.1, ui_high=3.0),
            Param("sigma2", "σ₂", 0.5, low=0.05, high=10.0, ui_low=0.1, ui_high=3.0),
            Param("y1", "y₁", 1.0, low=-10.0, high=10.0, ui_low=-3.0, ui_high=3.0),
            Param("y2", "y₂", 1.0, low=-10.0, high=10.0, ui_low=-3.0, ui_high=3.0),
        ),
        "The scalar least-squares example, one coordinate per singular value.",
    ),
    SurfaceEntry(
        "quadratic",
        "Ill-conditioned quadratic",
        "lecture",
        quadratic,
        (
            Param(
                "kappa",
                "condition number κ",
                50.0,
                low=1.0,
                high=1e6,
                ui_low=1.0,
                ui_high=1000.0,
                log=True,
            ),
            Param(
                "angle_deg",
                "rotation θ (degrees)",
                0.0,
                low=-180.0,
                high=180.0,
                ui_low=-90.0,
                ui_high=90.0,
            ),
            Param("scale", "λ_max", 1.0, low=1e-3, high=1e3, ui_low=0.1, ui_high=10.0, log=True),
        ),
        "A stretched bowl: the zig-zag of GD, the cure of momentum.",
    ),
    SurfaceEntry(
        "rosenbrock",
        "Rosenbrock",
        "classic",
        rosenbrock,
        (Param("b", "valley steepness b", 100.0, low=1.0, high=1e4, ui_low=1.0, ui_high=200.0),),
        "The curved valley every optimizer is judged on.",
    ),
    SurfaceEntry("beale", "Beale", "classic", cache(beale)),
    SurfaceEntry("himmelblau", "Himmelblau", "classic", cache(himmelblau)),
    SurfaceEntry("booth", "Booth", "classic", cache(booth)),
    SurfaceEntry("rastrigin", "Rastrigin", "classic", cache(rastrigin)),
    SurfaceEntry("ackley", "Ackley", "classic", cache(ackley)),
    SurfaceEntry("six_hump_camel", "Six-hump camel", "classic", cache(six_hump_camel)),
    SurfaceEntry("goldstein_price", "Goldstein–Price", "classic", cache(goldstein_price)),
    SurfaceEntry("banana", "Distill banana", "classic", cache(banana)),
    SurfaceEntry("saddle", "Saddle", "shapes", cache(saddle)),
    SurfaceEntry("monkey_saddle", "Monkey saddle", "shapes", cache(monkey_saddle)),
    SurfaceEntry("plateau", "Plateau", "shapes", cache(plateau)),
    SurfaceEntry("cliff", "Cliff", "shapes", cache(cliff)),
    SurfaceEntry("two_wells", "Two wells", "shapes", cache(two_wells)),
    SurfaceEntry("river_valley", "River valley", "shapes", cache(river_valley)),
    SurfaceEntry("sharp_flat", "A sharp well and a flat one", "shapes", cache(sharp_and_flat)),
]
