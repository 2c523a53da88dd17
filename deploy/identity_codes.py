"""Finnish personal identity codes for made-up people (demo, simulator, tests)."""

from __future__ import annotations

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def identity_code(day: int, month: int, year: int, individual: int) -> str:
    """A code with a correct check character, for someone born in 1900–1999."""
    base = f"{day:02d}{month:02d}{year % 100:02d}"
    number = f"{individual:03d}"
    return f"{base}-{number}{CHECK_CHARACTERS[int(base + number) % 31]}"
