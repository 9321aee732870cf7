"""Files for the white paper, survey, outreach, video, project and summary report types,
as member units and the association send them (headers written out, not taken from the
campaign definition)."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from filemaker import write_xlsx

TZ = ZoneInfo("Asia/Shanghai")

INDICATOR_HEADER = ["单位名称", "赔款支出(万元)", "纳税额(万元)", "员工人数", "代理人数", "扶贫保障金额(万元)",
                    "扶贫覆盖人数", "联系人", "联系电话"]
EVENT_HEADER = ["日期", "单位名称", "活动类型", "活动名称", "地点", "覆盖人数", "发放资料数", "媒体链接"]
VIDEO_HEADER = ["单位名称", "作品标题", "作者", "平台", "链接", "发布日期"]
BOARD_HEADER = ["日期", "名次", "作品标题", "单位名称", "作者", "票数", "链接"]
PROJECT_HEADER = ["项目编号", "单位名称", "认领地区", "总公司", "保障额度(元)", "覆盖人数", "保障期限(月)", "捐赠日期",
                  "公布日期", "已赔付金额(元)", "完成日期", "成果公布日期", "公布链接"]
SURVEY_HEADER = ["答卷编号", "提交时间", "被评价公司", "理赔服务", "销售服务", "柜面服务", "电话服务", "总体满意度",
                 "意见建议"]


def at(text: str) -> datetime:
    """A local campaign time: at("2019-07-03 10:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def indicator_row(unit="人保财险", claims=250000.5, tax=30000, employees=2100, agents=8000, coverage=1200000,
                  people=350000, contact="王丽", phone="0431-85000312") -> list:
    return [unit, claims, tax, employees, agents, coverage, people, contact, phone]


def event_row(day="2019-07-01", unit="人保财险", kind="进学校", title="保险知识进课堂", place="长春市第一中学",
              people=300, materials=500, links=None) -> list:
    return [day, unit, kind, title, place, people, materials, links]


def video_row(unit="人保财险", title="理赔小故事", author="张三", platform="抖音",
              link="https://v.douyin.com/abc123/", day="2019-06-22") -> list:
    return [unit, title, author, platform, link, day]


def board_rows(day="2019-06-22", entries=None) -> list[list]:
    """A full board of 10: entries are (title, unit, author, votes), best first."""
    entries = entries or [(f"作品{i}", "人保财险", f"作者{i}", 1000 - 50 * i) for i in range(1, 11)]
    return [[day, rank, title, unit, author, votes, f"https://v.example.org/{day}/{rank}"]
            for rank, (title, unit, author, votes) in enumerate(entries, start=1)]


def project_row(project_id="JL-2019-01", unit="人保财险", region="吉林省汪清县", head_office="中国人民财产保险股份有限公司",
                coverage=20_000_000, people=800, term=12, donated=None, published=None, claims=None, completed=None,
                results=None, link=None) -> list:
    return [project_id, unit, region, head_office, coverage, people, term, donated, published, claims, completed,
            results, link]


def survey_row(n: int, company="人保财险", scores=(5, 4, 4, 3, 5), comment=None,
               when="2019-04-12 10:23") -> list:
    return [str(n), when, company, *scores, comment]


def write(path: Path, header: list[str], rows: list[list], **kw) -> Path:
    return write_xlsx(path, rows, header=header, **kw)


class _GBKName(zipfile.ZipInfo):
    """A member name stored as GBK bytes without the UTF-8 flag, as Windows' zip tools do."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def make_zip(path: Path, members: dict[str, bytes | str], gbk_names: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in members.items():
            info = (_GBKName if gbk_names else zipfile.ZipInfo)(name, date_time=(2019, 7, 10, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            book.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return path


JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 50


def summary_members(top: str = "人保财险活动总结/", photos: bool = True, videos: bool = True) -> dict[str, bytes | str]:
    members: dict[str, bytes | str] = {
        f"{top}活动方案.docx": b"PK plan",
        f"{top}人保财险7.8活动总结.docx": b"PK text",
    }
    if photos:
        members[f"{top}照片/IMG_001.JPG"] = JPEG
        members[f"{top}照片/IMG_002.jpg"] = JPEG + b"2"
    if videos:
        members[f"{top}视频链接.txt"] = "宣传视频：https://v.qq.com/x/page/a1.html\n第二个 https://v.douyin.com/xyz/\n"
    return members
