"""Dates as the people using Digipolku see them: in Europe/Helsinki."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki_today(now: datetime | None = None) -> date:
    return (now or datetime.now(HELSINKI)).astimezone(HELSINKI).date()
