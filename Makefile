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

# The demo signs every PDF and seals the package. Without a configured signing
# key (SOHOA_CONFIG, SOHOA_SEAL_KEYFILE or SOHOA_SEAL_PKCS11_MODULE) it makes a
# DEVELOPMENT key first: on a SoftHSM2 token in out/token when SoftHSM2 is
# installed (the PKCS#11 path an agency's USB token takes), else in key files
# in out/keys.
DEMO_KEYS := out/keys
DEMO_TOKEN := out/token
SOFTHSM := /usr/lib/softhsm/libsofthsm2.so
DEMO_ORG := Sở Nội vụ tỉnh Bắc Minh
DEMO_ORG_ID := H49.64.33
# DEMO_BATCH is the id of testdata/batch.
DEMO_BATCH := demo-2025-001

demo: build
	@chmod -R u+w out/demo 2>/dev/null || true
	@rm -rf out/demo
	@if [ -n "$$SOHOA_CONFIG$$SOHOA_SEAL_KEYFILE$$SOHOA_SEAL_PKCS11_MODULE" ]; then \
		$(BIN) process testdata/batch --out out/demo; \
	elif [ -f $(SOFTHSM) ] && command -v softhsm2-util >/dev/null; then \
		if [ ! -f $(DEMO_TOKEN)/pin ] || [ ! -f $(DEMO_TOKEN)/trust.yaml ]; then rm -rf $(DEMO_TOKEN); \
			SOFTHSM2_CONF=$(CURDIR)/$(DEMO_TOKEN)/softhsm2.conf $(BIN) keygen --pkcs11 --out $(DEMO_TOKEN) --org "$(DEMO_ORG)" --org-id "$(DEMO_ORG_ID)" >/dev/null && \
			echo "demo: made a DEVELOPMENT key on a SoftHSM2 token in $(DEMO_TOKEN) (not for production)"; fi; \
		echo "demo: signing through PKCS#11 (SoftHSM2 token sohoa-dev)"; \
		SOFTHSM2_CONF=$(CURDIR)/$(DEMO_TOKEN)/softhsm2.conf SOHOA_SEAL_CAFILE=$(DEMO_TOKEN)/ca.pem \
		SOHOA_SEAL_PKCS11_MODULE=$(SOFTHSM) SOHOA_SEAL_PKCS11_TOKENLABEL=sohoa-dev \
		SOHOA_SEAL_PKCS11_KEYLABEL=sohoa-seal-dev SOHOA_SEAL_PKCS11_PINFILE=$(DEMO_TOKEN)/pin \
		$(BIN) process testdata/batch --out out/demo; \
	else \
		if [ ! -f $(DEMO_KEYS)/seal.key ] || [ ! -f $(DEMO_KEYS)/trust.yaml ]; then rm -rf $(DEMO_KEYS); \
			$(BIN) keygen --out $(DEMO_KEYS) --org "$(DEMO_ORG)" --org-id "$(DEMO_ORG_ID)" >/dev/null && \
			echo "demo: made DEVELOPMENT signing keys in $(DEMO_KEYS) (not for production; SoftHSM2 not installed)"; fi; \
		SOHOA_SEAL_KEYFILE=$(DEMO_KEYS)/seal.key SOHOA_SEAL_CERTFILE=$(DEMO_KEYS)/seal.pem SOHOA_SEAL_CAFILE=$(DEMO_KEYS)/ca.pem \
		$(BIN) process testdata/batch --out out/demo; \
	fi
	@echo
	@echo "Demo results: $(CURDIR)/out/demo/$(DEMO_BATCH)"
	@echo "  signed searchable PDF/A:   out/demo/$(DEMO_BATCH)/data/<mã hồ sơ>/ (pdfsig shows the signature)"
	@echo "  untouched originals:       out/demo/$(DEMO_BATCH)/data/originals/"
	@echo "  METS and PREMIS:           out/demo/$(DEMO_BATCH)/metadata/METS.xml, metadata/preservation/premis.xml"
	@echo "  per-page report:           out/demo/$(DEMO_BATCH)/metadata/batch.json"
	@echo "  AIP_hoso (one per hồ sơ):  out/demo/aip/$(DEMO_BATCH)/*.zip"
	@ca=$$(ls $(DEMO_TOKEN)/ca.pem $(DEMO_KEYS)/ca.pem 2>/dev/null | head -1); \
	trust=$$(ls $(DEMO_TOKEN)/trust.yaml $(DEMO_KEYS)/trust.yaml 2>/dev/null | head -1); \
	echo "  check the package and PDFs: $(BIN) verify out/demo/$(DEMO_BATCH) --ca $$ca --trust $$trust"; \
	if [ -z "$$SOHOA_CONFIG$$SOHOA_SEAL_KEYFILE$$SOHOA_SEAL_PKCS11_MODULE" ]; then \
		echo; echo "demo: verifying the package and its AIP_hoso with the development CA and trust file"; \
		$(BIN) verify out/demo/$(DEMO_BATCH) --ca $$ca --trust $$trust || exit 1; \
		for z in out/demo/aip/$(DEMO_BATCH)/*.zip; do $(BIN) verify $$z --ca $$ca --trust $$trust || exit 1; done; \
	fi

vet:
	$(GO) vet ./...

# The packages that run things concurrently (stores, queue, server, metrics)
# are tested under the race detector, at the same time as the others without it.
RACE_PKGS := ./storage/... ./pipeline/queue ./pipeline/server ./pipeline/metrics
RACE_SKIP := /storage(/|$$)|/pipeline/(queue|server|metrics)$$

test: deps-services
	$(GO) vet ./...
	scripts/with-services.sh bash -c '\
		$(GO) test -count=1 -race -timeout 45m $(RACE_PKGS) & race=$$!; \
		$(GO) test -count=1 -timeout 45m $$($(GO) list ./... | grep -Ev "$(RACE_SKIP)"); rest=$$?; \
		wait $$race; race=$$?; \
		[ $$rest -eq 0 ] && [ $$race -eq 0 ]'
	$(MAKE) --no-print-directory fuzz-run FUZZ_TIME=$(FUZZ_TEST_TIME)

# Fuzz targets (go test -fuzz), one line each in fuzz-run, their corpora in the
# packages' testdata/fuzz (go test runs those inputs as tests too):
# FUZZ_TEST_TIME each in "make test", FUZZ_TIME each in "make fuzz".
FUZZ_TIME ?= 5m
# make test counts executions, not seconds: with a duration, Go 1.26's fuzz
# coordinator can report "context deadline exceeded" as a failure when time
# runs out while a worker is busy on a loaded machine (golang/go#75804, fixed
# in Go 1.27); a count has no deadline to race. 2,000 runs take 1-9 s a target.
FUZZ_TEST_TIME ?= 2000x
FUZZ = $(GO) test -run '^$$' -fuzztime $(FUZZ_TIME) -fuzz

fuzz: deps
	$(MAKE) --no-print-directory fuzz-run

fuzz-run:
	$(FUZZ) '^FuzzUntar$$' ./pipeline/server
	$(FUZZ) '^FuzzHeaders$$' ./pipeline/scan
	$(FUZZ) '^FuzzBatchSheet$$' ./pipeline
	$(FUZZ) '^FuzzCatalogueCSV$$' ./pipeline/catalogue
	$(FUZZ) '^FuzzManifest$$' ./pipeline/bag
	$(FUZZ) '^FuzzVerify$$' ./pipeline/seal

# Benchmarks run once each (-benchtime 1x): the page benchmarks take minutes.
bench: build deps-services
	scripts/with-services.sh $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./... | tee bench.out

clean:
	@chmod -R u+w out 2>/dev/null || true
	rm -rf bin out bench.out
