"""Compact figure payloads: NumPy arrays as plotly.js typed arrays, in dicts sent as they are.

Plotly's own path (``go.Figure(**spec)``) validates every trace of every frame: ~0.3 s for 150
frames × 6 traces, more than the whole rerun budget. The builders in :mod:`viz` write plain dicts
whose arrays are already typed-array specs; the tests check them once against Plotly's validators
(``go.Figure(spec)``), and the page hands them to plotly.js as they are (:mod:`ui.figure`), never
through Plotly's validators on a rerun.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

__all__ = ["b64", "decode", "dequantize", "payload_bytes", "q16"]


def b64(values: Any, dtype: str = "f4") -> dict[str, str]:
    """A plotly.js typed array: ``{"dtype", "bdata"[, "shape"]}``; float32 by default (half of f8).

    NaN survives (it breaks a line, as in a list). Empty input stays an empty list.

    >>> b64([1.0, float("nan")])["dtype"], decode(b64([1.0, 2.0])).tolist()
    ('f4', [1.0, 2.0])
    """
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: ±inf, drawn as a gap
        arr = np.ascontiguousarray(values, dtype=np.dtype(dtype))
    if arr.size == 0:
        return []  # type: ignore[return-value]
    out = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        out["shape"] = ", ".join(str(n) for n in arr.shape)
    return out


def q16(values: Any, log: bool = False) -> dict[str, Any]:
    """Values for a curve quantized to 16 bits over their own finite range (of log₁₀ for a log
    axis): half a float32's bytes, within 1/65534 of the range (a bank's rows, drawn only as
    curves and 3D paths, where that is far below a pixel). NaN and ±inf become 65535 (a gap).

    >>> spec = q16([1e-3, 1.0, float("nan")], log=True)
    >>> [round(float(v), 6) for v in dequantize(spec)[:2]], bool(np.isnan(dequantize(spec)[2]))
    ([0.001, 1.0], True)
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(all="ignore"):
        w = np.log10(v) if log else v
    ok = np.isfinite(w)
    lo, hi = (float(w[ok].min()), float(w[ok].max())) if ok.any() else (0.0, 1.0)
    span = (hi - lo) or 1.0
    with np.errstate(invalid="ignore"):
        q = np.where(ok, np.round((w - lo) / span * 65534), 65535).astype(np.uint16)
    return {"q": b64(q, "u2"), "lo": lo, "hi": lo + span, "log": bool(log)}


def dequantize(spec: dict[str, Any]) -> np.ndarray:
    """The inverse of :func:`q16`, as ``viz/race.js`` decodes it."""
    q = decode(spec["q"]).astype(float)
    w = spec["lo"] + q * (spec["hi"] - spec["lo"]) / 65534
    w[q == 65535] = np.nan
    return 10**w if spec["log"] else w


def decode(spec: Any) -> np.ndarray:
    """The inverse of :func:`b64` (lists pass through): what the browser would see."""
    if isinstance(spec, dict) and "bdata" in spec:
        arr = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
        if "shape" in spec:
            arr = arr.reshape([int(n) for n in str(spec["shape"]).split(",")])
        return arr
    return np.asarray(spec, dtype=float)


def payload_bytes(spec: dict[str, Any]) -> int:
    """Size of the JSON Streamlit sends for this figure."""
    return len(json.dumps(spec, separators=(",", ":"), allow_nan=True))


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("text", "")
    return " ".join(str(value or "").replace("<br>", " ").split())


def describe(spec: dict[str, Any], limit: int = 8) -> str:
    """What a figure shows, in words, for screen readers: its axes and its named series.

    >>> describe({"data": [{"name": "1. gd"}, {"name": "2. adam"}, {}],
    ...           "layout": {"xaxis": {"title": {"text": "step k"}}, "yaxis": {"title": "L"}}})
    'L against step k; series: 1. gd, 2. adam'
    """
    layout = spec.get("layout", {})
    x, y = _text(layout.get("xaxis", {}).get("title")), _text(layout.get("yaxis", {}).get("title"))
    scene = layout.get("scene")
    if scene:
        z = _text(scene.get("zaxis", {}).get("title"))
        axes = f"3D: {z or 'height'} over x and y"
    elif x and y:
        axes = f"{y} against {x}"
    else:
        axes = x or y
    names: list[str] = []
    for d in spec.get("data", []):
        name = _text(d.get("name"))
        if name and name not in names:
            names.append(name)
    shown = ", ".join(names[:limit]) + (
        f" and {len(names) - limit} more" if len(names) > limit else ""
    )
    return "; ".join(p for p in (axes, f"series: {shown}" if names else "") if p)
