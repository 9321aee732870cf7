"""A file's counted records, settled per participant and day and summed (polars and NumPy).

While the file is read, each chunk's counted records (participant id, a 64-bit hash of it, day,
time, record, steps, region) are appended to one of a few temporary files (Arrow IPC) chosen by
the hash, about 8 MB of the file per bucket, so memory grows neither with the records nor with the
participants. At the end each bucket is settled on its own, one after the other: a participant
with two records on a day keeps the first (:func:`insday.steps.rules.first_donation_order`: the
earliest ``donated_at``, equal times the earlier record), the others lose (``repeat_same_day``);
the winners are summed per participant (day mask, counted steps) and per region and day.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

BUCKET_BYTES = 8 << 20  # of the raw file, per bucket


@dataclass
class Settled:
    """What one bucket's counted records add up to."""

    participants: pl.DataFrame  # participant_id, mask (bit i: a counted donation on day i), counted (doubled)
    lost: np.ndarray  # records that are not their participant's first of the day
    region_donations: np.ndarray  # (regions, days)
    region_steps: np.ndarray  # (regions, days), as donated


class Tally:
    def __init__(self, days: int, file_bytes: int):
        self.days = days
        self.buckets = max(1, min(256, file_bytes // BUCKET_BYTES))
        self.files: list = [None] * self.buckets  # (temporary file, IPC writer)

    def add(self, frame: pl.DataFrame) -> None:
        """Keep a batch of counted records (participant_id, day, t, record, steps, region; in
        record order, after those added before)."""
        frame = frame.with_columns(hash=pl.col("participant_id").hash())
        if self.buckets == 1:
            parts = {0: frame}
        else:
            parts = {key: part for (key,), part in frame.with_columns(bucket=pl.col("hash") % self.buckets)
                     .partition_by("bucket", include_key=False, as_dict=True).items()}
        for b, part in parts.items():
            table = part.to_arrow(compat_level=pl.CompatLevel.newest())
            if self.files[b] is None:
                fh = tempfile.TemporaryFile(prefix="insday-steps-")
                self.files[b] = (fh, pa.ipc.new_stream(fh, table.schema))
            self.files[b][1].write_table(table)

    def settle(self, factors: np.ndarray, regions: int) -> Iterator[Settled]:
        """Settle bucket after bucket (each file is closed once read)."""
        for b, entry in enumerate(self.files):
            if entry is None:
                continue
            fh, writer = entry
            writer.close()
            fh.seek(0)
            with pa.ipc.open_stream(fh) as reader:
                rows = pl.from_arrow(reader.read_all())
            fh.close()
            self.files[b] = None
            yield _settle(rows, factors, regions)


def _settle(rows: pl.DataFrame, factors: np.ndarray, regions: int) -> Settled:
    days = len(factors)
    ids, who = numbers(rows["participant_id"], rows["hash"].to_numpy())
    day = rows["day"].to_numpy().astype(np.int64)
    t, record = rows["t"].to_numpy(), rows["record"].to_numpy()
    key = who * days + day  # participant and day
    first = np.ones(len(rows), bool)
    slots = np.arange(len(rows), dtype=np.int32)
    stamp = np.zeros(len(ids) * days, np.int32)
    stamp[key] = slots  # a participant with two records a day: one slot is left
    twice = stamp[key] != slots
    if twice.any():
        again = np.zeros(len(stamp), bool)
        again[key[twice]] = True
        both = np.flatnonzero(again[key])
        both = both[np.lexsort((t[both], key[both]))]  # stable: equal times keep record order
        first[both[1:][key[both][1:] == key[both][:-1]]] = False
    who, day = who[first], day[first]
    steps, region = rows["steps"].to_numpy()[first].astype(np.int64), rows["region"].to_numpy()[first]
    where = region.astype(np.int64) * days + day
    return Settled(
        participants=pl.DataFrame({"participant_id": ids,
                                   "mask": _sums(who, np.int64(1) << day, len(ids)),  # one bit per day: sum = or
                                   "counted": _sums(who, steps * factors[day], len(ids))}),
        lost=record[~first],
        region_donations=np.bincount(where, minlength=regions * days).reshape(regions, days),
        region_steps=_sums(where, steps, regions * days).reshape(regions, days),
    )


def numbers(ids: pl.Series, hashes: np.ndarray) -> tuple[pl.Series, np.ndarray]:
    """The distinct ids and, per row, the number of its id among them. Numbered by the ids'
    64-bit hashes; should two ids share a hash, by the ids themselves."""
    _, first, who = np.unique(hashes, return_index=True, return_inverse=True)
    distinct = ids.gather(first)
    if (distinct.gather(who) != ids).any():  # a collision
        distinct, who = np.unique(ids.to_numpy(), return_inverse=True)
        distinct = pl.Series(distinct, dtype=pl.String)
    return distinct, who.astype(np.int64)


def _sums(keys: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums of values (non-negative, below 2**47) per key 0..size-1: bincount adds in
    float64, exact below 2**53, so the values are added in two halves of 24 bits."""
    low = np.bincount(keys, weights=values & 0xFFFFFF, minlength=size)
    high = np.bincount(keys, weights=values >> 24, minlength=size)
    return (high.astype(np.int64) << 24) + low.astype(np.int64)
