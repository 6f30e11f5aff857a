"""Alembic environment: runs on the connection :mod:`unspin.store.db` hands over."""

from alembic import context

from unspin.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("unspin's migrations run through unspin.store (open_store), not the alembic command")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
