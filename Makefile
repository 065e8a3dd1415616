# The two commands of the README: `make run` and `make test`. Both install what is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The multi-host test (network namespaces, root) runs in its own CI lane: `-m netns`.
PYTEST_ARGS ?= -m "not netns"

.PHONY: run test test-at lint bench deps deps-test clean

$(VENV)/.deps: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.deps-test: $(VENV)/.deps requirements-test.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

deps: $(VENV)/.deps
deps-test: $(VENV)/.deps-test

run: deps
	$(PY) -m bot.devtools.up

test: deps-test
	$(PY) -m pytest $(PYTEST_ARGS)

# The same suite on another day, every process on one shifted clock (scripts/at.py):
#   make test-at AT=2028-02-29T09:00+07:00     or     make test-at AT=+365d
test-at: deps-test
	@test -n "$(AT)" || { echo 'make test-at AT=<ISO instant with offset, or +365d>'; exit 2; }
	$(PY) scripts/at.py "$(AT)" -- $(PY) -m pytest $(PYTEST_ARGS)

lint: deps-test
	$(PY) -m ruff check .

bench: deps-test
	$(PY) -m bench

clean:
	rm -rf $(VENV) var instance .pytest_cache .hypothesis
