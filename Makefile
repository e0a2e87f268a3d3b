# Two commands set everything up on a fresh machine with Python 3.11+:
#   make demo   runs simulated calls end to end on embedded defaults
#   make test   lint, type-check and the whole test suite (what CI runs)
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
SESSIONS ?= 20

.PHONY: demo test lint typecheck pytest bench-quick uv sync

uv:
	@command -v uv >/dev/null 2>&1 || test -x "$(UV)" || python3 -m pip install --user --quiet uv || python3 -m pip install --user --quiet --break-system-packages uv

sync: uv
	$(UV) sync --frozen --all-extras

demo: sync
	$(UV) run signalroom demo --sessions $(SESSIONS)

lint: sync
	$(UV) run ruff check src tests examples
	$(UV) run ruff format --check src tests examples

typecheck: sync
	$(UV) run mypy --strict src

pytest: sync
	$(UV) run pytest

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
