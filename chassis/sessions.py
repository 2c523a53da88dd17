"""Server-side sessions of the pages (decision 0022).

The browser holds only an opaque random id (`secrets.token_urlsafe(32)`) in a `__Host-`
cookie; the row is found by the id's SHA-256 and keeps who signed in (the principal, never an
identity code) and the tokens the pages forward to other services. The tokens are sealed with
AES-GCM under a key derived from the id, so neither a copy of the table nor a log of it
gives a usable bearer token or the identity code an access token carries.

A session ends after `idle` without a request or `absolute` after sign-in, whichever comes
first, and never outlives its access token. An ended row forgets its tokens at once but keeps
who it was for `rescue_grace`, so that what a client was writing when their session ran out
can still be kept as their draft (services/tasks/web/session.py); then it is deleted, lazily
when its cookie comes back and by the periodic sweep.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chassis.auth import Principal, Role
from chassis.logs import get_logger
from chassis.periodic import every
from chassis.settings import ServiceSettings

if TYPE_CHECKING:
    from chassis.service import ServiceRuntime

log = get_logger(__name__)

# How long an ended session still says whose unsent text to keep (and nothing else).
RESCUE_GRACE = timedelta(hours=2)
SWEEP_SECONDS = 60.0
# secrets.token_urlsafe(32) is 43 characters; anything much longer is not one of ours.
_MAX_ID_LENGTH = 64
_SEAL_INFO = b"digipolku session tokens v1"


def utc_now() -> datetime:
    # Sessions and tokens live in real time, never on the development business clock.
    return datetime.now(UTC)


@dataclass(frozen=True)
class Session:
    """A session the cookie named. `live` False: it ended lately and only says who held it."""

    principal: Principal
    live: bool
    access_token: str | None = None
    id_token: str | None = None


def _id_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def _seal_key(session_id: str) -> bytes:
    # A different derivation from the lookup hash: knowing the row's hash gives no key.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(
        session_id.encode()
    )


def _seal(session_id: str, tokens: dict[str, str]) -> bytes:
    nonce = os.urandom(12)
    sealed = AESGCM(_seal_key(session_id)).encrypt(
        nonce, json.dumps(tokens).encode(), _id_hash(session_id)
    )
    return nonce + sealed


def _unseal(session_id: str, sealed: bytes | None) -> dict[str, str]:
    if not sealed:
        return {}
    try:
        opened = AESGCM(_seal_key(session_id)).decrypt(
            sealed[:12], sealed[12:], _id_hash(session_id)
        )
    except InvalidTag:
        return {}
    tokens: dict[str, str] = json.loads(opened)
    return tokens


def _principal(row: asyncpg.Record) -> Principal:
    role: Role = row["role"]
    return Principal(
        subject=row["subject"],
        role=role,
        tenant=row["tenant"],
        client_ref=row["client_ref"],
        acr=row["acr"],
        name=row["name"],
    )


_COLUMNS = "subject, role, tenant, client_ref, name, acr, sealed_tokens"


class SessionStore:
    """The `sessions` table of one service's database (chassis migration 0004)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        idle: timedelta,
        absolute: timedelta,
        rescue_grace: timedelta = RESCUE_GRACE,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._pool = pool
        self._idle = idle
        self._absolute = absolute
        self._grace = rescue_grace
        self._now = now

    @classmethod
    def from_settings(cls, pool: asyncpg.Pool, settings: ServiceSettings) -> SessionStore:
        return cls(
            pool,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(minutes=settings.session_absolute_minutes),
        )

    async def open(
        self,
        principal: Principal,
        *,
        access_token: str,
        id_token: str,
        token_expires_at: datetime,
    ) -> str:
        """A new session for `principal`; returns the id for the cookie (stored only hashed)."""
        session_id = secrets.token_urlsafe(32)
        now = self._now()
        await self._pool.execute(
            "INSERT INTO sessions (id_hash, subject, role, tenant, client_ref, name, acr,"
            " sealed_tokens, created_at, last_seen_at, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
            _id_hash(session_id),
            principal.subject,
            principal.role,
            principal.tenant,
            principal.client_ref,
            principal.name,
            principal.acr,
            _seal(session_id, {"access_token": access_token, "id_token": id_token}),
            now,
            min(now + self._absolute, token_expires_at),
        )
        return session_id

    async def find(self, session_id: str) -> Session | None:
        """The session the cookie names: live (and now seen), lately ended, or None."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            return None
        id_hash, now = _id_hash(session_id), self._now()
        live = await self._pool.fetchrow(
            f"UPDATE sessions SET last_seen_at = $2"
            f" WHERE id_hash = $1 AND expires_at > $2 AND last_seen_at > $2 - $3::interval"
            f" RETURNING {_COLUMNS}",
            id_hash,
            now,
            self._idle,
        )
        if live is not None:
            tokens = _unseal(session_id, live["sealed_tokens"])
            return Session(
                _principal(live),
                live=True,
                access_token=tokens.get("access_token"),
                id_token=tokens.get("id_token"),
            )
        ended = await self._pool.fetchrow(
            f"SELECT {_COLUMNS}, least(expires_at, last_seen_at + $2::interval) AS ended_at"
            " FROM sessions WHERE id_hash = $1",
            id_hash,
            self._idle,
        )
        if ended is None:
            return None
        if ended["ended_at"] + self._grace <= now:
            await self._pool.execute("DELETE FROM sessions WHERE id_hash = $1", id_hash)
            return None
        if ended["sealed_tokens"] is not None:
            await self._pool.execute(
                "UPDATE sessions SET sealed_tokens = NULL WHERE id_hash = $1", id_hash
            )
        return Session(_principal(ended), live=False)

    async def end(self, session_id: str) -> Session | None:
        """Delete the session (sign-out, or a new sign-in); returns what it held."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            return None
        row = await self._pool.fetchrow(
            f"DELETE FROM sessions WHERE id_hash = $1 RETURNING {_COLUMNS}, expires_at",
            _id_hash(session_id),
        )
        if row is None:
            return None
        tokens = _unseal(session_id, row["sealed_tokens"])
        return Session(
            _principal(row),
            live=row["expires_at"] > self._now(),
            access_token=tokens.get("access_token"),
            id_token=tokens.get("id_token"),
        )

    async def sweep(self) -> int:
        """Forget the tokens of ended sessions and delete those past the grace; returns how
        many were deleted."""
        now = self._now()
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "UPDATE sessions SET sealed_tokens = NULL WHERE sealed_tokens IS NOT NULL"
                " AND least(expires_at, last_seen_at + $2::interval) <= $1",
                now,
                self._idle,
            )
            deleted: str = await connection.execute(
                "DELETE FROM sessions"
                " WHERE least(expires_at, last_seen_at + $2::interval) + $3::interval <= $1",
                now,
                self._idle,
                self._grace,
            )
        return int(deleted.split()[-1])


async def sweep_sessions(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
    """A background job of every service: the periodic sweep of ended sessions."""

    async def sweep() -> None:
        deleted = await SessionStore.from_settings(runtime.require_pool(), runtime.settings).sweep()
        if deleted:
            log.info("ended sessions deleted", count=deleted)

    await every(
        SWEEP_SECONDS,
        stop,
        sweep,
        failed="the session sweep failed; will retry",
        errors=(asyncpg.PostgresError, OSError),
    )
