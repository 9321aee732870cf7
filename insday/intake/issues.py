"""Validation messages: Chinese, naming the file, the row as Excel shows it, the column,
the value and how to fix it.

Each issue keeps its parts too (``value``, ``problem``, ``fix``), so a validation report can
show them in their own columns (:mod:`insday.intake.pages`); ``message`` is the whole
sentence, as receipts and the CLI print it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, TypedDict

Severity = Literal["error", "warning"]


class IssueReport(TypedDict):
    """An error or warning as ``insday ingest --json`` and the receipts give it."""

    row: int | None  # as Excel shows it; None for a problem of the whole file
    column: str | None  # as the template heads it
    message: str  # the whole sentence
    value: str | None  # the cell as written (shortened); None for a blank cell or a file-level issue
    problem: str | None
    fix: str | None


@dataclass(frozen=True)
class Issue:
    severity: Severity
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None  # the cell as written (shortened), None for a blank cell or a file-level issue
    problem: str | None = None
    fix: str | None = None

    def as_dict(self) -> IssueReport:
        return {"row": self.row, "column": self.column, "message": self.message, "value": self.value,
                "problem": self.problem, "fix": self.fix}


def _show(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def split_advice(text: str) -> tuple[str, str | None]:
    """(what is wrong, how to fix it) of a sentence written "problem。fix"."""
    head, sep, tail = text.partition("。")
    return (head, tail.strip() or None) if sep and tail.strip() else (text.rstrip("。"), None)


def cell_issue(severity: Severity, filename: str, row: int, header: str, value, problem: str,
               fix: str) -> Issue:
    if value is None or (isinstance(value, str) and not value.strip()):
        text = f"文件「{filename}」第{row}行「{header}」列：未填写。{fix}"
        return Issue(severity, text, row, header, None, "未填写", fix)
    text = f"文件「{filename}」第{row}行「{header}」列：值「{_show(value)}」{problem}。{fix}"
    return Issue(severity, text, row, header, _show(value), problem, fix)


def file_issue(severity: Severity, filename: str, text: str, row: int | None = None,
               column: str | None = None) -> Issue:
    where = f"第{row}行：" if row else ""
    problem, fix = split_advice(text)
    return Issue(severity, f"文件「{filename}」：{where}{text}", row, column, None, problem, fix)


@dataclass
class ParsedFile:
    path: Path
    filename: str
    report_type: str | None = None
    unit: str | None = None
    period: date | None = None
    records: list[dict] = field(default_factory=list)  # column key -> value, plus "_row"
    headers: dict[str, str] = field(default_factory=dict)  # column key -> header shown to users
    issues: list[Issue] = field(default_factory=list)
    media: list = field(default_factory=list)  # insday.intake.media.MediaFile: files sent with the sheet in a zip

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def error(self, text: str, row: int | None = None, column: str | None = None) -> None:
        self.issues.append(file_issue("error", self.filename, text, row, column))

    def warn(self, text: str, row: int | None = None, column: str | None = None) -> None:
        self.issues.append(file_issue("warning", self.filename, text, row, column))
