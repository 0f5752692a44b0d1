"""Search across the plan's texts with one normalised key (see `thai.search_key`).

PostgreSQL computes the key with the SQL function `itaflow_search_key` (migration 0005,
with trigram indexes over it); SQLite calls `thai.search_key` itself, registered on each
new connection. Both compare the same key.
"""

from __future__ import annotations

from django.db.models import Exists, Func, OuterRef, Q, TextField
from django.db.models.lookups import Contains

from workflow import thai

FUNCTION = "itaflow_search_key"


class SearchKey(Func):
    function = FUNCTION
    output_field = TextField()


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """The connection_created hook: SQLite runs the Python key under the SQL name."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 1, thai.search_key, deterministic=True)


def _matches(field: str, key: str):
    return Contains(SearchKey(field), key)


def organizations_matching(query: str) -> Q:
    """Organizations whose name or short name holds `query`: on their stored key
    (Organization.name_search_key, trigram-indexed on PostgreSQL)."""
    return Q(name_search_key__contains=thai.search_key(query))


def measures_matching(query: str) -> Q:
    """Measures whose title or methods, or any of whose reports' results or
    recommendations, hold `query`."""
    from workflow.models import MeasureMethod, Recommendation, ResultItem

    key = thai.search_key(query)
    measure = OuterRef("pk")
    return (
        Q(_matches("title", key))
        | Q(Exists(MeasureMethod.objects.filter(_matches("text", key), measure=measure)))
        | Q(Exists(ResultItem.objects.filter(_matches("text", key), report__measure=measure)))
        | Q(Exists(Recommendation.objects.filter(_matches("text", key), report__measure=measure)))
    )


def result_reports_matching(query: str) -> Q:
    """Reports whose results or recommendations, or whose measure's title or methods,
    hold `query`."""
    from workflow.models import MeasureMethod, Recommendation, ResultItem

    key = thai.search_key(query)
    measure = OuterRef("measure")
    return (
        Q(_matches("measure__title", key))
        | Q(Exists(MeasureMethod.objects.filter(_matches("text", key), measure=measure)))
        | Q(Exists(ResultItem.objects.filter(_matches("text", key), report=OuterRef("pk"))))
        | Q(Exists(Recommendation.objects.filter(_matches("text", key), report=OuterRef("pk"))))
    )
