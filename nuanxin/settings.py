"""nuanxin settings: one file, driven by environment variables.

Every setting has a default that works on a fresh machine (SQLite, local memory cache,
tasks in the database). Production sets NUANXIN_PRODUCTION=1, DATABASE_URL, SECRET_KEY,
NUANXIN_FIELD_KEY and friends; a secret may come from the variable or from a file named by
`<NAME>_FILE`. Production mode refuses to start with development secrets or DEBUG on.
"""

import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def envbool(name: str, default: str) -> bool:
    """NAME as a yes or no (1/true/yes/on, 0/false/no/off; empty means the default). Anything
    else stops the start, naming the variable: a typo must not silently mean "off"."""
    value = (os.environ.get(name, "").strip() or default).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1, true, yes, on, 0, false, no, off (not {value!r}).")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envsecret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", "0")
# Production mode (docs/deploy.md): secure cookies, HSTS, HTTPS redirect behind nginx, and a
# refusal to start with anything that is only fit for a developer's machine.
NUANXIN_PRODUCTION = envbool("NUANXIN_PRODUCTION", "0")
# Demo mode loads and advertises the demo accounts; off by default outside `make run`.
NUANXIN_DEMO = envbool("NUANXIN_DEMO", "0")
_DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-in-production-0123456789"
SECRET_KEY = envsecret("SECRET_KEY", _DEVELOPMENT_SECRET_KEY)
# 32-byte AES-GCM key for personal data, base64 (urlsafe). Empty: derived from SECRET_KEY
# (development only; production mode refuses to start without it).
NUANXIN_FIELD_KEY = envsecret("NUANXIN_FIELD_KEY")
# 32-byte key, urlsafe base64, for the audit log's MACs and checkpoints (docs/audit.md), kept
# outside the database like the field key. Empty: derived from SECRET_KEY (development only;
# production mode refuses to start without it). After a rotation the retired keys stay in
# NUANXIN_AUDIT_OLD_KEYS (comma-separated), so the entries signed with them still verify.
NUANXIN_AUDIT_KEY = envsecret("NUANXIN_AUDIT_KEY")
NUANXIN_AUDIT_OLD_KEYS = envsecret("NUANXIN_AUDIT_OLD_KEYS")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]


def _refuse_development_settings() -> None:
    """Production mode stops here rather than run with a key everyone can read in the source,
    with personal data encrypted under a key derived from it, or with debug pages that show
    code and settings. The messages never repeat a secret."""
    if DEBUG:
        raise ImproperlyConfigured("NUANXIN_PRODUCTION=1 refuses DEBUG=1: debug pages show code and settings.")
    if not SECRET_KEY or SECRET_KEY == _DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "NUANXIN_PRODUCTION=1 needs SECRET_KEY (or SECRET_KEY_FILE): the development key is public."
        )
    if not NUANXIN_FIELD_KEY:
        raise ImproperlyConfigured(
            "NUANXIN_PRODUCTION=1 needs NUANXIN_FIELD_KEY (or NUANXIN_FIELD_KEY_FILE): 32 random bytes, urlsafe "
            "base64, kept apart from SECRET_KEY; personal data is encrypted with it."
        )
    import base64
    import binascii

    try:
        size = len(base64.urlsafe_b64decode(NUANXIN_FIELD_KEY))
    except (binascii.Error, ValueError):
        size = -1
    if size != 32:
        raise ImproperlyConfigured("NUANXIN_FIELD_KEY must be 32 bytes, urlsafe base64.")
    if not NUANXIN_AUDIT_KEY:
        raise ImproperlyConfigured(
            "NUANXIN_PRODUCTION=1 needs NUANXIN_AUDIT_KEY (or NUANXIN_AUDIT_KEY_FILE): 32 random bytes, urlsafe "
            "base64, kept outside the database; the audit log is signed with it."
        )
    try:
        size = len(base64.urlsafe_b64decode(NUANXIN_AUDIT_KEY))
    except (binascii.Error, ValueError):
        size = -1
    if size != 32:
        raise ImproperlyConfigured("NUANXIN_AUDIT_KEY must be 32 bytes, urlsafe base64.")
    if NUANXIN_AUDIT_KEY == NUANXIN_FIELD_KEY:
        raise ImproperlyConfigured("NUANXIN_AUDIT_KEY must differ from NUANXIN_FIELD_KEY.")


if NUANXIN_PRODUCTION:
    _refuse_development_settings()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # Django's staticfiles, leaving out what the npm packages ship and no page loads.
    "nuanxin.core.staticfiles.StaticFilesConfig",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    # Two-step verification (docs/accounts-mfa.md): TOTP apps and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",
    "nuanxin.core",
    "nuanxin.territory",
    "nuanxin.accounts",
    "nuanxin.people",
    "nuanxin.cases",
    "nuanxin.open311",
    "nuanxin.inspections",
    "nuanxin.volunteers",
    "nuanxin.ledgers",
    "nuanxin.insights",
    "nuanxin.stations",
    "nuanxin.party",
    "nuanxin.voice",
    "nuanxin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "nuanxin.core.middleware.RequestContextMiddleware",
    "nuanxin.core.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "nuanxin.accounts.middleware.StaffSessionMiddleware",
    "nuanxin.accounts.middleware.ReadOnlyAccountMiddleware",  # the auditor writes nothing (docs/scope.md)
    "nuanxin.accounts.mfa.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view that raised core.ratelimit.RateLimited answers the 429 page (docs/rate-limits.md).
    "nuanxin.core.ratelimit.RateLimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nuanxin.urls"
WSGI_APPLICATION = "nuanxin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "nuanxin" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nuanxin.accounts.context_processors.viewer",
                "nuanxin.core.context_processors.notifications",
            ],
        },
    }
]


def _databases() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        import dj_database_url

        db = dj_database_url.parse(url, conn_max_age=envint("DB_CONN_MAX_AGE", "60"))
        return {"default": db}
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "nuanxin.sqlite3")),
            "OPTIONS": {
                # WAL for concurrent readers; IMMEDIATE so writers queue instead of failing.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Volunteers who joined from the phone sign in with their mobile number.
    "nuanxin.volunteers.auth.PhoneBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout (reference AUTH-3, docs/accounts.md): 5 failures lock the account (from every
# address), 20 failures from one address lock the address (over every account), for 15 minutes.
# What was typed is normalised first (a phone number in any spelling is one account).
# A two-new organisation may form its own party branch with this many full members (docs/party.md).
NUANXIN_PARTY_BRANCH_MIN_FULL = envint("NUANXIN_PARTY_BRANCH_MIN_FULL", "3")
# How many of each organisational-life meeting a branch holds a quarter (三会一课: the members'
# meeting each quarter, the committee and the group each month, a lecture each quarter; a theme
# party day each month); "kind=n,kind=n" replaces the defaults (docs/party.md).
NUANXIN_PARTY_CADENCE = os.environ.get("NUANXIN_PARTY_CADENCE", "members=1,committee=3,group=3,lecture=1,theme_day=3")
# A joint meeting's resolution still open this many days after its deadline is escalated to the
# community's party office (its owner is reminded the day after the deadline).
NUANXIN_PARTY_ESCALATE_AFTER_DAYS = envint("NUANXIN_PARTY_ESCALATE_AFTER_DAYS", "3")
# Days an opinion may wait for its outcome before it shows overdue (docs/voice.md).
NUANXIN_VOICE_ANSWER_DAYS = envint("NUANXIN_VOICE_ANSWER_DAYS", "7")
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
SIGNIN_ADDRESS_FAILURE_LIMIT = envint("SIGNIN_ADDRESS_FAILURE_LIMIT", "20")
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "nuanxin.accounts.signin.LockoutHandler"
AXES_USERNAME_CALLABLE = "nuanxin.accounts.signin.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "nuanxin.accounts.views.locked_out"
AXES_IPWARE_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0")
# Lockouts key on the same client address as the audit log (behind nginx, TRUSTED_PROXY_COUNT=1),
# not on nginx's own address, which would lock every user out together.
AXES_CLIENT_IP_CALLABLE = "nuanxin.core.middleware.client_ip"
AXES_VERBOSE = False

# Sessions: staff expire after 30 idle minutes and 12 hours in all (reference SESS-2).
SESSION_COOKIE_AGE = 14 * 24 * 3600
NUANXIN_STAFF_IDLE_SECONDS = envint("NUANXIN_STAFF_IDLE_SECONDS", str(30 * 60))
NUANXIN_STAFF_ABSOLUTE_SECONDS = envint("NUANXIN_STAFF_ABSOLUTE_SECONDS", str(12 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "0")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if NUANXIN_PRODUCTION:
    # nginx terminates TLS and says so in X-Forwarded-Proto (it must set, never pass on, that
    # header); Django then knows the request was HTTPS, redirects plain HTTP and sends HSTS.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # "preload" only lets the domain's owner submit it to the browsers' built-in HTTPS lists
    # (nothing is listed until someone does); `check --deploy` asks for it.
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
API_TOKEN_DAYS = envint("API_TOKEN_DAYS", "30")
# A token unused for this many days stops working (docs/accounts.md).
API_TOKEN_IDLE_DAYS = envint("API_TOKEN_IDLE_DAYS", "30")
# Two-step verification (docs/accounts-mfa.md): accounts that can reveal personal data or act
# on a community or above sign in with a TOTP app too. Leave it on: only the test suite and the
# benchmarks turn it off (NUANXIN_MFA_REQUIRED=0).
NUANXIN_MFA_REQUIRED = envbool("NUANXIN_MFA_REQUIRED", "1")
OTP_TOTP_ISSUER = "nuanxin"
# The Django admin never shows a TOTP secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# API pages: 100 rows by default, never more than 500 in one answer.
NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 500

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "nuanxin" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Collected files (NUANXIN_STATIC_MANIFEST, below) live apart from the empty folder whitenoise
# wants otherwise, so a run of `make run` never leaves old copies for the tests to serve.
STATIC_ROOT = BASE_DIR / "var" / ("collected-static" if envbool("NUANXIN_STATIC_MANIFEST", "0") else "static")
STATICFILES_DIRS = [
    BASE_DIR / "nuanxin" / "static",
    # Front-end packages come from npm at set-up (package.json); never committed.
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
# NUANXIN_STATIC_MANIFEST=1 (make run, production): `collectstatic` has written every file under a
# name holding its hash, gzip- and brotli-compressed, into STATIC_ROOT; pages link to those
# names and whitenoise serves them compressed and cacheable for a year (docs/deploy.md). Without
# it (tests, development) whitenoise serves the files from their folders as they are.
NUANXIN_STATIC_MANIFEST = envbool("NUANXIN_STATIC_MANIFEST", "0")
WHITENOISE_USE_FINDERS = not NUANXIN_STATIC_MANIFEST
if NUANXIN_STATIC_MANIFEST:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "nuanxin.core.staticfiles.CompressedManifestStorage"},
    }
# Uploaded files (photos, attachments); back them up with the database (`make backup`).
MEDIA_ROOT = Path(os.environ.get("NUANXIN_MEDIA_ROOT", "") or BASE_DIR / "var" / "media")


def _redis_parts(url: str) -> tuple[str, str, str]:
    """REDIS_URL split into (the URL without credentials, user name, password).

    The password is kept out of every URL-valued setting and held under keys named PASSWORD or
    password, which Django's error reports and settings listings mask; a URL would be shown."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or (parts.password is None and parts.username is None):
        return url, "", ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, unquote(parts.username or ""), unquote(parts.password or "")


# "ratelimit" holds the rate-limit counters, the join codes (core/ratelimit.py,
# docs/rate-limits.md) and the accounts' stamps (accounts/token_memory.py): it must be shared
# by every worker process and server, so it is the database (table nuanxin_ratelimit, made by
# core migration 0007), never local memory.
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {
        "BACKEND": "nuanxin.core.ratelimit.CounterDatabaseCache",
        "LOCATION": "nuanxin_ratelimit",
        # Django culls a third of the entries past MAX_ENTRIES (300 by default), live counters
        # included; expired ones go first. One community stays far below this.
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    },
}
# REDIS_URL (redis://[:password@]host:port/db): the cache and the task queue. The setting keeps
# the address only, never the password.
REDIS_URL, _redis_user, _redis_password = _redis_parts(os.environ.get("REDIS_URL", ""))
if REDIS_URL:
    _redis_options = {k: v for k, v in (("username", _redis_user), ("password", _redis_password)) if v}
    CACHES = {
        "default": {
            "BACKEND": "nuanxin.core.caches.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": _redis_options,
        },
        # The same Redis, its own key prefix.
        "ratelimit": {
            "BACKEND": "nuanxin.core.caches.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": _redis_options,
            "KEY_PREFIX": "nuanxin-ratelimit",
        },
    }


def envrate(name: str, default: str) -> tuple[int, int]:
    """A rate limit "requests/seconds" (e.g. "5/3600") from the environment."""
    count, _, seconds = os.environ.get(name, default).partition("/")
    return int(count), int(seconds or 3600)


# Rate limits (core/ratelimit.py, docs/rate-limits.md): (requests, seconds), each counted in
# clock-aligned windows per address, account or key. Refusals are 429 with Retry-After.
RATE_LIMIT_SIGN_IN = envrate("RATE_LIMIT_SIGN_IN", "60/600")  # per address, page and API token
RATE_LIMIT_JOIN = envrate("RATE_LIMIT_JOIN", "5/3600")  # accounts made by joining, per address
RATE_LIMIT_JOIN_ATTEMPT = envrate("RATE_LIMIT_JOIN_ATTEMPT", "30/3600")  # join form posts, per address
RATE_LIMIT_PHONE_CODE = envrate("RATE_LIMIT_PHONE_CODE", "3/3600")  # join codes sent, per phone
RATE_LIMIT_REPORT = envrate("RATE_LIMIT_REPORT", "40/3600")  # case reports, per account
RATE_LIMIT_REPORT_ANONYMOUS = envrate("RATE_LIMIT_REPORT_ANONYMOUS", "30/3600")  # without an account, per address
RATE_LIMIT_REPORT_DEVICE = envrate("RATE_LIMIT_REPORT_DEVICE", "10/3600")  # without an account, per browser
RATE_LIMIT_OPEN311_POST = envrate("RATE_LIMIT_OPEN311_POST", "30/60")  # Open311 POSTs, per api_key
RATE_LIMIT_PEOPLE_SEARCH = envrate("RATE_LIMIT_PEOPLE_SEARCH", "30/600")  # searches by phone or ID number, per account
RATE_LIMIT_REVEAL = envrate("RATE_LIMIT_REVEAL", "60/3600")  # reveals of personal data, per account
RATE_LIMIT_EXPORT = envrate("RATE_LIMIT_EXPORT", "30/3600")  # spreadsheet exports, per account
RATE_LIMIT_CASES_SIMILAR = envrate("RATE_LIMIT_CASES_SIMILAR", "120/3600")  # similar-case queries, per account
RATE_LIMIT_CASES_FOLLOW = envrate("RATE_LIMIT_CASES_FOLLOW", "20/3600")  # follows, per account

# Background tasks: in Redis through RQ when REDIS_URL is set (workers: `manage.py rqworker
# default`, as many as needed), else in the database (`manage.py db_worker`). TASKS_BACKEND
# overrides either.
_RQ_BACKEND = "django_tasks_rq.RQBackend"
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", _RQ_BACKEND if REDIS_URL else "django_tasks_db.backend.DatabaseBackend"
        ),
    }
}
if TASKS["default"]["BACKEND"] in (_RQ_BACKEND, "django_tasks_rq.backend.RQBackend"):
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
_redis_split = urlsplit(REDIS_URL)
if _redis_split.scheme in ("redis", "rediss"):
    _redis_db = (_redis_split.path or "/0").strip("/") or "0"
    # Address and password as separate keys so the password stays masked (see _redis_parts).
    RQ_QUEUES = {
        "default": {
            "HOST": _redis_split.hostname or "127.0.0.1",
            "PORT": _redis_split.port or 6379,
            "DB": int(_redis_db),
            "USERNAME": _redis_user or None,
            "PASSWORD": _redis_password or None,
            "SSL": _redis_split.scheme == "rediss",
            # RQ kills a job after this; its own default (180 s) is too short for the daily jobs
            # (due visits, reminders) over a whole city.
            "DEFAULT_TIMEOUT": 1800,
        }
    }
elif REDIS_URL:  # unix:// and the like: as given
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 1800}}
if REDIS_URL:
    # The RQ workers must run jobs through django-tasks' job class (it calls the task).
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}

# Periodic jobs (`manage.py run_periodic`, started by `make run`): task path and interval in seconds.
NUANXIN_PERIODIC_JOBS = [
    ("nuanxin.cases.tasks.escalate_overdue", envint("NUANXIN_ESCALATE_EVERY", "300")),
    ("nuanxin.core.tasks.purge_idempotency_records", 24 * 3600),
    ("nuanxin.core.tasks.retry_notifications", envint("NUANXIN_NOTIFY_RETRY_EVERY", "300")),
    ("nuanxin.inspections.tasks.generate_due_visits", 24 * 3600),
    ("nuanxin.volunteers.tasks.send_reminders", 3600),
    ("nuanxin.party.tasks.remind_and_escalate", 3600),
    ("nuanxin.core.tasks.checkpoint_audit_chain", envint("NUANXIN_AUDIT_CHECKPOINT_EVERY", "3600")),
]
# The audit chain's checkpoints (docs/audit.md): an append-only file the database cannot
# rewrite, written every NUANXIN_AUDIT_CHECKPOINT_EVERY seconds and at every backup and restore.
NUANXIN_AUDIT_CHECKPOINT_FILE = os.environ.get("NUANXIN_AUDIT_CHECKPOINT_FILE", "") or str(
    BASE_DIR / "var" / "audit-checkpoints.log"
)

# Volunteers (docs/service-hours.md): cumulative approved hours for stars 1 to 5, unless a
# community sets its own (StarLevels).
NUANXIN_STAR_HOURS = [100, 300, 600, 1000, 1500]

# Stations (docs/stations.md): what route links tell the map providers we are (Tencent wants a
# developer key here in production).
NUANXIN_MAP_REFERER = os.environ.get("NUANXIN_MAP_REFERER", "nuanxin")

# Inspections (docs/inspections.md): how far from the target a check-in may be before the
# visit is flagged, the days a rectification order gives by severity, and how many clean visits
# in a row bring a frequency raised by a hazard back down a step.
NUANXIN_VISIT_CHECKIN_RADIUS_M = envint("NUANXIN_VISIT_CHECKIN_RADIUS_M", "200")
NUANXIN_RECTIFICATION_DAYS = {
    "major": envint("NUANXIN_RECTIFICATION_DAYS_MAJOR", "3"),
    "minor": envint("NUANXIN_RECTIFICATION_DAYS_MINOR", "7"),
}
NUANXIN_CLEAN_VISITS_TO_LOWER = envint("NUANXIN_CLEAN_VISITS_TO_LOWER", "2")
# Visit frequency by tier per category, over the table for every category (high weekly, medium
# monthly, low quarterly): {"key_person": {"low": "monthly"}, ...}.
NUANXIN_VISIT_FREQUENCIES: dict[str, dict[str, str]] = {}
# Checklist template code -> case class code (nuanxin/cases/catalogue.py) for an order the
# re-check finds unfixed; a template not named here, or a class not installed, gives "other".
NUANXIN_RECTIFICATION_CASE_CLASSES = {
    "fire-safety": "fire-hazard",
    "food-safety": "food-safety",
    "elderly-care": "other",
    "key-person": "other",
    "generic": "other",
}

# Disputes (docs/disputes.md): the largest signed agreement accepted.
NUANXIN_AGREEMENT_MAX_BYTES = envint("NUANXIN_AGREEMENT_MAX_BYTES", str(10 * 1024 * 1024))

# Open311 (docs/open311.md): reads without an api_key (off: every read needs one), and the
# classes whose cases are never read without a key and whose words are withheld even with one
# (they describe a vulnerable person or a private quarrel at a door).
OPEN311_PUBLIC_READS = envbool("OPEN311_PUBLIC_READS", "1")
OPEN311_PRIVATE_SERVICES = ("vulnerable-person", "neighbour-dispute")

# Photos (core.photos): the largest upload accepted and the most pixels decoded.
NUANXIN_PHOTO_MAX_BYTES = envint("NUANXIN_PHOTO_MAX_BYTES", str(10 * 1024 * 1024))
NUANXIN_PHOTO_MAX_PIXELS = envint("NUANXIN_PHOTO_MAX_PIXELS", str(40_000_000))
# The largest request body, uploads included (core.security): a longer declared
# Content-Length is refused with a 413 before a byte is read. 30 MB holds a 20 MB
# spreadsheet or several phone photos (docs/photos-and-idempotency.md).
NUANXIN_REQUEST_MAX_BYTES = envint("NUANXIN_REQUEST_MAX_BYTES", str(30 * 1024 * 1024))
# Seconds an Idempotency-Key claim committed by an older release, whose request never
# finished, answers 409 before a retry takes it over (core.idempotency; the gunicorn timeout).
NUANXIN_IDEMPOTENCY_LEASE_SECONDS = envint("NUANXIN_IDEMPOTENCY_LEASE_SECONDS", "300")

# Working periods of a working day, local time, for time limits (core.workcalendar):
# "08:30-12:00,14:00-17:30".
NUANXIN_WORK_HOURS = [
    tuple(period.strip().split("-", 1))
    for period in os.environ.get("NUANXIN_WORK_HOURS", "08:30-12:00,14:00-17:30").split(",")
    if period.strip()
]

# Map tiles (core/maps.py, docs/territory.md "Map tiles"). Empty: no tile server, the maps
# draw the community's own basemap. "tianditu" (天地图, with NUANXIN_TIANDITU_KEY), "amap",
# "tencent" (GCJ-02 tiles: points are drawn with the offset) or "osm"; or a tile URL template
# of your own in NUANXIN_TILE_URL, with NUANXIN_TILE_CRS "wgs84" or "gcj02" and its attribution.
NUANXIN_MAP_TILES = os.environ.get("NUANXIN_MAP_TILES", "")
NUANXIN_TIANDITU_KEY = os.environ.get("NUANXIN_TIANDITU_KEY", "")
NUANXIN_TILE_URL = os.environ.get("NUANXIN_TILE_URL", "")
NUANXIN_TILE_CRS = os.environ.get("NUANXIN_TILE_CRS", "wgs84")
NUANXIN_TILE_ATTRIBUTION = os.environ.get("NUANXIN_TILE_ATTRIBUTION", "")

# Notifications (docs/notifications.md). Every notification is kept in the app; these are the
# external channels that also carry it. A listed channel that is not set up is skipped: e-mail
# needs EMAIL_HOST, the webhook needs NUANXIN_WEBHOOK_URL (signed with NUANXIN_WEBHOOK_SECRET).
NUANXIN_NOTIFY_CHANNELS = os.environ.get("NUANXIN_NOTIFY_CHANNELS", "email,webhook")
NUANXIN_NOTIFY_MAX_ATTEMPTS = envint("NUANXIN_NOTIFY_MAX_ATTEMPTS", "5")
NUANXIN_WEBHOOK_URL = os.environ.get("NUANXIN_WEBHOOK_URL", "")
NUANXIN_WEBHOOK_SECRET = envsecret("NUANXIN_WEBHOOK_SECRET")
NUANXIN_WEBHOOK_TIMEOUT = envint("NUANXIN_WEBHOOK_TIMEOUT", "5")
# Text messages to a phone (the code that proves a phone when joining): a signed JSON POST to
# this relay, which hands them to the operator's SMS provider. Empty: none are sent, and joining
# by phone is closed, except in demo mode, where the development sink shows the text instead.
NUANXIN_SMS_WEBHOOK_URL = os.environ.get("NUANXIN_SMS_WEBHOOK_URL", "")
# A join code's life in seconds, and the wrong tries before it is gone.
NUANXIN_PHONE_CODE_SECONDS = envint("NUANXIN_PHONE_CODE_SECONDS", "600")
NUANXIN_PHONE_CODE_TRIES = envint("NUANXIN_PHONE_CODE_TRIES", "5")
# Where links in e-mails and webhooks point, e.g. "https://nuanxin.example.org" (empty: paths only).
NUANXIN_SITE_URL = os.environ.get("NUANXIN_SITE_URL", "")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "0")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "10")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "nuanxin@localhost")


class RedactSecrets(logging.Filter):
    """Masks the values of the secrets (SECRET_KEY, NUANXIN_FIELD_KEY, the database, Redis, mail
    and webhook passwords) wherever they would appear in a log line or its traceback: an error
    message that quotes a connection string must not put a password into the logs."""

    def __init__(self) -> None:
        super().__init__()
        from django.conf import settings

        found = [
            settings.SECRET_KEY,
            settings.NUANXIN_FIELD_KEY,
            settings.NUANXIN_AUDIT_KEY,
            *settings.NUANXIN_AUDIT_OLD_KEYS.split(","),
            settings.NUANXIN_WEBHOOK_SECRET,
            settings.EMAIL_HOST_PASSWORD,
            _redis_password,
            *(str(db.get("PASSWORD") or "") for db in settings.DATABASES.values()),
        ]
        # Longest first, so a secret that contains another is masked whole; very short values
        # would mask ordinary words and are not secrets worth the name.
        self.secrets = sorted({value for value in found if len(value) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = self.redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": RedactSecrets}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Each audit checkpoint goes to the log too (ship it to a remote syslog: docs/audit.md).
    "loggers": {"nuanxin.audit.checkpoint": {"level": "INFO"}},
}
