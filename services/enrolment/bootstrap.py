"""Enrolment's parts, made once when the service starts; requests find them on the runtime."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from fastapi import Request

from chassis.projector import Projector
from chassis.rebuild import rebuild_if_untracked
from chassis.service import ServiceRuntime, runtime_of
from chassis.unit_of_work import CommandPipeline, InlineProjection
from contracts.topics import ENROLMENT_EVENTS
from services.enrolment.adapters.client_records import PostgresClientRecords, PostgresReferences
from services.enrolment.adapters.identity_vault import IdentityVault
from services.enrolment.adapters.pathway_list import PATHWAY_LIST
from services.enrolment.adapters.vault_cipher import VaultCipher
from services.enrolment.application.erasure import ErasureCommands
from services.enrolment.application.handlers import EnrolmentCommands
from services.enrolment.application.queries import EnrolmentQueries
from services.enrolment.settings import EnrolmentSettings


@dataclass(frozen=True)
class Enrolment:
    commands: EnrolmentCommands
    erasure: ErasureCommands
    queries: EnrolmentQueries
    vault: IdentityVault
    pool: asyncpg.Pool


async def bootstrap(runtime: ServiceRuntime) -> Enrolment:
    """Read the vault and pseudonym keys (a missing or development key in production stops the
    start) and wire the commands, with the path list kept inline."""
    settings = EnrolmentSettings()
    vault = IdentityVault(VaultCipher(settings.vault_key_bytes()), settings.pseudonym())
    pool = runtime.require_pool()
    store = runtime.require_store()
    path_list = Projector(pool, PATHWAY_LIST)
    # A list made before it was a tracked projection (or emptied) is rebuilt from the store.
    await rebuild_if_untracked(path_list, store, ENROLMENT_EVENTS)
    pipeline = CommandPipeline.on_postgres(
        store, pool, [InlineProjection(ENROLMENT_EVENTS, path_list)]
    )
    return Enrolment(
        commands=EnrolmentCommands(pipeline, PostgresClientRecords(vault), PostgresReferences()),
        erasure=ErasureCommands(pipeline, vault, pool),
        queries=EnrolmentQueries(pipeline, vault, pool),
        vault=vault,
        pool=pool,
    )


def enrolment(request: Request) -> Enrolment:
    return runtime_of(request).parts_as(Enrolment)
