"""A real PostgreSQL server for a test: Debian's package, in a temporary folder, on a free port.

``initdb`` refuses to run as root; as root (a CI container) the server runs as the ``postgres``
user the package created (``runuser``). Trust authentication on 127.0.0.1 only; the folder and the
server are gone after :meth:`Postgres.stop`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile

from tests.wsclient import free_port


def binaries() -> str | None:
    """The folder of Debian's PostgreSQL programs (the newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


class Postgres:
    """``Postgres().url``: a ``postgresql+psycopg://`` URL to a fresh, empty database."""

    def __init__(self) -> None:
        bindir = binaries()
        if bindir is None:
            raise RuntimeError("Debian's postgresql package is not installed")
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="descent-lab-pg-")
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.folder, "data")
        self._pg_ctl = os.path.join(bindir, "pg_ctl")
        self._run(
            os.path.join(bindir, "initdb"),
            *("-D", self.data, "-U", "descent", "--auth=trust", "--no-sync", "-E", "UTF8"),
        )
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=60"
        )
        self._run(
            self._pg_ctl,
            *("-D", self.data, "-o", options, "-l", os.path.join(self.folder, "log"), "-w"),
            "start",
        )
        self.url = f"postgresql+psycopg://descent@127.0.0.1:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self._as, *cmd], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        try:
            self._run(self._pg_ctl, "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
