"""Each service's workload in the rendered overlays: restricted, probed, given every setting
production needs, and let through the network only where the code goes (decision 0037)."""

from __future__ import annotations

import base64
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import BaseSettings

from chassis.settings import ServiceSettings
from deploy.kubernetes_services import CALLS, SERVICES, UID, callers
from services.enrolment.app import SPEC as ENROLMENT
from services.guidance.app import SPEC as GUIDANCE
from services.reporting.app import SPEC as REPORTING
from services.tasks.app import SPEC as TASKS
from tests.deploy.kubernetes_render import ENVIRONMENTS, Manifest, of_kind, overlay, rendered

REPO = Path(__file__).resolve().parents[2]
SPECS = {spec.name: spec for spec in (ENROLMENT, TASKS, GUIDANCE, REPORTING)}
# Settings of the tracing part of issue 16 (chassis tracing), read from the environment too.
TRACING_SETTINGS = {
    "DIGIPOLKU_OTLP_ENDPOINT",
    "DIGIPOLKU_TRACE_FILE",
    # OpenTelemetry's own sampler variables (decision 0039).
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
}
# Read by `digipolku serve` itself (an option's environment variable), not a service setting.
SERVE_OPTIONS = {"DIGIPOLKU_FORWARDED_ALLOW_IPS"}


def _pods(objects: list[Manifest]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in ("Deployment", "Job")
    ]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_pod_runs_restricted(environment: str) -> None:
    pods = _pods(rendered(overlay(environment)))
    assert len(pods) == 2 * len(SERVICES)
    for name, pod in pods:
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        mounts: dict[str, str] = {}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["runAsUser"] == UID, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert container["image"].startswith("ghcr.io/digipolku/digipolku:"), name
            assert set(container["resources"]) == {"requests", "limits"}, name
            mounts |= {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name  # the only writable path


def test_each_server_is_probed_and_each_job_migrates() -> None:
    objects = rendered(overlay("production"))
    for service in SERVICES:
        container = of_kind(objects, "Deployment")[service]["spec"]["template"]["spec"][
            "containers"
        ][0]
        assert container["args"][:2] == ["serve", service]
        assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        job = of_kind(objects, "Job")[f"{service}-migrate"]["spec"]["template"]["spec"]
        assert job["containers"][0]["args"] == ["migrate", service]
        assert job["restartPolicy"] == "Never"
        env = {e["name"]: e for e in job["containers"][0]["env"]}
        owner = env["DIGIPOLKU_MIGRATION_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert owner == {"name": f"{service}-db-owner", "key": "url"}
        hpa = of_kind(objects, "HorizontalPodAutoscaler")[service]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["minReplicas"] >= 2


def _settings_fields(service: str) -> set[str]:
    classes: list[type[BaseSettings]] = [ServiceSettings, *SPECS[service].settings]
    return {f"DIGIPOLKU_{name.upper()}" for cls in classes for name in cls.model_fields}


# What a secret holds in the store, in its shape (the store is not here): production's
# checks read these values as an operator would set them.
def _secret_value(secret: str, key: str) -> str:
    if key == "vault-key":
        return base64.b64encode(b"k" * 32).decode()
    if key in ("pseudonym-key", "public-ref-key", "cell-key"):
        return "v1:" + "s" * 40
    if key == "url":
        role = "owner" if secret.endswith("-db-owner") else "app"
        service = secret.split("-db-")[0]
        return f"postgresql://{service}_{role}:pw@{service}-db-rw:5432/{service}"
    return "x" * 40


@pytest.mark.parametrize("service", SERVICES)
def test_production_accepts_the_settings_a_deployment_gives(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = rendered(overlay("production"))
    config = next(o for o in objects if o["metadata"]["name"].startswith("digipolku-platform"))
    container = of_kind(objects, "Deployment")[service]["spec"]["template"]["spec"]["containers"][0]
    names = {e["name"] for e in container["env"]}
    known = _settings_fields(service) | TRACING_SETTINGS | SERVE_OPTIONS
    assert names <= known, names - known
    for variable in list(os.environ):
        if variable.startswith("DIGIPOLKU_"):
            monkeypatch.delenv(variable)
    for entry in container["env"]:
        source = entry.get("valueFrom", {})
        if "value" in entry:
            value = entry["value"]
        elif "secretKeyRef" in source:
            value = _secret_value(source["secretKeyRef"]["name"], source["secretKeyRef"]["key"])
        else:
            value = config["data"][source["configMapKeyRef"]["key"]]
        monkeypatch.setenv(entry["name"], value)
    # Each refuses to be built with a setting production may not run with (decision 0020).
    settings = ServiceSettings(service_name=service)
    assert settings.environment == "production"
    assert settings.kafka_protocol == "SASL_SSL"
    for cls in SPECS[service].settings:
        cls()
    urls = {name for name in names if name.endswith("_URL") and "DATABASE" not in name}
    assert urls == {f"DIGIPOLKU_{peer.upper()}_URL" for peer in CALLS[service]}


def _peers_in_code(service: str) -> set[str]:
    """The services whose URL setting the service's own code reads, and enrolment when it asks
    enrolment for a client's reference (chassis.client_refs.asking_enrolment)."""
    found: set[str] = set()
    for path in (REPO / "services" / service).rglob("*.py"):
        if "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"settings\.(enrolment|tasks|guidance|reporting)_url", text))
        if "asking_enrolment" in text:
            found.add("enrolment")
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_network_lets_a_service_reach_only_what_its_code_calls(service: str) -> None:
    assert set(CALLS[service]) == _peers_in_code(service)
    policy = of_kind(rendered(overlay("production")), "NetworkPolicy")[service]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]

    def names(peers: list[dict[str, Any]]) -> set[str]:
        return {
            p["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
            for p in peers
            if "podSelector" in p and "namespaceSelector" not in p
        } - {None}

    allowed_in = set().union(*(names(rule["from"]) for rule in policy["ingress"]))
    assert allowed_in == set(callers(service))
    egress = policy["egress"]
    labels = [p.get("podSelector", {}).get("matchLabels", {}) for r in egress for p in r["to"]]
    assert {"cnpg.io/cluster": f"{service}-db"} in labels
    assert any(label.get("strimzi.io/kind") == "Kafka" for label in labels)
    assert any(label.get("k8s-app") == "kube-dns" for label in labels)
    assert set().union(*(names(rule["to"]) for rule in egress)) == set(CALLS[service])


def test_everything_else_is_denied_by_default() -> None:
    policy = of_kind(rendered(overlay("production")), "NetworkPolicy")["default-deny-ingress"]
    assert policy["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_every_overlay_runs_the_projects_version_of_the_one_image() -> None:
    # A release sets its digest in the overlay (docs/operations.md); until then the base's tag
    # is pyproject.toml's version, kept in step by this test.
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for environment in ENVIRONMENTS:
        images = {
            container["image"]
            for _, pod in _pods(rendered(overlay(environment)))
            for container in pod["containers"]
        }
        assert images == {f"ghcr.io/digipolku/digipolku:{version}"}
