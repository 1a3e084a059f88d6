# syntax=docker/dockerfile:1
# ecs-preflight as a container image, for GitLab CI, Jenkins and other container-based CI:
#   docker build -t ecs-preflight .
#   docker run --rm -v "$PWD:/work" ecs-preflight check deploy/
# Stage `build` makes a static binary on Alpine (musl: the Rust toolchain there links
# statically). The default image is distroless "static" (no shell, no package manager, CA
# certificates for --aws) running as its non-root user. GitLab CI runs a job's `script:` with a
# shell from the image, so `--target ci` builds the same image on distroless's debug variant,
# which adds a busybox shell (/busybox/sh, found by GitLab Runner).
# Build without the AWS SDK (faster, offline-only tool): --build-arg CARGO_FEATURES=--no-default-features

FROM rust:1.94-alpine AS build
# musl-dev: the C runtime to link against; build-base and cmake: the C parts of the AWS SDK's TLS.
# Not pinned: Alpine keeps only the current version of a package in each branch, so a pin would
# break the build at its next update; the Rust toolchain is pinned by the image tag.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev build-base cmake
WORKDIR /src
ARG CARGO_FEATURES=""
# The whole source tree (.dockerignore leaves out builds, virtualenvs and node_modules): the
# manifest names test and bench targets whose files must exist.
COPY . .
RUN cargo build --release --locked ${CARGO_FEATURES} \
    && cp target/release/ecs-preflight /ecs-preflight \
    && /ecs-preflight --version

FROM gcr.io/distroless/static-debian12:debug-nonroot AS ci
COPY --from=build /ecs-preflight /usr/local/bin/ecs-preflight
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["ecs-preflight"]
CMD ["check", "."]

# The default (last) stage.
FROM gcr.io/distroless/static-debian12:nonroot AS minimal
COPY --from=build /ecs-preflight /usr/local/bin/ecs-preflight
# distroless's `nonroot` user, numerically (Kubernetes' runAsNonRoot can only verify a number).
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["ecs-preflight"]
CMD ["check", "."]
