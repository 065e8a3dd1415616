"""``flask --app app import-org``: importing twice changes nothing; a changed file updates what changed."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot import clock
from bot.devtools.orgs import OrgFileError, import_org, load_org_file
from bot.storage.db import session_scope
from bot.storage.models import Base, Chapter, Identity, Membership, Organization, Person, Target

EXAMPLE_ORG = Path(__file__).resolve().parents[2] / "examples" / "org-dienphuoc.yaml"

TABLES = ("organizations", "chapters", "people", "identities", "memberships", "targets")


def dump(settings) -> dict[str, list[tuple]]:
    """Every row of every table the import touches, in id order."""
    out = {}
    with session_scope(settings.database_url) as s:
        for name in TABLES:
            table = Base.metadata.tables[name]
            order = [c for c in table.primary_key.columns]
            out[name] = [tuple(row) for row in s.execute(table.select().order_by(*order))]
    return out


def run_cli(app, path) -> str:
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(args=["import-org", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def write(tmp_path, spec: dict, name="org.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"organization": spec}, allow_unicode=True), encoding="utf-8")
    return path


def test_import_twice_changes_nothing(app, settings):
    assert run_cli(app, EXAMPLE_ORG) == "Đã nhập Hội Chữ thập đỏ xã Điện Phước (ctd-dienphuoc): 12 chi hội.\n"
    first = dump(settings)
    assert len(first["chapters"]) == 12 and len(first["organizations"]) == 1
    assert len(first["targets"]) == 12 * 4
    assert len(first["people"]) == 11 + 3  # one person heads two chapters
    run_cli(app, EXAMPLE_ORG)
    assert dump(settings) == first
    with session_scope(settings.database_url) as s:  # the library call too, twice more
        import_org(s, load_org_file(str(EXAMPLE_ORG)), clock.now())
        import_org(s, load_org_file(str(EXAMPLE_ORG)), clock.now())
    assert dump(settings) == first


def test_a_changed_file_updates_what_changed(app, settings, tmp_path):
    run_cli(app, EXAMPLE_ORG)
    before = dump(settings)
    spec = copy.deepcopy(load_org_file(str(EXAMPLE_ORG)))
    spec["name"] = "Hội Chữ thập đỏ xã Điện Phước (mới)"
    spec["digest"]["time"] = "19:30"
    spec["chapters"][0]["name"] = "Chi hội thôn Nhị Dinh Một"
    spec["chapters"].append({"code": "NHIDINH4", "name": "Chi hội thôn Nhị Dinh 4", "kind": "village", "head": "7002000000000000099"})
    spec["committee"][2]["role"] = "admin"
    spec["targets"]["overrides"]["NHIDINH1"] = {"new_members": 50}
    run_cli(app, write(tmp_path, spec))
    after = dump(settings)
    with session_scope(settings.database_url) as s:
        org = s.scalar(select(Organization))
        assert (org.name, org.digest_time, org.timezone) == ("Hội Chữ thập đỏ xã Điện Phước (mới)", "19:30", "Asia/Ho_Chi_Minh")
        nd1 = s.scalar(select(Chapter).where(Chapter.code == "NHIDINH1"))
        assert nd1.name == "Chi hội thôn Nhị Dinh Một"
        assert s.scalar(select(Target.target).where(Target.chapter_id == nd1.id, Target.indicator == "new_members")) == 50
        nd4 = s.scalar(select(Chapter).where(Chapter.code == "NHIDINH4"))
        assert len(s.scalars(select(Target).where(Target.chapter_id == nd4.id)).all()) == 4
        cuong = s.scalar(select(Identity).where(Identity.external_id == "7001000000000000003"))
        roles = s.scalars(select(Membership.role).where(Membership.person_id == cuong.person_id)).all()
        assert roles == ["admin"]
    # what did not change is still the same rows, ids included
    assert after["chapters"][1:12] == before["chapters"][1:12]
    assert len(after["chapters"]) == 13 and len(after["people"]) == len(before["people"]) + 1
    unchanged_targets = [t for t in before["targets"] if t not in after["targets"]]
    assert len(unchanged_targets) == 1  # only NHIDINH1's new_members
    # and importing the changed file again changes nothing more
    run_cli(app, write(tmp_path, spec))
    assert dump(settings) == after


def test_heads_registered_in_chat_survive_a_reimport(app, settings):
    run_cli(app, EXAMPLE_ORG)
    with session_scope(settings.database_url) as s:
        chapter = s.scalar(select(Chapter).where(Chapter.code == "PHONGNHI"))
        person = Person(name="Người mới", created_at=clock.now())
        s.add(person)
        s.flush()
        s.add(Identity(person_id=person.id, channel="oa", external_id="7003000000000000001"))
        s.add(Membership(person_id=person.id, org_id=chapter.org_id, chapter_id=chapter.id, role="head"))
    before = dump(settings)
    run_cli(app, EXAMPLE_ORG)
    assert dump(settings) == before


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("code"), "organization: 'code' is required"),
        (lambda s: s["digest"].update(sink="email"), "digest.sink must be one of ['bot_group', 'fanout', 'gmf_group']"),
        (lambda s: s["targets"]["overrides"].update(NOWHERE={"gifts": 1}), "targets.overrides name unknown chapters: NOWHERE"),
        (lambda s: s["targets"]["default"].update(rockets=3), "targets name an unknown indicator: rockets"),
    ],
)
def test_a_bad_file_is_refused_and_changes_nothing(app, settings, tmp_path, change, message):
    run_cli(app, EXAMPLE_ORG)
    before = dump(settings)
    spec = copy.deepcopy(load_org_file(str(EXAMPLE_ORG)))
    change(spec)
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(args=["import-org", str(write(tmp_path, spec))])
    assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    assert dump(settings) == before
    with pytest.raises(OrgFileError, match=f"^{re.escape(message)}$"):
        with session_scope(settings.database_url) as s:
            import_org(s, spec, clock.now())
