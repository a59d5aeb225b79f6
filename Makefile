# sohoa: make demo | make test | make bench
SHELL := /bin/bash
GO ?= go
BIN := bin/sohoa
# Tesseract's OpenMP threads slow a busy machine down: one thread per worker.
export OMP_THREAD_LIMIT := 1

.PHONY: all deps deps-services build demo test test-unit bench vet clean fuzz fuzz-run

all: build

deps:
	@scripts/deps.sh

deps-services:
	@scripts/deps.sh --services

build: deps
	$(GO) build -o $(BIN) ./cmd/sohoa

# The demo seals the package. Without a configured signing key (SOHOA_CONFIG or
# SOHOA_SEAL_KEYFILE) it makes DEVELOPMENT keys in out/keys first and uses them.
DEMO_KEYS := out/keys

demo: build
	@chmod -R u+w out/demo 2>/dev/null || true
	@rm -rf out/demo
	@if [ -z "$$SOHOA_CONFIG$$SOHOA_SEAL_KEYFILE" ] && [ ! -f $(DEMO_KEYS)/seal.key ]; then \
		$(BIN) keygen --out $(DEMO_KEYS) --org "Sở Nội vụ tỉnh Bắc Minh" >/dev/null && \
		echo "demo: made DEVELOPMENT signing keys in $(DEMO_KEYS) (not for production)"; fi
	@if [ -z "$$SOHOA_CONFIG$$SOHOA_SEAL_KEYFILE" ]; then \
		export SOHOA_SEAL_KEYFILE=$(DEMO_KEYS)/seal.key SOHOA_SEAL_CERTFILE=$(DEMO_KEYS)/seal.pem; fi; \
		$(BIN) process testdata/batch --out out/demo
	@echo
	@echo "Demo results: $(CURDIR)/out/demo/$$(ls out/demo)"
	@echo "  searchable PDF/A and text: out/demo/*/data/<mã hồ sơ>/"
	@echo "  untouched originals:       out/demo/*/data/originals/"
	@echo "  METS and PREMIS:           out/demo/*/metadata/METS.xml, metadata/preservation/premis.xml"
	@echo "  per-page report:           out/demo/*/metadata/batch.json"
	@echo "  check the sealed package:  $(BIN) verify out/demo/$$(ls out/demo) --ca $(DEMO_KEYS)/ca.pem"

vet:
	$(GO) vet ./...

test: deps-services
	$(GO) vet ./...
	scripts/with-services.sh $(GO) test -count=1 -timeout 45m ./...
	$(MAKE) --no-print-directory fuzz-run

# Fuzz targets, each for FUZZ_TIME: a few seconds in make test, longer in
# make fuzz (FUZZ_LONG, or make fuzz FUZZ_LONG=1h). Their corpora are committed
# under each package's testdata/fuzz/; go test runs those inputs as tests too.
# One line per target.
FUZZ_TIME ?= 5s
FUZZ_LONG ?= 5m
FUZZ = $(GO) test -run '^$$' -fuzztime $(FUZZ_TIME) -fuzz
fuzz-run:
	$(FUZZ) '^FuzzHeaders$$' ./pipeline/scan
	$(FUZZ) '^FuzzBatchSheet$$' ./pipeline
	$(FUZZ) '^FuzzManifest$$' ./pipeline/bag
	$(FUZZ) '^FuzzVerify$$' ./pipeline/seal

fuzz:
	$(MAKE) --no-print-directory fuzz-run FUZZ_TIME=$(FUZZ_LONG)

# Benchmarks run once each (-benchtime 1x): the page benchmarks take minutes.
bench: build deps-services
	scripts/with-services.sh $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./... | tee bench.out

clean:
	@chmod -R u+w out 2>/dev/null || true
	rm -rf bin out bench.out
