# ward: a thin wrapper around meson.  `make`, `make check`, `make demo`,
# `make install` (DESTDIR, PREFIX), `make format`, `make fuzz`, `make bench`.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
PYTEST ?= /usr/bin/python3 -m pytest
FUZZERS = fuzz_seccomp_profile fuzz_run_options fuzz_config fuzz_oci_spec

.PHONY: all check check-unit check-asan check-integration check-format check-conformance \
	demo install format bench clean fuzz

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

# Everything CI runs: unit tests, unit tests under ASan+UBSan, the formatter
# check, the integration suites (including the cgroup v2 QEMU tier) and the
# OCI runtime-tools validation suite against ward-oci.
# Around it all, tools/hostguard.py checks that the machine's own network
# namespace did not change.  The last line is the total over every test case: "N passed, M failed".
check: all
	@rm -f $(BUILD)/junit-*.xml $(ASAN_BUILD)/junit-*.xml
	@/usr/bin/python3 tools/hostguard.py snapshot $(BUILD)/hostguard.json
	-@$(MAKE) --no-print-directory check-unit
	-@$(MAKE) --no-print-directory check-asan
	-@$(MAKE) --no-print-directory check-format
	-@$(MAKE) --no-print-directory check-integration
	-@$(MAKE) --no-print-directory check-conformance
	-@/usr/bin/python3 tools/hostguard.py compare $(BUILD)/hostguard.json \
		$(BUILD)/junit-hostguard.xml
	@/usr/bin/python3 tools/summary.py \
		--programs $(BUILD)/meson-logs/testlog.junit.xml \
		--programs $(ASAN_BUILD)/meson-logs/testlog.junit.xml \
		$(BUILD)/junit-*.xml $(ASAN_BUILD)/junit-*.xml

check-unit: all
	meson test -C $(BUILD) --suite unit --print-errorlogs

check-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs

check-integration: all
	cd tests/integration && WARD_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -rs \
		--junitxml=$(abspath $(BUILD))/junit-integration.xml .

# The OCI runtime-tools validation suite (built from Debian's source package,
# cached in /var/cache/ward-oci-suite or $$WARD_CONFORMANCE_CACHE) against
# ward-oci, in private namespaces; tests/conformance/expected-failures lists
# what may fail and why.  One test case per test binary.
check-conformance: all
	/usr/bin/python3 tests/conformance/run.py --runtime $(abspath $(BUILD))/src/cli/ward-oci \
		--junit $(abspath $(BUILD))/junit-conformance.xml

check-format:
	/usr/bin/python3 tools/check-format.py $(abspath $(BUILD))/junit-format.xml

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c')

# Each parser's fuzzer for FUZZ_SECONDS, from the seed corpus in tests/fuzz.
fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	@for f in $(FUZZERS); do \
		mkdir -p $(FUZZ_BUILD)/corpus-$$f; \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/tests/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
			$(FUZZ_BUILD)/corpus-$$f tests/fuzz/corpus-$$f 2>&1 | tail -1 || exit 1; \
	done

demo: all
	WARD_BUILD=$(abspath $(BUILD)) scripts/demo-run.sh

bench: all
	WARD=$(abspath $(BUILD))/src/cli/ward bench/start.sh
	WARD=$(abspath $(BUILD))/src/cli/ward bench/net-start.sh
	WARD=$(abspath $(BUILD))/src/cli/ward bench/fw-scale.py
	WARD=$(abspath $(BUILD))/src/cli/ward bench/throughput.py --reverse

install: $(BUILD)/build.ninja
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	ninja -C $(BUILD)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild --strip

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
