"""GX Data Docs: static HTML validation reports of everything received, rebuilt from the archive,
for the technical contact (``insday docs --gx``, under ``docs/gx/``; the contact person's pages
in Chinese are :mod:`insday.intake.pages`).

One validation page per report type and day received, named ``<type>-<date>``.
"""

from __future__ import annotations

import shutil
from datetime import datetime, time, timedelta
from itertools import groupby
from pathlib import Path

import great_expectations as gx
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.core.run_identifier import RunIdentifier
from sqlalchemy import Engine, select

from insday.campaign import Campaign
from insday.db import session_scope
from insday.db.models import Submission
from insday.gx import Workspace
from insday.intake.parse import Parser
from insday.intake.validate import Validator, suite_path

SITE = "insday"


def build_docs(campaign: Campaign, engine: Engine, archive_dir: Path, out: Path,
               validator: Validator | None = None) -> Path:
    validator = validator or Validator(campaign, Workspace())
    context = validator.context()
    if out.exists():
        shutil.rmtree(out)
    context.add_data_docs_site(site_name=SITE, site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out.resolve())},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    with session_scope(engine) as s:
        subs = list(s.scalars(select(Submission).where(Submission.campaign == campaign.name, Submission.report_type.is_not(None))
                              .order_by(Submission.report_type, Submission.received_at)))
    parser = Parser(campaign)
    checkpoints: dict[str, object] = {}

    def day_of(sub: Submission):
        return campaign.local(sub.received_at).date()

    for (rtype, day), group in groupby(subs, key=lambda sub: (sub.report_type, day_of(sub))):
        rt = campaign.report_type(rtype)
        if rt.kind != "table" or not suite_path(rtype).exists():
            continue
        files = [parser.parse(Path(sub.filename), (archive_dir / sub.archive_path).read_bytes(), sub.filename)
                 for sub in group]
        files = [f for f in files if f.records]
        if not files:
            continue
        frame = validator.frame(rt, files)
        frame["_file"] = frame["_file"].map(lambda i: files[i].filename)
        if rtype not in checkpoints:
            checkpoints[rtype] = context.checkpoints.add(gx.Checkpoint(
                name=rtype, validation_definitions=[validator.definition(rtype)],
                actions=[UpdateDataDocsAction(name="docs", site_names=[SITE])],
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["_file", "_row"]}))
        end_of_day = datetime.combine(day, time(0), campaign.tz) + timedelta(days=1)
        checkpoints[rtype].run(batch_parameters={"dataframe": frame}, expectation_parameters=validator.params,
                               run_id=RunIdentifier(run_name=f"{rtype}-{day.isoformat()}", run_time=end_of_day))
    context.build_data_docs(site_names=[SITE])
    return out / "index.html"
