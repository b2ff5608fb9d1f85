"""The presets gallery: named scenarios, each a lecture figure or a classic picture, each a link.

A preset is a page and a URL query, the same thing a shared link is (``ui.link``). Playground presets
are declared by their picture (surface, runs, start, steps) and their query is built from it, so
the thumbnail and the page cannot disagree; lab presets give their query and the picture that
stands for them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

import optim
from viz import animated_gif, run_views

from .cache import simulate, surface_key, surface_of
from .controls import playground_query

__all__ = [
    "PRESETS",
    "QUESTIONS",
    "Preset",
    "ReadyQuestion",
    "preset_thumbnail",
    "warm_thumbnails",
]

PG = "pages/1_Playground.py"


def _quadratic(kappa: float, angle: float = 0.0) -> tuple:
    return surface_key("quadratic", kappa=kappa, angle_deg=angle)


@dataclass(frozen=True)
class Preset:
    """One scenario: what it shows, where it comes from, and the view it opens."""

    slug: str
    title: str
    watch: str  # what to look for, one or two sentences
    source: str
    surface: tuple  # the picture: surface key, runs, start, steps, minibatch size
    runs: tuple[tuple[str, dict[str, Any]], ...]
    start: tuple[float, float] | None = None
    steps: int = 150
    batch: int | None = None
    page: str = PG
    lab_query: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, str]:
        if self.page != PG:
            return dict(self.lab_query)
        return playground_query(
            self.surface, list(self.runs), start=self.start, steps=self.steps, **self.extra
        )


PRESETS: tuple[Preset, ...] = (
    Preset(
        "zigzag",
        "Zig-zag in a ravine",
        "Gradient descent near its stability limit (η = 1.8 with λ_max = 1, limit 2) bounces "
        "across the steep walls of a rotated κ = 100 valley while it creeps along the floor; at "
        "η = 1 it slides straight down the wall and still crawls along the floor.",
        "EECS 182, ill-conditioning; Goodfellow §4.3 Fig. 4.6",
        _quadratic(100.0, 30.0),
        (("gd", {"lr": 1.8}), ("gd", {"lr": 1.0})),
        steps=100,
    ),
    Preset(
        "overshoot",
        "Momentum overshoot",
        "Heavy-ball momentum (PyTorch form, β = 0.95) builds up speed along the flat direction "
        "and runs past the minimum, then swings back: a damped oscillation that still beats "
        "plain GD with the same η.",
        "EECS 182 §1.1; Goh, Why momentum really works (2017)",
        _quadratic(10.0),
        (("gd", {"lr": 0.1}), ("momentum", {"lr": 0.1, "beta": 0.95, "convention": "pytorch"})),
    ),
    Preset(
        "nesterov",
        "Heavy ball against Nesterov",
        "Same η = 0.47 and β = 0.9 on a κ = 100 valley. The heavy ball keeps rattling across "
        "the steep direction; Nesterov evaluates the gradient where momentum is taking it and "
        "damps that rattle almost at once.",
        "Goodfellow Alg. 8.3; NPTEL Nesterov lecture; Sutskever et al. (2013)",
        _quadratic(100.0),
        (
            ("momentum", {"lr": 0.47, "beta": 0.9, "convention": "pytorch"}),
            ("nesterov", {"lr": 0.47, "beta": 0.9, "convention": "pytorch"}),
        ),
        steps=200,
    ),
    Preset(
        "adagrad_stalls",
        "AdaGrad stalls",
        "Same η = 0.05 on the Rosenbrock banana. AdaGrad divides by the root of the sum of every "
        "squared gradient so far: after the steep descent into the valley its step is too small "
        "to follow the floor. RMSProp's moving average forgets and keeps going.",
        "Goodfellow Alg. 8.4 and 8.5; NPTEL AdaGrad and RMSProp lectures",
        surface_key("rosenbrock", b=100.0),
        (("adagrad", {"lr": 0.05}), ("rmsprop", {"lr": 0.05})),
        steps=500,
    ),
    Preset(
        "saddle",
        "Adam at a saddle",
        "Starting a hair off the ridge of f = x² − y² (y₀ = 0.01), GD's escape is slowed by the "
        "tiny gradient across the ridge; Adam rescales each coordinate by its own gradient size "
        "and leaves more than twice as fast. (Past the frame the saddle is unbounded: runs that "
        "keep going are marked diverged.)",
        "EECS 182 note on adaptive methods; Dauphin et al. (2014)",
        surface_key("saddle"),
        (("gd", {"lr": 0.05}), ("adam", {"lr": 0.05})),
        steps=60,
    ),
    Preset(
        "edge",
        "The edge of divergence",
        "On σw ≈ y the error is multiplied by 1 − 2ησ² each step: at η = 0.99/σ² it flips sign "
        "and barely shrinks, at 1.05/σ² it grows. The lab shows Fig. 1 of the lecture beside it.",
        "EECS 182, 15 Sept 2022, eq. (3) and Fig. 1",
        surface_key("sigma_w", sigma1=1.0, sigma2=0.5),
        (("gd", {"lr": 0.99}),),
        start=(0.0, 0.0),
        steps=60,
        page="pages/2_Learning_rate.py",
        lab_query={"eta": "0.99", "fig1": "1"},
    ),
    Preset(
        "edge_of_stability",
        "A network at the edge of stability",
        "Full-batch GD on a small tanh network at five step sizes, each regime named from its "
        "own run: at η = 0.05 stable; at 0.25 and 0.5 the sharpness climbs to 2/η and stays "
        "there while the loss keeps falling (the edge of stability); at 0.8 a catapult; at 1 the "
        "loss blows up. The picture: the quadratic's version, GD bouncing at 0.99/σ².",
        "Cohen et al., ICLR 2021; Lewkowycz et al. (2020); EECS 182, eq. (3)",
        surface_key("sigma_w", sigma1=1.0, sigma2=0.5),
        (("gd", {"lr": 0.99}),),
        start=(0.0, 0.0),
        steps=60,
        page="pages/8_Network.py",
        lab_query={"opts": "gd", "edge_on": "1"},
    ),
    Preset(
        "sgd_dance",
        "SGD dancing around the optimum",
        "Minibatches of one on a 60-point linear regression: with a constant step SGD reaches "
        "the optimum's neighbourhood and keeps jumping around it; a linear decay of η settles it.",
        "EECS 182 note 2, Fig. 3; COSI 165B Alg. 8.1",
        surface_key("linear_regression"),
        (("gd", {"lr": 0.15}),),
        steps=800,
        batch=1,
        page="pages/6_SGD.py",
        lab_query={"lr": "0.15", "steps": "800"},
    ),
    Preset(
        "bias_correction",
        "Adam's bias correction",
        "Two Adams, one without bias correction. Both moments start at zero, so the uncorrected "
        "first step is (1 − β₁)/√(1 − β₂) ≈ 3.16 times η: see it jump out ahead, then wobble.",
        "Kingma & Ba (2015) §3; EECS 182 eq. (9)–(10)",
        _quadratic(10.0),
        (("adam", {"lr": 0.1}), ("adam", {"lr": 0.1, "bias_correction": False})),
        steps=100,
    ),
    Preset(
        "banana",
        "Rosenbrock's banana",
        "The classic curved valley: GD creeps along the floor at the small η the walls allow, "
        "momentum and Nesterov gather speed along it, Adam follows the bend to the minimum at (1, 1).",
        "Rosenbrock (1960); SciPy's optimize test functions",
        surface_key("rosenbrock", b=100.0),
        (
            ("gd", {"lr": 0.001}),
            ("momentum", {"lr": 0.00047, "beta": 0.9, "convention": "pytorch"}),
            ("nesterov", {"lr": 0.00047, "beta": 0.9, "convention": "pytorch"}),
            ("adam", {"lr": 0.05}),
        ),
        steps=1000,
    ),
    Preset(
        "beale",
        "Beale race",
        "Five optimizers from (1, 1.5) on Beale's function, with its flat plateau and steep "
        "ridges: GD is slowest, the adaptive methods cross the plateau and reach (3, 0.5).",
        "Beale (1958); the optimizer animations of A. Radford and L. Ruder (2016)",
        surface_key("beale"),
        (
            ("gd", {"lr": 0.001}),
            ("momentum", {"lr": 0.00047, "beta": 0.9, "convention": "pytorch"}),
            ("adagrad", {"lr": 0.47}),
            ("rmsprop", {"lr": 0.01}),
            ("adam", {"lr": 0.05}),
        ),
        start=(1.0, 1.5),
        steps=500,
    ),
    Preset(
        "relu_elbow",
        "The elbow finds the data",
        "One ReLU unit max(0, wx + b) fitted over (w, b): from w = −1 its elbow −b/w starts on "
        "the wrong side; GD, momentum and Adam all turn it round and bring the elbow to the "
        "data's bend near x = 0.6.",
        "EECS 182 note 001 §2 (the ReLU elbow)",
        surface_key("relu_neuron"),
        (
            ("gd", {"lr": 0.3}),
            ("momentum", {"lr": 0.03, "beta": 0.9, "convention": "pytorch"}),
            ("adam", {"lr": 0.1}),
        ),
        start=(-1.0, 2.0),
        steps=300,
    ),
    Preset(
        "dead_relu",
        "A dead ReLU",
        "From (w, b) = (−2, 0.5) Adam's unit ends off for every example (a gradient of exactly 0) "
        "and GD's on for two points with y ≈ 0 only: both stall far from the fit. Momentum's "
        "speed carries it across the flat region to the fit. Try gradient noise.",
        "EECS 182 note 001 §2 (dead ReLUs)",
        surface_key("relu_neuron"),
        (
            ("gd", {"lr": 0.3}),
            ("momentum", {"lr": 0.03, "beta": 0.9, "convention": "pytorch"}),
            ("adam", {"lr": 0.1}),
        ),
        start=(-2.0, 0.5),
        steps=300,
    ),
    Preset(
        "schedule_free",
        "Schedule-Free SGD: no decay needed",
        "Gradient noise σ = 0.33 and one constant η = 1 on a κ = 10 valley, 600 steps: plain SGD "
        "keeps dancing around the minimum; Schedule-Free SGD reports the running average x of "
        "its SGD sequence z, and over its last 50 steps its loss is more than 10× lower, with no "
        "schedule. Turn on “Show where each run takes its gradient” to see z and y.",
        "Defazio et al. (2024), The Road Less Scheduled",
        _quadratic(10.0, 30.0),
        (("gd", {"lr": 1.0}), ("sf_sgd", {"lr": 1.0})),
        steps=600,
        extra={"noise": 0.33},
    ),
    Preset(
        "sam_flat",
        "SAM prefers the flat well",
        "Two wells: a deep sharp one and a wide flat one. From (−1, 1.5) GD rolls into the sharp "
        "well; SAM (ρ = 0.3) descends with the gradient at the worst point within ρ, which in the "
        "sharp well is high up its wall, so it is pushed out and settles in the flat well.",
        "Foret et al. (2021), Sharpness-Aware Minimization",
        surface_key("sharp_flat"),
        (("gd", {"lr": 0.05}), ("sam", {"lr": 0.05, "rho": 0.3})),
        steps=600,
    ),
    Preset(
        "muon_memory",
        "Muon on a weight matrix",
        "The Network lab's Muon section: one matrix maps 32 keys with Zipf-skewed frequencies "
        "to their values. At each one's best η, GD and Adam leave the rare keys far off; Muon, "
        "which orthogonalizes the gradient matrix, brings them ~80× closer. The picture: Muon "
        "on a vector (normalized momentum, every step 0.70η) beside Adam on a κ = 50 valley.",
        "Jordan et al. (2024); torch.optim.Muon",
        _quadratic(50.0, 30.0),
        (("adam", {"lr": 0.1}), ("muon", {"lr": 0.1})),
        steps=150,
        page="pages/8_Network.py",
        lab_query={"opts": "gd,adam,muon"},
    ),
    Preset(
        "wsd_river",
        "Warm-up–stable–decay in a river valley",
        "Section 4 of the SGD lab: at one budget and the same noise, a constant η bounces between "
        "the valley's walls, cosine decays too early to reach the sea, and WSD advances at full "
        "η, then drops its loss in the last 20 % of the steps.",
        "Wen et al. (2024); Hägele et al. (2024)",
        surface_key("river_valley"),
        (("gd", {"lr": 0.08}),),
        steps=200,
        page="pages/6_SGD.py",
        lab_query={"r_eta": "0.08", "r_steps": "200"},
        extra={"noise": 2.0},
    ),
)


@dataclass(frozen=True)
class ReadyQuestion:
    """A question for the class, ready to ask: a lab's view and what the students predict.

    ``query`` is the view and the question's kind (``ask``, ``ask_run``); the gallery adds a fresh
    question id and teacher key for each teacher who asks it (``ui.tally``)."""

    slug: str
    title: str
    asks: str  # the question, as the card says it
    why: str  # what the reveal teaches, and where the notes say it
    page: str
    query: dict[str, str]


QUESTIONS: tuple[ReadyQuestion, ...] = (
    ReadyQuestion(
        "ask_lr",
        "Learning rate: how large can η be?",
        "GD on σw ≈ y with σ₁ = 1 and σ₂ = 0.3, from w = 0, for 60 steps. Which η on the slider "
        "is the largest that still converges? (The students type a value.)",
        "EECS 182 eq. (3): each direction's error is multiplied by 1 − 2ησᵢ² per step, so "
        "η < 1/σ_max² = 1; at η = 1 exactly GD bounces for ever, the answer is the slider's "
        "0.995.",
        "pages/2_Learning_rate.py",
        {"ask": "max_lr", "ask_run": "1"},
    ),
    ReadyQuestion(
        "ask_momentum",
        "Momentum: heavy ball or Nesterov?",
        "GD, heavy ball and Nesterov on a κ = 50 valley, EECS 182's notation with η = 10 and "
        "β = 0.2 (PyTorch's α = 2, μ = 0.8). Which reaches L − L* ≤ 10⁻⁶ first?",
        "Nesterov is usually the faster one, but its stability limit is lower: αλ_max < "
        "2(1 + μ)/(1 + 2μ) = 1.38 against heavy ball's 2 + 2μ = 3.6. At αλ_max = 2 it diverges "
        "and heavy ball wins.",
        "pages/3_Momentum.py",
        {"eta": "10", "beta": "0.2", "ask": "first", "ask_run": "1"},
    ),
    ReadyQuestion(
        "ask_adaptive",
        "Adaptive: who gets off the plateau?",
        "AdaGrad, RMSProp and Adam at η = 0.1 on NPTEL's sigmoid neuron, starting on its "
        "plateau. Which reaches L − L* ≤ 10⁻⁶ first?",
        "AdaGrad's sum of squared gradients only grows, so its step starves; RMSProp's moving "
        "average forgets the plateau and gets there first (step 66), Adam's momentum overshoots "
        "and arrives later (step 144).",
        "pages/5_Adaptive.py",
        {"ask": "first", "ask_run": "1"},
    ),
)


@st.cache_data(max_entries=len(PRESETS) + 8, show_spinner=False)  # every card's, never evicted
def preset_thumbnail(slug: str, size: int = 220) -> bytes:
    """A preset's picture as a small looping GIF (Pillow, on the server), cached per preset."""
    p = next(p for p in PRESETS if p.slug == slug)
    surface = surface_of(p.surface)
    start = p.start or surface.starts[0]
    runs = tuple((name, tuple(sorted(hp.items()))) for name, hp in p.runs)
    noise = p.extra.get("noise")  # the card's gradient noise, as its link sets it
    options = optim.RunOptions(batch_size=p.batch, noise=noise)
    trajs = simulate(p.surface, runs, tuple(map(float, start)), p.steps, options)
    views = run_views(trajs, surface, [t.label() for t in trajs])
    return animated_gif(surface, views, size=size, max_frames=40, duration_ms=90)


_WARMING = threading.Lock()
_warmed = False
SCRIPT_THREAD = "ScriptRunner.scriptThread"  # the name Streamlit gives each page run's thread


def pages_running() -> bool:
    """Whether a page script is running in this process (any session's run or fragment)."""
    return any(t.name == SCRIPT_THREAD for t in threading.enumerate())


def warm_thumbnails(pause: float = 0.05, poll: float = 0.1) -> bool:
    """Draw every preset's thumbnail into the cache, once per process, on a thread of its own
    that ends when they are drawn (~1.8 s of CPU for the 17 here, 4.9 s before the frames shared
    one palette: drawn on the Gallery's first visit after a start, they would cost that visit
    about its whole bound of 2 s). It gives way to the pages: it starts a picture only while no
    page script runs (it polls every ``poll`` seconds), so the first visitor's page, which starts
    it, is not slowed by it (``bench.network``: a fresh server's first page paid ~2 s of CPU for
    the pictures drawn beside it), and pauses ``pause`` between pictures. True if it started
    now."""
    global _warmed
    with _WARMING:
        if _warmed:
            return False
        _warmed = True

    def work() -> None:
        for p in PRESETS:
            while pages_running():
                time.sleep(poll)
            try:
                preset_thumbnail(p.slug)
            except Exception:  # a picture that cannot be drawn is drawn (or says why) on visit
                pass
            time.sleep(pause)

    threading.Thread(target=work, name="descent-lab-warm-thumbnails", daemon=True).start()
    return True
