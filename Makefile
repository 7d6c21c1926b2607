# Sluice: the two commands of the README, and their helpers.
#   make demo   install what is needed, build, run the local demo
#   make test   install what is needed, build with ASan+UBSan, run every test
#   make deb    the Debian packages (sluice-server, sluice-agent, sluice-tools)
#               in $(DIST)/, checked with lintian
#   make test-packages  build, install, run, purge the packages (as root)
BUILD ?= build
RELEASE ?= build-release
FUZZ ?= build-fuzz
FUZZ_TIME ?= 60
FLEET_AGENTS ?= 10000
FLEET_UPDATES ?= 5000
FLEET_LIMIT ?= 10800
DIST ?= dist

.PHONY: all deps deb-deps build release test demo demo-debian bench bench-fleet format \
	format-check clean deb test-packages browser-deps fuzz

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

test: build browser-deps
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

# The web console's browser test (tests/e2e/console_browser.sh): Debian's
# chromium and playwright-core from npm, in tests/browser/node_modules.
browser-deps:
	@scripts/deps.sh chromium nodejs
	@command -v npm >/dev/null || scripts/deps.sh npm
	@[ -d tests/browser/node_modules/playwright-core ] || \
		(cd tests/browser && npm ci --no-audit --no-fund)

# libFuzzer (clang, ASan + UBSan): every harness of tests/fuzz for
# FUZZ_TIME seconds from its seeds; a crash is written to $(FUZZ)/crashes/
# and fails the target (move it to tests/fuzz/crashes/NAME/ with the fix:
# make test replays it from then on).
$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) --buildtype=debug -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dman=disabled

fuzz: deps $(FUZZ)/build.ninja
	tests/fuzz/run.sh $(FUZZ) $(FUZZ_TIME)

demo: release
	scripts/demo.sh $(RELEASE)

# The real Debian feed against this machine (needs the apt archive).
demo-debian: release
	scripts/demo-debian.sh $(RELEASE)

bench: release
	bench/run.sh $(RELEASE)

# Scenario 13 (bench/s10_fleet.sh) alone, at the size of the capacity goal:
# 10,000 computers onboarded against 5,000 approved updates (make bench
# runs it with 1,000). Its table on stdout. The onboarding is bound by the
# server's CPU (about 0.15 s per computer's first sync and report on the
# reference machine), so on 2 cores this takes about 20 to 40 minutes.
bench-fleet: release
	ONLY=s10_fleet AGENTS=$(FLEET_AGENTS) UPDATES=$(FLEET_UPDATES) \
		LIMIT=$(FLEET_LIMIT) bench/run.sh $(RELEASE)

deb-deps:
	@scripts/deps.sh debhelper lintian scdoc

# dpkg-buildpackage writes its results next to the source tree: build in a
# copy under $(DIST)/.build (the checkout stays clean) and keep the .deb,
# .buildinfo and .changes files in $(DIST)/.
deb: deb-deps
	rm -rf $(DIST)/.build
	mkdir -p $(DIST)/.build/sluice
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 tar -cf - | tar -xf - -C $(DIST)/.build/sluice
	cd $(DIST)/.build/sluice && dpkg-buildpackage -us -uc -b
	rm -f $(DIST)/*.deb $(DIST)/*.buildinfo $(DIST)/*.changes
	mv $(DIST)/.build/*.deb $(DIST)/.build/*.buildinfo \
		$(DIST)/.build/*.changes $(DIST)/
	rm -rf $(DIST)/.build
	lintian --fail-on error --info $(DIST)/*.changes

# Needs root; installs and purges the packages (systemd: systemd-analyze).
test-packages:
	@scripts/deps.sh debhelper lintian scdoc systemd
	tests/packages/run.sh $(DIST)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(RELEASE) $(DIST) $(FUZZ)
