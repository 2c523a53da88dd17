"""Monitoring: the alerts and the dashboard ask for metrics the services export, and every
alert links to its runbook in docs/operations.md."""

from __future__ import annotations

import json
import re
from typing import Any

from prometheus_client import REGISTRY

# Imported for their metrics: each module defines its counters where it counts them.
import chassis.dead_letters
import chassis.event_admission
import chassis.metrics.definitions
import chassis.projector  # noqa: F401
from deploy.kubernetes_generate import ROOT
from tests.deploy.kubernetes_render import Manifest, of_kind, overlay, rendered

OPERATIONS = ROOT.parents[1] / "docs" / "operations.md"


def _exported() -> set[str]:
    """The series names the services' /metrics can hold: read from the registry the services
    define their metrics in (not a list kept beside them), plus the scrape's own `up`."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    return {"up"} | {
        family.name + suffix
        for family in REGISTRY.collect()
        if family.name.startswith("digipolku_")
        for suffix in suffixes.get(family.type, [""])
    }


EXPORTED = _exported()
ALERTED = {
    "projection lag": "digipolku_projection_lag_seconds",
    "relay backlog": "digipolku_relay_backlog_seconds",
    "dead-lettered events": "digipolku_dead_letters_total",
    "error rate": "digipolku_http_requests_total",
    "readiness": "digipolku_ready",
}
METRIC = re.compile(r"\b(digipolku_[a-z_]+|up)\b(?=\s*[{\[)])")


def _rules() -> list[dict[str, Any]]:
    rule: Manifest = of_kind(rendered(overlay("production")), "PrometheusRule")["digipolku"]
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def _anchors() -> set[str]:
    # GitHub's anchor of a heading: lower case, spaces to hyphens, punctuation dropped.
    headings = re.findall(r"^#+ (.+)$", OPERATIONS.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_alert_asks_for_exported_metrics_and_links_its_runbook() -> None:
    anchors = _anchors()
    rules = _rules()
    for rule in rules:
        metrics = set(METRIC.findall(rule["expr"]))
        assert metrics and metrics <= EXPORTED, (rule["alert"], metrics - EXPORTED)
        url = rule["annotations"]["runbook_url"]
        assert url.endswith("docs/operations.md#" + rule["alert"].lower())
        assert rule["alert"].lower() in anchors, f"no runbook heading for {rule['alert']}"
    used = {m for rule in rules for m in METRIC.findall(rule["expr"])}
    assert set(ALERTED.values()) <= used


def test_the_dashboard_is_a_labelled_config_map_of_exported_metrics() -> None:
    maps = of_kind(rendered(overlay("production")), "ConfigMap")
    dashboard_map = maps["digipolku-grafana-dashboard"]
    assert dashboard_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(dashboard_map["data"]["digipolku.json"])
    expressions = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {m for e in expressions for m in METRIC.findall(e)}
    assert used <= EXPORTED, used - EXPORTED
    assert {"digipolku_projection_lag_seconds", "digipolku_relay_backlog_seconds"} <= used
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_prometheus_scrapes_every_service() -> None:
    objects = rendered(overlay("production"))
    monitor = of_kind(objects, "ServiceMonitor")["digipolku-services"]["spec"]
    assert monitor["endpoints"][0]["port"] == "http"
    assert monitor["endpoints"][0]["path"] == "/metrics"
    selected = monitor["selector"]["matchLabels"]
    services = of_kind(objects, "Service")
    assert services and all(
        selected.items() <= s["metadata"]["labels"].items() for s in services.values()
    )
