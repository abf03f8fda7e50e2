# Haven: `make demo` runs the demo on SQLite (web server and task worker); `make test` runs every check.
PYTHON_VERSION := $(shell cat .python-version)
# The pyenv build named in .python-version (found even when pyenv is not on PATH), else python3.12, else python3.
PYENV_DIR := $(shell pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}")
PYTHON ?= $(or $(wildcard $(PYENV_DIR)/versions/$(PYTHON_VERSION)/bin/python),$(shell command -v python3.12 || command -v python3))
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PROD_ENV := DJANGO_SETTINGS_MODULE=haven.settings.production HAVEN_SECRET_KEY=check-deploy-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP HAVEN_HMAC_KEY=check-deploy-hmac HAVEN_AUDIT_KEY=check-deploy-audit HAVEN_OTP_KEY=check-deploy-otp HAVEN_ALLOWED_HOSTS=haven.invalid
SCALE ?= program

.PHONY: demo serve worker test lint typecheck checks pytest messages vendor bench load clean

# var/ (git-ignored) holds the SQLite databases, the test database included; a fresh clone has none.
var:
	mkdir -p $@

$(BIN)/.installed: requirements.lock | var
	@test -x $(BIN)/python || { $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
		|| { echo "Haven needs Python 3.12+, but PYTHON=$(PYTHON) is older: install $(PYTHON_VERSION) or set PYTHON" >&2; exit 1; }; \
		$(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

demo: $(BIN)/.installed
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) generate --scale demo --seed 1 --if-empty
	@$(MANAGE) demo_logins
	@# DEBUG is off in the demo (Haven's own error pages, not Django's): --insecure serves the static files anyway.
	@# The task worker (report PDFs and other background work) runs beside the web server and stops with it: Ctrl+C
	@# reaches both (the worker finishes its current task); if the server stops by itself, the worker is sent TERM.
	@# No --reload: an autoreloading worker's child would outlive that kill (`make worker` reloads on changes).
	@$(MANAGE) task_worker --no-reload & worker=$$!; \
		trap 'interrupted=1' INT; trap 'interrupted=1; exit 143' TERM; \
		trap '[ -n "$$interrupted" ] || kill $$worker 2>/dev/null; wait $$worker' EXIT; \
		$(MANAGE) runserver --insecure 127.0.0.1:8000

# The demo's database served as production serves it: gunicorn (gunicorn.conf.py) with the production settings,
# static files collected and served by whitenoise, JSON logs, and the task worker with its heartbeat (/health/).
# Plain HTTP on loopback (HAVEN_SSL_REDIRECT=0): open http://localhost:8000/ (browsers keep the __Host- cookies on
# localhost). The keys are the demo's (var/keys); run `make demo` once first.
SERVE_ENV := DJANGO_SETTINGS_MODULE=haven.settings.production HAVEN_ALLOWED_HOSTS=localhost,127.0.0.1 \
	HAVEN_SSL_REDIRECT=0 HAVEN_BIND=127.0.0.1:8000
serve: $(BIN)/.installed
	@test -f var/keys/secret.key -a -f var/keys/otp.key || { echo "No demo keys in var/keys: run make demo once first" >&2; exit 1; }
	$(SERVE_ENV) $(MANAGE) migrate --verbosity 0
	$(SERVE_ENV) $(MANAGE) collectstatic --no-input --verbosity 0
	@$(SERVE_ENV) $(MANAGE) task_worker --no-reload --verbosity 0 & worker=$$!; \
		trap 'interrupted=1' INT; trap 'interrupted=1; exit 143' TERM; \
		trap '[ -n "$$interrupted" ] || kill $$worker 2>/dev/null; wait $$worker' EXIT; \
		$(SERVE_ENV) $(BIN)/gunicorn -c gunicorn.conf.py

# The task worker alone (reloading on code changes), for when the web server runs on its own.
worker: $(BIN)/.installed
	$(MANAGE) task_worker --reload

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy src

checks: $(BIN)/.installed
	DJANGO_SETTINGS_MODULE=haven.settings.test $(MANAGE) makemigrations --check --dry-run
	$(PROD_ENV) $(MANAGE) check --deploy --fail-level WARNING

pytest: $(BIN)/.installed
	$(BIN)/pytest -n 2 -q

test: lint typecheck checks pytest

messages: $(BIN)/.installed
	cd src/haven && ../../$(BIN)/django-admin makemessages -l fr --no-obsolete --add-location=file \
		--ignore="*/tests/*" --ignore=conftest.py
	cd src/haven && ../../$(BIN)/django-admin compilemessages -l fr

bench: $(BIN)/.installed
ifeq ($(DB),postgres)
	SCALE=$(SCALE) bash bench/postgres.sh $(BIN)/python bench/run.py
else
	SCALE=$(SCALE) $(BIN)/python bench/run.py
endif

load: $(BIN)/.installed
ifeq ($(DB),postgres)
	SCALE=$(SCALE) bash bench/postgres.sh $(BIN)/python bench/load.py
else
	SCALE=$(SCALE) $(BIN)/python bench/load.py
endif

vendor:
	npm ci --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js src/haven/core/static/vendor/htmx.min.js
	@# Chart.js's UMD build without its last line, a sourceMappingURL to a .map file that is not vendored.
	sed '/^\/\/# sourceMappingURL=/d' node_modules/chart.js/dist/chart.umd.min.js \
		>src/haven/core/static/vendor/chart.umd.min.js
	@# axe-core, for the browser tests only: they inject it into each page they check; no template links it.
	cp node_modules/axe-core/axe.min.js src/haven/core/static/vendor/axe.min.js

clean:
	rm -rf $(VENV) var/*.sqlite3*
