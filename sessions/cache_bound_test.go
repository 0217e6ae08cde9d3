package sessions

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sealedsessions/sealed/keyring"
)

// The cache never holds more entries or bytes than it was given, and the
// newest entries are the ones kept.
func TestVerifiedCacheBounds(t *testing.T) {
	for _, tc := range []struct {
		name           string
		entries, bytes int
		valueLen       int
	}{
		{"by entries", 64, 1 << 20, 100},
		{"by bytes", 10_000, 16 * 2000, 900},
		{"value larger than a shard", 64, 16 * 100, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newVerifiedCache(tc.entries, tc.bytes)
			kr := &keyring.Keyring{}
			p := payload{entries: []entry{{key: "k", raw: strings.Repeat("x", 50)}}}
			var last string
			for i := range 5000 {
				last = fmt.Sprintf("%0*d", tc.valueLen, i)
				c.put(kr, last, keyring.Opened{KeyID: "a"}, &p)
			}
			n, b := 0, 0
			for i := range c.shards {
				sh := &c.shards[i]
				n += len(sh.m)
				b += sh.bytes
				if sh.bytes > sh.maxBytes {
					t.Errorf("shard %d holds %d bytes, over %d", i, sh.bytes, sh.maxBytes)
				}
				sum := 0
				for _, e := range sh.m {
					sum += e.size
				}
				if sum != sh.bytes {
					t.Errorf("shard %d counts %d bytes, holds %d", i, sh.bytes, sum)
				}
			}
			if n > tc.entries {
				t.Errorf("%d entries, over %d", n, tc.entries)
			}
			if b > tc.bytes {
				t.Errorf("%d bytes, over %d", b, tc.bytes)
			}
			fits := len(last)+p.size() <= tc.bytes/cacheShards
			var got payload
			if _, ok := c.get(kr, last, &got); ok != fits {
				t.Errorf("newest value cached: %v, want %v", ok, fits)
			}
		})
	}
}
