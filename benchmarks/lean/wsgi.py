"""gunicorn lean.wsgi (with --pythonpath benchmarks): the lean twin's application. Its settings
are set outright: benchmarks/city.py's start_server names the bare ceiling's for any project
under benchmarks/. The captured statements are read as each worker starts, not on its first
request."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "lean.settings"
application = get_wsgi_application()

from lean.views import captured  # noqa: E402 (needs the settings above)

captured()
