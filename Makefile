# Sluice: `make run` and `make test` do all of their own set-up on a fresh
# Debian 12 machine (packages, build, a private MariaDB under var/).
BUILD ?= build
JOBS ?= 2

.PHONY: all deps build run up down test bench fuzz clean

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
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j 1

clean:
	rm -rf $(BUILD)
