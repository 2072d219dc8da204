# AuthGate developer commands. `make help` lists them.
#
# `make test` is the whole suite (what CI runs): it installs what the tests
# need on a fresh Debian machine (Chromium, npm packages), then lints,
# checks the committed CSS, runs the Rust tests on SQLite and again (the
# integration tests) on a throwaway PostgreSQL cluster (.ci/postgres.sh
# installs Debian's postgresql when missing), and the Playwright suite
# against the release binary.

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/authgate

.PHONY: bench help run dev build release test deps lint fmt unit unit-pg pg pg-stop css css-check e2e clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## Run the server on SQLite (./authgate.db) with defaults
	$(CARGO) run --release -- server

dev: ## Development server: Tailwind watcher + live reload (cargo-watch rebuilds if installed)
	@npm run --silent css:watch & \
	if command -v cargo-watch >/dev/null 2>&1; then \
		$(CARGO) watch -w src -w components -w migrations -x 'run -- server --dev'; \
	else \
		echo "tip: cargo install cargo-watch --locked to rebuild on Rust changes"; \
		$(CARGO) run -- server --dev; \
	fi

build: ## Build the release binary
	$(CARGO) build --release --locked

release: build ## Build the release binary and print its version
	$(BIN) --version

fmt: ## Format the code
	$(CARGO) fmt --all

deps: ## Install what the tests need: Debian chromium, npm packages
	bash e2e/install-deps.sh

lint: ## Check formatting and clippy (warnings are errors)
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

css: ## Rebuild assets/dist/app.css from the templates
	npm run --silent css

css-check: ## Fail if the committed CSS is stale
	npm run --silent css:check

unit: ## Unit and integration tests on SQLite (cargo test)
	$(CARGO) test --locked

unit-pg: ## Integration tests on a throwaway PostgreSQL cluster, removed afterwards
	bash .ci/postgres.sh run $(CARGO) test --locked --test it

pg: ## Start (or find) a local PostgreSQL for development; prints its DATABASE_URL
	@bash .ci/postgres.sh start

pg-stop: ## Stop and delete the cluster `make pg` started
	@bash .ci/postgres.sh stop

e2e: build ## Playwright end-to-end tests against the release binary
	AUTHGATE_BIN=$(abspath $(BIN)) npm run --silent e2e

test: deps lint css-check unit unit-pg e2e ## The whole suite (CI runs this)
	@echo "all checks passed"

bench: ## Load benchmark against the release server (prints a table, writes bench-results/latest.json)
	$(CARGO) build --release --locked --bins
	$(TARGET_DIR)/release/authgate-bench --bin $(BIN) $(BENCH_ARGS)

clean: ## Remove build outputs
	$(CARGO) clean
	rm -rf e2e/test-results e2e/playwright-report e2e/artifacts
