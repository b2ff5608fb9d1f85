"""Exports that leave the app: the race view as one HTML file that plays offline.

The file runs the app's own component code (``viz/race.js`` and ``viz/race.css``, the same bytes the
page mounts) on the spec of :func:`viz.race_spec`, with plotly.js inlined: the same map, player,
curves and keys as on the page, with no server and no network.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

__all__ = ["CSS", "JS", "standalone_html"]

HERE = Path(__file__).resolve().parent
JS = (HERE / "race.js").read_text(encoding="utf-8")
CSS = (HERE / "race.css").read_text(encoding="utf-8")
ENTRY = "export default function (component) {"


def _plotly_js() -> str:
    import plotly

    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text("utf-8")


def standalone_html(spec: dict[str, Any], title: str = "Descent Lab") -> str:
    """The race view of ``spec`` (from :func:`viz.race_spec`) as one HTML file (~5 MB with
    plotly.js inside): it plays offline with the page's own player.

    Map clicks and scrubbers need the server, so they are off: the file shows what was run. It is
    pure (no Streamlit): a page's deferred download may call it outside the page's script.

    >>> import numpy as np, optim, viz
    >>> from surfaces import get_surface
    >>> s = get_surface("booth")
    >>> t = optim.run(s, "gd", np.zeros((1, 2)), 5, lr=0.05)
    >>> page = standalone_html(viz.race_spec(s, viz.run_views([t], s), ""), "Booth")
    >>> '<script src="http' not in page and "__raceMount" in page and "Plotly" in page
    True
    """
    if ENTRY not in JS:  # the component's entry point, called here as the page calls it
        raise RuntimeError("viz/race.js has no default export to mount")
    data = {k: v for k, v in spec.items() if k not in ("chunks", "targets")}
    used = [spec["map"]["image"]["chunk"], spec["map"].get("lines")]
    used += [spec["surface3d"]["surface"]] if "surface3d" in spec else []
    used = [n for n in used if n]
    chunks = {n: spec["chunks"][n] for n in used}  # not the banks: the file does not scrub
    data["map"] = {**data["map"], "clicks": False}
    data["runs"] = [{**r, "axes": []} for r in data.get("runs", [])]  # no banks: no scrubbers
    data.update(chunks=chunks, need=sorted(chunks), alt=title)
    script = JS.replace(ENTRY, "window.__raceMount = function (component) {", 1)
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{margin:16px;font-family:sans-serif}}"
        f"{CSS}</style>\n<script>{_plotly_js()}</script></head>\n<body>"
        f"<h3>{html.escape(title)}</h3><div id='race'></div>\n"
        f"<script type='module'>\n{script}\nconst data = {payload};\n"
        "window.__raceMount({ data: [data], parentElement: document.getElementById('race'), "
        "setTriggerValue: () => {} });\n</script></body></html>\n"
    )
