# Two entry points for a fresh machine (see README):
#   make demo   — create .venv, install tlbench + every built-in plugin, run the main study on embedded data
#   make test   — create .venv, install the same, run the tests of the core and of every plugin
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/tlbench-*))
PIP_FLAGS ?= -q --disable-pip-version-check

.PHONY: install demo test bench-list clean

$(VENV)/.installed: pyproject.toml constraints.txt $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -c constraints.txt -e '.[data,test,ray]' $(foreach p,$(PLUGINS),-e $(p))
	touch $@

install: $(VENV)/.installed

# The main job: every built-in system on the embedded (offline) data, Rotten Tomatoes -> IMDB. compare shows
# progress only; report writes the files and prints each table once, then the verdict.
demo: install
	$(BIN)/tlbench compare tfidf-lr glove-cnn bert --source rotten-tomatoes --target imdb \
		--strategy target-only,fine-tune --fractions 0.05 --seeds 1 --max-test 1000 \
		-o bert.max_length=128 -o bert.epochs=2 --device auto --out tlbench-runs/demo --no-summary
	$(BIN)/tlbench report tlbench-runs/demo --format md,html

# One pytest run per suite: each plugin's tests are their own package's (same basenames, own conftest.py).
test: install
	@status=0; for suite in tests $(addsuffix /tests,$(PLUGINS)); do \
		echo "== $$suite"; $(BIN)/python -m pytest -q -p no:cacheprovider $$suite || status=1; \
	done; exit $$status

bench-list: install
	$(BIN)/python bench/bench_list_startup.py

clean:
	rm -rf $(VENV) tlbench-runs
