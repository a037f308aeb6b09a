package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Staff type free text into every ledger field; whatever they type comes
// back as text, never as markup or a query.
func TestHostileInputIsEscapedEverywhere(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	const attack = `<script>alert(1)</script>' OR 1=1;-- "><img src=x onerror=alert(2)>`
	resp, _ := c.post("/console/ledger", url.Values{"csrf": {c.csrf}, "date": {"2026-03-05"}, "community": {attack},
		"kind": {"banner"}, "count": {"1"}, "participants": {"0"}, "note": {attack}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", resp.StatusCode)
	}
	for _, page := range []string{"/console/ledger?from=2026-01-01&to=2026-12-31", "/console/ledger/1", "/console/audit", "/console/"} {
		_, body := c.get(page)
		for _, raw := range []string{"<script>alert(1)", "<img src=x", `"><img`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s renders %q unescaped", page, raw)
			}
		}
	}
	_, body := c.get("/console/ledger/1")
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the note is not shown back as text")
	}
	// The message and error parameters of redirects are text too.
	_, body = c.get("/console/ledger?err=" + url.QueryEscape(attack))
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("err parameter rendered as markup")
	}
}

// A session id planted before login (session fixation) is never promoted:
// login issues a fresh id, and the planted one stays worthless.
func TestLoginIssuesAFreshSession(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	u, _ := url.Parse(e.srv.URL + "/console/")
	planted := &http.Cookie{Name: sessionCookieName(t, e), Value: strings.Repeat("a", 64), Path: "/console/"}
	c.http.Jar.SetCookies(u, []*http.Cookie{planted})
	if resp := c.login("ed", "editor-pass"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var got string
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == planted.Name {
			got = ck.Value
		}
	}
	if got == "" || got == planted.Value {
		t.Fatalf("session after login %q: the planted id was kept", got)
	}
	attacker := e.client()
	attacker.http.Jar.SetCookies(u, []*http.Cookie{planted})
	if resp, _ := attacker.get("/console/"); resp.StatusCode == http.StatusOK {
		t.Error("the planted session id opens the console")
	}
}

// sessionCookieName learns the session cookie's name from a real login.
func sessionCookieName(t *testing.T, e *env) string {
	t.Helper()
	c := e.client()
	resp := c.login("ap", "approver-pass")
	for _, ck := range resp.Cookies() {
		if ck.HttpOnly && ck.MaxAge >= 0 && ck.Value != "" && !strings.Contains(ck.Name, "csrf") {
			return ck.Name
		}
	}
	t.Fatal("no session cookie set by login")
	return ""
}
