# evse2mqtt — every target installs the npm dependencies first if they are missing.
BIN     := node_modules/.bin
BUN     := $(BIN)/bun
DENO    := $(BIN)/deno
TSC     := $(BIN)/tsc
TARGETS := linux-x64 linux-x64-musl linux-arm64 linux-arm64-musl darwin-x64 darwin-arm64 windows-x64
CONFIG  ?= evse2mqtt.example.toml

.PHONY: all deps run demo test test-hostile typecheck unit build dist bench clean

all: build

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

deps: node_modules/.installed

## run the bridge with the example config (embedded broker on 1883, Dehne on 9091)
run: deps
	$(BUN) main.ts run -c $(CONFIG)

## embedded broker + simulated chargers of every protocol
demo: deps
	$(BUN) main.ts --demo

## type-check, unit + end-to-end tests (Bun, Deno and the compiled binary against real Mosquitto)
test: deps typecheck build
	$(BUN) test --timeout 60000 --parallel=4

## the hostile probes (floods, garbage, outages, secrets, switching bursts): one summary line each
test-hostile: deps build
	$(BUN) test ./hostile --timeout 120000

typecheck: deps
	$(TSC) -p .

# Bytecode (ESM, so main.ts may keep its top-level await) saves parsing at every start; split
# chunks keep what only some configurations need (embedded broker, simulators) out of the start.
COMPILE := $(BUN) build --compile --minify --bytecode --format=esm --splitting

## host binary
build: deps
	$(COMPILE) main.ts --outfile dist/evse2mqtt

## binaries for every platform, with SHA-256 sums
dist: deps
	@mkdir -p dist
	@for t in $(TARGETS); do \
	  ext=$$(case $$t in windows*) echo .exe;; esac); \
	  echo "building $$t"; \
	  $(COMPILE) --target=bun-$$t main.ts --outfile dist/evse2mqtt-$$t$$ext || exit 1; \
	done
	cd dist && sha256sum evse2mqtt-* > SHA256SUMS && cat SHA256SUMS

## start-up, memory, throughput and latency for Bun and Deno (prints numbers; not a test)
bench: deps build
	$(BUN) bench/run.ts

clean:
	rm -rf dist
