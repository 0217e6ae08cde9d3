package main

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/keyring"
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
	data, _ := k.MarshalJSON()
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
