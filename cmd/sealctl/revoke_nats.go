package main

import (
	"context"
	"errors"
	"io"

	"github.com/sealedsessions/sealed/revocation"
)

// revokeViaNATS publishes ev to a running cluster. Placeholder until the
// NATS replication package lands; its owner replaces this file.
func revokeViaNATS(ctx context.Context, url string, ev revocation.Event, stdout io.Writer) error {
	return errors.New("revoke --nats: not built yet")
}
