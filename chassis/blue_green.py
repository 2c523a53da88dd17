"""Blue/green rebuilds: a projection is made again in new tables while the live ones serve,
then the new tables take the live ones' place in one transaction (decision 0033).

1. Prepare: a schema of its own, `rebuild_<projection>_<id>`, with a copy of each of the
   projection's tables (`LIKE … INCLUDING ALL`, plus what LIKE leaves out: triggers, grants
   and the owner) and empty copies of the projector's tracking tables.
2. Replay the topics from the start into it, through a pool whose `search_path` puts that
   schema first, so the unchanged projection code writes the new tables. The live consumer
   goes on meanwhile, unhindered.
3. Switch, holding the projection's rebuild lock (live batches wait): replay what arrived
   since step 2 found its ends, then in one transaction move the live tables aside, the new
   ones into `public` (their indexes renamed to the live ones' names), and replace the
   projection's tracking and dead-letter rows with the rebuild's. Commit, let go of the lock,
   drop the old tables.

Anything failing before the commit drops the new schema: the live tables are never touched.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence

import asyncpg

from chassis.event_store import DbConnection, create_pool
from chassis.kafka_security import PLAINTEXT, KafkaSecurity
from chassis.logs import get_logger
from chassis.projector import Projection, Projector
from chassis.rebuild import Extent, replay_topics
from chassis.rebuild_progress import RebuildProgress

log = get_logger(__name__)

# The projector's own tables, shared by every projection of a database (rows keyed by the
# projection's name): the rebuild gets empty copies, and at the switch its rows replace the
# projection's live rows; the tables themselves stay.
TRACKING = {"projection_tracking": "projection", "dead_letters": "consumer"}
SCHEMA_PREFIX = "rebuild_"
# How long the switch waits for a table's lock (readers queue behind it meanwhile), and how
# often it tries before the rebuild gives up (the new tables dropped, the live ones kept).
SWITCH_LOCK_TIMEOUT = 2.0
SWITCH_ATTEMPTS = 10
# A schema name is at most 63 bytes, with room for "_<id>_old"; the id keeps two rebuilds'
# leftovers apart.
_NAME_LIMIT = 63 - len(SCHEMA_PREFIX) - len("_12345678_old")


class RebuildRefused(RuntimeError):
    """The projection's tables cannot be rebuilt side by side (or one already is)."""


async def rebuild_blue_green(
    dsn: str,
    projection: Projection,
    bootstrap: str,
    topics: Sequence[str],
    *,
    security: KafkaSecurity = PLAINTEXT,
    service: str = "rebuild",
    progress: RebuildProgress | None = None,
    give_up_after: float = 3600.0,
) -> int:
    """Rebuild `projection` from its topics beside the live tables and switch to the result;
    returns how many messages were read. `dsn` must be the tables' owner's (the migration
    role's): moving a table to another schema is the owner's right."""
    schema = f"{_schema_stem(projection)}_{uuid.uuid4().hex[:8]}"
    # One connection holds the one-rebuild lock, one the rebuild lock, one switches.
    pool = await create_pool(dsn, max_size=3)
    try:
        async with pool.acquire() as guard:
            await _only_rebuild(guard, projection)
            await _prepare(guard, projection, schema)
            try:
                read = await _replay_and_switch(
                    dsn, pool, projection, schema, bootstrap, topics,
                    security=security, service=service, progress=progress,
                    give_up_after=give_up_after,
                )  # fmt: skip
            finally:
                # After a switch: the old tables; before one: the new tables, live untouched.
                for each in (schema, _aside(schema)):
                    await guard.execute(f"DROP SCHEMA IF EXISTS {each} CASCADE")
    finally:
        await pool.close()
    log.info("rebuilt blue/green", projection=projection.name, messages=read)
    return read


def _schema_stem(projection: Projection) -> str:
    return f"{SCHEMA_PREFIX}{projection.name[:_NAME_LIMIT]}"


async def _only_rebuild(connection: DbConnection, projection: Projection) -> None:
    """One rebuild of a projection at a time (a session lock, so a killed rebuild lets go),
    and the schemas a killed one left behind go."""
    taken = await connection.fetchval(
        "SELECT pg_try_advisory_lock(hashtext($1))", f"projection-blue-green:{projection.name}"
    )
    if not taken:
        raise RebuildRefused(f"{projection.name} is being rebuilt already")
    left = await connection.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 || '\\_%'",
        _schema_stem(projection),
    )
    for row in left:
        # Only the exact pattern: another projection's name may extend this one's.
        if re.fullmatch(rf"{re.escape(_schema_stem(projection))}_[0-9a-f]{{8}}(_old)?", row[0]):
            log.warning("dropping a rebuild's leftover schema", schema=row[0])
            await connection.execute(f"DROP SCHEMA {row[0]} CASCADE")


async def _prepare(connection: DbConnection, projection: Projection, schema: str) -> None:
    async with connection.transaction():
        await connection.execute(f"CREATE SCHEMA {schema}")
        for table in [*projection.tables, *TRACKING]:
            await _refuse_what_cannot_move(connection, table)
            await connection.execute(
                f"CREATE TABLE {schema}.{table} (LIKE public.{table} INCLUDING ALL)"
            )
            await _copy_owner_and_grants(connection, table, schema)
        for table in projection.tables:
            await _copy_triggers(connection, table, schema)


async def _refuse_what_cannot_move(connection: DbConnection, table: str) -> None:
    """Foreign keys (LIKE does not copy them, and a move would leave them on the old table)
    and serial columns (the copy's default would use the old table's sequence, dropped with
    it) are refused rather than half done; no projection of ours has either."""
    problem = await connection.fetchval(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f'"
        "   AND (conrelid = $1::regclass OR confrelid = $1::regclass)) THEN 'a foreign key'"
        " WHEN EXISTS (SELECT 1 FROM pg_attrdef d WHERE d.adrelid = $1::regclass"
        "   AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%') THEN 'a serial column'"
        " END",
        f"public.{table}",
    )
    if problem is not None:
        raise RebuildRefused(f"public.{table} has {problem}: it cannot be rebuilt beside itself")


async def _copy_owner_and_grants(connection: DbConnection, table: str, schema: str) -> None:
    """The live table's owner (so migrations can alter the new one) and its grants (the
    application role's rights: default privileges apply only to tables made in `public`)."""
    owner = await connection.fetchval(
        "SELECT quote_ident(pg_get_userbyid(relowner)) FROM pg_class WHERE oid = $1::regclass",
        f"public.{table}",
    )
    await connection.execute(f"ALTER TABLE {schema}.{table} OWNER TO {owner}")
    grants = await connection.fetch(
        "SELECT a.privilege_type,"
        " CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END"
        " FROM pg_class c, aclexplode(c.relacl) a"
        " WHERE c.oid = $1::regclass AND a.grantee <> c.relowner",
        f"public.{table}",
    )
    for privilege, grantee in grants:
        await connection.execute(f"GRANT {privilege} ON {schema}.{table} TO {grantee}")


async def _copy_triggers(connection: DbConnection, table: str, schema: str) -> None:
    """LIKE leaves triggers out; the caseload's keeps `updated_at`, in a rebuild too."""
    async with connection.transaction():
        # With only pg_catalog on the path every name in the definition comes qualified.
        await connection.execute("SET LOCAL search_path = pg_catalog")
        definitions = await connection.fetch(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgrelid = $1::regclass AND NOT tgisinternal",
            f"public.{table}",
        )
    for (definition,) in definitions:
        await connection.execute(
            definition.replace(f" ON public.{table} ", f" ON {schema}.{table} ", 1)
        )


async def _replay_and_switch(
    dsn: str,
    pool: asyncpg.Pool,
    projection: Projection,
    schema: str,
    bootstrap: str,
    topics: Sequence[str],
    *,
    security: KafkaSecurity,
    service: str,
    progress: RebuildProgress | None,
    give_up_after: float,
) -> int:
    replaying = await create_pool(dsn, max_size=2, search_path=f"{schema}, public")
    try:
        projector = Projector(replaying, projection, waits_for_rebuild=False)
        first = Extent()

        async def replay(extent: Extent, before: int, total_before: int) -> int:
            def told(read: int) -> None:
                if progress is not None:
                    progress.update(before + read, total_before + extent.total)

            return await replay_topics(
                bootstrap, topics, projector, give_up_after, told,
                security=security, service=service, extent=extent,
            )  # fmt: skip

        read = await replay(first, 0, 0)
        # Live batches wait from here: what they would apply, the catch-up applies to the
        # new tables, and after the switch they find it tracked and drop it as repeats.
        async with Projector(pool, projection).rebuild_lock():
            caught_up = Extent(start=dict(first.ends))
            read += await replay(caught_up, read, first.total)
            log.info("rebuild caught up; switching", projection=projection.name, schema=schema)
            async with pool.acquire() as connection:
                await _switch_when_free(connection, projection, schema)
        return read
    finally:
        await replaying.close()


async def _switch_when_free(connection: DbConnection, projection: Projection, schema: str) -> None:
    """The switch, tried again while another session keeps a table locked: waiting long for
    it would stall every reader queued behind the switch's own lock request. A connection
    that has prepared a statement and not run it yet holds its table so (asyncpg prepares
    without ending the implicit transaction)."""
    for attempt in range(1, SWITCH_ATTEMPTS + 1):
        try:
            await _switch(connection, projection, schema)
            return
        except asyncpg.LockNotAvailableError:
            if attempt == SWITCH_ATTEMPTS:
                raise
            log.warning("the switch waited too long for a lock; trying again", attempt=attempt)
            await asyncio.sleep(SWITCH_LOCK_TIMEOUT)


async def _switch(connection: DbConnection, projection: Projection, schema: str) -> None:
    """The new tables in, the live ones out to `<schema>_old`, in one transaction:
    a reader waits for the commit (the moves lock the tables) and then finds the new table
    under the old name, since PostgreSQL looks a name up again after waiting for its lock."""
    aside = _aside(schema)
    async with connection.transaction():
        await connection.execute(f"SET LOCAL lock_timeout = {int(SWITCH_LOCK_TIMEOUT * 1000)}")
        await connection.execute(f"CREATE SCHEMA {aside}")
        names = {table: await _index_names(connection, table) for table in projection.tables}
        for table in projection.tables:
            await connection.execute(f"ALTER TABLE public.{table} SET SCHEMA {aside}")
        for table in projection.tables:
            await connection.execute(f"ALTER TABLE {schema}.{table} SET SCHEMA public")
            await _rename_indexes(connection, table, names[table])
        for table, key in TRACKING.items():
            await connection.execute(
                f"DELETE FROM public.{table} WHERE {key} = $1", projection.name
            )
            await connection.execute(
                f"INSERT INTO public.{table} SELECT * FROM {schema}.{table} WHERE {key} = $1",
                projection.name,
            )


def _aside(schema: str) -> str:
    """Where the live tables go at the switch, to be dropped after it."""
    return f"{schema}_old"


# An index's definition without its own name and its table's: what two copies share.
_INDEX_HEAD = re.compile(r"^CREATE (UNIQUE )?INDEX \S+ ON \S+ ")


async def _index_names(connection: DbConnection, table: str) -> dict[str, str]:
    """The live table's index names by definition: migrations name them, LIKE does not keep
    the names, and a later migration dropping an index by name must still find it."""
    rows = await connection.fetch(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass",
        f"public.{table}",
    )
    return {_INDEX_HEAD.sub(r"\1", definition): name for name, definition in rows}


async def _rename_indexes(connection: DbConnection, table: str, names: dict[str, str]) -> None:
    current = await _index_names(connection, table)
    wanted = {name: names[key] for key, name in current.items() if names.get(key, name) != name}
    # Through a temporary name first, in case two indexes' names are each other's.
    for index, name in wanted.items():
        await connection.execute(f"ALTER INDEX public.{index} RENAME TO {name[:50]}_bg_tmp")
    for name in wanted.values():
        await connection.execute(f"ALTER INDEX public.{name[:50]}_bg_tmp RENAME TO {name}")
