package testutil

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// Client is an HTTP client with a cookie jar that does not follow
// redirects, for flow tests against an httptest server.
type Client struct {
	T    testing.TB
	HTTP *http.Client
	Jar  *cookiejar.Jar
	Base string // server URL, e.g. httptest.Server.URL
}

// NewClient returns a Client for the server at base with an empty jar.
// Requests use the server's own client transport when given (for TLS
// servers), else http.DefaultTransport.
func NewClient(t testing.TB, base string, transport http.RoundTripper) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookie jar: %v", err)
	}
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &Client{T: t, Jar: jar, Base: base, HTTP: &http.Client{
		Jar:       jar,
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Response is a finished response with its body read.
type Response struct {
	*http.Response
	Body string
}

// Do sends a request for method and path (relative to Base), with form
// values as a urlencoded body when form is not nil, and fails the test on
// transport errors.
func (c *Client) Do(method, path string, form url.Values) *Response {
	c.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{Response: resp, Body: string(b)}
}

// Get sends a GET.
func (c *Client) Get(path string) *Response { c.T.Helper(); return c.Do(http.MethodGet, path, nil) }

// PostForm sends a POST with form values.
func (c *Client) PostForm(path string, form url.Values) *Response {
	c.T.Helper()
	return c.Do(http.MethodPost, path, form)
}

// Cookie returns the jar's cookie called name for the server, or nil.
func (c *Client) Cookie(name string) *http.Cookie {
	c.T.Helper()
	u, err := url.Parse(c.Base)
	if err != nil {
		c.T.Fatalf("parse %q: %v", c.Base, err)
	}
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// SetCookie puts a cookie into the jar for the server, e.g. to replay a
// copied cookie.
func (c *Client) SetCookie(ck *http.Cookie) {
	c.T.Helper()
	u, err := url.Parse(c.Base)
	if err != nil {
		c.T.Fatalf("parse %q: %v", c.Base, err)
	}
	c.Jar.SetCookies(u, []*http.Cookie{ck})
}
