package revocation

import (
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// CloseBadger closes the Badger database under s, as a disk failure or a
// crash of Badger would leave it, without closing s.
func CloseBadger(s *Store) error { return s.db.Close() }

// BulkLoad writes revoked session IDs straight to Badger with a WriteBatch
// (unsynced, fast) and indexes them: only for building large stores in
// benchmarks.
func BulkLoad(s *Store, ids [][16]byte, until time.Time) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	eff := entry{kind: KindSession, val: until.UnixNano(), exp: until.UnixNano()}
	for _, id := range ids {
		eff.key = append([]byte{prefixSession}, id[:]...)
		e := &badger.Entry{Key: eff.key, Value: be64(eff.val), ExpiresAt: uint64(until.Unix() + 1)}
		if err := wb.SetEntry(e); err != nil {
			return err
		}
		s.index.apply(eff)
	}
	return wb.Flush()
}

func be64(v int64) []byte {
	return []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// TableBytes is the memory of s's session table.
func TableBytes(s *Store) int {
	n, _ := s.index.sessions.tableBytes()
	return n
}

// DB returns the Badger database under s, for benchmarks that compare a
// plain Badger lookup with Revoked.
func DB(s *Store) *badger.DB { return s.db }

// SessionKey is the Badger key of a session entry.
func SessionKey(id [16]byte) []byte { return append([]byte{prefixSession}, id[:]...) }

// SaveSnapshot writes the index snapshot now, as housekeeping does.
func SaveSnapshot(s *Store) error { return s.saveSnapshot() }

// SnapshotVersion is the Badger version of the snapshot the store loaded
// or last wrote; 0 if none.
func SnapshotVersion(s *Store) uint64 { return s.snap.saved.Load() }

// SnapshotFile is the snapshot's name in the store's directory.
const SnapshotFile = snapshotFile

// LoginKeys counts the login registry's keys in Badger.
func LoginKeys(t testing.TB, s *Store) int {
	t.Helper()
	n := 0
	if err := s.eachLoginItem(func(*badger.Item) error { n++; return nil }); err != nil {
		t.Fatalf("count login keys: %v", err)
	}
	return n
}

// BulkLogins writes logins straight to Badger with a WriteBatch (unsynced,
// fast), for building large registries in benchmarks; reopen the store to
// load them.
func BulkLogins(s *Store, ls []Login) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for i := range ls {
		exp := ls[i].Created.Add(s.cfg.AbsoluteLifetime).Unix() + 1
		e := &badger.Entry{Key: loginKey(&ls[i]), Value: loginValue(&ls[i]), ExpiresAt: uint64(exp)}
		if err := wb.SetEntry(e); err != nil {
			return err
		}
	}
	return wb.Flush()
}

// PutRawLogin writes a login entry with the given key suffix and value
// straight to Badger, as a damaged directory or an older build could
// hold it.
func PutRawLogin(s *Store, suffix, val []byte) error {
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(append([]byte{prefixLogin}, suffix...), val)
	})
}
