package natstest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a real nats-server running in-process with JetStream on,
// listening on a loopback port the kernel picked. Stop and Restart keep the
// same client port, cluster port and JetStream store directory, so clients
// reconnect to it and streams survive, as with a restarted process.
type Server struct {
	t    testing.TB
	name string
	dir  string // JetStream store directory

	mu          sync.Mutex
	srv         *server.Server
	port        int // client port, fixed after the first start
	clusterName string
	clusterPort int      // 0 when not clustered; fixed after the first start
	routes      []string // route URLs to the other nodes
	log         *natsLog
}

// ServerOption adjusts a Server's options before it first starts.
type ServerOption func(*server.Options)

// Start starts a single JetStream-enabled server on a loopback port and
// shuts it down with t.Cleanup. Register it before the clients that use it,
// so that the clients' cleanups run first.
func Start(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	s := &Server{t: t, name: "n1", dir: t.TempDir(), log: newNATSLog(t)}
	t.Cleanup(s.Stop)
	if err := s.start(opts...); err != nil {
		t.Fatalf("natstest: start nats server: %v", err)
	}
	return s
}

// URL is the server's client URL, nats://127.0.0.1:PORT.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "nats://127.0.0.1:" + strconv.Itoa(s.port)
}

// Name is the server's name (n1, n2, ...).
func (s *Server) Name() string { return s.name }

// Server is the running server, or nil while stopped.
func (s *Server) Server() *server.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Running reports whether the server is started.
func (s *Server) Running() bool { return s.Server() != nil }

// Stop shuts the server down and waits until it is gone. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts a stopped server again on the same ports with the same
// store directory. It fails the test if the server can't start.
func (s *Server) Restart() {
	s.t.Helper()
	if s.Running() {
		s.t.Fatalf("natstest: restart nats server %s: still running", s.name)
	}
	var err error
	// The port was just released; on a busy machine another listener may
	// hold it briefly (TIME_WAIT does not block a listening socket).
	for range 50 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("natstest: restart nats server %s: %v", s.name, err)
}

func (s *Server) options() *server.Options {
	port := s.port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	o := &server.Options{
		ServerName:            s.name,
		Host:                  "127.0.0.1",
		Port:                  port,
		NoSigs:                true,
		NoLog:                 false,
		MaxControlLine:        4096,
		JetStream:             true,
		JetStreamMaxMemory:    64 << 20,
		JetStreamMaxStore:     256 << 20,
		StoreDir:              s.dir,
		DisableShortFirstPing: true,
	}
	if s.clusterName != "" {
		cport := s.clusterPort
		if cport == 0 {
			cport = server.RANDOM_PORT
		}
		o.Cluster.Name = s.clusterName
		o.Cluster.Host = "127.0.0.1"
		o.Cluster.Port = cport
		for _, r := range s.routes {
			o.Routes = append(o.Routes, server.RoutesFromStr(r)...)
		}
	}
	return o
}

func (s *Server) start(opts ...ServerOption) error {
	o := s.options()
	for _, opt := range opts {
		opt(o)
	}
	srv, err := server.NewServer(o)
	if err != nil {
		return err
	}
	srv.SetLoggerV2(s.log, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("server %s not ready in 10s (see log above)", s.name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv = srv
	if s.port == 0 {
		s.port = srv.Addr().(*net.TCPAddr).Port
	}
	if s.clusterName != "" && s.clusterPort == 0 {
		s.clusterPort = srv.ClusterAddr().Port
	}
	return nil
}

// Cluster is a real in-process JetStream cluster of servers n1..nN on
// loopback ports the kernel picked.
type Cluster struct {
	Servers []*Server
}

// StartCluster starts an n-node JetStream cluster, waits until it has a
// meta leader, and shuts it down with t.Cleanup. Register it before the
// clients that use it.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("natstest: nats cluster of %d nodes", n)
	}
	log := newNATSLog(t)
	c := &Cluster{}
	for i := range n {
		s := &Server{t: t, name: "n" + strconv.Itoa(i+1), dir: t.TempDir(), clusterName: "sealed-test", log: log}
		c.Servers = append(c.Servers, s)
	}
	// Cleanups run last-registered first: stop all at once, in one cleanup.
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, s := range c.Servers {
			wg.Go(s.Stop)
		}
		wg.Wait()
	})
	// JetStream clustering wants routes configured at start, so the
	// cluster ports are chosen first: the kernel picks free ones, which are
	// released and bound again by the servers. Another process can grab one
	// in between; then the whole start is retried with new ports. Client
	// ports are picked at bind time.
	var err error
	for range 5 {
		if err = c.launch(); err == nil {
			break
		}
		t.Logf("natstest: nats cluster start failed, retrying with new ports: %v", err)
	}
	if err != nil {
		t.Fatalf("natstest: start nats cluster: %v", err)
	}
	c.WaitJetStreamReady(t, 20*time.Second)
	return c
}

func (c *Cluster) pickPorts() error {
	ports := make([]int, len(c.Servers))
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		defer l.Close() // held until all are picked, so they differ
	}
	for i, s := range c.Servers {
		s.port, s.clusterPort, s.routes = 0, ports[i], nil
		for j, p := range ports {
			if j != i {
				s.routes = append(s.routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
			}
		}
	}
	return nil
}

// launch starts every node at once; on any failure it stops them all.
func (c *Cluster) launch() error {
	if err := c.pickPorts(); err != nil {
		return err
	}
	errs := make([]error, len(c.Servers))
	var wg sync.WaitGroup
	for i, s := range c.Servers {
		wg.Go(func() { errs[i] = s.start() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, s := range c.Servers {
			s.Stop()
		}
		return err
	}
	return nil
}

// URLs is every node's client URL, comma-separated, as nats.Connect takes.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

// WaitJetStreamReady waits until every running node sees the same
// JetStream meta leader and is current with it.
func (c *Cluster) WaitJetStreamReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.jetStreamReady() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("natstest: nats cluster has no JetStream meta leader after %v", timeout)
}

func (c *Cluster) jetStreamReady() bool {
	leaders := 0
	for _, s := range c.Servers {
		srv := s.Server()
		if srv == nil {
			continue
		}
		if !srv.JetStreamIsCurrent() {
			return false
		}
		if srv.JetStreamIsLeader() {
			leaders++
			// Only the leader lists the peers.
			if len(srv.JetStreamClusterPeers()) < len(c.Servers) {
				return false
			}
		}
	}
	return leaders == 1
}

// StreamLeader returns the node that leads the named stream in the global
// account, or nil if none does right now.
func (c *Cluster) StreamLeader(stream string) *Server {
	for _, s := range c.Servers {
		srv := s.Server()
		if srv != nil && srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return s
		}
	}
	return nil
}

// natsLog routes a test server's warnings and errors to t.Logf while the
// test runs, and never exits the process on a fatal error (the default
// logger would).
type natsLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newNATSLog(t testing.TB) *natsLog {
	l := &natsLog{t: t}
	// Registered before the servers' cleanups, so it runs after them.
	t.Cleanup(func() {
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
	})
	return l
}

func (l *natsLog) logf(level, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf("nats-server %s: %s", level, fmt.Sprintf(format, v...))
	}
}

func (l *natsLog) Noticef(string, ...any)         {}
func (l *natsLog) Debugf(string, ...any)          {}
func (l *natsLog) Tracef(string, ...any)          {}
func (l *natsLog) Warnf(format string, v ...any)  { l.logf("warning", format, v...) }
func (l *natsLog) Errorf(format string, v ...any) { l.logf("error", format, v...) }
func (l *natsLog) Fatalf(format string, v ...any) { l.logf("fatal", format, v...) }
