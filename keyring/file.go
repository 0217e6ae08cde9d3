package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileVersion is the keyring file format version this package reads and
// writes.
const FileVersion = 1

// EnvVar names the environment variable [FromEnv] reads: it holds the same
// JSON as a keyring file, for deployments that pass secrets through the
// environment instead of a file.
const EnvVar = "SEALED_KEYRING"

// ErrInvalidFile matches every error from Parse (and so Load, FromEnv and
// Watcher reloads) about the content of a keyring file. The error's text
// names the field and the problem.
var ErrInvalidFile = errors.New("keyring: invalid keyring file")

// fileV1 is the keyring file, version 1.
type fileV1 struct {
	Version int         `json:"version"`
	Keys    []fileKeyV1 `json:"keys"`
}

type fileKeyV1 struct {
	ID       string     `json:"id"`
	State    State      `json:"state"`
	Created  time.Time  `json:"created"`
	Promoted *time.Time `json:"promoted,omitempty"`
	Demoted  *time.Time `json:"demoted,omitempty"`
	Secret   string     `json:"secret"`
}

// fileError is a problem with a keyring file's content.
type fileError struct {
	source string // file path or "$SEALED_KEYRING"; "" from Parse
	msg    string // names the field and the problem
}

func (e *fileError) Error() string {
	if e.source == "" {
		return "keyring: invalid keyring file: " + e.msg
	}
	return "keyring: invalid keyring file " + e.source + ": " + e.msg
}

func (e *fileError) Is(target error) bool { return target == ErrInvalidFile }

func invalid(format string, args ...any) error {
	return &fileError{msg: fmt.Sprintf(format, args...)}
}

// withSource names where the bad content came from in a Parse error.
func withSource(err error, source string) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return &fileError{source: source, msg: fe.msg}
	}
	return fmt.Errorf("keyring: %s: %w", source, err)
}

// Parse decodes a keyring file. Decoding is strict: unknown fields, field
// names in another case ("Secret") or given twice, a version other than 1,
// a missing or malformed field, duplicate IDs, zero or two primaries and a
// secret that is not 32 bytes of standard base64 are all errors matching
// [ErrInvalidFile] that name the field.
func Parse(data []byte) (*Keyring, error) {
	if err := checkFieldNames(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileV1
	if err := dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return nil, invalid("field %q: %s is not a %s", te.Field, te.Value, te.Type)
		case errors.Is(err, io.EOF):
			return nil, invalid("empty file")
		}
		// Unknown fields ("json: unknown field \"x\""), bad times and
		// syntax errors: the json message names the problem.
		return nil, invalid("%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("data after the keyring object")
	}
	if f.Version != FileVersion {
		return nil, invalid("version: got %d, want %d", f.Version, FileVersion)
	}
	if len(f.Keys) == 0 {
		return nil, invalid("keys: no keys")
	}
	keys := make([]Key, 0, len(f.Keys))
	seen := make(map[string]bool, len(f.Keys))
	primaries := 0
	for i, fk := range f.Keys {
		field := func(name string) string { return fmt.Sprintf("keys[%d].%s", i, name) }
		if !validID(fk.ID) {
			return nil, invalid("%s: %q is not 1-32 characters of a-z and 2-7", field("id"), fk.ID)
		}
		if seen[fk.ID] {
			return nil, invalid("%s: duplicate key ID %q", field("id"), fk.ID)
		}
		seen[fk.ID] = true
		switch fk.State {
		case Primary:
			primaries++
		case Enabled:
		default:
			return nil, invalid("%s: %q is neither %q nor %q", field("state"), fk.State, Primary, Enabled)
		}
		if fk.Created.IsZero() {
			return nil, invalid("%s: missing", field("created"))
		}
		if fk.Secret == "" {
			return nil, invalid("%s: missing", field("secret"))
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(fk.Secret)
		if err != nil {
			return nil, invalid("%s: not standard base64", field("secret"))
		}
		if len(raw) != SecretLen {
			return nil, invalid("%s: %d bytes, want %d", field("secret"), len(raw), SecretLen)
		}
		var secret [SecretLen]byte
		copy(secret[:], raw)
		clear(raw)
		m, err := newMaterial(secret)
		if err != nil {
			return nil, err
		}
		key := Key{ID: fk.ID, State: fk.State, Created: normTime(fk.Created), m: m}
		if fk.Promoted != nil {
			key.Promoted = normTime(*fk.Promoted)
		}
		if fk.Demoted != nil {
			key.Demoted = normTime(*fk.Demoted)
		}
		keys = append(keys, key)
	}
	if primaries != 1 {
		return nil, invalid("keys: %d primary keys, want exactly 1", primaries)
	}
	k, err := build(keys, DefaultMaxAge, nil)
	if err != nil { // unreachable after the checks above; kept for safety
		return nil, invalid("%s", strings.TrimPrefix(err.Error(), "keyring: "))
	}
	return k, nil
}

// fileFields are the field names of a keyring file, in the only case
// accepted.
var fileFields = map[string]bool{
	"version": true, "keys": true,
	"id": true, "state": true, "created": true, "promoted": true, "demoted": true, "secret": true,
}

// checkFieldNames refuses what encoding/json lets through: a field name in
// another case, which it matches case-insensitively, and a field given
// twice in one object, where it silently keeps the last (a merge conflict
// left with two secrets would load one of them). Unknown names and syntax
// errors are left to the decoder, which names them better.
func checkFieldNames(data []byte) error {
	type frame struct {
		obj     bool
		wantKey bool
		seen    map[string]bool
	}
	var stack []*frame
	// valueDone: the value of the innermost object's field has ended.
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error that Decode reports
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			top := stack[n-1]
			key, _ := tok.(string)
			if !fileFields[key] && fileFields[strings.ToLower(key)] {
				return invalid("field %q: write it %q", key, strings.ToLower(key))
			}
			if top.seen[key] {
				return invalid("field %q given twice in one object", key)
			}
			top.seen[key] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true, seen: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// Marshal encodes k as a keyring file (version 1, keys sorted by ID,
// indented). The result CONTAINS THE SECRETS: write it only where a
// private key may go. It is deliberately not MarshalJSON: encoding/json
// (or a JSON log handler) given a *Keyring, or a struct holding one, must
// not write the secrets; it writes {} instead.
func (k *Keyring) Marshal() ([]byte, error) {
	f := fileV1{Version: FileVersion, Keys: make([]fileKeyV1, len(k.keys))}
	for i, key := range k.keys {
		fk := fileKeyV1{
			ID:      key.ID,
			State:   key.State,
			Created: key.Created,
			Secret:  base64.StdEncoding.EncodeToString((*key.m.secret)[:]),
		}
		if !key.Promoted.IsZero() {
			t := key.Promoted
			fk.Promoted = &t
		}
		if !key.Demoted.IsZero() {
			t := key.Demoted
			fk.Demoted = &t
		}
		f.Keys[i] = fk
	}
	return json.MarshalIndent(f, "", "  ")
}

// Load reads and parses the keyring file at path. A missing file is an
// error matching fs.ErrNotExist. A file that group or others may read is
// loaded, with a warning logged through slog's default logger.
func Load(path string) (*Keyring, error) {
	data, err := readFile(path, slog.Default())
	if err != nil {
		return nil, err
	}
	k, err := Parse(data)
	if err != nil {
		return nil, withSource(err, path)
	}
	return k, nil
}

// readFile reads path and warns on logger if its mode lets group or
// others read or write it.
func readFile(path string, logger *slog.Logger) ([]byte, error) {
	data, mode, err := readFileMode(path)
	if err == nil && logger != nil {
		warnMode(logger, path, mode)
	}
	return data, err
}

// warnMode logs a warning if mode lets group or others at the file.
func warnMode(logger *slog.Logger, path string, mode fs.FileMode) {
	if mode.Perm()&0o077 != 0 {
		logger.Warn("keyring: group or others can access the keyring file; run chmod 600 on it",
			"path", path, "mode", mode.Perm().String())
	}
}

// readFileMode reads path, at most MaxFileSize bytes, and returns its
// mode as seen through the open file (the file read, even if path was
// replaced meanwhile).
func readFileMode(path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	defer f.Close()
	var mode fs.FileMode
	if st, err := f.Stat(); err == nil {
		mode = st.Mode()
	}
	// Read at most one byte past the limit: a path pointing at a huge file
	// or a device (/dev/zero) must not eat memory, every Watcher tick.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, 0, &fileError{source: path, msg: fmt.Sprintf("larger than %d bytes; not a keyring file", MaxFileSize)}
	}
	return data, mode, nil
}

// MaxFileSize is the largest keyring file (or $SEALED_KEYRING) that Load,
// Watch and FromEnv read, over 4,000 keys: anything larger is refused
// with an error matching ErrInvalidFile before it is parsed.
const MaxFileSize = 1 << 20

// WriteFile writes k to path atomically with mode 0600: a temporary file in
// the same directory is written, synced and renamed over path, then the
// directory is synced. A reader sees the old file or the new one, never
// half of either. If path is a symbolic link, the file it points to is
// replaced and the link stays. WriteFile replaces an existing file; to
// refuse, use [Create]; to edit safely against concurrent writers, use
// [Update].
func WriteFile(path string, k *Keyring) error {
	data, err := k.Marshal()
	if err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	data = append(data, '\n')
	target := path
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// Renaming over the link would replace the link itself, leaving
		// the file it points to (which other instances may read) stale.
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return fmt.Errorf("keyring: write %s: %w", path, err)
		}
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("keyring: write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("keyring: write %s: %w", path, err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("keyring: write %s: sync directory: %w", path, err)
		}
	}
	return nil
}

// ErrLocked: another process held the keyring file's lock for too long.
var ErrLocked = errors.New("keyring: file is locked")

// ErrExists: Create found a keyring file already at the path.
var ErrExists = errors.New("keyring: file already exists")

// Create writes k to path like [WriteFile], but fails with an error
// matching ErrExists if path already exists. It holds the lock [Update]
// uses.
func Create(path string, k *Keyring) error {
	unlock, err := lockFile(lockTarget(path))
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("keyring: create %s: %w", path, ErrExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keyring: create %s: %w", path, err)
	}
	return WriteFile(path, k)
}

// lockTarget is the path whose ".lock" guards path: the file a symbolic
// link points to, so that editors going through the link and editors
// naming the file take one lock.
func lockTarget(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}

// Update edits the keyring file at path: it takes an exclusive lock on
// path+".lock" (created if needed and left in place; beside the file a
// symbolic link points to), loads the file, calls
// edit, writes the result atomically if edit returns a different keyring,
// and releases the lock. Concurrent Updates of one file, from goroutines
// or processes, run one after the other, so no edit is lost. If edit
// fails, the file is left as it was and the error is returned.
func Update(path string, edit func(*Keyring) (*Keyring, error)) (*Keyring, error) {
	// A missing file is reported before a lock file is created beside it.
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("keyring: load %s: %w", path, err)
	}
	unlock, err := lockFile(lockTarget(path))
	if err != nil {
		return nil, err
	}
	defer unlock()
	k, err := Load(path)
	if err != nil {
		return nil, err
	}
	nk, err := edit(k)
	if err != nil {
		return nil, err
	}
	if nk == nil {
		return nil, fmt.Errorf("keyring: update %s: edit returned no keyring", path)
	}
	if nk != k {
		if err := WriteFile(path, nk); err != nil {
			return nil, err
		}
	}
	return nk, nil
}

// FromEnv parses the keyring held in the environment variable named by
// [EnvVar]. If the variable is unset or empty the error matches
// fs.ErrNotExist.
func FromEnv() (*Keyring, error) {
	v := os.Getenv(EnvVar)
	if v == "" {
		return nil, fmt.Errorf("keyring: environment variable %s is not set: %w", EnvVar, fs.ErrNotExist)
	}
	if len(v) > MaxFileSize {
		return nil, &fileError{source: "$" + EnvVar, msg: fmt.Sprintf("larger than %d bytes; not a keyring", MaxFileSize)}
	}
	k, err := Parse([]byte(v))
	if err != nil {
		return nil, withSource(err, "$"+EnvVar)
	}
	return k, nil
}
