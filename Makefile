# nuanxin (暖新)
#
#   make run    set up, migrate, load the demo community when the database is empty, serve
#               (with the task worker and the periodic jobs)
#   make test   set up, then the whole suite (in parallel, browser tests included)
#   make lint   ruff and mypy
#   make bench  bounded benchmarks, appended to docs/performance.md
#   make backup                 the database and the media files into one .tar.gz in var/backups/
#                               (OUTPUT=dir/ or OUTPUT=file.tar.gz to put it elsewhere)
#   make restore FILE=x.tar.gz  restore such a backup (stop the app first); a database that
#                               already holds data is replaced only with YES=1
#
# Static files: `make run` collects them into var/collected-static (STATIC_ROOT) under hashed names,
# gzip- and brotli-compressed (NUANXIN_STATIC_MANIFEST=1), again only when one of them changed;
# whitenoise serves them cacheable for a year. Tests serve them from their folders
# (WHITENOISE_USE_FINDERS); var/static is created there only because whitenoise warns without it.
#
# Set-up is idempotent: packages are installed only when missing or when their requirements
# file changed since the last install (stamp files in .venv/ and node_modules/).

PORT ?= 8000
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-requirements
DEV_STAMP := $(VENV)/.installed-requirements-dev
NPM_STAMP := node_modules/.package-lock.json
DEMO_LOGINS := admin street community grid1-leader grid1-worker grid2-worker rider1 resident1 partner1 auditor

STATIC_MANIFEST := var/collected-static/staticfiles.json
STATIC_SOURCES := $(shell find nuanxin -path '*/static/*' -type f 2>/dev/null)

.PHONY: run test lint bench bench-serving messages backup restore prod-check

run: export NUANXIN_DEMO := 1
run: export NUANXIN_STATIC_MANIFEST := 1
run: $(RUN_STAMP) $(NPM_STAMP) $(STATIC_MANIFEST)
	@bash scripts/debian-packages.sh cjk-font gettext pango
	@$(MAKE) --no-print-directory messages
	@$(PY) manage.py migrate --no-input -v 0
	@# load_demo builds the demo only into a database without a territory, and says so otherwise.
	@$(PY) manage.py load_demo
	@$(PY) manage.py install_case_catalogue -v 0 >/dev/null
	@$(PY) manage.py install_checklists -v 0 >/dev/null
	@echo
	@echo "  nuanxin (暖新) is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Demo logins, all with the password nuanxin-demo:"
	@echo "    $(DEMO_LOGINS)"
	@echo "  Stop with Ctrl-C."
	@echo
	@# The task worker (notifications, jobs) and the periodic scheduler run beside the web server
	@# and stop with it. With REDIS_URL set the tasks go to Redis (RQ), so its worker runs instead
	@# of the database one.
	@trap 'kill 0' EXIT INT TERM; \
	$(PY) manage.py $(if $(REDIS_URL),rqworker default,db_worker --no-reload -v 0) & \
	$(PY) manage.py run_periodic -v 0 >/dev/null & \
	$(VENV)/bin/gunicorn -c gunicorn.conf.py nuanxin.wsgi --bind 127.0.0.1:$(PORT) --workers 4 --timeout 300

$(STATIC_MANIFEST): $(RUN_STAMP) $(NPM_STAMP) $(STATIC_SOURCES) nuanxin/core/staticfiles.py
	@NUANXIN_STATIC_MANIFEST=1 $(PY) manage.py collectstatic --no-input --clear -v 0

test: $(DEV_STAMP) $(NPM_STAMP)
	@bash scripts/debian-packages.sh cjk-font gettext chromium pango
	@$(MAKE) --no-print-directory messages
	@mkdir -p var/static
	$(PY) -m pytest -n auto $(ARGS)

# Each case runs about BENCH_SECONDS (3 s by default); the demo is built once into var/bench.sqlite3.
bench: $(DEV_STAMP) $(NPM_STAMP)
	@mkdir -p var/static
	$(PY) benchmarks/foundation.py
	$(PY) benchmarks/cases.py
	$(PY) benchmarks/inspections.py
	$(PY) benchmarks/ledgers.py
	$(PY) benchmarks/stations.py
	$(PY) benchmarks/volunteers.py
	$(PY) benchmarks/city.py
	$(PY) benchmarks/pages.py

# The short form of the serving benchmark (benchmarks/serving.py): key endpoints (the reads, and
# intake at 1, 5 and 20 connections) against their same-work lean twins on the demo community,
# built into PostgreSQL nuanxin_bench_serving. The long form grows the city and measures at each
# size: BENCH_SERVING_CITY_SIZES=10000,1000000,5000000 $(PY) benchmarks/serving.py
bench-serving: $(DEV_STAMP)
	$(PY) benchmarks/serving.py

# Runs all three checks and fails if any failed, so one run shows every problem.
lint: $(DEV_STAMP)
	@status=0; \
	$(PY) -m ruff check . || status=1; \
	$(PY) -m ruff format --check . || status=1; \
	$(PY) -m mypy nuanxin || status=1; \
	exit $$status

# `check --deploy` under production settings, failing on any warning. The keys are throwaway ones
# made on the spot: only their presence and strength are checked, and they are never printed.
prod-check: $(RUN_STAMP)
	@NUANXIN_PRODUCTION=1 ALLOWED_HOSTS=example.org \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	NUANXIN_FIELD_KEY="$$($(PY) -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
	NUANXIN_AUDIT_KEY="$$($(PY) -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
	$(PY) manage.py check --deploy --fail-level WARNING

# Backups use the installed environment as it is (no package installs from a timer); the
# settings come from the environment, as for the app (see docs/deploy.md).
backup: | $(PY)
	$(PY) manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)")

restore: | $(PY)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/nuanxin-backup-....tar.gz [YES=1]"; exit 2; }
	$(PY) manage.py restore "$(FILE)" $(if $(YES),--yes)

# Compiled catalogues (.mo) are build output, not committed. Run inside nuanxin/ so that
# compilemessages does not walk .venv/ and node_modules/ and compile other packages' catalogues.
messages:
	@if [ -d nuanxin/locale ]; then cd nuanxin && ../$(PY) ../manage.py compilemessages -v 0; fi

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "nuanxin needs Python 3.11 or newer ($(PYTHON) is older); set PYTHON=python3.x"; exit 1; }
	@bash scripts/debian-packages.sh venv
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "nuanxin needs Node.js and npm (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@
