package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// natsTimeout bounds connecting and publishing for revoke --nats.
const natsTimeout = 10 * time.Second

// natsOptions are revoke's flags for reaching the cluster's stream.
type natsOptions struct {
	keyring string            // the cluster's keyring file, to sign
	auth    natsrepl.NATSAuth // credentials and TLS files
	stream  string
	prefix  string
}

// natsFlags defines the flags that reach a running cluster's stream:
// --nats URL into url, the others into o. keyringUse says what the
// cluster's keyring is for.
func natsFlags(fs *flag.FlagSet, url *string, o *natsOptions, keyringUse string) {
	fs.StringVar(url, "nats", "", "NATS `URL` of a running cluster")
	fs.StringVar(&o.keyring, "keyring", "", "with --nats (required): the cluster's keyring `FILE`; "+keyringUse)
	fs.StringVar(&o.auth.Creds, "nats-creds", "", "with --nats: NATS credentials `FILE` (JWT and NKey seed)")
	fs.StringVar(&o.auth.NKey, "nats-nkey", "", "with --nats: NATS NKey seed `FILE`")
	fs.StringVar(&o.auth.TLSCA, "nats-ca", "", "with --nats: PEM `FILE` of the CA that signed the servers' TLS certificates")
	fs.StringVar(&o.auth.TLSCert, "nats-tls-cert", "", "with --nats: PEM client certificate `FILE` (with --nats-tls-key)")
	fs.StringVar(&o.auth.TLSKey, "nats-tls-key", "", "with --nats: PEM client private key `FILE` (with --nats-tls-cert)")
	fs.StringVar(&o.stream, "stream", natsrepl.DefaultStream, "with --nats: the servers' revocation stream `NAME`")
	fs.StringVar(&o.prefix, "subject-prefix", natsrepl.DefaultSubjectPrefix, "with --nats: the servers' subject `PREFIX`")
}

// given reports whether any of o's flags was set to other than its
// default: they mean nothing without --nats.
func (o *natsOptions) given() bool {
	return o.keyring != "" || o.auth != natsrepl.NATSAuth{} || o.stream != natsrepl.DefaultStream || o.prefix != natsrepl.DefaultSubjectPrefix
}

// checkTarget says whether a command's flags name one place to work on:
// --data, a stopped instance's directory, or --nats, a running cluster,
// with its keyring (why names what the keyring is for) and the other NATS
// flags only with --nats. cmd names the command in the usage errors.
func checkTarget(cmd, data, url string, o *natsOptions, why string) error {
	if (data == "") == (url == "") {
		return usagef("%s: give exactly one of --data DIR (a stopped instance) or --nats URL (a running cluster)", cmd)
	}
	if url == "" && o.given() {
		return usagef("%s: --keyring, --nats-creds, --nats-nkey, --nats-ca, --nats-tls-cert, --nats-tls-key, --stream and --subject-prefix go with --nats", cmd)
	}
	if url != "" && o.keyring == "" {
		return usagef("%s: --nats needs --keyring FILE, the cluster's keyring: %s", cmd, why)
	}
	return nil
}

// revokeViaNATS publishes ev, signed under the cluster's keyring, to the
// revocation stream of a running cluster and waits for the stream's
// acknowledgement; every instance then applies it. url may list several
// servers, comma-separated.
func revokeViaNATS(ctx context.Context, url string, o natsOptions, ev revocation.Event, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, natsTimeout)
	defer cancel()
	ring, nc, err := dialCluster(url, o, "revoke")
	if err != nil {
		return err
	}
	defer nc.Close()
	cfg := natsrepl.Config{Stream: o.stream, SubjectPrefix: o.prefix, Keys: ring.Keyring}
	if err := natsrepl.Publish(ctx, nc, cfg, ev); err != nil {
		return fmt.Errorf("revoke --nats %s: %w (do --stream and --subject-prefix match the servers' natsrepl.Config?)", nc.ConnectedUrlRedacted(), err)
	}
	where := fmt.Sprintf("stream %s via %s, signed with key %s", o.stream, nc.ConnectedUrlRedacted(), ring.Primary().ID)
	until := "the end of the servers' absolute lifetime"
	if !ev.Until.IsZero() {
		until = ev.Until.UTC().Format(time.RFC3339) + " (at most the servers' absolute lifetime)"
	}
	fmt.Fprintf(stdout, "revoked %s: published to %s\n", revoked(ev, until), where)
	return nil
}

// dialCluster loads the cluster's keyring and connects to url (several
// servers may be given, comma-separated). cmd names the command in errors
// and in the connection's name.
func dialCluster(url string, o natsOptions, cmd string) (*keyring.Keyring, *nats.Conn, error) {
	ring, err := keyring.Load(o.keyring)
	if err != nil {
		return nil, nil, fmt.Errorf("%s --keyring: %w", cmd, keysErr(o.keyring, err))
	}
	auth, err := o.auth.Options()
	if err != nil {
		return nil, nil, fmt.Errorf("%s --nats: %w (check the --nats-* flags)", cmd, err)
	}
	opts := append([]nats.Option{
		nats.Name("sealctl " + cmd),
		nats.Timeout(natsTimeout / 2),
		// Asynchronous errors would otherwise go to stderr unformatted; the
		// operation's own error reports what matters.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
	}, auth...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s --nats %s: connect: %w (is the URL right, the server up, and --nats-creds/--nats-nkey/--nats-ca/--nats-tls-* what it expects?)", cmd, natsrepl.RedactURL(url), err)
	}
	return ring, nc, nil
}
