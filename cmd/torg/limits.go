package main

import (
	"errors"
	"strconv"
	"time"
)

// defaultWriteTimeout bounds writing an ordinary response, from the end of
// the request's headers: a page is a few kilobytes and the largest answer,
// a CSV export, well under a megabyte, so half a minute is room for the
// slowest phone; a client that never reads is let go after it.
const defaultWriteTimeout = 30 * time.Second

const (
	// fileReserve is the descriptors kept for everything but HTTP: the
	// database (nine connections with their WAL and shared-memory
	// files), the log, SMTP, DNS.
	fileReserve = 64
	// pageReserve is the connections kept for pages and health checks
	// when the screens are at their cap.
	pageReserve = 256
)

// connectionLimits divides the open-file limit nofile (0: unknown) between
// HTTP connections in all and the live screens among them: the screens
// get at most maxScreens, and never so many that pages and /healthz would
// find no connection left.
func connectionLimits(nofile uint64, maxScreens int) (conns, screens int) {
	if nofile == 0 || nofile > 1<<30 {
		nofile = 1 << 30
	}
	conns = max(int(nofile)-fileReserve, 16)
	reserve := min(pageReserve, conns/4)
	return conns, max(min(maxScreens, conns-reserve), 1)
}

// parseRateLimit reads --rate-limit: "on" (or empty) the default limits,
// "off" none, or a factor that scales them ("2": twice as many).
func parseRateLimit(v string) (scale float64, off bool, err error) {
	switch v {
	case "", "on":
		return 1, false, nil
	case "off":
		return 0, true, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= 1000) {
		return 0, false, errors.New(`--rate-limit: want "on", "off" or a factor such as 2 (TORG_RATE_LIMIT)`)
	}
	return f, false, nil
}
