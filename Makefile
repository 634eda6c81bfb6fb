# Two commands do everything on a fresh machine:
#   make run   — install what is missing, migrate, load demo data if the database is empty,
#                start one worker per core and the staff workbench on http://localhost:8501
#                (the student app on http://localhost:8502)
#   make test  — install what is missing and run the whole test suite
#   make bench — every benchmark in bench/ (the PostgreSQL ones use the local server; each
#                script takes --url and size options: python -m bench.<name> --help)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCHES := bench_pipeline bench_body_edge bench_mouth bench_qr calibrate_face_threshold bench_recapture bench_queue \
	bench_dashboard bench_export bench_lookup bench_roster_import bench_login bench_job_faults \
	bench_workers bench_student_api bench_student_sessions

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
	$(PY) -m pytest -n 2

bench: $(STAMP)
	for name in $(BENCHES); do echo "== bench.$$name"; $(PY) -m bench.$$name || exit 1; done

clean-data:
	rm -rf data/workbench.db* data/queue.db* data/photos
