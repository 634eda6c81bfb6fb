"""Every time staff and students read is Beijing time, formatted here and nowhere else.

The database holds UTC; a page that formatted a moment itself once showed UTC beside Beijing times.
"""

from __future__ import annotations

from datetime import datetime, UTC

from core.domain.quotas import CHINA

FORMATS = {"minute": "%Y-%m-%d %H:%M", "second": "%Y-%m-%d %H:%M:%S", "short": "%m-%d %H:%M", "time": "%H:%M:%S"}


def beijing(moment: datetime | None, precision: str = "minute") -> str:
    """``moment`` in Beijing time ("" for none); a naive moment is taken as UTC, as stored."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA).strftime(FORMATS[precision])
