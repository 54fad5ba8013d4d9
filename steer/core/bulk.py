"""Writing many rows fast: the statements bulk_create writes, from plain tuples."""

from itertools import chain

from django.db import connections, router
from django.db.models.constants import OnConflict


def insert_rows(
    model, names, rows, *, update_conflicts=False, unique_fields=(), update_fields=()
) -> None:
    """Write what `model.objects.bulk_create(..., batch_size=2000)` would, from plain tuples.

    An import of 100,000 values spent most of its time building a model instance per row and
    preparing it field by field. Here each row is a tuple of values in the order of `names`, as
    the fields' get_db_prep_save() returns them: ints, strings, Decimals and None pass unchanged,
    a datetime goes through `prepared`. The statements are the ones bulk_create writes: rows in
    batches the backend accepts (on PostgreSQL one array per column, unnested), and
    ON CONFLICT ... DO UPDATE for an upsert.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    fields = [opts.get_field(name) for name in names]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    head = f"INSERT INTO {qn(opts.db_table)} ({columns}) "
    tail = ""
    if update_conflicts:
        tail = " " + connection.ops.on_conflict_suffix_sql(
            fields,
            OnConflict.UPDATE,
            [opts.get_field(name).column for name in update_fields],
            [opts.get_field(name).column for name in unique_fields],
        )
    size = min(2000, max(connection.ops.bulk_batch_size(fields, rows), 1))
    unnest = connection.vendor == "postgresql"
    if unnest:
        # Types without their parameters, as bulk_create does: varchar[], not varchar(8)[].
        arrays = ", ".join(f"(%s)::{f.db_type(connection).split('(')[0]}[]" for f in fields)
        insert = f"{head}SELECT * FROM UNNEST({arrays}){tail}"
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            if unnest:
                cursor.execute(insert, [list(column) for column in zip(*batch, strict=True)])
            else:
                values = ", ".join([placeholder] * len(batch))
                cursor.execute(f"{head}VALUES {values}{tail}", list(chain.from_iterable(batch)))


def prepared(model, name: str, value):
    """A value as the field writes it (a datetime differs by database)."""
    connection = connections[router.db_for_write(model)]
    return model._meta.get_field(name).get_db_prep_save(value, connection)
