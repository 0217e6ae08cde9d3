// Package keyring holds the keys that seal session cookies: a primary key
// that seals and opens, and enabled keys that only open, so keys can be
// rotated without logging anyone out. Sealing and opening use
// gorilla/securecookie (AES-256-CTR then HMAC-SHA256) underneath, one codec
// per key.
//
// # Usage
//
// Create a keyring once and keep it in a file (or use sealctl keys init):
//
//	k, err := keyring.New(time.Now())
//	err = keyring.Create("keyring.json", k)
//
// Then, in the application, watch the file so that rotations made with
// sealctl are picked up without a restart:
//
//	w, err := keyring.Watch("keyring.json", keyring.WatchOptions{})
//	defer w.Close()
//	v, err := w.Keyring().Seal("session", plaintext)
//	o, err := w.Keyring().Open("session", v) // o.Plaintext, o.KeyID, o.Primary
//
// A sealed value is "<keyID>.<securecookie token>". Open looks the key up by
// that ID. A value that opens under a key that is not the primary
// (o.Primary false) should be re-sealed, so that a rotation converges as
// users come back.
//
// The keyring can also come from the environment variable SEALED_KEYRING
// ([EnvVar]), holding the same JSON as the file; see [FromEnv].
//
// Rotation, on one instance: [Keyring.Rotate] (sealctl keys rotate). On
// several instances: [Keyring.Add] a key everywhere (it only opens), then
// [Keyring.Promote] it, then once the longest session lifetime has passed,
// [Keyring.Retire] or [Keyring.Prune] the old key. Values sealed under a
// retired key no longer open ([ErrUnknownKey]).
//
// # The keyring file
//
// JSON, version 1, mode 0600, keys sorted by ID:
//
//	{
//	  "version": 1,
//	  "keys": [
//	    {
//	      "id": "mfrggzdf",
//	      "state": "primary",
//	      "created": "2026-01-02T03:04:05Z",
//	      "promoted": "2026-01-02T03:04:05Z",
//	      "secret": "<32 bytes, standard base64>"
//	    }
//	  ]
//	}
//
// "state" is "primary" (exactly one) or "enabled"; "promoted" and
// "demoted" are omitted when the key never was. Decoding is strict (see
// [Parse]), and a file larger than [MaxFileSize] is refused unread. [WriteFile] writes atomically; [Update] and [Create] also take
// an exclusive lock on FILE.lock so that concurrent editors (sealctl) never
// lose a change. The lock file is left in place.
//
// # Security
//
// Each key is 32 bytes from crypto/rand. Its HMAC-SHA256 key (64 bytes)
// and AES-256 key are derived with HKDF-SHA256 under distinct labels and
// handed to securecookie.New, with securecookie.NopEncoder (the plaintext
// is bytes). Key IDs are 8 random lowercase base32 characters; they are
// not secret.
//
// Cookie name binding: securecookie MACs the name it is given, which would
// make a value moved to another cookie name look forged. Instead every
// value is sealed under one fixed securecookie name, and the caller's
// cookie name is put, length-prefixed, at the front of the encrypted and
// authenticated plaintext. Open checks it only after the MAC verifies, so
// the name is still authenticated and a moved value is refused with
// [ErrWrongName], distinct from [ErrTampered].
//
// Age: securecookie stamps every value with the time it was sealed (whole
// seconds, authenticated). Open refuses values older than the keyring's
// max age with [ErrExpired]. The default, [DefaultMaxAge], is 400 days, the
// longest cookie lifetime browsers allow: package sessions enforces the
// real idle and absolute expiry from inside the payload, and securecookie's
// own 30-day default would silently end longer sessions. Set another with
// [Keyring.WithMaxAge].
//
// Open's errors all have the same opaque text, "keyring: cookie does not
// open"; the reason is for errors.Is only ([ErrMalformed], [ErrUnknownKey],
// [ErrTampered], [ErrWrongName], [ErrExpired], [ErrTooLong]). A value
// longer than [MaxValueLen] is refused before any crypto. Open never
// panics, whatever its input (FuzzOpen).
//
// Printing a [Key] or a [Keyring] with any fmt verb, String or slog never
// shows secret bytes. [Keyring.Marshal] is the file format and does.
// [Load] warns (slog) when the file is readable by group or others.
//
// # Performance
//
// Open costs what a bare securecookie Decode costs plus 2-14% (same
// allocations); a value naming an unknown key is refused in about ten
// nanoseconds without allocating, and the key is found by a map lookup, so
// a ring of five keys opens as fast as a ring of one. Seal adds one
// allocation (the "<keyID>." prefix) to securecookie's Encode;
// [Keyring.AppendSeal] avoids it for callers with a buffer. Measured
// figures, and the targets they meet or miss, are in README.md in this
// directory.
//
// # Concurrency
//
// A *Keyring is immutable: every method is safe for concurrent use, and
// edits return a new Keyring. A [Watcher] swaps the keyring it serves with
// an atomic pointer; its Keyring method is safe to call from any
// goroutine, and each call returns a consistent snapshot.
package keyring
