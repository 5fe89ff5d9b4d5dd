# The two commands that matter: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PYTHON311 ?= python3.11
APP_VENV := .venv
BOT_VENV := .venv-bot
APP_STAMP := $(APP_VENV)/.installed
BOT_STAMP := $(BOT_VENV)/.installed
# Both environments honour the pip configuration of the machine (mirrors, the torch CPU wheel on disk).
PIP_FLAGS := --disable-pip-version-check -q

.PHONY: help setup run test test-app test-bot validate bench lint clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(APP_STAMP) $(BOT_STAMP)  ## create both environments (idempotent; seconds when nothing changed)

$(APP_STAMP): pyproject.toml
	@echo "[setup] app environment (Python 3.11) in $(APP_VENV)"
	@$(PYTHON311) -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
	  || { echo "Python 3.11 is needed for the app (set PYTHON311=/path/to/python3.11)"; exit 1; }
	@test -x $(APP_VENV)/bin/python || $(PYTHON311) -m venv $(APP_VENV)
	@$(APP_VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	@$(APP_VENV)/bin/pip install $(PIP_FLAGS) -e '.[test]'
	@touch $@

$(BOT_STAMP): bot/requirements.txt
	@echo "[setup] bot environment (Python 3.10, Rasa 3.6.21) in $(BOT_VENV)"
	@py310=$$(scripts/find_python310.sh) || exit 1; \
	  test -x $(BOT_VENV)/bin/python || $$py310 -m venv $(BOT_VENV)
	@$(BOT_VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip wheel
	@$(BOT_VENV)/bin/pip install $(PIP_FLAGS) -r bot/requirements.txt
	@touch $@

run: setup  ## run the whole assistant (trains/builds only what changed), Ctrl-C stops it
	@$(APP_VENV)/bin/assistant-run

test: setup  ## run the whole test suite (app tests, then bot tests)
	@status=0; \
	$(APP_VENV)/bin/python -m pytest tests --ignore=tests/bot -q -p no:cacheprovider || status=1; \
	$(BOT_VENV)/bin/python -m pytest tests/bot -q -p no:cacheprovider || status=1; \
	exit $$status

validate: setup  ## check the Rasa training data and domain
	@PYTHONPATH=$(CURDIR) $(BOT_VENV)/bin/rasa data validate --config config.yml --domain bot/domain --data nlu_data

bench: setup  ## print search, NLU and Zalo benchmark figures
	@$(APP_VENV)/bin/python scripts/bench_search.py
	@$(APP_VENV)/bin/python scripts/eval_nlu.py
	@$(APP_VENV)/bin/python scripts/bench_zalo.py

clean:  ## remove generated data (models, indexes, databases), keep the environments
	rm -rf var
