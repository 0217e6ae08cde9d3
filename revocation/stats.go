package revocation

import (
	"os"
	"path/filepath"
	"time"
)

// Stats describes the list.
type Stats struct {
	Sessions    int       `json:"sessions"`         // revoked session IDs in the index
	Users       int       `json:"users"`            // users with a cut-off
	All         time.Time `json:"all,omitzero"`     // global cut-off; zero (and left out of JSON) if none
	DiskBytes   int64     `json:"disk_bytes"`       // space used by Badger's LSM and value-log files
	LastGC      time.Time `json:"last_gc,omitzero"` // last housekeeping run; zero (and left out) if none yet
	OutboxDepth int       `json:"outbox_depth"`     // local events not yet acknowledged
	// OutboxOldest is when the oldest event still in the outbox was
	// queued, by the real clock; zero (and left out) if none.
	OutboxOldest time.Time `json:"outbox_oldest,omitzero"`
}

// Stats reports the list's size. It works on a closed store too (with
// DiskBytes from the directory). Whether the store accepts writes, and the
// free space, are Store.Disk's.
func (s *Store) Stats() Stats {
	return Stats{
		Sessions:     s.index.sessions.len(),
		Users:        s.index.users.len(),
		All:          fromNanos(s.index.all.Load()),
		DiskBytes:    diskBytes(s.dir),
		LastGC:       fromNanos(s.gc.last.Load()),
		OutboxDepth:  s.out.depth(),
		OutboxOldest: s.out.oldest(),
	}
}

// diskBytes sums the space taken by Badger's table and value-log files in
// dir (blocks allocated, where the platform says: value-log files are
// preallocated sparsely).
func diskBytes(dir string) int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, e := range ents {
		ext := filepath.Ext(e.Name())
		if ext != ".sst" && ext != ".vlog" {
			continue
		}
		if fi, err := e.Info(); err == nil {
			n += allocated(fi)
		}
	}
	return n
}
