"""Routing one message: pending question, command, report, or a hint; returns Replies (no I/O)."""

from __future__ import annotations

import logging

import handlers
from bot.conversation import pending
from bot.conversation.context import Ctx
from bot.parsing import parse_report
from bot.web.events import Message
from handlers import ADMIN, ANYONE, HEAD, Reply

log = logging.getLogger(__name__)
handlers.load_all()


def allowed(cmd: handlers.Command, ctx: Ctx) -> bool:
    if ANYONE in cmd.roles:
        return True
    roles = ctx.roles
    if "admin" in roles:
        roles = roles | {"member"}  # an admin may do whatever a committee member may
    return bool(cmd.roles & roles)


def route(message: Message, ctx: Ctx) -> list[Reply]:
    """The replies to ``message``, after whatever it changes in the database."""
    from handlers import report

    answer = pending.resume(message, ctx)
    if answer is not None:
        return _listify(answer)
    found = handlers.match(message.text)
    if found is not None:
        cmd, args = found
        if allowed(cmd, ctx):
            return _listify(cmd.handler(message, ctx, args))
        return [refusal(cmd, message, ctx)]
    if ctx.head_chapters:
        return _listify(report.handle(message, ctx))
    if ctx.memberships:
        return [Reply("not_understood_admin", {"suggestions": handlers.suggest(message.text)})]
    return [Reply("unknown_sender")]


def refusal(cmd: handlers.Command, message: Message, ctx: Ctx):
    """What someone gets for a command they may not use; never any data."""
    from handlers import report

    if ctx.head_chapters and HEAD not in cmd.roles:
        # A head's report may start with a command word ("Tổng cộng trao 20 suất quà",
        # "Chi hội thôn … hiến máu 8 đv"): with figures in it, it is a report.
        org = ctx.head_chapters[0].org
        if parse_report(message.text, message.sent_at, ctx.catalog_for(org)).items:
            return report.handle(message, ctx)
    if ctx.identity is None or not ctx.memberships:
        return Reply("unknown_sender")
    if cmd.roles == {HEAD}:
        return Reply("refused_head", {"command": cmd.name})
    if ctx.committee_orgs and ADMIN in cmd.roles:
        return Reply("refused_admin", {"command": cmd.name})
    return Reply("refused", {"command": cmd.name, "is_head": bool(ctx.head_chapters)})


def _listify(answer) -> list[Reply]:
    if answer is None:
        return []
    return list(answer) if isinstance(answer, list | tuple) else [answer]
