"""The one xlsx text neutraliser and the masks every published output uses."""

from __future__ import annotations

import pytest
from openpyxl import Workbook, load_workbook

from insday.safe import mask_phone, put_cell, safe_url


@pytest.mark.parametrize("text", ["=1+1", '=HYPERLINK("http://evil.example","x")', "+86 139", "-2+3", "@SUM(A1:A2)",
                                  "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_stays_text(tmp_path, text):
    book = Workbook()
    put_cell(book.active["A1"], text)
    put_cell(book.active["A2"], "普通文字")
    put_cell(book.active["A3"], 42)
    book.save(tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert (ws["A1"].value, ws["A1"].data_type, ws["A1"].quotePrefix) == (text, "s", True)  # exactly as sent
    assert (ws["A2"].value, ws["A2"].quotePrefix) == ("普通文字", False)
    assert (ws["A3"].value, ws["A3"].data_type) == (42, "n")


def test_characters_xlsx_cannot_hold_are_dropped(tmp_path):
    book = Workbook()
    put_cell(book.active["A1"], "a\x00b\x0bc\nd")
    book.save(tmp_path / "x.xlsx")
    assert load_workbook(tmp_path / "x.xlsx").active["A1"].value == "abc\nd"


@pytest.mark.parametrize(("text", "masked"), [
    ("13912345678", "139****5678"), ("0431-85000312", "0431-****0312"), ("043185000312", "0431-****0312"),
    ("+86 139 1234 5678", "+86 139****5678"), ("139-1234-5678", "139****5678"),
    ("电话 13165227634 或 0432-64945847", "电话 131****7634 或 0432-****5847"),
    ("0437-6079099", "0437-****9099"), ("123456789012345", "123****2345"), ("12345", "12345"), ("", ""),
])
def test_phone_numbers_are_masked(text, masked):
    assert mask_phone(text) == masked


def test_only_web_links_are_linked():
    assert safe_url(" https://v.douyin.com/a/ ") == "https://v.douyin.com/a/"
    assert safe_url("http://example.org/x?a=1&b=2") == "http://example.org/x?a=1&b=2"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,x", 'http://x" onclick="a', "ftp://x",
                None, 42):
        assert safe_url(bad) is None
