# repro: the targets CI and people use. `make help` lists them.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
PKGS    := ./...

FUZZTIME ?= 30s

.PHONY: help build test race bench fuzz lint docs check demo demo-team example-sklearn interop clean

help: ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/repro
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/repro ./cmd/repro

test: ## run every test: unit, fuzz seeds, end-to-end scripts (Docker, registry, git, SQLite)
	$(GO) test -count=1 -timeout 30m $(PKGS)

race: ## the libraries' tests under the race detector (their walks, hashes and a run's capture are concurrent)
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v /cmd/)

bench: build ## time repro against its anchors (crane, coreutils) and run the Go benchmarks
	./scripts/bench.sh

fuzz: ## run every fuzzer for FUZZTIME (default 30s) each; failures land in testdata/fuzz as regression cases
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

lint: ## gofmt, go vet, and shellcheck on the project's own scripts
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>&1); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@if command -v shellcheck >/dev/null; then shellcheck scripts/*.sh .ci/run examples/*/run.sh; else echo "lint: shellcheck not installed, scripts not checked"; fi

docs: ## regenerate docs/cli, the command reference, from the commands' help (checked by the tests)
	REPRO_UPDATE=1 $(GO) test -count=1 -run '^TestDocs$$' ./cmd/repro

check: lint test race ## lint, every test (the docs check included), and the libraries' tests under the race detector

demo: build ## set up a local registry, build a trainer image, run it, list runs, print the re-run script
	./scripts/demo.sh

COSIGN_VERSION ?= v2.6.5

interop: ## install sigstore cosign $(COSIGN_VERSION) (go install: minutes, once) and check that it verifies repro's attestations
	@command -v cosign >/dev/null || PATH="$$($(GO) env GOPATH)/bin:$$PATH" command -v cosign >/dev/null || \
		{ echo "interop: installing cosign $(COSIGN_VERSION) with go install (minutes, once)"; $(GO) install github.com/sigstore/cosign/v2/cmd/cosign@$(COSIGN_VERSION); }
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" $(GO) test -count=1 -run '^TestScripts$$/^attest_registry$$' ./cmd/repro

demo-team: build ## a team's ledger in PostgreSQL: two machines (one offline, pushing later) into one ledger, then ls, lineage and verify across both
	./scripts/demo-team.sh

example-sklearn: build ## a real scikit-learn trainer on a Debian base made offline (debootstrap): build, run, re-run byte-identical
	./examples/sklearn/run.sh

clean: ## remove build output and the demo's and example's state (not the example's cached base)
	rm -rf bin demo demo-team example-sklearn
