# Digipolku: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test bench simulate faults lint format install system-packages schemas speech clean

# After the locked tree, the project itself (editable), for the `digipolku` command; then the
# whole checkout on the path, since the wheel leaves out the simulator, the bench and the local
# stack that the development commands use (decision 0036).
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -c 'import pathlib, sys, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "digipolku-checkout.pth").write_text(sys.argv[1] + "\n")' "$(CURDIR)"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# checkov (make test checks the rendered Kubernetes manifests with it) in a virtual environment
# of its own, inside .venv so that git, ruff and mypy pass it by as they do .venv: its pinned
# tree conflicts with requirements.lock (packaging).
CHECKOV_VENV  := $(VENV)/checkov
CHECKOV_LOCK  := deploy/kubernetes/checkov-requirements.lock
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(shell cat $(CHECKOV_LOCK) | cksum | cut -d' ' -f1)

$(CHECKOV_STAMP): $(CHECKOV_LOCK)
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q --no-deps -r $(CHECKOV_LOCK)
	rm -f $(CHECKOV_VENV)/.installed-*
	touch $@

system-packages:
	deploy/install_system_packages.sh espeak-ng opus-tools lame

# Lighthouse (issue 17: the client's pages on a throttled phone) from npm, pinned by its lock,
# with the machine's Node (Debian's nodejs, which brings npm); reinstalled when the lock changes.
LIGHTHOUSE_DIR   := tools/lighthouse
LIGHTHOUSE_STAMP := $(LIGHTHOUSE_DIR)/node_modules/.installed-$(shell cat $(LIGHTHOUSE_DIR)/package-lock.json | cksum | cut -d' ' -f1)

$(LIGHTHOUSE_STAMP): $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json
	command -v npm >/dev/null || deploy/install_system_packages.sh nodejs npm
	cd $(LIGHTHOUSE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	rm -f $(LIGHTHOUSE_DIR)/node_modules/.installed-*
	touch $@

## run: the whole system locally (PostgreSQL, Kafka broker, four services, demo data)
run: install system-packages speech
	$(BIN)/digipolku run

## test: lint, the contract checks, then every test (browser tests use Debian's Chromium)
test: install system-packages speech lint $(CHECKOV_STAMP) $(LIGHTHOUSE_STAMP)
	deploy/install_system_packages.sh chromium
	$(BIN)/digipolku contracts export --check
	$(BIN)/digipolku contracts compat
	$(BIN)/python -m pytest -m "not slow"

## simulate: a seeded population through the real services in compressed time, then its figures
SEED ?= 2026
CLIENTS_PER_GROUP ?= 8
simulate: install system-packages
	$(BIN)/digipolku simulate --seed $(SEED) --clients-per-group $(CLIENTS_PER_GROUP)

## faults: the long fault tests (marked slow, left out of `make test`), then the whole system
## under seeded traffic and faults and the checker (decision 0029)
DURATION ?= 1800
faults: install system-packages
	$(BIN)/python -m pytest -m slow
	$(BIN)/digipolku faults --seed $(SEED) --duration $(DURATION)

## bench: benchmarks that print ratios against baselines measured in the same run
bench: install system-packages $(LIGHTHOUSE_STAMP)
	$(BIN)/digipolku bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## schemas: export the event JSON Schemas into contracts/schemas
schemas: install
	$(BIN)/digipolku contracts export
	$(BIN)/python -m services.tasks.adapters.curriculum_files

## speech: the curriculum's texts read aloud, into .cache/speech (decision 0042; made files are kept)
speech: install system-packages
	$(BIN)/python -m services.tasks.adapters.speech_build

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts build digipolku.egg-info
