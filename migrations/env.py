"""Alembic environment: the URL comes from the caller (bot.storage.db.upgrade) or DATABASE_URL."""

from alembic import context

from bot.config import Settings
from bot.storage.db import _normalise_url, get_engine
from bot.storage.models import Base

config = context.config
url = config.attributes.get("url") or _normalise_url(Settings.from_env().database_url)


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    # The process's own engine: it creates a SQLite file's folder (instance/ on a fresh clone)
    # and sets the same pragmas as every other connection.
    with get_engine(url).connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
