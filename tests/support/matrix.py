"""The vocabulary of the access matrix (tests/e2e/test_access_matrix.py): who calls, on which
resource, and what the access rules expect each caller to get.

The rules, as the system states them:

- a counselor reaches only the paths assigned to them, in their own tenant; an admin every
  path of their tenant; a manager only aggregates (reporting); a client only themselves;
- a role that may never use an endpoint gets 403 (a client on a staff endpoint, a manager on
  per-client data, staff on a client's own command);
- the right role on the wrong resource (another counselor's client, another tenant's path,
  another client's path) gets 404, exactly as for a path that does not exist, so that
  existence does not leak;
- no token: 401.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from tests.support.identities import Person

Who = Literal[
    "own_counselor",  # the counselor who opened the path (assigned to it)
    "other_counselor",  # a counselor of the same tenant, not assigned to the path
    "admin",  # an admin of the path's tenant
    "other_tenant_admin",  # an admin of another tenant ("pirkanmaa")
    "manager",  # a manager of the path's tenant
    "own_client",  # the path's own client
    "other_client",  # another client of the same tenant, with a path of their own
    "anonymous",  # no token at all
]
PRINCIPALS: Final[tuple[Who, ...]] = get_args(Who)

ALLOWED: Final = "allowed"
Expected = Literal["allowed", 401, 403, 404]
Rule = Mapping[Who, Expected]

# What a list (or a one-client read) shows of the target path, for the callers it answers:
# the path's counselor, the tenant's admin and the client themselves see it; nobody else.
SEES_TARGET: Final[Mapping[Who, bool]] = {
    "own_counselor": True,
    "other_counselor": False,
    "admin": True,
    "other_tenant_admin": False,
    "manager": False,
    "own_client": True,
    "other_client": False,
    "anonymous": False,
}


def rule(**expected: Expected) -> Rule:
    """A row of expectations; every principal must be named (a forgotten one is a bug)."""
    missing = set(PRINCIPALS) - set(expected)
    unknown = set(expected) - set(PRINCIPALS)
    assert not missing and not unknown, f"missing {missing}, unknown {unknown}"
    return {who: expected[who] for who in PRINCIPALS}


# One path's data for its counselors and the tenant's admins (enrolment, guidance's staff side).
PATH_STAFF: Final = rule(
    own_counselor=ALLOWED,
    other_counselor=404,
    admin=ALLOWED,
    other_tenant_admin=404,
    manager=403,
    own_client=403,
    other_client=403,
    anonymous=401,
)
# One path's data that its own client reads (or asks for) too.
PATH_SHARED: Final = rule(
    own_counselor=ALLOWED,
    other_counselor=404,
    admin=ALLOWED,
    other_tenant_admin=404,
    manager=403,
    own_client=ALLOWED,
    other_client=404,
    anonymous=401,
)
# A command only the path's own client gives (answering, choosing the direction).
PATH_CLIENT: Final = rule(
    own_counselor=403,
    other_counselor=403,
    admin=403,
    other_tenant_admin=403,
    manager=403,
    own_client=ALLOWED,
    other_client=404,
    anonymous=401,
)
# A path's message thread (decision 0041): its own client and its assigned counselors only;
# the tenant's admins are refused by role, like the manager.
PATH_THREAD: Final = rule(
    own_counselor=ALLOWED,
    other_counselor=404,
    admin=403,
    other_tenant_admin=403,
    manager=403,
    own_client=ALLOWED,
    other_client=404,
    anonymous=401,
)
# Casework not about one given path (open a path, my caseload, my paths): counselors and
# admins, each within their own tenant (lists are checked for what they show).
CASEWORK: Final = rule(
    own_counselor=ALLOWED,
    other_counselor=ALLOWED,
    admin=ALLOWED,
    other_tenant_admin=ALLOWED,
    manager=403,
    own_client=403,
    other_client=403,
    anonymous=401,
)
# The signed-in client's own things (/me/...): every client, each their own.
CLIENT_SELF: Final = rule(
    own_counselor=403,
    other_counselor=403,
    admin=403,
    other_tenant_admin=403,
    manager=403,
    own_client=ALLOWED,
    other_client=ALLOWED,
    anonymous=401,
)
# Aggregates of a tenant (reporting): managers and admins, each of their own tenant.
AGGREGATES: Final = rule(
    own_counselor=403,
    other_counselor=403,
    admin=ALLOWED,
    other_tenant_admin=ALLOWED,
    manager=ALLOWED,
    own_client=403,
    other_client=403,
    anonymous=401,
)


def admin_only(other_tenant: Expected) -> Rule:
    """An admin's task; how an admin of another tenant fares depends on the endpoint."""
    return rule(
        own_counselor=403,
        other_counselor=403,
        admin=ALLOWED,
        other_tenant_admin=other_tenant,
        manager=403,
        own_client=403,
        other_client=403,
        anonymous=401,
    )


@dataclass(frozen=True)
class Target:
    """The resource a case acts on: a path, its client and the things on it."""

    pathway_id: str
    client: Person
    client_ref: str
    unanswered_task_id: str  # a task of an open week the client has not answered
    answer_id: str  # an answer of the client, seen by guidance
    meeting_id: str  # a meeting the client asked for
    scheduled_meeting_id: str  # a meeting the counselor scheduled (for held/missed)


@dataclass(frozen=True)
class Call:
    """The request of one case, relative to the service's base URL."""

    path: str
    json: Any = None
    params: Mapping[str, str] = field(default_factory=dict)


# Which target a case needs: the module's shared path; a throwaway path of its own (for
# commands that would change the shared path for good); a throwaway path already paused; or
# just a new client with no path yet (opening a path).
TargetKind = Literal["shared", "throwaway", "paused", "new_client"]


@dataclass(frozen=True)
class Endpoint:
    service: str
    method: str
    path: str  # exactly as in the service's openapi.json
    rule: Rule
    call: Callable[[Target], Call]
    target: TargetKind = "shared"
    # (status, code) an allowed caller meets instead of a 2xx: a domain rule that is checked
    # only after access was granted, so it proves the caller got past authorization.
    domain_refusal: tuple[int, str] | None = None
    # For reads that list paths: the pathway ids the answer shows (checked with SEES_TARGET).
    shows: Callable[[Any], set[str]] | None = None
    stream: bool = False  # server-sent events: only the status is read
    # Keys of the answer that staff get and a client must never see (not even empty).
    staff_only_keys: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service, self.method, self.path)

    @property
    def name(self) -> str:
        return f"{self.service} {self.method} {self.path}"
