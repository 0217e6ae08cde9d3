package natsrepl

import (
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
)

// NATSAuth names the files that authenticate a connection to NATS, for
// every entry point (an application's flags, sealctl): a credentials file
// (JWT and NKey seed, from nsc), or an NKey seed file; TLS with a CA and
// optionally a client certificate. A user and password, or a token, ride
// in the URL as nats.go reads it ("nats://user:pass@host:4222"). Empty
// fields are unused.
type NATSAuth struct {
	Creds   string // credentials file (JWT and NKey seed)
	NKey    string // NKey seed file; not with Creds
	TLSCA   string // PEM file of the CA that signed the servers' certificates
	TLSCert string // PEM client certificate; with TLSKey
	TLSKey  string // PEM client private key; with TLSCert
}

// Options returns the nats.Connect options for a. It checks that each file
// named can be read, and returns an error wrapping ErrInvalidConfig that
// names the field and the file otherwise, or for fields that don't go
// together (Creds with NKey; TLSCert without TLSKey or the reverse).
func (a NATSAuth) Options() ([]nats.Option, error) {
	switch {
	case a.Creds != "" && a.NKey != "":
		return nil, fmt.Errorf("%w: NATSAuth: give Creds or NKey, not both", ErrInvalidConfig)
	case (a.TLSCert == "") != (a.TLSKey == ""):
		return nil, fmt.Errorf("%w: NATSAuth: TLSCert and TLSKey go together", ErrInvalidConfig)
	}
	for _, f := range []struct{ field, path string }{
		{"Creds", a.Creds}, {"NKey", a.NKey}, {"TLSCA", a.TLSCA}, {"TLSCert", a.TLSCert}, {"TLSKey", a.TLSKey},
	} {
		if f.path == "" {
			continue
		}
		if err := readable(f.path); err != nil {
			return nil, fmt.Errorf("%w: NATSAuth.%s %s: %w", ErrInvalidConfig, f.field, f.path, err)
		}
	}
	var opts []nats.Option
	if a.Creds != "" {
		opts = append(opts, nats.UserCredentials(a.Creds))
	}
	if a.NKey != "" {
		o, err := nats.NkeyOptionFromSeed(a.NKey)
		if err != nil {
			return nil, fmt.Errorf("%w: NATSAuth.NKey %s: %w", ErrInvalidConfig, a.NKey, err)
		}
		opts = append(opts, o)
	}
	if a.TLSCA != "" {
		opts = append(opts, nats.RootCAs(a.TLSCA))
	}
	if a.TLSCert != "" {
		opts = append(opts, nats.ClientCert(a.TLSCert, a.TLSKey))
	}
	return opts, nil
}

// readable checks that path is a regular file this process can open.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file")
	}
	return nil
}
