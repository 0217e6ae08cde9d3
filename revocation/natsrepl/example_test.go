package natsrepl_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sealedsessions/sealed/keyring"
	"github.com/sealedsessions/sealed/revocation"
	"github.com/sealedsessions/sealed/revocation/natsrepl"
)

// Start takes the interface natsrepl declares; a revocation.Store is one.
var _ natsrepl.Store = (*revocation.Store)(nil)

// Two instances, each with its own Badger directory, share revocations
// through an in-process NATS server (in production: your NATS cluster).
func ExampleStart() {
	tmp, err := os.MkdirTemp("", "natsrepl-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		JetStream: true, StoreDir: filepath.Join(tmp, "nats"), JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 64 << 20,
	})
	if err != nil {
		log.Fatal(err)
	}
	ns.Start()
	defer ns.WaitForShutdown()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(5 * time.Second) {
		log.Fatal("nats server not ready")
	}

	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	// Every instance uses the cluster's keyring (in production: the same
	// keyring file, watched with keyring.Watch): events carry a MAC under it.
	ring, err := keyring.New(time.Now())
	if err != nil {
		log.Fatal(err)
	}
	start := func(node string) (*revocation.Store, *natsrepl.Replicator) {
		store, err := revocation.Open(filepath.Join(tmp, node), revocation.Config{Node: node, Outbox: true, Logger: quiet})
		if err != nil {
			log.Fatal(err)
		}
		repl, err := natsrepl.Start(ctx, store, natsrepl.Config{URL: ns.ClientURL(), Node: node, Logger: quiet, Keys: ring.Keyring})
		if err != nil {
			log.Fatal(err)
		}
		return store, repl
	}
	storeA, a := start("web-1")
	defer storeA.Close()
	defer a.Close()
	storeB, b := start("web-2")
	defer storeB.Close()
	defer b.Close()

	// Log a session out on web-1...
	var session [16]byte
	rand.Read(session[:])
	if err := a.RevokeSession(ctx, session, time.Now().Add(24*time.Hour)); err != nil {
		log.Fatal(err)
	}
	// ...and web-2 refuses it too once web-1 has published the event and
	// web-2 has applied it (milliseconds).
	for a.Health().OutboxDepth > 0 {
		time.Sleep(time.Millisecond)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.WaitCaughtUp(wctx); err != nil {
		log.Fatal(err)
	}
	dead, err := b.Revoked(session, "", time.Now())
	fmt.Println("revoked on web-2:", dead, err)
	fmt.Println("web-2 healthy:", b.Health().Healthy)
	// Output:
	// revoked on web-2: true <nil>
	// web-2 healthy: true
}
