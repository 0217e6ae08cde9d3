package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/sessions"
)

func TestInspect(t *testing.T) {
	path := newRing(t)
	k := load(t, path)
	jsonValue, err := k.Seal("session", []byte(`{"user":"ann","n":3}`))
	if err != nil {
		t.Fatal(err)
	}
	binValue, err := k.Seal("prefs", []byte{0, 1, 2, 0xff})
	if err != nil {
		t.Fatal(err)
	}
	other, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.Seal("session", []byte("x"))

	type out struct {
		Opens           bool            `json:"opens"`
		Reason          string          `json:"reason"`
		KeyID           string          `json:"key_id"`
		KeyKnown        bool            `json:"key_known"`
		Primary         bool            `json:"primary"`
		Sealed          string          `json:"sealed"`
		Plaintext       json.RawMessage `json:"plaintext"`
		PlaintextBase64 string          `json:"plaintext_base64"`
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantReason string
		check      func(t *testing.T, o out)
	}{
		{"json plaintext", []string{jsonValue}, 0, "", func(t *testing.T, o out) {
			var got map[string]any
			if err := json.Unmarshal(o.Plaintext, &got); err != nil || got["user"] != "ann" {
				t.Errorf("plaintext = %s, want the JSON object", o.Plaintext)
			}
			if o.KeyID != k.Primary().ID || !o.Primary || !o.KeyKnown {
				t.Errorf("key = %s primary %v, want %s primary", o.KeyID, o.Primary, k.Primary().ID)
			}
			if _, err := time.Parse(time.RFC3339, o.Sealed); err != nil {
				t.Errorf("sealed %q: %v", o.Sealed, err)
			}
		}},
		{"binary plaintext", []string{"--name", "prefs", binValue}, 0, "", func(t *testing.T, o out) {
			if o.PlaintextBase64 != base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xff}) {
				t.Errorf("plaintext_base64 = %q", o.PlaintextBase64)
			}
		}},
		{"flag after value", []string{binValue, "-name=prefs"}, 0, "", nil},
		{"wrong name", []string{binValue}, 1, "sealed for another cookie name", nil},
		{"tampered", []string{jsonValue[:len(jsonValue)-6] + "AAAAAA"}, 1, "tampered (MAC does not verify)", nil},
		{"unknown key", []string{foreign}, 1, "unknown key", func(t *testing.T, o out) {
			if o.KeyKnown || o.KeyID != other.Primary().ID {
				t.Errorf("key_id %q known %v, want %s unknown", o.KeyID, o.KeyKnown, other.Primary().ID)
			}
		}},
		{"malformed", []string{"garbage"}, 1, "malformed", nil},
		{"too long", []string{strings.Repeat("a", keyring.MaxValueLen+1)}, 1, "too long", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := sealctl(t, append([]string{"inspect", "--keyring", path}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.wantCode, stderr)
			}
			var o out
			if err := json.Unmarshal([]byte(stdout), &o); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			if o.Opens != (tt.wantCode == 0) || o.Reason != tt.wantReason {
				t.Errorf("opens %v reason %q, want reason %q", o.Opens, o.Reason, tt.wantReason)
			}
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

func TestInspectFromEnvAndMissingFile(t *testing.T) {
	k, err := keyring.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := k.Marshal()
	t.Setenv(keyring.EnvVar, string(data))
	v, _ := k.Seal("session", []byte(`"hi"`))
	stdout, stderr, code := sealctl(t, "inspect", v)
	if code != 0 || !strings.Contains(stdout, `"plaintext": "hi"`) {
		t.Errorf("inspect from $%s: exit %d, %s%s", keyring.EnvVar, code, stdout, stderr)
	}
	missing := filepath.Join(t.TempDir(), "none.json")
	_, stderr, code = sealctl(t, "inspect", "--keyring", missing, v)
	if code != 1 || !strings.Contains(stderr, "sealctl keys init --keyring "+missing) {
		t.Errorf("inspect with a missing file: exit %d, %q", code, stderr)
	}
}

// A session cookie is decoded: user, data, expiry, and whether it expired
// under the application's lifetimes (given by flags).
func TestInspectSession(t *testing.T) {
	path := newRing(t)
	k := load(t, path)
	cookie := func(age time.Duration) string {
		t.Helper()
		m, err := sessions.New(sessions.Config{
			Keys: k, InsecureNoRevocation: true,
			Now: func() time.Time { return time.Now().Add(-age) },
		})
		if err != nil {
			t.Fatal(err)
		}
		r, s := m.Load(httptest.NewRequest("GET", "/", nil))
		if err := s.Login(r.Context(), "ann"); err != nil {
			t.Fatal(err)
		}
		if err := s.Set("cart", 3); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		if err := m.Save(w, r, s); err != nil {
			t.Fatal(err)
		}
		return w.Result().Cookies()[0].Value
	}
	type out struct {
		Opens   bool `json:"opens"`
		Session *struct {
			UserID  string         `json:"user_id"`
			Data    map[string]any `json:"data"`
			Expired bool           `json:"expired"`
		} `json:"session"`
	}
	tests := []struct {
		name        string
		age         time.Duration
		flags       []string
		wantExpired bool
	}{
		{"fresh", 0, nil, false},
		{"idle 20 days, default cookie age", 20 * 24 * time.Hour, nil, true},
		{"idle 20 days, cookie age 21d", 20 * 24 * time.Hour, []string{"--cookie-age", "21d"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"inspect", "--keyring", path}, tt.flags...), cookie(tt.age))
			stdout, stderr, code := sealctl(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var o out
			if err := json.Unmarshal([]byte(stdout), &o); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			if o.Session == nil || o.Session.UserID != "ann" || o.Session.Data["cart"] != 3.0 {
				t.Fatalf("session %+v, want user ann with cart 3\n%s", o.Session, stdout)
			}
			if o.Session.Expired != tt.wantExpired {
				t.Errorf("expired %v, want %v", o.Session.Expired, tt.wantExpired)
			}
		})
	}
	// A value that is not a session has no "session" part.
	v, _ := k.Seal("session", []byte(`{"a":1}`))
	if stdout, _, _ := sealctl(t, "inspect", "--keyring", path, v); strings.Contains(stdout, `"session": {`) {
		t.Errorf("non-session value described as a session:\n%s", stdout)
	}
	if _, _, code := sealctl(t, "inspect", "--keyring", path, "--cookie-age", "40d", v); code != 2 {
		t.Errorf("--cookie-age over --absolute-lifetime: exit %d, want 2", code)
	}
}

// A session over several cookies is inspected from all their values, or
// from a Cookie header holding them.
func TestInspectChunked(t *testing.T) {
	path := newRing(t)
	m, err := sessions.New(sessions.Config{
		Keys: load(t, path), InsecureNoRevocation: true, CookieName: "__Host-s",
		MaxCookies: 3, MaxCookieHeader: 3 * 4097,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, s := m.Load(httptest.NewRequest("GET", "/", nil))
	if err := s.Set("notes", strings.Repeat("long free text ", 200)); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := m.Save(w, r, s); err != nil {
		t.Fatal(err)
	}
	var values, pairs []string
	for _, c := range w.Result().Cookies() {
		if c.MaxAge >= 0 {
			values = append(values, c.Value)
			pairs = append(pairs, c.Name+"="+c.Value)
		}
	}
	if len(values) != 2 {
		t.Fatalf("session in %d cookies, want 2", len(values))
	}
	header := "Cookie: theme=dark; " + strings.Join(pairs, "; ")
	altered := "A" + values[1][1:]
	if altered == values[1] {
		altered = "B" + values[1][1:]
	}
	for _, tt := range []struct {
		name       string
		args       []string
		wantCode   int
		wantReason string
	}{
		{"values", values, 0, ""},
		{"cookie header", []string{"--cookie-header", header}, 0, ""},
		{"chunk missing", values[:1], 1, "the values do not match the chunk count in the first"},
		{"extra value", append(slices.Clone(values), values[1]), 1, "the values do not match the chunk count in the first"},
		{"header without the cookie", []string{"--cookie-header", "theme=dark"}, 1, `no cookie "__Host-s" in the header`},
		{"chunk altered", []string{values[0], altered}, 1, "tampered (MAC does not verify)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"inspect", "--keyring", path, "--name", "__Host-s"}, tt.args...)
			stdout, stderr, code := sealctl(t, args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; %s%s", code, tt.wantCode, stdout, stderr)
			}
			var o struct {
				Reason  string `json:"reason"`
				Session *struct {
					Data map[string]any `json:"data"`
				} `json:"session"`
			}
			if err := json.Unmarshal([]byte(stdout), &o); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout)
			}
			if o.Reason != tt.wantReason {
				t.Errorf("reason %q, want %q", o.Reason, tt.wantReason)
			}
			if tt.wantCode == 0 && (o.Session == nil || len(o.Session.Data["notes"].(string)) != 3000) {
				t.Errorf("session %+v, want the 3000-byte notes", o.Session)
			}
		})
	}
}
