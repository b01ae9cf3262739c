# Qingfeng: two commands on a fresh machine with Python 3.11+ and Node 20+.
#   make run    install, build assets, migrate, load the demo city once, serve on 127.0.0.1:8000
#   make test   install test tools, run the whole suite on SQLite and (if reachable) PostgreSQL
# Both install the Debian packages they use when they can (scripts/system_deps.sh: as root or
# with sudo that asks no password); otherwise they say what is missing and go on without it.
#   make system-deps   those packages, asking for the sudo password if needed
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
DEMO_SIZE ?= county
DEMO_SEED ?= 1
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-wqy-microhei gettext postgresql-client libreoffice-writer-nogui poppler-utils
RUN_PACKAGES := fonts-wqy-microhei
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test install install-dev assets lint types imports check bench e2e clean system-deps drill bundle bundle-test

$(VENV)/.runtime: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

src/qingfeng/static/vendor/.built: node_modules/.installed scripts/vendor-assets.mjs
	node scripts/vendor-assets.mjs
	touch $@

assets: src/qingfeng/static/vendor/.built $(VENV)/.runtime
	$(PY) scripts/compile_translations.py

.env: | $(VENV)/.runtime
	$(PY) scripts/make_env.py .env

run: install assets .env
	$(PY) scripts/make_env.py .env  # adds a key a newer release needs (QF_AUDIT_KEY); replaces none
	bash scripts/system_deps.sh $(RUN_PACKAGES)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo --size $(DEMO_SIZE) --seed $(DEMO_SEED) --if-empty
	$(PY) manage.py seed_demo_cases --if-empty
	$(PY) manage.py serve --host 127.0.0.1 --port 8000

test: install-dev assets
	bash scripts/system_deps.sh $(SYSTEM_PACKAGES)
	bash scripts/test.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install-dev
	QF_TESTING=1 $(BIN)/mypy

# The import contracts (pyproject.toml [tool.importlinter]): core knows no app, arrows one way.
imports: install-dev
	$(BIN)/lint-imports

# What CI checks besides the tests: lint, types, import contracts, migrations.
check: lint types imports
	QF_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

bench: install-dev assets
	$(PY) bench/run.py --size city

# Backup and restore drill on SQLite and PostgreSQL (when reachable): RTO and RPO measured,
# a drill record in var/drills/, the figures in bench/RESULTS.md (scripts/drill.py).
DRILL_REPORTS ?= 1500
DRILL_DB ?= both
DRILL_MEDIA ?= local
drill: install assets
	$(PY) scripts/drill.py --reports $(DRILL_REPORTS) --db $(DRILL_DB) --media $(DRILL_MEDIA)

# The offline install bundle: dist/qingfeng-<version>-<python>-<platform>.tar.gz (wheelhouse of
# the locked dependencies, vendored assets, compiled translations, install.sh; scripts/bundle.sh).
bundle: assets
	bash scripts/bundle.sh

# Install the newest bundle in a network namespace with no route and reach /healthz (as root,
# or where user namespaces are allowed: scripts/bundle_test.sh). About two minutes.
bundle-test:
	bash scripts/bundle_test.sh

system-deps:
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES)

clean:
	rm -rf $(VENV) node_modules src/qingfeng/static/vendor var
