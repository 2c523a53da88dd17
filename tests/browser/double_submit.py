"""Sending a page's form twice, as a double click and a late second click would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

# The form's fields as the browser would send them (the submit button's own value included).
FIELDS = """(form, button) => {
  const data = new FormData(form);
  if (button.name) data.append(button.name, button.value);
  return [...data].filter(([, value]) => typeof value === 'string');
}"""
# The same form once more, as a second click arriving after the first was answered would be.
SEND_AGAIN = """async ([action, fields]) => {
  const response = await fetch(action, {
    method: 'POST', body: new URLSearchParams(fields), redirect: 'manual'});
  return response.type === 'opaqueredirect' ? 303 : response.status;
}"""


def double_submit(page: Page, form: Locator, button: Locator, landed: Callable[[], None]) -> None:
    """Double-click the button, wait until `landed` sees the result, then send the same fields
    once more: every send must be answered as the first (303), whatever was created once."""
    fields = form.evaluate(FIELDS, button.element_handle())
    # The attribute, not `form.action`: a form whose buttons are named "action" shadows it.
    action = form.evaluate("(form) => new URL(form.getAttribute('action'), location.href).href")
    assert any(name == "submission_id" for name, _ in fields), f"{action}: no submission id"
    button.dblclick()
    landed()
    assert page.evaluate(SEND_AGAIN, [action, fields]) == 303, action


def saved(page: Page, text: str) -> Callable[[], None]:
    """The page's status message says the thing was saved."""
    return lambda: expect(page.get_by_role("status")).to_contain_text(text)


def read(url: str, who: Any) -> Any:
    response = httpx.get(url, headers=who.headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()
