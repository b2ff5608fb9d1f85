"""The app deploys from the repository as it is: requirements.txt, no install of the project itself.

Community Cloud reads ``requirements.txt`` and runs ``app.py`` from the repository root; it never
``pip install``s this project, so the pages must import ``optim``/``surfaces``/``viz``/``ui`` from the
checkout. The slow test builds a fresh venv from ``requirements.txt`` alone (pip's cache makes
repeats quick) and runs every page under AppTest there, from a copy of the files Cloud would see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
DEPLOYED = [
    "app.py",
    "pages",
    "vocab",
    "optim",
    "surfaces",
    "viz",
    "ui",
    ".streamlit",
    "requirements.txt",
    "static/plotly-cartesian.min.js",  # the race view's plotly.js (the full one is copied at run time)
    "static/plotly-cartesian.LICENSE.txt",
]


def _requirements() -> dict[str, Requirement]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    reqs = [Requirement(x) for x in (ln.split("#")[0].strip() for ln in lines) if x]
    return {r.name.lower(): r for r in reqs}


def test_requirements_match_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {Requirement(d).name.lower(): Requirement(d) for d in project["dependencies"]}
    pinned = _requirements()
    assert set(pinned) == set(declared)
    for name, req in pinned.items():
        (spec,) = req.specifier
        assert spec.operator == "==", f"{name}: pin an exact, tested version"
        assert declared[name].specifier.contains(spec.version), (name, spec.version)


def test_nothing_deployed_needs_a_download_or_a_browser_at_run_time():
    for folder in ("vocab", "optim", "surfaces", "viz", "ui", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            for banned in ("playwright", "urllib.request", "requests.get", "cdn.plot.ly"):
                assert banned not in text, (path, banned)


MINORS = ("3.11", "3.12", "3.13")  # Community Cloud offers these; it picks a newer one by default
PAGE_SCRIPT = (
    "import sys\n"
    "from streamlit.testing.v1 import AppTest\n"
    "pages = ['app.py'] + sorted('pages/' + p for p in __import__('os').listdir('pages') "
    "if p.endswith('.py'))\n"
    "for page in pages:\n"
    "    at = AppTest.from_file('app.py', default_timeout=120); at.run()\n"
    "    if page != 'app.py':\n"
    "        at.switch_page(page); at.run()\n"
    "    assert not at.exception, (page, at.exception)\n"
    "    views = [e for e in at.get('bidi_component') if 'preload' not in e.proto.json]\n"
    "    print('ok', page, len(views))\n"
    "at = AppTest.from_file('app.py', default_timeout=120)\n"
    "at.query_params.update(surface='formula', formula='x^2 + sin(3y)')\n"
    "at.switch_page('pages/1_Playground.py'); at.run()\n"
    "assert not at.exception and not at.error, (at.exception, at.error)\n"
    "views = [e for e in at.get('bidi_component') if 'preload' not in e.proto.json]\n"
    "print('formula', len(views))\n"
    "at = AppTest.from_file('app.py', default_timeout=120)\n"
    "at.query_params.update({'3d_on': '1'})\n"
    "at.switch_page('pages/1_Playground.py'); at.run()\n"
    "assert not at.exception, at.exception\n"
    "ok = all(__import__('os').path.exists(f'static/{f}') for f in ('plotly-cartesian.min.js', "
    "'plotly.min.js'))\n"
    "print('plotly.js served', ok)\n"
    "print('python', '.'.join(map(str, sys.version_info[:3])))\n"
)


def _python(minor: str) -> str | None:
    """An interpreter for ``minor`` on this machine: on the PATH, else under pyenv; None if none."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{minor}")]
    candidates += [str(p) for p in sorted(root.glob(f"versions/{minor}.*/bin/python{minor}"))]
    for exe in filter(None, candidates):
        probe = subprocess.run(
            [exe, "-c", "import sys, venv, ssl; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == minor:
            return exe
    return None


def _deploy(exe: str, where: Path) -> tuple[bool, str]:
    """A venv from ``requirements.txt`` alone, then every page from a copy of the deployed files."""
    app = where / "app"
    app.mkdir(parents=True)
    for name in DEPLOYED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (app / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, app / name)
    venv = where / "venv"
    subprocess.run([exe, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    install = subprocess.run(
        [
            str(py),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-compile",
            "-r",
            str(app / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0:
        return False, "pip install failed:\n" + install.stderr[-2000:]
    run = subprocess.run(
        [str(py), "-c", PAGE_SCRIPT], cwd=app, capture_output=True, text=True, timeout=600
    )
    served = not list((venv / "lib").glob("python*/site-packages/optim"))
    return run.returncode == 0 and served, run.stdout[-2000:] + run.stderr[-3000:]


@pytest.fixture(scope="module")
def deployments(tmp_path_factory):
    """Every available CPython from 3.11 to 3.13, built and run side by side (2 cores here)."""
    try:
        urllib.request.urlopen("https://pypi.org/simple/streamlit/", timeout=10).close()
    except OSError as err:
        if IN_CI:
            pytest.fail(f"CI=true but PyPI is unreachable: {err}")
        pytest.skip(f"DEPLOY TEST SKIPPED: PyPI unreachable ({err})")
    found = {m: _python(m) for m in MINORS}
    if IN_CI and not (found["3.12"] or found["3.13"]):
        pytest.fail("CI=true but neither CPython 3.12 nor 3.13 is on this machine")
    base = tmp_path_factory.mktemp("deploy")
    with ThreadPoolExecutor(2) as pool:
        futures = {
            m: pool.submit(_deploy, exe, base / m) for m, exe in found.items() if exe is not None
        }
        return {m: (futures[m].result() if m in futures else None) for m in MINORS}


@pytest.mark.parametrize("minor", MINORS)
def test_a_fresh_venv_from_requirements_runs_every_page(deployments, minor, capsys):
    result = deployments[minor]
    if result is None:
        with capsys.disabled():
            print(f"\nDEPLOY TEST SKIPPED for CPython {minor}: not on this machine")
        pytest.skip(f"DEPLOY TEST SKIPPED: CPython {minor} is not on this machine")
    ok, out = result
    assert ok, out
    assert out.count("ok ") == 1 + len(list((ROOT / "pages").glob("*.py"))), out
    assert "formula 1" in out  # the sandbox runs from the deployed files (the race view)
    assert "plotly.js served True" in out  # the basic bundle shipped, the full one written for 3D
    assert f"python {minor}." in out


def test_the_vendored_plotly_cartesian_bundle_is_the_plotly_packages_version():
    """The race view and the figures draw with static/plotly-cartesian.min.js (vendored from npm)
    and, for 3D, the plotly package's own bundle: both must be the same plotly.js release."""
    import plotly

    def version(path: Path) -> str:
        head = path.read_text(encoding="utf-8", errors="ignore")[:300]
        return head.split(" v", 1)[1].split()[0]

    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    vendored = ROOT / "static" / "plotly-cartesian.min.js"
    assert version(vendored) == version(bundled), (version(vendored), version(bundled))
    assert "MIT" in (ROOT / "static" / "plotly-cartesian.LICENSE.txt").read_text()
