# itaflow: `make run` starts the product on its embedded default, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test install system-deps migrate seed lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[test]"
	touch $@

install: $(BIN)/.installed
	@command -v msgfmt >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; }
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v 0

# Debian packages the tests need: Chromium (browser tests), pdftotext (PDF check), gettext,
# PgBouncer (the transaction-pooling test starts its own).
system-deps:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null && command -v msgfmt >/dev/null \
	  && test -x /usr/sbin/pgbouncer || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils gettext pgbouncer; }

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runserver $(HOST)

test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run -v 0
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var staticfiles
