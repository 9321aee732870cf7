"""The base SQL layer answers as of a moment: what was known then, typed the same on every database."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from filemaker import daily_row, write_xlsx

from insday.intake.service import ingest_paths
from insday.sql import fetch

TZ = ZoneInfo("Asia/Shanghai")


def test_current_submissions_as_of(env, tmp_path):
    t1 = datetime(2019, 6, 26, 20, 0, tzinfo=TZ)
    t2 = t1 + timedelta(hours=3)
    ingest_paths(env, [write_xlsx(tmp_path / "v1.xlsx", [daily_row(steps=1_000_000)])], received_at=t1)
    ingest_paths(env, [write_xlsx(tmp_path / "v2.xlsx", [daily_row(steps=2_000_000)])], received_at=t2)
    ingest_paths(env, [write_xlsx(tmp_path / "bad.xlsx", [daily_row(unit="P02", steps="x")])], received_at=t1)

    def current(moment):
        with env.engine.connect() as conn:
            return fetch(conn, "staging/current_submissions", as_of=moment, campaign=env.campaign.name)

    assert current(t1 - timedelta(seconds=1)) == []
    [row] = current(t1)
    assert (row["unit_code"], row["version"], row["period"]) == ("P01", 1, date(2019, 6, 26))
    assert row["received_at"] == t1.astimezone(timezone.utc)
    [row] = current(t2 + timedelta(days=30))
    assert row["version"] == 2
