# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: demo serve test lint format messages clean bench bench-dashboards bench-ranking \
	bench-documents system-packages

# Debian packages: LibreOffice prints documents to PDF, poppler turns a PDF into images (tests).
SYSTEM_PACKAGES := libreoffice-writer-nogui poppler-utils fonts-liberation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.app
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## system-packages: LibreOffice and poppler from Debian, when missing and when run as root
## (without them the app makes Word files only and says so; the PDF tests are skipped)
system-packages:
	@if command -v soffice >/dev/null && command -v pdftoppm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing $(SYSTEM_PACKAGES)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null \
	  || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; } \
	  || echo "Could not install $(SYSTEM_PACKAGES): documents will be made as Word only."; \
	else echo "LibreOffice is missing (apt-get install $(SYSTEM_PACKAGES)): Word only, no PDF."; fi

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

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

clean:
	rm -rf $(VENV) var
