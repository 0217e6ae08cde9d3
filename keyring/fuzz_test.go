package keyring

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen feeds Open attacker-controlled values: it must never panic,
// every failure must match exactly one reason, and anything that opens
// must be a (name, plaintext) pair the test itself sealed (no forgery).
// The check is on the pair rather than the exact value because the fuzzing
// engine runs the seeds in worker processes, where this function's seals
// (random IVs) come out different; all processes share fixedRing's keys.
func FuzzOpen(f *testing.F) {
	k := fixedRing(f).WithMaxAge(0)
	type sealed struct{ name, plaintext string }
	made := map[sealed]bool{}
	seal := func(name, p string) string {
		v, err := k.Seal(name, []byte(p))
		if err != nil {
			f.Fatal(err)
		}
		made[sealed{name, p}] = true
		return v
	}
	enabled, err := k.Promote("zzzz2222", fixedTime)
	if err != nil {
		f.Fatal(err)
	}
	sealEnabled := func(name, p string) string {
		v, err := enabled.Seal(name, []byte(p))
		if err != nil {
			f.Fatal(err)
		}
		made[sealed{name, p}] = true
		return v
	}
	values := []string{
		seal("session", "hello"),
		seal("session", ""),
		seal("s", `{"user":"ann","cart":[1,2,3]}`),
		seal("session", strings.Repeat("x", 2000)),
		sealEnabled("session", "under an enabled key"),
	}
	if old, err := os.ReadFile(filepath.Join("testdata", "sealed-v1.txt")); err == nil {
		v := string(bytes.TrimSpace(old))
		made[sealed{"session", "hello"}] = true
		values = append(values, v)
	}
	for _, v := range values {
		f.Add("session", v)
		f.Add("other", v)
		id, tok, _ := strings.Cut(v, ".")
		f.Add("session", v[:len(v)/2])
		f.Add("session", v[:len(v)-4])
		f.Add("session", "aaaa7777."+tok)
		f.Add("session", "nosuchid."+tok)
		f.Add("session", id+".")
		f.Add("session", "."+tok)
		b := []byte(v)
		b[len(b)/2] ^= 1
		f.Add("session", string(b))
		b = []byte(v)
		b[len(id)+3] ^= 4
		f.Add("session", string(b))
		f.Add("session", v+v)
		f.Add("session", v+strings.Repeat("A", MaxValueLen))
	}
	f.Add("", "")
	f.Add("session", ".")
	f.Add("session", "mfrggzdf.AAAA")
	f.Add("session", "mfrggzdf.MTc5NTcxODE4M3x8")
	f.Add("session", strings.Repeat("\xff", MaxValueLen+1))

	reasons := []error{ErrMalformed, ErrUnknownKey, ErrTampered, ErrWrongName, ErrExpired, ErrTooLong}
	f.Fuzz(func(t *testing.T, name, value string) {
		o, err := k.Open(name, value)
		if err != nil {
			n := 0
			for _, r := range reasons {
				if errors.Is(err, r) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("Open error %v matches %d reasons, want 1", err, n)
			}
			if o.Plaintext != nil || o.KeyID != "" {
				t.Fatalf("failed Open returned data: %+v", o)
			}
			return
		}
		if !made[sealed{name, string(o.Plaintext)}] || !strings.HasPrefix(value, o.KeyID+".") {
			t.Fatalf("forgery accepted: Open(%q, %q) = %q under %s", name, value, o.Plaintext, o.KeyID)
		}
		if len(value) > MaxValueLen {
			t.Fatalf("value of %d bytes opened", len(value))
		}
	})
}

// FuzzParse feeds the keyring file decoder arbitrary bytes: no panic, every
// error matches ErrInvalidFile, and whatever parses round-trips.
func FuzzParse(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "keyring-v1.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"version":1,"keys":[]}`))
	f.Add([]byte(`{"version":1,"keys":[{"id":"abcd","state":"primary","created":"2026-01-02T03:04:05Z","secret":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}]}`))
	f.Add([]byte(`{"version":1,"keys":[{"id":"abcd","state":"primary","created":"2026-01-02T03:04:05Z","secret":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="},{"id":"abcd","state":"enabled","created":"2026-01-02T03:04:05Z","secret":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":1,"keys":null,"x":1}`))
	f.Add(golden[:len(golden)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidFile) {
				t.Fatalf("Parse error %v does not match ErrInvalidFile", err)
			}
			return
		}
		out, err := k.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		k2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of Marshal output: %v\n%s", err, out)
		}
		out2, _ := k2.Marshal()
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip not stable:\n%s\n%s", out, out2)
		}
		if k.Len() != k2.Len() || k.Primary().ID != k2.Primary().ID {
			t.Fatalf("round trip changed the ring: %v vs %v", k, k2)
		}
	})
}
