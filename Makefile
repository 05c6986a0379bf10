# receiptd's build. Every target works on a fresh machine with Go 1.26:
# `make test` installs what the tests need first (scripts/deps.sh).
GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1x
export CGO_ENABLED = 1

.PHONY: build test race deps vet fuzz bench lint clean docker

build:
	$(GO) build -o bin/receiptd ./cmd/receiptd

deps:
	./scripts/deps.sh

test: deps
	$(GO) vet ./...
	@# deps installs promtool (it must under CI=true); without it, as a
	@# non-root user, the alert checks are skipped with a notice.
	if command -v promtool >/dev/null 2>&1; then \
		promtool check rules deploy/alerts.yml && promtool test rules deploy/alerts_test.yml; \
	else echo "promtool missing: deploy/alerts.yml not checked"; fi
	$(GO) test ./...

# The race detector over the packages that run goroutines of their own
# (the devnet's driver and its readers, the follower, committer and
# challenger, the index's readers and writer, the server and its
# subscriptions, the sources' failover); -short leaves out the slow runs
# of the binary. About 2.5 minutes on 2 cores.
race: deps
	$(GO) test -race -short ./devnet/... ./verifier/... ./indexer/... ./graphql ./source/... ./httpserver/...

vet:
	$(GO) vet ./...

# Each fuzz target for FUZZTIME (CI runs a short pass).
fuzz: deps
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# Benchmarks print their figures; targets are ratios measured in one run.
bench: deps
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./...

STATICCHECK_VERSION ?= 2026.2.2

lint: vet
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck ./...

docker:
	docker build -t receiptd .

clean:
	rm -rf bin
