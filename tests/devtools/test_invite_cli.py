"""``flask --app app invite``: the first admin's way in; ``import-org`` with people listed by name alone,
bound later by a code made for their name."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot import clock
from bot.storage.db import session_scope
from bot.storage.models import Identity, Invite, Membership, Person
from tests.devtools.test_import_org import dump

ORG_FILE = """\
organization:
  code: ctd-dienphuoc
  name: Hội Chữ thập đỏ xã Điện Phước
  committee:
    - {name: "Nguyễn Văn An", role: admin}
    - {name: "Lê Văn Cường"}
  chapters:
    - {code: NHIDINH1, name: "Chi hội thôn Nhị Dinh 1", head: {name: "Phạm Thị Hoa"}}
    - {code: NHIDINH2, name: "Chi hội thôn Nhị Dinh 2", head: "7002000000000000002"}
"""
OTHER_FILE = """\
organization:
  code: hpn-other
  name: Hội Phụ nữ xã Khác
  chapters:
    - {code: A1, name: "Chi hội ấp 1"}
"""


def cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def imported(app, tmp_path, text=ORG_FILE, name="org.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = cli(app, "import-org", str(path))
    assert result.exit_code == 0, result.output
    return path


def people(settings) -> list[tuple]:
    """(name, role, chapter id is set, Zalo id) of everyone with a role, in person order."""
    with session_scope(settings.database_url) as s:
        return [tuple(r) for r in s.execute(
            select(Person.name, Membership.role, Membership.chapter_id.is_not(None), Identity.external_id)
            .join(Membership, Membership.person_id == Person.id)
            .outerjoin(Identity, Identity.person_id == Person.id)
            .order_by(Person.id, Membership.id))]


def test_people_listed_by_name_alone_import_once(app, settings, tmp_path):
    path = imported(app, tmp_path)
    before = dump(settings)
    assert people(settings) == [
        ("Phạm Thị Hoa", "head", True, None),
        (None, "head", True, "7002000000000000002"),
        ("Nguyễn Văn An", "admin", False, None),
        ("Lê Văn Cường", "member", False, None),
    ]
    assert cli(app, "import-org", str(path)).exit_code == 0
    assert dump(settings) == before


def test_invite_prints_a_one_time_code_for_the_role(app, settings, tmp_path):
    imported(app, tmp_path)
    result = cli(app, "invite", "--org", "ctd-dienphuoc", "--role", "head", "--chapter", "nhidinh2")
    assert result.exit_code == 0, result.output
    code = result.stdout.strip()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code)
    admin = cli(app, "invite", "--org", "ctd-dienphuoc", "--role", "admin", "--name", "Nguyễn Văn An").stdout.strip()
    with session_scope(settings.database_url) as s:
        head_row = s.scalar(select(Invite).where(Invite.code == code))
        assert (head_row.role, head_row.person_id, head_row.used_at) == ("head", None, None)
        assert abs(head_row.expires_at - clock.now() - timedelta(days=7)) < timedelta(minutes=1)
        admin_row = s.scalar(select(Invite).where(Invite.code == admin))
        listed = s.scalar(select(Person.id).where(Person.name == "Nguyễn Văn An"))
        assert (admin_row.role, admin_row.chapter_id, admin_row.person_id) == ("admin", None, listed)


def test_invite_refuses_what_it_cannot_give(app, settings, tmp_path):
    imported(app, tmp_path)
    imported(app, tmp_path, OTHER_FILE, "other.yaml")
    cases = [
        (["--org", "nope", "--role", "admin"], "Error: unknown organization 'nope': import it first (import-org)"),
        (["--org", "ctd-dienphuoc", "--role", "head"], "Error: --role head needs --chapter"),
        (["--org", "ctd-dienphuoc", "--role", "head", "--chapter", "A1"], "Error: ctd-dienphuoc has no active chapter 'A1'"),
        (["--org", "ctd-dienphuoc", "--role", "member", "--chapter", "NHIDINH1"], "Error: --chapter goes with --role head only"),
    ]
    for args, message in cases:
        result = cli(app, "invite", *args)
        assert result.exit_code == 1 and result.output.strip() == message, result.output
    assert cli(app, "invite", "--org", "ctd-dienphuoc", "--role", "boss").exit_code == 2
    with session_scope(settings.database_url) as s:
        assert s.scalars(select(Invite)).all() == []


def test_a_code_made_for_a_listed_name_binds_that_person(chat, app, settings, example_day, tmp_path):
    imported(app, tmp_path)
    admin = cli(app, "invite", "--org", "ctd-dienphuoc", "--role", "admin", "--name", "nguyen van an").stdout.strip()
    head = cli(app, "invite", "--org", "ctd-dienphuoc", "--role", "head", "--chapter", "NHIDINH1",
               "--name", "Phạm Thị Hoa").stdout.strip()
    assert chat.ask("7101000000000000001", f"đk {admin}").startswith(
        "✅ Đăng ký thành công! Anh/chị là quản trị viên Ban Thường vụ Hội Chữ thập đỏ xã Điện Phước.")
    assert chat.ask("7102000000000000001", f"đk {head}").startswith(
        "✅ Đăng ký thành công! Anh/chị là chi hội trưởng Chi hội thôn Nhị Dinh 1 (Hội Chữ thập đỏ xã Điện Phước).")
    assert chat.ask("7102000000000000001", "qua 5").startswith("✅ Đã ghi nhận cho Chi hội thôn Nhị Dinh 1")
    assert people(settings) == [
        ("Phạm Thị Hoa", "head", True, "7102000000000000001"),
        (None, "head", True, "7002000000000000002"),
        ("Nguyễn Văn An", "admin", False, "7101000000000000001"),
        ("Lê Văn Cường", "member", False, None),
    ]
    # the file imported again keeps them bound and adds nobody
    assert cli(app, "import-org", str(tmp_path / "org.yaml")).exit_code == 0
    assert len(people(settings)) == 4
