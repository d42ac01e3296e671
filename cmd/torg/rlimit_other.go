//go:build !unix

package main

import "log/slog"

// raiseFileLimit: no open-file limit to raise here; 0 is unknown.
func raiseFileLimit(*slog.Logger) uint64 { return 0 }
