"""The Kubernetes workload of one service: what runs it, reaches it and guards it.

Per service: a ServiceAccount (no API token), the Deployment (`digipolku serve SERVICE`, probes,
resources, the restricted security context), its Service, a PodDisruptionBudget, a
HorizontalPodAutoscaler, a NetworkPolicy (only the traffic listed below) and the migration Job
(`digipolku migrate SERVICE`, as the migration role). Settings are the DIGIPOLKU_* variables of
chassis/settings.py and the service's own settings classes; secrets come from Secrets that
External Secrets makes (decision 0038), never from this repository.
"""

from __future__ import annotations

from typing import Any

from contracts.kafka_principals import service_principal

SERVICES = ("enrolment", "tasks", "guidance", "reporting")
IMAGE = "ghcr.io/digipolku/digipolku"
PORT = 8000
UID = 10001
PART_OF = {"app.kubernetes.io/part-of": "digipolku"}
KAFKA_CLUSTER = "digipolku"
KAFKA_BOOTSTRAP = f"{KAFKA_CLUSTER}-kafka-bootstrap:9093"
KAFKA_CA_SECRET = f"{KAFKA_CLUSTER}-cluster-ca-cert"  # made by Strimzi's cluster operator
KAFKA_CA_DIR = "/var/run/digipolku/kafka-ca"
DB_CA_DIR = "/var/run/digipolku/db-ca"
PLATFORM_CONFIG = "digipolku-platform"  # the environment's ConfigMap (issuer, OTLP endpoint)

# Who calls whom over HTTP (the DIGIPOLKU_*_URL settings, chassis/settings.py): tasks asks
# guidance for feedback (services/tasks/web/guidance_view.py) and enrolment for a client's
# reference (chassis/client_refs.py); guidance's pages read enrolment and tasks, and gather
# every service's access log, its own included (services/guidance/web/peer_services.py).
# A test reads the code again and compares.
CALLS: dict[str, tuple[str, ...]] = {
    "enrolment": (),
    "tasks": ("enrolment", "guidance"),
    "guidance": ("enrolment", "guidance", "reporting", "tasks"),
    "reporting": (),
}

# Each service's own secret settings (services/*/settings.py) beside the session secret: the
# variable and the key of the service's `<service>-app` Secret.
OWN_SECRETS: dict[str, tuple[tuple[str, str], ...]] = {
    "enrolment": (
        ("DIGIPOLKU_VAULT_KEY", "vault-key"),
        ("DIGIPOLKU_PSEUDONYM_KEY", "pseudonym-key"),
    ),
    "tasks": (),
    "guidance": (),
    "reporting": (
        ("DIGIPOLKU_PUBLIC_REF_KEY", "public-ref-key"),
        ("DIGIPOLKU_CELL_KEY", "cell-key"),
    ),
}


def labels(service: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/component": component, **PART_OF}


def selector(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/component": "server"}


def callers(service: str) -> list[str]:
    return sorted(caller for caller, called in CALLS.items() if service in called)


def db_cluster(service: str) -> str:
    """The CloudNativePG cluster of the service's database."""
    return f"{service}-db"


def _secret(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _config(name: str, key: str, optional: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": PLATFORM_CONFIG, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": name, "valueFrom": {"configMapKeyRef": ref}}


def log_writer_role(service: str) -> str:
    """The role, without a login, that alone may add to the service's access log; the app
    role writes the log as its member (chassis/migrate.py grants it the log's rights)."""
    return f"{service}_log_writer"


def database_env(service: str) -> list[dict[str, Any]]:
    # Both URLs even for the server: production refuses to start without a separate migration
    # role (chassis/production.py), and each replica migrates under a lock at start, a no-op
    # once the Job has run (chassis/migrate.py).
    return [
        _config("DIGIPOLKU_ENVIRONMENT", "environment"),
        _secret("DIGIPOLKU_DATABASE_URL", f"{service}-db-app", "url"),
        _secret("DIGIPOLKU_MIGRATION_DATABASE_URL", f"{service}-db-owner", "url"),
        {"name": "DIGIPOLKU_ACCESS_LOG_WRITER_ROLE", "value": log_writer_role(service)},
    ]


def service_env(service: str) -> list[dict[str, Any]]:
    env = [
        *database_env(service),
        {"name": "DIGIPOLKU_KAFKA_BOOTSTRAP", "value": KAFKA_BOOTSTRAP},
        {"name": "DIGIPOLKU_KAFKA_SECURITY_PROTOCOL", "value": "SASL_SSL"},
        {"name": "DIGIPOLKU_KAFKA_USERNAME", "value": service_principal(service)},
        # Strimzi's user operator keeps each KafkaUser's SCRAM password in a Secret of its name.
        _secret("DIGIPOLKU_KAFKA_PASSWORD", service_principal(service), "password"),
        {"name": "DIGIPOLKU_KAFKA_CA_FILE", "value": f"{KAFKA_CA_DIR}/ca.crt"},
        _config("DIGIPOLKU_OIDC_ISSUER", "oidc-issuer"),
        _config("DIGIPOLKU_OTLP_ENDPOINT", "otlp-endpoint", optional=True),
        _config("OTEL_TRACES_SAMPLER", "traces-sampler"),
        _config("OTEL_TRACES_SAMPLER_ARG", "traces-sampler-arg"),
        _config("DIGIPOLKU_FORWARDED_ALLOW_IPS", "forwarded-allow-ips"),
        _secret("DIGIPOLKU_SESSION_SECRET", f"{service}-app", "session-secret"),
        *(_secret(name, f"{service}-app", key) for name, key in OWN_SECRETS[service]),
        *(
            {"name": f"DIGIPOLKU_{peer.upper()}_URL", "value": f"http://{peer}:{PORT}"}
            for peer in CALLS[service]
        ),
    ]
    return env


def _container_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _pod_security() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _volumes(service: str, kafka: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pod's volumes and the container's mounts: /tmp (the only writable path), the
    database's CA (CloudNativePG's `<cluster>-ca`) and, for the server, the brokers' CA."""
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        {
            "name": "db-ca",
            "secret": {
                "secretName": f"{db_cluster(service)}-ca",
                "items": [{"key": "ca.crt", "path": "ca.crt"}],
            },
        },
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "tmp", "mountPath": "/tmp"},  # the pod's own emptyDir
        {"name": "db-ca", "mountPath": DB_CA_DIR, "readOnly": True},
    ]
    if kafka:
        volumes.append(
            {
                "name": "kafka-ca",
                "secret": {
                    "secretName": KAFKA_CA_SECRET,
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                },
            }
        )
        mounts.append({"name": "kafka-ca", "mountPath": KAFKA_CA_DIR, "readOnly": True})
    return volumes, mounts


def _probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def service_account(service: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": service, "labels": labels(service, "server")},
        # The services never call the Kubernetes API.
        "automountServiceAccountToken": False,
    }


def _container(
    name: str, args: list[str], env: list[dict[str, Any]], mounts: list[dict[str, Any]]
) -> dict[str, Any]:
    """The one image run with `args`, restricted, writing only to /tmp."""
    return {
        "name": name,
        # The tag is the base's `images:` (the release's version); this is only its name.
        "image": IMAGE,
        "imagePullPolicy": "Always",
        "args": args,
        "env": env,
        "securityContext": _container_security(),
        "volumeMounts": mounts,
    }


def _pod(
    service: str, component: str, container: dict[str, Any], volumes: list[dict[str, Any]]
) -> dict[str, Any]:
    """A pod template: the service's account without an API token, restricted."""
    return {
        "metadata": {"labels": labels(service, component)},
        "spec": {
            "serviceAccountName": service,
            "automountServiceAccountToken": False,
            "securityContext": _pod_security(),
            "containers": [container],
            "volumes": volumes,
        },
    }


def deployment(service: str) -> dict[str, Any]:
    volumes, mounts = _volumes(service, kafka=True)
    args = ["serve", service, "--host", "0.0.0.0", "--port", str(PORT)]
    container = _container(service, args, service_env(service), mounts) | {
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        # A service starts in seconds, but joining a consumer group can take longer under a
        # rebalance: two minutes before liveness counts.
        "startupProbe": _probe("/healthz", period=5, failures=24),
        "livenessProbe": _probe("/healthz", period=10, failures=3),
        "readinessProbe": _probe("/readyz", period=5, failures=2),
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
    }
    template = _pod(service, "server", container, volumes)
    template["spec"]["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector(service)},
        }
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": service, "labels": labels(service, "server")},
        "spec": {
            # No `replicas`: the HorizontalPodAutoscaler owns it, and an apply that set it
            # would undo the autoscaler's choice at every release.
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(service)},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": template,
        },
    }


def migration_job(service: str) -> dict[str, Any]:
    """`digipolku migrate SERVICE` as the migration role: a Job's template cannot change, so
    a release deletes the finished Job before it applies (docs/operations.md)."""
    volumes, mounts = _volumes(service, kafka=False)
    container = _container("migrate", ["migrate", service], database_env(service), mounts) | {
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
    }
    template = _pod(service, "migration", container, volumes)
    template["spec"]["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"{service}-migrate", "labels": labels(service, "migration")},
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 600,
            "ttlSecondsAfterFinished": 86400,
            "template": template,
        },
    }


def service(service: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": service, "labels": labels(service, "server")},
        "spec": {
            "type": "ClusterIP",
            "selector": selector(service),
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def disruption_budget(service: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": service, "labels": labels(service, "server")},
        # One at a time, whatever the replicas (a single replica may still be drained).
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(service)}},
    }


def autoscaler(service: str) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": service, "labels": labels(service, "server")},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
            # A consumer group rebalances on every new member: scale down slowly.
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 600}},
        },
    }


def _namespace(name: str) -> dict[str, Any]:
    return {"matchLabels": {"kubernetes.io/metadata.name": name}}


# Where the cluster's shared parts run; an environment whose differ patches these policies.
INGRESS_NAMESPACE = "ingress-nginx"
MONITORING_NAMESPACE = "monitoring"
TRACING_NAMESPACE = "observability"
# The OpenID Connect issuer (the identity broker) is outside the cluster: HTTPS to public
# addresses only, never to the cluster's own or private networks.
PRIVATE_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"]


def network_policy(service: str) -> dict[str, Any]:
    http = [{"protocol": "TCP", "port": PORT}]
    ingress: list[dict[str, Any]] = [
        {"from": [{"namespaceSelector": _namespace(INGRESS_NAMESPACE)}], "ports": http},
        {
            "from": [
                {
                    "namespaceSelector": _namespace(MONITORING_NAMESPACE),
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                }
            ],
            "ports": http,
        },
    ]
    if callers(service):
        ingress.append(
            {"from": [{"podSelector": {"matchLabels": selector(c)}} for c in callers(service)]}
            | {"ports": http}
        )
    egress: list[dict[str, Any]] = [
        {
            "to": [
                {
                    "namespaceSelector": _namespace("kube-system"),
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                }
            ],
            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        },
        {
            "to": [{"podSelector": {"matchLabels": {"cnpg.io/cluster": db_cluster(service)}}}],
            "ports": [{"protocol": "TCP", "port": 5432}],
        },
        {
            "to": [
                {
                    "podSelector": {
                        "matchLabels": {
                            "strimzi.io/cluster": KAFKA_CLUSTER,
                            "strimzi.io/kind": "Kafka",
                        }
                    }
                }
            ],
            "ports": [{"protocol": "TCP", "port": 9093}],
        },
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_NETWORKS}}],
            "ports": [{"protocol": "TCP", "port": 443}],
        },
        {
            "to": [{"namespaceSelector": _namespace(TRACING_NAMESPACE)}],
            "ports": [{"protocol": "TCP", "port": 4318}],
        },
    ]
    if CALLS[service]:
        egress.append(
            {
                "to": [{"podSelector": {"matchLabels": selector(p)}} for p in CALLS[service]],
                "ports": http,
            }
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": service, "labels": labels(service, "server")},
        "spec": {
            # The server and its migration Job: both reach the database, nothing else reaches
            # the Job.
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": service, **PART_OF}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": egress,
        },
    }


def workload(name: str) -> list[dict[str, Any]]:
    """Every object that runs one service, in the order they are applied."""
    return [
        service_account(name),
        deployment(name),
        service(name),
        disruption_budget(name),
        autoscaler(name),
        network_policy(name),
        migration_job(name),
    ]
