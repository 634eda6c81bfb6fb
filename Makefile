# Two commands do everything on a fresh machine:
#   make run   — install what is missing, migrate, load demo data if the database is empty,
#                start one worker and the staff workbench on http://localhost:8501
#                (the student app on http://localhost:8502)
#   make test  — install what is missing and run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install bench clean-data

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m core serve

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

clean-data:
	rm -rf data/workbench.db* data/queue.db* data/photos
