"""Routing one message: pending question, command, the default handler (a report), or a hint.

The router owns the command table. Handler modules (``handlers/``) register into it when they are
imported: ``@command(...)`` for a chat command, ``@default`` for what a chapter head's message is
when it is no command. Matching ignores case, diacritics and a leading ``/``; the longest trigger
wins. Handlers return ``Reply`` values (templates make the text); routing does no I/O but the
database and Redis changes the handlers make.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.conversation import pending
from bot.conversation.context import Ctx
from bot.parsing.text import fold
from bot.web.events import OA, Follow, Message

HEAD, ADMIN, MEMBER, ANYONE = "head", "admin", "member", "anyone"


@dataclass(frozen=True)
class Reply:
    """What to say, to whom and how: a template and its data, the recipient and channel, the quote.

    Handlers leave ``to`` None to answer the sender; ``answering(event)`` then fills in where the
    answer goes (the Bot platform's chat, else the sender) and, when ``quote``, the OA message it
    quotes. A reply to someone else (``to`` given) never quotes.
    """

    template: str
    context: dict = field(default_factory=dict)
    to: str | None = None
    channel: str | None = None
    quote: bool = True
    quote_id: str | None = None

    def answering(self, event: Message | Follow) -> Reply:
        """This reply addressed as the answer to ``event``."""
        channel = self.channel or event.channel
        if self.to is not None:
            return replace(self, channel=channel, quote_id=None)
        to = getattr(event, "chat_id", None) or event.sender_id
        quoted = self.quote and isinstance(event, Message) and event.channel == OA
        return replace(self, to=to, channel=channel, quote_id=event.msg_id if quoted else None)


@dataclass(frozen=True)
class Command:
    name: str
    triggers: tuple[str, ...]  # folded words, e.g. ("chua bao cao",)
    handler: Callable
    roles: frozenset[str]


COMMANDS: list[Command] = []
# handler(message, ctx, *, only_if_report=False) -> Reply | list[Reply] | None; None when
# ``only_if_report`` and the message holds no figures.
_default: list[Callable] = []


def command(name: str, *triggers: str, roles: tuple[str, ...] = (ANYONE,)):
    """Register the decorated ``handler(message, ctx, args)`` under ``name`` and ``triggers``."""

    def decorate(func):
        folded = tuple(fold(t) for t in (name, *triggers))
        COMMANDS.append(Command(name, folded, func, frozenset(roles)))
        return func

    return decorate


def default(func):
    """Register the decorated handler for a chapter head's message that is no command."""
    _default[:] = [func]
    return func


def has_command(word: str) -> bool:
    """Whether some registered command answers to ``word``."""
    return any(fold(word) in c.triggers for c in COMMANDS)


def _normalise(text: str) -> str:
    return " ".join(fold(text).lstrip("/").split())


def match(text: str) -> tuple[Command, str] | None:
    """The command ``text`` starts with, and the rest of the text (original case), or None."""
    norm = _normalise(text)
    best: tuple[str, Command] | None = None
    for cmd in COMMANDS:
        for trigger in cmd.triggers:
            if norm == trigger or norm.startswith((trigger + " ", trigger + ":")):
                if best is None or len(trigger) > len(best[0]):
                    best = (trigger, cmd)
    if best is None:
        return None
    trigger, cmd = best
    n = len(trigger.split())
    words = text.strip().lstrip("/").split(None, n)
    rest = words[n] if len(words) > n else ""
    if len(words) == n and ":" in words[-1]:  # "xem:abc" written without a space
        rest = words[-1].split(":", 1)[1]
    return cmd, rest.lstrip(": ").strip()


def suggest(text: str, limit: int = 3) -> list[str]:
    """Command names that look like the first word(s) of ``text`` ("bạn muốn nói …?")."""
    norm = _normalise(text)
    if not norm:
        return []
    words = norm.split()
    names = {}
    for cmd in COMMANDS:
        for trigger in cmd.triggers:
            names.setdefault(trigger, cmd.name)
    candidates = []
    for n in (1, 2, 3):
        head = " ".join(words[:n])
        candidates += difflib.get_close_matches(head, list(names), n=limit, cutoff=0.75)
    seen, out = set(), []
    for trigger in candidates:
        if names[trigger] not in seen:
            seen.add(names[trigger])
            out.append(names[trigger])
    return out[:limit]


def allowed(cmd: Command, ctx: Ctx) -> bool:
    if ANYONE in cmd.roles:
        return True
    roles = ctx.roles
    if "admin" in roles:
        roles = roles | {"member"}  # an admin may do whatever a committee member may
    return bool(cmd.roles & roles)


def route(message: Message, ctx: Ctx) -> list[Reply]:
    """The replies to ``message``, after whatever it changes in the database."""
    if not _default:
        raise RuntimeError("no handlers registered: call handlers.load_all() at start-up")
    answer = pending.resume(message, ctx)
    if answer is not None:
        return _listify(answer)
    found = match(message.text)
    if found is not None:
        cmd, args = found
        if allowed(cmd, ctx):
            return _listify(cmd.handler(message, ctx, args))
        return _listify(refusal(cmd, message, ctx))
    if ctx.head_chapters:
        return _listify(_default[0](message, ctx))
    if not ctx.committee_orgs and ctx.stopped_chapters:  # a head whose chapter the committee stopped
        return [Reply("chapter_stopped", {"chapters": ctx.stopped_chapters})]
    if ctx.memberships:
        return [Reply("not_understood_admin", {"suggestions": suggest(message.text)})]
    return [Reply("unknown_sender")]


def refusal(cmd: Command, message: Message, ctx: Ctx):
    """What someone gets for a command they may not use; never any data."""
    if ctx.head_chapters and HEAD not in cmd.roles:
        # A head's report may start with a command word ("Tổng cộng trao 20 suất quà",
        # "Chi hội thôn … hiến máu 8 đv"): with figures in it, it is a report.
        answer = _default[0](message, ctx, only_if_report=True)
        if answer is not None:
            return answer
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
