# sohoa: make demo | make test | make bench
SHELL := /bin/bash
GO ?= go
BIN := bin/sohoa
# Tesseract's OpenMP threads slow a busy machine down: one thread per worker.
export OMP_THREAD_LIMIT := 1

.PHONY: all deps deps-services build demo test test-unit bench vet clean

all: build

deps:
	@scripts/deps.sh

deps-services:
	@scripts/deps.sh --services

build: deps
	$(GO) build -o $(BIN) ./cmd/sohoa

demo: build
	@rm -rf out/demo
	$(BIN) process testdata/batch --out out/demo
	@echo
	@echo "Demo results: $(CURDIR)/out/demo/$$(ls out/demo)"
	@echo "  searchable PDF/A and text: out/demo/*/data/<mã hồ sơ>/"
	@echo "  untouched originals:       out/demo/*/data/originals/"
	@echo "  per-page report:           out/demo/*/metadata/batch.json"
	@echo "  check the bag:             $(BIN) verify-bag out/demo/$$(ls out/demo)"

vet:
	$(GO) vet ./...

test: deps-services
	$(GO) vet ./...
	scripts/with-services.sh $(GO) test -count=1 -timeout 45m ./...

# Benchmarks run once each (-benchtime 1x): the page benchmarks take minutes.
bench: build deps-services
	scripts/with-services.sh $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./... | tee bench.out

clean:
	rm -rf bin out bench.out
