# Vigil — the two commands a newcomer needs are `make run` and `make test`.
SWIFT_FLAGS := -Xswiftc -warnings-as-errors
SWIFT_FORMAT := swift format

.PHONY: run test build release bench fmt lint deps deps-test clean

run: deps release
	.build/release/vigil up

test: deps-test lint
	swift build --build-tests $(SWIFT_FLAGS)
	timeout 1800 swift test --skip-build $(SWIFT_FLAGS) --parallel --num-workers 2

build: deps
	swift build $(SWIFT_FLAGS)

release: deps
	swift build -c release $(SWIFT_FLAGS)

bench: release
	scripts/install-deps bench
	@for script in scripts/bench/*.sh; do echo; bash "$$script" || exit 1; done

fmt:
	$(SWIFT_FORMAT) format --in-place --recursive --parallel Package.swift Sources Tests

lint:
	$(SWIFT_FORMAT) lint --strict --recursive --parallel Package.swift Sources Tests

deps:
	scripts/install-deps run

deps-test:
	scripts/install-deps test

clean:
	rm -rf .build
