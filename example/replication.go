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
// record, then published, signed under the keyring) and events from other
// instances are applied if they verify under the keyring. Until its first
// catch-up, the replica refuses sessions (natsrepl's default).
func (s *Server) startReplication() error {
	url := natsrepl.RedactURL(s.cfg.NATSURL) // the URL may carry a password
	opts, err := s.cfg.NATSAuth.Options()
	if err != nil {
		return fmt.Errorf("example: open: replication: %w (check --nats-creds, --nats-nkey and --nats-tls-*)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := natsrepl.Start(ctx, s.store, natsrepl.Config{
		URL:                 s.cfg.NATSURL,
		Options:             opts,
		Keys:                s.keys.Keyring, // the watched ring: a rotation applies to events too
		Node:                s.cfg.Node,
		FailClosedWhenStale: s.cfg.FailClosedWhenStale,
		Logger:              s.logger,
		Now:                 s.cfg.Now,
	}) // the stream's max age defaults to the store's absolute lifetime plus a day
	if err != nil {
		return fmt.Errorf("example: open: replication through %s: %w", url, err)
	}
	s.repl = r
	s.logger.Info("replicating revocations through NATS JetStream", "url", url, "node", s.cfg.Node,
		"fail_closed_when_stale", s.cfg.FailClosedWhenStale)
	return nil
}

// catchUpPoll is how often awaitCatchUp looks at the replica's health.
const catchUpPoll = 10 * time.Millisecond

// awaitCatchUp waits, at most Config.CatchUpTimeout, until the replica has
// caught up with the stream once since Start, so that the instance does not
// start listening with a list that may lack revocations made elsewhere
// while it was down. After the timeout it returns anyway: the site then
// listens, /healthz answers 503 and sessions are refused until the replica
// has caught up.
func (s *Server) awaitCatchUp() {
	start := time.Now()
	var timeout <-chan time.Time
	if s.cfg.CatchUpTimeout > 0 {
		t := time.NewTimer(s.cfg.CatchUpTimeout)
		defer t.Stop()
		timeout = t.C
	}
	tick := time.NewTicker(catchUpPoll)
	defer tick.Stop()
	for {
		h := s.repl.Health()
		if h.CaughtUp {
			s.logger.Info("caught up with the revocation stream", "after", time.Since(start).Round(time.Millisecond), "applied_seq", h.AppliedSeq)
			return
		}
		if timeout == nil {
			s.logger.Warn("listening before the first catch-up with the revocation stream (--catch-up-timeout 0): sessions are refused and /healthz answers 503 until it completes", "reason", h.Reason)
			return
		}
		select {
		case <-timeout:
			s.logger.Warn("not caught up with the revocation stream: listening anyway; sessions are refused and /healthz answers 503 until it completes",
				"waited", s.cfg.CatchUpTimeout, "reason", h.Reason)
			return
		case <-tick.C:
		}
	}
}
