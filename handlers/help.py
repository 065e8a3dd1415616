"""``giúp``: how to report, with examples, and the commands this person may use."""

from bot.conversation.context import Ctx
from bot.conversation.router import Reply, command
from bot.reporting import stats
from bot.web.events import Message


@command("giúp", "giup", "help", "hướng dẫn", "huong dan", "?")
def handle(message: Message, ctx: Ctx, args: str):
    return Reply(
        "help",
        {
            "is_head": bool(ctx.head_chapters),
            "is_admin": bool(ctx.admin_orgs),
            "is_member": bool(ctx.committee_orgs),
            # a province association's committee: its communes' commands too
            "is_province": any(stats.child_orgs(ctx.session, org.id) for org in ctx.committee_orgs),
            "chapters": ctx.head_chapters,
        },
    )
