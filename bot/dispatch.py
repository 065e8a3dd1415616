"""Routing one message: pending question, command, report, or a hint; returns Replies (no I/O)."""

from __future__ import annotations

import logging

import handlers
from bot.context import Ctx
from bot.events import Message
from handlers import ANYONE, Reply

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
    from handlers import conversation, report

    answer = conversation.resume(message, ctx)
    if answer is not None:
        return _listify(answer)
    found = handlers.match(message.text)
    if found is not None:
        cmd, args = found
        if not allowed(cmd, ctx):
            if ctx.identity is None or not ctx.memberships:
                return [Reply("unknown_sender")]
            return [Reply("refused", {"command": cmd.name, "is_head": bool(ctx.head_chapters)})]
        return _listify(cmd.handler(message, ctx, args))
    if ctx.head_chapters:
        return _listify(report.handle(message, ctx))
    if ctx.memberships:
        return [Reply("not_understood_admin", {"suggestions": handlers.suggest(message.text)})]
    return [Reply("unknown_sender")]


def _listify(answer) -> list[Reply]:
    if answer is None:
        return []
    return list(answer) if isinstance(answer, list | tuple) else [answer]
