# syntax=docker/dockerfile:1

# BetterStack container image: one static binary on distroless.
#
#   docker build --build-arg VERSION=v1.2.3 -t betterstack .
#   docker run -p 8080:8080 -v betterstack-data:/data betterstack
#
# Ping (icmp) monitors: the image runs as nonroot, so a raw ICMP socket is
# refused; allow unprivileged ICMP sockets for the container's users with
#   docker run --sysctl net.ipv4.ping_group_range="0 2147483647" ...
# (Kubernetes: securityContext.sysctls, a "safe" sysctl). Without it, ping
# checks fail with class "permission" and a message naming this setting.
# Every other kind needs nothing extra.
#
# Every setting comes from BETTERSTACK_* environment variables (or a file
# mounted and passed with --config); see configs/betterstack.example.yaml.

# ---- build ------------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, so source edits do not re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: SQLite is github.com/ncruces/go-sqlite3 (pure Go), so the
# binary is fully static and runs on an image without a libc.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/betterstack/betterstack/cmd.version=${VERSION}" \
      -o /out/betterstack . \
 && mkdir -p /out/data

# ---- run --------------------------------------------------------------------
# gcr.io/distroless/static-debian12:nonroot rather than debian:bookworm-slim:
# a static binary needs no libc, and distroless static already carries what
# it does need -- ca-certificates (HTTPS checks and rediss:// / TLS to
# PostgreSQL), tzdata and a passwd entry for the nonroot user (65532) -- with
# no shell or package manager to patch or to exploit.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/betterstack /usr/local/bin/betterstack
# The image has no shell to mkdir/chown with, so the data directory is made
# in the build stage and copied owned by nonroot; a new named volume mounted
# at /data starts with this ownership and is writable.
COPY --from=build --chown=65532:65532 /out/data /data

USER nonroot:nonroot
ENV BETTERSTACK_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080

# No HEALTHCHECK: Docker runs it inside the container, and distroless has no
# shell or curl (betterstack has no probe subcommand either). Point the
# orchestrator at the HTTP endpoints every role serves instead:
#   GET /healthz  liveness (the process answers)
#   GET /readyz   readiness (database and Redis answer)
#   GET /metrics  Prometheus metrics
ENTRYPOINT ["betterstack"]
CMD ["serve", "--role=all"]
