"""Run an output's GX suite (``expectations/outputs/<name>.json``) over its dataset and say,
in Chinese, what passed and what failed.

An output's dataset is one long table: every row has a ``section`` (which part of the output
it describes: ``units``, ``sums``, ``figures``, ...) and a ``label`` that names it for people
(人保财险, 6月26日, HTML·累计报送步数); each expectation of the suite applies to one section
(a GX ``row_condition``), so one GX run checks everything. An expectation's ``meta`` gives its
``title`` and, in Chinese, the ``problem`` a failing row has.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TypedDict

from insday import gx

SHOWN = 8  # failing rows named in a check's detail
_SECTION = re.compile(r'section\s*==\s*"([^"]+)"')


class CheckReport(TypedDict):
    """One expectation of an output's checks, as ``--json`` shows it."""

    expectation: str  # its title
    success: bool
    detail: str  # in Chinese: what failed, naming the units, regions or figures


@dataclass(frozen=True)
class Check:
    expectation: str
    success: bool
    detail: str

    def as_dict(self) -> CheckReport:
        return asdict(self)


def run_checks(suite: str, rows: list[dict], parameters: dict) -> list[Check]:
    """The checks of ``suite`` over ``rows``, in the suite's order."""
    # lazy: pandas costs about 0.5 s; only checking an output's tables needs it
    import pandas as pd

    columns = sorted({k for r in rows for k in r} | {"section", "label"})
    frame = pd.DataFrame(rows, columns=columns)
    for name in columns:
        if name not in ("section", "label", "unit"):
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    result = gx.run(suite, frame, parameters, ["label"])
    present = {r["section"] for r in rows}
    expectations = gx.load_suite(suite)["expectations"]
    sections = {e["meta"]["title"]: _SECTION.fullmatch(e["kwargs"].get("row_condition", "")) for e in expectations}
    checks = []
    for outcome in result.results:
        meta = outcome.expectation_config.meta or {}
        title = meta.get("title", outcome.expectation_config.type)
        error = outcome.exception_info or {}
        section = sections.get(title)
        if section and section.group(1) not in present:  # GX fails an expectation over no rows
            checks.append(Check(title, True, "无此项数据"))
        elif error.get("raised_exception"):
            checks.append(Check(title, False, f"校验未能运行：{error.get('exception_message')}"))
        elif outcome.success:
            checks.append(Check(title, True, "通过"))
        else:
            hits = list(dict.fromkeys(h["label"] for h in outcome.result.get("unexpected_index_list") or []))
            more = f"等 {len(hits)} 处" if len(hits) > SHOWN else ""
            where = f"：{'、'.join(hits[:SHOWN])}{more}" if hits else ""
            checks.append(Check(title, False, f"{meta.get('problem', '不符合要求')}{where}"))
    order = [e["meta"]["title"] for e in expectations]
    return sorted(checks, key=lambda c: order.index(c.expectation) if c.expectation in order else len(order))


def passed(checks: list[Check]) -> bool:
    return all(c.success for c in checks)


def failures_text(checks: list[Check]) -> str:
    """The failed checks, one line each, for messages and logs."""
    return "\n".join(f"- {c.expectation}：{c.detail}" for c in checks if not c.success)
