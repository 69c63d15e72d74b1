"""datasette-mscdm: a systematic-review workflow as a Datasette plugin.

This module only wires Datasette hooks; the work lives in the modules they call.
"""

from datasette import hookimpl

from .cells import render_record_cell
from .facets import TermFacet, term_filters
from .plugin_startup import menu_links_for, start_up
from .request_guard import bad_request_response, guard
from .routes import ROUTES
from .screening.access import ACTIONS, permission_sql
from .worklist import toolbar


@hookimpl
def startup(datasette):
    async def inner():
        await start_up(datasette)

    return inner


@hookimpl
def asgi_wrapper(datasette):
    return guard(datasette)


@hookimpl
def handle_exception(datasette, request, exception):
    return bad_request_response(exception)


@hookimpl
def register_routes():
    return ROUTES


@hookimpl
def register_actions(datasette):
    return ACTIONS


@hookimpl
def permission_resources_sql(datasette, actor, action):
    return permission_sql(datasette, actor, action)


@hookimpl
def register_facet_classes():
    return [TermFacet]


@hookimpl
def filters_from_request(request, database, table, datasette):
    async def inner():
        return await term_filters(request, database, table, datasette)

    return inner


@hookimpl
def render_cell(row, value, column, table, database, datasette, request):
    return render_record_cell(row, value, column, table, database, datasette, request)


@hookimpl
def top_table(datasette, request, database, table):
    async def inner():
        return await toolbar(datasette, request, database, table)

    return inner


@hookimpl
def extra_template_vars(view_name, request):
    # Datasette 1.0a41's table template shows `search` in its search box but
    # leaves it out of the context, so the box empties after every search.
    if view_name == "table" and request is not None:
        return {"search": request.args.get("_search", "")}
    return None


@hookimpl
def extra_js_urls(view_name, table, datasette):
    if view_name == "table" and table == "records":
        return [{"url": datasette.urls.static_plugins("datasette_mscdm", "mscdm-table.js"),
                 "module": False}]
    return None


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.static_plugins("datasette_mscdm", "mscdm.css")]


@hookimpl
def menu_links(datasette, actor):
    async def inner():
        return await menu_links_for(datasette, actor)

    return inner


@hookimpl
def database_actions(datasette, actor, database):
    async def inner():
        links = await menu_links_for(datasette, actor, only=database)
        return [{"href": link["href"], "label": link["label"].rsplit(":", 1)[0]}
                for link in links]

    return inner
