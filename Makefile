# Two commands from a fresh clone: `make reproduce-<name>` and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
# uv from PATH, else the copy pip installs (`python3 -m uv`).
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen --no-sync
PROJECTS := $(notdir $(wildcard projects/*))

.PHONY: uv system-packages setup lint format test test-fast bench report reproduce reproduce-lerac-stress reproduce-cbm-ablations gpu-check gpu-wheels help

help:
	@echo "make test                  lint + every test (installs uv and the workspace first)"
	@echo "make reproduce-<name>      a project's reproduction -> results/<name>/ (OVERWRITE=1 to replace)"
	@echo "make reproduce             every project's reproduction"
	@echo "make bench                 every project's benchmark, one table"
	@echo "make report                results/*/results.json -> results/README.md"
	@echo "make gpu-check             tools/gpu_check.py (on a GPU machine, with its own PyTorch)"
	@echo "make gpu-wheels            the wheels gpu_check carries to a card without diffusers/peft"
	@echo "projects: $(PROJECTS)"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

# Debian packages: espeak-ng speaks deepfake_bench's bona fide audio; installed with apt when
# this runs as root, otherwise `make` says how (the tests that need it then fail under CI=true).
system-packages:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing espeak-ng (apt-get)"; \
	    apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null 2>&1 \
	      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null; }; \
	  else \
	    echo "espeak-ng is missing (deepfake_bench's audio track): sudo apt-get install espeak-ng"; \
	  fi; }

setup: uv system-packages
	$(UV) sync --all-packages --frozen --compile-bytecode

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: setup
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

test: lint
	CI=$${CI:-true} $(RUN) pytest

test-fast: setup
	CI=$${CI:-true} $(RUN) pytest -m "not slow"

bench: setup
	$(RUN) python tools/bench.py

report: setup
	$(RUN) python -c "from shared.results import collect_report; from shared.readme import update_readmes; print(collect_report()); print('READMEs updated:', [str(p) for p in update_readmes()])"

# Every reproduction, going on past one that fails or is not built yet, then naming those.
reproduce: setup
	@failed=""; for target in $(PROJECTS) lerac-stress cbm-ablations; do \
		$(MAKE) --no-print-directory reproduce-$$target || failed="$$failed $$target"; done; \
	if [ -n "$$failed" ]; then echo "not reproduced (see above):$$failed" >&2; exit 1; fi

# Reproductions run on one torch thread (shared.sweep's default: bit-for-bit repeatable CPU
# runs; results differ in the last digits with the thread count); override with REPRO_THREADS=N.

reproduce-lerac-stress: setup
	cd projects/lerac && $(RUN) python -m lerac.reproduce_stress

reproduce-cbm-ablations: setup
	cd projects/cbm && $(RUN) python -m cbm.reproduce_ablations

reproduce-%: setup
	@test -d projects/$* || { echo "error: no project projects/$* (have: $(PROJECTS))" >&2; exit 2; }
	cd projects/$* && $(RUN) python -m $*.reproduce

gpu-check:
	python3 tools/gpu_check.py

# The pure-Python wheels tools/gpu_check.py carries to a card whose stack lacks them, at the
# locked versions (carry `.gpu_wheels` to the device).
gpu-wheels: setup
	rm -rf .gpu_wheels && $(UV) run --frozen --no-sync --with pip python -m pip download --quiet \
	  --no-deps --only-binary :all: -d .gpu_wheels \
	  $$($(RUN) python -c "import diffusers, peft, accelerate; print(f'diffusers=={diffusers.__version__} peft=={peft.__version__} accelerate=={accelerate.__version__}')")
