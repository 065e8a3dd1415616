"""``chưa báo cáo [kỳ]``: chapters with no counted report in the period (default: the last 7 days);
for a province association, its communes, each with how many of its chapters are silent."""

from __future__ import annotations

from bot.conversation.context import Ctx
from bot.conversation.router import MEMBER, Reply, command, has_command
from bot.periods import last_days
from bot.reporting import stats
from bot.web.events import Message
from handlers.committee import period_or_reply


@command("chưa báo cáo", "chua bao cao", "chưa bc", "chua bc", roles=(MEMBER,))
def handle(message: Message, ctx: Ctx, args: str):
    orgs = ctx.committee_orgs
    can_remind = has_command("nhắc") and bool(ctx.admin_orgs)
    replies = []
    for org in orgs:
        period, ask_again = period_or_reply(args, ctx, org, last_days)
        if ask_again is not None:
            return ask_again
        communes = stats.child_orgs(ctx.session, org.id)
        if communes:
            replies.append(_province(ctx, org, communes, period))
            continue
        missing = stats.chapters_without_reports(ctx.session, org.id, period.start, period.end)
        replies.append(
            Reply(
                "missing",
                {
                    "org": org,
                    "period": period,
                    "missing": missing,
                    "chapters": len(stats.chapters(ctx.session, org.id)),
                    "can_remind": can_remind,
                },
            )
        )
    return replies


def _province(ctx: Ctx, org, communes: list, period) -> Reply:
    """A province's silent chapters counted per commune, the communes with most silent first."""
    done = stats.reporting_chapter_ids(ctx.session, stats.subtree_ids(ctx.session, org.id), period.start, period.end)
    rows = []
    for commune in communes:
        chapters = stats.chapters(ctx.session, stats.subtree_ids(ctx.session, commune.id))
        silent = [c for c in chapters if c.id not in done]
        rows.append({"org": commune, "silent": len(silent), "chapters": len(chapters)})
    rows.sort(key=lambda r: (-r["silent"], r["org"].name))
    return Reply(
        "missing_province",
        {
            "org": org,
            "period": period,
            "communes": rows,
            "silent": sum(r["silent"] for r in rows),
            "chapters": sum(r["chapters"] for r in rows),
        },
    )
