# Masar: `make run` serves a development instance, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := MASAR_ENV=development $(BIN)/flask --app wsgi
CHROMIUM := /usr/bin/chromium

.PHONY: run test install install-dev translations extract-messages browser clean

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

run: install translations
	$(FLASK) db upgrade
	$(FLASK) lms import-courses
	$(FLASK) lms import-banks
	$(FLASK) lms create-demo-admin
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install-dev translations browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium; install it when we are allowed to.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' for the browser tests."; \
	  fi; \
	fi

# Refresh the template and the catalogs after changing user-visible strings.
extract-messages: $(VENV)/.runtime
	$(BIN)/python translations/sync.py

clean:
	rm -rf $(VENV) .pytest_cache
