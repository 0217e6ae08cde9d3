package sessions

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCodec: the payload codec alone, at the sizes of BenchmarkLoad
// (values of 100 bytes and a user ID). Decode decodes a payload and reads
// one string value, as a request does after the cookie opened; Encode is
// the reverse, a Set of one string and the encoding Save seals.
func BenchmarkCodec(b *testing.B) {
	for _, size := range []int{100, 1024, 2048} {
		p := &payload{userID: "user-1234", created: 1, saved: 2}
		for i := range size / 100 {
			tag, raw, err := encodeValue(strings.Repeat("v", 100))
			if err != nil {
				b.Fatal(err)
			}
			p.entries = append(p.entries, entry{key: fmt.Sprintf("key%02d", i), tag: tag, raw: raw})
		}
		enc := appendPayload(nil, p)
		b.Run(fmt.Sprintf("Decode/%dB", size), func(b *testing.B) {
			b.ReportAllocs()
			var got payload
			for b.Loop() {
				if err := decodePayload(enc, &got); err != nil {
					b.Fatal(err)
				}
				if v, ok := decodeAs[string](&got.entries[0]); !ok || len(v) != 100 {
					b.Fatal("no value")
				}
				got.entries = nil // a new session's, as each request's is
			}
		})
		b.Run(fmt.Sprintf("Encode/%dB", size), func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, p.size())
			val := strings.Repeat("w", 100)
			for b.Loop() {
				tag, raw, err := encodeValue(val)
				if err != nil {
					b.Fatal(err)
				}
				p.entries[0] = entry{key: p.entries[0].key, tag: tag, raw: raw}
				buf = appendPayload(buf[:0], p)
			}
		})
	}
}
