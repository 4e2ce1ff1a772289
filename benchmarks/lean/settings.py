"""The same-work lean twin of nuanxin's key endpoints (benchmarks/serving.py): the same Django,
the same database and connection settings as nuanxin, nothing else. No apps, only
CommonMiddleware, DEBUG off; the views in lean/views.py do an endpoint's work by hand."""

import os
from pathlib import Path

import dj_database_url

DEBUG = False
# The same keys as nuanxin's: the lean views decrypt what nuanxin decrypts (nuanxin.core.crypto).
SECRET_KEY = os.environ["SECRET_KEY"]
NUANXIN_FIELD_KEY = os.environ.get("NUANXIN_FIELD_KEY", "")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "lean.urls"
WSGI_APPLICATION = "lean.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
# As nuanxin's settings read them (nuanxin/settings.py, _databases).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
}
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
# nuanxin's language and catalogue: the period figures' summary is a translated sentence.
USE_I18N = True
LANGUAGE_CODE = "zh-hans"
LOCALE_PATHS = [Path(__file__).resolve().parents[2] / "nuanxin" / "locale"]
# Read as nuanxin reads them: the token's idle limit, the visit's check-in radius, the name the
# map links give as their referrer.
API_TOKEN_IDLE_DAYS = int(os.environ.get("API_TOKEN_IDLE_DAYS", "30"))
NUANXIN_VISIT_CHECKIN_RADIUS_M = int(os.environ.get("NUANXIN_VISIT_CHECKIN_RADIUS_M", "200"))
NUANXIN_MAP_REFERER = os.environ.get("NUANXIN_MAP_REFERER", "nuanxin")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
