"""The fault suite's quick variant (benchmarks/faults.py): one kill -9 at a random moment in
`insday remind` sending the reminders of 54 companies to a real aiosmtpd in its own process,
then a rerun: nothing lost, doubled or leaked. The full run (collect over 500 files, 500
messages, a large steps import, a bulletin publish, 20 kills each) is run on demand (README,
"Fault suite"); the inbox's crash cases are in test_collect_inbox.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_kill_9_then_rerun_loses_doubles_and_leaks_nothing():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "faults.py"), "--times", "1", "--cases", "mail",
                           "--mails", "40"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    table = [line.strip("| ").split(" | ") for line in done.stdout.splitlines() if line.startswith("| ")]
    heads, total = [h.strip() for h in table[0]], [v.strip() for v in table[-1]]
    counts = dict(zip(heads, total))
    assert counts["case"] == "total" and counts["cases"] == "1"
    for column in ("crashes", "files lost", "files doubled", "mails lost", "mails doubled", "secrets leaked"):
        assert counts[column] == "0", done.stdout
