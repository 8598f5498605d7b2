# Masar: `make run` serves a development instance, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := MASAR_ENV=development $(BIN)/flask --app wsgi

.PHONY: run test install install-dev translations extract-messages runtime-packages system-packages bench-certificates bench-reports clean

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

# WeasyPrint needs Pango to render certificates; browser tests drive Debian's Chromium and
# certificate tests read PDFs with Poppler. Install what is missing when we are allowed to.
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_PACKAGES := $(RUNTIME_PACKAGES) chromium poppler-utils
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
