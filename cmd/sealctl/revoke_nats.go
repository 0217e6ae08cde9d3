package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// natsTimeout bounds connecting and publishing for revoke --nats.
const natsTimeout = 10 * time.Second

// revokeViaNATS publishes ev to the revocation stream of a running cluster
// (natsrepl's default stream and subjects) and waits for the stream's
// acknowledgement; every instance then applies it. url may list several
// servers, comma-separated.
func revokeViaNATS(ctx context.Context, url string, ev revocation.Event, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, natsTimeout)
	defer cancel()
	nc, err := nats.Connect(url,
		nats.Name("sealctl revoke"),
		nats.Timeout(natsTimeout/2),
		// Asynchronous errors would otherwise go to stderr unformatted; the
		// publish reports what matters.
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
	)
	if err != nil {
		return fmt.Errorf("revoke --nats %s: connect: %w (is the URL right and the server up?)", natsrepl.RedactURL(url), err)
	}
	defer nc.Close()
	if err := natsrepl.Publish(ctx, nc, natsrepl.Config{}, ev); err != nil {
		return fmt.Errorf("revoke --nats %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	where := fmt.Sprintf("stream %s via %s", natsrepl.DefaultStream, nc.ConnectedUrlRedacted())
	switch ev.Kind {
	case revocation.KindSession:
		fmt.Fprintf(stdout, "revoked session %x until %s: published to %s\n", ev.Session, ev.Until.UTC().Format(time.RFC3339), where)
	case revocation.KindUser:
		fmt.Fprintf(stdout, "revoked every session of user %q created up to %s: published to %s\n", ev.User, ev.At.UTC().Format(time.RFC3339Nano), where)
	case revocation.KindAll:
		fmt.Fprintf(stdout, "revoked every session created up to %s: published to %s\n", ev.At.UTC().Format(time.RFC3339Nano), where)
	}
	return nil
}
