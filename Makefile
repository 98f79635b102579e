# llmstack. `make run` starts the app, `make test` runs every test; both
# install what a fresh Debian/Ubuntu machine is missing first.

GO      ?= go
LDFLAGS :=
ifeq ($(shell $(GO) env GOOS),windows)
# A tray app: no console window.
LDFLAGS += -H=windowsgui
EXE := .exe
endif

.PHONY: run serve build test fuzz deps clean package windows screenshots

run: build ## build and start llmstack (ARGS="--config path" to pass flags)
	./bin/llmstack $(ARGS)

serve: build ## build and start the headless router
	./bin/llmstack serve $(ARGS)

build: deps
	$(GO) build $(if $(LDFLAGS),-ldflags "$(LDFLAGS)") -o bin/llmstack$(EXE) .

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	cd bench && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# Each fuzz target for FUZZTIME; their seed corpora (testdata/fuzz/) also
# run in `make test`. A failing input is written to testdata/fuzz/ of its
# package: keep it there as a regression case.
FUZZTIME ?= 3m

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./tiers
	$(GO) test -run '^$$' -fuzz '^FuzzBuildRequest$$' -fuzztime $(FUZZTIME) ./server/bedrock
	$(GO) test -run '^$$' -fuzz '^FuzzToolInput$$' -fuzztime $(FUZZTIME) ./server/bedrock
	$(GO) test -run '^$$' -fuzz '^FuzzStream$$' -fuzztime $(FUZZTIME) ./server/openai
	$(GO) test -run '^$$' -fuzz '^FuzzAppendString$$' -fuzztime $(FUZZTIME) ./server/openai
	$(GO) test -run '^$$' -fuzz '^FuzzUnquote$$' -fuzztime $(FUZZTIME) ./server/openai

deps:
	@./scripts/install-deps.sh

package: deps ## the platform bundle (tar.xz, .app or .exe) in dist/
	./scripts/package.sh

clean:
	rm -rf bin dist

screenshots: deps ## the README's screenshots, from the running app under Xvfb
	./scripts/screenshots.sh

# The Windows .exe, cross-compiled with MinGW-w64 (Debian's
# gcc-mingw-w64-x86-64; CI installs it). Not part of `make test`.
windows:
	@./scripts/install-deps.sh gcc-mingw-w64-x86-64
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		$(GO) build -ldflags "-H=windowsgui" -o bin/llmstack.exe .

# Benchmarks
# The benchmark is its own Go module (bench/go.mod, with a replace of this
# one), so its plotting dependencies stay out of the product's go.mod;
# `make test` runs its tests too. `make bench` measures the router against
# a bare ReverseProxy floor (and Portkey when it is installed) and rewrites
# BENCHMARKS.md; `make bench-peers` installs Portkey first and requires it;
# `make bench-quick` is the under-a-minute everyday run. None of them is
# part of `make test`.
.PHONY: bench bench-quick bench-peers bench-bin

BENCH_FLAGS ?=

bench-bin: build
	$(GO) build -o bin/fakebedrock ./cmd/fakebedrock
	cd bench && $(GO) build -o ../bin/llmstack-bench ./cmd/llmstack-bench

bench: bench-bin
	./bin/llmstack-bench $(BENCH_FLAGS)

bench-quick: bench-bin
	./bin/llmstack-bench -quick $(BENCH_FLAGS)

bench-peers: bench-bin
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "bench-peers: Node.js and npm are needed to run the Portkey gateway; install them (e.g. apt-get install nodejs npm) or run make bench without the peer" >&2; exit 1; }
	cd bench/peers && npm ci --no-audit --no-fund --ignore-scripts
	./bin/llmstack-bench -peer on $(BENCH_FLAGS)

# The soak: `llmstack serve` for SOAK_DURATION at a fixed rate of mixed
# streaming, non-streaming, tool-loop and Messages requests against a fake
# Bedrock injecting throttling, 5xx and mid-stream failures, with models.ini
# rewritten every 10 s and a fallback tier. Every answer is checked honest;
# the router's RSS, threads and open files must stay flat. It rewrites
# RELIABILITY.md and bench/results/soak.json and fails on any dishonest or
# unexplained answer. `make soak SOAK_DURATION=1m` is a short run;
# SOAK_FLAGS passes more (-rate 50). Not part of `make test`.
.PHONY: soak

SOAK_DURATION ?= 10m
SOAK_FLAGS ?=

soak: bench-bin
	./bin/llmstack-bench soak -duration $(SOAK_DURATION) $(SOAK_FLAGS)

