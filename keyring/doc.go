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
// [Parse]), and a file larger than [MaxFileSize] is refused unread.
// [WriteFile] writes atomically; [Update] and [Create] also take an
// exclusive lock on FILE.lock so that concurrent editors (sealctl) never
// lose a change. The lock file is left in place.
//
// Owner and mode: a new file is 0600 and belongs to the user who writes
// it. A file that is rewritten ([Update], [WriteFile], so every sealctl
// keys command) keeps its owner, group and mode, so an operator running
// sealctl as root leaves a file that the server, running as another user,
// can still read. If the owner can't be kept (sealctl run by a user who is
// not root and not the owner), the edit is refused with an [*OwnerError]
// matching [ErrOwner] and the file is left as it was. Through a symbolic
// link, the file it points to is rewritten and keeps its owner. FILE.lock
// is given the keyring's owner too, where it can be.
//
// # Who may change the keyring
//
// Anyone who can write the keyring file can add a key and forge any
// session. [Load], [Watch], [Watcher.Reload] and [Update] refuse, with an
// error matching [ErrInsecureMode] that names the mode and the chmod that
// fixes it:
//
//   - a file that group or others may write (chmod go-w FILE);
//   - a file under a directory that others may write, unless the
//     directory has the sticky bit, as /tmp has (chmod o-w DIR): anyone
//     could rename their own file over the keyring. Every directory from
//     the root down to the file counts, for the path as given and for the
//     file a symbolic link points to.
//
// Warned about (slog), not refused: a file that group or others may read
// (chmod 600, or 640 to share it with one group), and a directory that its
// group may write (its group is someone's choice; anyone on the machine is
// not). Owners are not checked: keep the file and its directories owned by
// root or by the server's user. The environment variable ([FromEnv]) is not
// concerned, nor are systems without Unix permissions (Windows).
//
// Kubernetes: the files of a secret volume are 0644 and root's unless the
// volume sets defaultMode. Set defaultMode: 0400 if the server runs as
// root, or defaultMode: 0440 with the pod's securityContext.fsGroup set to
// a group of the server's user (Kubernetes makes 0400 into 0440 anyway
// when fsGroup is set). The volume's own directory is sticky (1777) and
// its ..data directory 0755, which pass the directory check. Edit the
// Secret, not the mounted file, which is read-only.
//
// # Reloads
//
// A [Watcher] re-reads the file every Interval (a second by default) and
// keeps its keyring when
// the file does not load. [Watcher.Status] says why the last check failed,
// since when and how often, the primary key ID and key count of the
// keyring in use, and [WatchStatus] Stale: the file holds a change that
// can't be loaded. A health check should fail while Stale is true, and
// report the primary key ID and key count otherwise, so that an operator
// can confirm that a rotation or retirement reached every instance:
//
//	if st := w.Status(); st.Stale {
//		http.Error(rw, "keyring reload failing: "+st.LastError.Error(), http.StatusServiceUnavailable)
//	}
//
// # Security
//
// Each key is 32 bytes from crypto/rand. Its HMAC-SHA256 key (64 bytes)
// and AES-256 key are derived with HKDF-SHA256 under distinct labels and
// handed to securecookie.New, with securecookie.NopEncoder (the plaintext
// is bytes). Key IDs are 8 random lowercase base32 characters; they are
// not secret.
//
// Revocation events: [Keyring.SignEvent] and [Keyring.VerifyEvent] MAC the
// events that instances exchange (package natsrepl) with HMAC-SHA256
// under a third key derived from each secret under its own HKDF label,
// never a cookie key. The primary signs; any key of the ring verifies,
// chosen by the key ID that travels with the MAC; a retired key no longer
// verifies.
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
// Errors about a keyring file, and so [WatchStatus], name fields and
// problems, never a secret.
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
// an atomic pointer; its Keyring and Status methods are safe to call from
// any goroutine, never wait for a reload, and each call returns a
// consistent snapshot.
package keyring
