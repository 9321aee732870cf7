"""A chunk of raw donation lines as columns (polars).

:func:`read_chunk` reads every line one of two ways, with the same result:

- *plainly*, all lines at once: polars splits the chunk at commas (no quoting) and each field is
  checked with a regular expression that accepts a part of what :func:`parse_line` accepts
  (ASCII digits, ids of printable ASCII, no quotes, no spaces to strip); the time is read with
  ``strptime`` when it is ``YYYY-MM-DD HH:MM:SS``, else from one regular expression's groups,
  and a time without offset is put in the campaign's time zone;
- *carefully*, one by one (:func:`parse_line`), each line the plain reading does not take:
  quoted fields, spaces, Unicode digits, dates that do not exist, a local time the time zone
  skips, blank lines; and whole chunks of GB18030 files, of bytes that are not UTF-8 or with a
  line of more than four fields.

Imported only by the import itself (polars is not needed by any other command).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from insday.steps.records import Header, Line, lines

RECORD_SCHEMA = {"donated_at": pl.Datetime("us", "UTC"), "participant_id": pl.String, "region": pl.String,
                 "steps": pl.Int32, "raw_line": pl.String}

# The plain reading: ASCII-only parts of records._FIELD, as Rust regular expressions.
_PLAIN = {
    "donated_at": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
                  r"(?:Z|[+-](?:0[0-9]|1[0-4])(?::?[0-5][0-9])?)?$",
    "participant_id": r"^[\x21\x23-\x2B\x2D-\x7E]+$",  # printable ASCII but '"' and ','
    "region": r'^[^,"\r\n\x00]+$',
    "steps": r"^[0-9]{1,9}$",
}
_TIME_PARTS = (r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
               r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$")
_SECOND = 1_000_000  # microseconds
_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def read_chunk(header: Header, data: bytes, tz: str) -> pl.DataFrame:
    """The records of a chunk of whole lines (``\\n`` ends) in file order, blank lines left out:
    the columns of RECORD_SCHEMA, ``donated_at`` in UTC; a malformed line has only ``raw_line``."""
    plain = read_plainly(header, data, tz)
    if plain is None:
        return read_carefully(header, data, tz)
    bad = plain["ok"].not_().arg_true()
    if not bad.len():
        return plain.drop("ok")
    raw = data.split(b"\n")
    careful = [(row, line) for row in bad
               if (line := next(lines(header, raw[row] + b"\n"), None)) is not None]  # None: a blank line
    taken = _frame(header, tz, [line for _, line in careful]).select(
        pl.Series("row", [row for row, _ in careful], dtype=pl.UInt32), *RECORD_SCHEMA)
    plain = plain.with_row_index("row").filter("ok").drop("ok")
    return pl.concat([plain, taken]).sort("row").drop("row")


def read_plainly(header: Header, data: bytes, tz: str) -> pl.DataFrame | None:
    """Every line of the chunk read plainly (RECORD_SCHEMA), and ``ok`` where that was enough;
    None when the chunk cannot be split plainly."""
    if header.encoding != "utf-8" or b"\r" in data:
        return None
    try:
        text = pl.read_csv(data, has_header=False, schema={name: pl.String for name in header.order},
                           quote_char=None)
    except pl.exceptions.PolarsError:  # a line with more than four fields, bytes that are not UTF-8
        return None
    if text.height != np.count_nonzero(np.frombuffer(data, np.uint8) == ord("\n")):
        return None
    stamp = pl.col("donated_at")
    shaped = pl.all_horizontal(pl.col(name).str.contains(pattern) for name, pattern in _PLAIN.items())
    text = text.with_columns(ok=(shaped & ~stamp.str.starts_with("0000")).fill_null(False))  # datetime has no year 0
    length = stamp.str.len_bytes()
    text = text.with_columns(  # YYYY-MM-DD HH:MM:SS; YYYY-MM-DDTHH:MM:SS+HH:MM; the other forms
        naive=pl.col("ok") & (length == 19) & ~stamp.str.contains("T", literal=True),
        offset=pl.col("ok") & (length == 25) & (stamp.str.slice(10, 1) == "T"))
    moment = _from_local(_parsed(text, "naive", "%Y-%m-%d %H:%M:%S", pl.Datetime("us")), tz)
    if text["offset"].any():
        moment = moment.fill_null(_parsed(text, "offset", "%Y-%m-%dT%H:%M:%S%:z", pl.Datetime("us", "UTC")))
    rows = (text["ok"] & ~text["naive"] & moment.is_null()).arg_true()  # a fraction, no seconds, Z, +08 ...
    if rows.len():
        other = _other_times(text["donated_at"].gather(rows))
        moment = moment.scatter(rows, _from_local(other["naive"], tz).fill_null(other["utc"]))
    return text.select(
        donated_at=moment, participant_id="participant_id", region="region",
        steps=pl.col("steps").cast(pl.Int32, strict=False), raw_line=pl.lit(None, pl.String),
        ok=pl.col("ok") & moment.is_not_null(),
    )


def _parsed(text: pl.DataFrame, form: str, layout: str, dtype: pl.DataType) -> pl.Series:
    """The times of the rows of that form (null elsewhere, and where the date does not exist)."""
    if not text[form].any():
        return pl.repeat(None, text.height, dtype=dtype, eager=True)
    stamp = pl.col("donated_at")
    return text.select(pl.when(form).then(stamp.str.strptime(dtype, layout, strict=False))).to_series()


def _from_local(naive: pl.Series, tz: str) -> pl.Series:
    """Campaign times without offset in UTC, where ``datetime.replace(tzinfo=zone)`` puts them
    (a time the zone skips: null, so the careful reading decides)."""
    offset = _fixed_offset(ZoneInfo(tz), naive.min(), naive.max())
    if offset is not None:
        return (naive - offset).dt.replace_time_zone("UTC")
    return naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def _fixed_offset(zone: ZoneInfo, first: datetime | None, last: datetime | None) -> timedelta | None:
    """The zone's UTC offset when it is the same from first to last (as local times), else None.
    Checked every hour from an hour before to an hour after: no zone changes its offset and
    back within an hour. Spans over 40 days, or at the ends of datetime's range, are not
    checked (None)."""
    if first is None or first.year < 2 or last.year > 9998 or last - first > timedelta(days=40):
        return None
    hours = int((last - first) / timedelta(hours=1)) + 2
    offsets = {zone.utcoffset(first + timedelta(hours=h)) for h in range(-1, hours + 1)}
    return offsets.pop() if len(offsets) == 1 else None


def _other_times(stamps: pl.Series) -> pl.DataFrame:
    """``naive`` (no offset given) or ``utc`` (an offset given) of times in the other ISO forms;
    both null when the date does not exist."""
    parts = stamps.str.extract_groups(_TIME_PARTS).struct.unnest()
    day = pl.col("1").str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime("us")).dt.epoch("us")
    clock = ((pl.col("2").cast(pl.Int64) * 60 + pl.col("3").cast(pl.Int64)) * 60 * _SECOND
             + pl.col("4").cast(pl.Int64).fill_null(0) * _SECOND
             + pl.col("5").str.pad_end(6, "0").cast(pl.Int64).fill_null(0))
    offset = pl.col("6")
    minutes = (pl.when(offset == "Z").then(0)
               .otherwise(offset.str.slice(1, 2).cast(pl.Int64) * 60
                          + pl.when(offset.str.len_bytes() > 3).then(offset.str.slice(-2).cast(pl.Int64)).otherwise(0))
               * pl.when(offset.str.starts_with("-")).then(-1).otherwise(1))
    return parts.select(
        naive=pl.when(offset.is_null()).then(day + clock).cast(pl.Datetime("us")),
        utc=pl.when(offset.is_not_null()).then(day + clock - minutes * 60 * _SECOND).cast(pl.Datetime("us", "UTC")),
    )


def read_carefully(header: Header, data: bytes, tz: str) -> pl.DataFrame:
    """The records of a chunk read line by line the careful way (what read_chunk returns)."""
    return _frame(header, tz, list(lines(header, data)))


def _frame(header: Header, tz: str, records: list[Line]) -> pl.DataFrame:
    zone = ZoneInfo(tz)
    position = {name: i for i, name in enumerate(header.order)}
    rows = []
    for line in records:
        if line.fields is None:
            rows.append((None, None, None, None, line.raw))
            continue
        moment = datetime.fromisoformat(line.fields[position["donated_at"]])
        moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
        rows.append(((moment - _EPOCH) // _MICROSECOND, line.fields[position["participant_id"]],
                     line.fields[position["region"]], int(line.fields[position["steps"]]), None))
    return pl.DataFrame(rows, schema={**RECORD_SCHEMA, "donated_at": pl.Int64}, orient="row").with_columns(
        pl.col("donated_at").cast(RECORD_SCHEMA["donated_at"]))
