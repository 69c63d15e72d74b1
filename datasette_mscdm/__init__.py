"""datasette-mscdm: a systematic-review workflow as a Datasette plugin.

This module only wires Datasette hooks; the work lives in the modules they call.
"""

from datasette import hookimpl

from .plugin_startup import upgrade_review_databases


@hookimpl
def startup(datasette):
    async def inner():
        await upgrade_review_databases(datasette)

    return inner
