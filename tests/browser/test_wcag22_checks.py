"""Our own WCAG 2.2 checks (tests/browser/conftest.py, decision 0044) fail on the faults they
are for and pass the cases the criteria exempt: pages made for the purpose, no service."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    check_accessible_authentication,
    check_keyboard,
    check_target_size,
)

SMALL = '<button style="width:20px;height:20px;padding:0">{}</button>'
FOCUS = "<style>:focus-visible { outline: 3px solid #b35900; }</style>"
BANNER = '<div style="position:{};top:0;left:0;right:0;height:100px;background:#fff">tiedote</div>'
LINK_UNDER = '<a href="#a" style="position:absolute;top:10px">ohje</a>'
Check = Callable[[Page, str], None]


@pytest.mark.parametrize(
    ("check", "html", "fails"),
    [
        (check_target_size, "<p>" + SMALL.format("a") + SMALL.format("b") + "</p>", True),
        # The spacing exception: a 24 px circle on each small target meets no other target.
        (
            check_target_size,
            f"<p>{SMALL.format('a')}</p><p style='margin-top:40px'>{SMALL.format('b')}</p>",
            False,
        ),
        # The inline exception: links inside sentences.
        (check_target_size, '<p>Lue <a href="#x">tästä</a> ja <a href="#y">tuosta</a>.</p>', False),
        (
            check_accessible_authentication,
            '<form action="/authorize"><input type="text" id="u" autocomplete="off"></form>',
            True,
        ),
        (
            check_accessible_authentication,
            '<form action="/authorize"><input type="text" id="u"></form><script>'
            "u.addEventListener('paste', (e) => e.preventDefault())</script>",
            True,
        ),
        (
            check_accessible_authentication,
            '<form action="/authorize"><img alt="" src="data:,"><input type="text" id="u"></form>',
            True,
        ),
        (
            check_accessible_authentication,
            '<form action="/authorize"><input type="text" id="u" autocomplete="username"></form>',
            False,
        ),
        (check_keyboard, FOCUS + BANNER.format("fixed") + LINK_UNDER, True),
        (check_keyboard, FOCUS + BANNER.format("static") + LINK_UNDER, False),
    ],
)
def test_each_check_fails_on_its_fault_only(
    page: Page, check: Check, html: str, fails: bool
) -> None:
    page.set_content(html)
    if fails:
        with pytest.raises(AssertionError):
            check(page, "made")
    else:
        check(page, "made")
