# Sluice: `make run` and `make test` do all of their own set-up on a fresh
# Debian 12 machine (packages, build, a private MariaDB under var/).
BUILD ?= build
JOBS ?= 2

.PHONY: all deps build run up down test test-faults test-galera test-asan test-tsan fuzz bench bench-features images image-test clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/stack.sh run

up: build
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j 1 -LE 'faults|galera'

# Throughput, latency, RSS and CPU of a Release build beside the https200
# and mariadbDirect ceilings (bench/run.sh; bench/results/latest.{json,png}).
bench: deps
	bench/run.sh

# What webhook logging, transform scripts and a 1,000,000-record purge cost
# ingest, on a stack of its own (bench/features.sh; results in
# bench/results/features.json).
bench-features: build
	bench/features.sh

# Every component killed and restarted under load (tests/faults).
test-faults: build
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j 1 -L faults

# The end-to-end slice and a node killed under load on a 3-node MariaDB
# Galera cluster on loopback ports (tests/galera; Debian's galera-4).
test-galera: build
	@scripts/install-deps.sh galera-4 rsync
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j 1 -L galera

# The unit and end-to-end tests under sanitizers: with every service built
# under ASan + UBSan (any report fails the run), or every test binary under
# TSan against a regular build's services (Debian's gRPC and abseil are not
# TSan-instrumented; tests/tsan/ tells TSan about absl::Mutex).
test-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=address
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --timeout 600 -j 1 -LE 'faults|galera'

test-tsan: build
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=thread \
	  -DSLUICE_STACK_BUILD=$(CURDIR)/$(BUILD)
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan/tsan.supp" \
	  ctest --output-on-failure --timeout 600 -j 1 -LE 'faults|galera'

# Runs each fuzz target under libFuzzer (clang, ASan + UBSan) for
# FUZZ_SECONDS; new inputs go to build-fuzz/corpus/<target>, crashes to
# build-fuzz/. Copy inputs worth keeping into tests/fuzz/corpus/<name>.
FUZZ_SECONDS ?= 120
FUZZ_TARGETS ?= mapping admin_json parsers
fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DSLUICE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target $(addsuffix _fuzz,$(FUZZ_TARGETS))
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t && \
	  (cd build-fuzz && tests/$${t}_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 -rss_limit_mb=2048 corpus/$$t $(CURDIR)/tests/fuzz/corpus/$$t) || exit 1; \
	done

# Container images with buildah, without a registry or a Docker engine:
# local Debian 12 bases (debootstrap, cached in /var/cache/sluice), then
# every docker/Dockerfile target as localhost/sluice-* (scripts/images.sh).
images:
	@scripts/images.sh

# The end-to-end slice against those images, run by podman (MariaDB, the
# five services, the TLS front; scripts/image-test.sh) through ctest.
image-test:
	cmake -S tests/images -B build-images/ctest
	cd build-images/ctest && ctest --output-on-failure --verbose

clean:
	rm -rf $(BUILD)
