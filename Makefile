# Two commands set everything up on a fresh machine with Python 3.11+:
#   make demo   runs simulated calls end to end on embedded defaults
#   make test   lint, type-check and the whole test suite (what CI runs); any failure fails it
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
SESSIONS ?= 20
# pytest-xdist workers: one per core by default. Tests of one module share a worker
# (--dist loadscope), so a module's server or fixture is started once.
WORKERS ?= auto
# SKIP_BROWSER=1 runs the suite without the headless-Chromium dashboard tests.
SKIP_BROWSER ?=
# Many tests start `signalroom` as a process: keep compiled bytecode between those starts (in a
# folder of its own, so the source tree stays clean), even where PYTHONDONTWRITEBYTECODE is set.
PYCACHE ?= $(CURDIR)/.cache/pycache

.PHONY: demo test lint typecheck pytest bench-quick uv sync chromium

uv:
	@command -v uv >/dev/null 2>&1 || test -x "$(UV)" || python3 -m pip install --user --quiet uv || python3 -m pip install --user --quiet --break-system-packages uv

sync: uv
	$(UV) sync --frozen --all-extras

demo: sync
	$(UV) run signalroom demo --sessions $(SESSIONS)

lint: sync
	$(UV) run ruff check src tests examples hatch_build.py
	$(UV) run ruff format --check src tests examples hatch_build.py

typecheck: sync
	$(UV) run mypy --strict src

pytest: sync chromium
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX="$(PYCACHE)" \
	  $(UV) run pytest -n $(WORKERS) --dist loadscope $(if $(SKIP_BROWSER),-m "not browser",)

# The dashboard's browser tests drive Debian's Chromium. Installed with apt-get where this user
# can (root, or sudo without a password); otherwise stop with the line to run.
chromium:
	@if [ -n "$(SKIP_BROWSER)" ]; then echo "SKIP_BROWSER=$(SKIP_BROWSER): not running the browser tests"; exit 0; fi; \
	if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else sudo="-"; fi; \
	if [ "$$sudo" != "-" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Chromium for the browser tests (apt-get install chromium)"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && exit 0; \
	fi; \
	echo "error: the browser tests need Chromium, which could not be installed here  (hint: sudo apt-get install chromium, or run make test SKIP_BROWSER=1)" >&2; \
	exit 1

bench-quick: sync
	$(UV) run signalroom bench --quick --json tests/artifacts/bench-quick.json

test: lint typecheck pytest bench-quick

# Dependency audit of the locked versions with pip-audit (not a CI gate). It needs a
# vulnerability database: AUDIT_SERVICE=pypi (PyPI's JSON API, default) or osv (api.osv.dev).
# When the database cannot be reached it says so and exits 2: nothing was audited then.
AUDIT_SERVICE ?= pypi
.PHONY: audit
audit: uv
	@tmp=$$(mktemp -d); \
	$(UV) export --frozen --all-extras --no-hashes --no-emit-project --format requirements-txt \
	  -o $$tmp/requirements.txt >/dev/null || exit 1; \
	total=$$(grep -cE '^[A-Za-z0-9]' $$tmp/requirements.txt); \
	$(UV) tool run pip-audit --requirement $$tmp/requirements.txt --no-deps --disable-pip \
	  --vulnerability-service $(AUDIT_SERVICE) --progress-spinner off >$$tmp/out 2>&1; rc=$$?; \
	skipped=$$(grep -c 'could not be audited' $$tmp/out); \
	if grep -qE 'ConnectionError|Failed to resolve|Max retries|timed out' $$tmp/out; then \
	  grep -E 'Error' $$tmp/out | tail -1; \
	  echo "audit: cannot reach the $(AUDIT_SERVICE) vulnerability database from this machine: nothing was audited"; \
	  rm -rf $$tmp; exit 2; \
	elif [ "$$skipped" -gt 0 ]; then \
	  echo "audit: the $(AUDIT_SERVICE) vulnerability database returned nothing for $$skipped of $$total dependencies (not reachable from this machine?): they were NOT audited; run where it is reachable, or with AUDIT_SERVICE=osv"; \
	  rm -rf $$tmp; exit 2; \
	fi; \
	grep -v '^WARNING:pip_audit' $$tmp/out; rm -rf $$tmp; \
	if [ $$rc -eq 0 ]; then echo "audit: $$total locked dependencies checked"; fi; \
	exit $$rc
