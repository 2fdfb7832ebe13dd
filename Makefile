# `make run` and `make test` do all the set-up themselves on a fresh machine that has Python 3.11+.
VENV := .venv
PY := $(VENV)/bin/python
ADDRESS ?= localhost
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test lint install system-deps check clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet 'setuptools>=77' wheel
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	@echo "Rehearse is starting: it prints a private link (with ?key=...) and opens it in your browser."
	$(PY) -m rehearse.web.serve --open run streamlit_app.py --server.address $(ADDRESS) --server.port $(PORT)

# System packages the tests need: Chromium for the browser tests, PortAudio for the terminal drill,
# iproute2 to bring up loopback in the offline test's network namespace.
system-deps:
	@bash scripts/system-deps.sh

# Ruff first: a formatting slip or an unused import fails in seconds, before the slow tests.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

test: $(VENV)/.installed system-deps lint
	$(PY) -m pytest $(PYTEST_ARGS)

check: $(VENV)/.installed
	$(VENV)/bin/rehearse check

clean:
	rm -rf $(VENV) .pytest_cache
