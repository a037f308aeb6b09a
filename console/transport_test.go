package console_test

import (
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/console"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// The static directory serves its files and nothing else: no listing.
func TestStaticServesFilesNotDirectories(t *testing.T) {
	e := newEnv(t)
	hc := e.srv.Client() // follows the mux's redirects (/static → /static/)
	tests := []struct {
		path string
		want int
	}{
		{"/console/static/style.css", http.StatusOK},
		{"/console/static/", http.StatusNotFound},
		{"/console/static", http.StatusNotFound},
		{"/console/static/nope.css", http.StatusNotFound},
		{"/console/static/../static/", http.StatusNotFound},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", e.srv.URL+tt.path, nil)
		req.URL.Opaque = tt.path // keep ../ as sent
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s: %d, want %d", tt.path, resp.StatusCode, tt.want)
		}
	}
}

// HSTS and the Secure cookie follow the request: HTTPS directly, or a
// trusted proxy saying X-Forwarded-Proto: https. An untrusted peer's header
// is ignored.
func TestHTTPSIsDetectedForHSTSAndSecureCookies(t *testing.T) {
	tests := []struct {
		name    string
		tls     bool
		trusted []netip.Prefix
		proto   string // X-Forwarded-Proto sent
		always  bool   // console.secure_cookie
		https   bool   // HSTS and Secure expected
		secure  bool
	}{
		{"plain HTTP (demo)", false, nil, "", false, false, false},
		{"TLS", true, nil, "", false, true, true},
		{"trusted proxy, https", false, loopback, "https", false, true, true},
		{"trusted proxy, http", false, loopback, "http", false, false, false},
		{"untrusted peer claims https", false, nil, "https", false, false, false},
		{"secure_cookie on, plain HTTP", false, nil, "", true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, envOptions{tls: tt.tls, console: func(o *console.Options) {
				o.TrustedProxies, o.SecureCookie = tt.trusted, tt.always
			}})
			// No cookie jar: it would withhold Secure cookies from http:// URLs,
			// which a browser behind the HTTPS proxy does send.
			hc := e.srv.Client()
			hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			var csrf string
			do := func(method, path string, form url.Values) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tt.proto != "" {
					req.Header.Set("X-Forwarded-Proto", tt.proto)
				}
				if csrf != "" {
					req.AddCookie(&http.Cookie{Name: "pufa_login_csrf", Value: csrf})
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			resp, body := do("GET", "/console/login", nil)
			// A Secure cookie on plain HTTP would be dropped: the page says so.
			if notice := strings.Contains(body, `id="insecure"`); notice != (tt.secure && !tt.https) {
				t.Errorf("insecure-connection notice shown: %v", notice)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); (got != "") != tt.https || (tt.https && !strings.Contains(got, "max-age=")) {
				t.Errorf("Strict-Transport-Security = %q, want set: %v", got, tt.https)
			}
			for _, ck := range resp.Cookies() {
				if ck.Name == "pufa_login_csrf" {
					csrf = ck.Value
					if ck.Secure != tt.secure {
						t.Errorf("login form cookie Secure = %v, want %v", ck.Secure, tt.secure)
					}
				}
			}
			resp, _ = do("POST", "/console/login", url.Values{"csrf": {csrf}, "user": {"ed"}, "password": {"editor-pass"}})
			found := false
			for _, ck := range resp.Cookies() {
				if ck.Name == "pufa_session" {
					found = true
					if ck.Secure != tt.secure {
						t.Errorf("session cookie Secure = %v, want %v", ck.Secure, tt.secure)
					}
				}
			}
			if !found {
				t.Fatalf("login: %d, no session cookie", resp.StatusCode)
			}
		})
	}
}
