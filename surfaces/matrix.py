"""A linear associative memory: the matrix problem where Muon's orthogonalized steps pay.

``keys`` keys, each embedded as a row ``q_i`` of a random orthogonal matrix ``Q`` and drawn with
Zipf frequencies ``c_i ∝ 1/i^s``, are mapped by ``W`` (``keys × width``, stored row-major like a
network layer's ``n_in × n_out``) to fixed random unit values ``v_i``:
``L(W) = ½ Σ_i c_i ‖q_i W − v_i‖²``. The Hessian has eigenvalue ``c_i`` along key ``i``'s
direction: GD moves key ``i``'s error by ``η c_i`` a step, so the rare keys barely learn. The keys'
directions are not the coordinates (``Q`` is a rotation), so Adam's per-coordinate scaling cannot
equalize them; Muon orthogonalizes the gradient matrix ``Qᵀ diag(c)(QW − V)``, which moves every
singular direction alike. Same contract as the networks: ``f`` and ``grad`` take ``(..., P)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["AssociativeMemory", "associative_memory"]


@dataclass(frozen=True, eq=False)
class AssociativeMemory:
    name: str
    title: str
    freq: np.ndarray  # (keys,) each key's share of the examples (sums to 1)
    values: np.ndarray  # (keys, width) the target of each key
    embed: np.ndarray  # (keys, keys) orthogonal: row i embeds key i
    bound: float = 1e4
    f_min: float = 0.0
    kind: str = "matrix"
    params: dict = field(default_factory=dict)

    @property
    def keys(self) -> int:
        return self.values.shape[0]

    @property
    def width(self) -> int:
        return self.values.shape[1]

    @property
    def dim(self) -> int:
        return self.values.size

    @property
    def curvature(self) -> np.ndarray:
        """Each key's share of the examples: the Hessian's eigenvalue along its direction."""
        return self.freq

    @property
    def solution(self) -> np.ndarray:
        """``W* = Qᵀ V`` (flat): every key maps to its value."""
        return (self.embed.T @ self.values).ravel()

    @property
    def minima(self) -> tuple:
        return (tuple(self.solution),)

    def _err(self, w: Any) -> np.ndarray:
        w = np.asarray(w, dtype=float).reshape(-1, self.keys, self.width)
        return self.embed @ w - self.values

    def f(self, w: Any) -> np.ndarray:
        """``(..., P)`` → ``(...)``."""
        e = self._err(w)
        out = 0.5 * np.einsum("k,rkj,rkj->r", self.curvature, e, e)
        return out.reshape(np.shape(w)[:-1])

    def grad(self, w: Any) -> np.ndarray:
        """``(..., P)`` → ``(..., P)``."""
        e = self._err(w)
        return (self.embed.T @ (self.curvature[None, :, None] * e)).reshape(np.shape(w))

    grad_quiet = grad

    def key_errors(self, w: Any) -> np.ndarray:
        """‖W[i] − v_i‖ per run and key, ``(R, keys)``."""
        return np.linalg.norm(self._err(np.atleast_2d(w)), axis=-1)

    def distance_to_min(self, xy: Any) -> np.ndarray:
        return np.linalg.norm(np.asarray(xy, dtype=float) - self.solution, axis=-1)


def associative_memory(keys: int = 32, width: int = 8, exponent: float = 2.0, seed: int = 0):
    """``keys`` keys with Zipf frequencies ``∝ 1/i^exponent`` (the rarest is ``keys^exponent``
    times rarer than the first: 1024 at the defaults), values random unit vectors of ``width``,
    embedded by a random rotation (fixed seed).

    >>> m = associative_memory()
    >>> m.dim, round(float(m.curvature[0] / m.curvature[-1]))
    (256, 1024)
    """
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, keys + 1) ** exponent
    values = rng.standard_normal((keys, width))
    values /= np.linalg.norm(values, axis=1, keepdims=True)
    embed, _ = np.linalg.qr(rng.standard_normal((keys, keys)))
    title = (
        f"Associative memory: {keys} keys (Zipf frequencies, 1/i^{exponent:g}) → {width}-dim values"
    )
    params = {"keys": keys, "width": width, "exponent": exponent}
    return AssociativeMemory("associative_memory", title, p / p.sum(), values, embed, params=params)
