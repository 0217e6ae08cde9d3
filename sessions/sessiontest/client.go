package sessiontest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/sealedsessions/sealed/sessions"
)

// Origin is the scheme and host a Client's requests carry. It is HTTPS so
// that the cookie jar sends Secure cookies back, as a browser would.
const Origin = "https://example.test"

// Client follows a user across requests to one handler, as a browser does:
// a cookie jar keeps what responses set and sends it back. It calls the
// handler directly (no network) and does not follow redirects. Use it to
// test a flow: log in, see the page, log out, replay the old cookie.
type Client struct {
	k   *Kit
	h   http.Handler
	jar *cookiejar.Jar
	url *url.URL
}

// Response is a finished response with its body read and its session
// cookie decoded.
type Response struct {
	*http.Response
	Body    string
	Written Written
}

// Client returns a Client with an empty jar that sends its requests to h,
// which should use the Kit's Manager.
func (k *Kit) Client(h http.Handler) *Client {
	k.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		k.t.Fatalf("sessiontest: cookie jar: %v", err)
	}
	u, _ := url.Parse(Origin + "/")
	return &Client{k: k, h: h, jar: jar, url: u}
}

// Get sends a GET for path ("/cart?page=2").
func (c *Client) Get(path string) *Response {
	c.k.t.Helper()
	return c.Do(httptest.NewRequest(http.MethodGet, Origin+path, nil))
}

// PostForm sends a POST for path with form as a urlencoded body.
func (c *Client) PostForm(path string, form url.Values) *Response {
	c.k.t.Helper()
	req := httptest.NewRequest(http.MethodPost, Origin+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Do sends req (made with httptest.NewRequest and a URL under Origin) with
// the jar's cookies, and keeps the cookies the response sets.
func (c *Client) Do(req *http.Request) *Response {
	c.k.t.Helper()
	for _, ck := range c.jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	resp := rec.Result()
	c.jar.SetCookies(req.URL, resp.Cookies())
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.k.t.Fatalf("sessiontest: read body: %v", err)
	}
	return &Response{Response: resp, Body: string(body), Written: c.k.decode(resp.Header)}
}

// Cookies returns the session's cookies the jar holds now, none for a
// guest: keep them to replay later with SetCookies.
func (c *Client) Cookies() []*http.Cookie {
	return c.k.sessionCookies(c.jar.Cookies(c.url))
}

// SetCookies puts cookies in the jar in place of those of the same name,
// as an attacker replaying a copied cookie would.
func (c *Client) SetCookies(cookies []*http.Cookie) {
	c.jar.SetCookies(c.url, cookies)
}

// Session reports the session the jar's cookies carry, if the Manager
// would accept it now (Kit.Live); false means the next request is a guest's.
func (c *Client) Session() (sessions.CookieInfo, bool) {
	c.k.t.Helper()
	return c.k.Live(c.Cookies())
}
