# Masar: `make run` serves a development instance, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := MASAR_ENV=development $(BIN)/flask --app wsgi

.PHONY: run test install install-dev translations extract-messages runtime-packages system-packages bench-packages bench bench-certificates bench-reports clean

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

translations: $(VENV)/.runtime
	$(BIN)/pybabel compile -d translations --statistics

run: install translations runtime-packages
	$(FLASK) db upgrade
	$(FLASK) lms import-courses
	$(FLASK) lms import-banks
	$(FLASK) lms create-demo-admin
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install-dev translations system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# WeasyPrint needs Pango to render certificates; browser tests drive Debian's Chromium,
# certificate tests read PDFs with Poppler, and the slow-client test runs nginx in front of gunicorn.
# The benchmarks load the servers with wrk. Install what is missing when we are allowed to.
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_PACKAGES := $(RUNTIME_PACKAGES) chromium poppler-utils nginx
BENCH_PACKAGES := $(RUNTIME_PACKAGES) wrk
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing system packages: run 'sudo apt-get install $$missing'."; \
	  fi; \
	fi
endef

runtime-packages:
	$(call apt_install,$(RUNTIME_PACKAGES))

system-packages:
	$(call apt_install,$(TEST_PACKAGES))

bench-packages:
	$(call apt_install,$(BENCH_PACKAGES))

# Every benchmark, figures in bench/README.md: learner pages under the production gunicorn.conf.py
# (wrk, next to a bare WSGI app), SQL statements at two data sizes, page weight, workers' memory,
# certificates and reports. Needs PostgreSQL (BENCH_DATABASE_URL, default the local masar_bench,
# seeded on first use, some three minutes); five minutes on 2 cores. BENCH_ARGS="--rounds 5" for more.
bench: install-dev translations bench-packages
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Certificate rendering and signing times and sizes (no database needed).
bench-certificates: install
	$(BIN)/python bench/certificates.py

# Needs PostgreSQL: BENCH_DATABASE_URL, or the local server's masar_bench database (created and seeded).
bench-reports: install
	$(BIN)/python bench/reports.py

# Refresh the template and the catalogs after changing user-visible strings.
extract-messages: $(VENV)/.runtime
	$(BIN)/python translations/sync.py

clean:
	rm -rf $(VENV) .pytest_cache
