# One place for the commands the README gives. `make demo` and `make test` set up everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PROJECT ?= Libya news 2021
PACK   ?= rules/ar-news
# the seed article's gold tags ministries and councils: the ar-news profile that does too
PROFILE ?= institutions

.PHONY: install demo test test-fast lint check-rules chromium postgresql bench bench-dask bench-smoke hotspots startup doccano-up doccano-down clean

# The project's own virtual environment, with the exact versions in constraints.txt.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test,dask,build-rules]'
	touch $@

install: $(VENV)/.installed

# The main job on the embedded default: a local doccano on 127.0.0.1, the seed corpus
# pre-annotated with the ar-news pack, pushed for correction.
demo: install
	$(BIN)/annotator doccano up
	$(BIN)/annotator annotate seeds/ --rules $(PACK) --profile $(PROFILE) -o work/pre.jsonl
	$(BIN)/annotator push work/pre.jsonl --project "$(PROJECT)" --rules $(PACK)
	$(BIN)/annotator doccano status

# Headless Chromium for the web-UI test (Debian's package; Playwright downloads no browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v /usr/bin/chromium >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && (apt-get install -y -q chromium >/dev/null 2>&1 || \
	      (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) ; } || \
	  echo "chromium is not installed and cannot be installed here: the web-UI test will be skipped"

# Debian's PostgreSQL server binaries for the PostgreSQL doccano tests, which start their own
# throw-away cluster (initdb, pg_ctl) in a temporary folder; the package's own cluster is not used.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && (DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 || \
	      (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null)) ; } || \
	  echo "postgresql is not installed and cannot be installed here: the PostgreSQL doccano tests will be skipped"

lint: install
	$(BIN)/ruff check annotator tests $(wildcard bench)
	$(BIN)/ruff format --check annotator tests $(wildcard bench)

check-rules: install
	for pack in rules/*/pack.yaml; do $(BIN)/annotator rules check $$(dirname $$pack) || exit 1; done

# The whole suite: lint, every rule pack's own examples, unit and integration tests
# (the integration tests start the real local doccano themselves, or reuse a running one).
test: install chromium postgresql lint check-rules
	$(BIN)/pytest -q

# The quick round while working: lint, the rule packs' own examples, and every test that needs
# neither the real local doccano nor more than a few seconds (markers in pyproject.toml).
test-fast: install lint check-rules
	$(BIN)/pytest -q -m "not doccano and not slow"

bench: install
	$(BIN)/python bench/run.py

# annotate on 1, 2 and 4 Dask workers against --workers 1 and 2, and the overhead per partition
bench-dask: install
	$(BIN)/python bench/dask_bench.py

bench-smoke: install
	$(BIN)/python bench/run.py --smoke

# Where annotate's time goes (phase by phase, rule by rule) and the floor its library calls set.
hotspots: install
	$(BIN)/python bench/hotspots.py

# Start-up of annotate and rules check, cold and warm (the compiled-pack cache), against spaCy's import.
startup: install
	$(BIN)/python bench/startup.py

doccano-up: install
	$(BIN)/annotator doccano up

doccano-down: install
	$(BIN)/annotator doccano down

clean:
	rm -rf $(VENV) work .pytest_cache .ruff_cache
