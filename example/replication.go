package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sealedsessions/sealed/revocation/natsrepl"
	"github.com/sealedsessions/sealed/sessions"
)

// replicator is what the Server uses of *natsrepl.Replicator: the
// sessions.Revoker methods, Close, and the health snapshot /healthz and
// /metrics report.
type replicator interface {
	sessions.Revoker
	Close() error
	Health() natsrepl.Health
}

// startReplication starts the NATS JetStream replicator on the opened
// store. Revocations then go through it (recorded locally with an outbox
// record, then published) and events from other instances are applied.
func (s *Server) startReplication() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := natsrepl.Start(ctx, s.store, natsrepl.Config{
		URL:    s.cfg.NATSURL,
		Node:   s.cfg.Node,
		Logger: s.logger,
		Now:    s.cfg.Now,
	}) // the stream's max age defaults to the store's absolute lifetime plus a day
	if err != nil {
		return fmt.Errorf("example: open: replication through %s: %w", natsrepl.RedactURL(s.cfg.NATSURL), err)
	}
	s.repl = r
	s.logger.Info("replicating revocations through NATS JetStream", "url", natsrepl.RedactURL(s.cfg.NATSURL), "node", s.cfg.Node)
	return nil
}
