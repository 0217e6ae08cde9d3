package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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
	f, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	keys := make([]Key, 0, len(f.Keys))
	seen := make(map[string]bool, len(f.Keys))
	primaries := 0
	for i := range f.Keys {
		key, err := parseKey(i, &f.Keys[i], seen)
		if err != nil {
			return nil, err
		}
		if key.State == Primary {
			primaries++
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

// decodeFile decodes a keyring file strictly (known fields in their only
// case, one object, the current version, at least one key).
func decodeFile(data []byte) (*fileV1, error) {
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
	return &f, nil
}

// parseKey checks the file's key i (its ID not among seen, which it
// extends) and returns it with its key material.
func parseKey(i int, fk *fileKeyV1, seen map[string]bool) (Key, error) {
	field := func(name string) string { return fmt.Sprintf("keys[%d].%s", i, name) }
	if !validID(fk.ID) {
		return Key{}, invalid("%s: %q is not 1-32 characters of a-z and 2-7", field("id"), fk.ID)
	}
	if seen[fk.ID] {
		return Key{}, invalid("%s: duplicate key ID %q", field("id"), fk.ID)
	}
	seen[fk.ID] = true
	if fk.State != Primary && fk.State != Enabled {
		return Key{}, invalid("%s: %q is neither %q nor %q", field("state"), fk.State, Primary, Enabled)
	}
	if fk.Created.IsZero() {
		return Key{}, invalid("%s: missing", field("created"))
	}
	if fk.Secret == "" {
		return Key{}, invalid("%s: missing", field("secret"))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(fk.Secret)
	if err != nil {
		return Key{}, invalid("%s: not standard base64", field("secret"))
	}
	if len(raw) != SecretLen {
		return Key{}, invalid("%s: %d bytes, want %d", field("secret"), len(raw), SecretLen)
	}
	var secret [SecretLen]byte
	copy(secret[:], raw)
	clear(raw)
	m, err := newMaterial(secret)
	if err != nil {
		return Key{}, err
	}
	key := Key{ID: fk.ID, State: fk.State, Created: normTime(fk.Created), m: m}
	if fk.Promoted != nil {
		key.Promoted = normTime(*fk.Promoted)
	}
	if fk.Demoted != nil {
		key.Demoted = normTime(*fk.Demoted)
	}
	return key, nil
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
