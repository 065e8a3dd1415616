"""current_settings(): built once per environment, yet a changed variable is seen at once."""

from __future__ import annotations

from bot.config import Settings, current_settings


def test_current_settings_follow_the_environment(monkeypatch):
    monkeypatch.setenv("REPLY_LIMIT_PER_MINUTE", "7")
    first = current_settings()
    assert first.reply_limit_per_minute == 7
    assert current_settings() is first  # cached while nothing changes
    assert first == Settings.from_env()
    monkeypatch.setenv("REPLY_LIMIT_PER_MINUTE", "9")
    assert current_settings().reply_limit_per_minute == 9
    monkeypatch.delenv("REPLY_LIMIT_PER_MINUTE")
    assert current_settings() == Settings.from_env()
