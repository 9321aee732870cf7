"""One pass over a raw donation file: every record to store, every reject with its reason, and
the file's counted records settled and summed (polars and NumPy, in worker threads).

The file is cut into chunks of whole lines (:data:`records.CHUNK_BYTES`). Two threads read
chunks into records (:func:`columns.read_chunk`); a third, in file order, numbers the records,
decides for each the first reason it does not count (malformed, outside_window,
unknown_region, below_min_steps), gives participants numbers (polars Categories), keeps the
counted records per day (:class:`tally.Tally`) and encodes the records for the database; the
caller stores each chunk's records while the next ones are read. :meth:`FileStream.rejects`
then gives the records that do not count, and :meth:`FileStream.result` settles same-day
repeats (the first donation wins, :func:`rules.first_donation_order`; the others are
repeat_same_day) and gives what the counted records add up to per participant (day mask,
counted steps) and per region and day.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
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


@dataclass
class Counted:
    """What one file brings: its records, rejects and the sums of its counted records."""

    records: int
    repeats: np.ndarray  # numbers of the records that are a participant's second donation of a day
    participants: pl.DataFrame  # participant_id, mask, counted
    region_days: pl.DataFrame  # region (code), idx, donations, steps (as donated)
    first_idx: int | None  # days of the valid records (before same-day repeats)
    last_idx: int | None
    aliases: dict[str, str]  # region spellings first met (written unusually) -> code


class FileStream:
    def __init__(self, header: Header, fh, campaign: Campaign, cal: StepCalendar, aliases: dict[str, str],
                 encode: Callable[[pl.DataFrame], object]):
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
        self.categories = pl.Categories.random()  # participant id -> number, in order of appearance
        self._keep = pl.Series([], dtype=pl.Categorical(self.categories))  # polars drops unused mappings
        self.tally = Tally(len(cal.days))
        self.participants = 0  # participant numbers handed out
        self.count = 0
        self.rejects_found: list[tuple[np.ndarray, np.ndarray]] = []
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
            who = frame["participant_id"].cast(pl.Categorical(self.categories)).to_physical()
            who = who.fill_null(0).to_numpy()[valid]
            self.participants = max(self.participants, int(who.max()) + 1)
            self.tally.add(who, day, t, number[valid], steps[valid], region[valid])
        self.rejects_found.append((number[~valid], reason[~valid]))
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

    def rejects(self) -> pl.DataFrame:
        """The records that do not count, known once the chunks are read (same-day repeats are
        decided by result): record (number in the file), reason."""
        numbers = np.concatenate([n for n, _ in self.rejects_found]) if self.rejects_found else np.empty(0, np.int64)
        reasons = np.concatenate([r for _, r in self.rejects_found]) if self.rejects_found else np.empty(0, np.int8)
        return pl.DataFrame({"record": numbers, "reason": np.array(REASONS)[reasons.astype(np.int64) - 1]},
                            schema={"record": pl.Int64, "reason": pl.String})

    def result(self) -> Counted:
        """Settle the counted records: what the file brings."""
        sums = self.tally.settle(self.participants, self.factors, len(self.codes))
        who = np.flatnonzero(sums.mask)
        ids = pl.Series(who.astype(np.uint32)).cat.to(pl.Categorical(self.categories)).cast(pl.String)
        region, day = np.nonzero(sums.region_donations)
        return Counted(
            records=self.count,
            repeats=np.concatenate(sums.lost) if sums.lost else np.empty(0, np.int64),
            participants=pl.DataFrame({"participant_id": ids, "mask": sums.mask[who], "counted": sums.counted[who]}),
            region_days=pl.DataFrame({
                "region": np.array(self.codes)[region], "idx": day.astype(np.int32),
                "donations": sums.region_donations[region, day].astype(np.int32),
                "steps": sums.region_steps[region, day]}, schema_overrides={"region": pl.String}),
            first_idx=min(self.days) if self.days else None,
            last_idx=max(self.days) if self.days else None,
            aliases=self.new_aliases,
        )


def _us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - _EPOCH) // timedelta(microseconds=1)
