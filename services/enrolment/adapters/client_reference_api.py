"""`GET /me/reference`: the signed-in client's own reference, for the services they use.

Tasks and guidance forward the client's token here to learn which `client_ref` is theirs
(chassis.client_refs); only enrolment can find it (decision 0025). 404 while no path has been
opened for the person in the token's tenant, or after their data was erased.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from chassis.auth import Principal
from chassis.errors import NotFound
from chassis.http_auth import require_role

router = APIRouter(prefix="/me", tags=["client reference"])
Client = Annotated[Principal, Depends(require_role("client"))]


class ClientReferenceView(BaseModel):
    client_ref: str = Field(description="The client's pseudonymous reference in this tenant.")


@router.get(
    "/reference",
    summary="The signed-in client's own pseudonymous reference",
    responses={404: {"description": "No path has been opened for the client here."}},
)
async def my_reference(principal: Client) -> ClientReferenceView:
    if principal.client_ref is None:
        raise NotFound("error.not_found")
    return ClientReferenceView(client_ref=principal.client_ref)
