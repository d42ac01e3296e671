# Build torg (cgo for SQLite) and run it on a small Debian image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /torg ./cmd/torg

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /torg /usr/local/bin/torg
EXPOSE 8080
ENTRYPOINT ["torg", "serve"]
