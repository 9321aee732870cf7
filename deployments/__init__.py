"""Deployments: the four flows on the campaign's calendar, and the association's admin actions
run on demand from the Prefect UI. Schedules and parameters, nothing else.

The schedules come from :func:`insday.orchestration.run_plan` (derived from the campaign
definition): recurrences in the campaign's time zone that end with the campaign, so nothing fires
in a later year; a closed campaign's deployments are registered paused, their schedules inactive. Two ways to run them:

- ``insday serve``: :func:`build` served by one process (no work pool);
- ``prefect deploy --all``: ``prefect.yaml`` (written by :func:`prefect_yaml`) on a
  ``process`` work pool served by workers on one or several machines.
"""

from __future__ import annotations

import prefect
from prefect.deployments.runner import EntrypointType
from prefect.schedules import RRule
from prefect.utilities.importtools import import_object

from insday.campaign import Campaign
from insday.orchestration import campaign_state, run_plan

# Flows by name, as module paths: a served or deployed run imports them from the installed
# package, whatever the working folder.
ENTRYPOINTS = {
    "daily_run": "insday.flows.daily_run.daily_run",
    "deadline_watch": "insday.flows.deadline_watch.deadline_watch",
    "essay_awards": "insday.flows.essay_awards.essay_awards",
    "final_bulletin": "insday.flows.final_bulletin.final_bulletin",
}
# The association's decisions, each a typed form in the Prefect UI (no schedule).
ADMIN = {
    "approve_bulletin": ("审批通报：批准发布或退回等待审批的通报。", "insday.flows.approve_bulletin.approve_bulletin"),
    "extend_deadline": ("给单位延期：该单位按自己的截止时间计算、提醒和催报。", "insday.flows.extend_deadline.extend_deadline"),
    "excuse_unit": ("单位免报：该单位不再列为未报送，显示“免报”及原因。", "insday.flows.excuse_unit.excuse_unit"),
    "void_submission": ("作废文件：已受理的文件不再计入，并通知报送单位。", "insday.flows.void_submission.void_submission"),
    "resend_message": ("重发邮件：回执、提醒或通报再发一次。", "insday.flows.resend_message.resend_message"),
    "change_roster": ("名单变更：新增或退出会员单位，自生效时间起计算报送情况、提醒和通报，此前的截止事项不变。",
                      "insday.flows.change_roster.change_roster"),
}
ENTRYPOINTS.update({name: entry for name, (_, entry) in ADMIN.items()})
WORK_POOL = "insday"


def build(campaign: Campaign) -> list:
    """The campaign's deployments as Prefect RunnerDeployments, for ``serve``: the scheduled
    flows and the admin actions, each form's fields titled in Chinese."""
    closed = campaign_state(campaign) == "closed"  # its deployments stay, paused, for manual runs
    scheduled = [
        import_object(ENTRYPOINTS[p.flow]).to_deployment(
            name=p.name, description=p.description, tags=["insday", campaign.name],
            schedules=[RRule(line.rrule, timezone=campaign.timezone, parameters=line.parameters,
                             active=not closed) for line in p.schedules],
            paused=closed,
            entrypoint_type=EntrypointType.MODULE_PATH)
        for p in run_plan(campaign)
    ]
    admin = [import_object(entry).to_deployment(name=campaign.name, description=description,
                                                tags=["insday", campaign.name, "admin"],
                                                entrypoint_type=EntrypointType.MODULE_PATH)
             for description, entry in ADMIN.values()]
    for deployment in (*scheduled, *admin):
        _titles(deployment)
    return [*scheduled, *admin]


def _titles(deployment) -> None:
    """The Chinese title of each field of the deployment's form (Prefect titles them by name)."""
    # lazy: insday.flows.forms reads the selected campaign when imported; prefect_yaml needs none selected
    from insday.flows.forms import TITLES

    for name, schema in deployment._parameter_openapi_schema.properties.items():
        if name in TITLES:
            schema["title"] = TITLES[name]


def prefect_yaml(campaigns: Campaign | list[Campaign], work_pool: str = WORK_POOL) -> dict:
    """The same deployments, of one campaign or several, as a ``prefect.yaml`` document for
    ``prefect deploy`` on a process pool: each campaign's deployments on its own work queue
    (named after it) with ``INSDAY_CAMPAIGN`` set for their runs, so workers serve any campaign
    (``prefect worker start --pool insday``) or some (``--work-queue jilin-2019``)."""
    campaigns = [campaigns] if isinstance(campaigns, Campaign) else list(campaigns)
    return {
        "name": "insday",
        "prefect-version": prefect.__version__,
        "build": None,
        "push": None,
        "pull": [],  # none: every worker machine has insday installed and imports the flows from it
        "deployments": [d for c in campaigns for d in _yaml_deployments(c, work_pool)],
    }


def _yaml_deployments(campaign: Campaign, work_pool: str) -> list[dict]:
    def pool() -> dict:  # one dict each (YAML would write a shared one as an anchor and aliases)
        return {"name": work_pool, "work_queue_name": campaign.name,
                "job_variables": {"env": {"INSDAY_CAMPAIGN": campaign.name}}}

    return [
        {"name": p.name, "entrypoint": ENTRYPOINTS[p.flow], "description": p.description,
         "tags": ["insday", campaign.name], "parameters": {}, "work_pool": pool(),
         "schedules": [{"rrule": line.rrule, "timezone": campaign.timezone,
                        "active": campaign_state(campaign) != "closed",
                        **({"parameters": line.parameters} if line.parameters else {})}
                       for line in p.schedules]}
        for p in run_plan(campaign)
    ] + [
        {"name": campaign.name, "entrypoint": entry, "description": description,
         "tags": ["insday", campaign.name, "admin"], "parameters": {}, "work_pool": pool(), "schedules": []}
        for description, entry in ADMIN.values()
    ]
