"""Short videos: the daily leaderboard and champion as known at a moment, every champion
so far, submissions per unit, and the certificate list of everyone who made a board."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from reportmaker import BOARD_HEADER, VIDEO_HEADER, at, board_rows, video_row, write

from insday.intake.service import ingest_paths
from insday.reports.videos import video_certificates, video_leaderboard, write_certificates

BOARDS = {
    "2019-06-20": [("理赔小故事", "人保财险", "张三、李四", 900), ("车险那些事", "国寿财险", "王五", 800),
                   ("健康守护", "中国人寿", "赵六", 500)],
    "2019-06-21": [("车险那些事", "国寿财险", "王五", 1200), ("理赔小故事", "人保财险", "张三、李四", 1100),
                   ("扶贫路上", "长春市协会", "孙七", 300)],
    "2019-06-22": [("扶贫路上", "长春市协会", "孙七", 2000), ("健康守护", "中国人寿", "赵六", 1500),
                   ("新作品", "人保财险", "张三", 100)],
}
CORRECTED_22 = [("健康守护", "中国人寿", "赵六", 2100), ("扶贫路上", "长春市协会", "孙七", 2000),
                ("新作品", "人保财险", "张三", 100)]


@pytest.fixture
def boards(env, tmp_path):
    for day, entries in BOARDS.items():
        [r] = ingest_paths(env, [write(tmp_path / f"{day}.xlsx", BOARD_HEADER, board_rows(day, entries))],
                           received_at=at(f"{day} 22:00"))
        assert r.status == "accepted", r.errors
    [r] = ingest_paths(env, [write(tmp_path / "fix.xlsx", BOARD_HEADER, board_rows("2019-06-22", CORRECTED_22))],
                       received_at=at("2019-06-23 09:00"))
    assert r.version == 2
    return env


def test_leaderboard_and_champions(boards):
    latest = video_leaderboard(boards, at("2019-06-22 23:00"))
    assert latest["day"] == "2019-06-22" and latest["size"] == 10
    assert [(e["rank"], e["title"], e["author"], e["unit"], e["votes"]) for e in latest["entries"]] == [
        (1, "扶贫路上", "孙七", "C01", 2000), (2, "健康守护", "赵六", "L01", 1500), (3, "新作品", "张三", "P01", 100)]
    assert latest["champion"]["title"] == "扶贫路上" and latest["champion"]["short_name"] == "长春市协会"
    assert [(c["day"], c["title"]) for c in latest["champions"]] == [
        ("2019-06-20", "理赔小故事"), ("2019-06-21", "车险那些事"), ("2019-06-22", "扶贫路上")]

    corrected = video_leaderboard(boards, at("2019-06-23 10:00"))
    assert corrected["champion"]["title"] == "健康守护" and corrected["champions"][-1]["author"] == "赵六"

    earlier = video_leaderboard(boards, at("2019-06-23 10:00"), day=date(2019, 6, 21))
    assert earlier["champion"]["author"] == "王五" and len(earlier["champions"]) == 2
    assert video_leaderboard(boards, at("2019-06-21 12:00"))["day"] == "2019-06-20"  # 06-21's board not in yet
    none = video_leaderboard(boards, at("2019-06-23 10:00"), day=date(2019, 7, 1))
    assert (none["entries"], none["champion"]) == ([], None)


def test_submissions_per_unit(env, tmp_path):
    first = [video_row(title="理赔小故事", link="https://v.douyin.com/a/"),
             video_row(title="车险那些事", link="https://v.douyin.com/b/")]
    city = [video_row(unit="长春市协会", title="扶贫路上", author="孙七", link="https://v.douyin.com/c/")]
    again = [video_row(title="理赔小故事（修订版）", link="https://v.douyin.com/a/")]  # same link: an update
    ingest_paths(env, [write(tmp_path / "a.xlsx", VIDEO_HEADER, first), write(tmp_path / "c.xlsx", VIDEO_HEADER, city)],
                 received_at=at("2019-06-22 10:00"))
    ingest_paths(env, [write(tmp_path / "b.xlsx", VIDEO_HEADER, again)], received_at=at("2019-06-23 10:00"))
    s = video_leaderboard(env, at("2019-06-24 00:00"))["submissions"]
    assert (s["videos"], s["units"]) == (3, 2)
    assert [(u["unit"], u["videos"]) for u in s["by_unit"]] == [("P01", 2), ("C01", 1)]
    assert video_leaderboard(env, at("2019-06-24 00:00"))["champion"] is None


def test_certificate_list(boards, tmp_path):
    people = video_certificates(boards, at("2019-07-09 00:00"))
    assert [(p["unit"], p["author"], p["days"], p["best_rank"], p["champion_days"], p["award"]) for p in people] == [
        ("C01", "孙七", ["2019-06-21", "2019-06-22"], 2, [], "短视频达人榜上榜"),  # champion only before the fix
        ("L01", "赵六", ["2019-06-20", "2019-06-22"], 1, ["2019-06-22"], "短视频日冠军"),
        ("P01", "张三", ["2019-06-20", "2019-06-21", "2019-06-22"], 1, ["2019-06-20"], "短视频日冠军"),
        ("P01", "李四", ["2019-06-20", "2019-06-21"], 1, ["2019-06-20"], "短视频日冠军"),
        ("P04", "王五", ["2019-06-20", "2019-06-21"], 1, ["2019-06-21"], "短视频日冠军"),
    ]
    assert people[2]["titles"] == ["理赔小故事", "新作品"]
    path = write_certificates(people, tmp_path)
    sheet = load_workbook(path)["证书名单"]
    assert [c.value for c in sheet[1]][:4] == ["序号", "姓名", "单位", "证书"]
    assert [sheet.cell(row=r, column=2).value for r in range(2, 7)] == ["孙七", "赵六", "张三", "李四", "王五"]
    assert sheet["F4"].value == "6月20日、6月21日、6月22日"
