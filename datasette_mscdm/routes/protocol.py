"""The screening protocol: /<database>/-/protocol. Everyone who may see the
review sees the protocol in force and its history; a lead may replace it
(POST, as YAML), which is stored as a new version."""

from __future__ import annotations

import json

import yaml
from datasette import Response

from ..screening import store
from ..screening.access import LEAD, protocol_for
from ..screening.protocol import ProtocolError, parse_protocol
from .common import can, ready_protocol, require_reviewer, screening_database, write


def as_yaml(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


async def protocol_view(datasette, request):
    db = await screening_database(datasette, request)
    error, status, draft = None, 200, None
    if request.method == "POST":
        lead, _ = await require_reviewer(datasette, request, db, lead=True)
        draft = (await request.post_vars()).get("protocol") or ""
        try:
            config = yaml.safe_load(draft)
            protocol = parse_protocol(config if config is not None else {})
            await write(db, lambda conn: store.save_protocol(conn, protocol, lead.name))
            return Response.redirect(request.path, status=303)
        except (yaml.YAMLError, ProtocolError) as failure:
            error, status = f"Protocol not saved: {failure}", 400
    protocol = await (ready_protocol(datasette, db) if db.is_mutable
                      else protocol_for(datasette, db))
    history = await db.execute_fn(store.protocol_history)
    for version in history:
        version["yaml"] = as_yaml(json.loads(version["protocol"]))
    return Response.html(await datasette.render_template("mscdm_protocol.html", {
        "database": db.name, "protocol": protocol, "yaml": draft or as_yaml(protocol.to_config()),
        "history": history, "error": error,
        "can_edit": await can(datasette, request, db, LEAD),
    }, request=request), status=status)
