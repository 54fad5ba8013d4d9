# Two commands do everything on a fresh machine: `make demo` and `make test`; `make test-fast` is
# the quick loop while changing the code.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: demo serve test test-fast lint typecheck importlint format messages clean bench bench-dashboards \
	bench-ranking bench-documents bench-load system-packages test-browser

# Debian packages, each installed only when missing: LibreOffice prints documents to PDF with the
# Liberation fonts (version 2: version 1 lacks Vietnamese letters such as Ả and Ộ), poppler turns
# a PDF into images (tests), Chromium runs the browser journeys.
OFFICE_PACKAGES := libreoffice-writer-nogui fonts-liberation2

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.app
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## system-packages: LibreOffice and poppler (and Chromium with WITH_BROWSER=1) from Debian, those
## missing, when run as root
## (without LibreOffice the app makes Word files only and says so, and the PDF tests are skipped;
## without Chromium the browser journeys cannot run)
system-packages:
	@missing=""; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	[ -d /usr/share/fonts/truetype/liberation2 ] || missing="$$missing fonts-liberation2"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	[ -z "$(WITH_BROWSER)" ] || command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing$$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null; } \
	  || echo "Could not install$$missing: without LibreOffice documents are Word only; without Chromium the browser journeys cannot run."; \
	else \
	  case "$$missing" in *libreoffice*) echo "LibreOffice is missing (apt-get install $(OFFICE_PACKAGES)): Word only, no PDF.";; esac; \
	  case "$$missing" in *chromium*) echo "Chromium is missing (apt-get install chromium): make test-browser cannot run.";; esac; \
	fi

## demo: install, migrate the SQLite database, load the Programme 07 demo and serve it
demo: $(VENV)/.app system-packages
	STEER_DEMO=1 $(BIN)/python manage.py migrate --no-input -v 0
	STEER_DEMO=1 $(BIN)/python manage.py load_demo
	@echo "\nsteer is at http://$(HOST)/  (Ctrl+C to stop)\n"
	$(MAKE) --no-print-directory serve

## serve: serve the existing database without reloading the demo, with the background worker
## that makes documents
serve: $(VENV)/.app
	STEER_DEMO=1 $(BIN)/python manage.py db_worker -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	STEER_DEMO=1 $(BIN)/python manage.py runserver $(HOST)

## test: install what the tests need and run them (DATABASE_URL selects PostgreSQL)
test: $(VENV)/.test system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-fast: the tests not marked slow (backups, crashes, PDF, fuzzing and a few more: make test
## runs them), in parallel on every core (DATABASE_URL selects PostgreSQL)
test-fast: $(VENV)/.test
	$(BIN)/python -m pytest -n auto -m "not slow" $(PYTEST_ARGS)

## test-browser: the browser journeys: Playwright drives Debian's Chromium through a real server
## on a fresh copy of the demo (SQLite); a failure leaves screenshots in var/browser-failures/
test-browser: $(VENV)/.test
	@$(MAKE) --no-print-directory system-packages WITH_BROWSER=1
	$(BIN)/python -m pytest browser_tests $(PYTEST_ARGS)

## lint: ruff, mypy and the import contracts
lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck importlint

## typecheck: mypy over steer: strict on the pure cores, the services and the selectors; the rest checked
typecheck: $(VENV)/.test
	$(BIN)/mypy steer

## importlint: the import contracts in pyproject.toml (the pure cores import nothing from Django)
importlint: $(VENV)/.test
	$(BIN)/lint-imports

format: $(VENV)/.test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## messages: refresh the translation catalogues (needs GNU gettext)
messages: $(VENV)/.app
	cd steer && ../$(BIN)/python ../manage.py makemessages -l vi -l en --no-obsolete
	cd steer && ../$(BIN)/python ../manage.py compilemessages

## bench: the benchmarks (results go in docs/benchmarks.md; DATABASE_URL selects PostgreSQL)
bench: $(VENV)/.test
	$(BIN)/python bench/import_values.py

## bench-dashboards: dashboard pages, rebuild and incremental update at 0.1, 1 and 10 million values
bench-dashboards: $(VENV)/.test
	$(BIN)/python bench/dashboards.py --ladder --db sqlite

## bench-ranking: Monte Carlo rank intervals, 3,321 units × 60 indicators × 10,000 runs
bench-ranking: $(VENV)/.test
	$(BIN)/python bench/ranking_mc.py

## bench-documents: the city's 6-month synthesis report of Programme 07 as Word and as PDF
bench-documents: $(VENV)/.test
	$(BIN)/python bench/documents.py

## bench-load: deadline day, 200 reporters upload workbooks while 50 users browse dashboards,
## through gunicorn (DB=postgres on 127.0.0.1:5432, or DB=sqlite; LOAD_ARGS for more options)
DB ?= postgres
LOAD_ARGS ?=
bench-load: $(VENV)/.test
	$(BIN)/python bench/load.py --db $(DB) $(LOAD_ARGS)

clean:
	rm -rf $(VENV) var
