# Qadam: `make run` serves the demo, `make test` runs the whole test suite.
# Both create the virtual environment and install what they need themselves.

# Dependencies are installed from hashed lock files (pip-compile --generate-hashes, Python 3.11
# on Linux): exactly the versions CI tested and .ci/audit-deps audits. `make lock` rewrites them
# after a change to pyproject.toml (docs/security.md, CI).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/lock.txt
DEV_LOCK := requirements/dev-lock.txt
DEPS_HASH := $(shell cat pyproject.toml $(LOCK) $(DEV_LOCK) | sha1sum | cut -c1-12)
RUN_STAMP := $(VENV)/.run-$(DEPS_HASH)
DEV_STAMP := $(VENV)/.dev-$(DEPS_HASH)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrate seed worker beat clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locked set first (hash-checked), then Qadam itself without resolving anything more.
$(RUN_STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(DEV_STAMP): pyproject.toml $(DEV_LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

worker: $(RUN_STAMP)
	$(BIN)/celery -A config worker -l info

beat: $(RUN_STAMP)
	$(BIN)/celery -A config beat -l info

# Rewrite the lock files from pyproject.toml (needs PyPI; run with Python 3.11). Pins already in
# the files are kept unless pyproject.toml excludes them: LOCK_ARGS=--upgrade moves everything to
# the newest allowed versions, LOCK_ARGS="--upgrade-package django" one package.
LOCK_TOOLS := .venv-tools
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links --build-deps-for editable $(LOCK_ARGS)
lock:
	test -x $(LOCK_TOOLS)/bin/python || $(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet 'pip-tools>=7.4,<8'
	$(LOCK_TOOLS)/bin/pip-compile $(LOCK_FLAGS) --output-file $(LOCK) pyproject.toml
	$(LOCK_TOOLS)/bin/pip-compile $(LOCK_FLAGS) --extra dev --constraint $(LOCK) \
		--output-file $(DEV_LOCK) pyproject.toml

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) db.sqlite3 test_db.sqlite3 staticfiles media
