"""Each service's PostgreSQL through CloudNativePG, and the Secrets its roles need.

Per service: a `Cluster` (three instances, TLS, no superuser access) whose database is owned by
the migration role `<service>_owner`, with the application role `<service>_app` and the access
log's writer `<service>_log_writer` managed beside it (decision 0024: the owner migrates and
owns every table, the access log included; the application role reads and writes the
service's tables; the writer, which cannot log in, alone may read the access log and add to
it, and the application role does so as its member); the Barman Cloud plugin's `ObjectStore`
and a daily `ScheduledBackup` to object storage, with continuous WAL archiving; a NetworkPolicy
letting in only the service, the instances themselves, the operator and Prometheus. Passwords
and keys come from the secret store through External Secrets (decision 0038).
"""

from __future__ import annotations

from typing import Any

from deploy.kubernetes_services import (
    DB_CA_DIR,
    MONITORING_NAMESPACE,
    OWN_SECRETS,
    PART_OF,
    db_cluster,
    log_writer_role,
)

CNPG = "postgresql.cnpg.io/v1"
BARMAN = "barmancloud.cnpg.io/v1"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
ESO = "external-secrets.io/v1"
# One store per cluster (each environment is its own cluster with its own store); the name is
# the same everywhere, so the manifests do not change between environments.
SECRET_STORE = {"kind": "ClusterSecretStore", "name": "digipolku"}
BACKUP_CREDENTIALS = "digipolku-backup-object-store"
BACKUP_BUCKET = "s3://digipolku-backups"
OPERATOR_NAMESPACE = "cnpg-system"


def owner_role(service: str) -> str:
    return f"{service}_owner"


def app_role(service: str) -> str:
    return f"{service}_app"


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/component": "database", **PART_OF}


def database_url(service: str, role: str) -> str:
    """The DSN a role connects with, as an External Secrets template (`{{ .password }}`):
    TLS to the read-write service, the server's certificate checked against the cluster's CA.
    Passwords are letters and digits (operations.md), so they need no escaping in a URL."""
    return (
        f"postgresql://{role}:{{{{ .password }}}}@{db_cluster(service)}-rw:5432/{service}"
        f"?sslmode=verify-full&sslrootcert={DB_CA_DIR}/ca.crt"
    )


def external_secret(
    name: str,
    labels: dict[str, str],
    remote_key: str,
    keys: list[str],
    template: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Secret that External Secrets makes from `keys` of the store's entry `remote_key`
    (decision 0038); `template` shapes it when its consumer wants other keys or a type."""
    target: dict[str, Any] = {"name": name, "creationPolicy": "Owner"}
    if template is not None:
        target["template"] = template
    return {
        "apiVersion": ESO,
        "kind": "ExternalSecret",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": SECRET_STORE,
            "target": target,
            "data": [
                {"secretKey": key, "remoteRef": {"key": remote_key, "property": key}}
                for key in keys
            ],
        },
    }


def role_secret(service: str, role: str, secret: str) -> dict[str, Any]:
    """A role's password from the store, as CloudNativePG wants it (basic-auth: username and
    password) and as the services want it (`url`)."""
    template = {
        "type": "kubernetes.io/basic-auth",
        # CloudNativePG sets the role's new password when the Secret changes.
        "metadata": {"labels": {"cnpg.io/reload": "true"}},
        "data": {
            "username": role,
            "password": "{{ .password }}",
            "url": database_url(service, role),
        },
    }
    return external_secret(
        secret, _labels(service), f"digipolku/{service}/{secret}", ["password"], template
    )


def app_secrets(service: str) -> dict[str, Any]:
    """The service's own secret settings: the session secret and, for enrolment and reporting,
    their keys (services/*/settings.py)."""
    keys = ["session-secret", *(key for _, key in OWN_SECRETS[service])]
    labels = _labels(service) | {"app.kubernetes.io/component": "server"}
    return external_secret(f"{service}-app", labels, f"digipolku/{service}/app", keys)


def cluster(service: str) -> dict[str, Any]:
    return {
        "apiVersion": CNPG,
        "kind": "Cluster",
        "metadata": {"name": db_cluster(service), "labels": _labels(service)},
        "spec": {
            "instances": 3,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:17.6-standard-bookworm",
            "primaryUpdateStrategy": "unsupervised",
            "enableSuperuserAccess": False,
            "bootstrap": {
                "initdb": {
                    "database": service,
                    "owner": owner_role(service),
                    "secret": {"name": f"{service}-db-owner"},
                }
            },
            "managed": {
                "roles": [
                    {
                        "name": owner_role(service),
                        "ensure": "present",
                        "comment": "runs the migrations and owns every table (decision 0024)",
                        "login": True,
                        "passwordSecret": {"name": f"{service}-db-owner"},
                    },
                    {
                        "name": log_writer_role(service),
                        "ensure": "present",
                        "comment": "alone may read and add to the access log; cannot log in",
                        "login": False,
                    },
                    {
                        "name": app_role(service),
                        "ensure": "present",
                        "comment": "the service; adds to the access log as the writer's member",
                        "login": True,
                        "connectionLimit": 100,
                        "passwordSecret": {"name": f"{service}-db-app"},
                        "inRoles": [log_writer_role(service)],
                    },
                ]
            },
            "postgresql": {
                "parameters": {
                    "log_connections": "on",
                    "log_disconnections": "on",
                    "password_encryption": "scram-sha-256",
                },
                # Only TLS connections with a password, from anywhere the NetworkPolicy lets in.
                "pg_hba": ["hostssl all all all scram-sha-256"],
            },
            "storage": {"size": "20Gi"},
            "walStorage": {"size": "5Gi"},
            "resources": {
                "requests": {"cpu": "250m", "memory": "512Mi"},
                "limits": {"cpu": "2", "memory": "1Gi"},
            },
            "affinity": {"enablePodAntiAffinity": True, "podAntiAffinityType": "required"},
            "plugins": [
                {
                    "name": BARMAN_PLUGIN,
                    "isWALArchiver": True,
                    "parameters": {"barmanObjectName": f"{service}-backups"},
                }
            ],
        },
    }


def object_store(service: str) -> dict[str, Any]:
    credentials = {"name": BACKUP_CREDENTIALS}
    return {
        "apiVersion": BARMAN,
        "kind": "ObjectStore",
        "metadata": {"name": f"{service}-backups", "labels": _labels(service)},
        "spec": {
            "retentionPolicy": "30d",
            "configuration": {
                "destinationPath": f"{BACKUP_BUCKET}/{service}",
                "s3Credentials": {
                    "accessKeyId": credentials | {"key": "ACCESS_KEY_ID"},
                    "secretAccessKey": credentials | {"key": "ACCESS_SECRET_KEY"},
                },
                "wal": {"compression": "gzip", "encryption": "AES256"},
                "data": {"compression": "gzip", "encryption": "AES256", "jobs": 2},
            },
        },
    }


def scheduled_backup(service: str) -> dict[str, Any]:
    return {
        "apiVersion": CNPG,
        "kind": "ScheduledBackup",
        "metadata": {"name": f"{service}-daily", "labels": _labels(service)},
        "spec": {
            "schedule": "0 30 1 * * *",  # seconds first: every night at 01:30
            "immediate": True,
            "backupOwnerReference": "self",
            "cluster": {"name": db_cluster(service)},
            "method": "plugin",
            "pluginConfiguration": {"name": BARMAN_PLUGIN},
        },
    }


def network_policy(service: str) -> dict[str, Any]:
    instances = {"podSelector": {"matchLabels": {"cnpg.io/cluster": db_cluster(service)}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": db_cluster(service), "labels": _labels(service)},
        "spec": {
            "podSelector": {"matchLabels": {"cnpg.io/cluster": db_cluster(service)}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    # The service and its migration Job; the other instances replicate.
                    "from": [
                        {
                            "podSelector": {
                                "matchLabels": {"app.kubernetes.io/name": service, **PART_OF}
                            }
                        },
                        instances,
                    ],
                    "ports": [{"protocol": "TCP", "port": 5432}],
                },
                {
                    # The operator asks each instance's status; instances ask each other too.
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": OPERATOR_NAMESPACE}
                            }
                        },
                        instances,
                    ],
                    "ports": [{"protocol": "TCP", "port": 8000}],
                },
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": 9187}],
                },
            ],
        },
    }


def database(service: str) -> list[dict[str, Any]]:
    """Every object of one service's database, its secrets first."""
    return [
        role_secret(service, owner_role(service), f"{service}-db-owner"),
        role_secret(service, app_role(service), f"{service}-db-app"),
        app_secrets(service),
        cluster(service),
        object_store(service),
        scheduled_backup(service),
        network_policy(service),
    ]


def backup_credentials() -> dict[str, Any]:
    """The object store's keys, one pair for every service's backups."""
    return external_secret(
        BACKUP_CREDENTIALS,
        dict(PART_OF),
        "digipolku/backups/object-store",
        ["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"],
    )
