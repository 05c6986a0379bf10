# receiptd: build with cgo (secp256k1 and blst are C), run on a small image
# as a non-root user with the data directory as a volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/receiptd ./cmd/receiptd

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data receiptd \
    && mkdir -p /data && chown receiptd /data
COPY --from=build /out/receiptd /usr/local/bin/receiptd
USER receiptd
VOLUME /data
EXPOSE 8080
ENV RECEIPTD_DATA=/data RECEIPTD_HTTP=0.0.0.0:8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["receiptd"]
CMD ["run"]
