package natsrepl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/sealedsessions/sealed/internal/testutil/natstest"
)

// A server that requires an NKey: NATSAuth's options get in, none don't.
func TestNATSAuthNKey(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := natstest.Start(t, func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: pub}} })

	if nc, err := nats.Connect(srv.URL()); err == nil {
		nc.Close()
		t.Fatal("connected without the NKey: the server does not require it")
	}
	opts, err := NATSAuth{NKey: seedFile}.Options()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.URL(), opts...)
	if err != nil {
		t.Fatalf("connect with NATSAuth{NKey}: %v", err)
	}
	nc.Close()
}

func TestNATSAuthErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		auth NATSAuth
		want []string
	}{
		{"missing CA", NATSAuth{TLSCA: missing}, []string{"TLSCA", missing}},
		{"missing creds", NATSAuth{Creds: missing}, []string{"Creds", missing}},
		{"directory as key", NATSAuth{TLSCert: file, TLSKey: dir}, []string{"TLSKey", dir, "not a regular file"}},
		{"cert without key", NATSAuth{TLSCert: file}, []string{"TLSCert and TLSKey"}},
		{"creds and nkey", NATSAuth{Creds: file, NKey: file}, []string{"Creds or NKey"}},
		{"nkey file without a seed", NATSAuth{NKey: file}, []string{"NKey", file}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.auth.Options()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Options() = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
	if opts, err := (NATSAuth{}).Options(); err != nil || len(opts) != 0 {
		t.Errorf("empty NATSAuth: %d options, %v; want none", len(opts), err)
	}
	if opts, err := (NATSAuth{Creds: file, TLSCA: file, TLSCert: file, TLSKey: file}).Options(); err != nil || len(opts) != 3 {
		t.Errorf("creds and TLS: %d options, %v; want 3", len(opts), err)
	}
}
