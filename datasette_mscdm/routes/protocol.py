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
from ..review_db import read
from . import inputs
from .common import (can, error_page, read_form, ready_protocol, screening_database, write_as,
                     writer_session)


def as_yaml(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


async def protocol_view(datasette, request):
    db = await screening_database(datasette, request)
    error, status, draft = None, 200, None
    if request.method == "POST":
        try:
            await writer_session(datasette, request, db, lead=True)
            draft = inputs.text((await read_form(request, ("protocol",))).get("protocol"), "protocol") or ""
            config = yaml.safe_load(draft)
            protocol = parse_protocol(config if config is not None else {})
            await write_as(datasette, request, db, lambda conn, lead, _: store.save_protocol(
                conn, protocol, lead.name), lead=True)
            datasette.add_message(request, "Protocol saved: the new version is in force from the "
                                  "next request; the history below keeps every earlier one.",
                                  datasette.INFO)
            return Response.redirect(request.path, status=303)
        except (yaml.YAMLError, ProtocolError) as failure:
            error, status = f"Protocol not saved: {failure}", 400
        except store.ScreeningError as failure:
            if failure.status == 403:
                return await error_page(datasette, request, str(failure), 403)
            error, status = f"Protocol not saved: {failure}", failure.status
    protocol = await (ready_protocol(datasette, db) if db.is_mutable
                      else protocol_for(datasette, db))
    history = await read(db, store.protocol_history)
    for version in history:
        version["yaml"] = as_yaml(json.loads(version["protocol"]))
    return Response.html(await datasette.render_template("mscdm_protocol.html", {
        "database": db.name, "protocol": protocol, "yaml": draft or as_yaml(protocol.to_config()),
        "history": history, "error": error,
        "can_edit": await can(datasette, request, db, LEAD),
    }, request=request), status=status)
