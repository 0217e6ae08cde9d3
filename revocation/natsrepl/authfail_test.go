package natsrepl

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// authServer is a real in-process JetStream server that requires a user
// and password, whose password can be changed at run time (a config
// reload, as an operator revoking credentials does).
type authServer struct {
	srv  *server.Server
	opts server.Options
}

func startAuthServer(t *testing.T, user, pass string) *authServer {
	t.Helper()
	s := &authServer{opts: server.Options{
		ServerName: "auth", Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		JetStream: true, JetStreamMaxMemory: 64 << 20, JetStreamMaxStore: 256 << 20, StoreDir: t.TempDir(),
		Users: []*server.User{{Username: user, Password: pass}},
	}}
	srv, err := server.NewServer(&s.opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready in 10s")
	}
	s.srv = srv
	s.opts.Port = srv.Addr().(*net.TCPAddr).Port
	return s
}

// url is the server's URL with user and password in it.
func (s *authServer) url(user, pass string) string {
	return "nats://" + user + ":" + pass + "@127.0.0.1:" + strconv.Itoa(s.opts.Port)
}

// setPassword reloads the server with user's password changed: clients
// connected with the old one are disconnected, and refused when they
// reconnect with it.
func (s *authServer) setPassword(t *testing.T, user, pass string) {
	t.Helper()
	o := s.opts
	o.Users = []*server.User{{Username: user, Password: pass}}
	if err := s.srv.ReloadOptions(&o); err != nil {
		t.Fatalf("reload nats server: %v", err)
	}
}

// Credentials revoked at run time, then restored: the replicator keeps
// retrying through the authentication errors, reports them in Health, and
// replicates again once the credentials work, with no restart.
func TestAuthFailureRecovers(t *testing.T) {
	srv := startAuthServer(t, "app", "good")
	a := newInstance(t, srv.url("app", "good"), "a")
	b := newInstance(t, srv.url("app", "good"), "b")
	waitCaughtUp(t, a, 5*time.Second)
	waitCaughtUp(t, b, 5*time.Second)

	srv.setPassword(t, "app", "changed")
	eventually(t, 10*time.Second, "B never reported the authorization error", func() bool {
		h := b.repl.Health()
		return strings.Contains(h.NATSError, "authorization") && strings.Contains(h.Reason, "authorization")
	})
	// Long enough for nats.go's default to have given up (the same
	// authentication error twice) and closed the connection for good.
	time.Sleep(time.Second)
	if h := b.repl.Health(); h.NATS != "reconnecting" || h.State == StateOK {
		t.Fatalf("with bad credentials: health %+v, want the connection reconnecting and the state not ok", h)
	}

	srv.setPassword(t, "app", "good")
	eventually(t, 15*time.Second, "B never reconnected once the credentials worked again", func() bool {
		h := b.repl.Health()
		return h.NATS == "connected" && h.NATSError == ""
	})
	id := newID(t)
	if err := a.repl.RevokeSession(context.Background(), id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "B never applied A's revocation after the credentials were fixed", func() bool { return b.revoked(id) })
	waitCaughtUp(t, b, 10*time.Second)
	if h := b.repl.Health(); h.State != StateOK {
		t.Errorf("after recovery: health %+v, want ok", h)
	}
}
