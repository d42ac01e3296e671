# Build torg (cgo for SQLite) and run it on a small Debian image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /torg ./cmd/torg

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
# torg runs as the user torg, not root. It owns nothing in the image: the
# database is on the volume (/data), which docker-entrypoint.sh makes the
# user torg's at each start (Fly mounts it root's) before it drops to it.
RUN useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin torg
COPY --from=build /torg /usr/local/bin/torg
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
EXPOSE 8080
# No USER line: the entrypoint needs root for a moment to hand the volume
# over. Any command runs as torg: docker run IMAGE backup /data/b.db.
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]
