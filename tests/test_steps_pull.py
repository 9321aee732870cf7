"""National platform aggregates: pulled from a real local HTTP server or dropped as a file;
what the region table shows; reconcile against raw records."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import stepdata
from filemaker import write_csv, write_xlsx
from pydantic import SecretStr
from sqlalchemy import func, select

from insday.db.models import StepPull, StepPulledRegion
from insday.env import Env
from insday.steps import (StepsError, import_aggregates_file, import_donations, pull_aggregates, reconcile,
                          step_summary)

TZ = ZoneInfo("Asia/Shanghai")


def at(hour: int, day: int = 27) -> datetime:
    return datetime(2019, 6, day, hour, tzinfo=TZ)


@pytest.fixture
def platform():
    server = stepdata.Platform()
    yield server
    server.stop()


def api(env: Env, url: str, **settings) -> Env:
    values = {"steps_api_url": url, "steps_api_token": SecretStr("s3cret-token"), "steps_api_retries": 2,
              "steps_api_backoff": 0.01, "steps_api_timeout": 0.5, **settings}
    return Env(env.settings.model_copy(update=values), env.campaign)


def pulls(env: Env) -> int:
    with env.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(StepPull)).scalar()


def regions(summary: dict) -> dict:
    return {r["code"]: r for r in summary["regions"]}


PAYLOAD = {
    "as_of": "2019-06-27T09:00:00+08:00",
    "regions": [
        {"region": "云南", "date": "2019-06-25", "steps": 30_000_000, "donations": 2_000},
        {"region": "北京市", "date": "2019-06-26", "steps": 50_000_000, "donations": 3_000},  # helps 云南
        {"region": "53", "date": "2019-06-26", "steps": 1_000_000},
        {"region": "吉林", "date": "2019-07-08", "steps": 10_000_000, "donations": 500},  # counts double
    ],
    "units": [{"unit": "人保财险", "date": "2019-06-26", "steps": 1_234_567, "participants": 120}],
}


def test_a_good_pull_is_what_the_region_table_shows(env, platform):
    platform.payload = PAYLOAD
    result = pull_aggregates(api(env, platform.url("/ok")), as_of=at(10))
    assert (result["regions"], result["units"], result["days"]) == (4, 1, ["2019-06-25", "2019-06-26", "2019-07-08"])
    assert platform.headers[0]["Authorization"] == "Bearer s3cret-token"
    # 云南 with 北京's steps: 30M + 1M + 50M = 81M >= 78M on 06-26, the shipped threshold.
    assert [(u["code"], u["unlocked_on"]) for u in result["unlocks"]] == [("53", "2019-06-26")]
    table = regions(step_summary(env, at(11)))
    assert (table["53"]["own_steps"], table["53"]["group_steps"], table["53"]["unlocked_on"]) == (
        31_000_000, 81_000_000, "2019-06-26")
    assert table["53"]["progress"] == round(100 * 81 / 78, 2) and table["53"]["source"] == "pulled"
    assert (table["11"]["own_steps"], table["11"]["group_steps"], table["11"]["progress"]) == (50_000_000, None, None)
    assert table["22"]["own_steps"] == 20_000_000  # 07-08 doubled
    units = {u["code"]: u for u in step_summary(env, at(11))["units"]}
    assert units["P01"]["platform_steps"] == 1_234_567
    assert regions(step_summary(env, at(9)))["53"]["own_steps"] == 0  # not yet pulled at 09:00


def test_a_repeated_pull_replaces_the_day_and_keeps_history(env, platform):
    source = api(env, platform.url("/ok"))
    platform.payload = {"regions": [{"region": "河北", "date": "2019-06-26", "steps": 100, "donations": 1}]}
    pull_aggregates(source, as_of=at(10))
    pull_aggregates(source, as_of=at(11))  # the same figures again: nothing changes
    assert regions(step_summary(env, at(11)))["13"]["own_steps"] == 100
    platform.payload = {"regions": [{"region": "河北", "date": "2019-06-26", "steps": 250, "donations": 2},
                                    {"region": "河北", "date": "2019-06-27", "steps": 40, "donations": 1}]}
    pull_aggregates(source, as_of=at(12))
    assert regions(step_summary(env, at(12)))["13"]["own_steps"] == 290
    assert regions(step_summary(env, at(11, 27) + timedelta(minutes=30)))["13"]["own_steps"] == 100
    assert pulls(env) == 3


def test_a_500_is_retried_then_reported(env, platform):
    with pytest.raises(StepsError) as failure:
        pull_aggregates(api(env, platform.url("/fail")), as_of=at(10))
    assert platform.hits["/fail"] == 3  # one attempt and two retries
    assert "HTTP 500" in str(failure.value) and "3 次" in str(failure.value)
    assert "not-for-logs" not in str(failure.value) and "s3cret" not in str(failure.value)
    assert pulls(env) == 0


def test_a_passing_failure_is_retried_away(env, platform):
    platform.payload, platform.fail_first = PAYLOAD, 2
    assert pull_aggregates(api(env, platform.url("/flaky")), as_of=at(10))["regions"] == 4
    assert platform.hits["/flaky"] == 3


def test_a_timeout(env, platform):
    with pytest.raises(StepsError, match="超时"):
        pull_aggregates(api(env, platform.url("/slow"), steps_api_retries=0, steps_api_timeout=0.3), as_of=at(10))
    assert pulls(env) == 0


def test_malformed_json(env, platform):
    with pytest.raises(StepsError, match="JSON"):
        pull_aggregates(api(env, platform.url("/broken")), as_of=at(10))
    assert platform.hits["/broken"] == 1 and pulls(env) == 0


def test_without_a_url_there_is_nothing_to_pull(env):
    result = pull_aggregates(env, as_of=at(10))
    assert result["skipped"] and result["pull_id"] is None and pulls(env) == 0


def test_a_refusal_is_not_retried(env, platform):
    with pytest.raises(StepsError, match="HTTP 401"):
        pull_aggregates(api(env, platform.url("/denied")), as_of=at(10))
    assert platform.hits["/denied"] == 1


def test_a_payload_with_problems_is_refused_whole(env, platform):
    platform.payload = {"regions": [
        {"region": "北京", "date": "2019-06-26", "steps": 100},
        {"region": "火星", "date": "2019-06-26", "steps": 100},
        {"region": "北京", "date": "2019-06-20", "steps": 100},
        {"region": "天津", "date": "2019-06-26", "steps": -5},
        {"region": "11", "date": "2019-06-26", "steps": 100},
        "not an object"]}
    with pytest.raises(StepsError) as failure:
        pull_aggregates(api(env, platform.url("/ok")), as_of=at(10))
    text = str(failure.value)
    for part in ("regions[1]", "火星", "regions[2]", "2019-06-20", "regions[3]", "负数", "regions[4]", "重复",
                 "regions[5]"):
        assert part in text
    assert pulls(env) == 0
    platform.payload = [1, 2]
    with pytest.raises(StepsError, match="格式"):
        pull_aggregates(api(env, platform.url("/ok")), as_of=at(10))


def test_file_drops_csv_and_xlsx(env, tmp_path):
    csv_path = write_csv(tmp_path / "national.csv", [
        ["2019-06-26", "北京", "", "1,000", "10"],
        ["2019/6/27", "内蒙古自治区", "", "2万", ""],
        ["6月27日", "", "人保财险", "3000", "7"]], header=["日期", "地区", "单位", "步数", "捐步次数"])
    result = import_aggregates_file(env, csv_path, received_at=at(10))
    assert (result["regions"], result["units"], result["source"]) == (2, 1, "file")
    table = regions(step_summary(env, at(10)))
    assert (table["11"]["own_steps"], table["15"]["own_steps"]) == (1_000, 20_000)
    xlsx = write_xlsx(tmp_path / "national.xlsx", [["2019-06-26", "15", 5_000, 3]],
                      header=["date", "region", "steps", "donations"], title_rows=[["全国平台导出"]])
    import_aggregates_file(env, xlsx, received_at=at(11))
    assert regions(step_summary(env, at(11)))["15"]["own_steps"] == 25_000
    with pytest.raises(StepsError, match="表头"):
        import_aggregates_file(env, write_csv(tmp_path / "x.csv", [["1"]], header=["什么"]), received_at=at(12))


def test_reconcile_and_a_table_mixing_sources(env, tmp_path):
    lines = ["2019-06-26 08:00:00,u1,北京,10000", "2019-06-26 09:00:00,u2,北京,20000",
             "2019-06-27 08:00:00,u1,北京,10000", "2019-06-26 08:00:00,u3,河北,9000"]
    import_donations(env, stepdata.write(tmp_path / "raw.csv", lines), received_at=at(10))
    drop = write_csv(tmp_path / "p.csv", [["2019-06-26", "北京", 30000, 2], ["2019-06-27", "北京", 12000, 1],
                                          ["2019-06-28", "山西", 5000, 1]],
                     header=["date", "region", "steps", "donations"])
    import_aggregates_file(env, drop, received_at=at(11))
    result = reconcile(env, at(12))
    rows = {(r["code"], r["day"]): r for r in result["rows"]}
    assert rows[("11", "2019-06-26")]["status"] == "match"
    assert (rows[("11", "2019-06-27")]["status"], rows[("11", "2019-06-27")]["steps_diff"]) == ("mismatch", -2000)
    assert rows[("13", "2019-06-26")]["status"] == "raw_only"
    assert rows[("14", "2019-06-28")]["status"] == "pulled_only"
    assert result["counts"] == {"match": 1, "mismatch": 1, "raw_only": 1, "pulled_only": 1}
    assert len(result["differences"]) == 3
    table = regions(step_summary(env, at(12)))
    assert (table["11"]["own_steps"], table["11"]["source"]) == (42_000, "pulled")  # the platform's figures
    assert (table["13"]["own_steps"], table["13"]["source"]) == (9_000, "raw")  # none pulled: the records'
    assert reconcile(env, at(10, 27) + timedelta(minutes=30))["counts"]["pulled_only"] == 0


def test_pulls_keep_time_order(env, platform):
    platform.payload = PAYLOAD
    source = api(env, platform.url("/ok"))
    pull_aggregates(source, as_of=at(10))
    with pytest.raises(StepsError, match="时间顺序"):
        pull_aggregates(source, as_of=at(9))
    with env.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(StepPulledRegion)).scalar() == 4
    assert date(2019, 6, 26).isoformat() in pull_aggregates(source, as_of=at(10))["days"]
