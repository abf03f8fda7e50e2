# Haven: `make demo` runs the demo on SQLite; `make test` runs every check.
PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && pyenv root >/dev/null 2>&1 && test -x "$$(pyenv root)/versions/$(PYTHON_VERSION)/bin/python" && echo "$$(pyenv root)/versions/$(PYTHON_VERSION)/bin/python" || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PROD_ENV := DJANGO_SETTINGS_MODULE=haven.settings.production HAVEN_SECRET_KEY=check-deploy-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP HAVEN_HMAC_KEY=check-deploy-hmac HAVEN_ALLOWED_HOSTS=haven.invalid
SCALE ?= program

.PHONY: demo test lint typecheck checks pytest messages vendor bench clean

$(BIN)/.installed: requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

demo: $(BIN)/.installed
	$(MANAGE) migrate --verbosity 0
	$(MANAGE) generate --scale demo --seed 1 --if-empty
	@$(MANAGE) demo_logins
	$(MANAGE) runserver 127.0.0.1:8000

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
	cd src/haven && ../../$(BIN)/django-admin makemessages -l fr --no-obsolete --no-location --add-location=file
	cd src/haven && ../../$(BIN)/django-admin compilemessages -l fr

vendor:
	npm ci --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js src/haven/core/static/vendor/htmx.min.js

clean:
	rm -rf $(VENV) var/*.sqlite3*
