package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// natsListTimeout bounds sessions list --nats: connecting, and reading
// the whole stream into a temporary store.
const natsListTimeout = time.Minute

// loginsViaNATS reads a running cluster's stream, verified under the
// cluster's keyring, into a temporary store with the login registry on,
// and returns user's live logins, newest first. The store's directory is
// removed before it returns. The servers' absolute lifetime, which
// decides which logins are still alive, is read from the stream's maximum
// age. The stream is replayed from its first event, never joined from a
// snapshot: one made by an instance whose registry is off carries no
// logins.
func loginsViaNATS(ctx context.Context, url string, o natsOptions, user string, stderr io.Writer) ([]revocation.Login, error) {
	ctx, cancel := context.WithTimeout(ctx, natsListTimeout)
	defer cancel()
	ring, nc, err := dialCluster(url, o, "sessions list")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	logins, err := readLogins(ctx, nc, ring, o, user, stderr)
	if err != nil {
		return nil, fmt.Errorf("sessions list --nats %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	return logins, nil
}

// readLogins is loginsViaNATS once connected.
func readLogins(ctx context.Context, nc *nats.Conn, ring *keyring.Keyring, o natsOptions, user string, stderr io.Writer) ([]revocation.Login, error) {
	sc, err := streamConfig(ctx, nc, o.stream)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sealctl-sessions-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	host, _ := os.Hostname()
	node := fmt.Sprintf("sealctl-%s-%d", host, os.Getpid())
	s, err := revocation.Open(dir, revocation.Config{
		AbsoluteLifetime: lifeOfStream(sc.MaxAge), Node: node, Outbox: true, GCInterval: -1, Logger: log,
		LoginsPerUser: math.MaxInt, MaxLogins: math.MaxInt,
	})
	if err != nil {
		return nil, fmt.Errorf("temporary store: %w", err)
	}
	defer s.Close()
	repl, err := natsrepl.Start(ctx, s, natsrepl.Config{
		Conn: nc, Stream: o.stream, SubjectPrefix: o.prefix, Keys: ring.Keyring,
		MaxAge: sc.MaxAge, Replicas: sc.Replicas, Node: node, SnapshotEvery: -1, Logger: log,
		ReplayWholeStream: true, // a snapshot may come from an instance with the registry off
	})
	if errors.Is(err, natsrepl.ErrStreamMismatch) {
		return nil, fmt.Errorf("%w (do --stream and --subject-prefix match the servers' natsrepl.Config?)", err)
	}
	if err != nil {
		return nil, err
	}
	defer repl.Close()
	if err := repl.WaitCaughtUp(ctx); err != nil {
		return nil, fmt.Errorf("read stream %s: %w", o.stream, err)
	}
	return s.Logins(user), nil
}

// streamConfig returns the configuration of the cluster's stream, failing
// if there is none: natsrepl would create it, and an empty stream would
// list no sessions, wrongly.
func streamConfig(ctx context.Context, nc *nats.Conn, name string) (jetstream.StreamConfig, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return jetstream.StreamConfig{}, err
	}
	st, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return jetstream.StreamConfig{}, fmt.Errorf("no stream %s on this server (is a replicating instance running, and does --stream match the servers'?)", name)
	}
	if err != nil {
		return jetstream.StreamConfig{}, fmt.Errorf("stream %s: %w", name, err)
	}
	return st.CachedInfo().Config, nil
}

// lifeOfStream is the servers' absolute lifetime as their stream's maximum
// age tells it: natsrepl keeps events a day longer than the lifetime.
func lifeOfStream(maxAge time.Duration) time.Duration {
	life := maxAge - 24*time.Hour
	if life <= 0 || life > revocation.MaxAbsoluteLifetime {
		return revocation.DefaultAbsoluteLifetime
	}
	return life
}
