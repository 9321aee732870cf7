"""Validation messages: Chinese, naming the file, the row as Excel shows it, the column,
the value and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    severity: Severity
    message: str
    row: int | None = None
    column: str | None = None

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def _show(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def cell_issue(severity: Severity, filename: str, row: int, header: str, value, problem: str,
               fix: str) -> Issue:
    if value is None or (isinstance(value, str) and not value.strip()):
        text = f"文件「{filename}」第{row}行「{header}」列：未填写。{fix}"
    else:
        text = f"文件「{filename}」第{row}行「{header}」列：值「{_show(value)}」{problem}。{fix}"
    return Issue(severity, text, row, header)


def file_issue(severity: Severity, filename: str, text: str, row: int | None = None,
               column: str | None = None) -> Issue:
    where = f"第{row}行：" if row else ""
    return Issue(severity, f"文件「{filename}」：{where}{text}", row, column)
