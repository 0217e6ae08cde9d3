package testutil

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

// Keyring returns a fresh in-memory keyring with one primary key.
func Keyring(t testing.TB) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(time.Now())
	if err != nil {
		t.Fatalf("testutil: new keyring: %v", err)
	}
	return k
}

// KeyringFile writes a fresh keyring (one primary key) to keyring.json in
// a new t.TempDir() and returns the file's path and the keyring.
func KeyringFile(t testing.TB) (path string, k *keyring.Keyring) {
	t.Helper()
	k = Keyring(t)
	path = filepath.Join(t.TempDir(), "keyring.json")
	if err := keyring.Create(path, k); err != nil {
		t.Fatalf("testutil: write keyring file: %v", err)
	}
	return path, k
}
