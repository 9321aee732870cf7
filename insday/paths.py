"""Where the project's data folders live: beside the package in a checkout (an editable
install), inside it (``insday/data/``) in an installed wheel."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE / "data" if (PACKAGE / "data").is_dir() else PACKAGE.parent
SQL_DIR = ROOT / "sql"
EXPECTATIONS_DIR = ROOT / "expectations"
CAMPAIGNS_DIR = ROOT / "campaigns"
SHIPPED_CAMPAIGN = CAMPAIGNS_DIR / "jilin-2019"
TEMPLATES_DIR = PACKAGE / "templates"
