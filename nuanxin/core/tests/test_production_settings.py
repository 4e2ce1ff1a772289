"""Production mode (NUANXIN_PRODUCTION=1) and REDIS_URL, each loaded in a fresh process, since
settings are read once per process from the environment."""

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from django.conf import settings as django_settings

BASE_DIR = Path(django_settings.BASE_DIR)

# Throwaway values, distinctive enough to be found in any output that leaks them.
SECRET = "prod-test-secret-0f3a9c1e7b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d"
FIELD_KEY = base64.urlsafe_b64encode(b"prod-test-field-key-32-bytes-ok!").decode()
AUDIT_KEY = base64.urlsafe_b64encode(b"prod-test-audit-key-32-bytes-ok!").decode()
DB_PASSWORD = "db-pass-Zx81qv"
REDIS_PASSWORD = "redis-pass-Kq27wm"
SECRETS = (SECRET, FIELD_KEY, AUDIT_KEY, DB_PASSWORD, REDIS_PASSWORD)

PRODUCTION = {
    "NUANXIN_PRODUCTION": "1",
    "SECRET_KEY": SECRET,
    "NUANXIN_FIELD_KEY": FIELD_KEY,
    "NUANXIN_AUDIT_KEY": AUDIT_KEY,
    "ALLOWED_HOSTS": "example.org",
}

_OURS = ("NUANXIN_", "SECURE_", "SECRET_KEY", "REDIS_URL", "TASKS_BACKEND", "DEBUG", "DATABASE_URL", "DB_")
_OURS += ("ALLOWED_HOSTS", "EMAIL_", "LOG_LEVEL", "DJANGO_SETTINGS_MODULE", "SQLITE_PATH")
# Set by the browser tests' conftest in a shared xdist worker; `check --deploy` refuses it.
_OURS += ("DJANGO_ALLOW_ASYNC_UNSAFE",)

SETTINGS_AS_JSON = """
import json
import os
from pathlib import Path

import django

django.setup()
from django.conf import settings as s
from django_tasks import task_backends


def same_as_file(value, variable):
    path = os.environ.get(variable)
    return value == Path(path).read_text().strip() if path else None


print(json.dumps({
    "DEBUG": s.DEBUG,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
    "DB_ENGINE": s.DATABASES["default"]["ENGINE"],
    "CACHE": s.CACHES["default"]["BACKEND"],
    "TASKS": s.TASKS["default"]["BACKEND"],
    "TASK_BACKEND_CLASS": type(task_backends["default"]).__name__,
    "django_rq": "django_rq" in s.INSTALLED_APPS,
    "MEDIA_ROOT": str(s.MEDIA_ROOT),
    "secret_is_the_file": same_as_file(s.SECRET_KEY, "EXPECT_SECRET_FROM"),
    "field_key_is_the_file": same_as_file(s.NUANXIN_FIELD_KEY, "EXPECT_FIELD_KEY_FROM"),
}))
"""


def run(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Python in a fresh process with only this environment of ours (nothing inherited that
    settings.py reads), from the project directory."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    command = [sys.executable, *args] if args else [sys.executable, "-c", textwrap.dedent(code)]
    return subprocess.run(
        command,
        env={**base, "DJANGO_SETTINGS_MODULE": "nuanxin.settings", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded(env: dict[str, str]) -> dict:
    done = run(SETTINGS_AS_JSON, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def refused(env: dict[str, str]) -> str:
    done = run(SETTINGS_AS_JSON, env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    return done.stderr


def test_without_environment_the_development_defaults_stay():
    got = loaded({})
    assert got["DEBUG"] is False
    assert got["DB_ENGINE"] == "django.db.backends.sqlite3"
    assert got["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert got["TASKS"] == "django_tasks_db.backend.DatabaseBackend"
    assert got["django_rq"] is False
    assert (got["SESSION_COOKIE_SECURE"], got["CSRF_COOKIE_SECURE"]) == (False, False)
    assert (got["SECURE_HSTS_SECONDS"], got["SECURE_SSL_REDIRECT"], got["SECURE_PROXY_SSL_HEADER"]) == (0, False, None)
    assert got["MEDIA_ROOT"] == str(BASE_DIR / "var" / "media")


def test_production_mode_turns_on_https_only_settings():
    got = loaded({**PRODUCTION, "NUANXIN_MEDIA_ROOT": "/srv/nuanxin/media"})
    assert got["DEBUG"] is False
    assert got["SESSION_COOKIE_SECURE"] is True
    assert got["CSRF_COOKIE_SECURE"] is True
    assert got["SECURE_HSTS_SECONDS"] == 31536000
    assert got["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert got["SECURE_SSL_REDIRECT"] is True
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["MEDIA_ROOT"] == "/srv/nuanxin/media"


def test_production_mode_lets_the_redirect_go_and_hsts_be_shortened():
    got = loaded({**PRODUCTION, "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "600", "SECURE_COOKIES": "0"})
    assert (got["SECURE_SSL_REDIRECT"], got["SECURE_HSTS_SECONDS"]) == (False, 600)
    # Cookies stay secure whatever SECURE_COOKIES says.
    assert (got["SESSION_COOKIE_SECURE"], got["CSRF_COOKIE_SECURE"]) == (True, True)


def test_a_yes_or_no_setting_takes_only_yes_or_no():
    # A typo must stop the start, not silently mean "off" (here: production mode off).
    assert "NUANXIN_PRODUCTION" in refused({**PRODUCTION, "NUANXIN_PRODUCTION": "ture"})
    assert "DEBUG" in refused({"DEBUG": "enabled"})
    assert (
        loaded({**PRODUCTION, "NUANXIN_PRODUCTION": " Yes ", "SECURE_SSL_REDIRECT": "off"})["SECURE_SSL_REDIRECT"]
        is False
    )
    assert loaded({"DEBUG": ""})["DEBUG"] is False  # empty: the default


def test_production_mode_refuses_the_development_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    assert "SECRET_KEY" in refused(env)
    assert "SECRET_KEY" in refused({**env, "SECRET_KEY": "insecure-development-key-change-me-in-production-0123456789"})


def test_production_mode_refuses_an_empty_or_malformed_field_key():
    assert "NUANXIN_FIELD_KEY" in refused({**PRODUCTION, "NUANXIN_FIELD_KEY": ""})
    short = base64.urlsafe_b64encode(b"sixteen bytes!!!").decode()
    message = refused({**PRODUCTION, "NUANXIN_FIELD_KEY": short})
    assert "32 bytes" in message
    assert short not in message


def test_production_mode_refuses_a_missing_malformed_or_shared_audit_key():
    assert "NUANXIN_AUDIT_KEY" in refused({k: v for k, v in PRODUCTION.items() if k != "NUANXIN_AUDIT_KEY"})
    short = base64.urlsafe_b64encode(b"sixteen bytes!!!").decode()
    message = refused({**PRODUCTION, "NUANXIN_AUDIT_KEY": short})
    assert "NUANXIN_AUDIT_KEY must be 32 bytes" in message
    assert short not in message
    assert "must differ" in refused({**PRODUCTION, "NUANXIN_AUDIT_KEY": FIELD_KEY})


def test_production_mode_refuses_debug():
    assert "DEBUG" in refused({**PRODUCTION, "DEBUG": "1"})


def test_secrets_are_read_from_files(tmp_path):
    secret_file, key_file = tmp_path / "secret_key", tmp_path / "field_key"
    secret_file.write_text(SECRET + "\n")
    key_file.write_text(FIELD_KEY + "\n")
    env = {
        "NUANXIN_PRODUCTION": "1",
        "ALLOWED_HOSTS": "example.org",
        "SECRET_KEY_FILE": str(secret_file),
        "NUANXIN_FIELD_KEY_FILE": str(key_file),
        "NUANXIN_AUDIT_KEY": AUDIT_KEY,
        "EXPECT_SECRET_FROM": str(secret_file),
        "EXPECT_FIELD_KEY_FROM": str(key_file),
    }
    got = loaded(env)
    assert got["secret_is_the_file"] is True
    assert got["field_key_is_the_file"] is True


def test_redis_url_picks_the_redis_cache_and_rq_tasks():
    got = loaded({**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/5"})
    assert got["CACHE"] == "nuanxin.core.caches.RedisCache"
    assert got["TASKS"] == "django_tasks_rq.RQBackend"
    assert got["TASK_BACKEND_CLASS"] == "RQBackend"
    assert got["django_rq"] is True
    # TASKS_BACKEND still overrides.
    override = loaded({"REDIS_URL": "redis://127.0.0.1:6379/5", "TASKS_BACKEND": "django_tasks_db.DatabaseBackend"})
    assert override["TASK_BACKEND_CLASS"] == "DatabaseBackend"
    assert override["CACHE"] == "nuanxin.core.caches.RedisCache"


def test_the_redis_password_reaches_the_clients_but_no_url_valued_setting():
    code = """
    import json
    import django
    django.setup()
    import django_rq
    from django.conf import settings
    from django.core.cache import cache
    queue = django_rq.get_queue("default")
    pool = queue.connection.connection_pool.connection_kwargs
    cache_pool = cache._cache._pool_options
    print(json.dumps({
        "queue": [pool.get("host"), pool.get("port"), pool.get("db"), pool.get("password")],
        "cache_location": settings.CACHES["default"]["LOCATION"],
        "cache_password": cache_pool.get("password"),
        "REDIS_URL": settings.REDIS_URL,
        "job_class": queue.job_class.__module__ + "." + queue.job_class.__name__,
    }))
    """
    done = run(code, {**PRODUCTION, "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6380/7"})
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["queue"] == ["127.0.0.1", 6380, 7, REDIS_PASSWORD]
    assert got["cache_password"] == REDIS_PASSWORD
    assert got["cache_location"] == got["REDIS_URL"] == "redis://127.0.0.1:6380/7"
    assert got["job_class"] == "django_tasks_rq.backend.Job"


def _production_with_every_secret() -> dict[str, str]:
    return {
        **PRODUCTION,
        "DATABASE_URL": f"postgres://nuanxin:{DB_PASSWORD}@127.0.0.1:5432/nuanxin_never_connected",
        "REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0",
    }


def test_check_deploy_passes_and_prints_no_secret():
    done = run("", _production_with_every_secret(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr


# A view that fails with the database password in its message (as a careless library might),
# served through the whole middleware stack and logged by django.request as in production.
FAILING_REQUEST = """
import sys
import types
import django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path
from django.views.debug import ExceptionReporter
from django.test import RequestFactory

def boom(request):
    raise RuntimeError("could not reach postgres://nuanxin:%s@db" % settings.DATABASES["default"]["PASSWORD"])

urls = types.ModuleType("boom_urls")
urls.urlpatterns = [path("boom/", boom)]
sys.modules["boom_urls"] = urls
with override_settings(ROOT_URLCONF="boom_urls", ALLOWED_HOSTS=["example.org"]):
    response = Client(raise_request_exception=False).get("/boom/", secure=True, HTTP_HOST="example.org")
print("STATUS", response.status_code)
print("PAGE", response.content.decode())

# What Django would mail to ADMINS, or show with DEBUG on: the report with its settings dump.
try:
    boom(None)
except RuntimeError:
    info = sys.exc_info()
report = ExceptionReporter(RequestFactory().get("/boom/"), *info).get_traceback_text()
print("REPORT", report)
"""


def test_an_error_page_its_log_record_and_its_report_show_no_secret():
    done = run(FAILING_REQUEST, _production_with_every_secret())
    assert done.returncode == 0, done.stderr
    assert "STATUS 500" in done.stdout
    # The log record is there, with the error, its traceback, and the password masked.
    assert "Internal Server Error: /boom/" in done.stderr
    assert "RuntimeError: could not reach postgres://nuanxin:********@db" in done.stderr
    assert "Traceback" in done.stderr
    # The report lists the settings (so a leak would show) with every secret masked.
    report = done.stdout.split("REPORT", 1)[1]
    assert "REDIS_URL = 'redis://127.0.0.1:6379/0'" in report
    assert "SECRET_KEY = '********************'" in report
    for secret in SECRETS:
        assert secret not in done.stderr
        assert secret not in done.stdout.split("REPORT", 1)[0]  # the page
        assert secret not in report.replace(f"nuanxin:{DB_PASSWORD}@db", "")  # bar the exception's own text
