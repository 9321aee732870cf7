"""One Great Expectations context per process, and the validation definitions of the suites in
``expectations/``: the report types' suites (``<type>.json``) and the outputs' (``outputs/<name>.json``).

GX is imported on first use (3.5-5.6 s); a run costs about 150 ms however small the frame, so
callers validate a whole batch in one run. GX contexts are not thread-safe: every use holds
``LOCK``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from insday.paths import EXPECTATIONS_DIR

LOCK = threading.RLock()
_state: dict = {}


def suite_file(name: str) -> Path:
    """``daily_report`` -> expectations/daily_report.json; ``outputs/bulletin`` -> expectations/outputs/bulletin.json."""
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict:
    return json.loads(suite_file(name).read_text(encoding="utf-8"))


def context():
    """The process's ephemeral GX context, progress bars off."""
    with LOCK:
        return _make_context()


def _make_context():
    if "context" not in _state:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        for name in [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]:
            logging.getLogger(name).setLevel(logging.WARNING)  # GX sets INFO on some of its own loggers
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _state["context"], _state["source"], _state["definitions"] = context, context.data_sources.add_pandas(
            "insday"), {}
    return _state["context"]


def definition(name: str):
    """The ValidationDefinition of suite ``name`` over a whole dataframe (created once)."""
    with LOCK:
        gx_context = _make_context()
        definitions = _state["definitions"]
        if name not in definitions:
            import great_expectations as gx
            from great_expectations.core.expectation_suite import ExpectationSuite

            asset = name.replace("/", "__")
            suite = gx_context.suites.add(ExpectationSuite(**{**load_suite(name), "name": asset}))
            batch = _state["source"].add_dataframe_asset(asset).add_batch_definition_whole_dataframe("batch")
            definitions[name] = gx_context.validation_definitions.add(
                gx.ValidationDefinition(name=asset, data=batch, suite=suite))
        return definitions[name]


def run(name: str, frame, parameters: dict, index_columns: list[str]):
    """One run of suite ``name`` over ``frame``; failing rows are named by ``index_columns``."""
    with LOCK:
        return definition(name).run(
            batch_parameters={"dataframe": frame}, expectation_parameters=parameters,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns})
