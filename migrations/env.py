"""Alembic environment: the URL comes from the caller (bot.db.upgrade) or DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

from bot.config import Settings
from bot.db import _normalise_url
from bot.models import Base

config = context.config
url = config.attributes.get("url") or _normalise_url(Settings.from_env().database_url)


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
