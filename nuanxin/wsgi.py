"""The WSGI application gunicorn serves: Django's, then what every server process would
otherwise load in its first requests (jieba's dictionary for the duplicate check of a report:
with ten workers, ten reports of 0.7 s each after every start)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nuanxin.settings")
application = get_wsgi_application()

from nuanxin.cases.queries import load_segmenter  # noqa: E402 (needs the apps loaded above)

load_segmenter()
