package db

import "database/sql"

// QueryRowForTest reads the database directly, for tests that check what
// is stored (a hash, never a password or an address).
func (s *Store) QueryRowForTest(query string, args ...any) *sql.Row {
	return s.read.QueryRow(query, args...)
}
