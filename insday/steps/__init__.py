"""The charity step run (公益跑): raw donation records, platform aggregates, rules, summary.

Public functions (the CLI, the flows and the bulletin call these):

- :func:`import_donations` - a raw donation CSV (optionally gzipped) -> records and aggregates
- :func:`pull_aggregates` - the national platform's aggregates over HTTP
- :func:`import_aggregates_file` - the same aggregates from a dropped CSV or xlsx file
- :func:`step_summary` - regions, badges, top participants and member units as of a moment
  (``has_data``: any step figure yet; ``data_received_at``: the latest import or pull)
- :func:`latest_step_data` - when the latest import or pull was recorded
- :func:`reconcile` - raw-record figures against pulled figures, per region per day
"""

from insday.steps.importer import import_donations
from insday.steps.pull import import_aggregates_file, pull_aggregates
from insday.steps.rules import StepsError, StepsOutOfOrder
from insday.steps.summary import latest_step_data, reconcile, step_summary

__all__ = ["StepsError", "StepsOutOfOrder", "import_aggregates_file", "import_donations", "latest_step_data",
           "pull_aggregates", "reconcile", "step_summary"]
