"""The client pages' load, for locust (run by bench/page_load.py in a process of its own:
locust patches the standard library for gevent, which the bench's asyncio must not meet).

Each locust user is one signed-in client of the sessions file (`BENCH_SESSIONS`, written by
page_load.py), paced by `constant_throughput` so that all users together aim at
`BENCH_RATE` requests/s. The mix, by weight: the week page, a task page, an autosaved draft,
a sent answer, and the services' `/healthz` (the floor: the same server under the same load,
with no session, database or template). Answers go through the tasks of the open weeks in
turn, first asking for help and then answering, the two sends a task takes; a user who has
sent them all saves a draft instead. `BENCH_WARMUP=1` sends no answers, so that the measured
run finds them all unsent.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

SESSIONS: list[dict[str, Any]] = json.loads(Path(os.environ["BENCH_SESSIONS"]).read_text())
RATE = float(os.environ["BENCH_RATE"])
WARMUP = os.environ.get("BENCH_WARMUP") == "1"
_next_session: Iterator[int] = itertools.count()
ANSWER_TEXT = "Kävin kirjastossa ja kirjoitin ansioluettelon ensimmäisen version."


class Client(FastHttpUser):
    """One client in the browser: their session cookie and the page's CSRF token."""

    wait_time = constant_throughput(RATE / len(SESSIONS))

    def on_start(self) -> None:
        session = SESSIONS[next(_next_session) % len(SESSIONS)]
        self.cookie: dict[str, str] = {"Cookie": session["cookie"]}
        self.csrf: str = session["csrf"]
        self.tasks_open: list[str] = session["tasks"]
        self.sends = iter(
            [] if WARMUP else [(t, a) for t in self.tasks_open for a in ("help", "submit")]
        )

    @task(40)
    def week_page(self) -> None:
        self.client.get("/", headers=self.cookie, name="week page")

    @task(30)
    def task_page(self) -> None:
        task_id = random.choice(self.tasks_open)
        self.client.get(f"/tehtavat/{task_id}", headers=self.cookie, name="task page")

    @task(15)
    def save_draft(self) -> None:
        self._draft(random.choice(self.tasks_open))

    @task(10)
    def send_answer(self) -> None:
        sent = next(self.sends, None)
        if sent is None:
            self._draft(random.choice(self.tasks_open))
            return
        task_id, action = sent
        form = {
            "action": action,
            "text": ANSWER_TEXT,
            "submission_id": str(uuid4()),
            "csrf_token": self.csrf,
        }
        with self.client.post(
            f"/tehtavat/{task_id}",
            data=form,
            headers=self.cookie,
            name="send answer",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 303:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")

    @task(5)
    def floor(self) -> None:
        self.client.get("/healthz", name="/healthz (floor)")

    def _draft(self, task_id: str) -> None:
        self.client.put(
            f"/tehtavat/{task_id}/luonnos",
            json={"text": ANSWER_TEXT[: random.randint(10, len(ANSWER_TEXT))]},
            headers={**self.cookie, "X-CSRF-Token": self.csrf},
            name="save draft",
        )
