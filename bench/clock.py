"""Time units and random moments for the benchmark dataset."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in [start, end] (``start`` when the range is empty)."""
    span = (end - start).total_seconds()
    return start + timedelta(seconds=rng.uniform(0, span)) if span > 0 else start
