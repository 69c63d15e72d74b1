"""Who may do what: the plugin's Datasette actions, the rules that keep
decisions and password hashes out of Datasette's own pages, and the reviewer
behind a request.

A live review database is one with the screening tables (`mscdm_reviewers`).
On it:
  - `mscdm_reviewers` (password hashes) is never a visible table;
  - `decisions` and `mscdm_seed_includes` are not visible tables while the
    database is writable: the plugin's pages show decision history with the
    blind rules applied (and a seed mark to the lead until the record is
    settled), and the raw tables open up on a read-only copy;
  - arbitrary SQL, stored user queries, database download and every write
    through Datasette's own API are refused, for every actor, root included,
    because any of them would read past the blind rules or rewrite decisions
    behind the status columns. The plugin's stored chart queries still run.
Rules are SQL over Datasette's internal catalog, so they hold for tables
and databases as Datasette currently sees them, without a query per check.
"""

from __future__ import annotations

import json

from datasette.permissions import Action, PermissionSQL
from datasette.resources import DatabaseResource

from ..review_db import read
from .protocol import Protocol, ProtocolError, parse_protocol
from .store import Reviewer, session_reviewer, stored_protocol

PLUGIN = "datasette-mscdm"
SCREEN = "mscdm-screen"
LEAD = "mscdm-lead"

ACTIONS = [
    Action(name=SCREEN, abbr=None, resource_class=DatabaseResource,
           description="Record screening decisions in a review database"),
    Action(name=LEAD, abbr=None, resource_class=DatabaseResource,
           description="Resolve conflicts, exclude in bulk and change the screening protocol"),
]

# Refused on live review databases (see the module docstring).
CLOSED_ACTIONS = frozenset({
    "execute-sql", "execute-write-sql", "store-query", "view-database-download",
    "create-table", "create-view", "drop-view", "insert-row", "update-row", "delete-row",
    "alter-table", "drop-table", "set-column-type",
})

# Never shown by Datasette: password hashes and session versions, who holds
# which record, who failed to log in from where, who skipped what for later.
PRIVATE_TABLES = ("mscdm_reviewers", "mscdm_claims", "mscdm_login_failures", "mscdm_skips",
                  "mscdm_sessions")

# Hidden while the review is writable (open on a read-only copy): the votes,
# and which records a lead marked as known relevant (shown on the record page
# to the lead only until the record is settled: it would sway a vote).
LIVE_ONLY_HIDDEN = ("decisions", "mscdm_seed_includes")

LIVE_DATABASES = ("SELECT database_name FROM catalog_tables"
                  " WHERE table_name = 'mscdm_reviewers'")


def _names(datasette, mutable: bool) -> str:
    return json.dumps([name for name, db in datasette.databases.items()
                       if db.is_mutable == mutable and not name.startswith("_")])


def permission_sql(datasette, actor, action) -> PermissionSQL | None:
    if action in CLOSED_ACTIONS:
        return PermissionSQL(
            sql=f"SELECT database_name AS parent, NULL AS child, 0 AS allow,"
                f" 'a live review database: decisions and reviewers stay behind the"
                f" screening pages' AS reason FROM ({LIVE_DATABASES})")
    if action == "view-table":
        return PermissionSQL(
            sql="SELECT database_name AS parent, table_name AS child, 0 AS allow,"
                " 'reviewer accounts, logins and who holds which record are private' AS reason"
                " FROM catalog_tables WHERE table_name IN"
                f" ({', '.join(repr(t) for t in PRIVATE_TABLES)})"
                " UNION ALL"
                " SELECT database_name, live.name, 0, 'decisions and seed marks of a writable"
                " review are read through its screening pages (blind rules)'"
                f" FROM ({LIVE_DATABASES}), (SELECT value AS name FROM json_each(:mscdm_live))"
                " AS live WHERE database_name IN (SELECT value FROM json_each(:mscdm_mutable))",
            params={"mscdm_mutable": _names(datasette, True),
                    "mscdm_live": json.dumps(LIVE_ONLY_HIDDEN)})
    if action in (SCREEN, LEAD):
        # Read-only databases refuse screening to everyone, root included
        # (a database-level deny outranks root's global allow).
        rules = ["SELECT value AS parent, NULL AS child, 0 AS allow,"
                 " 'read-only database' AS reason FROM json_each(:mscdm_immutable)"]
        params = {"mscdm_immutable": _names(datasette, False)}
        session = (actor or {}).get("mscdm") if isinstance(actor, dict) else None
        if isinstance(session, dict) and session.get("db") and (
                action == SCREEN or session.get("role") == "lead"):
            rules.append("SELECT :mscdm_db, NULL, 1, 'logged in as a reviewer of it'")
            params["mscdm_db"] = session["db"]
        return PermissionSQL(sql=" UNION ALL ".join(rules), params=params)
    return None


def session_actor(database: str, reviewer: Reviewer, session_id: str) -> dict:
    """The actor a reviewer's login cookie carries. The role in it only
    decides what the pages offer; every request checks the database again:
    the session (`sid`, a row of mscdm_sessions: logging out deletes it) and
    the session version (`v`: a password or role change or a removal bumps
    it). The id is namespaced, so a reviewer called "root" is not Datasette's
    root."""
    return {"id": f"mscdm-reviewer:{reviewer.name}", "display": reviewer.name,
            "mscdm": {"db": database, "name": reviewer.name, "role": reviewer.role,
                      "v": reviewer.session_version, "sid": session_id}}


def reviewer_session(database: str, actor) -> tuple[str, int, str] | None:
    """(name, session version, session id) of a login to this database."""
    session = (actor or {}).get("mscdm") if isinstance(actor, dict) else None
    if not isinstance(session, dict) or session.get("db") != database:
        return None
    name, version, session_id = session.get("name"), session.get("v"), session.get("sid")
    if not isinstance(name, str) or not isinstance(session_id, str) or \
            not isinstance(version, int) or isinstance(version, bool):
        return None
    return name, version, session_id


async def current_reviewer(db, actor) -> Reviewer | None:
    """The active reviewer of this database the request acts as, if any: the
    actor must have logged in to this database, still be a reviewer, hold a
    login issued since their last password or role change, and that login
    must not have ended."""
    session = reviewer_session(db.name, actor)
    # A read-only copy has no reviewers (a published copy drops the table):
    # nobody is logged in to it, whatever cookie they bring.
    if session is None or not db.is_mutable:
        return None
    return await read(db, lambda conn: session_reviewer(conn, *session))


def configured_protocol(datasette, database: str) -> Protocol:
    """The protocol of datasette.yaml (database level, else top level)."""
    config = (datasette.plugin_config(PLUGIN, database=database)
              or datasette.plugin_config(PLUGIN) or {})
    try:
        return parse_protocol(config.get("screening"))
    except ProtocolError as error:
        raise ProtocolError(f"plugins.{PLUGIN}.screening: {error}") from error


async def protocol_for(datasette, db) -> Protocol:
    """The protocol in force: the latest a lead saved, else the configured one."""
    saved = await read(db, stored_protocol)
    return saved or configured_protocol(datasette, db.name)
