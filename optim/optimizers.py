r"""The registry: every optimizer of :mod:`optim.rules`, by name, and the η range each one is shown with.

Adding an optimizer: write its module (or add to its family's) in :mod:`optim.rules` with its state,
``init``/``update``, formula, parameters and ``ENTRIES``; list the module below. The tests walk this
registry (reference loop, formulas, legends, pages), so a new entry is tested where it lands.
"""

from __future__ import annotations

from typing import Any

from .record import OTHER_ERRATA, STATE_LABELS, Optimizer
from .rules import adam, adaptive, lion, momentum, muon, plain, sam, schedule_free, second_order
from .rules.momentum import CONVENTIONS, Convention

__all__ = [
    "CONVENTIONS",
    "ERRATA",
    "OPTIMIZERS",
    "STATE_LABELS",
    "Convention",
    "Optimizer",
    "get_optimizer",
    "lr_range",
]

# The order the pickers list them in: as the notes introduce them, then what courses teach after
# Adam, the second-order reference last.
_FAMILIES = (plain, momentum, adaptive, adam, lion, muon, schedule_free, sam, second_order)
OPTIMIZERS: dict[str, Optimizer] = {o.name: o for family in _FAMILIES for o in family.ENTRIES}


# Every erratum the notes hold, in one place: the optimizers' own, then the others.
ERRATA: tuple[str, ...] = tuple(e for o in OPTIMIZERS.values() for e in o.errata) + OTHER_ERRATA


def lr_range(
    surface: Any, optimizer: str | Optimizer, convention: str | None = None
) -> tuple[float, float, float]:
    """The η range ``(low, default, high)`` that makes a good demo of ``optimizer`` on ``surface``.

    The one authority on an optimizer's η range: the surface gives a hint per family (``lr_gd``
    for plain and momentum methods, ``lr_adaptive`` for adaptive ones), the optimizer its family
    and scale; second-order methods take steps of about 1. With a momentum ``convention``,
    heavy ball and PyTorch sum gradients and step about η/(1−β) once the buffer fills, so their
    low end and default are the GD suggestion × (1 − β) at the default β = 0.9; the EECS 182 form
    averages them and keeps the GD suggestion.

    >>> from surfaces import get_surface
    >>> s = get_surface("rosenbrock")
    >>> lr_range(s, "gd") == s.lr_gd, lr_range(s, "lion")[1] == s.lr_adaptive[1] * 0.2
    (True, True)
    >>> lr_range(s, "momentum", "pytorch")[1] == s.lr_gd[1] * 0.1 == lr_range(s, "momentum")[1]
    True
    """
    opt = optimizer if isinstance(optimizer, Optimizer) else get_optimizer(optimizer)
    if convention is None:  # the optimizer's own default notation, if it has one
        convention = opt.defaults().get("convention")
    if opt.family == "second-order":
        return (0.01, 1.0, 2.0)
    lo, default, hi = surface.lr_adaptive if opt.family == "adaptive" else surface.lr_gd
    k = opt.lr_scale
    if convention in ("pytorch", "heavy_ball"):
        return (lo * k * 0.1, default * k * 0.1, hi * k)
    return (lo * k, default * k, hi * k)


def get_optimizer(name: str) -> Optimizer:
    """Look up a registry entry with a helpful error.

    >>> get_optimizer("adam").title
    'Adam'
    """
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise ValueError(
            f"Unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}."
        ) from None
