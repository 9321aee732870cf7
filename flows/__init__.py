"""Prefect flows, one per file, reading like the campaign calendar.

Importing this package turns Prefect's server analytics off unless the user decided
otherwise, and sends insday's own log lines to the run logs shown in the Prefect UI
(outside a flow run they only go to the console, without a warning).
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "insday")
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
