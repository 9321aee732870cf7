"""What submitters wrote, made safe for the places insday publishes it.

- :func:`put_cell` is the one way text goes into an xlsx cell (the essay, report and
  bulletin workbooks all use it): a text is always a text cell, and a text Excel would
  read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) is also marked
  with Excel's quote prefix, so neither opening nor editing the cell ever runs it. The
  characters people see are exactly the ones they sent.
- :func:`safe_url` keeps only http(s) links, for ``href`` attributes (autoescaping stops
  markup, not a ``javascript:`` link).
- :func:`mask_phone` for anything published: ``139****5678``, ``0431-****0312``
  (participant ids come masked from ``insday.steps``).

HTML escaping itself is Jinja2's autoescape in every template.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters an xlsx file cannot hold (openpyxl refuses them): C0 controls but tab, LF, CR.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[-\s]?)?1[3-9]\d)[-\s]?\d{4}[-\s]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])(0\d{2,3})[-\s]?\d{3,4}(\d{4})(?!\d)")
_OTHER_DIGITS = re.compile(r"(?<![\d*])(\d{3})\d{4,}(\d{4})(?!\d)")


def formula_like(value) -> bool:
    """Whether a spreadsheet program would read this text as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def put_cell(cell, value):
    """Write ``value`` into an openpyxl cell; text stays text, never a formula (see module doc)."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        cell.value = value
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def safe_url(value) -> str | None:
    """The link if it is an http(s) address on one line, else None (not to be linked)."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    if re.match(r"(?i)^https?://[^\s<>\"'`]+$", link):
        return link
    return None


def mask_phone(text: str | None) -> str | None:
    """Phone numbers in ``text`` masked: mobile ``139****5678``, landline ``0431-****0312``,
    any other run of 11+ digits keeps 3 in front and 4 at the end."""
    if not text:
        return text
    text = _MOBILE.sub(r"\1****\2", str(text))
    text = _LANDLINE.sub(r"\1-****\2", text)
    return _OTHER_DIGITS.sub(r"\1****\2", text)

