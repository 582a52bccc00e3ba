# Thin wrapper: CMake does the building, ctest the testing.
MAKEFLAGS += --no-print-directory
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DEV        ?= var/dev

.PHONY: all deps build build-asan test deb test-package faults bench run fuzz clean

all: build

deps:
	@scripts/deps.sh
	@scripts/npm-deps.sh ui tests/openapi-client

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DJD_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every test, then every test again under AddressSanitizer and UBSan; then the
# Debian packages, built, checked and installed into a fresh root (label package).
test: build build-asan
	cd $(BUILD) && ctest --output-on-failure -j 2 -LE package
	cd $(ASAN_BUILD) && ctest --output-on-failure -j 2 -LE package
	@$(MAKE) test-package

# The Debian packages jiandu and jiandu-dev in $(BUILD)/deb, lintian-checked.
deb: deps
	@JOBS=$(JOBS) scripts/deb.sh $(BUILD)

# The packages' test: contents, lintian, an install into a fresh Debian 12 root.
test-package: deb build
	cd $(BUILD) && ctest --output-on-failure -L package

# The fault suite at full length against the RelWithDebInfo build: the figures of
# docs/reliability.md (make test runs it shortened, as integration/t_faults).
faults: build
	JD_BUILD_DIR=$(abspath $(BUILD)) tests/faults/run.sh

# One benchmark, side by side (bench/bench.sh, docs/performance.md): nginx's static
# TLS ceiling, jiandud's reads and registrations, Redis alone running the same
# script, the statistics query at 1,000 and 100,000 leads, workers, floods: a
# table of ratios, in a few minutes.  Not part of make test.
bench: build
	@bench/bench.sh $(BUILD)

run: build
	@scripts/dev-instance.sh $(BUILD) $(DEV)
	@echo
	@echo "jiandud is starting in the foreground (Ctrl-C stops it). In another shell, try:"
	@echo "  $(BUILD)/jianductl -c $(DEV)/jianductl.conf status"
	@echo "  $(BUILD)/jianductl -c $(DEV)/jianductl.conf routes"
	@echo
	@exec $(BUILD)/jiandud -c $(DEV)/jiandud.conf

# libFuzzer targets (clang), FUZZ_SECONDS each.
FUZZ_SECONDS ?= 60
fuzz:
	@fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
