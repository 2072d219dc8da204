# AuthGate developer commands. `make help` lists them.
#
# `make test` is the whole suite (what CI runs): it installs what the tests
# need on a fresh Debian machine (Chromium, npm packages), then lints,
# checks the committed CSS, runs the Rust tests on SQLite and again (the
# integration tests) on a throwaway PostgreSQL cluster (.ci/postgres.sh
# installs Debian's postgresql when missing), an HTTP fuzz run of the JSON
# API against the release binary on both engines (.ci/fuzz.sh: schemathesis
# in a venv under ~/.cache/authgate), and the Playwright suite against it.

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/authgate
# Evaluated only by the targets that use them (dist, docker).
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
GIT_COMMIT = $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
HOST_TRIPLE = $(shell rustc -vV | sed -n 's/^host: //p')
DIST_NAME = authgate-$(VERSION)-$(HOST_TRIPLE)

.PHONY: bench bench-pg help run dev build release dist docker test deps lint fmt unit unit-pg fuzz pg pg-stop css css-check e2e clean

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

dist: build ## Package the release binary: dist/authgate-VERSION-TARGET.tar.gz and .sha256
	rm -rf dist/$(DIST_NAME) && mkdir -p dist/$(DIST_NAME)
	cp $(BIN) README.md LICENSE docker/authgate.service dist/$(DIST_NAME)/
	tar -C dist -czf dist/$(DIST_NAME).tar.gz $(DIST_NAME)
	cd dist && sha256sum $(DIST_NAME).tar.gz > $(DIST_NAME).tar.gz.sha256
	rm -rf dist/$(DIST_NAME)
	@echo "dist/$(DIST_NAME).tar.gz ($$($(BIN) --version))"

docker: ## Build the image authgate:VERSION from docker/Dockerfile (needs Docker with BuildKit)
	docker build -f docker/Dockerfile --build-arg VERSION=$(VERSION) \
		--build-arg GIT_COMMIT=$(GIT_COMMIT) -t authgate:$(VERSION) -t authgate:latest .

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

unit: ## Unit and integration tests on SQLite, the components crate included (cargo test --workspace)
	$(CARGO) test --locked --workspace

unit-pg: ## Integration tests on a throwaway PostgreSQL cluster, removed afterwards
	bash .ci/postgres.sh run $(CARGO) test --locked --test it

pg: ## Start (or find) a local PostgreSQL for development; prints its DATABASE_URL
	@bash .ci/postgres.sh start

pg-stop: ## Stop and delete the cluster `make pg` started
	@bash .ci/postgres.sh stop

fuzz: build ## HTTP fuzzing (schemathesis from PyPI) of the JSON API on SQLite and PostgreSQL: no 5xx
	bash .ci/fuzz.sh $(BIN)
	bash .ci/postgres.sh run bash .ci/fuzz.sh $(abspath $(BIN))

e2e: build ## Playwright end-to-end tests against the release binary
	AUTHGATE_BIN=$(abspath $(BIN)) npm run --silent e2e

test: deps lint css-check unit unit-pg fuzz e2e ## The whole suite (CI runs this)
	@echo "all checks passed"

bench: ## Load benchmark against the release server (prints a table, writes bench-results/latest.json)
	$(CARGO) build --release --locked --bins
	$(TARGET_DIR)/release/authgate-bench --bin $(BIN) $(BENCH_ARGS)

bench-pg: ## The benchmark on a throwaway PostgreSQL cluster with fsync and synchronous commit on
	$(CARGO) build --release --locked --bins
	AUTHGATE_PG_DURABLE=1 bash .ci/postgres.sh run sh -c '$(TARGET_DIR)/release/authgate-bench --bin $(BIN) --database-url "$$TEST_DATABASE_URL" --json bench-results/postgres.json $(BENCH_ARGS)'

clean: ## Remove build outputs
	$(CARGO) clean
	rm -rf e2e/test-results e2e/playwright-report e2e/artifacts dist
