"""Orchestration commands: collect (inbox and mailbox), schedule (the run calendar), serve (Prefect)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from insday.cli.common import context, err, out, parse_moment, print_json


def collect(
    as_of: Annotated[str | None, typer.Option(
        help="Take only files and messages received by then (ISO 8601; local campaign time if no offset) "
             "[default: everything complete].")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be taken.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object {\"inbox\": ..., \"imap\": ...}.")]
    = False,
) -> None:
    """Collect INSDAY_HOME/inbox/ (and the IMAP mailbox, if set): archive, ingest, move to processed/.
    Exit 1 if any file was rejected."""
    from insday.collect.imap import collect_imap
    from insday.collect.inbox import collect_inbox

    ctx = context()
    moment = parse_moment(as_of, ctx.campaign) if as_of else None
    ctx.ensure_db()
    result = {"inbox": collect_inbox(ctx, moment, dry_run=dry_run), "imap": collect_imap(ctx, moment, dry_run=dry_run)}
    rejected = result["inbox"]["rejected"] + result["imap"].get("rejected", 0)
    if as_json:
        print_json(result)
    else:
        inbox, imap = result["inbox"], result["imap"]
        for f in inbox["files"]:
            out.print(f"{f['status'] or '(dry run)'}\t{f['path']}\t{f.get('moved_to') or ''}", highlight=False)
        out.print(f"inbox: {len(inbox['files'])} taken ({inbox['accepted']} accepted, {inbox['rejected']} rejected, "
                  f"{inbox['duplicate']} duplicate); still being written {len(inbox['waiting'])}, "
                  f"received after --as-of {len(inbox['later'])}, unreadable {len(inbox['unreadable'])}")
        for rel in inbox["unreadable"]:
            err.print(f"cannot read {rel}: left in the inbox", highlight=False)
        if imap["enabled"]:
            out.print(f"imap: {len(imap['messages'])} messages ({imap['accepted']} accepted, {imap['rejected']} "
                      f"rejected, {imap['duplicate']} duplicate files); later {imap['later']}, "
                      f"without attachments {imap['without_attachments']}")
    raise typer.Exit(1 if rejected else 0)


def schedule(
    as_json: Annotated[bool, typer.Option("--json", help="Print the deployments and their cron lines as JSON.")]
    = False,
    prefect_yaml: Annotated[Path | None, typer.Option(
        help="Also write these deployments as a prefect.yaml for `prefect deploy` on a process work pool.")] = None,
    work_pool: Annotated[str, typer.Option(help="Work pool named in the prefect.yaml.")] = "insday",
) -> None:
    """Show when each flow runs: cron lines in the campaign's time zone, derived from its calendar."""
    from insday.orchestration import run_plan

    ctx = context()
    plan = run_plan(ctx.campaign)
    if prefect_yaml:
        import yaml

        from deployments import prefect_yaml as document

        header = (f"# Written by `insday schedule --prefect-yaml {prefect_yaml.name}` from the campaign "
                  f"{ctx.campaign.name}; regenerate it after changing the campaign's dates.\n")
        prefect_yaml.write_text(header + yaml.safe_dump(document(ctx.campaign, work_pool), allow_unicode=True,
                                                        sort_keys=False), encoding="utf-8")
    if as_json:
        print_json([{"flow": p.flow, "deployment": f"{p.flow}/{p.name}",
                     "schedules": [{"cron": s.cron, "timezone": ctx.campaign.timezone, "parameters": s.parameters}
                                   for s in p.schedules]} for p in plan])
        return
    for p in plan:
        out.print(f"{p.flow}/{p.name}", style="bold", highlight=False)
        for s in p.schedules:
            params = " ".join(f"{k}={v}" for k, v in s.parameters.items())
            out.print(f"  {s.cron:<24} {ctx.campaign.timezone} {params}", highlight=False)


def serve(
    limit: Annotated[int | None, typer.Option(help="At most this many flow runs at once [default: no limit].")]
    = None,
) -> None:
    """Serve every deployment of the campaign against PREFECT_API_URL until stopped (Ctrl-C).

    No work pool is needed: this process starts the scheduled runs and the runs started from
    the Prefect UI. Runs are not paused when it stops.
    """
    import flows  # noqa: F401  (Prefect's defaults for insday, before Prefect is imported)
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        err.print("PREFECT_API_URL is not set: insday serve needs a running Prefect server. Start one with "
                  "`prefect server start` and set e.g. PREFECT_API_URL=http://127.0.0.1:4200/api", highlight=False)
        raise typer.Exit(2)
    from prefect import serve as prefect_serve

    from deployments import build

    ctx = context()
    ctx.ensure_db()
    deployments = build(ctx.campaign)
    for d in deployments:
        crons = ", ".join(s.schedule.cron for s in d.schedules)
        when = f"{crons} ({ctx.campaign.timezone})" if crons else "按需运行 (on demand)"
        out.print(f"{d.flow_name}/{d.name}: {when}", highlight=False)
    prefect_serve(*deployments, pause_on_shutdown=False, limit=limit)


def register(app: typer.Typer) -> None:
    app.command()(collect)
    app.command()(schedule)
    app.command()(serve)
