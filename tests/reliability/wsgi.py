"""The WSGI application the load test serves with gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.reliability.server_settings")

application = get_wsgi_application()
