//go:build unix

package main

import (
	"log/slog"
	"syscall"
)

// raiseFileLimit raises the soft open-file limit to the hard one, as far
// as this process may, and returns the limit in force (0: unknown). Every
// screen holds a descriptor; distributions start processes at a soft 1,024
// though the hard limit is often a thousand times that.
func raiseFileLimit(log *slog.Logger) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("read the open-file limit", "err", err)
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			log.Warn("raise the open-file limit", "err", err, "soft", lim.Cur, "hard", lim.Max)
			return uint64(lim.Cur)
		}
		lim = raised
	}
	return uint64(lim.Cur)
}
