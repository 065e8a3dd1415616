"""Queries at national scale on PostgreSQL: 1,000 communes (organizations) × 10 chapters =
10,000 chapters, about 2 million reports and 5 million report items over the last 365 days.

Each figure goes through the code the bot runs, against the plain SQL aggregate over the same rows:
- query_commune: a commune's ``tổng tháng này`` — what handlers/totals.py calls (stats.totals,
  stats.reporting_chapter_ids, stats.chapters) vs one SQL SUM … GROUP BY indicator;
- query_org_digest: bot.digest.facts.gather_facts for one commune vs the plain year aggregate;
- query_national: the month's totals over every organization (the same SQLAlchemy select as
  stats, without the organization filter) vs the plain SQL.
The database ``bench_q`` is dropped and created by the bench, and dropped at the end.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
from sqlalchemy import func, select

from bench.common import PG_ADMIN, QUICK, drop_database, figure, log, percentile, recreate_database

DB = "bench_q"
ORGS = 1000
PER_ORG = 10
INDICATORS = ["gifts", "blood_units", "new_members", "funds_raised", "scholarships", "first_aid_trainees"]


def load(conn, items_target: int, today: date) -> None:
    reports = items_target * 2 // 5  # 2.5 items a report on average
    start = today - timedelta(days=364)
    conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
    conn.execute(f"""INSERT INTO organizations (id, code, name, timezone, digest_time, digest_sink, indicators)
        SELECT g, 'xa-' || g, 'Hội CTĐ xã ' || g, 'Asia/Ho_Chi_Minh', '20:00', 'fanout', '[]'
        FROM generate_series(1, {ORGS}) g""")
    conn.execute(f"""INSERT INTO chapters (id, org_id, code, name, kind, active)
        SELECT g, (g - 1) / {PER_ORG} + 1, 'CH' || g, 'Chi hội ' || g, 'village', true
        FROM generate_series(1, {ORGS * PER_ORG}) g""")
    conn.execute(f"""INSERT INTO targets (org_id, chapter_id, year, indicator, target)
        SELECT (c - 1) / {PER_ORG} + 1, c, {today.year}, i, 100
        FROM generate_series(1, {ORGS * PER_ORG}) c, unnest(ARRAY['gifts','blood_units','new_members']) i""")
    conn.execute(f"""INSERT INTO reports (id, org_id, chapter_id, report_date, raw_text, status, created_at)
        SELECT g, (c - 1) / {PER_ORG} + 1, c, d, 'qua 5, mau 2',
               CASE WHEN g % 20 = 0 THEN 'cancelled' WHEN g % 50 = 1 THEN 'replaced' ELSE 'active' END,
               d::timestamp AT TIME ZONE 'UTC'
        FROM (SELECT g, 1 + (hashint4(g)::bigint & 2147483647) % {ORGS * PER_ORG} AS c,
                     DATE '{start}' + ((hashint4(g * 7)::bigint & 2147483647) % 365)::int AS d
              FROM generate_series(1, {reports}) g) s""")
    # 1 to 4 items a report (2.5 on average), distinct indicators
    conn.execute(f"""INSERT INTO report_items (report_id, indicator, quantity, value_vnd)
        SELECT r, (ARRAY{INDICATORS})[1 + (r + k) % 6], 1 + (r * 7 + k) % 30,
               CASE WHEN (r + k) % 6 IN (0, 3) THEN ((r * 13 + k) % 50) * 100000 END
        FROM generate_series(1, {reports}) r, generate_series(0, 3) k
        WHERE k <= (r % 4)""")
    conn.execute("SET session_replication_role = DEFAULT")
    for seq, table in (("organizations_id_seq", "organizations"), ("chapters_id_seq", "chapters"),
                       ("reports_id_seq", "reports")):
        conn.execute(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))")


PLAIN_COMMUNE = """SELECT i.indicator, sum(i.quantity), sum(i.value_vnd) FROM report_items i
    JOIN reports r ON r.id = i.report_id
    WHERE r.org_id = %s AND r.status = 'active' AND r.report_date BETWEEN %s AND %s
    GROUP BY i.indicator"""
PLAIN_NATIONAL = """SELECT i.indicator, sum(i.quantity), sum(i.value_vnd) FROM report_items i
    JOIN reports r ON r.id = i.report_id
    WHERE r.status = 'active' AND r.report_date BETWEEN %s AND %s
    GROUP BY i.indicator"""


def timed(fn, args_list) -> list[float]:
    out = []
    for args in args_list:
        t0 = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def run() -> list[dict]:
    items_target = 1_000_000 if QUICK else 5_000_000
    today = datetime.now(UTC).date()
    month_start = today.replace(day=1)
    url = recreate_database(DB)
    try:
        from bot.storage.db import dispose_all, sessionmaker_for, upgrade

        upgrade(url)  # the schema and indexes as migrations make them (head)
        t0 = time.perf_counter()
        with psycopg.connect(f"{PG_ADMIN}/{DB}", autocommit=True) as conn:
            load(conn, items_target, today)
            conn.execute("VACUUM ANALYZE")
            n_items = conn.execute("SELECT count(*) FROM report_items").fetchone()[0]
            n_reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        log(f"queries: loaded {n_reports} reports, {n_items} items in {time.perf_counter() - t0:.0f}s")

        from bot.digest.facts import gather_facts
        from bot.reporting import stats
        from bot.storage.models import Organization, Report, ReportItem

        Session = sessionmaker_for(url)
        rng = random.Random(7)
        n = 100 if QUICK else 300
        orgs = [rng.randint(1, ORGS) for _ in range(n)]
        session = Session()
        plain = psycopg.connect(f"{PG_ADMIN}/{DB}", autocommit=True)
        org_rows = {o.id: o for o in session.scalars(select(Organization))}

        def commune_code(org_id):  # what handlers/totals.py does, in a session of its own as a job has
            org = org_rows[org_id]
            with Session() as own:
                catalog = org.catalog
                found = stats.totals(own, org.id, month_start, today, catalog=catalog)
                stats.total_views(found, catalog)
                len(stats.reporting_chapter_ids(own, org.id, month_start, today))
                len(stats.chapters(own, org.id))

        def commune_sum(org_id):  # the aggregate alone: stats.totals in an open session
            stats.totals(session, org_id, month_start, today)

        def commune_plain(org_id):
            plain.execute(PLAIN_COMMUNE, (org_id, month_start, today)).fetchall()

        def digest_code(org_id):
            gather_facts(session, org_rows[org_id], today, datetime.now(UTC))
            session.rollback()

        def digest_plain(org_id):
            plain.execute(PLAIN_COMMUNE, (org_id, today.replace(month=1, day=1), today)).fetchall()

        def national_code():
            session.execute(
                select(ReportItem.indicator, func.sum(ReportItem.quantity), func.sum(ReportItem.value_vnd))
                .join(Report, Report.id == ReportItem.report_id)
                .where(Report.status == stats.ACTIVE, Report.report_date.between(month_start, today))
                .group_by(ReportItem.indicator)).all()
            session.rollback()

        def national_plain():
            plain.execute(PLAIN_NATIONAL, (month_start, today)).fetchall()

        rows = []
        for name, code, base, args, _unit_n in (
            ("query_commune", commune_code, commune_plain, [(o,) for o in orgs], n),
            ("query_commune:aggregate", commune_sum, commune_plain, [(o,) for o in orgs], n),
            ("query_org_digest", digest_code, digest_plain, [(o,) for o in orgs[: n // 3]], n // 3),
            ("query_national", national_code, national_plain, [()] * (5 if QUICK else 15), 0),
        ):
            timed(code, args[:5])  # warm
            timed(base, args[:5])
            # interleaved halves so that other load on the machine hits both alike
            half = len(args) // 2 or 1
            a = timed(code, args[:half]) + []
            b = timed(base, args[:half])
            a += timed(code, args[half:])
            b += timed(base, args[half:])
            pa, pb = percentile(a, 95), percentile(b, 95)
            log(f"{name}: p95 {pa:.2f} ms vs plain {pb:.2f} ms (p50 {percentile(a, 50):.2f} / {percentile(b, 50):.2f})")
            bench, _, part = name.partition(":")
            rows.append(figure(bench, f"p95_latency_{part}" if part else "p95_latency", pa, "ms", pb, p50=round(percentile(a, 50), 2),
                               baseline_p50=round(percentile(b, 50), 2), samples=len(a),
                               report_items=n_items))
        session.close()
        plain.close()
        dispose_all()
        return rows
    finally:
        drop_database(DB)


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row, ensure_ascii=False))
