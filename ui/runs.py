"""A run's settings as one immutable record, and a scrubbable parameter (pure: no Streamlit).

A :class:`Run` is made once, from the widgets (``ui.controls.runs_editor``), a link or a preset, and
everything else is read off it: the widget keys of its controls, their names in a URL, its cache key,
the engine's spec, its legend label and the race view's scrub axes. Nothing rebuilds a run's widget
key or URL name from strings elsewhere.

>>> r = Run("momentum", (("beta", 0.9), ("convention", "pytorch"), ("lr", 0.01)), index=1, slot=4,
...         prefix="pg")
>>> r.widget("lr"), r.url("lr"), r.label
('pg_r4_momentum_lr', 'r2_lr', '2. Momentum (PyTorch) η=0.01 β=0.9')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import optim
from optim import grids
from optim.engine import describe

__all__ = ["Axis", "Run", "RunKey", "hashable"]

RunKey = tuple[str, tuple[tuple[str, Any], ...]]  # (optimizer, sorted hyperparameters): a cache key


def hashable(hp: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Hyperparameters as a sorted tuple, numbers as floats (switches kept as they are).

    >>> hashable({"lr": 1, "convention": "ema", "nesterov": True})
    (('convention', 'ema'), ('lr', 1.0), ('nesterov', True))
    """
    return tuple(
        (k, float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
        for k, v in sorted(hp.items())
    )


@dataclass(frozen=True)
class Axis:
    """A scrubbable parameter of run ``run``: its widget (``key``, the values ``grid`` it offers,
    its ``value`` now) and what it varies in the run (``param``, through ``convert``).

    Axes of one ``group`` move together (the Momentum lab's three runs share η, and GD runs at
    momentum's α = ηβ in EECS 182's notation: ``param="lr"``, ``convert=lambda eta: eta * beta``).
    """

    run: int
    name: str
    symbol: str
    grid: tuple[float, ...]
    key: str
    value: float
    param: str | None = None
    convert: Callable[[float], float] | None = None
    group: str | None = None
    marks: tuple[float, ...] = ()  # grid values every thinning keeps (landmarks)


@dataclass(frozen=True)
class Run:
    """One run as chosen on a page: optimizer and hyperparameters, its position and widget slot.

    ``index`` is its position on the page (0-based; URLs and labels count from 1), ``slot`` the
    stable number of its widgets (a removed run's slot is not reused, so the others keep their
    values), ``prefix`` the page's.
    """

    optimizer: str
    hyperparams: tuple[tuple[str, Any], ...]
    index: int = 0
    slot: int = 0
    prefix: str = ""

    @classmethod
    def of(cls, optimizer: str, hp: dict[str, Any], **where: Any) -> Run:
        """A run from a dict of hyperparameters (a link, a preset)."""
        return cls(optimizer, hashable(hp), **where)

    @property
    def key(self) -> RunKey:
        """The cache key: optimizer and hyperparameters only (not where the run sits)."""
        return (self.optimizer, self.hyperparams)

    @property
    def hp(self) -> dict[str, Any]:
        return dict(self.hyperparams)

    @property
    def convention(self) -> str | None:
        return self.hp.get("convention")

    def widget(self, param: str) -> str:
        """The widget key of this run's ``param``; ``"opt"`` (its optimizer's select box) and
        ``"remove"`` (its button) belong to the slot, whatever optimizer it runs."""
        if param in ("opt", "remove"):
            return f"{self.prefix}_r{self.slot}_{param}"
        return f"{self.prefix}_r{self.slot}_{self.optimizer}_{param}"

    def url(self, param: str) -> str:
        """The name of this run's ``param`` in a URL: ``r<position from 1>_<param>``."""
        return f"r{self.index + 1}_{param}"

    @property
    def label(self) -> str:
        """The legend text: position, optimizer, notation and non-default settings."""
        return f"{self.index + 1}. {describe(self.optimizer, self.hp)}"

    def spec(self, start: Any) -> optim.RunSpec:
        """The engine's spec of this run from ``start`` (one point or ``(R, 2)`` points)."""
        return optim.RunSpec(self.optimizer, np.atleast_2d(np.asarray(start, float)), self.hp)

    def lr_grid(self, surface: Any) -> list[float]:
        """The values this run's η slider offers on ``surface``."""
        return grids.lr_grid(surface, self.optimizer, self.convention)[0]

    def axes(self, surface: Any) -> list[Axis]:
        """The race view's scrub axes of this run: its η, and its β (or β₁) where it has one."""
        hp = self.hp
        out = [
            Axis(self.index, "lr", "η", tuple(self.lr_grid(surface)), self.widget("lr"), hp["lr"])
        ]
        for p in optim.OPTIMIZERS[self.optimizer].params:
            if p.name in ("beta", "beta1"):
                value = hp[p.name]
                grid = [b for b in grids.widget_grid(p) or [] if b in grids.BETA_BANK or b == value]
                out.append(
                    Axis(
                        self.index, p.name, p.symbol or "β", tuple(grid), self.widget(p.name), value
                    )
                )
        return out
