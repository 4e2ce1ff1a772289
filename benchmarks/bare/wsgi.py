"""gunicorn bare.wsgi (with --pythonpath benchmarks): the ceiling's application."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bare.settings")
application = get_wsgi_application()
