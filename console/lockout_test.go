package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/console"
)

// loginFrom posts a login with an X-Forwarded-For header (ignored unless
// the test server's loopback peer is a trusted proxy).
func (c *client) loginFrom(xff, user, pass string) (*http.Response, string) {
	c.e.t.Helper()
	c.get("/console/login")
	req, _ := http.NewRequest("POST", c.e.srv.URL+"/console/login",
		strings.NewReader(url.Values{"csrf": {c.csrf}, "user": {user}, "password": {pass}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, body := c.do(req)
	return resp, body
}

// Failures are counted per account, whatever address they come from: after
// MaxFailures, each further attempt waits twice as long as the one before,
// and an attempt during the wait is refused without checking the password.
// The wait is a delay, not a lock: once it passes, the right password gets
// in, and the count starts again.
func TestLoginDelaysGrowPerAccount(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		t.Run(fmt.Sprintf("behind a trusted proxy: %v", trusted), func(t *testing.T) {
			e := newEnvWith(t, envOptions{console: func(o *console.Options) {
				if trusted {
					o.TrustedProxies = loopback
				}
			}})
			c := e.client()
			addr := 0
			attempt := func(pass string) (int, string) {
				t.Helper()
				addr++ // a new address every time: rotating addresses buys nothing
				resp, body := c.loginFrom(fmt.Sprintf("198.51.100.%d", addr), "ed", pass)
				return resp.StatusCode, body
			}
			for i := 1; i <= console.MaxFailures; i++ {
				if code, _ := attempt("wrong"); code != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i, code)
				}
			}
			// The next attempt waits 2 s, then 4 s, 8 s …
			for n, wait := 0, 2*time.Second; n < 3; n, wait = n+1, wait*2 {
				code, body := attempt("editor-pass")
				if code != http.StatusTooManyRequests || !strings.Contains(body, fmt.Sprintf("%d 秒后", int(wait.Seconds()))) {
					t.Fatalf("attempt during a %s wait: %d %q", wait, code, body)
				}
				e.advance(wait - 500*time.Millisecond)
				if code, _ := attempt("editor-pass"); code != http.StatusTooManyRequests {
					t.Fatalf("attempt before the %s wait ended: %d", wait, code)
				}
				e.advance(500 * time.Millisecond)
				if code, _ := attempt("wrong"); code != http.StatusUnauthorized {
					t.Fatalf("attempt after the %s wait: %d", wait, code)
				}
			}
			// Another account is not held by this one's failures.
			if resp := e.client().login("ap", "approver-pass"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("other account: %d", resp.StatusCode)
			}
			e.advance(16 * time.Second)
			if code, _ := attempt("editor-pass"); code != http.StatusSeeOther {
				t.Fatalf("right password after the wait: %d", code)
			}
			// Success starts the count again.
			if n, _ := e.st.LoginFailures(context.Background(), "ed"); n != 0 {
				t.Errorf("failures after a success = %d", n)
			}
			if code, _ := attempt("wrong"); code != http.StatusUnauthorized {
				t.Errorf("first failure after a success: %d", code)
			}
		})
	}
}

// However long a stranger keeps guessing, the wait never exceeds
// MaxLoginDelay: the account is never locked for good.
func TestLoginDelayIsCapped(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := 0; i < 20; i++ {
		resp, body := c.loginFrom("", "ed", "wrong")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d after waiting %s: %d %q", i+1, console.MaxLoginDelay, resp.StatusCode, body)
		}
		e.advance(console.MaxLoginDelay)
	}
	if resp, _ := c.loginFrom("", "ed", "editor-pass"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("right password: %d", resp.StatusCode)
	}
}

// The address in the audit log and the login logs is the peer's, or, from
// a trusted proxy, the first address in X-Forwarded-For (from the right)
// that is not itself a trusted proxy.
func TestClientAddressFromTrustedProxiesOnly(t *testing.T) {
	tests := []struct {
		name    string
		trusted bool
		xff     string
		want    string
	}{
		{"direct, header ignored", false, "203.0.113.9", "127.0.0.1"},
		{"trusted proxy", true, "203.0.113.9", "203.0.113.9"},
		{"forged hop to the left", true, "10.9.9.9, 203.0.113.9", "203.0.113.9"},
		{"chain of trusted proxies", true, "203.0.113.9, 127.0.0.5", "203.0.113.9"},
		{"garbage from the client", true, "not-an-ip", "127.0.0.1"},
		{"no header", true, "", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, envOptions{console: func(o *console.Options) {
				if tt.trusted {
					o.TrustedProxies = loopback
				}
			}})
			if resp, _ := e.client().loginFrom(tt.xff, "ed", "editor-pass"); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %d", resp.StatusCode)
			}
			log, err := e.st.AuditLog(context.Background(), 10)
			if err != nil || len(log) == 0 || log[0].Action != "login" || log[0].Detail != tt.want {
				t.Fatalf("audit %+v (%v), want login from %s", log, err, tt.want)
			}
		})
	}
}
