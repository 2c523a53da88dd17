"""The AsyncAPI document of what leaves the platform, made from the contract's models
(decision 0032): every tenant's monthly statistics, and each tenant's own path events.

Served by reporting at /asyncapi/public.json; another wellbeing area starts from it (and from
examples/public_subscriber.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts.public import MonthlyStatistics, TenantPathEvent

TENANT_PARAMETER = {"tenant": {"description": "The wellbeing area, a lowercase slug."}}


def _message(model: type[BaseModel], key: str) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)  # in components.schemas (_schemas)
    return {
        "contentType": "application/json",
        "payload": schema,
        "bindings": {"kafka": {"key": {"type": "string", "description": key}}},
        "examples": [{"payload": example} for example in schema.get("examples", [])],
    }


def public_asyncapi() -> dict[str, Any]:
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Digipolku statistics and tenant events",
            "version": "2.1.0",
            "description": (
                "No per-person history leaves the platform. Every wellbeing area and national"
                " statistics may read each tenant's monthly statistics: the figures of the"
                " paths opened in a month, under the dashboard's disclosure control (every"
                " count moved by a little fixed noise, shares on fewer than `min_base` paths"
                " hidden), published again when they change; keep the highest revision of a"
                " month. A tenant's own systems, and nobody else, may read its path events,"
                " which carry only what reminders need. Delivery is at least once."
            ),
        },
        "channels": {
            "monthlyStatistics": {
                "address": "digipolku.public.{tenant}.statistics",
                "parameters": TENANT_PARAMETER,
                "messages": {
                    "MonthlyStatistics": {"$ref": "#/components/messages/MonthlyStatistics"}
                },
            },
            "tenantPathEvents": {
                "address": "digipolku.tenant.{tenant}.paths",
                "parameters": TENANT_PARAMETER,
                "messages": {"TenantPathEvent": {"$ref": "#/components/messages/TenantPathEvent"}},
            },
        },
        "operations": {
            "receiveMonthlyStatistics": {
                "action": "receive",
                "channel": {"$ref": "#/channels/monthlyStatistics"},
                "summary": "Any wellbeing area or national statistics.",
            },
            "receiveTenantPathEvents": {
                "action": "receive",
                "channel": {"$ref": "#/channels/tenantPathEvents"},
                "summary": "The tenant's own systems only (its Kafka user's prefix).",
            },
        },
        "components": {
            "schemas": _schemas(MonthlyStatistics, TenantPathEvent),
            "messages": {
                "MonthlyStatistics": _message(MonthlyStatistics, "<tenant>:<month>"),
                "TenantPathEvent": _message(TenantPathEvent, "path_ref"),
            },
        },
    }


def _schemas(*models: type[BaseModel]) -> dict[str, Any]:
    """The nested models the payloads refer to, once each."""
    found: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(schema.get("$defs", {}))
    return found
