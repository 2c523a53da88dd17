"""Real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, with axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

from chassis.http_auth import SESSION_COOKIE
from chassis.settings import ServiceSettings
from deploy.system import RunningSystem
from tests.support.sign_in import idle_session

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser(system: RunningSystem) -> Iterator[Browser]:
    # Depends on the system so that it starts first: Playwright's sync API keeps an event
    # loop running in this thread, and the system's start-up runs asyncio itself. Module
    # scope closes that loop again before other tests that call asyncio.run() in this thread.
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: make test installs it"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # A phone-sized window: clients mostly use a phone.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fi-FI")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    # Every journey also proves the pages run under their Content-Security-Policy (decision
    # 0023): Chromium reports each blocked script, style or frame on the console.
    blocked: list[str] = []
    opened.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield opened
    context.close()
    assert not blocked, "CSP violations: " + "; ".join(blocked)


def let_session_run_out(page: Page, system: RunningSystem, service: str) -> None:
    """As if the person had made no request for longer than the idle timeout (the session's
    row is aged in the service's database; the cookie stays as it was)."""
    cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
    idle = ServiceSettings.model_fields["session_idle_minutes"].default
    idle_session(system, service, cookie["value"], idle + 1)


class PageChecks:
    """Screenshots and the accessibility check, for every page a test visits."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.axe = Axe()
        self.pages: list[str] = []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{name}-*.png"):  # an earlier run's pages would mislead
            old.unlink()

    def check(self, page: Page, label: str) -> None:
        page.screenshot(
            path=str(SCREENSHOTS / f"{self.name}-{len(self.pages):02d}-{label}.png"), full_page=True
        )
        results = self.axe.run(page)
        serious = [
            v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        assert not serious, f"{label}: " + "; ".join(
            f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in serious
        )
        check_keyboard(page, label)
        self.pages.append(label)


# Marks every control a keyboard user must reach; a group of radio buttons is one stop (the
# arrow keys move inside it). Returns the marks.
MARK_CONTROLS = """() => {
  const controls = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), textarea, select')]
    // checkVisibility also leaves out what a closed <details> hides.
    .filter((e) => e.checkVisibility({visibilityProperty: true}) && !e.disabled);
  const marks = new Set();
  controls.forEach((e, n) => {
    const mark = e.type === 'radio' ? 'radio:' + e.name : 'control:' + n;
    e.dataset.keyboardMark = mark;
    marks.add(mark);
  });
  return [...marks];
}"""
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || !e.dataset || !e.dataset.keyboardMark) return null;
  const style = getComputedStyle(e);
  // Tab also stops on a date field's calendar button, inside the browser's own shadow DOM:
  // the field then no longer matches :focus-visible and the browser draws that button's ring.
  const pickerButton = /^(date|datetime-local|time)$/.test(e.type) && !e.matches(':focus-visible');
  const visible = pickerButton || style.outlineStyle !== 'none' && style.outlineWidth !== '0px'
    || style.boxShadow !== 'none';
  return {mark: e.dataset.keyboardMark, visible: visible};
}"""


DESCRIBE = """(marks) => marks.map((mark) => {
  const e = document.querySelector(`[data-keyboard-mark="${mark}"]`);
  return e ? e.outerHTML.slice(0, 120) : mark;
})"""

# Focus the page itself, so that the next Tab goes to its first control.
FOCUS_TOP = """() => {
  document.body.tabIndex = -1;
  document.body.focus();
  document.body.removeAttribute('tabindex');
}"""


def check_keyboard(page: Page, label: str) -> None:
    """Tab from the top reaches every control, each with a visible focus indicator."""
    marks = set(page.evaluate(MARK_CONTROLS))
    page.evaluate(FOCUS_TOP)
    reached: set[str] = set()
    unseen_focus: set[str] = set()
    # Some controls take several stops (a date field: day, month, year), so allow for them.
    for _ in range(3 * len(marks) + 3):
        if marks <= reached:
            break
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused:
            reached.add(focused["mark"])
            if not focused["visible"]:
                unseen_focus.add(focused["mark"])
    page.evaluate(FOCUS_TOP)  # leave the page as a newly loaded one
    assert marks <= reached, f"{label}: Tab never reaches {sorted(marks - reached)}"
    if unseen_focus:
        described = page.evaluate(DESCRIBE, sorted(unseen_focus))
        raise AssertionError(f"{label}: focus not visible on {described}")
