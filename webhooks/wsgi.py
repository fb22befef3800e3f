"""WSGI entry point for gunicorn: `gunicorn webhooks.wsgi:app` (settings from the environment)."""

from webhooks.app import create_app

app = create_app()
