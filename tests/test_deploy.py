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
import sys
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
DEPLOYED = ["app.py", "pages", "optim", "surfaces", "viz", "ui", ".streamlit", "requirements.txt"]


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
    for folder in ("optim", "surfaces", "viz", "ui", "pages"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if path.name == "bench.py":  # developer tool, not run by the app
                continue
            for banned in ("playwright", "urllib.request", "requests.get", "cdn.plot.ly"):
                assert banned not in text, (path, banned)


def test_a_fresh_venv_from_requirements_runs_every_page(tmp_path):
    try:
        urllib.request.urlopen("https://pypi.org/simple/streamlit/", timeout=10).close()
    except OSError as err:
        if IN_CI:
            pytest.fail(f"CI=true but PyPI is unreachable: {err}")
        pytest.skip(f"DEPLOY TEST SKIPPED: PyPI unreachable ({err})")
    app = tmp_path / "app"
    app.mkdir()
    for name in DEPLOYED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, app / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "-r", str(app / "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "pages = ['app.py'] + sorted('pages/' + p for p in __import__('os').listdir('pages') "
        "if p.endswith('.py'))\n"
        "for page in pages:\n"
        "    at = AppTest.from_file('app.py', default_timeout=120); at.run()\n"
        "    if page != 'app.py':\n"
        "        at.switch_page(page); at.run()\n"
        "    assert not at.exception, (page, at.exception)\n"
        "    print('ok', page, len(at.get('plotly_chart')))\n"
        "at = AppTest.from_file('app.py', default_timeout=120)\n"
        "at.query_params.update(surface='formula', formula='x^2 + sin(3y)')\n"
        "at.switch_page('pages/1_Playground.py'); at.run()\n"
        "assert not at.exception and not at.error, (at.exception, at.error)\n"
        "print('formula', len(at.get('plotly_chart')))\n"
    )
    run = subprocess.run(
        [str(py), "-c", script], cwd=app, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert run.stdout.count("ok ") == 1 + len(list((ROOT / "pages").glob("*.py")))
    assert "formula 4" in run.stdout  # the formula sandbox runs from the deployed files
    # the checkout, not an installed copy, served the imports
    assert not list((venv / "lib").glob("python*/site-packages/optim"))
