"""The web process: webhooks, health, the demo chat page and the command line.

``python app.py`` serves on PORT; in production ``gunicorn 'app:create_app()'``.
"""

from __future__ import annotations

from flask import Flask

import handlers
from bot.config import Settings
from bot.devtools import cli
from bot.logs import setup_logging
from bot.web import downloads, health, pages, webhook
from console import init_console


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    setup_logging(settings.log_level)
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.config["SECRET_KEY"] = settings.secret_key

    handlers.load_all()  # what the worker jobs run in this process (tests, flask commands) can route
    app.register_blueprint(webhook.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(downloads.bp)
    init_console(app, settings)  # /console/: the committee's pages
    cli.register(app)
    return app


if __name__ == "__main__":
    settings = Settings.from_env()
    create_app(settings).run(host="127.0.0.1", port=settings.port, threaded=True)
