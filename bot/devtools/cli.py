"""``flask --app app COMMAND``: init-db, import-org, invite, parse, digest, export, zalo-simulator."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from bot import clock
from bot.devtools.orgs import OrgFileError, import_orgs, load_org_files
from bot.digest import jobs as digest_jobs
from bot.parsing import parse_report
from bot.reporting.xlsx import write_workbook
from bot.storage.db import session_scope, sessionmaker_for, upgrade
from bot.storage.invites import ROLES, create_invite
from bot.storage.models import Chapter, Organization
from bot.storage.redis_server import connect, resolve_redis_url
from bot.zalo.sim import simulator_command


def _settings():
    return current_app.config["SETTINGS"]


@click.command("init-db")
def init_db_command():
    """Create or migrate the database schema."""
    upgrade(_settings().database_url)
    click.echo("Cơ sở dữ liệu đã sẵn sàng.")


@click.command("import-org")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_org_command(path: str):
    """Create or update an organization from a YAML file (idempotent)."""
    settings = _settings()
    upgrade(settings.database_url)
    try:
        specs = load_org_files(path)
        with session_scope(settings.database_url) as session:
            for org in import_orgs(session, specs, clock.now()):
                click.echo(f"Đã nhập {org.name} ({org.code}): {len(org.chapters)} chi hội.")
    except OrgFileError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("invite")
@with_appcontext
@click.option("--org", "org_code", required=True, help="the organization's code")
@click.option("--role", required=True, type=click.Choice(ROLES), help="what the code makes its user")
@click.option("--chapter", "chapter_code", help="the chapter (a head's code only)")
@click.option("--name", help="the person it is for (one listed by this name is the one bound)")
def invite_command(org_code: str, role: str, chapter_code: str | None, name: str | None):
    """Print a one-time registration code, to be sent to the OA as ``đk <code>`` (the first admin's way in)."""
    settings = _settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        org = session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            raise click.ClickException(f"unknown organization {org_code!r}: import it first (import-org)")
        chapter = None
        if role == "head":
            if not chapter_code:
                raise click.ClickException("--role head needs --chapter")
            chapter = session.scalar(select(Chapter).where(
                Chapter.org_id == org.id, Chapter.code == chapter_code.upper(), Chapter.active))
            if chapter is None:
                raise click.ClickException(f"{org_code} has no active chapter {chapter_code!r}")
        elif chapter_code:
            raise click.ClickException("--chapter goes with --role head only")
        code, expires = create_invite(session, org_id=org.id, role=role, now=clock.now(),
                                      chapter_id=chapter.id if chapter else None, name=name)
        click.echo(code)
        click.echo(f"Mã dùng một lần, hiệu lực đến hết {expires.astimezone(ZoneInfo(org.timezone)):%d/%m/%Y}: "
                   f"nhắn cho OA \"đk {code}\".", err=True)


@click.command("parse")
def parse_command():
    """Read JSON Lines {"text", "sent_at"?} on stdin; write one parse result per line.

    Each result is ``{"items": [{"indicator", "quantity", "value_vnd", "sure"}], "date", "nil"}``
    (``sure`` false: the bot would ask before counting the item; ``nil``: a report of no
    activity); a line that cannot be read gives ``{"error": "..."}`` and the next one goes on.
    """
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or not isinstance(data.get("text"), str):
                raise ValueError('expected an object with a string "text"')
            sent_at = data.get("sent_at")
            when = None
            if sent_at is not None:
                when = datetime.fromisoformat(str(sent_at).replace("Z", "+00:00"))
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
            result = parse_report(data["text"], when).to_json()
        except (ValueError, TypeError) as exc:
            result = {"error": str(exc)}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


@click.command("export")
@click.option("--org", "org_code", required=True, help="the organization's code")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="first day, YYYY-MM-DD")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="last day, YYYY-MM-DD")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="the .xlsx to write")
def export_command(org_code: str, start, end, out: str):
    """Write the period's report (chapters × indicators, targets, every report) to an .xlsx."""
    if end < start:
        raise click.BadParameter("--to is before --from")
    with session_scope(_settings().database_url) as session:
        org = session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            raise click.ClickException(f"unknown organization {org_code!r}")
        write_workbook(session, org, start.date(), end.date(), out)
    click.echo(f"Đã xuất báo cáo {org_code} từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}: {out}")


@click.command("digest")
@with_appcontext
@click.option("--org", "org_code", required=True, help="the organization's code")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="the local day, YYYY-MM-DD")
@click.option("--send", is_flag=True, help="deliver it as the schedule would (once per day)")
def digest_command(org_code: str, day: datetime, send: bool):
    """Print an organization's digest for a day; with --send, deliver it (exactly once)."""
    settings = _settings()
    the_day = day.date()
    session = sessionmaker_for(settings.database_url)()
    try:
        try:
            org = digest_jobs.org_by_code(session, org_code)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        text, _facts = digest_jobs.compose(session, org, the_day, clock.now())
        click.echo(text)
        if send:
            conn = connect(resolve_redis_url(settings))
            try:
                result = digest_jobs.run_digest(session, settings, conn, org_code, the_day, clock.now())
            finally:
                conn.close()
            click.echo(f"-- {result}")
    finally:
        session.close()


def register(app: Flask) -> None:
    for cmd in (init_db_command, import_org_command, invite_command, parse_command, export_command, simulator_command,
                digest_command):
        app.cli.add_command(cmd)
