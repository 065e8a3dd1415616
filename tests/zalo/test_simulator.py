"""The Zalo simulator over real HTTP: it must answer as oa-api.md §9 says Zalo does."""

from __future__ import annotations

import json

import pytest
import requests

from bot.web.signature import verify_signature
from bot.zalo.sim import SimulatorConfig, SimulatorServer, simulator_command
from tests.zalo.helpers import Receiver

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def oauth(sim, **form):
    data = {"app_id": sim.config.app_id, **form}
    response = sim.http.post(sim.url + "/v4/oa/access_token", data=data,
                             headers={"secret_key": sim.config.app_secret}, timeout=10)
    assert response.status_code == 200
    return response.json()


def fresh_pair(sim):
    return oauth(sim, grant_type="refresh_token", refresh_token=sim.config.initial_refresh_token)


def api(sim, method, path, token, **kwargs):
    response = sim.http.request(method, sim.url + path, headers={"access_token": token},
                                timeout=10, **kwargs)
    return response


def cs(sim, token, user_id, text="Đã nhận", **message):
    return api(sim, "POST", "/v3.0/oa/message/cs", token,
               json={"recipient": {"user_id": user_id}, "message": {"text": text, **message}})


# -- OAuth -------------------------------------------------------------------------------
def test_refresh_rotates_and_old_refresh_token_dies_at_once(sim):
    pair = fresh_pair(sim)
    assert set(pair) == {"access_token", "refresh_token", "expires_in", "refresh_token_expires_in"}
    assert pair["expires_in"] == "90000"
    again = fresh_pair(sim)
    assert again == {"error": -14014, "message": "Invalid refresh token"}
    nxt = oauth(sim, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert nxt["access_token"] != pair["access_token"]
    tokens = sim.get("/__fake/tokens")
    assert tokens["refresh_token"] == nxt["refresh_token"]
    assert tokens["access_token"] == nxt["access_token"]
    assert pair["refresh_token"] not in tokens["refresh_tokens"]
    assert sim.stats()["refresh_calls"] == 3


def test_token_endpoint_wants_secret_key_header(sim):
    response = sim.http.post(sim.url + "/v4/oa/access_token", timeout=10, data={
        "app_id": sim.config.app_id, "grant_type": "refresh_token",
        "refresh_token": sim.config.initial_refresh_token,
        "secret_key": sim.config.app_secret})  # in the body instead of the header
    assert response.json() == {"error": -14001, "message": "Invalid app_id or secret_key"}
    assert sim.get("/__fake/tokens")["refresh_token"] == sim.config.initial_refresh_token


def test_authorization_code_is_single_use_and_lives_ten_minutes(sim):
    code = sim.post("/__fake/auth_code")["code"]
    assert "access_token" in oauth(sim, grant_type="authorization_code", code=code)
    assert oauth(sim, grant_type="authorization_code", code=code) == {
        "error": -14019, "message": "Invalid authorization code"}
    code = sim.post("/__fake/auth_code")["code"]
    sim.advance(11 * 60)
    assert oauth(sim, grant_type="authorization_code", code=code) == {
        "error": -14019, "message": "Invalid authorization code"}


def test_access_token_header_only_and_expiry_on_fake_clock(sim):
    token = fresh_pair(sim)["access_token"]
    sim.add_user("u1")
    assert cs(sim, token, "u1").json()["error"] == 0
    bearer = sim.http.post(sim.url + "/v3.0/oa/message/cs", timeout=10,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"recipient": {"user_id": "u1"}, "message": {"text": "x"}})
    assert bearer.status_code == 200
    assert bearer.json() == {"error": -216, "message": "Access token is invalid"}
    assert cs(sim, "nope", "u1").json()["error"] == -216
    sim.advance(25 * 3600 + 1)
    sim.add_user("u1")  # keep the window open; only the token is old
    assert cs(sim, token, "u1").json() == {"error": -220,
                                          "message": "access_token is expired or removed"}


# -- message/cs ----------------------------------------------------------------------------
def test_cs_send_success_shape_and_record(sim):
    token = fresh_pair(sim)["access_token"]
    sim.add_user("2512523625412515")
    response = cs(sim, token, "2512523625412515", "Đã nhận báo cáo ✅")
    body = response.json()
    assert body["error"] == 0 and body["message"] == "Success"
    assert set(body["data"]) == {"message_id", "user_id", "sent_time"}  # no quota by default
    assert all(isinstance(v, str) for v in body["data"].values())
    assert response.headers["X-RateLimit-Limit"] == "4000"
    assert response.headers["X-RateLimit-Remain"] == "3999"  # this send was the first counted call
    [sent] = sim.sent()
    assert sent["channel"] == "oa" and sent["text"] == "Đã nhận báo cáo ✅"
    assert sent["message_id"] == body["data"]["message_id"] and sent["billable"] is False


def test_window_seven_days_and_billable_after_48h(sim):
    token = fresh_pair(sim)["access_token"]
    sim.add_user("u1")
    sim.advance(3 * 86400)
    pair = fresh_pair_after(sim)
    assert cs(sim, pair, "u1").json()["error"] == 0
    assert sim.sent()[-1]["billable"] is True
    sim.advance(5 * 86400)
    pair = fresh_pair_after(sim)
    assert cs(sim, pair, "u1").json() == {
        "error": -230, "message": "User has not interacted with the OA in the past 7 days"}
    assert len(sim.sent()) == 1
    # the first token died after 25 h, whatever the window
    assert cs(sim, token, "u1").json() == {"error": -220, "message": "access_token is expired or removed"}


def fresh_pair_after(sim):
    """A live token after the clock moved (tokens live 25 h)."""
    rt = sim.get("/__fake/tokens")["refresh_token"]
    return oauth(sim, grant_type="refresh_token", refresh_token=rt)["access_token"]


def test_unknown_user_nonfollower_quote_and_long_text(sim):
    token = fresh_pair(sim)["access_token"]
    assert cs(sim, token, "ghost").json() == {"error": -201, "message": "recipient is invalid!"}
    sim.add_user("nf", follower=False)
    assert cs(sim, token, "nf").json()["error"] == -213
    sim.add_user("u1")
    assert cs(sim, token, "u1", quote_message_id="deadbeef").json()["error"] == -201
    assert cs(sim, token, "u1", "a" * 2000).json()["error"] == 0
    assert cs(sim, token, "u1", "a" * 2001).json()["error"] == -201
    # 2000 characters in NFC are fine even when sent decomposed (NFD is longer)
    nfd = "ệ" * 2000
    import unicodedata
    assert len(unicodedata.normalize("NFD", nfd)) > 2000
    assert cs(sim, token, "u1", unicodedata.normalize("NFD", nfd)).json()["error"] == 0


def test_delivered_msg_id_can_be_quoted(sim, receiver):
    token = fresh_pair(sim)["access_token"]
    out = sim.post("/__fake/deliver", {"user_id": "u7", "text": "hello",
                                       "webhook_url": receiver.url})
    assert out["status"] == 200
    body = cs(sim, token, "u7", quote_message_id=out["msg_id"]).json()
    assert body["error"] == 0
    assert sim.sent(user_id="u7")[0]["quote_message_id"] == out["msg_id"]


# -- groups, users, misc -------------------------------------------------------------------------
def test_group_message_rules(sim):
    token = fresh_pair(sim)["access_token"]

    def send(gid):
        return api(sim, "POST", "/v3.0/oa/group/message", token,
                   json={"recipient": {"group_id": gid}, "message": {"text": "Tổng hợp"}}).json()

    assert send("g0")["error"] == -201
    sim.post("/__fake/groups", [{"group_id": "g1"}, {"group_id": "g2", "oa_member": False},
                                {"group_id": "g3", "disabled": True}])
    body = send("g1")
    assert body["error"] == 0 and body["data"]["group_id"] == "g1"
    assert send("g2") == {"error": -403, "message": "OA is not in group"}
    assert send("g3") == {"error": -237, "message": "The group is disabled"}
    assert sim.sent(channel="group")[0]["group_id"] == "g1"


def test_user_detail_getlist_getoa_quota(sim):
    token = fresh_pair(sim)["access_token"]
    sim.add_user("4572947693969771653", display_name="Nguyễn Văn A")
    sim.add_user("nf", follower=False)
    detail = api(sim, "GET", "/v3.0/oa/user/detail", token,
                 params={"data": json.dumps({"user_id": "4572947693969771653"})}).json()
    assert detail["error"] == 0
    assert detail["data"]["display_name"] == "Nguyễn Văn A"
    assert detail["data"]["user_is_follower"] is True
    assert len(detail["data"]["user_last_interaction_date"].split("/")) == 3
    nf = api(sim, "GET", "/v3.0/oa/user/detail", token,
             params={"data": json.dumps({"user_id": "nf"})}).json()
    assert nf["error"] == -213
    listing = api(sim, "GET", "/v3.0/oa/user/getlist", token, params={
        "data": json.dumps({"offset": 0, "count": 50, "is_follower": True})}).json()
    assert listing["data"]["users"] == [{"user_id": "4572947693969771653"}]
    assert api(sim, "GET", "/v2.0/oa/getoa", token).json()["data"]["oa_id"] == "sim-oa"
    quota = api(sim, "POST", "/v3.0/oa/quota/message", token,
                json={"user_id": "4572947693969771653"}).json()
    assert quota["data"]["in_window"] is True


def test_v2_message_api_is_shut_down(sim):
    token = fresh_pair(sim)["access_token"]
    for path in ("/v2.0/oa/message", "/v2.0/oa/message/cs"):
        assert api(sim, "POST", path, token, json={}).json()["error"] == -240


def test_upload_limits_and_attachment_expiry(sim):
    token = fresh_pair(sim)["access_token"]

    def upload(blob, name="a.png"):
        return api(sim, "POST", "/v2.0/oa/upload/image", token,
                   files={"file": (name, blob, "image/png")}).json()

    assert upload(b"GIF89a" + b"\x00" * 10)["error"] == -210
    assert upload(PNG + b"\x00" * (1024 * 1024))["error"] == -210
    attachment_id = upload(PNG)["data"]["attachment_id"]
    assert upload(b"\xff\xd8\xff\xe0" + b"\x00" * 100, "a.jpg")["error"] == 0
    sim.add_user("u1")
    image = {"attachment": {"type": "template", "payload": {
        "template_type": "media",
        "elements": [{"media_type": "image", "attachment_id": attachment_id}]}}}
    body = api(sim, "POST", "/v3.0/oa/message/cs", token,
               json={"recipient": {"user_id": "u1"}, "message": image}).json()
    assert body["error"] == 0
    assert sim.sent()[-1]["attachment_id"] == attachment_id
    sim.advance(7 * 86400 + 60)
    sim.add_user("u1")
    token = fresh_pair_after(sim)
    body = api(sim, "POST", "/v3.0/oa/message/cs", token,
               json={"recipient": {"user_id": "u1"}, "message": image}).json()
    assert body == {"error": -100, "message": "attachment_id was expired"}


# -- rate limit and failure injection --------------------------------------------------------
def test_rate_limit_gives_minus_32_and_counts():
    with SimulatorServer(SimulatorConfig(rate_limit_per_minute=3, id_epoch=0)) as server:
        with requests.Session() as http:
            pair = http.post(server.url + "/v4/oa/access_token", timeout=10,
                             data={"app_id": "sim-app", "grant_type": "refresh_token",
                                   "refresh_token": "sim-refresh-0"},
                             headers={"secret_key": "sim-app-secret"}).json()
            answers = [http.get(server.url + "/v2.0/oa/getoa", timeout=10,
                                headers={"access_token": pair["access_token"]})
                       for _ in range(5)]
            assert [a.json()["error"] for a in answers] == [0, 0, 0, -32, -32]
            assert answers[-1].headers["X-RateLimit-Remain"] == "0"
            assert http.get(server.url + "/__fake/stats", timeout=10).json()["rate_limited"] == 2


def test_fail_next_modes(sim):
    token = fresh_pair(sim)["access_token"]
    sim.fail_next("/v2.0/oa/getoa", "http500")
    sim.fail_next("/v2.0/oa/getoa", "http429")
    sim.fail_next("/v2.0/oa/getoa", "error", error=-200)
    assert api(sim, "GET", "/v2.0/oa/getoa", token).status_code == 500
    assert api(sim, "GET", "/v2.0/oa/getoa", token).status_code == 429
    assert api(sim, "GET", "/v2.0/oa/getoa", token).json()["error"] == -200
    assert api(sim, "GET", "/v2.0/oa/getoa", token).json()["error"] == 0
    sim.fail_next("/v2.0/oa/getoa", "timeout", delay=0.6)
    with pytest.raises(requests.Timeout):
        sim.http.get(sim.url + "/v2.0/oa/getoa", headers={"access_token": token}, timeout=0.2)
    assert sim.stats()["requests"]["/v2.0/oa/getoa"] == 5


# -- Bot API -------------------------------------------------------------------------------
def bot(sim, method, token=None, **body):
    return sim.http.post(f"{sim.url}/bot{token or sim.config.bot_token}/{method}", json=body,
                         timeout=10)


def test_bot_api_methods(sim):
    assert bot(sim, "getMe").json()["result"]["account_type"] == "BASIC"
    wrong = bot(sim, "getMe", token="123:wrong")
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert wrong.status_code == 401
    sent = bot(sim, "sendMessage", chat_id="c1", text="Xin chào").json()
    assert sent["ok"] is True and sent["result"]["chat"] == {"id": "c1", "chat_type": "PRIVATE"}
    assert sent["result"]["text"] == "Xin chào"
    assert sent["result"]["message_type"] == "CHAT_MESSAGE"
    assert sent["result"]["from"]["is_bot"] is True
    assert isinstance(sent["result"]["date"], int)
    assert bot(sim, "sendMessage", chat_id="c1", text="").json()["error_code"] == 400
    assert bot(sim, "sendMessage", chat_id="c1", text="x" * 2001).json()["ok"] is False
    assert sim.sent(channel="bot")[0]["chat_id"] == "c1"
    assert "sim-bot:token" not in json.dumps(sim.stats())
    assert bot(sim, "setWebhook", url="http://x.test/h", secret_token="12345678").json()[
        "ok"] is False
    assert bot(sim, "setWebhook", url="https://x.test/h", secret_token="short").json()[
        "ok"] is False
    assert bot(sim, "setWebhook", url="https://x.test/h", secret_token="12345678").json()["ok"] is True
    assert bot(sim, "getWebhookInfo").json()["result"]["url"] == "https://x.test/h"
    assert bot(sim, "getUpdates", timeout="1").json()["ok"] is False  # webhook set
    assert bot(sim, "deleteWebhook").json()["result"]["url"] == ""
    assert bot(sim, "getUpdates", timeout="0").json()["error_code"] == 408
    sim.post("/__fake/deliver_bot", {"chat_id": "c9", "text": "hi"})  # no webhook: queued
    update = bot(sim, "getUpdates", timeout="1").json()
    assert update["ok"] is True and update["result"]["message"]["text"] == "hi"  # one update, no list


def test_bot_api_takes_form_multipart_and_query_parameters(sim):
    url = f"{sim.url}/bot{sim.config.bot_token}"
    form = sim.http.post(f"{url}/sendMessage", data={"chat_id": "c2", "text": "form"}, timeout=10)
    multipart = sim.http.post(f"{url}/sendPhoto", timeout=10, files={
        "chat_id": (None, "c3"), "photo": (None, "https://x.test/a.jpg"),
        "caption": (None, "ảnh")})
    query = sim.http.get(f"{url}/sendMessage", params={"chat_id": "c4", "text": "query"},
                         timeout=10)
    assert form.json()["result"]["text"] == "form"
    photo = multipart.json()["result"]
    assert photo["photo_url"] == "https://x.test/a.jpg" and photo["caption"] == "ảnh"
    assert photo["message_type"] == "CHAT_PHOTO" and photo["chat"]["id"] == "c3"
    assert query.json()["result"]["chat"]["id"] == "c4"
    sent = sim.sent(channel="bot")
    assert [(m["chat_id"], m["text"]) for m in sent] == [("c2", "form"), ("c3", "ảnh"),
                                                         ("c4", "query")]
    assert sent[1]["photo"] == "https://x.test/a.jpg"
    sim.post("/__fake/deliver_bot", {"chat_id": "g1", "chat_type": "GROUP", "text": "@bot"})
    group = sim.http.post(f"{url}/sendMessage", json={"chat_id": "g1", "text": "ok"}, timeout=10)
    assert group.json()["result"]["chat"] == {"id": "g1", "chat_type": "GROUP"}


def test_deliver_bot_posts_with_secret_header(receiver):
    config = SimulatorConfig(bot_webhook_url=receiver.url, bot_secret_token="s3cret-token",
                             id_epoch=0)
    with SimulatorServer(config) as server, requests.Session() as http:
        out = http.post(server.url + "/__fake/deliver_bot", timeout=10,
                        json={"chat_id": "c1", "text": "Báo cáo"}).json()
    assert out["status"] == 200
    headers, body = receiver.requests[0]
    assert headers["x-bot-api-secret-token"] == "s3cret-token"
    update = json.loads(body)
    assert update["event_name"] == "message.text.received"
    assert update["message"]["chat"]["id"] == "c1" and update["message"]["text"] == "Báo cáo"


# -- deliveries and inspection -----------------------------------------------------------------
def test_deliver_signs_and_records_interaction(sim, receiver):
    import time

    sim.post("/__fake/config", {"webhook_url": receiver.url})
    started = time.monotonic()
    out = sim.post("/__fake/deliver", {"user_id": "246845883529197922",
                                       "text": "BC hoạt động: 12 TNV"})
    elapsed_ms = (time.monotonic() - started) * 1000
    assert out["status"] == 200 and 0 < out["latency_ms"] <= elapsed_ms
    headers, body = receiver.requests[0]
    assert verify_signature(body, headers["x-zevent-signature"], "sim-app", "sim-oa-secret")
    assert headers["x-zevent-signature"].startswith("mac=")
    event = json.loads(body)
    assert event["event_name"] == "user_send_text"
    assert event["sender"]["id"] == "246845883529197922"
    assert event["recipient"]["id"] == "sim-oa"
    assert event["message"] == {"msg_id": out["msg_id"], "text": "BC hoạt động: 12 TNV"}
    assert isinstance(event["timestamp"], str) and event["timestamp"].isdigit()
    users = sim.get("/__fake/users")["users"]
    assert [u["user_id"] for u in users] == ["246845883529197922"]
    # the delivery is the user's last interaction, on the simulator's clock (as the event's timestamp)
    assert 0 <= users[0]["last_interaction"] - int(event["timestamp"]) < 1000


def test_deliver_retries_with_num_retry_header():
    receiver = Receiver(script=[500, (200, 2.5), 200])
    try:
        with SimulatorServer(SimulatorConfig(webhook_url=receiver.url, id_epoch=0)) as server, \
                requests.Session() as http:
            out = http.post(server.url + "/__fake/deliver", timeout=20,
                            json={"user_id": "u1", "text": "x", "retries": 3}).json()
        assert out["statuses"] == [500, None, 200]  # 2.5 s is past Zalo's 2 s deadline
        assert out["attempts"] == 3
        retry_headers = [h.get("num_retry") for h, _ in receiver.requests]
        assert retry_headers == [None, "1", "2"]
        assert len({body for _, body in receiver.requests}) == 1  # same bytes every time
    finally:
        receiver.close()


def test_sent_filters_reset_and_config_hides_secrets(sim):
    token = fresh_pair(sim)["access_token"]
    sim.add_user("a")
    sim.add_user("b")
    for user in ("a", "b", "a"):
        assert cs(sim, token, user).json()["error"] == 0
    assert [m["user_id"] for m in sim.sent()] == ["a", "b", "a"]
    assert [m["index"] for m in sim.sent(user_id="a")] == [0, 2]
    assert [m["user_id"] for m in sim.sent(since=1)] == ["b", "a"]
    config = sim.get("/__fake/config")
    assert "app_secret" not in config and "bot_token" not in config
    sim.post("/__fake/reset")
    assert sim.sent() == [] and sim.stats()["refresh_calls"] == 0
    assert sim.get("/__fake/tokens")["refresh_token"] == sim.config.initial_refresh_token


def test_simulator_command_is_a_click_command():
    assert simulator_command.name == "zalo-simulator"
    options = {p.name: p for p in simulator_command.params}
    assert options["port"].default == 8100
    assert "webhook_url" in options


def test_echo_receipts_follow_a_send_when_enabled(receiver):
    import time

    config = SimulatorConfig(webhook_url=receiver.url, echo_events=True, echo_delay=0.01,
                             id_epoch=0)
    with SimulatorServer(config) as server, requests.Session() as http:
        http.post(server.url + "/__fake/users", json={"user_id": "u1", "last_interaction": "now"},
                  timeout=10)
        pair = http.post(server.url + "/v4/oa/access_token", timeout=10,
                         data={"app_id": "sim-app", "grant_type": "refresh_token",
                               "refresh_token": "sim-refresh-0"},
                         headers={"secret_key": "sim-app-secret"}).json()
        sent = http.post(server.url + "/v3.0/oa/message/cs", timeout=10,
                         headers={"access_token": pair["access_token"]},
                         json={"recipient": {"user_id": "u1"}, "message": {"text": "Chào"}})
        message_id = sent.json()["data"]["message_id"]
        deadline = time.monotonic() + 5
        while len(receiver.requests) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    events = [json.loads(body) for _, body in receiver.requests]
    assert [e["event_name"] for e in events] == ["oa_send_text", "user_received_message",
                                                 "user_seen_message"]
    assert events[0]["sender"]["id"] == "sim-oa" and events[0]["message"]["msg_id"] == message_id
    assert events[2]["message"]["msg_ids"] == [message_id]
    assert all(verify_signature(body, h["x-zevent-signature"], "sim-app", "sim-oa-secret")
               for h, body in receiver.requests)


def test_deliver_follow_and_duplicate(sim, receiver):
    sim.post("/__fake/config", {"webhook_url": receiver.url})
    follow = sim.post("/__fake/deliver", {"user_id": "u2", "event_name": "follow"})
    assert follow["status"] == 200 and follow["msg_id"] is None
    dup = sim.post("/__fake/deliver", {"user_id": "u2", "text": "x", "duplicate": True})
    assert dup["statuses"] == [200, 200]
    assert receiver.requests[1][1] == receiver.requests[2][1]
    assert json.loads(receiver.requests[0][1])["follower"] == {"id": "u2"}


def test_ids_stay_unique_across_resets(sim, receiver):
    """Apps keep dedup marks longer than a test: a reset must never reissue a msg_id."""
    sim.post("/__fake/config", {"webhook_url": receiver.url})
    first = sim.post("/__fake/deliver", {"user_id": "u1", "text": "x"})["msg_id"]
    for _ in range(257):  # more than any small generation counter could hold
        sim.post("/__fake/reset")
    sim.post("/__fake/config", {"webhook_url": receiver.url})
    second = sim.post("/__fake/deliver", {"user_id": "u1", "text": "x"})["msg_id"]
    assert first != second and int(second, 16) > int(first, 16)
    assert len(first) == len(second) == 20
