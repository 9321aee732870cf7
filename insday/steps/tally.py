"""A file's counted records, settled per participant and day and summed (NumPy).

While the file is read, each chunk's counted records (participant number, time, record, steps,
region: 26 bytes) are appended to a temporary file per day of the step run, so memory does not
grow with the file. At the end each day is settled on its own: a participant with two records
that day keeps the first (:func:`insday.steps.rules.first_donation_order`: the earliest
``donated_at``, equal times the earlier record), the others lose (``repeat_same_day``); the winners are summed per participant (day mask, counted steps) and
per region.
"""

from __future__ import annotations

import tempfile

import numpy as np

RECORD = np.dtype([("who", "<u4"), ("t", "<i8"), ("record", "<i8"), ("steps", "<i4"), ("region", "<i2")])


class Tally:
    def __init__(self, days: int):
        self.files = [None] * days

    def add(self, who: np.ndarray, day: np.ndarray, t: np.ndarray, record: np.ndarray, steps: np.ndarray,
            region: np.ndarray) -> None:
        """Keep a batch of counted records (in record order, after those added before)."""
        rows = np.empty(len(who), RECORD)
        rows["who"], rows["t"], rows["record"], rows["steps"], rows["region"] = who, t, record, steps, region
        per_day = np.bincount(day, minlength=len(self.files))
        for d in np.flatnonzero(per_day):
            if self.files[d] is None:
                self.files[d] = tempfile.TemporaryFile(prefix="insday-steps-")
            (rows if per_day[d] == len(rows) else rows[day == d]).tofile(self.files[d])

    def settle(self, participants: int, factors: np.ndarray, regions: int) -> Settled:
        """Settle every day; participants: how many participant numbers there are."""
        out = Settled(participants, regions, len(self.files))
        stamp = np.zeros(participants, np.int32)  # scratch: a day's row numbers by participant
        for d, fh in enumerate(self.files):
            if fh is None:
                continue
            fh.seek(0)
            rows = np.fromfile(fh, RECORD)
            fh.close()
            self.files[d] = None
            who, t = np.ascontiguousarray(rows["who"]), np.ascontiguousarray(rows["t"])
            first = np.ones(len(rows), bool)
            numbers = np.arange(len(rows), dtype=np.int32)
            stamp[who] = numbers  # a participant with two records that day: one number is left
            twice = stamp[who] != numbers
            if twice.any():
                again = np.zeros(participants, bool)
                again[who[twice]] = True
                both = np.flatnonzero(again[who])
                both = both[np.lexsort((t[both], who[both]))]  # stable: equal times keep record order
                first[both[1:][who[both][1:] == who[both][:-1]]] = False
                out.lost.append(rows["record"][~first])
            who, steps, region = who[first], rows["steps"][first], rows["region"][first]
            out.mask[who] |= np.int64(1) << d
            out.counted[who] += steps.astype(np.int64) * int(factors[d])
            out.region_donations[:, d] = np.bincount(region, minlength=regions)
            out.region_steps[:, d] = _sums(region, steps, regions)
        return out

    def close(self) -> None:
        for fh in self.files:
            if fh is not None:
                fh.close()


class Settled:
    """The winners' sums: per participant number and per (region, day)."""

    def __init__(self, participants: int, regions: int, days: int):
        self.mask = np.zeros(participants, np.int64)  # bit i: a counted donation on day i
        self.counted = np.zeros(participants, np.int64)  # steps, double days multiplied
        self.region_donations = np.zeros((regions, days), np.int64)
        self.region_steps = np.zeros((regions, days), np.int64)  # as donated
        self.lost: list[np.ndarray] = []  # records that are not their participant's first of the day


def _sums(keys: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact int64 sums of values (at most 9 digits) per key 0..size-1: bincount adds in float64,
    exact below 2**53, so the values are added in two halves of 16 bits."""
    low = np.bincount(keys, weights=values & 0xFFFF, minlength=size)
    high = np.bincount(keys, weights=values >> 16, minlength=size)
    return (high.astype(np.int64) << 16) + low.astype(np.int64)
