# ward: a thin wrapper around meson.  `make`, `make check`, `make demo`,
# `make install` (DESTDIR, PREFIX), `make format`.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
ASAN_BUILD ?= build-asan
PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all check check-unit check-asan check-integration check-format demo install \
	format bench clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug

# Everything CI runs: unit tests, unit tests under ASan+UBSan, the formatter
# check, and the integration suites (including the cgroup v2 QEMU tier).
# The last line is the total: "N passed, M failed".
check: all
	@rm -f $(BUILD)/junit-*.xml
	-$(MAKE) --no-print-directory check-unit
	-$(MAKE) --no-print-directory check-asan
	-$(MAKE) --no-print-directory check-format
	-$(MAKE) --no-print-directory check-integration
	@/usr/bin/python3 tools/summary.py $(BUILD)/meson-logs/testlog.junit.xml \
		$(ASAN_BUILD)/meson-logs/testlog.junit.xml $(BUILD)/junit-*.xml

check-unit: all
	meson test -C $(BUILD) --suite unit --print-errorlogs

check-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs

check-integration: all
	cd tests/integration && WARD_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -rs \
		--junitxml=$(abspath $(BUILD))/junit-integration.xml .

check-format:
	@/usr/bin/python3 tools/check-format.py $(abspath $(BUILD))/junit-format.xml

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')

demo: all
	WARD_BUILD=$(abspath $(BUILD)) scripts/demo-run.sh

bench: all
	bench/start.sh

install: all
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
