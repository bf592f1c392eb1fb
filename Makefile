# bedtime-pod build and test entry points.
# Needs only python3 (with the venv module), make and node on a fresh machine.

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.stamp
BENCH_STAMP := $(VENV)/.stamp-bench
TYPINGS := build/mpy-typings
MPY_STUBS_VERSION := 1.29.0.post1
MPY_STUBS := micropython-esp32-stubs==$(MPY_STUBS_VERSION)
TYPINGS_STAMP := $(TYPINGS)/.stamp-$(MPY_STUBS_VERSION)
EMPTY_VENV := build/empty-venv
# pyright only accepts venvPath/venv if it finds lib/site-packages (or lib/python3.X/site-packages)
# inside; an empty folder alone makes it fall back to the python on PATH and its stdlib.
EMPTY_SITE := $(EMPTY_VENV)/lib/site-packages
WASM_DIR := build/mpy-wasm
WASM_PKG := @micropython/micropython-webassembly-pyscript
WASM_VERSION := 1.27.0
WASM_STAMP := $(WASM_DIR)/.stamp-$(WASM_VERSION)

export PYRIGHT_PYTHON_IGNORE_WARNINGS := 1

.PHONY: venv lint typecheck test sim bench bench-hr bench-hr-nights bench-link soak clean

venv: $(VENV_STAMP) $(TYPINGS_STAMP) $(EMPTY_SITE)

$(VENV_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# ESP32 stubs live in their own folder: installed into the venv they would put
# time.pyi, machine.pyi... on top of site-packages and confuse host code.
$(TYPINGS_STAMP): | $(VENV_STAMP)
	rm -rf $(TYPINGS)
	$(BIN)/pip install -q --target $(TYPINGS) $(MPY_STUBS)
	touch $@

# Empty "venv" for tools/pyright-firmware.json, so pyright does not fall back to
# CPython's stdlib and site-packages when checking firmware/.
$(EMPTY_SITE):
	mkdir -p $@

lint: $(VENV_STAMP)
	$(BIN)/ruff check .

# Two runs: firmware/ against the MicroPython ESP32 stubs, host code against CPython.
typecheck: venv
	@status=0; \
	echo "pyright: firmware (MicroPython ESP32 stubs)"; \
	$(BIN)/pyright -p tools/pyright-firmware.json || status=1; \
	echo "pyright: host code (CPython)"; \
	$(BIN)/pyright -p pyrightconfig.json || status=1; \
	exit $$status

# Runs every stage even if an earlier one fails; exits with pytest's status if it
# failed, otherwise 1 if lint or typecheck failed.
test: venv
	@status=0; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(MAKE) --no-print-directory typecheck || status=1; \
	$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -ne 0 ]; then exit $$rc; fi; \
	if [ $$status -ne 0 ]; then echo "make test: lint or typecheck failed" >&2; fi; \
	exit $$status

sim: venv
	$(BIN)/pod-sim night --plot night.png

bench: venv $(WASM_STAMP)
	$(BIN)/python -m simulator.bench

# The official WebAssembly MicroPython (32-bit, as the ESP32), for the heap figures at the
# pod's word size in `make bench` (simulator/bench_mpy32.py); never needed by `make test`.
$(WASM_STAMP):
	rm -rf $(WASM_DIR)
	mkdir -p $(WASM_DIR)
	cd $(WASM_DIR) && npm install --no-save --no-audit --no-fund --prefix . $(WASM_PKG)@$(WASM_VERSION)
	touch $@

# The reference libraries (neurokit2, heartpy) are installed here only, never for `make test`.
$(BENCH_STAMP): pyproject.toml | $(VENV_STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	touch $@

bench-hr: venv $(BENCH_STAMP)
	$(BIN)/python -m simulator.bench_hr

# False no-signal alarms over 100 simulated nights of a sleeper who stays in contact, with the
# worst realistic signals; the firmware before issue #15 and now (4-13 min each on 2 cores).
bench-hr-nights: venv
	@mkdir -p build
	$(BIN)/python -m simulator.hrnights --nights 100 --jobs 2 --out build/bench-hr-nights.json

# Serial-link round trips through `pod-sim serve` in real time (writes build/bench-link.json).
bench-link: venv
	$(BIN)/python -m host_tools.bench_link

# The deep property soak on every core (pytest-xdist, one share of the examples per core), its
# margins and coverage merged into build/soak-report.md and .json (simulator/soakreport.py).
# Failures are kept in hypothesis's example database and replayed by `make test`.
soak: venv
	@mkdir -p build; rm -rf build/soak; n=$$(nproc); start=$$($(BIN)/python -c 'import time; print(time.time())'); \
	HYPOTHESIS_PROFILE=deep POD_SOAK_DIR=build/soak POD_SOAK_SHARDS=$$n \
		$(BIN)/python -m pytest -q -p no:cacheprovider -n $$n -k test_soak_shard tests/test_property_failsafe.py; rc=$$?; \
	$(BIN)/python -m simulator.soakreport build/soak --since $$start || rc=1; \
	echo "make soak: the household's deep property suites (not in the report above)"; \
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_household_property.py tests/test_family_property.py || rc=1; \
	exit $$rc

clean:
	rm -rf $(VENV) build night.png .pytest_cache .ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.mpy' -type f -delete
