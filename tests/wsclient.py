"""A minimal Streamlit client over the app's websocket, for load tests against a real server.

It speaks the browser's protocol (``BackMsg``/``ForwardMsg`` protobufs on ``/_stcore/stream``):
opening a page with a query string is a ``rerun_script``; a button press is a rerun whose widget
states carry the button's trigger. It records what a person would see that matters to a test:
alerts (error, warning, info), exceptions, buttons by key, charts, and when the run finished.
Loopback only: the server is one this test suite started on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
_FORMATS = {1: "error", 2: "warning", 3: "info", 4: "success"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` on a free loopback port; ``stop()`` ends it and its helper."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        script: str = "app.py",
        prefix: tuple[str, ...] = (),
        args: tuple[str, ...] = (),
        root: Path = ROOT,
    ) -> None:
        """``prefix``: a command the server runs under (``("taskset", "-c", "0")``: one core);
        ``args``: more options for ``streamlit run``; ``root``: the checkout it serves (a
        benchmark compares two)."""
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(root), **(env or {})}
        self.proc = subprocess.Popen(
            [
                *prefix,
                sys.executable,
                "-m",
                "streamlit",
                "run",
                script,
                "--server.headless=true",
                f"--server.port={self.port}",
                "--server.address=127.0.0.1",
                "--server.fileWatcherType=none",
                *args,
                "--browser.gatherUsageStats=false",
            ],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urlopen(f"http://127.0.0.1:{self.port}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the streamlit server did not start")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")


@dataclass
class Slider:
    """A slider or select-slider as drawn: its widget id, the fragment it belongs to (""), and
    its values as the browser sends them (numbers, or the formatted options)."""

    id: str
    fragment: str
    options: list[str]
    value: list[float]
    lo: float = 0.0
    hi: float = 0.0
    step: float = 0.0


@dataclass
class Run:
    """What one script run showed."""

    seconds: float = 0.0
    finished: bool = False
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (error|warning|info, body)
    exceptions: list[str] = field(default_factory=list)
    buttons: dict[str, str] = field(default_factory=dict)  # widget key suffix -> widget id
    widgets: dict[str, str] = field(default_factory=dict)  # radio/text input key -> widget id
    markdown: list[str] = field(default_factory=list)
    charts: int = 0
    query: str = ""
    received: int = 0  # bytes of every message of the run
    sliders: dict[str, Slider] = field(default_factory=dict)  # key suffix -> its slider

    def texts(self, kind: str) -> list[str]:
        return [body for k, body in self.alerts if k == kind]


def xsrf_cookie(token: bytes) -> str:
    """A ``_streamlit_xsrf`` cookie holding ``token`` (``2|mask|masked|time``, as the server
    sets it on a page load)."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
    return f"2|{mask.hex()}|{masked.hex()}|{int(time.time())}"


class Session:
    """One browser tab's worth of protocol: a websocket and the page it is on."""

    def __init__(self, port: int, cookie: str | None = "browser") -> None:
        """``cookie``: "browser" sends an XSRF cookie of the form a browser holds (a fresh random
        token: a new browser), a string sends that cookie, None sends none (a bare script)."""
        if cookie == "browser":
            cookie = xsrf_cookie(os.urandom(16))
        headers = {"Cookie": f"_streamlit_xsrf={cookie}"} if cookie else None
        self._conn = connect(
            f"ws://127.0.0.1:{port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=30,
            additional_headers=headers,
        )
        self.ws = self._conn.__enter__()
        self.page = ""
        self.query = ""
        self.cached: set[str] = set()  # hashes of the big messages this "browser" keeps

    def send(
        self,
        page: str,
        query: str = "",
        trigger: str | None = None,
        values: dict | None = None,
        fragment: str = "",
    ) -> None:
        """Ask for a run of ``page`` (its URL name, "" for home) and do not wait for it;
        ``values`` are widget states sent with it (widget id -> an int, a str, or a list: a
        slider's floats or a select-slider's option texts); ``fragment`` reruns that fragment
        only, as a browser does for a widget inside one. Like a browser, it names the big
        messages it keeps, so the server sends a reference instead of one it already has."""
        self.page, self.query = page, query
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        msg.rerun_script.fragment_id = fragment
        msg.rerun_script.cached_message_hashes.extend(sorted(self.cached))
        for wid, value in (values or {}).items():
            w = msg.rerun_script.widget_states.widgets.add()
            w.id = wid
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                w.string_array_value.data.extend(value)
            elif isinstance(value, list):
                w.double_array_value.data.extend(float(v) for v in value)
            elif isinstance(value, int):
                w.int_value = value
            else:
                w.string_value = str(value)
        if trigger is not None:
            w = msg.rerun_script.widget_states.widgets.add()
            w.id = trigger
            w.trigger_value = True
        self.ws.send(msg.SerializeToString())

    def wait(self, timeout: float = 120.0) -> Run:
        """Read messages until the run finishes."""
        run, t0 = Run(), time.perf_counter()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.ws.recv(timeout=max(deadline - time.monotonic(), 0.01))
            run.received += len(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.metadata.cacheable:
                self.cached.add(msg.hash)
            kind = msg.WhichOneof("type")
            if kind == "page_info_changed":
                run.query = self.query = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                what = el.WhichOneof("type")
                if what == "alert":
                    run.alerts.append((_FORMATS.get(el.alert.format, "?"), el.alert.body))
                elif what == "exception":
                    run.exceptions.append(f"{el.exception.type}: {el.exception.message}")
                elif what == "button":
                    run.buttons[el.button.id.rsplit("-", 1)[-1]] = el.button.id
                elif what in ("radio", "text_input", "number_input"):
                    wid = getattr(el, what).id
                    run.widgets[wid.rsplit("-", 1)[-1]] = wid
                elif what == "slider":
                    sl = el.slider
                    run.sliders[sl.id.rsplit("-", 1)[-1]] = Slider(
                        sl.id,
                        msg.delta.fragment_id,
                        list(sl.options),
                        list(sl.value or sl.default),
                        sl.min,
                        sl.max,
                        sl.step,
                    )
                elif what == "markdown":
                    run.markdown.append(el.markdown.body)
                elif what == "plotly_chart":
                    run.charts += 1
                elif what == "bidi_component":  # a figure, or the race view (map, curves, 3D)
                    view = json.loads(el.bidi_component.json or "{}")
                    view = view[0] if isinstance(view, list) else view  # ui.race.wire
                    if view.get("preload"):  # plotly.js fetched early: not a chart
                        continue
                    if "spec" in view:  # ui.figure
                        run.charts += 1
                        continue
                    curves = view.get("curves") or {}
                    run.charts += 1 + ("loss" in curves) + bool(curves.get("dist"))
                    run.charts += "surface3d" in view
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    # st.rerun(): what counts is the next run
                    run = Run(query=run.query, received=run.received)
                    continue
                run.finished = True
                break
        run.seconds = time.perf_counter() - t0
        return run

    def open(self, page: str, query: str = "", timeout: float = 120.0) -> Run:
        self.send(page, query)
        return self.wait(timeout)

    def click(self, key: str, run: Run, timeout: float = 120.0) -> Run:
        self.send(self.page, self.query, trigger=run.buttons[key])
        return self.wait(timeout)

    def close(self) -> None:
        self._conn.__exit__(None, None, None)


def proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, limit: float = 60.0) -> None:
    """Wait until the server is idle: under 2 % of a core over half a second (its warm-up done),
    for at most ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        c0 = proc_cpu_seconds(pid)
        time.sleep(0.5)
        if proc_cpu_seconds(pid) - c0 < 0.01:
            return


def proc_threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def proc_children(pid: int) -> list[int]:
    out: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
        except FileNotFoundError:
            pass
    return out


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live children (the formula sandbox's helper)."""
    total = proc_cpu_seconds(pid)
    for child in proc_children(pid):
        try:
            total += tree_cpu_seconds(child)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def visit_cpu(server: Server, page: str, query: str = "") -> float:
    """A new visitor opens ``page?query``: the CPU of the server and its children from the
    request to the run's last message (a benchmark's unit); raises if the run did not finish
    or raised."""
    s = Session(server.port)
    c = tree_cpu_seconds(server.pid)
    run = s.open(page, query)
    cpu = tree_cpu_seconds(server.pid) - c
    s.close()
    if not run.finished or run.exceptions:
        raise RuntimeError(f"{page}?{query}: {run.exceptions or 'did not finish'}")
    return cpu
