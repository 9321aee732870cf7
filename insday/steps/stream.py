"""One pass over a raw donation file: every record to store, every reject with its reason, and
the file's counted records settled and summed (polars and NumPy, in worker threads).

The file is cut into chunks of whole lines (:data:`records.CHUNK_BYTES`). Two threads read
chunks into records (:func:`columns.read_chunk`); a third, in file order, numbers the records,
decides for each the first reason it does not count (malformed, outside_window,
unknown_region, below_min_steps; one byte per record), keeps the counted records in buckets
by participant on disk (:class:`tally.Tally`) and encodes the records for the database; the
caller stores each chunk's records while the next ones are read. :meth:`FileStream.participants`
then settles same-day repeats bucket by bucket (the first donation wins,
:func:`rules.first_donation_order`; the others are repeat_same_day) and gives what the counted
records add up to per participant (day mask, counted steps), :meth:`FileStream.region_days`
per region and day, and :meth:`FileStream.rejects` the records that do not count, in record
order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl

from insday.campaign import Campaign
from insday.steps.columns import read_chunk
from insday.steps.records import Header, chunks
from insday.steps.rules import REJECT_REASONS, RegionResolver, StepCalendar
from insday.steps.tally import Tally

REASONS = tuple(REJECT_REASONS)[:4]  # codes 1..4, checked in this order (repeat_same_day: by result)
_READERS = 2
_AHEAD = 3  # chunks read and classified ahead of the caller
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NO_TIME = np.iinfo(np.int64).min  # a malformed record's time


class FileStream:
    def __init__(self, header: Header, fh, campaign: Campaign, cal: StepCalendar, aliases: dict[str, str],
                 encode: Callable[[pl.DataFrame], object], file_bytes: int):
        self.header, self.fh, self.tz, self.encode = header, fh, campaign.timezone, encode
        self.codes = [r.code for r in campaign.steps.regions]
        index = {code: i for i, code in enumerate(self.codes)}
        self.spellings = {s: index[code] for s, code in {**aliases, **RegionResolver(campaign.steps.regions)
                                                               .spellings()}.items() if code in index}
        self.resolver = RegionResolver(campaign.steps.regions)
        self.tried: set[str] = set()
        self.new_aliases: dict[str, str] = {}
        self.start, self.end = _us(cal.start), _us(cal.end)
        self.day_starts = np.array([_us(campaign.at(day)) for day in cal.days], np.int64)
        self.factors = np.array([cal.factor(day) for day in cal.days], np.int64)
        self.min_steps = cal.min_steps
        self.tally = Tally(len(cal.days), file_bytes)
        self.count = 0
        self.reasons: list[np.ndarray] | np.ndarray = []  # per record: 0 counts, else 1 + index in REJECT_REASONS
        self.days: list[int] = []

    def batches(self) -> Iterator[object]:
        """Each chunk's records (``record``: number in the file from 0, then RECORD_SCHEMA) as
        ``encode`` made them. Chunks are read by two threads and classified and encoded by a
        third, in file order, a few chunks ahead of the caller."""
        with (ThreadPoolExecutor(_READERS, thread_name_prefix="steps-read") as readers,
              ThreadPoolExecutor(1, thread_name_prefix="steps-settle") as settler):
            pending: deque = deque()
            for data in chunks(self.fh):
                frame = readers.submit(read_chunk, self.header, data, self.tz)
                pending.append(settler.submit(self._settle, frame))
                if len(pending) > _AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def _settle(self, frame: Future) -> object:
        """Classify a chunk's records and keep the counted ones (chunks in file order)."""
        frame = frame.result()
        number = np.arange(self.count, self.count + frame.height, dtype=np.int64)
        self.count += frame.height
        t = frame["donated_at"].dt.epoch("us").fill_null(_NO_TIME).to_numpy()
        region = self._regions(frame["region"], (t >= self.start) & (t < self.end))
        steps = frame["steps"].fill_null(0).to_numpy()
        reason = np.select(  # the first that applies (1 + index in REASONS), 0 = counts
            [t == _NO_TIME, (t < self.start) | (t >= self.end), region < 0, steps < self.min_steps],
            [1, 2, 3, 4], 0).astype(np.int8)
        valid = reason == 0
        if valid.any():
            t = t[valid]
            day = np.searchsorted(self.day_starts, t, side="right") - 1
            self.days += [int(day.min()), int(day.max())]
            self.tally.add(pl.DataFrame({
                "participant_id": frame["participant_id"].filter(pl.Series(valid)), "day": day.astype(np.int8),
                "t": t, "record": number[valid], "steps": steps[valid], "region": region[valid]}))
        self.reasons.append(reason)
        return self.encode(frame.select(pl.Series("record", number), pl.all()))

    def _regions(self, written: pl.Series, inside: np.ndarray) -> np.ndarray:
        """Region number of each record, -1 if none is known by that spelling. A spelling met
        for the first time on a record within the window is resolved the careful way
        (" 北京 ", "北京市 ", "１１": known regions written unusually) and kept as an alias."""
        region = self._known(written)
        odd = set(written.filter(pl.Series(inside & (region < 0))).drop_nulls().unique()) - self.tried
        if odd:
            self.tried |= odd
            found = {s: code for s in odd if (code := self.resolver.resolve(s))}
            if found:
                self.new_aliases.update(found)
                self.spellings.update({s: self.codes.index(code) for s, code in found.items()})
                region = self._known(written)
        return region

    def _known(self, written: pl.Series) -> np.ndarray:
        spellings = pl.Enum(list(self.spellings))  # unknown spellings: null, the last entry of numbers
        numbers = np.array([*self.spellings.values(), -1], np.int16)
        return numbers[written.cast(spellings, strict=False).to_physical().fill_null(len(self.spellings)).to_numpy()]

    def participants(self) -> Iterator[pl.DataFrame]:
        """Settle the counted records, bucket after bucket: each bucket's participants with what
        they add up to (participant_id, mask, counted). The losers become repeat_same_day."""
        self.reasons = np.concatenate(self.reasons) if len(self.reasons) else np.empty(0, np.int8)
        self.region_donations = np.zeros((len(self.codes), len(self.factors)), np.int64)
        self.region_steps = np.zeros_like(self.region_donations)
        for bucket in self.tally.settle(self.factors, len(self.codes)):
            self.reasons[bucket.lost] = len(REASONS) + 1
            self.region_donations += bucket.region_donations
            self.region_steps += bucket.region_steps
            yield bucket.participants

    def region_days(self) -> pl.DataFrame:
        """After :meth:`participants`: the counted records' sums per region and day (region
        code, idx, donations, steps as donated)."""
        region, day = np.nonzero(self.region_donations)
        return pl.DataFrame({
            "region": np.array(self.codes)[region], "idx": day.astype(np.int32),
            "donations": self.region_donations[region, day].astype(np.int32),
            "steps": self.region_steps[region, day]}, schema_overrides={"region": pl.String})

    def rejects(self, rows: int = 1 << 20) -> Iterator[pl.DataFrame]:
        """After :meth:`participants`: the records that do not count, in record order (record:
        number in the file, reason), a frame per ``rows`` records."""
        labels = pl.Series(list(REJECT_REASONS), dtype=pl.String)
        for start in range(0, len(self.reasons), rows):
            part = self.reasons[start:start + rows]
            found = np.flatnonzero(part)
            yield pl.DataFrame({"record": found + start,
                                "reason": labels.gather(part[found].astype(np.int64) - 1)})

    def reject_counts(self) -> dict[str, int]:
        """After :meth:`participants`: the number of rejects per reason (those there are)."""
        counts = np.bincount(self.reasons, minlength=len(REJECT_REASONS) + 1)[1:]
        return {reason: int(n) for reason, n in zip(REJECT_REASONS, counts) if n}

    @property
    def first_idx(self) -> int | None:
        """The first day of the valid records (before same-day repeats)."""
        return min(self.days) if self.days else None

    @property
    def last_idx(self) -> int | None:
        return max(self.days) if self.days else None


def _us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - _EPOCH) // timedelta(microseconds=1)
