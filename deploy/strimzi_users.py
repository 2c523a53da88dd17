"""`python -m deploy.strimzi_users`: write the Strimzi KafkaUser objects from the declaration.

Every principal of `contracts.kafka_principals` becomes one `KafkaUser` with SCRAM-SHA-512
authentication and simple authorization, whose ACLs are exactly its grants (decision 0021).
The file is generated, never edited: a test fails when it and the declaration differ.

    python -m deploy.strimzi_users            # rewrite deploy/strimzi/kafka-users.yaml
    python -m deploy.strimzi_users --check    # exit 1 when the file is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

from contracts.kafka_principals import Principal, principals

USERS_FILE = Path(__file__).resolve().parent / "strimzi" / "kafka-users.yaml"
# Strimzi 0.49 serves v1 for every custom resource (v1beta2 until 0.52); v1 spells the ACL
# operations as a list, `operations`.
API_VERSION = "kafka.strimzi.io/v1"
CLUSTER = "digipolku"
HEADER = (
    "# Kafka users and their ACLs: one per service, national statistics, one per\n"
    "# wellbeing area (decisions 0021, 0032). Generated from contracts/kafka_principals.py by\n"
    "# `python -m deploy.strimzi_users`; do not edit by hand.\n"
)


def kafka_user(principal: Principal, cluster: str = CLUSTER) -> dict[str, Any]:
    """The KafkaUser object for one principal."""
    return {
        "apiVersion": API_VERSION,
        "kind": "KafkaUser",
        "metadata": {
            "name": principal.name,
            "labels": {"strimzi.io/cluster": cluster},
            "annotations": {"digipolku.fi/description": principal.description},
        },
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {
                "type": "simple",
                "acls": [
                    {
                        "resource": {
                            "type": grant.resource,
                            "name": grant.name,
                            "patternType": grant.pattern,
                        },
                        "operations": list(grant.operations),
                    }
                    for grant in principal.grants
                ],
            },
        },
    }


class _IndentedDumper(yaml.SafeDumper):  # type: ignore[misc]  # untyped base
    """Indents a list under its key, as yamllint's default `indent-sequences` wants."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def render(cluster: str = CLUSTER) -> str:
    """The whole file: a header, then one YAML document per principal."""
    documents = [
        "---\n"
        + yaml.dump(
            kafka_user(principal, cluster),
            Dumper=_IndentedDumper,
            sort_keys=False,
            default_flow_style=False,
            width=78,
        )
        for principal in principals()
    ]
    return HEADER + "".join(documents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write deploy/strimzi/kafka-users.yaml.")
    parser.add_argument("--check", action="store_true", help="only check it is up to date")
    args = parser.parse_args(argv)
    wanted = render()
    if args.check:
        current = USERS_FILE.read_text(encoding="utf-8") if USERS_FILE.exists() else ""
        if current != wanted:
            print(f"{USERS_FILE} is out of date: run python -m deploy.strimzi_users")
            return 1
        return 0
    USERS_FILE.parent.mkdir(parents=True, exist_ok=True)
    USERS_FILE.write_text(wanted, encoding="utf-8")
    print(f"wrote {USERS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
