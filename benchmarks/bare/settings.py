"""The ceiling for the city benchmark: the same Django and the same gunicorn as nuanxin, with
nothing else. No apps, no database, no templates, and only CommonMiddleware, so what a
request costs here is what Django and gunicorn cost on their own; every nuanxin endpoint is
reported as a fraction of it."""

DEBUG = False
SECRET_KEY = "bench-ceiling-not-secret"  # noqa: S105 (nothing here is signed or stored)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bare.urls"
WSGI_APPLICATION = "bare.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES: dict = {}
USE_TZ = True
USE_I18N = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
