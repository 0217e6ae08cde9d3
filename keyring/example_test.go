package keyring_test

import (
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sealedsessions/sealed/keyring"
)

func ExampleKeyring_Seal() {
	k, err := keyring.New(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	v, err := k.Seal("session", []byte(`{"user":"ann"}`))
	if err != nil {
		log.Fatal(err)
	}
	o, err := k.Open("session", v)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s sealed by the primary: %v\n", o.Plaintext, o.Primary && o.KeyID == k.Primary().ID)

	// The same value under another cookie name does not open.
	_, err = k.Open("prefs", v)
	fmt.Println(err, errors.Is(err, keyring.ErrWrongName))
	// Output:
	// {"user":"ann"} sealed by the primary: true
	// keyring: cookie does not open true
}

func ExampleKeyring_Open() {
	k, err := keyring.New(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	v, _ := k.Seal("session", []byte("hello"))
	tampered := v[:len(v)-6] + "AAAAAA"
	for _, value := range []string{v, tampered, "nosuchid." + v[9:], "junk"} {
		o, err := k.Open("session", value)
		switch {
		case err == nil:
			fmt.Printf("opened: %s\n", o.Plaintext)
		case errors.Is(err, keyring.ErrTampered):
			fmt.Println("tampered")
		case errors.Is(err, keyring.ErrUnknownKey):
			fmt.Println("unknown key")
		case errors.Is(err, keyring.ErrMalformed):
			fmt.Println("malformed")
		}
	}
	// Output:
	// opened: hello
	// tampered
	// unknown key
	// malformed
}

// Rotation in a single instance: rotate, old cookies still open (and
// should be re-sealed), then retire the old key.
func ExampleKeyring_Rotate() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k, err := keyring.New(now)
	if err != nil {
		log.Fatal(err)
	}
	oldKey := k.Primary().ID
	cookie, _ := k.Seal("session", []byte("cart=3"))

	k, _, err = k.Rotate(now.Add(90 * 24 * time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	o, _ := k.Open("session", cookie)
	fmt.Printf("after rotate: %s, sealed by the primary: %v\n", o.Plaintext, o.Primary)
	if !o.Primary {
		cookie, _ = k.Seal("session", o.Plaintext) // re-seal under the new primary
	}

	k, err = k.Retire(oldKey)
	if err != nil {
		log.Fatal(err)
	}
	o, err = k.Open("session", cookie)
	fmt.Printf("after retire: %s, %v\n", o.Plaintext, err)
	fmt.Println("keys:", k.Len())
	// Output:
	// after rotate: cart=3, sealed by the primary: false
	// after retire: cart=3, <nil>
	// keys: 1
}

// Staged rotation across instances: add everywhere, promote, prune later.
func ExampleKeyring_Add() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k, _ := keyring.New(now)
	k, added, _ := k.Add(now)
	fmt.Println("added:", added.State)
	k, _ = k.Promote(added.ID, now.Add(time.Hour))
	fmt.Println("primary is the added key:", k.Primary().ID == added.ID)
	k, gone, _ := k.Prune(30*24*time.Hour, now.Add(31*24*time.Hour))
	fmt.Println("pruned:", len(gone), "left:", k.Len())
	// Output:
	// added: enabled
	// primary is the added key: true
	// pruned: 1 left: 1
}

func ExampleWatch() {
	dir, _ := os.MkdirTemp("", "keyring-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keyring.json")
	k, _ := keyring.New(time.Now())
	if err := keyring.Create(path, k); err != nil {
		log.Fatal(err)
	}

	w, err := keyring.Watch(path, keyring.WatchOptions{}) // polls every second
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	// An operator rotates the file (sealctl keys rotate --keyring FILE).
	rotated, _ := keyring.Update(path, func(k *keyring.Keyring) (*keyring.Keyring, error) {
		nk, _, err := k.Rotate(time.Now())
		return nk, err
	})
	w.Reload() // or wait for the next poll
	fmt.Println("watcher serves the rotated ring:", w.Keyring().Primary().ID == rotated.Primary().ID)
	// Output:
	// watcher serves the rotated ring: true
}

// A health check that fails while the keyring file holds a change the
// instance can't load, and otherwise reports the primary key ID and key
// count, which confirm that a rotation reached every instance.
func ExampleWatcher_Status() {
	dir, _ := os.MkdirTemp("", "keyring-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "keyring.json")
	k, _ := keyring.New(time.Now())
	if err := keyring.Create(path, k); err != nil {
		log.Fatal(err)
	}
	w, err := keyring.Watch(path, keyring.WatchOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	healthz := http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		st := w.Status()
		if st.Stale {
			http.Error(rw, "keyring reload failing: "+st.LastError.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(rw, "ok primary_key=%s keys=%d\n", st.PrimaryID, st.Keys)
	})
	check := func() {
		rec := httptest.NewRecorder()
		healthz.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		st := w.Status()
		fmt.Println(rec.Code, strings.HasPrefix(rec.Body.String(), "ok primary_key="+st.PrimaryID), st.Failures)
	}
	check()

	// A rotation copied in by hand, half written: the instance keeps its
	// old keys, and says so.
	os.WriteFile(path, []byte(`{"version": 1, "keys": [{"id": "`), 0o600)
	w.Reload() // or wait for the next poll
	check()
	fmt.Println(errors.Is(w.Status().LastError, keyring.ErrInvalidFile))
	// Output:
	// 200 true 0
	// 503 false 1
	// true
}

func ExampleFromEnv() {
	k, _ := keyring.New(time.Now())
	data, _ := k.Marshal()
	os.Setenv(keyring.EnvVar, string(data)) // normally set by the deployment
	defer os.Unsetenv(keyring.EnvVar)

	fromEnv, err := keyring.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(fromEnv.Primary().ID == k.Primary().ID)
	// Output: true
}
