"""A bulletin document as HTML (Jinja2, autoescaped; phone-first, one column), Markdown and
an xlsx workbook (one sheet per table). Nothing here reads a clock: the same document
gives the same bytes."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from insday.reports.common import count, day_text, md_cell
from insday.reports.xlsx import INTEGER, PERCENT, Table, write_workbook

TEMPLATES = Path(__file__).resolve().parent / "templates"
UNIT_KIND_ZH = {"property": "财产险", "life": "人身险", "city": "地市协会"}


def _day(value: str | None) -> str:
    """'2019-06-26' -> 6月26日."""
    return day_text(date.fromisoformat(value[:10])) if value else ""


def _moment(value: str) -> str:
    """An ISO time in campaign time -> 2019年6月27日 10:30."""
    m = datetime.fromisoformat(value)
    return f"{m.year}年{m.month}月{m.day}日 {m:%H:%M}"


def _num(value) -> str:
    return "—" if value is None else count(value)


def _signed(value) -> str:
    return "—" if value is None else f"{value:+,}"


def _pct(value) -> str:
    return "—" if value is None else f"{value:.2f}%"


@lru_cache(maxsize=1)
def _jinja():
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=_num, signed=_signed, pct=_pct, day=_day, moment=_moment, md=md_cell)
    return env


def render(template: str, doc: dict, campaign, images: dict[str, str]) -> str:
    """Render a template with the document; ``images`` maps chart file names to the
    address they are shown from (a data: URI, a cid: or a relative path)."""
    return _jinja().get_template(template).render(doc=doc, campaign=campaign, images=images)


def markdown(doc: dict, campaign, images: dict[str, str] | None = None) -> str:
    """The bulletin in Markdown; without ``images`` (e.g. for the Prefect UI) no chart is linked."""
    return render("bulletin.md.j2", doc, campaign, images or {})


def render_index(entries: list[dict], campaign) -> str:
    return _jinja().get_template("index.html.j2").render(entries=entries, campaign=campaign)


# ----- xlsx -----------------------------------------------------------------------------------


def overview_rows(doc: dict) -> list[tuple[str, str]]:
    """(label, headline key) of the 概况 sheet: the labels the HTML page shows too."""
    daily = doc["kind"] == "daily"
    rows = [("报送单位" + ("（当日）" if daily else ""), "units_reporting")]
    if daily:
        rows += [("当日参与人数（单位报送）", "participants_day"), ("当日步数（单位报送）", "steps_day")]
    return rows + [("累计参与人次（单位报送）", "participants"), ("累计步数（单位报送）", "steps"),
                   ("累计计入步数（7月8日双倍）", "counted_steps"), ("图片", "photos"), ("视频", "videos"),
                   ("宣传活动", "events"), ("活动覆盖人数", "people_reached"), ("报送短视频作品", "video_submissions"),
                   ("已解锁扶贫项目的地区", "regions_unlocked")]


UNIT_SHEET, SHARE_SHEET = "单位明细", "地区捐步中的会员单位"


def write_xlsx(doc: dict, path: Path, when: datetime) -> Path:
    """The bulletin's tables, one sheet each, written with ``when`` as the document time."""
    h = doc["headline"]
    daily = doc["kind"] == "daily"
    overview = [["通报", doc["title"]], ["数据截至", _moment(doc["as_of"])], ["会员单位", h["units"]]]
    overview += [[label, h[key]] for label, key in overview_rows(doc)]
    tables = [Table("概况", ["项目", "数值"], overview, {1: INTEGER})]

    heads = ["排名", "单位", "类型"] + (["当日人数", "当日步数"] if daily else []) + \
            ["累计人次", "累计报送步数", "图片", "视频", "报送天数", "按时", "逾期", "未报"]
    rows = [[u["rank"], u["name"], UNIT_KIND_ZH.get(u["kind"], u["kind"])]
            + ([u["participants_day"], u["steps_day"]] if daily else [])
            + [u["participants"], u["steps"], u["photos"], u["videos"], u["days_reported"], u["on_time"], u["late"],
               u["missing"]] for u in doc["units"]]
    tables.append(Table(UNIT_SHEET, heads, rows, {i: INTEGER for i in range(3, len(heads))},
                        note="人数、步数为各单位每日报送的数字（7月8日不加倍）；排名按累计报送步数；"
                             "按时/逾期/未报为截至本期已截止的各项报送（份）。"))

    steps = doc["steps"]
    tables.append(Table("地区进度", ["排名", "地区", "本地区步数", "互助地区", "互助地区步数", "合计步数", "进度",
                                   "解锁日期", "较上期"],
                        [[r["rank"], r["name"], r["own_steps"], r["helper"], r["helper_steps"], r["group_steps"],
                          r["progress"] / 100, r["unlocked_on"], r.get("change")] for r in steps["regions"]],
                        {0: INTEGER, 2: INTEGER, 4: INTEGER, 5: INTEGER, 6: PERCENT, 8: INTEGER},
                        note=f"合计步数达到 {steps['threshold']:,} 步即解锁一个保险扶贫项目；7月8日捐步按双倍计。"))
    share = doc["home_share"]
    pct = lambda v: None if v is None else v / 100  # noqa: E731
    tables.append(Table(SHARE_SHEET, ["单位", "报送步数", "计入步数（7月8日双倍）", "占地区捐步", "平台统计本单位"],
                        [[m["name"], m["steps"], m["counted_steps"], pct(m["share"]), m["platform_steps"]]
                         for m in share["members"]]
                        + [["会员单位合计", h["steps"], share["members_steps"], pct(share["members_share"]), None],
                           ["其他捐步者（社会公众等）", None, share["others_steps"], None, None],
                           [f"{share['region']}地区全国平台统计捐步", None, share["region_steps"], None, None]],
                        {1: INTEGER, 2: INTEGER, 3: PERCENT, 4: INTEGER}, note=_share_note(share)))
    if steps["top"]:
        tables.append(Table("个人排行", ["名次", "参与者（已脱敏）", "步数"],
                            [[t["rank"], t["participant"], t["steps"]] for t in steps["top"]], {2: INTEGER}))

    videos = doc["videos"]
    if videos:
        tables.append(Table("短视频达人榜", ["名次", "作品标题", "作者", "单位", "票数", "链接"],
                            [[e["rank"], e["title"], e["author"], e["unit_name"], e["votes"], e["link"]]
                             for e in videos["entries"]], {4: INTEGER},
                            note=f"{_day(videos['day'])}榜单" if videos["day"] else "尚无榜单"))
        tables.append(Table("每日冠军", ["日期", "作品标题", "作者", "单位", "票数"],
                            [[_day(c["day"]), c["title"], c["author"], c["unit_name"], c["votes"]]
                             for c in videos["champions"]], {4: INTEGER}))

    o = doc["outreach"]
    tables.append(Table("宣传活动", ["活动类型", "活动次数", "覆盖人数", "发放资料"],
                        [[k["kind"], k["events"], k["people_reached"], k["materials"]] for k in o["by_kind"]]
                        + [["合计", o["totals"]["events"], o["totals"]["people_reached"], o["totals"]["materials"]]],
                        {1: INTEGER, 2: INTEGER, 3: INTEGER}))

    tables.append(Table("报送情况", ["截止事项", "截止时间", "本期", "应报", "按时", "逾期", "未报", "未截止", "免报",
                                   "逾期单位", "未报单位", "延期、免报、名单变更"],
                        [[r["title"], _moment(r["due"]), "是" if r["this_edition"] else "", r["expected"], r["on_time"],
                          r["late"], r["missing"], r["open"], r["excused"], _names(doc, r["late_units"]),
                          _names(doc, r["missing_units"]), _exceptions(r)] for r in doc["reports"]],
                        {i: INTEGER for i in range(3, 9)}))
    tables.append(Table("迟报未报", ["单位", "联系人", "联系电话", "未报送", "逾期报送"],
                        [[u["name"], u["contact"], u["phone"], "；".join(u["missing"]), "；".join(u["late"])]
                         for u in doc["late_missing"]]))

    c = doc["changes"]
    if c["previous"]:
        tables.append(Table("较上期变化", ["项目", "变化"], _change_rows(c), {1: INTEGER},
                            note=f"与{c['previous']['title']}（数据截至 {_moment(c['previous']['as_of'])}）相比。"))
    return write_workbook(path, tables, when=when)


def _share_note(share: dict) -> str:
    note = ("报送步数为各单位每日报送的员工步数之和；计入步数中7月8日按双倍计，与全国平台口径一致；"
            "地区捐步为全国平台统计的所有捐步者（含社会公众）。")
    over = [f"{_day(d['day'])}会员单位报送 {d['members_steps']:,} 步，多于平台统计的地区当日 {d['region_steps']:,} 步"
            for d in share["days_over"]]
    over += [f"{x['name']}（{_day(x['day'])}）报送 {x['reported']:,} 步，多于平台统计的 {x['platform']:,} 步"
             for x in share["units_over"]]
    if over:
        note += "数据不一致：" + "；".join(over) + "。"
    if share["members_share"] is None and share["members_steps"]:
        note += "会员单位合计多于地区合计或尚无平台数据，本期不计算占比。"
    return note


def _exceptions(r: dict) -> str:
    return "；".join(f"{x['name']}{_exception(x)}（{x['reason']}）" for x in r["exceptions"])


def _exception(x: dict) -> str:
    """延期至 …, 免报, or a roster change: 自 … 起新增 / 退出."""
    if x.get("kind") in ("add", "retire"):
        return f"自 {_moment(x['from'])} 起{'新增' if x['kind'] == 'add' else '退出'}"
    return "延期至 " + _moment(x["until"]) if x["until"] else "免报"


def _names(doc: dict, codes: list[str]) -> str:
    names = {u["unit"]: u["name"] for u in doc["units"]}
    return "、".join(names.get(c, c) for c in codes)


def _change_rows(c: dict) -> list[list]:
    rows = [["新增参与人次", c["participants"]], ["新增报送步数", c["steps"]], ["新增图片", c["photos"]],
            ["新增视频", c["videos"]], ["新增宣传活动", c["events"]], ["新增短视频作品", c["video_submissions"]]]
    rows += [["新解锁地区", f"{u['name']}（{_day(u['unlocked_on'])}）"] for u in c["newly_unlocked"]]
    for key, label in (("became_missing", "新增未报"), ("became_late", "新增逾期"), ("caught_up", "已补报")):
        rows += [[label, f"{x['name']}：{x['title']}"] for x in c[key]]
    return rows
