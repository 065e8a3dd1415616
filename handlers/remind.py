"""``nhắc``: an admin nudges, at once, the heads of chapters with no report this week."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.conversation.context import Ctx
from bot.conversation.router import ADMIN, Reply, command
from bot.digest.reminders import plan_reminders
from bot.web.events import Message


@command("nhắc", "nhac", "nhắc nhở", "nhac nho", roles=(ADMIN,))
def handle(message: Message, ctx: Ctx, args: str):
    replies = []
    for org in ctx.admin_orgs:
        day = ctx.now.astimezone(ZoneInfo(org.timezone)).date()
        plan = plan_reminders(ctx.session, org, day, ctx.now)
        for head in plan.nudged:
            replies.append(Reply("reminder", {"name": head.name, "chapters": head.chapters,
                                              "week_start": plan.week_start},
                                 to=head.recipient, channel="oa", quote=False))
        replies.append(Reply("reminder_admin", {
            "org_name": org.name, "week_start": plan.week_start, "day": day,
            "nudged": plan.nudged, "unreachable": plan.unreachable, "headless": plan.headless}))
    return replies
