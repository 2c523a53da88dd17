"""Whether the service's own database role can rewrite the access log (decision 0024).

Asked of the application role itself, over its own connection: PostgreSQL's answer is what
counts, whatever the settings say.
"""

from __future__ import annotations

from chassis.event_store import DbConnection

_QUERY = """
SELECT r.rolname,
       r.rolsuper,
       pg_has_role(current_user, c.relowner, 'MEMBER') AS owns_log,
       has_table_privilege('public.access_log', 'UPDATE') AS can_update,
       has_table_privilege('public.access_log', 'DELETE') AS can_delete,
       has_table_privilege('public.access_log', 'TRUNCATE') AS can_truncate,
       has_table_privilege('public.access_log_chain_head', 'UPDATE') AS can_move_head
FROM pg_roles r, pg_class c
WHERE r.rolname = current_user AND c.oid = 'public.access_log'::regclass
"""


async def app_role_problems(connection: DbConnection) -> list[str]:
    """Why this connection's role could change the access log (empty: it can only add)."""
    row = await connection.fetchrow(_QUERY)
    if row is None:
        return ["the access log is missing: run the migrations first"]
    role = row["rolname"]
    if row["rolsuper"]:
        return [f"the service's database role {role} is a superuser"]
    if row["owns_log"]:
        return [
            f"the service's database role {role} owns the access log (or may act as its"
            " owner): set DIGIPOLKU_MIGRATION_DATABASE_URL to a separate owner role"
        ]
    rights = [
        name
        for name, held in (
            ("UPDATE", row["can_update"]),
            ("DELETE", row["can_delete"]),
            ("TRUNCATE", row["can_truncate"]),
        )
        if held
    ]
    problems = []
    if rights:
        problems.append(
            f"the service's database role {role} may {', '.join(rights)} the access log"
        )
    if row["can_move_head"]:
        problems.append(f"the service's database role {role} may move the access log's chain head")
    return problems


async def log_writer_problems(connection: DbConnection, writer_role: str | None) -> list[str]:
    """Why this connection's role could not write the access log as `writer_role`'s member
    (empty: it can, or no writer role is set)."""
    if writer_role is None:
        return []
    row = await connection.fetchrow(
        "SELECT r.rolcanlogin, pg_has_role(current_user, r.oid, 'USAGE') AS inherits"
        " FROM pg_roles r WHERE r.rolname = $1",
        writer_role,
    )
    if row is None:
        return [f"the access log's writer role {writer_role} does not exist"]
    problems = []
    if row["rolcanlogin"]:
        problems.append(f"the access log's writer role {writer_role} can log in")
    if not row["inherits"]:
        problems.append(
            f"the service's database role is not a member of the access log's writer role"
            f" {writer_role}, so it could not write the log"
        )
    return problems
