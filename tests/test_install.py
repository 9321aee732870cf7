"""The distribution as pip builds it: only insday-namespaced top-level names, the data folders
inside, and the installed command working from the folder that holds a clone named insday/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out, tree = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("checkout") / "insday"
    # built from a copy: building in place would leave build/ and *.egg-info in the checkout
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "test-artifacts",
                                                              "__pycache__", "var", "insday-demo-*"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(tree)],
                   check=True, capture_output=True, timeout=300)
    [built] = out.glob("insday-*.whl")
    return built


def test_the_wheel_adds_only_insday_names_and_carries_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/", 1)[0] for n in names} == {"insday", wheel.name.split("-py3")[0] + ".dist-info"}
    for shipped in ("insday/flows/daily_run.py", "insday/tasks/mail.py", "insday/deployments/__init__.py",
                    "insday/data/sql/staging/valid_submissions.sql", "insday/data/expectations/outputs/bulletin.json",
                    "insday/data/campaigns/jilin-2019/campaign.yaml", "insday/migrations/versions/0001_foundation.py",
                    "insday/templates/mail/digest.html"):
        assert shipped in names, shipped
    packages = {str(p.relative_to(ROOT)) for p in (ROOT / "insday").rglob("__init__.py")}  # all listed in pyproject
    assert packages <= set(names), packages - set(names)


def test_installed_from_a_wheel_it_runs_beside_a_clone_named_insday(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only what the venv itself sees
    subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True, capture_output=True, timeout=300, env=clean)
    parent = tmp_path / "home"
    for folder in ("insday/sql", "insday/flows", "insday/insday"):  # ~/insday, the clone
        (parent / folder).mkdir(parents=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(parent), "INSDAY_HOME": str(parent / "data"),
           "INSDAY_CAMPAIGN": "jilin-2019"}  # two campaigns ship: one is chosen

    def insday(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([venv / "bin" / "insday", *args], cwd=parent, env=env, capture_output=True,
                              text=True, timeout=120)

    assert "63 member units loaded" in insday("init").stdout
    status = json.loads(insday("status", "--json", "--as-of", "2019-06-27T12:00").stdout)
    sheets = next(d for d in status["deadlines"] if d["id"] == "scoring_sheet")
    assert (sheets["expected"], sheets["missing"]) == (54, 54)
    [daily] = [s for s in json.loads(insday("schedule", "--json").stdout) if s["flow"] == "daily_run"]
    assert daily["schedules"][0]["runs"] == 14
