# Quick start: `make demo` serves the site with demo data, `make test` runs the suite.
# Both install what is missing first (see scripts/setup.sh) and are safe to re-run.

PYTHON := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo test stop clean

setup:
	@scripts/setup.sh

demo: setup
	@$(PYTHON) manage.py load_demo
	@echo "==> serving http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	@$(PYTHON) manage.py runserver $(HOST):$(PORT)

test: setup
	@$(PYTHON) -m pytest $(PYTEST_ARGS)

stop:
	@scripts/stop.sh

clean: stop
	rm -rf var .venv
