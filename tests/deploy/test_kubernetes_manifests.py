"""deploy/kubernetes: every overlay renders, its core objects are valid Kubernetes, and the
generated files are what the declarations say (decision 0037)."""

from __future__ import annotations

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints
from kubernetes_validate import validate  # type: ignore[import-untyped]  # no type hints

from deploy import kubernetes_generate
from deploy.kubernetes_generate import ROOT, deployed_areas
from deploy.kubernetes_services import SERVICES
from deploy.strimzi_objects import area_objects
from tests.deploy.kubernetes_render import ENVIRONMENTS, Manifest, overlay, rendered

# The Kubernetes version the schemas are checked against: the oldest still supported upstream
# when this was written, so nothing newer slips in.
KUBERNETES_VERSION = "1.32"
# Custom resources of the operators we rely on. kubernetes-validate ships only the Kubernetes
# API's own schemas (no operator's CRDs: their schemas come with each operator's release, which
# this repository does not vendor), so these are left to it unchecked and asserted by our own
# tests instead (test_kubernetes_strimzi, test_kubernetes_databases, test_kubernetes_monitoring).
CRD_GROUPS = {
    "kafka.strimzi.io",
    "postgresql.cnpg.io",
    "barmancloud.cnpg.io",
    "external-secrets.io",
    "monitoring.coreos.com",
}


def _group(manifest: Manifest) -> str:
    api_version: str = manifest["apiVersion"]
    return api_version.split("/")[0] if "/" in api_version else ""


def test_the_generated_files_are_the_declarations() -> None:
    # Regenerate with `python -m deploy.kubernetes_generate` after changing a declaration.
    assert kubernetes_generate.stale() == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_core_object_is_valid_kubernetes(environment: str) -> None:
    objects = rendered(overlay(environment))
    core = [o for o in objects if _group(o) not in CRD_GROUPS]
    kinds = {o["kind"] for o in core}
    assert {"Deployment", "Service", "Job", "NetworkPolicy", "HorizontalPodAutoscaler"} <= kinds
    for manifest in core:
        # Strict: a misspelt field is an error, not something the API server drops silently.
        validate(manifest, KUBERNETES_VERSION, strict=True)
    assert all(
        o["metadata"].get("namespace") == "digipolku" for o in objects if o["kind"] != "Namespace"
    )


def test_a_misspelt_field_fails_validation() -> None:
    deployment = next(o for o in rendered(overlay("production")) if o["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(Exception, match="readinessprobe"):
        validate(broken, KUBERNETES_VERSION, strict=True)


def test_no_secret_value_is_committed() -> None:
    # Secrets come from the store through External Secrets, or from the operators (decision
    # 0038); no overlay carries a Secret object.
    for environment in ENVIRONMENTS:
        assert not [o for o in rendered(overlay(environment)) if o["kind"] == "Secret"]


def test_an_areas_component_adds_its_two_topics_and_its_user() -> None:
    for tenant in deployed_areas():
        component = ROOT / "areas" / tenant
        documents = yaml.safe_load_all((component / "kafka.yaml").read_text(encoding="utf-8"))
        objects = [(o["kind"], o["metadata"]["name"]) for o in documents if o]
        assert objects == [
            ("KafkaTopic", f"digipolku.public.{tenant}.statistics"),
            ("KafkaTopic", f"digipolku.tenant.{tenant}.paths"),
            ("KafkaUser", f"digipolku-area-{tenant}"),
        ]
        assert [(o["kind"], o["metadata"]["name"]) for o in area_objects(tenant)] == objects
        production = rendered(overlay("production"))
        rendered_names = {(o["kind"], o["metadata"]["name"]) for o in production}
        assert set(objects) <= rendered_names


def test_an_area_that_is_not_a_wellbeing_area_is_refused() -> None:
    with pytest.raises(ValueError, match="no wellbeing area"):
        area_objects("atlantis")


def test_every_service_has_its_objects() -> None:
    objects = rendered(overlay("production"))
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for service in SERVICES:
        for kind, name in (
            ("ServiceAccount", service),
            ("Deployment", service),
            ("Service", service),
            ("PodDisruptionBudget", service),
            ("HorizontalPodAutoscaler", service),
            ("NetworkPolicy", service),
            ("Job", f"{service}-migrate"),
            ("Cluster", f"{service}-db"),
            ("ScheduledBackup", f"{service}-daily"),
        ):
            assert (kind, name) in names, (kind, name)
