package db_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/torghub/torg/db"
)

// TestPosition: a node's replication position is the TXID in LiteFS's
// "<db>-pos" file, as LiteFS writes it; no file (one machine, not on
// LiteFS) or one it could not have written means no position.
func TestPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "torg.db")
	s, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if txid, ok := s.Position(); ok {
		t.Fatalf("a position (%s) with no -pos file", txid)
	}
	for content, want := range map[string]db.TXID{
		"0000000000000002/95af056ca07d8ad1\n": 2, // LiteFS's own test (fuse/file_system_test.go)
		"00000000000003e8/0000000000000000\n": 1000,
		"ffffffffffffffff/95af056ca07d8ad1\n": 1<<64 - 1,
	} {
		writePos(t, path, content)
		if got, ok := s.Position(); !ok || got != want {
			t.Errorf("-pos %q: position %d, %v; want %d", content, got, ok, want)
		}
	}
	for _, content := range []string{"", "\n", "2/95af056ca07d8ad1\n", "0000000000000002\n", "000000000000000g/95af056ca07d8ad1\n", " 000000000000002/0\n"} {
		writePos(t, path, content)
		if got, ok := s.Position(); ok {
			t.Errorf("-pos %q: position %d, want none", content, got)
		}
	}
}

func writePos(t *testing.T, dbPath, content string) {
	t.Helper()
	if err := os.WriteFile(dbPath+db.PositionSuffix, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParseTXID: a TXID reads back as it is written (16 hex digits, as
// LiteFS and its proxy's cookie write it); anything else — a cookie is
// the client's to send — is an error.
func TestParseTXID(t *testing.T) {
	for _, txid := range []db.TXID{0, 1, 0x3e8, 1<<64 - 1} {
		if got, err := db.ParseTXID(txid.String()); err != nil || got != txid {
			t.Errorf("ParseTXID(%q) = %d, %v; want %d", txid.String(), got, err, txid)
		}
	}
	if got := db.TXID(0x3e8).String(); got != "00000000000003e8" {
		t.Errorf("TXID 1000 written %q, want 00000000000003e8", got)
	}
	for _, bad := range []string{"", "1", "3e8", "+0000000000003e8", "0x000000000003e8", "000000000000003e8", "00000000000003e8 ", "0000000000_003e8", "zzzzzzzzzzzzzzzz", "-000000000000001"} {
		if got, err := db.ParseTXID(bad); err == nil {
			t.Errorf("ParseTXID(%q) = %d, want an error", bad, got)
		}
	}
}
