"""Numbers, shares and dates as a Finnish or Swedish reader writes them, through Babel: a
decimal comma, a space before the per cent sign, `1.12.2026`, month names in the language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

# Finland's own locales: Swedish as written in Finland, not in Sweden.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI"}


@dataclass(frozen=True)
class Formats:
    """Bound to the reader's language; templates call it as `fmt`."""

    lang: str

    @property
    def _locale(self) -> str:
        return LOCALES.get(self.lang, LOCALES["fi"])

    def number(self, value: float, digits: int = 0, *, signed: bool = False) -> str:
        """`1 234,5`; with `signed`, `+0,60` and `−0,20` (changes)."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        if signed:
            pattern = f"+{pattern};-{pattern}"
        return format_decimal(value, format=pattern, locale=self._locale)

    def percent(self, share: float, digits: int = 0) -> str:
        """A share 0–1 as `12 %` (a no-break space before the sign, as both languages write)."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "\u00a0%"
        return format_percent(share, format=pattern, locale=self._locale)

    def day(self, day: date) -> str:
        """`1.12.2026` in both languages."""
        return format_date(day, "d.M.yyyy", locale=self._locale)

    def month(self, day: date) -> str:
        """The month of `day` with its year: `joulukuu 2026`, `december 2026`."""
        return format_date(day, "LLLL yyyy", locale=self._locale)
