# Two commands do everything on a fresh machine:
#   make run   — install what is missing, migrate, load demo data if the database is empty,
#                start one worker per core and the staff workbench on http://localhost:8501
#                (the student app on http://localhost:8502)
#   make test  — install what is missing, lint, and run the whole test suite (a test process per core
#                and one more; one of them runs the browser journeys one after another: they mostly wait)
#   make lint  — ruff (defects, not style) and mypy (strict on core/domain, imaging, services)
#   make test-fast — the inner loop: no browser journeys, no slow tests, SQLite only (the PostgreSQL
#                variants are deselected, not listed as skipped)
#   make bench — every benchmark in bench/ (the PostgreSQL ones use the local server; each
#                script takes --url and size options: python -m bench.<name> --help)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CORES := $(shell nproc 2>/dev/null || echo 2)
BENCHES := bench_pipeline bench_body_edge bench_mouth bench_qr calibrate_face_threshold bench_recapture bench_queue \
	bench_dashboard bench_export bench_lookup bench_roster_import bench_login bench_job_faults bench_print_sheets \
	bench_review_throughput bench_workers bench_student_api bench_student_sessions

.PHONY: run test test-fast lint install bench clean-data

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m core serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: $(STAMP) lint
	$(PY) -m pytest -n $(shell expr $(CORES) + 1) --dist loadgroup

test-fast: $(STAMP)
	WORKBENCH_TEST_DATABASE_URL= $(PY) -m pytest -n $(CORES) --dist loadgroup -m "not browser and not slow" -k "not postgresql"

bench: $(STAMP)
	for name in $(BENCHES); do echo "== bench.$$name"; $(PY) -m bench.$$name || exit 1; done

clean-data:
	rm -rf data/workbench.db* data/queue.db* data/photos
