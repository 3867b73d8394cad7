# 预算绩效目标跟踪系统 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install install-dev assets run serve migrate demo test lint format bench clean

# --- set-up ---------------------------------------------------------------------------------
$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11（$(PYTHON) 不存在）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/.runtime-installed
	$(PIP) install -q -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

install: $(VENV)/.runtime-installed assets  ## the virtual environment in .venv/ and front-end assets

install-dev: install $(VENV)/.dev-installed

# --- run the system -------------------------------------------------------------------------
migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py load_demo

# `make run` serves the demo as production does — DEBUG off, so the pages show the real 404,
# 403 and 500 pages, not Django's debug pages, and whitenoise serves the collected static
# files — but over plain HTTP on this machine: no HTTPS redirect, no HSTS, cookies not
# marked Secure. Its SECRET_KEY is generated once into $(RUN_SECRET_KEY), outside the
# repository. Each variable set in the environment wins: `DEBUG=1 make run` debugs.
RUN_SECRET_KEY := $(or $(VAR_DIR),var)/secret_key

$(RUN_SECRET_KEY): | $(VENV)/bin/python
	@mkdir -p $(@D)
	@umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@

run: export DEBUG ?= 0
run: export SECRET_KEY ?= $(shell cat $(RUN_SECRET_KEY) 2>/dev/null)
run: export ALLOWED_HOSTS ?= $(HOST),127.0.0.1,localhost
run: export SECURE_SSL_REDIRECT ?= 0
run: export SECURE_HSTS_SECONDS ?= 0
run: export SESSION_COOKIE_SECURE ?= 0
run: export CSRF_COOKIE_SECURE ?= 0

# Web server, Celery worker and Celery beat together; Ctrl-C stops all three.
# The web server runs in the foreground so Ctrl-C reaches it; on the way out the trap stops
# the worker and beat. Only their main processes are signalled: TERM to a worker's pool
# children as well can leave the worker waiting for them forever.
# The key comes first: migrate already needs it.
run: $(RUN_SECRET_KEY) demo
	@echo "==> http://$(HOST):$(PORT)/  (Ctrl-C 停止 web、worker 与 beat)"
	@$(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2 --hostname=worker@%h & \
	  worker=$$!; \
	  $(VENV)/bin/celery -A config beat --loglevel=INFO --pidfile= & \
	  beat=$$!; \
	  trap 'trap - INT TERM EXIT; kill $$worker $$beat 2>/dev/null; wait' INT TERM EXIT; \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload

# --- quality --------------------------------------------------------------------------------
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pip-audit of the pinned requirements and everything they pull in (.ci/audit); when the
# vulnerability database cannot be reached it prints one "skipped" line and succeeds.
.PHONY: audit
audit: install-dev
	$(PY) .ci/audit

# Runs ruff and the whole suite on SQLite; with TEST_DATABASE_URL set (as .ci/run does) the
# suite runs a second time on that PostgreSQL database, browser tests excepted.
test: install-dev lint audit
	$(PY) -m pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "==> again on PostgreSQL ($$TEST_DATABASE_URL)"; \
	  DATABASE_URL="$$TEST_DATABASE_URL" $(PY) -m pytest -m "not browser"; \
	fi

# Province scale (bench/README.md): PROJECTS=2000 on SQLite by default; with DATABASE_URL set
# (a throwaway PostgreSQL database: it is emptied) the same run there, plus the load run.
PROJECTS ?= 2000
bench: install-dev
	$(PY) bench/scale.py --projects $(PROJECTS)

.PHONY: bench-import bench-pages bench-faults
bench-import: install-dev  ## import, re-import, snapshot and JSON export of 200,000 payments
	$(PY) bench/run.py

bench-pages: install-dev  ## the main pages at 10,000 projects, against SQL floors
	$(PY) bench/pages.py

bench-faults: install-dev  ## PostgreSQL restarted under wrk load (a private cluster)
	$(PY) bench/faults.py

clean:
	rm -rf var/static var/celery-broker .pytest_cache
