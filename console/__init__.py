"""The committee's web console under ``/console/``: server-rendered pages, plain forms, no JavaScript.

A person opens it with the personal link the bot sends on ``đăng nhập`` (``bot/web/login_links.py``); Flask-Login
keeps the session, Flask-WTF's ``CSRFProtect`` checks every console POST (and only those: the
webhooks are signed by Zalo, not by a form), Flask-Limiter counts login-link requests in our
Redis. ``access.py`` decides what each role sees; ``views.py`` holds the routes.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from bot.render import day, number, vnd
from bot.storage.redis_server import resolve_redis_url

SESSION_LIFETIME = timedelta(hours=8)  # a working day; then a new link from the chat
LOGIN_LIMIT = "10 per minute;30 per hour"  # GET /console/login/<token>, per client address

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(get_remote_address, key_prefix="chb:console:limit")


def limiter_storage(url: str) -> str:
    """Our Redis URL as the ``limits`` library names it (``unix://`` → ``redis+unix://``)."""
    return "redis+" + url if url.startswith("unix://") else url


def init_console(app: Flask, settings) -> None:
    """Register the console blueprint and the extensions it needs on ``app``."""
    from console import chapters, committee, review, views  # noqa: F401 - their routes join views.bp

    app.config.update(
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in the console blueprint only (views.check_csrf)
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        RATELIMIT_STORAGE_URI=limiter_storage(resolve_redis_url(settings)),
        RATELIMIT_HEADERS_ENABLED=False,
    )
    login_manager.login_view = "console.login_needed"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.jinja_env.filters.update(number=number, vnd=vnd, day=day)
    app.register_blueprint(views.bp)
