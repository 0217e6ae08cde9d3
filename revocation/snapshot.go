package revocation

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
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

// snapshotChunk is how much of a snapshot is read at a time: whole slots,
// about 768 KiB, so the file is never held in memory at once.
const snapshotChunk = snapshotSlot << 16

// loadedSnapshot is a snapshot read into a new session index, not yet
// checked against the store (see check).
type loadedSnapshot struct {
	x       *sessionIndex
	version uint64
	id      [16]byte
}

// preloadSnapshot starts reading the snapshot in dir into a new session
// index while Badger opens (both take hundreds of milliseconds at 10M
// entries, on different cores); the channel yields it once read. Slots
// expired at now are dropped. Whatever it yields is checked against the
// store (check) before it is used, and closed if it is not.
func preloadSnapshot(dir string, now int64) <-chan snapshotResult {
	ch := make(chan snapshotResult, 1)
	go func() {
		snap, err := readSnapshotFile(filepath.Join(dir, snapshotFile), now)
		ch <- snapshotResult{snap, err}
	}()
	return ch
}

type snapshotResult struct {
	snap loadedSnapshot
	err  error
}

// discard releases the index of a snapshot that will not be used.
func (r snapshotResult) discard() {
	if r.err == nil {
		r.snap.x.close()
	}
}

func readSnapshotFile(path string, now int64) (loadedSnapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return loadedSnapshot{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return loadedSnapshot{}, err
	}
	return readSnapshot(f, fi.Size(), now)
}

// check returns an error wrapping errSnapshot unless the snapshot belongs
// to the store id whose Badger holds versions up to maxVersion.
func (l loadedSnapshot) check(id [16]byte, maxVersion uint64) error {
	if l.id != id {
		return fmt.Errorf("%w: made for another store", errSnapshot)
	}
	if l.version > maxVersion {
		return fmt.Errorf("%w: covers version %d, but the store holds only up to %d (writes were lost)", errSnapshot, l.version, maxVersion)
	}
	return nil
}

// decodeSnapshot decodes a snapshot of the store id whose Badger holds
// versions up to maxVersion.
func decodeSnapshot(data []byte, id [16]byte, maxVersion uint64, now int64) (*sessionIndex, uint64, error) {
	l, err := readSnapshot(bytes.NewReader(data), int64(len(data)), now)
	if err != nil {
		return nil, 0, err
	}
	if err := l.check(id, maxVersion); err != nil {
		l.x.close()
		return nil, 0, err
	}
	return l.x, l.version, nil
}

// readSnapshot reads a snapshot of size bytes from r, a chunk at a time,
// into a new session index, checking its layout and checksum; on an error
// the index is closed. The index is filled before the checksum is known to
// match, but no one sees it until it does.
func readSnapshot(r io.Reader, size, now int64) (loadedSnapshot, error) {
	if size < snapshotHead+snapshotTail || (size-snapshotHead-snapshotTail)%snapshotSlot != 0 {
		return loadedSnapshot{}, fmt.Errorf("%w: not a snapshot (%d bytes)", errSnapshot, size)
	}
	h := crc32.New(castagnoli)
	head := make([]byte, snapshotHead)
	if _, err := io.ReadFull(r, head); err != nil {
		return loadedSnapshot{}, readError(err)
	}
	if string(head[:8]) != snapshotMagic {
		return loadedSnapshot{}, fmt.Errorf("%w: not a snapshot", errSnapshot)
	}
	h.Write(head)
	l := loadedSnapshot{version: binary.LittleEndian.Uint64(head[8:]), id: [16]byte(head[16:32])}
	l.x = seededSessionIndex(binary.LittleEndian.Uint64(head[32:]), binary.LittleEndian.Uint64(head[40:]))
	n := (size - snapshotHead - snapshotTail) / snapshotSlot
	if err := l.fill(r, h, n, floorSeconds(now)); err != nil {
		l.x.close()
		return loadedSnapshot{}, err
	}
	return l, nil
}

// fill reads n slots and the tail into l's index, dropping slots expired
// at cut.
func (l loadedSnapshot) fill(r io.Reader, h hash.Hash32, n int64, cut uint32) error {
	l.x.reserve(int(n))
	buf := make([]byte, min(snapshotChunk, max(n*snapshotSlot, snapshotTail)))
	for left := n * snapshotSlot; left > 0; {
		chunk := buf[:min(int64(len(buf)), left)]
		if _, err := io.ReadFull(r, chunk); err != nil {
			return readError(err)
		}
		h.Write(chunk)
		left -= int64(len(chunk))
		for i := 0; i < len(chunk); i += snapshotSlot {
			fp := binary.LittleEndian.Uint64(chunk[i:])
			until := binary.LittleEndian.Uint32(chunk[i+8:])
			if fp != 0 && until > cut {
				l.x.loadSlot(newSlot(fp, until)) // x is not shared yet
			}
		}
	}
	tail := buf[:snapshotTail]
	if _, err := io.ReadFull(r, tail); err != nil {
		return readError(err)
	}
	h.Write(tail[:8])
	if h.Sum32() != binary.LittleEndian.Uint32(tail[8:]) {
		return fmt.Errorf("%w: checksum mismatch", errSnapshot)
	}
	if count := binary.LittleEndian.Uint64(tail); count != uint64(n) {
		return fmt.Errorf("%w: %d bytes of slots for %d entries", errSnapshot, n*snapshotSlot, count)
	}
	return nil
}

// readError marks a snapshot shorter than its size said (torn while
// read) as untrusted; other read errors stay as they are.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %v", errSnapshot, err)
	}
	return err
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
