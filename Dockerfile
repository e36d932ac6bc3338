# hookbench in a container: one static binary, every subcommand.
#
#   docker build -t hookbench \
#     --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg DATE=$(git log -1 --format=%cI) .
#   docker run --rm -p 8080:8080 hookbench sink --listen 0.0.0.0:8080 --public
#
# The build runs scripts/build-static.sh, the script CI runs too.

FROM docker.io/library/golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
ARG DATE=""
RUN VERSION="$VERSION" COMMIT="$COMMIT" DATE="$DATE" scripts/build-static.sh /out/hookbench \
 && /out/hookbench version

# distroless/static: CA certificates, /etc/passwd with a nonroot user
# (65532), tzdata; no shell, no libc.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hookbench /usr/local/bin/hookbench
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["hookbench"]
CMD ["--help"]
