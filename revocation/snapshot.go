package revocation

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"
)

// A snapshot of the session index lets Open skip reading every session
// entry back from Badger: it loads the index as it stood at Badger version
// V, then reads only the session entries Badger wrote after V (Badger skips
// the tables that hold nothing newer). User and global entries and the
// outbox are few and are always read from Badger.
//
// A snapshot is trusted only when everything checks: its checksum (a torn
// or damaged file), the store's own ID (a snapshot copied from another
// directory), and V at most Badger's highest version (a snapshot newer than
// the data it describes, as after a lost write-ahead log). Anything else is
// logged, the file removed, and the index read from Badger entry by entry,
// as without a snapshot. Since an untrusted snapshot is removed at the
// first Open that sees it, no snapshot outlives a divergence of Badger's
// history.
//
// Layout, little-endian: magic(8) version(8) storeID(16) seed0(8) seed1(8),
// then slots of fingerprint(8) until-seconds(4), then their count(8) and the
// CRC-32C of everything before it (4). The count comes last because shards
// are written one at a time while writers go on.
const (
	snapshotFile  = "index.snapshot"
	snapshotMagic = "SEALIDX1"
	snapshotHead  = 8 + 8 + 16 + 8 + 8
	snapshotTail  = 8 + 4
	snapshotSlot  = 12
)

var (
	metaStoreID = []byte{prefixMeta, 'i', 'd'}
	castagnoli  = crc32.MakeTable(crc32.Castagnoli)
)

// errSnapshot marks a snapshot that is not to be trusted.
var errSnapshot = errors.New("snapshot not usable")

// storeID returns the directory's random ID, recording one on first use.
func (s *Store) storeID() ([16]byte, error) {
	var id [16]byte
	err := s.db.Update(func(txn *badger.Txn) error {
		v, found, err := getValue(txn, metaStoreID)
		switch {
		case err != nil:
			return err
		case found && len(v) == len(id):
			copy(id[:], v)
			return nil
		case found:
			return fmt.Errorf("store ID of %d bytes, want %d", len(v), len(id))
		}
		if _, err := rand.Read(id[:]); err != nil {
			return err
		}
		return txn.Set(metaStoreID, id[:])
	})
	return id, err
}

// saveSnapshot writes the session index to the snapshot file, atomically
// (temp file, fsync, rename, fsync of the directory). Writers are paused
// only while Badger's version is read: every write committed by then is
// already in the index, and what is added while the index is written is
// read again from Badger at the next Open.
//
// A store that failed a write is not snapshotted: its index may lack what
// Badger holds.
func (s *Store) saveSnapshot() error {
	s.lifecycle.mu.Lock()
	failed := s.broken() || s.db.IsClosed()
	var version uint64
	if !failed {
		version = s.db.MaxVersion()
	}
	s.lifecycle.mu.Unlock()
	if failed || version == s.snap.saved.Load() {
		return nil // nothing to trust, or nothing written since the last one
	}
	if err := s.disk.roomFor(snapshotSize(s.index.sessions.len())); err != nil {
		return fmt.Errorf("revocation: snapshot: %w", err) // Badger's reserve comes first
	}
	path := filepath.Join(s.dir, snapshotFile)
	tmp, err := os.CreateTemp(s.dir, snapshotFile+".tmp*")
	if err != nil {
		return fmt.Errorf("revocation: snapshot: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := s.writeSnapshot(tmp, version); err != nil {
		tmp.Close()
		return fmt.Errorf("revocation: snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("revocation: snapshot: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("revocation: snapshot: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("revocation: snapshot: %w", err)
	}
	s.snap.saved.Store(version)
	return nil
}

// snapshotSize is about the size of a snapshot of n sessions, with room
// for those added while it is written.
func snapshotSize(n int) int64 {
	return int64(snapshotHead+snapshotTail+snapshotSlot*n)*9/8 + pageSize
}

func (s *Store) writeSnapshot(f *os.File, version uint64) error {
	h := crc32.New(castagnoli)
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	x := s.index.sessions
	head := make([]byte, 0, snapshotHead)
	head = append(head, snapshotMagic...)
	head = binary.LittleEndian.AppendUint64(head, version)
	head = append(head, s.snap.id[:]...)
	head = binary.LittleEndian.AppendUint64(head, x.seed0)
	head = binary.LittleEndian.AppendUint64(head, x.seed1)
	if _, err := w.Write(head); err != nil {
		return err
	}
	var n uint64
	var buf [snapshotSlot]byte
	for i := range x.shards {
		sh := &x.shards[i]
		sh.mu.RLock()
		for j := range sh.slots {
			sl := &sh.slots[j]
			if sl.fp() == 0 {
				continue
			}
			binary.LittleEndian.PutUint64(buf[:8], sl.fp())
			binary.LittleEndian.PutUint32(buf[8:], sl.until)
			if _, err := w.Write(buf[:]); err != nil {
				sh.mu.RUnlock()
				return err
			}
			n++
		}
		sh.mu.RUnlock()
	}
	if _, err := w.Write(binary.LittleEndian.AppendUint64(nil, n)); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := f.Write(binary.LittleEndian.AppendUint32(nil, h.Sum32())); err != nil {
		return err
	}
	return f.Sync()
}

// loadSnapshot loads the snapshot into a new session index and returns it
// with the Badger version it covers. Slots expired at now are dropped.
func (s *Store) loadSnapshot(now int64) (*sessionIndex, uint64, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, snapshotFile))
	if err != nil {
		return nil, 0, err
	}
	return decodeSnapshot(data, s.snap.id, s.db.MaxVersion(), now)
}

// decodeSnapshot decodes a snapshot of the store id whose Badger holds
// versions up to maxVersion.
func decodeSnapshot(data []byte, id [16]byte, maxVersion uint64, now int64) (*sessionIndex, uint64, error) {
	if len(data) < snapshotHead+snapshotTail || string(data[:8]) != snapshotMagic {
		return nil, 0, fmt.Errorf("%w: not a snapshot", errSnapshot)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, 0, fmt.Errorf("%w: checksum mismatch", errSnapshot)
	}
	version := binary.LittleEndian.Uint64(body[8:])
	if [16]byte(body[16:32]) != id {
		return nil, 0, fmt.Errorf("%w: made for another store", errSnapshot)
	}
	if version > maxVersion {
		return nil, 0, fmt.Errorf("%w: covers version %d, but the store holds only up to %d (writes were lost)", errSnapshot, version, maxVersion)
	}
	n := binary.LittleEndian.Uint64(body[len(body)-8:])
	slots := body[snapshotHead : len(body)-8]
	if uint64(len(slots)) != n*snapshotSlot {
		return nil, 0, fmt.Errorf("%w: %d bytes of slots for %d entries", errSnapshot, len(slots), n)
	}
	x := seededSessionIndex(binary.LittleEndian.Uint64(body[32:]), binary.LittleEndian.Uint64(body[40:]))
	x.reserve(int(n))
	cut := floorSeconds(now)
	for i := 0; i < len(slots); i += snapshotSlot {
		fp := binary.LittleEndian.Uint64(slots[i:])
		until := binary.LittleEndian.Uint32(slots[i+8:])
		if fp == 0 || until <= cut {
			continue
		}
		x.loadSlot(newSlot(fp, until)) // x is not shared yet
	}
	return x, version, nil
}

// syncDir fsyncs a directory, so a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
