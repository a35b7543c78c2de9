# The two commands: `make demo` and `make test`. `make` alone builds build/yard.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
# CI turns warnings into errors.
ifneq ($(CI),)
CMAKE_FLAGS += -DYARD_WERROR=ON
endif
JOBS ?= $(shell nproc)

.PHONY: all setup configure build demo test unit integration screenshots bench format clean

all: build

setup:
	@scripts/setup

configure: setup
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) --target yard

demo: configure
	@cmake --build $(BUILD_DIR) --target yard
	@scripts/demo $(BUILD_DIR)/yard

test: configure
	@cmake --build $(BUILD_DIR)
	@ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error -j $(JOBS)

# Subsets, for the edit-compile-test loop.
unit: configure
	@cmake --build $(BUILD_DIR)
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -LE integration -j $(JOBS)

integration: configure
	@cmake --build $(BUILD_DIR)
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -L integration -j $(JOBS)

# The dashboard's browser test, then its screenshots copied to docs/screenshots/.
screenshots: configure
	@cmake --build $(BUILD_DIR) --target dashboard_browser_test
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -R '^DashboardBrowserTest\.'
	@scripts/update-screenshots $(BUILD_DIR)

bench: build
	@bench/api_latency $(BUILD_DIR)/yard

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
