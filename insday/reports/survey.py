"""The satisfaction survey report (满意度调查): response counts, satisfaction per company
and per question with confidence intervals, charts, and a publishable report.

A company's satisfaction is the mean score of the ranking question (``survey.overall``)
with a t-interval, and its satisfaction rate (share of scores >= ``survey.satisfied_min``)
with a Wilson interval. Companies with fewer than ``survey.min_responses`` responses are
flagged and not ranked.
"""

from __future__ import annotations

import math
import re
import statistics
from datetime import datetime
from pathlib import Path
from statistics import NormalDist
from typing import TypedDict

from scipy.stats import t

from insday.charts import figure, png_bytes
from insday.env import Env
from insday.publishing.outputs import guard, survey_parameters, survey_rows
from insday.reports.common import (data_uri, day_text, fetch_as_of, jsonable, local_text, out_dir, render,
                                   unit_info)
from insday.reports.xlsx import INTEGER, PERCENT, SCORE, Table, write_workbook

_PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def mean_interval(scores: list[int], confidence: float) -> tuple[float, float | None, float | None]:
    """Mean and its t-interval (None for fewer than 2 scores)."""
    n = len(scores)
    mean = sum(scores) / n
    if n < 2:
        return mean, None, None

    half = t.ppf((1 + confidence) / 2, n - 1) * statistics.stdev(scores) / math.sqrt(n)
    return mean, mean - half, mean + half


def wilson_interval(k: int, n: int, confidence: float) -> tuple[float, float, float]:
    """Share k/n and its Wilson score interval."""
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return p, max(0.0, centre - half), min(1.0, centre + half)


class Stats(TypedDict):
    """Scores of one question (or of a company's overall question)."""

    n: int
    mean: float
    ci_low: float | None  # the mean's t-interval; None for fewer than 2 scores
    ci_high: float | None
    satisfied: int  # scores of at least survey.satisfied_min
    rate: float  # satisfied / n
    rate_low: float  # Wilson score interval of the rate
    rate_high: float
    counts: dict[str, int]  # score -> answers, every score of the scale


class QuestionStats(Stats):
    key: str
    title: str


class CompanyStats(Stats):
    """A company's answers: the stats are those of the overall question."""

    unit: str
    name: str
    short_name: str
    responses: int
    rank: int | None  # None when flagged: fewer responses than survey.min_responses (not ranked)
    flagged: bool
    questions: dict[str, float]  # question -> mean
    comments: int


class SurveyResults(TypedDict):
    as_of: str
    responses: int
    min_responses: int
    confidence: float
    satisfied_min: int
    scale: list[int]  # lowest and highest score
    overall: str  # the question companies are ranked by
    questions: list[QuestionStats]
    companies: list[CompanyStats]  # ranked ones by mean (ties share a rank), then flagged ones
    ranked: int
    flagged: int
    not_rated: int  # companies without a response


class SurveyReport(SurveyResults):
    """``insday survey report --json``."""

    files: dict[str, str]  # xlsx, md, html, charts ... -> path


def _stats(scores: list[int], rules) -> Stats:
    mean, low, high = mean_interval(scores, rules.confidence)
    satisfied = sum(1 for s in scores if s >= rules.satisfied_min)
    rate, rate_low, rate_high = wilson_interval(satisfied, len(scores), rules.confidence)
    lo, hi = rules.scale
    return {"n": len(scores), "mean": mean, "ci_low": low, "ci_high": high, "satisfied": satisfied,
            "rate": rate, "rate_low": rate_low, "rate_high": rate_high,
            "counts": {str(v): sum(1 for s in scores if s == v) for v in range(lo, hi + 1)}}


def mask(text: str | None) -> str | None:
    """Free text as it may be shown: phone numbers and e-mail addresses masked."""
    if text is None:
        return None
    return _EMAIL.sub("***@***", _PHONE.sub(lambda m: m.group(0)[:3] + "****", text))


def survey_results(env: Env, as_of: datetime) -> SurveyResults:
    """The survey as known at ``as_of``.

    Ranked companies come first by mean score (ties share a rank), then flagged ones by
    number of responses.
    """
    campaign = env.campaign
    rules = campaign.survey
    columns = {c.key: c for c in campaign.report_type("survey").columns}
    questions = list(rules.questions)
    overall = rules.overall or questions[-1]
    rows = fetch_as_of(env, "staging/survey_responses", as_of)
    per_company: dict[str, list[dict]] = {}
    for r in rows:
        per_company.setdefault(r["company"], []).append(r)
    companies = []
    for code, answers in per_company.items():
        stats = _stats([a[overall] for a in answers], rules)
        companies.append({**unit_info(campaign, code), "responses": len(answers), "rank": None,
                          "flagged": len(answers) < rules.min_responses, **stats,
                          "questions": {q: sum(a[q] for a in answers) / len(answers) for q in questions},
                          "comments": sum(1 for a in answers if a["comment"])})
    ranked = sorted((c for c in companies if not c["flagged"]), key=lambda c: (-c["mean"], c["unit"]))
    for i, c in enumerate(ranked):
        c["rank"] = ranked[i - 1]["rank"] if i and c["mean"] == ranked[i - 1]["mean"] else i + 1
    flagged = sorted((c for c in companies if c["flagged"]), key=lambda c: (-c["responses"], c["unit"]))
    rated = {c["unit"] for c in companies}
    return jsonable({
        "as_of": as_of, "responses": len(rows), "min_responses": rules.min_responses, "confidence": rules.confidence,
        "satisfied_min": rules.satisfied_min, "scale": list(rules.scale), "overall": overall,
        "questions": [{"key": q, "title": columns[q].header, **_stats([r[q] for r in rows], rules)}
                      for q in questions] if rows else [],
        "companies": ranked + flagged, "ranked": len(ranked), "flagged": len(flagged),
        "not_rated": sum(1 for u in campaign.members("companies") if u.code not in rated),
    })


# ----- outputs ---------------------------------------------------------------


def _charts(data: dict) -> dict[str, bytes]:
    charts = {}
    ranked = [c for c in data["companies"] if c["rank"] is not None]
    lo, hi = data["scale"]
    if ranked:
        shown = ranked[::-1]
        fig = figure(8, max(3.0, 0.3 * len(shown) + 1.3))
        ax = fig.add_subplot()
        means = [c["mean"] for c in shown]
        errors = [[c["mean"] - (c["ci_low"] if c["ci_low"] is not None else c["mean"]) for c in shown],
                  [(c["ci_high"] if c["ci_high"] is not None else c["mean"]) - c["mean"] for c in shown]]
        ax.barh([c["short_name"] for c in shown], means, xerr=errors, color="#2f6fb0", ecolor="#555", capsize=3)
        ax.set_xlim(lo, hi)
        ax.set_xlabel(f"平均分（{lo}-{hi}分），误差线为{data['confidence']:.0%}置信区间")
        ax.set_title("各公司总体满意度")
        charts["companies"] = png_bytes(fig)
    if data["questions"]:
        fig = figure(7, 3.8)
        ax = fig.add_subplot()
        qs = data["questions"]
        bars = ax.bar([q["title"] for q in qs], [q["mean"] for q in qs], color="#2f6fb0",
                      yerr=[[q["mean"] - q["ci_low"] if q["ci_low"] is not None else 0 for q in qs],
                            [q["ci_high"] - q["mean"] if q["ci_high"] is not None else 0 for q in qs]],
                      ecolor="#555", capsize=4)
        ax.bar_label(bars, labels=[f"{q['mean']:.2f}" for q in qs], padding=6)
        ax.set_ylim(lo, hi + 0.4)
        ax.set_ylabel(f"平均分（{lo}-{hi}分）")
        ax.set_title("各项服务满意度（全省）")
        charts["questions"] = png_bytes(fig)
    return charts


def write_survey_report(env: Env, as_of: datetime, out: Path | None = None) -> SurveyReport:
    """Write survey.xlsx, survey.md, survey.html (publishable, self-contained) and
    charts/*.png; return the results (JSON-ready) with ``files``."""
    data = survey_results(env, as_of)
    guard(env, "survey", f"{env.campaign.local(as_of):%Y-%m-%dT%H:%M}", "满意度调查报告", "survey",
          survey_rows(env, data),
          survey_parameters(data), data)
    folder = out_dir(env, "survey", out)
    questions = data["questions"]
    level = f"{data['confidence']:.0%}"
    company_head = ["名次", "公司名称", "答卷数", "平均分", f"{level}置信下限", f"{level}置信上限", "满意率",
                    "满意率下限", "满意率上限", *[q["title"] for q in questions], "样本不足"]
    company_rows = [[c["rank"], c["name"], c["responses"], c["mean"], c["ci_low"], c["ci_high"], c["rate"],
                     c["rate_low"], c["rate_high"], *[c["questions"][q["key"]] for q in questions],
                     "是" if c["flagged"] else ""] for c in data["companies"]]
    scores = {i: SCORE for i in (3, 4, 5, *range(9, 9 + len(questions)))}
    rows = fetch_as_of(env, "staging/survey_responses", as_of)
    lo, hi = data["scale"]
    tables = [
        Table("公司满意度", company_head, company_rows,
              {0: INTEGER, 2: INTEGER, **scores, 6: PERCENT, 7: PERCENT, 8: PERCENT},
              note=f"按“{next((q['title'] for q in questions if q['key'] == data['overall']), '')}”平均分排名；"
                   f"答卷少于 {data['min_responses']} 份的公司样本不足，不参与排名。"
                   f"满意率为 {data['satisfied_min']} 分及以上的答卷占比。"),
        Table("分题满意度", ["题目", "答卷数", "平均分", f"{level}置信下限", f"{level}置信上限", "满意率", "满意率下限",
                        "满意率上限", *[f"{v}分" for v in range(lo, hi + 1)]],
              [[q["title"], q["n"], q["mean"], q["ci_low"], q["ci_high"], q["rate"], q["rate_low"], q["rate_high"],
                *q["counts"].values()] for q in questions],
              {1: INTEGER, 2: SCORE, 3: SCORE, 4: SCORE, 5: PERCENT, 6: PERCENT, 7: PERCENT}),
        Table("意见建议", ["答卷编号", "被评价公司", "意见建议（已隐去电话和邮箱）"],
              [[r["response_id"], unit_info(env.campaign, r["company"])["name"], mask(r["comment"])]
               for r in rows if r["comment"]], note="仅供内部改进服务参考，不对外公布。"),
    ]
    files = {"xlsx": write_workbook(folder / "survey.xlsx", tables)}
    charts = _charts(data)
    (folder / "charts").mkdir(exist_ok=True)
    for key, png in charts.items():
        files[f"chart_{key}"] = folder / "charts" / f"{key}.png"
        files[f"chart_{key}"].write_bytes(png)
    window = env.campaign.report_type("survey").window
    days = env.campaign.window_days(window) if window else []
    context = {"data": data, "as_of_text": local_text(env.campaign, as_of), "level": level, "charts": charts,
               "uri": {k: data_uri(v) for k, v in charts.items()}, "campaign": env.campaign,
               "period": f"{days[0].year}年{day_text(days[0])}至{day_text(days[-1])}" if days else "—"}
    for kind, name in (("markdown", "survey.md"), ("html", "survey.html")):
        files[kind] = folder / name
        files[kind].write_text(render(f"{name}.j2", **context), encoding="utf-8")
    return jsonable({**data, "files": {k: str(v) for k, v in files.items()}})
