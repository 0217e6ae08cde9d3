package revocation

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecodeLogin feeds decodeLogin arbitrary keys and values (what a
// damaged directory could hold): an error or a login that encodes back to
// the same bytes, never a panic.
func FuzzDecodeLogin(f *testing.F) {
	l := Login{Session: [16]byte{1, 2, 3}, User: "alice", Created: time.Unix(0, 1_700_000_000_000_000_000), Device: "Firefox on Linux"}
	f.Add(loginKey(&l), loginValue(&l))
	l.Bound = true
	f.Add(loginKey(&l), loginValue(&l))
	f.Add([]byte{prefixLogin}, []byte{})
	f.Add(append([]byte{prefixLogin}, make([]byte, 16)...), make([]byte, 8))
	f.Add(append([]byte{prefixLogin}, make([]byte, 17)...), append(make([]byte, 8), 0x82))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		got, err := decodeLogin(key, val)
		if err != nil {
			return
		}
		if k := loginKey(&got); !bytes.Equal(k[1:], key[1:]) {
			t.Fatalf("key %x decoded and encoded again as %x", key, k)
		}
		if v := loginValue(&got); !bytes.Equal(v, val) {
			t.Fatalf("value %x decoded and encoded again as %x", val, v)
		}
	})
}
