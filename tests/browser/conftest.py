"""Real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, with axe-core and our
own checks of WCAG 2.2 AA (decision 0044)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# WCAG 2.2 AA (issue 17, decision 0044): every rule of these levels fails a page whatever its
# impact; axe's best practices only when serious or critical.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": [*WCAG_TAGS, "best-practice"]},
    "resultTypes": ["violations"],
}


def failing(violation: dict[str, Any]) -> bool:
    if set(violation.get("tags", [])) & set(WCAG_TAGS):
        return True
    return violation.get("impact") in ("serious", "critical")


class PageChecks:
    """Screenshots and the accessibility checks, for every page a test visits: axe-core's
    WCAG 2.2 AA rules, and ours for what axe cannot see (target size, focus not hidden,
    accessible sign-in, consistent help) with the keyboard walk."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.axe = Axe()
        self.pages: list[str] = []
        # 3.2.6: where each site (origin, language) puts its help, from its first page with it.
        self.help_by_origin: dict[str, tuple[str, str]] = {}
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{name}-*.png"):  # an earlier run's pages would mislead
            old.unlink()

    def check(self, page: Page, label: str) -> None:
        page.screenshot(
            path=str(SCREENSHOTS / f"{self.name}-{len(self.pages):02d}-{label}.png"), full_page=True
        )
        results = self.axe.run(page, options=AXE_OPTIONS)
        found = [v for v in results.response["violations"] if failing(v)]
        assert not found, f"{label}: " + "; ".join(
            f"{v['id']} ({v.get('impact')}): {v['help']} ({len(v['nodes'])} nodes: "
            f"{[n['target'] for n in v['nodes'][:3]]})"
            for v in found
        )
        check_target_size(page, label)
        check_accessible_authentication(page, label)
        self.check_consistent_help(page, label)
        check_keyboard(page, label)
        self.pages.append(label)

    def check_consistent_help(self, page: Page, label: str) -> None:
        """3.2.6: a site's help (marked data-help) is on each of its pages, in the same place
        among the page's parts and with the same words (in each language)."""
        # The same words in one language: a Swedish page says it in Swedish.
        origin = page.evaluate("() => location.origin + ' ' + document.documentElement.lang")
        found = page.evaluate(HELP_PLACE)
        if found is None:
            assert origin not in self.help_by_origin, f"{label}: the help of {origin} is missing"
            return
        place = (found["place"], found["text"])
        first = self.help_by_origin.setdefault(origin, place)
        assert place == first, f"{label}: help at {place}, on the site's first page at {first}"


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
  // 2.4.11: not entirely hidden by a sticky or fixed part of the page (header, banner...).
  const box = e.getBoundingClientRect();
  const covers = [...document.querySelectorAll('body *')].filter((o) => !o.contains(e)
      && /^(fixed|sticky)$/.test(getComputedStyle(o).position) && o.checkVisibility())
    .map((o) => o.getBoundingClientRect())
    .some((c) => c.left <= box.left && c.right >= box.right && c.top <= box.top
      && c.bottom >= box.bottom);
  return {mark: e.dataset.keyboardMark, visible: visible, hidden: covers};
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


# 2.5.8 Target size (minimum): each target at least 24×24 CSS px, or far enough from the
# others that a 24 px circle on it meets no other target (the spacing exception); a link in
# a sentence is exempt. Returns the targets that fail.
SMALL_TARGETS = """() => {
  const targets = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]')]
    .filter((e) => e.checkVisibility({visibilityProperty: true}))
    .map((e) => ({e, r: e.getBoundingClientRect()}))
    .filter(({r}) => r.width > 0 && r.height > 0);
  const inSentence = (e) => e.tagName === 'A' && getComputedStyle(e).display === 'inline'
    && e.parentElement && e.parentElement.textContent.trim() !== e.textContent.trim();
  const small = targets.filter(({e, r}) => (r.width < 24 || r.height < 24) && !inSentence(e));
  const centre = (r) => [r.left + r.width / 2, r.top + r.height / 2];
  const toBox = ([x, y], r) => Math.hypot(
    Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  return small.filter(({e, r}) => targets.some((other) => {
    if (other.e === e || other.e.contains(e) || e.contains(other.e)) return false;
    const isSmall = small.some((s) => s.e === other.e);
    const [x, y] = centre(r);
    if (isSmall) { const [u, v] = centre(other.r); return Math.hypot(x - u, y - v) < 24; }
    return toBox([x, y], other.r) < 12;
  })).map(({e, r}) => `${e.outerHTML.slice(0, 80)} ${Math.round(r.width)}×${Math.round(r.height)}`);
}"""

# 3.3.8 Accessible authentication (minimum): a sign-in form (one that posts to an OIDC
# issuer's /authorize, or asks for a password) sets no cognitive test and lets a password
# manager fill it and the person paste into it. Returns what is wrong.
SIGN_IN_PROBLEMS = r"""() => {
  const forms = [...document.forms].filter((f) =>
    /\/authorize/.test(f.getAttribute('action') || '') || f.querySelector('input[type=password]'));
  const problems = [];
  for (const form of forms) {
    if (form.querySelector('canvas, img, iframe, audio, [class*=captcha i], [id*=captcha i]')) {
      problems.push('a picture, sound or puzzle in the sign-in form (cognitive test?)');
    }
    for (const field of form.querySelectorAll('input[type=text], input[type=password]')) {
      if (field.autocomplete === 'off' || field.getAttribute('autocomplete') === 'off') {
        problems.push(`#${field.id}: autocomplete=off keeps password managers out`);
      }
      const paste = new ClipboardEvent('paste', {
        bubbles: true, cancelable: true, clipboardData: new DataTransfer()});
      paste.clipboardData.setData('text/plain', 'x');
      if (!field.dispatchEvent(paste)) problems.push(`#${field.id}: pasting is blocked`);
      if (field.onpaste || field.hasAttribute('onpaste')) problems.push(`#${field.id}: onpaste`);
    }
  }
  return problems;
}"""

# Where the page's help is: its part among the body's landmarks, and its words.
HELP_PLACE = """() => {
  const help = document.querySelector('[data-help]');
  if (!help) return null;
  const parts = [...document.body.children]
    .filter((e) => /^(HEADER|NAV|MAIN|FOOTER|ASIDE)$/.test(e.tagName));
  const part = parts.findIndex((e) => e.contains(help));
  return {place: `${part} of ${parts.map((e) => e.tagName.toLowerCase()).join(',')}`,
          text: help.textContent.trim()};
}"""


def check_target_size(page: Page, label: str) -> None:
    small = page.evaluate(SMALL_TARGETS)
    assert not small, f"{label}: targets under 24×24 px without spacing: {small}"


def check_accessible_authentication(page: Page, label: str) -> None:
    problems = page.evaluate(SIGN_IN_PROBLEMS)
    assert not problems, f"{label}: sign-in: {problems}"


def check_keyboard(page: Page, label: str) -> None:
    """Tab from the top reaches every control, each with a visible focus indicator."""
    marks = set(page.evaluate(MARK_CONTROLS))
    page.evaluate(FOCUS_TOP)
    reached: set[str] = set()
    unseen_focus: set[str] = set()
    hidden_focus: set[str] = set()
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
            if focused["hidden"]:
                hidden_focus.add(focused["mark"])
    page.evaluate(FOCUS_TOP)  # leave the page as a newly loaded one
    assert marks <= reached, f"{label}: Tab never reaches {sorted(marks - reached)}"
    if unseen_focus:
        described = page.evaluate(DESCRIBE, sorted(unseen_focus))
        raise AssertionError(f"{label}: focus not visible on {described}")
    if hidden_focus:
        described = page.evaluate(DESCRIBE, sorted(hidden_focus))
        raise AssertionError(f"{label}: focused but hidden under a sticky part: {described}")
