# Liandong developer targets. `make test` is what CI runs (.ci/run).
GO ?= go
PKGS := ./...

.PHONY: run test fmt-check vet bench fuzz drill

run:
	$(GO) run ./cmd/liandong

test: fmt-check vet
	$(GO) test -race -count=1 $(PKGS)

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# Benchmarks that need a real redis-server start their own on a free port.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

# A short pass of every fuzz target (Go runs one target per invocation).
FUZZTIME ?= 15s
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

drill:
	@if [ ! -d cmd/drill ]; then echo "the drill harness (cmd/drill, issue 8) is not built yet"; exit 1; fi
	$(GO) run ./cmd/drill -scenario configs/drills/yantai-lockdown.yaml
