# asc-connector: every task a developer or CI needs. `make demo` and `make test` are the two
# commands a fresh machine needs; both install what is missing first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
NODE_MODULES := host/node_modules/.package-lock.json
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := key_parser planner shaper any_request write_body
# Without the address sanitizer (the crate forbids unsafe code) and without compare tracing: the
# planner ran ~1,300 executions/s with both, ~10,800/s without (RELIABILITY.md). Run with
# FUZZ_FLAGS= for the full instrumentation.
FUZZ_FLAGS ?= --sanitizer none --no-trace-compares

.PHONY: help setup setup-rust setup-node setup-browser pkg pkg-check demo test test-rust test-wasm test-fuzz-smoke \
        test-js lint fmt bench fuzz clean

help:
	@echo "make demo   - the full path on the embedded sandbox (no Apple account needed)"
	@echo "make test   - install what is missing, then run every test suite"
	@echo "make pkg    - rebuild pkg/ (the npm package generated from the crate)"
	@echo "make bench  - benchmarks (results in BENCHMARKS.md)"
	@echo "make fuzz   - run each fuzz target for FUZZ_SECONDS (default 600)"

setup: setup-rust setup-node setup-browser

# Debian's Chromium for the browser tests (playwright-core drives /usr/bin/chromium; it never
# downloads a browser of its own).
setup-browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# The wasm target and the wasm-bindgen CLI pinned to the crate's exact version (docs/API_NOTES.md#toolchain).
setup-rust:
	@rustup target list --installed | grep -q '^wasm32-unknown-unknown$$' || rustup target add wasm32-unknown-unknown
	@if ! wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$"; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (takes a few minutes once)"; \
	  cargo install wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)"; \
	fi

setup-node: $(NODE_MODULES)
$(NODE_MODULES): host/package.json host/package-lock.json
	cd host && npm ci --no-audit --no-fund
	@touch $@

pkg: setup-rust setup-node
	tools/build-pkg.sh pkg

# pkg/ is committed so JS users need no Rust toolchain; this fails when it no longer matches the crate.
pkg-check: setup-rust setup-node
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; tools/build-pkg.sh "$$tmp/pkg" >/dev/null; \
	if ! diff -r -q "$$tmp/pkg" pkg; then \
	  echo "pkg/ is stale: run 'make pkg' and commit the result" >&2; exit 1; fi; \
	echo "pkg/ is up to date"

demo: setup-node
	@test -f pkg/asc_connector_bg.wasm || $(MAKE) pkg
	node host/bin/asc-connector.js demo

APPLE_SPEC := spec/app-store-connect-openapi-4.4.1.json

# Formatting, lints (native, wasm, token-only, and each module's feature set) and the generated files (operation table, swagger).
lint: setup-node
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p asc-connector-scan --all-targets -- -D warnings
	cargo clippy --lib --no-default-features -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features fast-sign -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features any-request-only -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features triggers-only -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features gateway,inspect,fast-sign -- -D warnings
	cd fuzz && cargo fmt -- --check
	node tools/gen-operations.mjs "$(APPLE_SPEC)" --check
	node tools/gen-swagger.mjs --check

fmt:
	cargo fmt --all

test-rust:
	cargo test

# The exported JS surface, run as wasm in Node by wasm-bindgen-test-runner.
test-wasm: setup-rust
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	  cargo test --target wasm32-unknown-unknown --test wasm

test-fuzz-smoke:
	cd fuzz && cargo test --release

test-js: setup-node
	cd host && node --test --test-concurrency=1 test/

test: setup lint test-rust test-wasm pkg-check test-fuzz-smoke test-js
	@echo "all test suites passed"

bench: setup-node
	@test -f pkg/asc_connector_bg.wasm || $(MAKE) pkg
	cd host && node bench/run.mjs

# Each target runs FUZZ_SECONDS from the committed seeds plus the seeds it makes at run time (the
# key parser's throwaway keys), written to fuzz/corpus/ (ignored) with the new inputs it finds.
fuzz:
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz
	@mkdir -p .bench
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  cargo run --quiet --release --example generated_seeds -- $$t corpus/$$t; \
	  cargo +nightly fuzz run $(FUZZ_FLAGS) $$t corpus/$$t seeds/$$t -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    > ../.bench/fuzz-$$t.log 2>&1 || { tail -40 ../.bench/fuzz-$$t.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" ../.bench/fuzz-$$t.log | sed "s/^/$$t: /"; \
	done

clean:
	cargo clean
	rm -rf host/node_modules host/test-artifacts
