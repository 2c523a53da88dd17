"""Sends the simulated steps to the running services, over their public HTTP APIs.

Each step is what a person would do: the counselor opens a path on enrolment, the client
answers on tasks and asks for a meeting on guidance, the counselor holds it, ends the path and
records its outcomes. Tokens come from the development issuer, like any other caller's.

The services learn of each other's events asynchronously, so a step may come before the
service it calls has heard of the path (a 404) or of its end. Such a step is sent again, with
the same idempotency key, until it is accepted or a deadline passes; anything else refused is
an error in the simulation and stops it.

A service may also be out for a moment (restarting, its database or broker away: a 503 with
`Retry-After`, a refused or dropped connection, no answer in time). The step is then sent
again with the same idempotency key, so it takes effect once however often it is sent, until
an outage deadline passes; then it fails loudly (decision 0029). Every accepted command is
told to `on_acknowledged`, which is how the fault suite's checker knows what must not be lost.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from time import monotonic
from typing import Any

import httpx

from chassis.clock import HELSINKI
from deploy.demo_data import open_path_request
from simulator.population import ClientProfile
from simulator.timeline import (
    Action,
    ChangeDirection,
    ChooseDirection,
    Complete,
    Discontinue,
    HoldMeeting,
    OpenPath,
    RecordOutcome,
    RequestMeeting,
    SelfAssess,
    Step,
    Work,
)

TENANT = "kanta-hame"
DATA = Path(__file__).parent / "data"
# Refusals that mean "not yet": the service has not yet consumed the event it needs, or
# another writer (the calendar, a consumed meeting) changed the path a moment before.
NOT_YET_CODES = {"error.not_found", "guidance.path_not_ended", "error.conflict"}
NOT_YET_DEADLINE = 60.0
# Answers that mean "out for a moment": a gateway's or a service's own unavailability.
TRANSIENT_STATUSES = frozenset({502, 503, 504})
# How long a step waits out an outage before it fails: longer than a restart with back-off.
OUTAGE_DEADLINE = 180.0
# Retry-After is honoured, up to this many seconds per wait.
LONGEST_PAUSE = 5.0
MEETING_TIME = time(10, 0)


class SimulationError(RuntimeError):
    """A step was refused for a reason other than "not yet", or an outage outlasted its
    deadline."""


@dataclass(frozen=True)
class Acknowledged:
    """A command a service accepted (2xx): what the fault suite's checker holds it to."""

    method: str
    url: str
    idempotency_key: str
    status: int
    body: dict[str, Any]
    attempts: int
    first_sent: float  # time.monotonic() of the first attempt
    acknowledged_at: float  # time.monotonic() of the accepted answer


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    enrolment: str
    tasks: str
    guidance: str


@dataclass
class ClientState:
    profile: ClientProfile
    pathway_id: str | None = None
    # Week (0: about no task) → the meeting asked for and the task it is about.
    meetings: dict[int, tuple[str, str | None]] = field(default_factory=dict)


class Driver:
    def __init__(
        self,
        http: httpx.AsyncClient,
        endpoints: Endpoints,
        seed: int,
        *,
        on_acknowledged: Callable[[Acknowledged], None] | None = None,
        transient_statuses: frozenset[int] = TRANSIENT_STATUSES,
        outage_deadline: float = OUTAGE_DEADLINE,
        not_yet_deadline: float = NOT_YET_DEADLINE,
    ) -> None:
        self._http = http
        self._urls = endpoints
        self._seed = seed
        self._on_acknowledged = on_acknowledged
        self._transient_statuses = transient_statuses
        self._outage_deadline = outage_deadline
        self._not_yet_deadline = not_yet_deadline
        # What the outages looked like from here: "503", "ConnectError", "ReadTimeout", …
        self.transient: Counter[str] = Counter()
        self._tokens: dict[str, dict[str, str]] = {}
        texts = json.loads((DATA / "answers.json").read_text(encoding="utf-8"))
        self._answers: list[str] = texts["answer"]
        self._help: list[str] = texts["needs_help"]
        self.requests = 0

    async def run(self, state: ClientState, step: Step, index: int) -> None:
        """Carry out one step; `index` makes its idempotency key (the same on a retry)."""
        key = f"sim-{self._seed}-{state.profile.number}-{index}"
        await self._dispatch(state, step, key)

    async def _dispatch(self, state: ClientState, step: Step, key: str) -> None:
        action: Action = step.action
        profile = state.profile
        match action:
            case OpenPath():
                await self._open(state, step, key)
            case SelfAssess(phase=phase):
                await self._self_assess(state, phase, key)
            case Work():
                await self._work(state, action, key)
            case ChooseDirection(direction=direction):
                await self._as_client(
                    state,
                    "POST",
                    f"{self._tasks(state)}/direction",
                    key,
                    {"direction": direction, "reason": ""},
                )
            case ChangeDirection(direction=direction):
                await self._as_counselor(
                    profile,
                    "POST",
                    f"{self._tasks(state)}/direction/change",
                    key,
                    {"direction": direction},
                )
            case RequestMeeting(week=week):
                await self._request_meeting(state, week, key)
            case HoldMeeting():
                await self._hold_meeting(state, step, action, key)
            case Discontinue(reason=reason):
                await self._as_counselor(
                    profile,
                    "POST",
                    f"{self._enrolment(state)}/discontinue",
                    key,
                    {"reason": reason},
                )
            case Complete():
                await self._as_counselor(
                    profile, "POST", f"{self._enrolment(state)}/complete", key, {}
                )
            case RecordOutcome(follow_up=follow_up, outcome=outcome, outcome_date=began):
                await self._as_counselor(
                    profile,
                    "POST",
                    f"{self._guidance(state)}/outcomes",
                    key,
                    {"follow_up": follow_up, "outcome": outcome, "outcome_date": began.isoformat()},
                )

    async def _open(self, state: ClientState, step: Step, key: str) -> None:
        profile = state.profile
        opened = await self._as_counselor(
            profile,
            "POST",
            f"{self._urls.enrolment}/pathways",
            key,
            open_path_request(
                profile.first_name,
                profile.last_name,
                profile.identity_code,
                profile.municipality,
                profile.cohort.label,
                step.day,
                profile.unit,
            ),
        )
        state.pathway_id = str(opened["pathway_id"])

    async def _self_assess(self, state: ClientState, phase: str, key: str) -> None:
        assessment = state.profile.assessment
        assert assessment is not None
        await self._as_client(
            state,
            "POST",
            f"{self._tasks(state)}/self-assessments/{phase}",
            key,
            {"scores": assessment.by_instrument(phase)},
        )

    async def _work(self, state: ClientState, work: Work, key: str) -> None:
        tasks = await self._week_tasks(state, work.week)
        for position in sorted(work.positions):
            if position >= len(tasks):
                continue  # a week with fewer tasks in the chosen direction
            task_id = tasks[position]["task_id"]
            helpless = position in work.needs_help
            texts = self._help if helpless else self._answers
            text = texts[(state.profile.number * 7 + work.week * 3 + position) % len(texts)]
            await self._as_client(
                state,
                "POST",
                f"{self._tasks(state)}/tasks/{task_id}/answers",
                f"{key}-{position}",
                {"text": text, "kind": "needs_help" if helpless else "answer"},
            )

    async def _week_tasks(self, state: ClientState, week: int) -> list[dict[str, Any]]:
        plan = await self._as_client(state, "GET", f"{self._tasks(state)}/plan", None, None)
        tasks: list[dict[str, Any]] = plan["weeks"][week - 1]["tasks"]
        return tasks

    async def _meeting_task(self, state: ClientState, week: int) -> str | None:
        if week == 0:
            return None
        for task in await self._week_tasks(state, week):
            if task["requires_meeting"]:
                return str(task["task_id"])
        return None

    async def _request_meeting(self, state: ClientState, week: int, key: str) -> None:
        task = await self._meeting_task(state, week)
        requested = await self._as_client(
            state, "POST", f"{self._guidance(state)}/meeting-requests", key, {"task_id": task}
        )
        state.meetings[week] = (str(requested["meeting_id"]), task)

    async def _hold_meeting(
        self, state: ClientState, step: Step, hold: HoldMeeting, key: str
    ) -> None:
        meeting_id, task = state.meetings[hold.week]
        meeting = f"{self._guidance(state)}/meetings/{meeting_id}"
        starts_at = datetime.combine(step.day, MEETING_TIME, HELSINKI)
        modes = ("in_person", "phone", "video")
        await self._as_counselor(
            state.profile,
            "PUT",
            meeting,
            f"{key}-schedule",
            {
                "starts_at": starts_at.isoformat(),
                "mode": modes[state.profile.number % 3],
                "task_ids": [task] if task else [],
            },
        )
        await self._as_counselor(
            state.profile, "POST", f"{meeting}/outcome", f"{key}-outcome", {"held": hold.held}
        )

    def _tasks(self, state: ClientState) -> str:
        return f"{self._urls.tasks}/pathways/{state.pathway_id}"

    def _guidance(self, state: ClientState) -> str:
        return f"{self._urls.guidance}/pathways/{state.pathway_id}"

    def _enrolment(self, state: ClientState) -> str:
        return f"{self._urls.enrolment}/pathways/{state.pathway_id}"

    async def _as_client(
        self, state: ClientState, method: str, url: str, key: str | None, body: Any
    ) -> dict[str, Any]:
        profile = state.profile
        headers = await self._token(
            f"sim-client-{profile.number}",
            {
                "subject": f"sim-client-{profile.number}",
                "role": "client",
                "personal_identity_code": profile.identity_code,
            },
        )
        return await self._send(method, url, headers, key, body)

    async def _as_counselor(
        self, profile: ClientProfile, method: str, url: str, key: str | None, body: Any
    ) -> dict[str, Any]:
        headers = await self._token(
            profile.counselor, {"subject": profile.counselor, "role": "counselor"}
        )
        return await self._send(method, url, headers, key, body)

    async def _token(self, name: str, claims: dict[str, str]) -> dict[str, str]:
        if name not in self._tokens:
            response = await self._http.post(
                f"{self._urls.issuer}/dev/token",
                json={"tenant": TENANT, "lifetime_seconds": 6 * 3600, **claims},
            )
            response.raise_for_status()
            self._tokens[name] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self._tokens[name]

    async def _send(
        self, method: str, url: str, headers: dict[str, str], key: str | None, body: Any
    ) -> dict[str, Any]:
        """The response's JSON once accepted; waits out "not yet" refusals and outages, each
        sent again with the same key."""
        if key is not None:
            headers = {**headers, "Idempotency-Key": key}
        loop = asyncio.get_running_loop()
        started = monotonic()
        not_yet_until = loop.time() + self._not_yet_deadline
        outage_until = loop.time() + self._outage_deadline
        pause = 0.02
        attempts = 0
        while True:
            self.requests += 1
            attempts += 1
            try:
                response = await self._http.request(method, url, headers=headers, json=body)
            except httpx.TransportError as exc:  # refused, dropped, or no answer in time
                outage = type(exc).__name__
                self.transient[outage] += 1
                if loop.time() > outage_until:
                    raise SimulationError(
                        f"{method} {url} (key {key}): still {outage} after {attempts} attempts"
                    ) from exc
                pause = await _wait(pause, None)
                continue
            if response.is_success:
                result: dict[str, Any] = response.json() if response.content else {}
                if key is not None and method != "GET" and self._on_acknowledged is not None:
                    self._on_acknowledged(
                        Acknowledged(
                            method,
                            url,
                            key,
                            response.status_code,
                            result,
                            attempts,
                            started,
                            monotonic(),
                        )
                    )
                return result
            if response.status_code in self._transient_statuses:
                self.transient[str(response.status_code)] += 1
                if loop.time() > outage_until:
                    raise SimulationError(
                        f"{method} {url} (key {key}) → {response.status_code} after"
                        f" {attempts} attempts: {response.text[:300]}"
                    )
                pause = await _wait(pause, response.headers.get("retry-after"))
                continue
            code = _problem_code(response)
            if code not in NOT_YET_CODES or loop.time() > not_yet_until:
                raise SimulationError(
                    f"{method} {url} → {response.status_code} {code}: {response.text[:300]}"
                )
            pause = await _wait(pause, None)


async def _wait(pause: float, retry_after: str | None) -> float:
    """Sleeps before the next attempt (Retry-After when the service said, up to a bound);
    returns the next pause of the back-off."""
    asked = float(retry_after) if retry_after and retry_after.isdigit() else None
    await asyncio.sleep(min(asked, LONGEST_PAUSE) if asked is not None else pause)
    return min(pause * 2, 0.5)


def _problem_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return ""
