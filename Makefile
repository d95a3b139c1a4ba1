# The two commands a newcomer needs: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint lock clean

$(STAMP): requirements.lock pyproject.toml
	@scripts/setup-venv $(VENV)
	@touch $(STAMP)

demo: $(STAMP)
	@scripts/demo

test: $(STAMP)
	@scripts/test

# Speed figures, each beside its baseline; on SQLite, then on a throwaway PostgreSQL.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.audit_benchmark
	scripts/with-postgres $(BIN)/python -m benchmarks.audit_benchmark
	$(BIN)/python -m benchmarks.seed_benchmark --residents 20000
	$(BIN)/python -m benchmarks.kite_benchmark
	scripts/with-postgres $(BIN)/python -m benchmarks.kite_benchmark
	$(BIN)/python -m benchmarks.policy_benchmark
	$(BIN)/python -m benchmarks.schedule_benchmark
	scripts/with-postgres $(BIN)/python -m benchmarks.report_benchmark

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.12 -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
