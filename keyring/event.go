package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// EventMACLen is the length in bytes of a MAC made by [Keyring.SignEvent].
const EventMACLen = sha256.Size

// SignEvent authenticates msg, a revocation event as it travels between
// instances (package natsrepl signs the event's subject and bytes), under
// the primary key: HMAC-SHA256 with a key derived from the primary's
// secret by HKDF under a label of its own, so it is independent of the
// keys that seal cookies. It returns the primary's ID, which travels with
// the MAC so that [Keyring.VerifyEvent] picks the key by ID.
func (k *Keyring) SignEvent(msg []byte) (keyID string, mac []byte) {
	p := k.keys[k.primary]
	return p.ID, eventMAC(p.m, msg)
}

// VerifyEvent reports whether mac authenticates msg under the key keyID of
// this ring (primary or enabled), as [Keyring.SignEvent] made it. It
// returns nil, or an error wrapping [ErrUnknownKey] (no such key: never
// had, or retired) or [ErrTampered]. The comparison takes constant time.
func (k *Keyring) VerifyEvent(keyID string, msg, mac []byte) error {
	i, ok := k.byID[keyID]
	if !ok {
		return fmt.Errorf("keyring: verify event: %w", ErrUnknownKey)
	}
	if !hmac.Equal(eventMAC(k.keys[i].m, msg), mac) {
		return fmt.Errorf("keyring: verify event: %w", ErrTampered)
	}
	return nil
}

func eventMAC(m *material, msg []byte) []byte {
	h := hmac.New(sha256.New, m.eventKey[:])
	h.Write(msg)
	return h.Sum(nil)
}
