package keyring

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// fixedRing builds a keyring with fixed IDs, times and secrets, so its file
// is byte-for-byte deterministic.
var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedRing(t testing.TB) *Keyring {
	t.Helper()
	t0 := fixedTime
	mk := func(id string, fill byte, st State, created, promoted, demoted time.Time) Key {
		var s [SecretLen]byte
		for i := range s {
			s[i] = fill + byte(i)
		}
		m, err := newMaterial(s)
		if err != nil {
			t.Fatal(err)
		}
		return Key{ID: id, State: st, Created: created, Promoted: promoted, Demoted: demoted, m: m}
	}
	k, err := build([]Key{
		mk("zzzz2222", 0x40, Enabled, t0.Add(48*time.Hour), time.Time{}, time.Time{}),
		mk("mfrggzdf", 0x20, Primary, t0.Add(24*time.Hour), t0.Add(25*time.Hour), time.Time{}),
		mk("aaaa7777", 0x00, Enabled, t0, t0, t0.Add(25*time.Hour)),
	}, DefaultMaxAge, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestGoldenFile(t *testing.T) {
	golden := filepath.Join("testdata", "keyring-v1.json")
	k := fixedRing(t)
	got, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(golden, got, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./keyring -run TestGoldenFile -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Marshal differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
	}

	// The golden file parses back to the same keys and secrets, and a
	// value sealed by one ring opens with the other.
	back, err := Parse(want)
	if err != nil {
		t.Fatalf("Parse(golden): %v", err)
	}
	if g, w := back.String(), k.String(); g != w {
		t.Errorf("Parse(golden) = %s, want %s", g, w)
	}
	for i, key := range back.Keys() {
		orig := k.keys[i]
		if key.ID != orig.ID || key.State != orig.State || !key.Created.Equal(orig.Created) ||
			!key.Promoted.Equal(orig.Promoted) || !key.Demoted.Equal(orig.Demoted) || !key.m.equal(orig.m) {
			t.Errorf("key %d: got %v, want %v", i, key, orig)
		}
	}
	v, err := k.Seal("session", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := back.Open("session", v)
	if err != nil || string(o.Plaintext) != "hello" || o.KeyID != "mfrggzdf" || !o.Primary {
		t.Fatalf("Open across round trip = %+v, %v; want hello from primary mfrggzdf", o, err)
	}
	// A value sealed when the golden file was made still opens: the key
	// derivation and the value format have not changed.
	sealedFile := filepath.Join("testdata", "sealed-v1.txt")
	if *update {
		if err := os.WriteFile(sealedFile, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(sealedFile)
	if err != nil {
		t.Fatal(err)
	}
	o, err = back.WithMaxAge(0).Open("session", string(bytes.TrimSpace(old)))
	if err != nil || string(o.Plaintext) != "hello" || o.KeyID != "mfrggzdf" {
		t.Fatalf("Open(%s) = %+v, %v; want hello from mfrggzdf", sealedFile, o, err)
	}
	again, err := back.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(again, '\n'), want) {
		t.Errorf("re-marshalled golden differs:\n%s", again)
	}
}

func TestLenHelpers(t *testing.T) {
	for _, x := range []uint64{0, 1, 127, 128, 16383, 16384, 1 << 40, ^uint64(0)} {
		if got, want := uvarintLen(x), len(binary.AppendUvarint(nil, x)); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", x, got, want)
		}
	}
}
