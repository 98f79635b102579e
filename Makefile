# llmstack. `make run` starts the app, `make test` runs every test; both
# install what a fresh Debian/Ubuntu machine is missing first.

GO      ?= go
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml 2>/dev/null)
LDFLAGS := -X main.version=$(or $(VERSION),dev)

.PHONY: run serve build test deps clean

run: build ## build and start llmstack (ARGS="--config path" to pass flags)
	./bin/llmstack $(ARGS)

serve: build ## build and start the headless router
	./bin/llmstack serve $(ARGS)

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/llmstack .

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

deps:
	@./scripts/install-deps.sh

clean:
	rm -rf bin dist
