# The two commands of the README:
#   make serve   build the wasm package (release) and serve the page at http://127.0.0.1:8080
#   make test    every test: fmt, clippy, native tests, wasm tests in headless Chromium, browser e2e tests
# Both install what is missing first and skip what is already there, so a warm run is fast.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
# wasm-pack must use Debian's chromedriver; it cannot download one here.
export CHROMEDRIVER := /usr/bin/chromedriver
# Playwright drives Debian's Chromium; it must never try to download its own browsers.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
PKG := www/pkg
# binaryen's wasm-opt from npm (pinned in web/package.json): Debian's binaryen 108 corrupts the externref
# table that wasm-bindgen emits, and the page then fails to load.
WASM_OPT := web/node_modules/.bin/wasm-opt
# The WebAssembly features rustc's wasm32 target emits by default, so wasm-opt accepts them.
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
                 --enable-mutable-globals --enable-reference-types --enable-multivalue
PORT ?= 8080

.PHONY: serve test wasm bench bench-cluster bench-page setup-build setup-test apt-test rust-tools build-tools npm-deps clean

serve: setup-build wasm
	@echo
	@echo "Serving redis-ha-sim at http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	python3 -m http.server $(PORT) --bind 127.0.0.1 --directory www

test: setup-build setup-test
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	cd core && wasm-pack test --headless --chrome
	cd web && wasm-pack test --headless --chrome
	$(MAKE) --no-print-directory wasm
	cd tests/e2e && npx playwright test

# The page's package: release build by wasm-pack optimised for size (opt-level z: 11% smaller than s, and no
# slower in the page's benchmark), then shrunk by wasm-opt, which first merges functions that differ only in
# constants, as copies of one generic often do (4 KB less). The built-in scenarios are not in it: the page
# fetches them from one bundle, pkg/scenarios.json (the script also checks that the wasm does not embed them).
wasm:
	CARGO_PROFILE_RELEASE_OPT_LEVEL=z wasm-pack build web --release --target web --out-dir ../$(PKG) --no-pack
	$(WASM_OPT) --merge-similar-functions -Oz $(WASM_FEATURES) $(PKG)/redis_ha_sim_web_bg.wasm -o $(PKG)/redis_ha_sim_web_bg.wasm
	python3 web/bundle_scenarios.py core/scenarios/index.txt $(PKG)/scenarios.json $(PKG)/redis_ha_sim_web_bg.wasm
	@echo "wasm package: $$(stat -c %s $(PKG)/redis_ha_sim_web_bg.wasm) bytes, $$(gzip -9 -c $(PKG)/redis_ha_sim_web_bg.wasm | wc -c) gzipped"
	@echo "scenarios:    $$(stat -c %s $(PKG)/scenarios.json) bytes, $$(gzip -9 -c $(PKG)/scenarios.json | wc -c) gzipped"

bench:
	cargo bench -p redis-ha-sim --bench ping

# The page's performance budget in headless Chromium: first render, fps while playing, seek time.
bench-page: wasm setup-test
	cd tests/e2e && npx playwright test -c perf.config.js

# The 1000-node cluster, natively and under wasm (Node's V8). Slow: CLUSTER_VIRTUAL_MS sets the virtual time.
bench-cluster: wasm
	CLUSTER_VIRTUAL_MS=$${CLUSTER_VIRTUAL_MS:-10000} cargo bench -p redis-ha-sim --bench cluster
	node web/bench/cluster.mjs

# ---- installs: each step checks first ----

setup-build: rust-tools build-tools
setup-test: apt-test npm-deps

define apt_install
	@missing=""; for pair in $(1); do bin=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$bin >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

apt-test:
	$(call apt_install,chromium:chromium chromedriver:chromium-driver redis-server:redis-server redis-sentinel:redis-sentinel redis-cli:redis-tools)

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (the version in Cargo.lock)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; fi
	@command -v wasm-pack >/dev/null 2>&1 || cargo install wasm-pack

build-tools:
	@cd web && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

npm-deps:
	@cd tests/e2e && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

clean:
	cargo clean
	rm -rf $(PKG) web/node_modules tests/e2e/node_modules tests/e2e/results
