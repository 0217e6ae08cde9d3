package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealedsessions/sealed/internal/testutil"
)

// TestHostCookieOverTLS: served over HTTPS (--tls-cert/--tls-key) or behind
// a TLS proxy, the session cookie is __Host-session: Secure, Path=/, no
// Domain. Plain HTTP keeps "session".
func TestHostCookieOverTLS(t *testing.T) {
	t.Run("tls-cert", func(t *testing.T) {
		cert, key, pool := selfSigned(t)
		s := newSite(t, func(c *Config) {
			c.Addr, c.TLSCert, c.TLSKey, c.InsecureCookies = "127.0.0.1:0", cert, key, false
		})
		if !strings.HasPrefix(s.URL(), "https://") {
			t.Fatalf("URL %q, want https", s.URL())
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		defer tr.CloseIdleConnections()
		wantHostCookie(t, testutil.NewClient(t, s.URL(), tr))
	})
	t.Run("behind-tls-proxy", func(t *testing.T) {
		s := newSite(t, func(c *Config) { c.BehindTLSProxy, c.InsecureCookies = true, false })
		hs := httptest.NewTLSServer(s.Handler()) // the proxy's side of it
		defer hs.Close()
		wantHostCookie(t, testutil.NewClient(t, hs.URL, hs.Client().Transport))
	})
	t.Run("plain http", func(t *testing.T) {
		c := newSite(t, nil).client()
		login(t, c, "bob", "bob-password")
		if c.Cookie("session") == nil || c.Cookie(hostCookieName) != nil {
			t.Errorf("plain HTTP: session cookie %v, %s %v; want \"session\" only", c.Cookie("session"), hostCookieName, c.Cookie(hostCookieName))
		}
	})
	t.Run("flags", func(t *testing.T) {
		cfg, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--behind-tls-proxy"}, &strings.Builder{})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.InsecureCookies || !cfg.BehindTLSProxy {
			t.Errorf("--behind-tls-proxy on loopback: InsecureCookies %v, BehindTLSProxy %v; want Secure", cfg.InsecureCookies, cfg.BehindTLSProxy)
		}
		if _, err := Open(Config{DataDir: t.TempDir(), TLSCert: "c.pem"}); err == nil || !strings.Contains(err.Error(), "go together") {
			t.Errorf("--tls-cert without --tls-key: %v", err)
		}
	})
}

// wantHostCookie logs bob in through c and checks the cookie he gets, and
// that it opens his session.
func wantHostCookie(t *testing.T, c *testutil.Client) {
	t.Helper()
	resp := c.PostForm("/login", map[string][]string{"username": {"bob"}, "password": {"bob-password"}})
	set := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(set, hostCookieName+"=") || !strings.Contains(set, "; Secure") ||
		!strings.Contains(set, "; Path=/") || strings.Contains(set, "Domain=") {
		t.Errorf("Set-Cookie %q, want %s with Secure, Path=/ and no Domain", set, hostCookieName)
	}
	if got := greeting(t, c); got != "Hello, bob" {
		t.Errorf("greeting with the __Host- cookie: %q", got)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
