"""Great Expectations workspaces: an ephemeral GX context with the validation definitions of
the suites in ``expectations/`` (the report types' ``<type>.json`` and the outputs'
``outputs/<name>.json``).

One shared workspace serves every validation of the process (:func:`run`); a job that keeps
what GX records, such as Data Docs, takes a :class:`Workspace` of its own. GX is imported on
first use (3.5-5.6 s); a run costs about 150 ms however small the frame, so callers validate
a whole batch in one run. GX contexts are not thread-safe: each workspace has a lock.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from insday.paths import EXPECTATIONS_DIR


def suite_file(name: str) -> Path:
    """``daily_report`` -> expectations/daily_report.json; ``outputs/bulletin`` -> expectations/outputs/bulletin.json."""
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict:
    return json.loads(suite_file(name).read_text(encoding="utf-8"))


class Workspace:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._context = None
        self._source = None
        self._definitions: dict[str, object] = {}

    def context(self):
        """The workspace's ephemeral GX context, progress bars off."""
        with self.lock:
            if self._context is None:
                os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
                logging.getLogger("great_expectations").setLevel(logging.WARNING)
                # lazy: GX costs about 4 s; only validating a file needs it
                import great_expectations as gx
                from great_expectations.data_context.types.base import ProgressBarsConfig

                for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
                    logging.getLogger(name).setLevel(logging.WARNING)  # GX sets INFO on some of its own loggers
                context = gx.get_context(mode="ephemeral")
                context.variables.progress_bars = ProgressBarsConfig(globally=False)
                self._source = context.data_sources.add_pandas("insday")
                self._context = context
            return self._context

    def definition(self, name: str):
        """The ValidationDefinition of suite ``name`` over a whole dataframe (created once)."""
        with self.lock:
            context = self.context()
            if name not in self._definitions:
                # lazy: GX costs about 4 s; only validating a file needs it
                import great_expectations as gx
                from great_expectations.core.expectation_suite import ExpectationSuite

                asset = name.replace("/", "__")
                suite = context.suites.add(ExpectationSuite(**{**load_suite(name), "name": asset}))
                batch = self._source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe("batch")
                self._definitions[name] = context.validation_definitions.add(
                    gx.ValidationDefinition(name=asset, data=batch, suite=suite))
            return self._definitions[name]

    def run(self, name: str, frame, parameters: dict, index_columns: list[str]):
        """One run of suite ``name`` over ``frame``; failing rows are named by ``index_columns``."""
        with self.lock:
            return self.definition(name).run(
                batch_parameters={"dataframe": frame}, expectation_parameters=parameters,
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns})


SHARED = Workspace()


def run(name: str, frame, parameters: dict, index_columns: list[str]):
    """A run of suite ``name`` in the process's shared workspace."""
    return SHARED.run(name, frame, parameters, index_columns)
