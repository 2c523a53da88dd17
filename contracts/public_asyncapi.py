"""The AsyncAPI document of the public topics, made from the public event model.

Served by reporting at /asyncapi/public.json; another wellbeing area starts from it (and from
examples/public_subscriber.py).
"""

from __future__ import annotations

from typing import Any

from contracts.public import PublicPathEvent


def public_asyncapi() -> dict[str, Any]:
    schema = PublicPathEvent.model_json_schema()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Digipolku public events",
            "version": "1.0.0",
            "description": (
                "Minimised events of the 12-week paths, one topic per wellbeing area: no"
                " identity, no free text, no internal ids. Delivery is at least once; drop an"
                " event whose event_id you have already seen. Messages are keyed by path_ref,"
                " so one path's events stay in order."
            ),
        },
        "channels": {
            "publicPathEvents": {
                "address": "digipolku.public.{tenant}.events",
                "parameters": {"tenant": {"description": "The wellbeing area, a lowercase slug."}},
                "messages": {"PublicPathEvent": {"$ref": "#/components/messages/PublicPathEvent"}},
            }
        },
        "operations": {
            "receivePublicPathEvents": {
                "action": "receive",
                "channel": {"$ref": "#/channels/publicPathEvents"},
            }
        },
        "components": {
            "messages": {
                "PublicPathEvent": {
                    "contentType": "application/json",
                    "payload": schema,
                    "examples": [{"payload": example} for example in schema.get("examples", [])],
                }
            }
        },
    }
