package main

import (
	"context"
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

// revokeViaNATS publishes ev, signed under the cluster's keyring, to the
// revocation stream of a running cluster and waits for the stream's
// acknowledgement; every instance then applies it. url may list several
// servers, comma-separated.
func revokeViaNATS(ctx context.Context, url string, o natsOptions, ev revocation.Event, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, natsTimeout)
	defer cancel()
	ring, err := keyring.Load(o.keyring)
	if err != nil {
		return fmt.Errorf("revoke --keyring: %w", keysErr(o.keyring, err))
	}
	auth, err := o.auth.Options()
	if err != nil {
		return fmt.Errorf("revoke --nats: %w (check the --nats-* flags)", err)
	}
	opts := append([]nats.Option{
		nats.Name("sealctl revoke"),
		nats.Timeout(natsTimeout / 2),
		// Asynchronous errors would otherwise go to stderr unformatted; the
		// publish reports what matters.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
	}, auth...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("revoke --nats %s: connect: %w (is the URL right, the server up, and --nats-creds/--nats-nkey/--nats-ca/--nats-tls-* what it expects?)", natsrepl.RedactURL(url), err)
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
