"""One schemathesis run against one service's OpenAPI document as one caller, counted.

The run uses schemathesis' engine (the one behind `st run`): examples, coverage, fuzzing and
the stateful phase that follows the document's links. It returns what a summary needs:
requests sent, operations tested, and every failed check with a curl line to reproduce it.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.schemas import BaseSchema

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    # A token the route ignores, a created thing that cannot be read back: cheap, so kept.
    "ignored_auth",
    "ensure_resource_availability",
    "use_after_free",
)
# Small on purpose: 22 runs (4 services, 5 or 6 callers) share about three minutes on two cores.
MAX_EXAMPLES = int(os.environ.get("DIGIPOLKU_FUZZ_EXAMPLES", "10"))
STATEFUL_STEPS = int(os.environ.get("DIGIPOLKU_FUZZ_STEPS", "20"))
# Fixed unless asked otherwise: a red `make test` is reproduced by running it again.
SEED = int(os.environ.get("DIGIPOLKU_FUZZ_SEED", "2026"))
_TOKEN = re.compile(r"Bearer [A-Za-z0-9._~+/=-]+")


@dataclass(frozen=True)
class Finding:
    """A failed check: which, where, and how to send the request again."""

    check: str
    operation: str
    status: int | None
    title: str
    reproduce: str

    def line(self) -> str:
        return (
            f"{self.check}: {self.operation} -> {self.status} ({self.title})\n    {self.reproduce}"
        )


@dataclass
class FuzzReport:
    service: str
    role: str
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def server_errors(self) -> int:
        return sum(1 for finding in self.findings if finding.check == "not_a_server_error")

    @property
    def violations(self) -> int:
        return len(self.findings) - self.server_errors

    def distinct(self) -> list[Finding]:
        """One finding per check and operation and status (the first seen)."""
        seen: dict[tuple[str, str, int | None], Finding] = {}
        for finding in self.findings:
            seen.setdefault((finding.check, finding.operation, finding.status), finding)
        return list(seen.values())


# Every run of this process, for the summary at the end of the pytest output.
REPORTS: list[FuzzReport] = []


def run_schemathesis(base_url: str, service: str, role: str, headers: dict[str, str]) -> FuzzReport:
    """Fuzz `base_url`'s OpenAPI document as `role`, sending `headers` (a token, or none)."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": headers,
            "suppress-health-check": ["all"],
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "request-timeout": 20,
        }
    )
    loaded = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    documented = _documented_operations(loaded.raw_schema)
    schema: BaseSchema = loaded
    for path in _streams_admitting(loaded.raw_schema, role):
        schema = schema.exclude(path=path)
    report = FuzzReport(service=service, role=role)
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            _count(report, event.recorder, documented)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            report.errors.append(_error_text(event))
    report.seconds = time.monotonic() - started
    return report


def _documented_operations(document: dict[str, Any]) -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in document.get("paths", {}).items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }


def _streams_admitting(document: dict[str, Any], role: str) -> list[str]:
    """Event streams this caller may open: an answer that never ends is not fuzzed."""
    streams = []
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            needs = operation.get("security", [])
            roles = {name for need in needs for names in need.values() for name in names}
            if "text/event-stream" in content and role in roles:
                streams.append(path)
    return streams


def _count(report: FuzzReport, recorder: object, documented: set[str]) -> None:
    interactions = getattr(recorder, "interactions", {})
    cases = getattr(recorder, "cases", {})
    report.requests += len(interactions)
    for node in cases.values():
        operation = f"{node.value.method.upper()} {node.value.path}"
        if operation in documented:
            report.operations.add(operation)
    for case_id, checks in getattr(recorder, "checks", {}).items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            case = cases[case_id].value
            interaction = interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            report.findings.append(
                Finding(
                    check=check.name,
                    operation=f"{case.method.upper()} {case.path}",
                    status=response.status_code if response is not None else None,
                    title=check.failure_info.failure.title,
                    reproduce=_TOKEN.sub("Bearer <token>", check.failure_info.code_sample),
                )
            )


def _error_text(event: events.NonFatalError | events.FatalError) -> str:
    if isinstance(event, events.NonFatalError):
        return f"{event.label}: {event.value!r}"
    return repr(event.exception)
