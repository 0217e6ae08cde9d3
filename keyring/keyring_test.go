package keyring_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil/fake"
	"github.com/sealedsessions/sealed/keyring"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// keyringFile writes a fresh keyring to a temporary file.
func keyringFile(t testing.TB) (string, *keyring.Keyring) {
	t.Helper()
	k := mustNew(t)
	path := filepath.Join(t.TempDir(), "keyring.json")
	if err := keyring.Create(path, k); err != nil {
		t.Fatal(err)
	}
	return path, k
}

func mustNew(t testing.TB) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(t0)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rotate is an Update edit: Keyring.Rotate now.
func rotate(k *keyring.Keyring) (*keyring.Keyring, error) {
	nk, _, err := k.Rotate(time.Now())
	return nk, err
}

func mustSeal(t testing.TB, k *keyring.Keyring, name string, p []byte) string {
	t.Helper()
	v, err := k.Seal(name, p)
	if err != nil {
		t.Fatalf("Seal(%q, %d bytes): %v", name, len(p), err)
	}
	return v
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustNew(t)
	for _, p := range [][]byte{nil, {}, []byte("x"), []byte(`{"user":"ann"}`), bytes.Repeat([]byte{0, 0xff}, 1000)} {
		orig := bytes.Clone(p)
		v := mustSeal(t, k, "session", p)
		if !bytes.Equal(p, orig) {
			t.Fatalf("Seal modified its input")
		}
		if !strings.HasPrefix(v, k.Primary().ID+".") {
			t.Errorf("sealed value %q does not start with the primary ID %q", v[:20], k.Primary().ID)
		}
		o, err := k.Open("session", v)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(o.Plaintext, p) || o.KeyID != k.Primary().ID || !o.Primary {
			t.Errorf("Open = {%q, %s, %v}, want {%q, %s, true}", o.Plaintext, o.KeyID, o.Primary, p, k.Primary().ID)
		}
		if d := time.Since(o.Sealed); d < -time.Second || d > time.Minute {
			t.Errorf("Sealed = %v, want about now", o.Sealed)
		}
		if len(v) != k.SealedLen("session", len(p)) {
			t.Errorf("len(value) = %d, SealedLen says %d", len(v), k.SealedLen("session", len(p)))
		}
	}
	a, b := mustSeal(t, k, "s", []byte("same")), mustSeal(t, k, "s", []byte("same"))
	if a == b {
		t.Errorf("two seals of one plaintext are equal; the IV should differ")
	}
}

func TestRotationLifecycle(t *testing.T) {
	clock := fake.NewClock(t0)
	k1 := mustNew(t)
	oldID := k1.Primary().ID
	before := mustSeal(t, k1, "session", []byte("before"))

	// add: a new enabled key; the old primary still seals.
	k2, added, err := k1.Add(clock.Advance(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if added.State != keyring.Enabled || k2.Primary().ID != oldID || k2.Len() != 2 {
		t.Fatalf("after Add: added %v, primary %s, len %d", added, k2.Primary().ID, k2.Len())
	}
	if k1.Len() != 1 {
		t.Fatalf("Add changed the receiver: len %d", k1.Len())
	}

	// promote: the new key seals; old cookies still open, as non-primary.
	k3, err := k2.Promote(added.ID, clock.Advance(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if k3.Primary().ID != added.ID {
		t.Fatalf("primary after Promote = %s, want %s", k3.Primary().ID, added.ID)
	}
	old, _ := k3.Key(oldID)
	if old.State != keyring.Enabled || !old.Demoted.Equal(clock.Now()) {
		t.Errorf("old key after Promote = %v, want enabled, demoted %v", old, clock.Now())
	}
	if k2.Primary().ID != oldID {
		t.Errorf("Promote changed the receiver")
	}
	o, err := k3.Open("session", before)
	if err != nil || string(o.Plaintext) != "before" || o.KeyID != oldID || o.Primary {
		t.Fatalf("old cookie after Promote = {%q %s %v}, %v; want before from %s, not primary", o.Plaintext, o.KeyID, o.Primary, err, oldID)
	}
	after := mustSeal(t, k3, "session", []byte("after"))
	if !strings.HasPrefix(after, added.ID+".") {
		t.Errorf("new cookie not sealed by the new primary")
	}
	if _, err := k1.Open("session", after); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("old ring opening new cookie: %v, want ErrUnknownKey", err)
	}

	// retire: the primary can't go; the old key can, and its cookies die.
	if _, err := k3.Retire(added.ID); !errors.Is(err, keyring.ErrRetirePrimary) {
		t.Errorf("Retire(primary) = %v, want ErrRetirePrimary", err)
	}
	if _, err := k3.Retire("nosuch"); !errors.Is(err, keyring.ErrKeyNotFound) {
		t.Errorf("Retire(nosuch) = %v, want ErrKeyNotFound", err)
	}
	k4, err := k3.Retire(oldID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k4.Open("session", before); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("cookie of retired key: %v, want ErrUnknownKey", err)
	}
	if o, err := k4.Open("session", after); err != nil || !o.Primary {
		t.Errorf("new cookie after Retire: %+v, %v", o, err)
	}
	if _, err := k3.Open("session", before); err != nil {
		t.Errorf("Retire changed the receiver: %v", err)
	}
}

func TestRotateAndPrune(t *testing.T) {
	clock := fake.NewClock(t0)
	k := mustNew(t)
	first := k.Primary().ID
	k, second, err := k.Rotate(clock.Advance(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if k.Primary().ID != second.ID || second.State != keyring.Primary {
		t.Fatalf("Rotate: primary %s, returned %v", k.Primary().ID, second)
	}
	k, staged, err := k.Add(clock.Advance(time.Hour)) // never promoted: Prune keeps it
	if err != nil {
		t.Fatal(err)
	}
	k, third, err := k.Rotate(clock.Advance(10 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// first demoted at t0+1h, second at t0+2h+10d.
	tests := []struct {
		age      time.Duration
		wantGone []string
	}{
		{age: 30 * 24 * time.Hour, wantGone: nil},
		{age: 10 * 24 * time.Hour, wantGone: []string{first}},
		{age: time.Hour, wantGone: []string{first, second.ID}},
	}
	now := clock.Advance(5 * 24 * time.Hour)
	for _, tt := range tests {
		t.Run(tt.age.String(), func(t *testing.T) {
			pk, gone, err := k.Prune(tt.age, now)
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string(nil), tt.wantGone...)
			if strings.Join(sorted(gone), ",") != strings.Join(sorted(want), ",") {
				t.Errorf("Prune(%v) removed %v, want %v", tt.age, gone, want)
			}
			if pk.Len() != k.Len()-len(want) {
				t.Errorf("Prune(%v) left %d keys, want %d", tt.age, pk.Len(), k.Len()-len(want))
			}
			for _, id := range []string{third.ID, staged.ID} {
				if _, ok := pk.Key(id); !ok {
					t.Errorf("Prune(%v) removed %s", tt.age, id)
				}
			}
		})
	}
	if _, _, err := k.Prune(0, now); err == nil {
		t.Errorf("Prune(0) succeeded, want an error")
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestKeysSortedAndUnique(t *testing.T) {
	k := mustNew(t)
	for range 20 {
		var err error
		if k, _, err = k.Add(t0); err != nil {
			t.Fatal(err)
		}
	}
	keys := k.Keys()
	if len(keys) != 21 {
		t.Fatalf("len = %d, want 21", len(keys))
	}
	primaries := 0
	for i, key := range keys {
		if i > 0 && keys[i-1].ID >= key.ID {
			t.Errorf("Keys not sorted and unique at %d: %s then %s", i, keys[i-1].ID, key.ID)
		}
		if len(key.ID) != 8 {
			t.Errorf("ID %q: want 8 characters", key.ID)
		}
		if key.State == keyring.Primary {
			primaries++
		}
	}
	if primaries != 1 {
		t.Errorf("%d primaries, want 1", primaries)
	}
}

func TestOpenErrors(t *testing.T) {
	k := mustNew(t)
	other := mustNew(t)
	good := mustSeal(t, k, "session", []byte("payload"))
	id, token, _ := strings.Cut(good, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	// A value sealed by another key but labelled with k's primary ID.
	_, foreignToken, _ := strings.Cut(mustSeal(t, other, "session", []byte("payload")), ".")

	tests := []struct {
		name, cookie, value string
		want                error
	}{
		{"empty", "session", "", keyring.ErrMalformed},
		{"no dot", "session", "abcdefgh", keyring.ErrMalformed},
		{"empty id", "session", "." + token, keyring.ErrMalformed},
		{"empty token", "session", id + ".", keyring.ErrMalformed},
		{"unknown key", "session", "zzzzzzzz." + token, keyring.ErrUnknownKey},
		{"other ring's key", "session", mustSeal(t, other, "session", []byte("x")), keyring.ErrUnknownKey},
		{"token under wrong key", "session", id + "." + foreignToken, keyring.ErrTampered},
		{"bit flip in MAC", "session", id + "." + flip(token, len(token)-6), keyring.ErrTampered},
		{"bit flip in body", "session", id + "." + flip(token, len(token)/2), keyring.ErrTampered},
		{"bit flip in timestamp", "session", id + "." + flip(token, 2), keyring.ErrTampered},
		{"truncated to a base64 boundary", "session", good[:len(good)-8], keyring.ErrTampered},
		{"truncated mid base64", "session", good[:len(good)-10], keyring.ErrMalformed},
		{"not base64", "session", id + ".!!!!" + token[4:], keyring.ErrMalformed},
		{"wrong name", "other", good, keyring.ErrWrongName},
		{"name prefix", "sess", good, keyring.ErrWrongName},
		{"too long", "session", good + strings.Repeat("A", keyring.MaxValueLen), keyring.ErrTooLong},
		{"one over max", "session", strings.Repeat("a", keyring.MaxValueLen+1), keyring.ErrTooLong},
	}
	all := []error{keyring.ErrMalformed, keyring.ErrUnknownKey, keyring.ErrTampered, keyring.ErrWrongName, keyring.ErrExpired, keyring.ErrTooLong}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := k.Open(tt.cookie, tt.value)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %+v, %v; want %v", o, err, tt.want)
			}
			for _, e := range all {
				if e != tt.want && errors.Is(err, e) {
					t.Errorf("error also matches %v", e)
				}
			}
			if got := err.Error(); got != "keyring: cookie does not open" {
				t.Errorf("Error() = %q, want the opaque message", got)
			}
			if o.Plaintext != nil || o.KeyID != "" {
				t.Errorf("failed Open returned data: %+v", o)
			}
		})
	}
}

func TestOpenExpiry(t *testing.T) {
	clock := fake.NewClock(time.Now())
	k := mustNew(t).WithClock(clock.Now)
	if k.MaxAge() != keyring.DefaultMaxAge {
		t.Fatalf("MaxAge = %v, want DefaultMaxAge", k.MaxAge())
	}
	v := mustSeal(t, k, "session", []byte("p"))
	short := k.WithMaxAge(time.Hour)
	if _, err := short.Open("session", v); err != nil {
		t.Fatalf("fresh value: %v", err)
	}
	clock.Advance(59 * time.Minute)
	if _, err := short.Open("session", v); err != nil {
		t.Fatalf("value 59m old, max age 1h: %v", err)
	}
	clock.Advance(2 * time.Minute)
	if _, err := short.Open("session", v); !errors.Is(err, keyring.ErrExpired) {
		t.Fatalf("value 61m old, max age 1h: %v, want ErrExpired", err)
	}
	if _, err := k.Open("session", v); err != nil {
		t.Errorf("default max age refused a 61m value: %v", err)
	}
	clock.Advance(keyring.DefaultMaxAge)
	if _, err := k.Open("session", v); !errors.Is(err, keyring.ErrExpired) {
		t.Errorf("value older than DefaultMaxAge: %v, want ErrExpired", err)
	}
	if _, err := k.WithMaxAge(0).Open("session", v); err != nil {
		t.Errorf("WithMaxAge(0) still checks age: %v", err)
	}
}

func TestAppendSeal(t *testing.T) {
	k := mustNew(t)
	prefix := []byte("session=")
	got, err := k.AppendSeal(bytes.Clone(prefix), "session", []byte("cart"))
	if err != nil {
		t.Fatalf("AppendSeal: %v", err)
	}
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("AppendSeal dropped dst: %q", got)
	}
	v := string(got[len(prefix):])
	if len(v) != k.SealedLen("session", 4) || !strings.HasPrefix(v, k.Primary().ID+".") {
		t.Errorf("appended value %q: want %d bytes starting with %q", v, k.SealedLen("session", 4), k.Primary().ID+".")
	}
	if o, err := k.Open("session", v); err != nil || string(o.Plaintext) != "cart" {
		t.Errorf("Open(appended value) = %q, %v; want cart", o.Plaintext, err)
	}
	// Too long: an error matching ErrTooLong, and dst comes back unchanged.
	got, err = k.AppendSeal(bytes.Clone(prefix), "session", make([]byte, keyring.MaxValueLen))
	if !errors.Is(err, keyring.ErrTooLong) || !bytes.Equal(got, prefix) {
		t.Errorf("AppendSeal(too long) = %q, %v; want dst unchanged and ErrTooLong", got, err)
	}
}

// TestSealMax: a value longer than one cookie seals and opens under a
// larger maxLen, is refused by Open, and is refused past its own maxLen.
func TestSealMax(t *testing.T) {
	k := mustNew(t)
	const maxLen = 3 * keyring.MaxValueLen
	plain := bytes.Repeat([]byte("chunked "), 625) // 5,000 bytes
	v, err := k.AppendSealMax(nil, "session", plain, maxLen)
	if err != nil {
		t.Fatal(err)
	}
	if len(v) <= keyring.MaxValueLen || len(v) > maxLen {
		t.Fatalf("sealed %d bytes, want between %d and %d", len(v), keyring.MaxValueLen, maxLen)
	}
	if o, err := k.OpenMax("session", string(v), maxLen); err != nil || !bytes.Equal(o.Plaintext, plain) {
		t.Errorf("OpenMax = %d bytes, %v; want the plaintext back", len(o.Plaintext), err)
	}
	if _, err := k.Open("session", string(v)); !errors.Is(err, keyring.ErrTooLong) {
		t.Errorf("Open of a %d-byte value = %v, want ErrTooLong", len(v), err)
	}
	if _, err := k.OpenMax("session", string(v), len(v)-1); !errors.Is(err, keyring.ErrTooLong) {
		t.Errorf("OpenMax with maxLen one short = %v, want ErrTooLong", err)
	}
	if _, err := k.AppendSealMax(nil, "session", plain, len(v)-1); !errors.Is(err, keyring.ErrTooLong) {
		t.Errorf("AppendSealMax with maxLen one short = %v, want ErrTooLong", err)
	}
}

func TestSealLengthLimit(t *testing.T) {
	k := mustNew(t)
	// Find the largest plaintext whose sealed value fits.
	n := 0
	for k.SealedLen("session", n+1) <= keyring.MaxValueLen {
		n++
	}
	v, err := k.Seal("session", make([]byte, n))
	if err != nil {
		t.Fatalf("Seal(%d bytes) = %v; SealedLen says it fits", n, err)
	}
	if len(v) > keyring.MaxValueLen {
		t.Fatalf("sealed %d bytes, longer than MaxValueLen", len(v))
	}
	t.Logf("largest plaintext for name %q: %d bytes -> %d byte value", "session", n, len(v))
	if _, err := k.Open("session", v); err != nil {
		t.Errorf("Open of a max-size value: %v", err)
	}
	if _, err := k.Seal("session", make([]byte, n+3)); !errors.Is(err, keyring.ErrTooLong) {
		t.Errorf("Seal(%d bytes) = %v, want ErrTooLong", n+3, err)
	}
	// A value of exactly MaxValueLen is attempted (fails on the MAC, not on
	// length); one byte more is refused as too long.
	exact := k.Primary().ID + "." + strings.Repeat("A", keyring.MaxValueLen-len(k.Primary().ID)-1)
	if _, err := k.Open("session", exact); errors.Is(err, keyring.ErrTooLong) || err == nil {
		t.Errorf("Open(%d bytes) = %v, want it attempted and refused as not authentic", len(exact), err)
	}
	if _, err := k.Open("session", exact+"A"); !errors.Is(err, keyring.ErrTooLong) {
		t.Errorf("Open(%d bytes) = %v, want ErrTooLong", len(exact)+1, err)
	}
}

// TestNoSecretInOutput prints keys and keyrings every way a program might
// and checks no form of any secret appears.
func TestNoSecretInOutput(t *testing.T) {
	k := mustNew(t)
	k, _, err := k.Add(t0)
	if err != nil {
		t.Fatal(err)
	}
	mustSeal(t, k, "session", []byte("something"))
	file, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Keys []struct{ Secret string } `json:"keys"`
	}
	if err := json.Unmarshal(file, &f); err != nil {
		t.Fatal(err)
	}
	var needles []string
	for _, fk := range f.Keys {
		raw, err := base64.StdEncoding.DecodeString(fk.Secret)
		if err != nil || len(raw) != 32 {
			t.Fatalf("secret in file: %v, %d bytes", err, len(raw))
		}
		needles = append(needles, fk.Secret, strings.TrimRight(fk.Secret, "="),
			base64.RawURLEncoding.EncodeToString(raw), hex.EncodeToString(raw),
			strings.ToUpper(hex.EncodeToString(raw)), string(raw), fmt.Sprint(raw), fmt.Sprintf("%v", [32]byte(raw)),
			fmt.Sprintf("%#v", raw), fmt.Sprintf("%#v", [32]byte(raw)))
	}

	var out bytes.Buffer
	for _, v := range []any{k, *k, k.Primary(), k.Keys(), &struct{ K *keyring.Keyring }{k}, struct{ Key keyring.Key }{k.Primary()}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		fmt.Fprintln(&out, v)
	}
	fmt.Fprintln(&out, k.String(), k.Primary().String(), k.GoString(), k.Primary().GoString())
	js, err := json.Marshal(k.Keys())
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	// encoding/json of the ring itself, or of a config struct holding it.
	type config struct {
		Ring *keyring.Keyring
		Keys keyring.Source
	}
	for _, v := range []any{k, config{Ring: k, Keys: k}} {
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(js)
	}
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		l := slog.New(h)
		l.Info("ring", "k", k, "key", k.Primary(), "keys", k.Keys(), "config", config{Ring: k, Keys: k})
	}
	if !strings.Contains(out.String(), k.Primary().ID) {
		t.Fatalf("output does not even show the key ID; the test is not printing anything useful:\n%s", out.String())
	}
	for _, n := range needles {
		if strings.Contains(out.String(), n) {
			t.Errorf("output contains a secret in the form %q", n)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out.String())
	}
}

func TestParseErrors(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	key := func(id, state, extra string) string {
		return `{"id":"` + id + `","state":"` + state + `","created":"2026-01-02T03:04:05Z","secret":"` + secret + `"` + extra + `}`
	}
	file := func(keys ...string) string { return `{"version":1,"keys":[` + strings.Join(keys, ",") + `]}` }
	tests := []struct {
		name, data, wantText string
	}{
		{"empty", ``, "empty"},
		{"not json", `hello`, "invalid character"},
		{"array", `[]`, "array is not"},
		{"bad version", `{"version":2,"keys":[` + key("abcd", "primary", "") + `]}`, "version: got 2, want 1"},
		{"missing version", `{"keys":[` + key("abcd", "primary", "") + `]}`, "version: got 0"},
		{"version string", `{"version":"1","keys":[]}`, `"version"`},
		{"unknown top field", `{"version":1,"extra":true,"keys":[` + key("abcd", "primary", "") + `]}`, `unknown field "extra"`},
		{"unknown key field", file(key("abcd", "primary", `,"comment":"x"`)), `unknown field "comment"`},
		{"no keys", `{"version":1,"keys":[]}`, "keys: no keys"},
		{"no primary", file(key("abcd", "enabled", "")), "0 primary keys"},
		{"two primaries", file(key("abcd", "primary", ""), key("efgh", "primary", "")), "2 primary keys"},
		{"duplicate ID", file(key("abcd", "primary", ""), key("abcd", "enabled", "")), "keys[1].id: duplicate key ID"},
		{"bad ID", file(key("ab.cd", "primary", "")), "keys[0].id"},
		{"empty ID", file(key("", "primary", "")), "keys[0].id"},
		{"bad state", file(key("abcd", "retired", "")), "keys[0].state"},
		{"short secret", strings.Replace(file(key("abcd", "primary", "")), secret, base64.StdEncoding.EncodeToString(make([]byte, 16)), 1), "keys[0].secret: 16 bytes, want 32"},
		{"long secret", strings.Replace(file(key("abcd", "primary", "")), secret, base64.StdEncoding.EncodeToString(make([]byte, 33)), 1), "keys[0].secret: 33 bytes"},
		{"secret not base64", strings.Replace(file(key("abcd", "primary", "")), secret, "%%%", 1), "keys[0].secret: not standard base64"},
		{"missing secret", `{"version":1,"keys":[{"id":"abcd","state":"primary","created":"2026-01-02T03:04:05Z"}]}`, "keys[0].secret: missing"},
		{"missing created", `{"version":1,"keys":[{"id":"abcd","state":"primary","secret":"` + secret + `"}]}`, "keys[0].created: missing"},
		{"bad created", strings.Replace(file(key("abcd", "primary", "")), "2026-01-02T03:04:05Z", "yesterday", 1), "parsing time"},
		{"trailing data", file(key("abcd", "primary", "")) + `{}`, "data after"},
		{"field name in upper case", `{"VERSION":1,"keys":[` + key("abcd", "primary", "") + `]}`, `field "VERSION": write it "version"`},
		{"key field in mixed case", file(key("abcd", "primary", `,"Demoted":"2026-01-02T03:04:05Z"`)), `field "Demoted"`},
		{"version twice", `{"version":1,"version":1,"keys":[` + key("abcd", "primary", "") + `]}`, `field "version" given twice`},
		{"secret twice", file(key("abcd", "primary", `,"secret":"`+base64.StdEncoding.EncodeToString(make([]byte, 32))+`"`)), `field "secret" given twice`},
		{"keys twice", `{"version":1,"keys":[` + key("abcd", "primary", "") + `],"keys":[` + key("efgh", "primary", "") + `]}`, `field "keys" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := keyring.Parse([]byte(tt.data))
			if err == nil {
				t.Fatalf("Parse succeeded: %v", k)
			}
			if !errors.Is(err, keyring.ErrInvalidFile) {
				t.Errorf("error %v does not match ErrInvalidFile", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	// And the good file the table is built from does parse.
	if _, err := keyring.Parse([]byte(file(key("abcd", "primary", ""), key("efgh", "enabled", "")))); err != nil {
		t.Fatalf("Parse(good file) = %v", err)
	}
}

func TestWriteFileLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ring.json")
	k := mustNew(t)
	if err := keyring.WriteFile(path, k); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	got, err := keyring.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v := mustSeal(t, k, "s", []byte("p"))
	if o, err := got.Open("s", v); err != nil || string(o.Plaintext) != "p" {
		t.Errorf("loaded ring does not open the original's value: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after WriteFile, want 1 (no temp files left)", len(entries))
	}

	// Create refuses to overwrite.
	if err := keyring.Create(path, mustNew(t)); !errors.Is(err, keyring.ErrExists) {
		t.Errorf("Create over an existing file = %v, want ErrExists", err)
	}
	if again, _ := keyring.Load(path); again.Primary().ID != k.Primary().ID {
		t.Errorf("Create replaced the file")
	}

	// Missing file.
	if _, err := keyring.Load(filepath.Join(dir, "nope.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	// Bad file names the file and the field.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"version":3,"keys":[]}`), 0o600)
	if _, err := keyring.Load(bad); !errors.Is(err, keyring.ErrInvalidFile) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "version") {
		t.Errorf("Load(bad) = %v, want ErrInvalidFile naming %s and version", err, bad)
	}
}

func TestLoadWarnsOnOpenMode(t *testing.T) {
	path, _ := keyringFile(t)
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })

	if _, err := keyring.Load(path); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("warning for a 0600 file: %s", logs.String())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Load(path); err != nil {
		t.Fatalf("Load of a 0644 file = %v, want it loaded with a warning", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "group or others can read") {
		t.Errorf("no warning for a 0644 file; log: %q", logs.String())
	}
}

func TestFromEnv(t *testing.T) {
	k := mustNew(t)
	data, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(keyring.EnvVar, string(data))
	got, err := keyring.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if got.Primary().ID != k.Primary().ID {
		t.Errorf("FromEnv primary = %s, want %s", got.Primary().ID, k.Primary().ID)
	}
	v := mustSeal(t, k, "s", []byte("p"))
	if _, err := got.Open("s", v); err != nil {
		t.Errorf("env ring cannot open: %v", err)
	}

	t.Setenv(keyring.EnvVar, `{"version":1,"keys":[],"x":1}`)
	if _, err := keyring.FromEnv(); !errors.Is(err, keyring.ErrInvalidFile) || !strings.Contains(err.Error(), keyring.EnvVar) {
		t.Errorf("FromEnv(bad) = %v, want ErrInvalidFile naming %s", err, keyring.EnvVar)
	}
	t.Setenv(keyring.EnvVar, "")
	if _, err := keyring.FromEnv(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FromEnv(unset) = %v, want fs.ErrNotExist", err)
	}
}

func TestUpdateConcurrent(t *testing.T) {
	path, k := keyringFile(t)
	// Half the editors go through a symbolic link to the file: they must
	// take the same lock.
	link := filepath.Join(t.TempDir(), "link.json")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	const n = 16
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := path
			if i%2 == 1 {
				p = link
			}
			_, err := keyring.Update(p, func(k *keyring.Keyring) (*keyring.Keyring, error) {
				nk, key, err := k.Add(time.Now())
				ids <- key.ID
				return nk, err
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		}()
	}
	wg.Wait()
	close(ids)
	final, err := keyring.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if final.Len() != n+1 {
		t.Errorf("final ring has %d keys, want %d", final.Len(), n+1)
	}
	for id := range ids {
		if _, ok := final.Key(id); !ok {
			t.Errorf("key %s added concurrently was lost", id)
		}
	}
	if final.Primary().ID != k.Primary().ID {
		t.Errorf("primary changed")
	}
}

func TestUpdateEditErrorLeavesFile(t *testing.T) {
	path, _ := keyringFile(t)
	before, _ := os.ReadFile(path)
	boom := errors.New("boom")
	if _, err := keyring.Update(path, func(k *keyring.Keyring) (*keyring.Keyring, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("Update = %v, want boom", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("failed edit changed the file")
	}
}

func TestSourceInterface(t *testing.T) {
	k := mustNew(t)
	var s keyring.Source = k
	if s.Keyring() != k {
		t.Errorf("(*Keyring).Keyring() is not itself")
	}
	var _ keyring.Source = (*keyring.Watcher)(nil)
}

func TestConcurrentSealOpen(t *testing.T) {
	k := mustNew(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				p := []byte(fmt.Sprintf("g%d-%d", g, i))
				v, err := k.Seal("s", p)
				if err != nil {
					t.Error(err)
					return
				}
				o, err := k.Open("s", v)
				if err != nil || !bytes.Equal(o.Plaintext, p) {
					t.Errorf("Open = %q, %v; want %q", o.Plaintext, err, p)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestNilAndZeroKeyring(t *testing.T) {
	var nilRing *keyring.Keyring
	if _, err := nilRing.Open("s", "abcd.efgh"); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("nil.Open = %v, want ErrUnknownKey", err)
	}
	if _, err := nilRing.Seal("s", nil); err == nil {
		t.Errorf("nil.Seal succeeded")
	}
	var zero keyring.Keyring
	if _, err := zero.Seal("s", nil); err == nil {
		t.Errorf("zero.Seal succeeded")
	}
	if _, err := zero.Open("s", "abcd.efgh"); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("zero.Open = %v, want ErrUnknownKey", err)
	}
	// Nothing panics on a ring without keys: callers such as package
	// sessions ask for the primary and the sealed length before sealing.
	for _, k := range []*keyring.Keyring{nilRing, &zero} {
		if got := k.Primary(); got.ID != "" {
			t.Errorf("Primary of an empty ring = %v, want a zero Key", got)
		}
		if got := k.Len(); got != 0 {
			t.Errorf("Len of an empty ring = %d", got)
		}
		if got := k.SealedLen("s", 10); got <= 10 {
			t.Errorf("SealedLen of an empty ring = %d", got)
		}
		if got := k.LogValue().String(); got != "keyring(empty)" {
			t.Errorf("LogValue of an empty ring = %q", got)
		}
	}
}

// Editing a keyring path that is a symbolic link (a shared file linked
// into each app's directory) must change the shared file, not replace the
// link with a private copy.
func TestWriteFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "shared.json")
	link := filepath.Join(dir, "link.json")
	k := mustNew(t)
	if err := keyring.WriteFile(shared, k); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("shared.json", link); err != nil {
		t.Fatal(err)
	}
	rotated, err := keyring.Update(link, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		nk, _, err := k.Rotate(time.Now())
		return nk, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("link replaced by a file (Lstat %v, %v)", st, err)
	}
	got, err := keyring.Load(shared)
	if err != nil {
		t.Fatal(err)
	}
	if got.Primary().ID != rotated.Primary().ID {
		t.Errorf("shared file's primary %s, want the rotated %s", got.Primary().ID, rotated.Primary().ID)
	}
	if st, err := os.Stat(shared); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("shared file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
}

// Names are bytes: empty, non-ASCII, long, and names that differ only in
// Unicode normalization or by a NUL each bind the value to exactly that
// name, and SealedLen stays exact for them.
func TestSealOpenNames(t *testing.T) {
	k := mustNew(t)
	names := []string{"", "é", "e\u0301", "séance", "名前", "a\x00", "a", strings.Repeat("n", 300)}
	for _, name := range names {
		v := mustSeal(t, k, name, []byte("p"))
		if len(v) != k.SealedLen(name, 1) {
			t.Errorf("name %q: len %d, SealedLen %d", name, len(v), k.SealedLen(name, 1))
		}
		for _, other := range names {
			o, err := k.Open(other, v)
			switch {
			case other == name && (err != nil || string(o.Plaintext) != "p"):
				t.Errorf("sealed for %q, opened as %q: %q, %v", name, other, o.Plaintext, err)
			case other != name && !errors.Is(err, keyring.ErrWrongName):
				t.Errorf("sealed for %q, opened as %q: %v, want ErrWrongName", name, other, err)
			}
		}
	}
	// A name so long that no value fits is refused, not truncated.
	if _, err := k.Seal(strings.Repeat("n", keyring.MaxValueLen), nil); !errors.Is(err, keyring.ErrTooLong) {
		t.Errorf("Seal with a %d-byte name = %v, want ErrTooLong", keyring.MaxValueLen, err)
	}
}
