package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// natsTimeout bounds connecting and publishing for revoke --nats.
const natsTimeout = 10 * time.Second

// natsOptions are revoke's flags for reaching the cluster's stream.
type natsOptions struct {
	creds  string // credentials file
	ca     string // CA certificate file for TLS
	stream string
	prefix string
}

// revokeViaNATS publishes ev to the revocation stream of a running cluster
// and waits for the stream's acknowledgement; every instance then applies
// it. url may list several servers, comma-separated.
func revokeViaNATS(ctx context.Context, url string, o natsOptions, ev revocation.Event, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, natsTimeout)
	defer cancel()
	opts := []nats.Option{
		nats.Name("sealctl revoke"),
		nats.Timeout(natsTimeout / 2),
		// Asynchronous errors would otherwise go to stderr unformatted; the
		// publish reports what matters.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
	}
	for _, f := range []struct{ name, path string }{{"--nats-creds", o.creds}, {"--nats-ca", o.ca}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return fmt.Errorf("revoke %s %s: %w", f.name, f.path, err)
		}
	}
	if o.creds != "" {
		opts = append(opts, nats.UserCredentials(o.creds))
	}
	if o.ca != "" {
		opts = append(opts, nats.RootCAs(o.ca))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("revoke --nats %s: connect: %w (is the URL right, the server up, and --nats-creds/--nats-ca what it expects?)", natsrepl.RedactURL(url), err)
	}
	defer nc.Close()
	if err := natsrepl.Publish(ctx, nc, natsrepl.Config{Stream: o.stream, SubjectPrefix: o.prefix}, ev); err != nil {
		return fmt.Errorf("revoke --nats %s: %w (do --stream and --subject-prefix match the servers' natsrepl.Config?)", nc.ConnectedUrlRedacted(), err)
	}
	where := fmt.Sprintf("stream %s via %s", o.stream, nc.ConnectedUrlRedacted())
	until := "the end of the servers' absolute lifetime"
	if !ev.Until.IsZero() {
		until = ev.Until.UTC().Format(time.RFC3339) + " (at most the servers' absolute lifetime)"
	}
	fmt.Fprintf(stdout, "revoked %s: published to %s\n", revoked(ev, until), where)
	return nil
}
