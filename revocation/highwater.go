package revocation

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	badger "github.com/dgraph-io/badger/v4"
)

// ErrCorrupt matches the error of Open for a directory that lost writes
// the store acknowledged (its log was damaged, or it was copied or rolled
// back incompletely) or whose files fail their checksums. Open refuses it
// rather than come up with fewer revocations than it confirmed: the
// directory must be restored from a backup, or moved aside to start empty
// (and refilled from the stream when replicating).
var ErrCorrupt = errors.New("revocation: store corrupt")

// Every transaction of the store also writes metaWritten (an empty value),
// so the key's version is that of the latest commit, and it survives
// compaction as the live version of a key that is never deleted. After
// each commit the store records that version in the high-water file; on
// Open, a log that ends before the recorded version has lost acknowledged
// writes. Badger itself truncates a damaged log at the first entry that
// fails its checksum and carries on without a word.
var metaWritten = []byte{prefixMeta, 'w'}

// highWaterFile, in the store's directory, holds the highest write
// version acknowledged: a magic, the version, a CRC-32C of both.
const highWaterFile = "SEALED-HIGHWATER"

var highWaterMagic = [4]byte{'s', 'h', 'w', '1'}

const highWaterLen = 4 + 8 + 4

// highWater is the open high-water file.
type highWater struct {
	mu   sync.Mutex
	f    *os.File
	ver  uint64 // the version recorded
	path string
}

// openHighWater opens (creating) dir's high-water file and reads it. found
// is false for a new (empty) file.
func openHighWater(dir string) (h *highWater, found bool, err error) {
	path := filepath.Join(dir, highWaterFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, false, err
	}
	h = &highWater{f: f, path: path}
	var buf [highWaterLen + 1]byte
	n, err := io.ReadFull(f, buf[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return h, false, nil
	case n != highWaterLen || !errors.Is(err, io.ErrUnexpectedEOF):
		f.Close()
		return nil, false, fmt.Errorf("%w: %s: %d bytes, want %d", ErrCorrupt, path, n, highWaterLen)
	}
	b := buf[:highWaterLen]
	if [4]byte(b[:4]) != highWaterMagic || crc32.Checksum(b[:12], castagnoli) != binary.BigEndian.Uint32(b[12:]) {
		f.Close()
		return nil, false, fmt.Errorf("%w: %s: not a high-water record, or damaged", ErrCorrupt, path)
	}
	h.ver = binary.BigEndian.Uint64(b[4:12])
	return h, true, nil
}

// writtenVersion returns the version of the latest commit: metaWritten's.
func writtenVersion(db *badger.DB) (uint64, error) {
	var v uint64
	err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaWritten)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err == nil {
			v = item.Version()
		}
		return err
	})
	return v, err
}

// check fails with ErrCorrupt if db ends before the recorded version.
func (h *highWater) check(db *badger.DB, dir string) error {
	v, err := writtenVersion(db)
	if err != nil {
		return fmt.Errorf("%w: %s: read the latest write: %v", ErrCorrupt, dir, err)
	}
	if v < h.ver {
		return fmt.Errorf("%w: %s: acknowledged writes are missing: its log ends at write version %d, but versions up to %d were acknowledged (%s); "+
			"the log was damaged, or the directory copied or restored incompletely; restore it from a backup, or move it aside to start empty",
			ErrCorrupt, dir, v, h.ver, highWaterFile)
	}
	return nil
}

// record records the version of the latest commit, synced, if it is above
// the one recorded. Concurrent writers share a record: the first one after
// their commits covers them all.
func (h *highWater) record(db *badger.DB) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, err := writtenVersion(db)
	if err != nil || v <= h.ver {
		return err
	}
	var b [highWaterLen]byte
	copy(b[:4], highWaterMagic[:])
	binary.BigEndian.PutUint64(b[4:12], v)
	binary.BigEndian.PutUint32(b[12:], crc32.Checksum(b[:12], castagnoli))
	if _, err := h.f.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("record high-water mark: %w", err)
	}
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("record high-water mark: %w", err)
	}
	h.ver = v
	return nil
}

func (h *highWater) close() error { return h.f.Close() }
