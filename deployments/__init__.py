"""Deployments: the four flows on the campaign's calendar. Schedules and parameters, nothing else.

The cron lines come from :func:`insday.orchestration.run_plan` (derived from the campaign
definition); they run in the campaign's time zone. Two ways to run them:

- ``insday serve``: :func:`build` served by one process (no work pool);
- ``prefect deploy --all``: ``prefect.yaml`` (written by :func:`prefect_yaml`) on a
  ``process`` work pool served by workers on one or several machines.
"""

from __future__ import annotations

from insday.campaign import Campaign
from insday.orchestration import run_plan

# Flows by name, as module paths: a served or deployed run imports them from the installed
# package, whatever the working folder.
ENTRYPOINTS = {
    "daily_run": "flows.daily_run.daily_run",
    "deadline_watch": "flows.deadline_watch.deadline_watch",
    "essay_awards": "flows.essay_awards.essay_awards",
    "final_bulletin": "flows.final_bulletin.final_bulletin",
}
WORK_POOL = "insday"


def build(campaign: Campaign) -> list:
    """The campaign's deployments as Prefect RunnerDeployments, for ``serve``."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron
    from prefect.utilities.importtools import import_object

    return [
        import_object(ENTRYPOINTS[p.flow]).to_deployment(
            name=p.name, description=p.description, tags=["insday", campaign.name],
            schedules=[Cron(line.cron, timezone=campaign.timezone, parameters=line.parameters)
                       for line in p.schedules],
            entrypoint_type=EntrypointType.MODULE_PATH)
        for p in run_plan(campaign)
    ]


def prefect_yaml(campaign: Campaign, work_pool: str = WORK_POOL) -> dict:
    """The same deployments as a ``prefect.yaml`` document for ``prefect deploy`` on a process pool."""
    import prefect

    return {
        "name": "insday",
        "prefect-version": prefect.__version__,
        "build": None,
        "push": None,
        "pull": [],  # none: every worker machine has insday installed and imports the flows from it
        "deployments": [
            {"name": p.name, "entrypoint": ENTRYPOINTS[p.flow], "description": p.description,
             "tags": ["insday", campaign.name], "parameters": {},
             "work_pool": {"name": work_pool, "work_queue_name": None, "job_variables": {}},
             "schedules": [{"cron": line.cron, "timezone": campaign.timezone, "active": True,
                            **({"parameters": line.parameters} if line.parameters else {})}
                           for line in p.schedules]}
            for p in run_plan(campaign)
        ],
    }
