"""The shipped campaign definition matches the spec, and a broken one fails with a clear message."""

import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from insday.campaign import CampaignError, load_campaign
from insday.db.models import ROW_MODELS
from insday.paths import SHIPPED_CAMPAIGN

TZ = ZoneInfo("Asia/Shanghai")


def test_roster_is_realistic(campaign):
    kinds = [u.kind for u in campaign.units]
    # the shipped roster (campaigns/jilin-2019/units.csv): 9 city associations, 26 property and 28 life insurers
    assert (len(kinds), kinds.count("city"), kinds.count("property"), kinds.count("life")) == (63, 9, 26, 28)
    cities = {u.name[:2] for u in campaign.units if u.kind == "city"}
    assert cities == {"长春", "吉林", "四平", "辽源", "通化", "白山", "松原", "白城", "延边"}
    for u in campaign.units:
        assert u.email.split("@")[1].endswith(("example.com", "example.org", "example.net"))
    assert "安华农业保险股份有限公司吉林分公司" in {u.name for u in campaign.units}


def test_step_rules_match_spec(campaign):
    steps = campaign.steps
    assert len(steps.regions) == 36
    assert sum(r.helped for r in steps.regions) == 22
    pairs = {steps.by_code[r.helps].name: r.name for r in steps.regions if r.helps}
    assert pairs == {"甘肃": "浙江", "内蒙古": "山东", "西藏": "福建", "青海": "天津", "湖南": "上海",
                     "广西": "深圳", "贵州": "广东", "宁夏": "宁波", "山西": "江苏", "吉林": "大连",
                     "黑龙江": "厦门", "云南": "北京", "新疆": "青岛", "海南": "辽宁"}
    assert steps.min_daily_steps == 7800 and steps.unlock_threshold == 78_000_000
    assert [d.isoformat() for d in steps.double_days] == ["2019-07-08"]
    assert campaign.window("step_run").start == datetime(2019, 6, 25, 6, 0, tzinfo=TZ)
    assert campaign.window("step_run").end == datetime(2019, 7, 8, 18, 0, tzinfo=TZ)
    assert (steps.badges.first_donation, steps.badges.five_donations, steps.badges.consecutive_days) == (1, 5, 10)


def test_essay_settings_match_spec(campaign):
    essays = campaign.essays
    assert [(c.name, c.max) for c in essays.rubric] == [
        ("作品案例", 30), ("人物描写", 30), ("作品题意", 10), ("感情内容", 10), ("结构创意", 10), ("语言文字", 10)]
    assert essays.max_total == 100
    assert (essays.weights.panel, essays.weights.votes) == (0.7, 0.3)
    assert [(p.name, p.count) for p in essays.prizes] == [("一等奖", 1), ("二等奖", 2), ("三等奖", 3)]
    counts = {c.name: sum(e.category == c.name for e in campaign.essay_list) for c in essays.categories}
    assert counts == {"典型案例": 33, "人物风采": 29}


def test_every_table_report_type_has_a_matching_table(campaign):
    for rt in campaign.report_types.values():
        if rt.kind != "table":
            continue
        table = ROW_MODELS[rt.table].__table__
        assert {c.key for c in rt.columns} <= set(table.columns.keys()), rt.key


def _broken(tmp_path, mutate):
    folder = tmp_path / "c"
    shutil.copytree(SHIPPED_CAMPAIGN, folder)
    data = yaml.safe_load((folder / "campaign.yaml").read_text(encoding="utf-8"))
    mutate(data)
    (folder / "campaign.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["steps"]["regions"][0].update(helps="99"), "不是重点扶贫地区"),
    (lambda d: d["deadlines"][1].update(report_type="nope"), "未知报表类型"),
    (lambda d: d["essays"]["weights"].update(panel=0.9), "权重之和"),
    (lambda d: d.update(surprise=1), "surprise"),
    (lambda d: d["deadlines"][1].update(reminders=["3 days"]), "时长格式"),
    (lambda d: d["schedule"].update(final_after_due="1mo"), "须以 d/h/m 为单位"),
    (lambda d: d["schedule"].update(watch_first="08:30"), "须为整点"),
    (lambda d: d["bulletin"].update(final_cutoff="2019-07-12 17:00"), "bulletin.final_cutoff"),  # now schedule:
])
def test_invalid_campaign_names_the_problem(tmp_path, mutate, expected):
    with pytest.raises(CampaignError) as info:
        load_campaign(_broken(tmp_path, mutate))
    assert "campaign.yaml" in str(info.value)
    assert expected in str(info.value)


def test_roster_with_clashing_names_is_refused(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(SHIPPED_CAMPAIGN, folder)
    units = folder / "units.csv"
    lines = units.read_text(encoding="utf-8").splitlines()
    lines.append("X99,某某保险公司,某某保险,人保财险,property,某人,a@example.com,0431-1")
    units.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CampaignError, match="人保财险.*无法区分"):
        load_campaign(folder)


def test_a_campaign_may_omit_its_schedule(tmp_path, campaign):
    # the loader's defaults are the shipped values: the same runs, the same cut-offs
    assert load_campaign(_broken(tmp_path, lambda d: d.pop("schedule"))).schedule == campaign.schedule
