# The front door: `make run` for the demo, `make test` for the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-postgres lint format bench migrations-check screenshots fuzz clean

$(STAMP): requirements.txt requirements-dev.txt cli/pyproject.toml
	bash devtools/system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	# The awsbroker CLI (cli/), editable, so `awsbroker` is on the venv's PATH for the demo and tests.
	$(PY) -m pip install -q -e ./cli
	touch $(STAMP)

# axe-core for the browser suite's accessibility pass: from the committed lock file, into devtools/a11y/.
AXE := devtools/a11y/node_modules/axe-core/axe.min.js
$(AXE): devtools/a11y/package.json devtools/a11y/package-lock.json
	cd devtools/a11y && npm ci --no-audit --no-fund --ignore-scripts
	touch $(AXE)

# The OIDC provider of the demo and tests (npm oidc-provider), from the committed lock file.
OIDC_NODE := devtools/oidc/node_modules/.package-lock.json
$(OIDC_NODE): devtools/oidc/package.json devtools/oidc/package-lock.json
	cd devtools/oidc && npm ci --no-audit --no-fund --silent

install: $(STAMP) $(AXE) $(OIDC_NODE)

run: install
	$(PY) -m devtools.run

# The suite runs on PYTEST_WORKERS processes (pytest-xdist; `auto` = one per CPU). Each worker starts
# its own slapd, moto, Redis and test database; PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS)

test: install lint migrations-check
	$(PYTEST)

# The same suite on PostgreSQL (CI runs both); POSTGRES_URL names the server.
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/broker
test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) $(PYTEST)

# Re-take the README's screenshots (docs/screenshots/) with the browser suite.
screenshots: install
	SAVE_SCREENSHOTS=1 $(PY) -m pytest tests/browser -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# schemathesis against /api/schema/ for longer than `make test` does (FUZZ_EXAMPLES per operation).
FUZZ_EXAMPLES ?= 2000
fuzz: install
	BROKER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -p no:cacheprovider tests/test_api_fuzz.py

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .demo db.sqlite3 staticfiles devtools/a11y/node_modules
