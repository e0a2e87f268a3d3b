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
