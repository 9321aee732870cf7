"""Turn what submitters type into values, or say in Chinese why not.

Each parser returns the value or raises :class:`BadValue` whose text completes
the sentence "值「…」……", followed by how to fix it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

EXCEL_EPOCH = date(1899, 12, 30)
_SEPARATORS = re.compile(r"[,\s'’_]")
_MULTIPLIERS = {"万": 10_000, "亿": 100_000_000}
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MD = re.compile(r"^(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$")  # m:ss or h:mm:ss
_SPOKEN = re.compile(r"^(?:(\d+(?:\.\d+)?)(?:分钟|分|min|m|′|'))?(?:(\d+(?:\.\d+)?)(?:秒钟|秒|sec|s|″|\"))?$")


class BadValue(ValueError):
    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def clean_text(value) -> str | None:
    """Stripped text as written; None for blanks. Excel's 12.0 becomes '12'."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip() or None


def folded(value) -> str:
    """Text for reading numbers and dates: NFKC (full-width digits and punctuation to ASCII)."""
    return unicodedata.normalize("NFKC", clean_text(value) or "")


def parse_number(value) -> Decimal:
    """Numbers as people write them: full-width digits, 1,234 / 1 234, 1.2万; rejects the rest."""
    if isinstance(value, bool):
        raise BadValue("不是数字", "请填写阿拉伯数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise BadValue("不是数字", "请填写阿拉伯数字")
        return Decimal(repr(value))
    body = _SEPARATORS.sub("", folded(value))
    multiplier = 1
    if body and body[-1] in _MULTIPLIERS:
        multiplier, body = _MULTIPLIERS[body[-1]], body[:-1]
    try:
        number = Decimal(body) * multiplier
    except InvalidOperation:
        raise BadValue("不是数字", "请只填写阿拉伯数字，不要带单位或文字，如 12000") from None
    if not number.is_finite():
        raise BadValue("不是数字", "请填写阿拉伯数字")
    return number


def parse_integer(value) -> int:
    number = parse_number(value)
    if number != number.to_integral_value():
        raise BadValue("不是整数", "请填写整数，不要带小数")
    return int(number)


def parse_date(value, year: int) -> date:
    """2019-06-26, 2019/6/26, 2019年6月26日, 6月26日 (campaign year), 20190626 or an Excel serial."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 < value < 80000:  # Excel serial day number (1954..2119)
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise BadValue("不是日期", "请按 2019-06-26 的格式填写日期")
    text = re.sub(r"\s+\d{1,2}:\d{2}(:\d{2})?$", "", folded(value))  # "2019-06-26 00:00:00" from CSV exports
    try:
        if m := _YMD.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _COMPACT.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MD.match(text):
            return date(year, int(m[1]), int(m[2]))
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return parse_date(float(text), year)
    except ValueError:
        raise BadValue("不是有效日期", "请检查月份和日期，如 2019-06-26") from None
    raise BadValue("不是可识别的日期", "请按 2019-06-26 的格式填写日期")


def parse_datetime(value, year: int, tz: ZoneInfo) -> datetime:
    """A date with an optional time (local to the campaign); Excel serials with fractions too."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return datetime.combine(EXCEL_EPOCH, time(0), tz) + timedelta(days=float(value))
    parts = folded(value).replace("T", " ").split()
    day = parse_date(parts[0] if parts else "", year)
    clock = time(0)
    if len(parts) > 1:
        m = _TIME.match(parts[1])
        if not m:
            raise BadValue("不是可识别的时间", "请按 2019-04-12 10:23 的格式填写")
        clock = time(int(m[1]), int(m[2]), int(m[3] or 0))
    return datetime.combine(day, clock, tz)


def _whole_seconds(seconds: Decimal) -> int:
    """Seconds rounded up: 60.4 s is over a minute."""
    return int(seconds.to_integral_value(rounding="ROUND_CEILING"))


def parse_seconds(value, factor=1) -> int:
    """A duration in whole seconds: 65, 65秒, 1分5秒, 1:05, 0:01:05; a plain number is in the
    header's unit (``factor`` seconds each: 60 for 时长(分钟)). Excel turns a typed 1:05 into
    the time 01:05:00: a time without seconds is read as minutes:seconds, as it was meant."""
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, time):
        if value.second == 0 and not value.microsecond:
            return value.hour * 60 + value.minute
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, timedelta):
        return _whole_seconds(Decimal(str(value.total_seconds())))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _whole_seconds(parse_number(value) * Decimal(factor))
    text = re.sub(r"\s+", "", folded(value)).lower()
    if m := _CLOCK.match(text):
        hours, minutes, seconds = int(m[1] or 0), int(m[2]), Decimal(m[3])
        if seconds >= 60 or (m[1] and minutes >= 60):
            raise BadValue("不是有效的时长", "分、秒须小于 60，如 1:05 表示 1 分 5 秒")
        return _whole_seconds(hours * 3600 + minutes * 60 + seconds)
    if text and (m := _SPOKEN.match(text)) and (m[1] or m[2]):
        return _whole_seconds(Decimal(m[1] or 0) * 60 + Decimal(m[2] or 0))
    try:
        return _whole_seconds(parse_number(text) * Decimal(factor))
    except BadValue:
        raise BadValue("不是可识别的时长", "请填写秒数，如 45；也可写作 0:45、1分05秒") from None
