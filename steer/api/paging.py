"""Pages of a list: `limit` rows from `offset`, with the total count."""

from ninja import Query

MAX_LIMIT = 1000
# Parameters of every list call (bounded so no number overflows a database integer).
LIMIT = Query(100, ge=1, le=MAX_LIMIT, description="Rows per page (at most 1000)")
OFFSET = Query(0, ge=0, le=10_000_000, description="Rows to skip")


def page(rows, limit: int, offset: int, convert) -> dict:
    return {
        "count": rows.count(),
        "limit": limit,
        "offset": offset,
        "items": [convert(row) for row in rows[offset : offset + limit]],
    }
