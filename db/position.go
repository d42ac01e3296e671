package db

// Read-your-writes on LiteFS (handlers/readyourwrites.go): LiteFS numbers
// the primary's transactions and keeps, beside each database in its
// mount, a file "<db>-pos" saying how far this node's copy has got: the
// last transaction's id (TXID) and the database's checksum after it, each
// 16 hex digits, "0000000000000002/95af056ca07d8ad1\n" (fuse/pos_node.go
// at v0.5.14). A replica whose TXID has reached the one the primary had
// after a client's write shows that client its write. No such file: not
// on LiteFS, one machine, where every read sees every write already.

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
)

// PositionSuffix ends the name of LiteFS's position file, beside the
// database: /litefs/torg.db-pos.
const PositionSuffix = "-pos"

// TXID is a LiteFS transaction id: how many transactions the primary had
// committed when this copy was made. It only grows, across failovers too
// (a new primary continues from its copy).
type TXID uint64

// txidDigits is how LiteFS writes a TXID: 16 hex digits (ltx.TXID.String).
const txidDigits = 16

// String writes the TXID as LiteFS does (and its proxy's cookie).
func (t TXID) String() string {
	s := strconv.FormatUint(uint64(t), 16)
	return strings.Repeat("0", txidDigits-len(s)) + s
}

// ParseTXID reads a TXID written as String writes it: exactly 16 hex
// digits. Anything else — it may come from a client's cookie — is an
// error, never a TXID that would hold a request back.
func ParseTXID(s string) (TXID, error) {
	if len(s) != txidDigits {
		return 0, errors.New("a TXID is 16 hex digits")
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, err
	}
	return TXID(v), nil
}

// Position is this node's replication position: the TXID of the last
// transaction in its copy of the database, read from LiteFS's position
// file now (LiteFS answers the read from memory: a FUSE round trip, no
// disk). ok is false when there is no position file — not on LiteFS — or
// it cannot be read or understood (LiteFS always writes it whole): then
// there is no position to follow, and read-your-writes is off.
func (s *Store) Position() (txid TXID, ok bool) {
	b, err := os.ReadFile(s.path + PositionSuffix)
	if err != nil {
		return 0, false
	}
	head, _, found := strings.Cut(string(b), "/")
	if txid, err = ParseTXID(head); !found || err != nil {
		return 0, false
	}
	return txid, true
}

// FollowReplication reads the replicated revision now, as the store's
// next watch would (Watch): a replica that has just caught up with a
// client's change serves it from the page cache and tells its screens at
// once, not up to a second later. Like a watch that saw the revision
// move, it wakes whoever waits on Committed.
func (s *Store) FollowReplication(ctx context.Context) error {
	moved, err := s.Refresh(ctx)
	if moved {
		s.notifyCommitted()
	}
	return err
}
