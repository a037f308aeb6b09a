package console_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pufa-dev/pufa/console"
)

// signedIn reports whether c's session still opens the console.
func (c *client) signedIn() bool {
	c.e.t.Helper()
	resp, _ := c.get("/console/")
	return resp.StatusCode == http.StatusOK
}

// Changing a Redis-kept account's password or role, or removing it, ends
// its sessions on the next request.
func TestRedisAccountChangesEndSessions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(e *env) error
		ends   bool
	}{
		{"nothing changes", func(*env) error { return nil }, false},
		{"password changed", func(e *env) error { return e.st.PutAccount(ctx, "rd", testHash(t, "new-password"), "editor") }, true},
		{"demoted", func(e *env) error { return e.st.PutAccount(ctx, "rd", rdHash, "editor") }, true},
		{"removed", func(e *env) error { _, err := e.st.DeleteAccount(ctx, "rd"); return err }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if err := e.st.PutAccount(ctx, "rd", rdHash, "approver"); err != nil {
				t.Fatal(err)
			}
			c := e.client()
			if resp := c.login("rd", "redis-pass"); resp.StatusCode != http.StatusSeeOther || !c.signedIn() {
				t.Fatalf("login: %d", resp.StatusCode)
			}
			other := e.client()
			other.login("ed", "editor-pass")
			if err := tt.change(e); err != nil {
				t.Fatal(err)
			}
			if got := c.signedIn(); got == tt.ends {
				t.Errorf("signed in after the change: %v", got)
			}
			if !other.signedIn() {
				t.Error("another user's session ended too")
			}
		})
	}
}

// rdHash is the bcrypt hash of "redis-pass", made once.
var rdHash = func() string {
	h, err := console.HashPassword("redis-pass")
	if err != nil {
		panic(err)
	}
	return h
}()

// A restart with an edited console.accounts ends the sessions of every
// account whose role or password changed, or that was removed; other
// sessions survive it. API tokens are read from the config on every
// request, so a changed or removed token acts with its new role at once.
func TestConfigAccountChangesEndSessions(t *testing.T) {
	newHash := testHash(t, "editor-pass-2")
	tests := []struct {
		name     string
		accounts func(apHash, edHash string) []string
		ends     bool
	}{
		{"unchanged", func(ap, ed string) []string { return []string{"ed:editor:" + ed, "ap:approver:" + ap} }, false},
		{"promoted", func(ap, ed string) []string { return []string{"ed:approver:" + ed, "ap:approver:" + ap} }, true},
		{"password changed", func(ap, _ string) []string { return []string{"ed:editor:" + newHash, "ap:approver:" + ap} }, true},
		{"removed", func(ap, _ string) []string { return []string{"ap:approver:" + ap} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var apHash, edHash string
			for _, a := range e.opts.Accounts {
				switch a.User {
				case "ap":
					apHash = a.Hash
				case "ed":
					edHash = a.Hash
				}
			}
			ed, ap := e.client(), e.client()
			ed.login("ed", "editor-pass")
			ap.login("ap", "approver-pass")
			if !ed.signedIn() || !ap.signedIn() {
				t.Fatal("login failed")
			}
			e.restart(func(o *console.Options) {
				accounts, err := console.ParseAccounts(tt.accounts(apHash, edHash))
				if err != nil {
					t.Fatal(err)
				}
				o.Accounts = accounts
			})
			if got := ed.signedIn(); got == tt.ends {
				t.Errorf("ed signed in after the restart: %v", got)
			}
			if !ap.signedIn() {
				t.Error("ap's unchanged account lost its session")
			}
		})
	}
	e := newEnv(t)
	e.restart(func(o *console.Options) {
		tokens, _ := console.ParseTokens([]string{console.TokenEntry("oa", "editor", approverToken)})
		o.Tokens = tokens
	})
	if code, _ := e.api("POST", "/console/api/campaigns/x/approve", approverToken, nil); code != http.StatusForbidden {
		t.Errorf("demoted token approves: %d", code)
	}
	if code, _ := e.api("GET", "/console/api/campaigns", editorToken, nil); code != http.StatusUnauthorized {
		t.Errorf("removed token: %d", code)
	}
}
