# evse2mqtt — every target installs the npm dependencies first if they are missing.
BIN     := node_modules/.bin
BUN     := $(BIN)/bun
DENO    := $(BIN)/deno
TSC     := $(BIN)/tsc
TARGETS := linux-x64 linux-x64-musl linux-arm64 linux-arm64-musl darwin-x64 darwin-arm64 windows-x64
CONFIG  ?= evse2mqtt.example.toml
VERSION  = $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' package.json)
# What a release tarball holds besides the binary.
PKG_FILES := README.md LICENSE evse2mqtt.example.toml contrib/systemd/evse2mqtt.service \
             contrib/openwrt/evse2mqtt.init contrib/docker/Dockerfile contrib/docker/compose.yaml \
             contrib/docker/mosquitto.conf
PKG_OUT ?= dist
# gzip's level for the tarballs (its default; the release test asks for 1 to spare the CPU).
GZIP_LEVEL ?= 6
# This machine as a Bun target name: linux-x64, linux-arm64-musl, darwin-arm64, …
HOST_PLATFORM = $(shell uname -s | tr A-Z a-z)-$(shell uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')$(shell ldd --version 2>&1 | grep -qi musl && echo -musl)
# Shell function: pack BINARY PLATFORM OUTDIR writes OUTDIR/evse2mqtt-<version>-PLATFORM.tar.gz
# with one top directory of that name (the binary as evse2mqtt or evse2mqtt.exe, PKG_FILES).
PACK = pack() { \
	  name=evse2mqtt-$(VERSION)-$$2; stage=$$(mktemp -d) && mkdir "$$stage/$$name" && \
	  cp "$$1" "$$stage/$$name/evse2mqtt$$(case $$2 in windows*) echo .exe;; esac)" && \
	  for f in $(PKG_FILES); do \
	    mkdir -p "$$stage/$$name/$$(dirname $$f)" && cp -p "$$f" "$$stage/$$name/$$f" || return 1; \
	  done && \
	  tar -cf "$$3/$$name.tar" --sort=name --owner=0 --group=0 --numeric-owner -C "$$stage" "$$name" && \
	  gzip -nf$(GZIP_LEVEL) "$$3/$$name.tar" && rm -rf "$$stage" && echo "packed $$3/$$name.tar.gz"; }

.PHONY: all deps run demo test test-hostile typecheck unit build dist package-host bench clean

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
# Six workers on two cores: most files wait on sockets, processes and timers, not on the CPU
# (the suite uses about half of two cores with four workers).
test: deps typecheck build
	$(BUN) test --timeout 60000 --parallel=6

## the hostile probes (floods, garbage, outages, secrets, switching bursts): one summary line each
test-hostile: deps build
	$(BUN) test ./hostile --timeout 120000

typecheck: deps
	$(TSC) -p .

# Bytecode (ESM, so main.ts may keep its top-level await) saves parsing at every start; split
# chunks keep what only some configurations need (embedded broker, simulators) out of the start.
# The JIT policy makes the JIT 64× more reluctant until the CLI has started (lib/runtime.ts sets the
# same from main.ts and resets it to 1): start-up code runs once and compiling it cost more CPU than it saved.
COMPILE := $(BUN) build --compile --minify --bytecode --format=esm --splitting --compile-jit-policy=64

## host binary
build: deps
	$(COMPILE) main.ts --outfile dist/evse2mqtt

## binaries and release tarballs for every platform, with SHA-256 sums of both
dist: deps
	@mkdir -p dist
	@$(PACK); for t in $(TARGETS); do \
	  ext=$$(case $$t in windows*) echo .exe;; esac); \
	  echo "building $$t"; \
	  $(COMPILE) --target=bun-$$t main.ts --outfile dist/evse2mqtt-$$t$$ext || exit 1; \
	  pack dist/evse2mqtt-$$t$$ext $$t dist || exit 1; \
	done
	cd dist && sha256sum $(foreach t,$(TARGETS),evse2mqtt-$(t)$(if $(findstring windows,$(t)),.exe) evse2mqtt-$(VERSION)-$(t).tar.gz) > SHA256SUMS && cat SHA256SUMS

## the release tarball for this machine only, into $(PKG_OUT) (default dist); HOST_BIN=<file>
## packs that binary (one `make build` made: the same flags) instead of compiling it again
package-host: deps
	@mkdir -p $(PKG_OUT)
	$(if $(HOST_BIN),cp $(HOST_BIN),$(COMPILE) main.ts --outfile) $(PKG_OUT)/evse2mqtt-$(HOST_PLATFORM)
	@$(PACK); pack $(PKG_OUT)/evse2mqtt-$(HOST_PLATFORM) $(HOST_PLATFORM) $(PKG_OUT)

## start-up, memory, throughput and latency for Bun and Deno (prints numbers; not a test)
bench: deps build
	$(BUN) bench/run.ts

clean:
	rm -rf dist
