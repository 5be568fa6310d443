# Anxun — two commands: `make run` (the demo) and `make test` (the whole suite).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup setup-dev sysdeps migrate demo worker beat lint

# What runs the site (make run), and on top of it the test, browser and lint tools (make test, make lint).
$(VENV)/.installed: requirements.txt
	@test -x $(PY) || "$$(scripts/find_python.sh)" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-faces.txt requirements-photos.txt node_modules/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q -r requirements-faces.txt
	$(PY) -m pip install -q --no-deps -r requirements-photos.txt
	@touch $@

# What the browser tests inject into pages, from npm at the versions package-lock.json pins: axe-core
# checks every page against the WCAG 2 A/AA rules (scripts/sysdeps.sh installs npm where it is missing).
node_modules/.installed: package.json package-lock.json
	@scripts/sysdeps.sh --required
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

sysdeps:
	@scripts/sysdeps.sh

migrate: setup
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: sysdeps demo
	@echo "安训已启动: http://$(HOST):$(PORT)/  (Ctrl-C 停止)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup-dev
	@scripts/sysdeps.sh --required
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest $(PYTEST_ARGS)

# Static checks: ruff (mistakes) and import-linter (the allowed imports between apps, pyproject.toml).
lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

worker: setup
	$(VENV)/bin/celery -A config worker -l info

beat: setup
	$(VENV)/bin/celery -A config beat -l info
