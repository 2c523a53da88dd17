"""Every metric of ours, defined once per process in prometheus-client's default registry
(which the /metrics endpoint serves, with FastStream's `faststream_*` metrics and the process'
own). The names are a contract: alerts and the dashboard in deploy/kubernetes read them.

Counters defined where they are counted stay there: `digipolku_refused_events_total`
(chassis.event_admission), `digipolku_dead_letters_total` (chassis.dead_letters) and
`digipolku_skipped_events_total` (chassis.projector).
"""

from __future__ import annotations

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

# No `*_created` series beside every counter and histogram: they double what is stored and
# nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# The registry /metrics serves and FastStream's middleware writes to.
METRICS_REGISTRY: CollectorRegistry = REGISTRY

HTTP_REQUESTS = Counter(
    "digipolku_http_requests_total",
    "HTTP requests answered, by route template (not the raw path), method and status.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "digipolku_http_request_duration_seconds",
    "Seconds from a request's arrival to the end of its answer, by route template and method.",
    ["service", "method", "route"],
)
RELAY_BACKLOG_EVENTS = Gauge(
    "digipolku_relay_backlog_events",
    "Rows of the relay's source (event store or outbox) not yet published, as its saved"
    " position says (counted up to a cap).",
    ["service", "relay"],
)
RELAY_BACKLOG_SECONDS = Gauge(
    "digipolku_relay_backlog_seconds",
    "Age of the oldest row not yet published by the relay; 0 when none waits.",
    ["service", "relay"],
)
PROJECTION_LAG_EVENTS = Gauge(
    "digipolku_projection_lag_events",
    "Events on the consumed topics not yet applied by the projection; tenant=all is exact,"
    " a tenant's figure counts the partitions that carry its paths (an upper bound).",
    ["service", "projection", "tenant"],
)
PROJECTION_LAG_SECONDS = Gauge(
    "digipolku_projection_lag_seconds",
    "At most how old the oldest event not yet applied by the projection is (business time);"
    " 0 when caught up.",
    ["service", "projection", "tenant"],
)
HELD_STREAMS = Gauge(
    "digipolku_held_streams",
    "Streams a projection or policy holds back now (dead-lettered, waiting for an upgrade).",
    ["service", "projection"],
)
REBUILD_REPLAYED = Gauge(
    "digipolku_rebuild_events_replayed",
    "Events a running rebuild has replayed so far.",
    ["projection"],
)
REBUILD_TOTAL = Gauge(
    "digipolku_rebuild_events_total",
    "Events the running rebuild has to replay, as far as it knows.",
    ["projection"],
)
READY = Gauge(
    "digipolku_ready",
    "1 when the readiness check passed at the last /readyz, else 0.",
    ["service", "check"],
)
