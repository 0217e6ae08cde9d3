package keyring_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

func TestEventMACRotation(t *testing.T) {
	now := time.Now()
	old := mustNew(t)
	msg := []byte("sealed.revocations.all\x00event bytes")
	oldID, oldMAC := old.SignEvent(msg)
	if oldID != old.Primary().ID || len(oldMAC) != keyring.EventMACLen {
		t.Fatalf("SignEvent: key %q, %d-byte MAC; want the primary %q, %d bytes", oldID, len(oldMAC), old.Primary().ID, keyring.EventMACLen)
	}
	added, key, err := old.Add(now)
	if err != nil {
		t.Fatal(err)
	}
	promoted, err := added.Promote(key.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	newID, newMAC := promoted.SignEvent(msg)
	retired, err := promoted.Retire(oldID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		ring  *keyring.Keyring
		id    string
		msg   []byte
		mac   []byte
		wantE error
	}{
		{"same ring", old, oldID, msg, oldMAC, nil},
		{"old MAC after add", added, oldID, msg, oldMAC, nil},
		{"new MAC on a ring that added the key", added, newID, msg, newMAC, nil},
		{"old MAC after promote", promoted, oldID, msg, oldMAC, nil},
		{"new MAC on the old ring", old, newID, msg, newMAC, keyring.ErrUnknownKey},
		{"old MAC after retire", retired, oldID, msg, oldMAC, keyring.ErrUnknownKey},
		{"new MAC after retire", retired, newID, msg, newMAC, nil},
		{"other ring", mustNew(t), oldID, msg, oldMAC, keyring.ErrUnknownKey},
		{"changed message", old, oldID, append(bytes.Clone(msg), '!'), oldMAC, keyring.ErrTampered},
		{"MAC under another key's ID", promoted, newID, msg, oldMAC, keyring.ErrTampered},
		{"short MAC", old, oldID, msg, oldMAC[:16], keyring.ErrTampered},
		{"no MAC", old, oldID, msg, nil, keyring.ErrTampered},
		{"empty key ID", old, "", msg, oldMAC, keyring.ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ring.VerifyEvent(tt.id, tt.msg, tt.mac)
			if tt.wantE == nil && err != nil || tt.wantE != nil && !errors.Is(err, tt.wantE) {
				t.Errorf("VerifyEvent: %v, want %v", err, tt.wantE)
			}
		})
	}
}

// The event MAC key is not a cookie key: a cookie sealed by the ring does
// not carry the event MAC of its payload, and the MAC is deterministic.
func TestEventMACIndependentOfSealing(t *testing.T) {
	k := mustNew(t)
	msg := []byte("payload")
	_, m1 := k.SignEvent(msg)
	_, m2 := k.SignEvent(msg)
	if !bytes.Equal(m1, m2) {
		t.Fatal("SignEvent is not deterministic")
	}
	sealed := mustSeal(t, k, "c", msg)
	if bytes.Contains([]byte(sealed), m1) {
		t.Error("a sealed cookie contains the event MAC of its payload")
	}
	_, other := mustNew(t).SignEvent(msg)
	if bytes.Equal(m1, other) {
		t.Error("two rings make the same event MAC")
	}
}
