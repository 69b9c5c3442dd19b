# Two commands matter: `make run` and `make test`. Everything else is a step they take.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: audit run test install lock messages makemessages migrate seed lint format worker clean bench \
	bench-search bench-reports bench-inbox bench-load backup restore

# requirements.lock pins what production runs; requirements-dev.lock adds the test tools
# (same versions for everything they share). Both come from pyproject.toml: `make lock`.
$(INSTALLED): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(INSTALLED)

lock: $(INSTALLED)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		-c requirements.lock -o requirements-dev.lock

install: $(INSTALLED)

# Compile the message catalogues (and fail if the Swahili one has gaps); needs no GNU gettext.
messages: $(INSTALLED)
	$(BIN)/python scripts/compile_messages.py

# Re-extract strings after changing code or templates (needs GNU gettext's xgettext).
makemessages: $(INSTALLED)
	$(MANAGE) makemessages --locale sw --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'node_modules/*' --ignore 'tests/*' --no-obsolete

migrate: $(INSTALLED) messages
	$(MANAGE) migrate --no-input
	$(MANAGE) createcachetable

seed: migrate
	$(MANAGE) seed_demo

run: seed
	@echo "Serving Mrejesho on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	$(MANAGE) runserver $(HOST):$(PORT)

# A worker for the database task queue (production, or TASKS_BACKEND=database).
worker: $(INSTALLED)
	$(MANAGE) db_worker

test: $(INSTALLED) messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Security checks (issue 19): bandit on our own code (its settings: [tool.bandit] in
# pyproject.toml), then pip-audit on the lock files through scripts/audit, which says
# "DEPENDENCY CHECK DID NOT RUN" when the advisory database is out of reach (and fails then
# only with AUDIT_REQUIRE_DEPENDENCY_CHECK=1); a known vulnerability always fails it.
audit: $(INSTALLED)
	$(BIN)/bandit -c pyproject.toml -r config feedback pages search scripts bench -q
	$(BIN)/python scripts/audit

# Every benchmark under bench/ in one run and ONE table, each figure a ratio to a floor measured
# in the same run, with its goal and met / NOT met (bench/run.py; bench/README.md says what each
# measures). Needs PostgreSQL (DATABASE_URL, default the local mrejesho role as .ci/run makes
# it); starts its own Elasticsearch on 127.0.0.1:9252 (kept outside the clone) and stops it.
# Writes bench/results/bench-<time>.json and bench/results/latest.md. Exits 1 if a benchmark
# did not run. Try `make bench BENCH_ARGS="--quick"` (minutes) or `--only search,inbox` first.
bench: $(INSTALLED)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The search benchmark (bench/search.py): ratios against floors measured in the same run.
# Default sizes are the issue's (1,000,000 on Elasticsearch, 100,000 on PostgreSQL); try
# `make bench-search BENCH_ARGS="--size 10000"` first. Needs PostgreSQL and its own
# Elasticsearch (BENCH_ELASTICSEARCH_URL, default 127.0.0.1:9252; `make bench` starts one).
bench-search: $(INSTALLED)
	$(BIN)/python bench/search.py $(BENCH_ARGS)

# The accountability report for an institution-year of 100,000 cases (PostgreSQL: the server
# of DATABASE_URL; the cases are generated once and kept in mrejesho_reportperf).
bench-reports: $(INSTALLED)
	$(BIN)/python bench/reports.py $(BENCH_ARGS)

# The inbox with 1,000,000 cases (PostgreSQL: the server of DATABASE_URL; the cases are
# generated once and kept in mrejesho_inbox): p50/p95 of the officer's and the lead's listings
# through gunicorn against a trivial admin view.
bench-inbox: $(INSTALLED)
	$(BIN)/python bench/inbox.py $(BENCH_ARGS)

# 10,000 submissions from 50 concurrent clients through gunicorn, PostgreSQL, Elasticsearch and
# two task workers, then the proof that nothing was lost (bench/load.py; exits 1 if not).
# Needs DATABASE_URL (a PostgreSQL server: the run uses its own database, mrejesho_loadbench)
# and ELASTICSEARCH_URL. Try `make bench-load BENCH_ARGS="--submissions 1000"` first.
bench-load: $(INSTALLED)
	$(BIN)/python bench/load.py $(BENCH_ARGS)

# --- Backup and restore (issue 19; scripts/backup.py, scripts/restore.py) -------------------
# `make backup [BACKUP_DIR=<new folder>]`: pg_dump of DATABASE_URL (PostgreSQL only), the
# uploaded files of MEDIA_ROOT and a manifest (chain heads, SHA-256s), into ./backups/<UTC time>/
# unless BACKUP_DIR says where; folder 0700, files 0600: it holds personal data.
backup: $(INSTALLED)
	$(BIN)/python scripts/backup.py $(if $(BACKUP_DIR),--dir "$(BACKUP_DIR)")

# `make restore BACKUP=<folder> [FORCE=1] [PUBLISHED=<saved audit-chain.txt>]`: checks the
# SHA-256s, refuses a database with tables unless FORCE=1, restores the dump and the files,
# then verifies the audit chain and compares its heads with the manifest's.
restore: $(INSTALLED)
	$(BIN)/python scripts/restore.py "$(BACKUP)" $(if $(filter 1 yes true,$(FORCE)),--force) \
		$(if $(PUBLISHED),--published "$(PUBLISHED)")
# --- end of backup and restore -------------------------------------------------------------

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
