# Two commands on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format install install-dev assets browser migrate seed totp bench screenshots clean

# runserver is daphne's (daphne is first in INSTALLED_APPS), so HTTP and
# WebSockets are served as in production. The task worker (emails, search
# index, clean-up) runs beside it and is stopped when the server exits.
run: install assets migrate seed
	@echo "Serving Task Force Connect on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@# Links in emails point at the port being served unless CONNECT_BASE_URL says otherwise.
	@export CONNECT_BASE_URL=$${CONNECT_BASE_URL:-http://$(HOST):$(PORT)}; \
	  $(MANAGE) db_worker --interval 1 --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(MANAGE) runserver $(HOST):$(PORT)

test: install-dev assets browser lint
	DJANGO_SETTINGS_MODULE=connect.settings.test $(PY) -m pytest

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

# USWDS (and axe-core for the accessibility tests) come from the npm registry
# at the versions pinned in package-lock.json, copied into static/vendor/.
# PurgeCSS (purgecss.config.cjs) then writes uswds.trimmed.min.css, the
# stylesheet pages link: only the USWDS rules that templates, scripts and the
# HTML-rendering Python can use. It is made again whenever one of those changes.
TRIMMED_CSS := static/vendor/uswds/css/uswds.trimmed.min.css
TRIM_SOURCES := $(shell find templates static/js connect forum resources search spotlights notifications \
	assistance conversations \( -name '*.html' -o -name '*.js' -o -name '*.py' \) -not -path '*/migrations/*' 2>/dev/null)
# esbuild bundles the USWDS components the pages use (assets/uswds-components.js)
# into uswds.trimmed.min.js, which pages load instead of the full uswds.min.js.
TRIMMED_JS := static/vendor/uswds/js/uswds.trimmed.min.js
assets: static/vendor/.installed $(TRIMMED_CSS) $(TRIMMED_JS)

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/uswds static/vendor/axe
	cp -r node_modules/@uswds/uswds/dist/css node_modules/@uswds/uswds/dist/js \
	      node_modules/@uswds/uswds/dist/fonts node_modules/@uswds/uswds/dist/img static/vendor/uswds/
	@# What no page, stylesheet or script names stays out, so collectstatic does
	@# not hash and compress it on every deploy: the material-icons copies of
	@# usa-icons, the .ttf/.woff fonts (the stylesheets ask only for .woff2) and
	@# the unminified builds.
	rm -rf static/vendor/uswds/img/material-icons static/vendor/uswds/img/material-icons-deprecated \
	       static/vendor/uswds/css/uswds.css static/vendor/uswds/js/uswds.js
	find static/vendor/uswds/fonts \( -name '*.ttf' -o -name '*.woff' \) -delete
	cp node_modules/axe-core/axe.min.js static/vendor/axe/
	touch $@

$(TRIMMED_CSS): static/vendor/.installed purgecss.config.cjs $(TRIM_SOURCES)
	rm -rf static/vendor/.purgecss && mkdir -p static/vendor/.purgecss
	node_modules/.bin/purgecss --config purgecss.config.cjs --output static/vendor/.purgecss
	mv static/vendor/.purgecss/uswds.min.css $@ && rm -rf static/vendor/.purgecss

$(TRIMMED_JS): static/vendor/.installed assets/uswds-components.js
	node_modules/.bin/esbuild assets/uswds-components.js --bundle --minify --format=iife \
	  --target=es2018 --log-level=warning --outfile=$@

# End-to-end tests drive Debian's Chromium through Playwright.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium package for the end-to-end tests (sudo apt-get install chromium)"; fi; }

migrate: install
	$(MANAGE) migrate --noinput -v0

seed: install
	$(MANAGE) seed_demo

totp: install
	@$(MANAGE) demo_totp

bench: install-dev
	$(PY) bench/forum_thread_page.py --scale 0.1

# docs/screenshots/: the main pages at 1280 and 390 px, on a fresh demo site.
screenshots: install-dev assets browser
	$(PY) bench/screenshots.py

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
