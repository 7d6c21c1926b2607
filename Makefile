# Sluice: the two commands of the README, and their helpers.
#   make demo   install what is needed, build, run the local demo
#   make test   install what is needed, build with ASan+UBSan, run every test
BUILD ?= build
RELEASE ?= build-release

.PHONY: all deps build release test demo bench format format-check clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debug -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(RELEASE)/build.ninja:
	meson setup $(RELEASE) --buildtype=release -Dwerror=true

release: deps $(RELEASE)/build.ninja
	ninja -C $(RELEASE)

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

demo: release
	scripts/demo.sh $(RELEASE)

bench: release
	bench/run.sh $(RELEASE)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(RELEASE)
