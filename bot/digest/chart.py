"""A PNG of month-to-date figures per chapter against the month's share of the year's target.

matplotlib with the Agg backend (no display), imported lazily: without matplotlib, or when
drawing fails, the digest simply goes out as text (``chart_png`` returns None, logged).
"""

from __future__ import annotations

import io
import logging

from bot.digest.build import LABELS, MONEY_TARGET, ORDER, short_name
from bot.digest.facts import Facts

log = logging.getLogger(__name__)
MAX_BYTES = 1024 * 1024  # Zalo's upload limit for jpg/png
MAX_PANELS = 4


def _panels(facts: Facts) -> list[str]:
    with_target = [c for c in ORDER if facts.targets.get(c)]
    extra = sorted(c for c in facts.targets if c not in ORDER and facts.targets[c])
    return (with_target + extra)[:MAX_PANELS]


def chart_title(org_name: str, day) -> str:
    """The chart's title: the organization and the month up to ``day``."""
    return f"{org_name}: tháng {day.month}/{day.year} đến {day.strftime('%d/%m')}"


def can_draw(facts: Facts) -> bool:
    """Whether there is anything to chart (an indicator with a target this year)."""
    return bool(_panels(facts))


def draw_chart(facts: Facts, title: str, dpi: int = 100) -> bytes:
    """The chart as PNG bytes (raises if matplotlib fails; see ``chart_png``)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    codes = _panels(facts)
    if not codes:
        raise ValueError("no targets to chart")
    chapters = facts.month_by_chapter
    names = [short_name(c.name) for c in chapters]
    cols = 2 if len(codes) > 1 else 1
    rows = (len(codes) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 0.32 * len(names) * rows + 1.6 * rows),
                             squeeze=False)
    try:
        for ax, code in zip(axes.flat, codes, strict=False):  # the grid may have a spare cell
            done, goal = [], []
            for c in chapters:
                fig_ = c.figures.get(code)
                value = 0 if fig_ is None else (fig_.value_vnd if code in MONEY_TARGET else fig_.quantity) or 0
                target = facts.targets_by_chapter.get(c.chapter_id, {}).get(code, 0) / 12
                scale = 1_000_000 if code in MONEY_TARGET else 1
                done.append(value / scale)
                goal.append(target / scale)
            y = range(len(names))
            colors = ["#2e7d32" if d >= g else "#c62828" for d, g in zip(done, goal, strict=True)]
            ax.barh(list(y), done, color=colors, height=0.6)
            ax.scatter(goal, list(y), marker="|", s=220, color="#222222", zorder=3)
            ax.set_yticks(list(y), names, fontsize=8)
            ax.invert_yaxis()
            unit = " (triệu đ)" if code in MONEY_TARGET else ""
            ax.set_title(f"{LABELS.get(code, code)}{unit}", fontsize=10)
            ax.tick_params(axis="x", labelsize=8)
            ax.grid(axis="x", alpha=0.3)
        for ax in list(axes.flat)[len(codes):]:
            ax.axis("off")
        fig.suptitle(title, fontsize=11)
        fig.text(0.5, 0.005, "Cột: tháng này · Vạch đen: 1/12 chỉ tiêu năm", ha="center", fontsize=8)
        fig.tight_layout(rect=(0, 0.03, 1, 0.95))
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return out.getvalue()


def chart_png(facts: Facts, title: str) -> bytes | None:
    """The chart, at most 1 MB, or None (logged) when it cannot be drawn."""
    try:
        for dpi in (100, 72, 50):
            png = draw_chart(facts, title, dpi=dpi)
            if len(png) <= MAX_BYTES:
                return png
        log.warning("digest.chart_too_big", extra={"bytes": len(png)})
    except Exception as exc:  # the text digest never depends on the chart
        log.warning("digest.chart_skipped", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
    return None
