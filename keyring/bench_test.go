package keyring

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"
)

var benchSizes = []int{100, 1024, 2048}

func benchPlaintext(b *testing.B, n int) []byte {
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkSeal compares Keyring.Seal with bare securecookie Encode under
// the same derived keys (NopEncoder), in the same run.
func BenchmarkSeal(b *testing.B) {
	k, err := New(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	codec := k.keys[k.primary].m.codec
	for _, n := range benchSizes {
		p := benchPlaintext(b, n)
		b.Run(fmt.Sprintf("keyring/%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := k.Seal("session", p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("securecookie/%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			buf := make([]byte, n) // securecookie encrypts in place
			for b.Loop() {
				copy(buf, p)
				if _, err := codec.Encode("session", buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpen compares Keyring.Open with bare securecookie Decode under
// the same derived keys (NopEncoder), in the same run.
func BenchmarkOpen(b *testing.B) {
	k, err := New(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	codec := k.keys[k.primary].m.codec
	for _, n := range benchSizes {
		p := benchPlaintext(b, n)
		v, err := k.Seal("session", p)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, n)
		copy(buf, p)
		bare, err := codec.Encode("session", buf)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("keyring/%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				if _, err := k.Open("session", v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("securecookie/%dB", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for b.Loop() {
				var dst []byte
				if err := codec.Decode("session", bare, &dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenFifthKey opens, in a ring of five keys, a value sealed by
// the primary and one sealed by the key that sorts last: the key is found
// by ID, so both should cost the same.
func BenchmarkOpenFifthKey(b *testing.B) {
	now := time.Now()
	k, err := New(now)
	if err != nil {
		b.Fatal(err)
	}
	for range 4 {
		if k, _, err = k.Add(now); err != nil {
			b.Fatal(err)
		}
	}
	keys := k.Keys()
	last := keys[len(keys)-1]
	if last.ID == k.Primary().ID { // make the primary another key
		if k, err = k.Promote(keys[0].ID, now); err != nil {
			b.Fatal(err)
		}
	}
	sealer, err := k.Promote(last.ID, now)
	if err != nil {
		b.Fatal(err)
	}
	p := benchPlaintext(b, 1024)
	fifth, err := sealer.Seal("session", p)
	if err != nil {
		b.Fatal(err)
	}
	primary, err := k.Seal("session", p)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, v string }{{"primary", primary}, {"fifth", fifth}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				o, err := k.Open("session", c.v)
				if err != nil {
					b.Fatal(err)
				}
				if (c.name == "primary") != o.Primary {
					b.Fatalf("%s: Primary = %v", c.name, o.Primary)
				}
			}
		})
	}
}

// BenchmarkOpenReject measures refusing bad values, which attackers choose.
func BenchmarkOpenReject(b *testing.B) {
	k, err := New(time.Now())
	if err != nil {
		b.Fatal(err)
	}
	v, _ := k.Seal("session", make([]byte, 1024))
	tampered := v[:len(v)-6] + "AAAAAA"
	for _, c := range []struct{ name, v string }{
		{"unknown-key", "zzzzzzzz" + v[8:]},
		{"tampered", tampered},
		{"too-long", string(make([]byte, MaxValueLen+1))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Open("session", c.v); err == nil {
					b.Fatal("opened")
				}
			}
		})
	}
}
