"""The datasets of the outputs other than bulletins (the essay shortlist and results, the white
paper, the survey report) for their suites in ``expectations/outputs/``, and :func:`guard`,
which every one of them passes before it is written where the public sees it."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from insday.db import session_scope
from insday.env import Env
from insday.publishing import OutputBlocked
from insday.publishing.approval import approval_json, request
from insday.publishing.checks import failures_text, passed, run_checks
from insday.reports.common import jsonable


def guard(env: Env, output: str, edition: str, title: str, suite: str, rows: list[dict], parameters: dict,
          document) -> dict:
    """Check an output with ``expectations/outputs/<suite>.json`` and record its approval; raise
    OutputBlocked (Chinese) unless it may go out. Returns ``{"approval": {...}, "checks": [...]}``."""
    checks = run_checks(f"outputs/{suite}", rows, parameters)
    body = json.dumps(jsonable(document), ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    with session_scope(env.engine) as session:
        row, _ = request(session, env, output=output, edition=edition, digest=hashlib.sha256(body).hexdigest(),
                         title=title, checks=checks, preview=None)
        approval = approval_json(env, row)
    if not passed(checks):
        raise OutputBlocked(f"《{title}》未通过数据校验，未发布：\n{failures_text(checks)}")
    if approval["state"] != "approved":
        raise OutputBlocked(f"《{title}》{'已退回' if approval['state'] == 'rejected' else '待审批'}，未发布")
    return {"approval": approval, "checks": [c.as_dict() for c in checks]}


def _roster(labels: dict[str, str], seen: Counter) -> list[dict]:
    return [{"section": "roster", "label": label, "appearances": seen.get(key, 0)} for key, label in labels.items()]


def _sum(label: str, parts, total) -> dict:
    return {"section": "sums", "label": label, "value": float(sum(p or 0 for p in parts)), "reference": float(total)}


# ----- essays ------------------------------------------------------------------------------


def essay_rows(contest) -> list[dict]:
    """Every essay's panel score and shortlist rank, the finalists per category and, once the
    votes are in, the final scores, ranks and prizes."""
    c = contest
    rules = c.campaign.essays
    seen = Counter(s.id for group in c.categories.values() for s in group)
    rows = _roster({e.id: f"{e.id} {e.title}" for e in c.campaign.essay_list}, seen)
    for category, group in c.categories.items():
        scored = [s for s in group if s.panel is not None]
        for s in scored:
            ahead = sum(1 for o in scored if o.panel > s.panel)
            rows.append({"section": "essays", "label": f"{s.id} {s.title}", "panel": float(s.panel),
                         "rank": s.shortlist_rank, "expected_rank": ahead + 1})
        finalists = [s for s in group if s.shortlisted]
        rows.append({"section": "categories", "label": category,
                     "finalists_over_minimum": len(finalists) - min(rules.shortlist_per_category, len(scored))})
        if c.final:
            for s in finalists:
                ahead = sum(1 for o in finalists if (o.final, o.panel) > (s.final, s.panel))
                rows.append({"section": "final", "label": f"{s.id} {s.title}", "final": float(s.final),
                             "votes": s.votes, "rank": s.rank, "expected_rank": ahead + 1})
            won = Counter(s.prize for s in finalists if s.prize)
            rows += [{"section": "prizes", "label": f"{category}{p.name}", "prizes_left": p.count - won.get(p.name, 0)}
                     for p in rules.prizes]
    return rows


def essay_parameters(contest) -> dict:
    return {"max_total": contest.campaign.essays.max_total}


# ----- white paper ---------------------------------------------------------------------------


def whitepaper_rows(env: Env, data: dict) -> list[dict]:
    """Each company once (reported or missing), every figure, the shares and the kinds' sums."""
    companies = env.campaign.members("companies")
    seen = Counter([c["code"] for c in data["companies"]] + [m["code"] for m in data["missing"]])
    rows = _roster({u.code: u.display_name for u in companies}, seen)
    for c in data["companies"]:
        for m in data["metrics"]:
            rows.append({"section": "values", "label": f"{c['short_name']}{m['label']}",
                         "value": float(c["values"][m["key"]])})
        rows += [{"section": "shares", "label": f"{c['short_name']}{key}占比",
                  "share": None if share is None else round(100 * share, 6)} for key, share in c["shares"].items()]
    for m in data["metrics"]:
        key = m["key"]
        rows.append(_sum(f"各公司{m['label']}之和＝全省合计", (c["values"][key] for c in data["companies"]),
                         data["totals"][key]))
        rows.append(_sum(f"各类型{m['label']}之和＝全省合计", (k["totals"][key] for k in data["by_kind"]),
                         data["totals"][key]))
    rows.append(_sum("已报送＋未报送＝应报送", (data["reported"], len(data["missing"])), data["expected"]))
    return rows


# ----- survey --------------------------------------------------------------------------------


def survey_rows(env: Env, data: dict) -> list[dict]:
    """Mean scores and rates of every question and company, ranks, and answers per company."""
    seen = Counter(c["unit"] for c in data["companies"])
    rows = _roster({u.code: u.display_name for u in env.campaign.members("companies")}, seen)
    for q in data["questions"]:
        rows.append({"section": "scores", "label": q["title"], "mean": q["mean"], "rate": round(100 * q["rate"], 6)})
    ranked = [c for c in data["companies"] if c["rank"] is not None]
    for c in data["companies"]:
        rows.append({"section": "scores", "label": c["short_name"], "mean": c["mean"], "rate": round(100 * c["rate"], 6)})
    for c in ranked:
        rows.append({"section": "companies", "label": c["short_name"], "rank": c["rank"],
                     "expected_rank": 1 + sum(1 for o in ranked if o["mean"] > c["mean"])})
    rows.append(_sum("各公司答卷数之和＝答卷总数", (c["responses"] for c in data["companies"]), data["responses"]))
    return rows


def survey_parameters(data: dict) -> dict:
    low, high = data["scale"]
    return {"scale_min": low, "scale_max": high}
