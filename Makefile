# Liandong developer targets. `make test` is what CI runs (.ci/run).
GO ?= go
PKGS := ./...

.PHONY: run test fmt-check vet bench bench-compare fuzz drill drill-smoke sockbench sockbench-smoke web basemap

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

# The key benchmarks on BASE and on the working tree, round by round, then
# benchstat's comparison (docs/BENCHMARKS.md, "Comparing against a base").
# BENCH, BENCH_PKGS, COUNT and BENCHTIME narrow or lengthen it.
bench-compare:
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<commit> [BENCH=regexp] [COUNT=6]"; exit 2; }
	./.ci/bench-compare $(BASE)

# A short pass of every fuzz target (Go runs one target per invocation).
FUZZTIME ?= 15s
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

# A drill against a server it starts itself (embedded Redis); the report
# lands in drill-report/. DRILL=yantai-typhoon|yantai-lockdown|yantai-earthquake.
DRILL ?= yantai-lockdown
DRILL_FLAGS ?=
drill:
	$(GO) run ./cmd/drill -scenario configs/drills/$(DRILL).yaml $(DRILL_FLAGS)

# The short drill CI runs: about 30 s, 500 responders, embedded Redis. It
# fails on any double booking, lost offer, over-staffed need or missing
# assignment.
drill-smoke:
	$(GO) run ./cmd/drill -scenario configs/drills/yantai-lockdown.yaml -responders 500 -duration 30s -out drill-report/smoke

# The socket benchmark (docs/BENCHMARKS.md, "Socket benchmarks"): a server of its own
# with a private redis-server, responder sockets spread over worker
# processes, 1,000 offers/s, then 50 consoles at 5,000 events/s. Not for CI:
# it takes the whole machine for about two minutes. SOCKBENCH_FLAGS e.g.
# "-responders 19500" (the most one process may hold there; see docs/BENCHMARKS.md).
SOCKBENCH_FLAGS ?=
sockbench:
	$(GO) run ./cmd/sockbench -out sockbench-report $(SOCKBENCH_FLAGS)

# A quick pass of the same (300 sockets, a few seconds a phase), to check
# that the harness and the server still agree.
sockbench-smoke:
	$(GO) run ./cmd/sockbench -responders 300 -consoles 5 -offer-rate 50 -offer-for 3s -event-rate 500 -event-for 3s -settle 3s -out sockbench-report/smoke

# Rebuild the console and responder pages (web/ui -> web/static, committed
# so that go build needs no Node). esbuild output is deterministic: CI
# rebuilds and fails on any difference.
web:
	cd web/ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && node build.mjs

# Regenerate the offline basemap (the Yantai coastline) from the
# OpenStreetMap-based npm package; only the clipped output is committed.
BASEMAP_PKG := @geo-maps/countries-coastline-1m@0.6.0
basemap:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent $(BASEMAP_PKG) >/dev/null) && \
	$(GO) run ./cmd/basemap -in "$$tmp"/*.tgz -source $(BASEMAP_PKG) -out web/static/basemap.geojson

# Curves of how cost grows (docs/BENCHMARKS.md, "How cost grows"): runs the
# index, matcher and socket benchmarks at several sizes and draws
# docs/bench/*.svg (cmd/benchcurves). COUNT runs a point (default 3),
# SIZES=full (default; about an hour on 2 busy cores) or small; CURVES
# picks some of nearby tick locate memory sockets. Not for CI.
.PHONY: curves
curves:
	./.ci/curves
