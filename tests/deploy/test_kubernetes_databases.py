"""PostgreSQL through CloudNativePG: a cluster per service database, backed up to object
storage, with the migration role owning it and the application role beside it (0024)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from deploy.kubernetes_databases import BARMAN_PLUGIN, app_role, owner_role
from deploy.kubernetes_services import SERVICES, log_writer_role
from tests.deploy.kubernetes_render import ENVIRONMENTS, Manifest, of_kind, overlay, rendered


def _made_secrets(objects: list[Manifest]) -> set[str]:
    """Secrets the operators make: External Secrets' targets, Strimzi's user and CA secrets,
    CloudNativePG's CA of each cluster."""
    made = {o["spec"]["target"]["name"] for o in objects if o["kind"] == "ExternalSecret"}
    made |= {o["metadata"]["name"] for o in objects if o["kind"] == "KafkaUser"}
    made |= {"digipolku-cluster-ca-cert"}
    made |= {f"{o['metadata']['name']}-ca" for o in objects if o["kind"] == "Cluster"}
    return made


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_database_is_backed_up_to_object_storage(environment: str) -> None:
    objects = rendered(overlay(environment))
    clusters = of_kind(objects, "Cluster")
    stores = of_kind(objects, "ObjectStore")
    backups = {
        b["spec"]["cluster"]["name"]: b for b in of_kind(objects, "ScheduledBackup").values()
    }
    destinations = set()
    for service in SERVICES:
        cluster = clusters[f"{service}-db"]
        assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
        assert cluster["spec"]["instances"] == (1 if environment == "development" else 3)
        assert cluster["spec"]["enableSuperuserAccess"] is False
        (plugin,) = cluster["spec"]["plugins"]
        assert plugin["name"] == BARMAN_PLUGIN and plugin["isWALArchiver"] is True
        store = stores[plugin["parameters"]["barmanObjectName"]]["spec"]
        assert store["configuration"]["destinationPath"].startswith("s3://")
        assert store["retentionPolicy"]
        destinations.add(store["configuration"]["destinationPath"])
        backup = backups[f"{service}-db"]["spec"]
        assert backup["method"] == "plugin"
        assert backup["pluginConfiguration"] == {"name": BARMAN_PLUGIN}
        assert len(backup["schedule"].split()) == 6  # CloudNativePG's cron has seconds
    assert len(destinations) == len(SERVICES)  # no two clusters share a backup path
    if environment != "production":
        assert all(f"/{environment}/" in d for d in destinations)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_migration_application_and_access_log_writer_roles_are_separate(
    environment: str,
) -> None:
    objects = rendered(overlay(environment))
    secrets = of_kind(objects, "ExternalSecret")
    deployments = of_kind(objects, "Deployment")
    for service in SERVICES:
        spec = of_kind(objects, "Cluster")[f"{service}-db"]["spec"]
        assert spec["bootstrap"]["initdb"]["owner"] == owner_role(service)
        roles = {role["name"]: role for role in spec["managed"]["roles"]}
        writer = roles.pop(log_writer_role(service))
        # The writer cannot log in and has no password; the service writes the log only as
        # its member, and the service is told the writer's name (chassis/migrate.py).
        assert writer["login"] is False and "passwordSecret" not in writer
        assert roles[app_role(service)]["inRoles"] == [writer["name"]]
        assert "inRoles" not in roles[owner_role(service)]
        container = deployments[service]["spec"]["template"]["spec"]["containers"][0]
        told = {e["name"]: e.get("value") for e in container["env"]}
        assert told["DIGIPOLKU_ACCESS_LOG_WRITER_ROLE"] == writer["name"]
        assert set(roles) == {owner_role(service), app_role(service)}
        for role in roles.values():
            assert role["ensure"] == "present" and role["login"] is True
            template = secrets[role["passwordSecret"]["name"]]["spec"]["target"]["template"]
            assert template["type"] == "kubernetes.io/basic-auth"
            assert template["data"]["username"] == role["name"]
            url = urlsplit(template["data"]["url"])
            assert url.username == role["name"]
            assert "sslmode=verify-full" in url.query
        assert not any(r.get("superuser") for r in roles.values())


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_secret_a_pod_or_cluster_names_is_made_by_an_operator(environment: str) -> None:
    objects = rendered(overlay(environment))
    made = _made_secrets(objects)
    named: set[str] = set()
    for o in objects:
        if o["kind"] in ("Deployment", "Job"):
            pod = o["spec"]["template"]["spec"]
            named |= {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
            for container in pod["containers"]:
                named |= {
                    e["valueFrom"]["secretKeyRef"]["name"]
                    for e in container["env"]
                    if "secretKeyRef" in e.get("valueFrom", {})
                }
        if o["kind"] == "ObjectStore":
            credentials = o["spec"]["configuration"]["s3Credentials"]
            named |= {ref["name"] for ref in credentials.values()}
    assert named and named <= made, named - made
    stores = {o["spec"]["secretStoreRef"]["name"] for o in objects if o["kind"] == "ExternalSecret"}
    assert stores == {"digipolku"}
