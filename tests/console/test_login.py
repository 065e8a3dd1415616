"""The console's login: ``đăng nhập`` in chat → a personal, single-use, 10-minute link → a session."""

from __future__ import annotations

from datetime import timedelta

from bot import clock
from bot.web import login_links as tokens
from tests.console.helpers import ADMIN, HEAD1, ORG, link_path, log_in, person_id

DASHBOARD = f"/console/o/{ORG}/"


def _logged_out(app) -> bool:
    resp = app.test_client().get(DASHBOARD)
    return resp.status_code == 302 and "/console/login" in resp.headers["Location"]


def test_chat_link_opens_a_session_with_safe_cookie(chat, org, client, settings):
    path = link_path(chat, ADMIN)
    resp = client.get(path)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/console/")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is http:// in the tests
    with client.session_transaction() as sess:
        assert sess["_user_id"] == str(person_id(settings, ADMIN))
    assert client.get("/console/").headers["Location"].endswith(DASHBOARD)
    page = client.get(DASHBOARD)
    assert page.status_code == 200 and "Hội Chữ thập đỏ xã Điện Phước" in page.get_data(as_text=True)


def test_cookie_is_secure_behind_https(settings, org):
    from app import create_app

    app = create_app(settings.with_overrides(public_url="https://hoi.example.vn"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.test_request_context():
        pid = person_id(settings, ADMIN)
        token = tokens.make_token(settings.secret_key, pid)
    resp = app.test_client().get(f"/console/login/{token}", base_url="https://hoi.example.vn")
    assert resp.status_code == 302 and "Secure" in resp.headers["Set-Cookie"]


def test_a_used_link_opens_nothing(chat, org, client, app):
    path = link_path(chat, ADMIN)
    assert client.get(path).status_code == 302
    again = app.test_client()
    resp = again.get(path)
    assert resp.status_code == 410
    body = resp.get_data(as_text=True)
    assert "chỉ dùng được một lần" in body and "đăng nhập" in body
    assert "Set-Cookie" not in resp.headers
    assert again.get(DASHBOARD).status_code == 302


def test_an_expired_link_opens_nothing(chat, org, app, clock_at):
    clock_at(clock.now())
    path = link_path(chat, ADMIN)
    clock_at(clock.now() + timedelta(minutes=10, seconds=5))
    client = app.test_client()
    resp = client.get(path)
    assert resp.status_code == 410 and "hết hạn" in resp.get_data(as_text=True)
    assert "Set-Cookie" not in resp.headers and _logged_out(app)


def test_a_link_still_valid_just_before_ten_minutes(chat, org, app, clock_at):
    clock_at(clock.now())
    path = link_path(chat, ADMIN)
    clock_at(clock.now() + timedelta(minutes=9, seconds=50))
    assert app.test_client().get(path).status_code == 302


def test_forged_links_open_nothing(chat, org, app, settings):
    path = link_path(chat, ADMIN)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_key = tokens.make_token("not-our-secret", person_id(settings, ADMIN))
    nobody = tokens.make_token(settings.secret_key, 999999)  # signed, but no such person
    for bad in (tampered, other_key, nobody, "x", "a.b.c"):
        client = app.test_client()
        resp = client.get(f"/console/login/{bad}")
        assert resp.status_code == 410, bad
        assert "đăng nhập" in resp.get_data(as_text=True)
        assert "Set-Cookie" not in resp.headers
    assert _logged_out(app)
    assert app.test_client().get(path).status_code == 302  # the genuine link still works


def test_a_link_gives_only_its_own_persons_session(chat, org, app, settings):
    admin_link, head_link = link_path(chat, ADMIN), link_path(chat, HEAD1)
    a, b = app.test_client(), app.test_client()
    a.get(admin_link)
    b.get(head_link)
    with a.session_transaction() as sess:
        assert sess["_user_id"] == str(person_id(settings, ADMIN))
    with b.session_transaction() as sess:
        assert sess["_user_id"] == str(person_id(settings, HEAD1))
    assert "chỉ các chi hội bạn phụ trách" in b.get(DASHBOARD).get_data(as_text=True)
    assert "chỉ các chi hội bạn phụ trách" not in a.get(DASHBOARD).get_data(as_text=True)


def test_logging_in_replaces_an_earlier_session(chat, org, client, settings):
    log_in(client, chat, HEAD1)
    log_in(client, chat, ADMIN)
    with client.session_transaction() as sess:
        assert sess["_user_id"] == str(person_id(settings, ADMIN))


def test_logout_needs_its_token_and_ends_the_session(chat, org, client, app):
    log_in(client, chat, ADMIN)
    assert client.post("/console/logout").status_code == 400  # no anti-forgery token
    assert client.get(DASHBOARD).status_code == 200
    page = client.get(DASHBOARD).get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    resp = client.post("/console/logout", data={"csrf_token": token})
    assert resp.status_code == 302
    assert client.get(DASHBOARD).status_code == 302


def test_without_a_session_every_page_says_how_to_log_in(client, org):
    for url in ("/console/", DASHBOARD, f"/console/o/{ORG}/reports"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/console/login" in resp.headers["Location"], url
    page = client.get("/console/login")
    assert page.status_code == 200 and "đăng nhập" in page.get_data(as_text=True)


def test_strangers_get_no_link(chat, org):
    answer = chat.ask("7999000000000000001", "đăng nhập")
    assert "/console/login/" not in answer


def test_asking_for_links_in_chat_is_limited_per_person(chat, org):
    answers = [chat.ask(HEAD1, "đăng nhập") for _ in range(6)]
    assert all("/console/login/" in a for a in answers[:5])
    assert "/console/login/" not in answers[5] and "đợi" in answers[5]
    assert "/console/login/" in chat.ask(ADMIN, "Đăng nhập")  # another person is not held back


def test_login_link_requests_are_rate_limited_over_http(client, org):
    codes = [client.get(f"/console/login/forged-{i}").status_code for i in range(11)]
    assert codes[:10] == [410] * 10 and codes[10] == 429
