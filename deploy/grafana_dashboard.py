"""The Grafana dashboard of the platform, as JSON: is every service up, ready and keeping up?

Rows read top-down as an operator asks (docs/operations.md, "Reading the dashboard"): traffic
and errors, then whether events flow (relay backlog, projection lag), then what was held back,
refused or dead-lettered, then a running rebuild. Every query uses the metric names the
services export (chassis metrics, issue 16); `$service` filters every panel.
"""

from __future__ import annotations

import json
from typing import Any

UID = "digipolku-overview"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SERVICE = 'service=~"$service"'


def _panel(
    number: int,
    title: str,
    queries: list[tuple[str, str]],
    *,
    unit: str,
    x: int,
    y: int,
    description: str,
    kind: str = "timeseries",
) -> dict[str, Any]:
    return {
        "id": number,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + index), "expr": expr, "legendFormat": legend}
            for index, (expr, legend) in enumerate(queries)
        ],
    }


def _row(number: int, title: str, y: int) -> dict[str, Any]:
    return {
        "id": number,
        "type": "row",
        "title": title,
        "collapsed": False,
        "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
        "panels": [],
    }


def panels() -> list[dict[str, Any]]:
    return [
        _row(1, "Traffic", 0),
        _panel(
            2,
            "Requests per second",
            [
                (
                    f"sum by (service) (rate(digipolku_http_requests_total{{{SERVICE}}}[5m]))",
                    "{{service}}",
                )
            ],
            unit="reqps",
            x=0,
            y=1,
            description="Every HTTP request a service answered, by service.",
        ),
        _panel(
            3,
            "Server errors (share of requests)",
            [
                (
                    "sum by (service) (rate(digipolku_http_requests_total"
                    f'{{{SERVICE},status=~"5.."}}[5m])) / sum by (service) '
                    f"(rate(digipolku_http_requests_total{{{SERVICE}}}[5m]))",
                    "{{service}}",
                )
            ],
            unit="percentunit",
            x=12,
            y=1,
            description="5xx answers over all answers; alert DigipolkuHighErrorRate at 5 %.",
        ),
        _panel(
            4,
            "Request duration, 95th percentile by route",
            [
                (
                    "histogram_quantile(0.95, sum by (service, route, le) (rate("
                    f"digipolku_http_request_duration_seconds_bucket{{{SERVICE}}}[5m])))",
                    "{{service}} {{route}}",
                )
            ],
            unit="s",
            x=0,
            y=9,
            description="The slowest routes first show where a page waits.",
        ),
        _panel(
            5,
            "Readiness checks",
            [(f"min by (service, check) (digipolku_ready{{{SERVICE}}})", "{{service}} {{check}}")],
            unit="bool",
            x=12,
            y=9,
            description="1 ready, 0 not, per check (database, broker, relay, consumer).",
        ),
        _row(6, "Events flowing", 17),
        _panel(
            7,
            "Relay backlog (seconds)",
            [
                (
                    f"max by (service, relay) (digipolku_relay_backlog_seconds{{{SERVICE}}})",
                    "{{relay}}",
                )
            ],
            unit="s",
            x=0,
            y=18,
            description="Age of the oldest stored event not yet on Kafka, per relay.",
        ),
        _panel(
            8,
            "Relay backlog (events)",
            [
                (
                    f"max by (service, relay) (digipolku_relay_backlog_events{{{SERVICE}}})",
                    "{{relay}}",
                )
            ],
            unit="short",
            x=12,
            y=18,
            description="Stored events not yet on Kafka, per relay.",
        ),
        _panel(
            9,
            "Projection lag (seconds)",
            [
                (
                    f"max by (service, projection) (digipolku_projection_lag_seconds{{{SERVICE}}})",
                    "{{service}} {{projection}}",
                )
            ],
            unit="s",
            x=0,
            y=26,
            description="How far behind its topic each read model is, worst tenant.",
        ),
        _panel(
            10,
            "Projection lag by tenant (events)",
            [
                (
                    "topk(10, max by (projection, tenant) "
                    f"(digipolku_projection_lag_events{{{SERVICE}}}))",
                    "{{projection}} {{tenant}}",
                )
            ],
            unit="short",
            x=12,
            y=26,
            description="The ten tenants furthest behind, in events.",
        ),
        _row(11, "Held back, refused, dead-lettered", 34),
        _panel(
            12,
            "Streams held back",
            [
                (
                    f"sum by (service, projection) (digipolku_held_streams{{{SERVICE}}})",
                    "{{service}} {{projection}}",
                )
            ],
            unit="short",
            x=0,
            y=35,
            description="Streams a projection holds back after a gap or a poison event.",
        ),
        _panel(
            13,
            "Refused and dead-lettered events (per hour)",
            [
                (
                    "sum by (service, reason) (increase("
                    f"digipolku_refused_events_total{{{SERVICE}}}[1h]))",
                    "refused {{service}} {{reason}}",
                ),
                (
                    "sum by (consumer, event_type) (increase(digipolku_dead_letters_total[1h]))",
                    "dead-lettered {{consumer}} {{event_type}}",
                ),
            ],
            unit="short",
            x=12,
            y=35,
            description="Refused: an event type from a topic that does not own it. "
            "Dead-lettered: an event a consumer could not apply.",
        ),
        _row(14, "Rebuilds", 43),
        _panel(
            15,
            "Rebuild progress",
            [
                (
                    "max by (projection) (digipolku_rebuild_events_replayed) / "
                    "max by (projection) (digipolku_rebuild_events_total)",
                    "{{projection}}",
                )
            ],
            unit="percentunit",
            x=0,
            y=44,
            description="Share of the events replayed into a rebuilding projection.",
        ),
    ]


def dashboard() -> dict[str, Any]:
    return {
        "uid": UID,
        "title": "Digipolku",
        "description": "Is every service up, ready and keeping up? (docs/operations.md)",
        "tags": ["digipolku"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Data source",
                },
                {
                    "name": "service",
                    "type": "query",
                    "datasource": DATASOURCE,
                    "query": "label_values(digipolku_http_requests_total, service)",
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".*",
                    "current": {"text": "All", "value": "$__all"},
                    "label": "Service",
                },
            ]
        },
        "panels": panels(),
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"
