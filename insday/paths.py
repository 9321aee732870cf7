"""Where the project's data folders live (next to the package in an editable install)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
EXPECTATIONS_DIR = ROOT / "expectations"
CAMPAIGNS_DIR = ROOT / "campaigns"
SHIPPED_CAMPAIGN = CAMPAIGNS_DIR / "jilin-2019"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
