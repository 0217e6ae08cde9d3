package revocation

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
)

// validSnapshot builds a snapshot of ids for store id at version.
func validSnapshot(id [16]byte, version uint64, fps []uint64, until uint32) []byte {
	b := []byte(snapshotMagic)
	b = binary.LittleEndian.AppendUint64(b, version)
	b = append(b, id[:]...)
	b = binary.LittleEndian.AppendUint64(b, 1)
	b = binary.LittleEndian.AppendUint64(b, 2)
	for _, fp := range fps {
		b = binary.LittleEndian.AppendUint64(b, fp)
		b = binary.LittleEndian.AppendUint32(b, until)
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(len(fps)))
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// FuzzSnapshot feeds raw bytes to the snapshot decoder: it never panics,
// and accepts only a snapshot of this store, no newer than its data, whose
// entries all come back.
func FuzzSnapshot(f *testing.F) {
	id := [16]byte{1, 2, 3}
	f.Add(validSnapshot(id, 7, []uint64{5, 9, 1 << 40}, 2_000_000_000))
	f.Add(validSnapshot(id, 7, nil, 0))
	f.Add(validSnapshot(id, 99, []uint64{5}, 2_000_000_000))
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, version, err := decodeSnapshot(data, id, 50, 1e18)
		if err != nil {
			return
		}
		if version > 50 {
			t.Fatalf("accepted version %d above the store's 50", version)
		}
		n := binary.LittleEndian.Uint64(data[len(data)-snapshotTail:])
		if got := x.len(); uint64(got) > n {
			t.Fatalf("%d entries from a snapshot of %d", got, n)
		}
	})
}
