"""Numbers and dates as Finnish and Swedish readers write them (Babel's fi_FI and sv_FI)."""

from __future__ import annotations

from datetime import date

from chassis.web.formats import Formats

FI, SV = Formats("fi"), Formats("sv")
NBSP = "\u00a0"


def test_decimal_comma_and_grouping() -> None:
    assert FI.number(1234.5, 1) == f"1{NBSP}234,5"
    assert SV.number(0.126, 2) == "0,13"
    assert FI.number(0.6, 2, signed=True) == "+0,60"
    assert FI.number(-0.2, 2, signed=True) == "-0,20"


def test_a_share_has_a_space_before_the_per_cent_sign() -> None:
    assert FI.percent(0.12) == f"12{NBSP}%"
    assert SV.percent(0.455, 1) == f"45,5{NBSP}%"


def test_days_and_months() -> None:
    assert FI.day(date(2026, 12, 1)) == SV.day(date(2026, 12, 1)) == "1.12.2026"
    assert FI.month(date(2026, 1, 5)) == "tammikuu 2026"
    assert SV.month(date(2026, 1, 5)) == "januari 2026"
