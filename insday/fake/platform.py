"""The national step platform, played for ``insday demo``: a local HTTP server answering with the
aggregates of the raw donation files it has received so far, counted by the importer's rules.

It reads a file as the importer does (``insday.steps.records``), resolves regions with
:class:`insday.steps.rules.RegionResolver`, skips what :meth:`StepCalendar.reason` rejects and
keeps each participant's first donation of the day (:func:`first_donation_order`), so its
figures are the ones the raw records give (``insday steps reconcile`` finds them equal).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from insday.campaign import Campaign
from insday.steps.records import chunks, lines, open_records, read_header
from insday.steps.rules import RegionResolver, first_donation_order, step_calendar


class Platform:
    """Per region and day, the steps and donations of the donations received so far, and per
    member unit and day the same for the unit's staff (``teams``: participant -> unit)."""

    def __init__(self, campaign: Campaign, teams: dict[str, str] | None = None):
        self.campaign = campaign
        self.teams = teams or {}
        self.now: datetime | None = None
        self._calendar = step_calendar(campaign)
        self._regions = RegionResolver(campaign.steps.regions)
        self._records = 0  # records received, in order: the tie-break of equal times
        self._first: dict[tuple[str, date], tuple[tuple[datetime, int], str, int]] = {}
        self._sums: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
        self._units: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = json.dumps(platform.payload(), ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/aggregates"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def receive(self, path: Path) -> None:
        """Count a raw donation file the platform has (files arrive in time order)."""
        with open_records(path) as fh:
            header = read_header(fh)
            for data in chunks(fh):
                for line in lines(header, data):
                    self._records += 1
                    if line.fields is not None:
                        self._donation(dict(zip(header.order, line.fields)))

    def _donation(self, record: dict[str, str]) -> None:
        at = datetime.fromisoformat(record["donated_at"])
        at = at if at.tzinfo else at.replace(tzinfo=self.campaign.tz)
        pid, code, steps = record["participant_id"], self._regions.resolve(record["region"]), int(record["steps"])
        if self._calendar.reason(at, code, steps) is not None:
            return
        key, order = (pid, self.campaign.local(at).date()), first_donation_order(at, self._records)
        old = self._first.get(key)
        if old is not None and old[0] <= order:
            return
        if old is not None:
            self._count(pid, old[1], key[1], -old[2], -1)
        self._first[key] = (order, code, steps)
        self._count(pid, code, key[1], steps, 1)

    def _count(self, pid: str, region: str, day: date, steps: int, donations: int) -> None:
        """Add (or with negative numbers take back) one donation in its region's and its unit's sums."""
        for sums, where in ((self._sums, region), (self._units, self.teams.get(pid))):
            if where is not None:
                sums[(where, day)][0] += steps
                sums[(where, day)][1] += donations

    def payload(self) -> dict:
        regions = [{"region": code, "date": day.isoformat(), "steps": steps, "donations": n}
                   for (code, day), (steps, n) in sorted(self._sums.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
        units = [{"unit": code, "date": day.isoformat(), "steps": steps, "donations": n}
                 for (code, day), (steps, n) in sorted(self._units.items(), key=lambda kv: (kv[0][1], kv[0][0]))]
        return {"as_of": self.now.isoformat() if self.now else None, "regions": regions, "units": units}
