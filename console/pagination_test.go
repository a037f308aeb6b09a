package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/store"
)

// rows counts the data rows of the first table in a page that match re.
func rows(body string, re *regexp.Regexp) int { return len(re.FindAllString(body, -1)) }

var (
	consultRow = regexp.MustCompile(`<td><a href="/console/consultations/\d+">\d+</a></td>`)
	auditRow   = regexp.MustCompile(`<tr><td>\d{4}-\d\d-\d\d \d\d:\d\d</td>`)
	ledgerRow  = regexp.MustCompile(`<a href="/console/ledger/\d+">`)
)

// A flood of consultations (the issue saw 20,000 of 39,000 bytes each)
// makes neither the inbox page nor the API answer unbounded: every list
// is paged, the page size is capped, and a long question is cut short in
// the list.
func TestConsultationsArePaged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	long := strings.Repeat("欠薪怎么办", 39000/15)
	const total, closed = 130, 5
	ids := map[string]bool{}
	for i := 0; i < total; i++ {
		id, err := e.st.AddConsultation(ctx, fmt.Sprintf("o%d", i), long, time.Now().Add(time.Duration(i-total)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if i%26 == 0 {
			if err := e.st.SetConsultationStatus(ctx, id, "closed"); err != nil {
				t.Fatal(err)
			}
		}
		ids[id] = true
	}
	c := e.client()
	c.login("ed", "editor-pass")
	tests := []struct {
		query string
		want  int
		next  bool
	}{
		{"", console.PageSize, true},
		{"?page=2", console.PageSize, true},
		{"?page=3", total - 2*console.PageSize, false},
		{"?page=4", 0, false},
		{"?page=abc", console.PageSize, true},
		{"?page=-3", console.PageSize, true},
		{"?per_page=1000000", console.MaxPageSize, true},
		{"?status=closed", closed, false},
		{"?status=new&page=3", total - closed - 2*console.PageSize, false},
	}
	for _, tt := range tests {
		resp, body := c.get("/console/consultations" + tt.query)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", tt.query, resp.StatusCode)
		}
		if got := rows(body, consultRow); got != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.query, got, tt.want)
		}
		if next := strings.Contains(body, `id="next-page"`); next != tt.next {
			t.Errorf("%s: next-page link %v, want %v", tt.query, next, tt.next)
		}
		if len(body) > 512<<10 {
			t.Errorf("%s: page of %d bytes", tt.query, len(body))
		}
	}
	// The dashboard counts every new consultation without listing them.
	if _, body := c.get("/console/"); !strings.Contains(body, fmt.Sprintf("待处理 %d", total-closed)) {
		t.Errorf("dashboard does not count %d new consultations", total-closed)
	}
	// The API pages the same way, says where the next page is, and every
	// consultation appears once over the pages.
	seen := map[string]bool{}
	next := "/console/api/consultations?per_page=40"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("API pages do not end")
		}
		req, _ := http.NewRequest("GET", e.srv.URL+next, nil)
		req.Header.Set("Authorization", "Bearer "+editorToken)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page []struct{ ID string }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || len(page) > 40 {
			t.Fatalf("%s: %d items (%v)", next, len(page), err)
		}
		for _, p := range page {
			if seen[p.ID] {
				t.Errorf("consultation %s on two pages", p.ID)
			}
			seen[p.ID] = true
		}
		if resp.Header.Get("X-Total-Count") != fmt.Sprint(total) {
			t.Errorf("X-Total-Count = %q", resp.Header.Get("X-Total-Count"))
		}
		next = ""
		if m := regexp.MustCompile(`<([^>]+)>; rel="next"`).FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if len(seen) != total {
		t.Errorf("%d consultations over the API pages, want %d", len(seen), total)
	}
}

func TestAuditLedgerAndCampaignListsArePaged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := 0; i < 130; i++ {
		if err := e.st.Audit(ctx, store.AuditEntry{At: time.Now(), User: "ed", Action: fmt.Sprintf("act.%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	l := ledger.New(e.st, nil)
	for i := 0; i < 120; i++ {
		if _, err := l.Add(ctx, ledger.Input{Date: fmt.Sprintf("2026-%02d-%02d", i%12+1, i%28+1), Kind: "横幅", Count: 1}, "ed"); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client()
	c.login("ap", "approver-pass")
	for _, theme := range []string{"constitution-week", "civil-code-month", "anti-drug-day"} {
		createCampaignTheme(t, c, theme)
	}
	pages := []struct {
		path string
		re   *regexp.Regexp
		want int
	}{
		{"/console/audit", auditRow, console.PageSize},
		{"/console/audit?page=3", auditRow, 34}, // 130 + the login + 3 drafts
		{"/console/ledger?from=2026-01-01&to=2026-12-31", ledgerRow, console.PageSize},
		{"/console/ledger?from=2026-01-01&to=2026-12-31&page=3", ledgerRow, 20},
	}
	for _, p := range pages {
		_, body := c.get(p.path)
		if got := rows(body, p.re); got != p.want {
			t.Errorf("%s: %d rows, want %d", p.path, got, p.want)
		}
	}
	apis := []struct {
		path  string
		want  int
		total string
	}{
		{"/console/api/audit?per_page=500", console.MaxPageSize, ""},
		{"/console/api/audit?page=2", console.PageSize, ""},
		{"/console/api/ledger?from=2026-01-01&to=2026-12-31&page=3", 20, "120"},
		{"/console/api/campaigns?per_page=2", 2, "3"},
		{"/console/api/campaigns?per_page=2&page=2", 1, "3"},
	}
	for _, a := range apis {
		req, _ := http.NewRequest("GET", e.srv.URL+a.path, nil)
		req.Header.Set("Authorization", "Bearer "+editorToken)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var items []json.RawMessage
		err = json.NewDecoder(resp.Body).Decode(&items)
		resp.Body.Close()
		if err != nil || len(items) != a.want {
			t.Errorf("%s: %d items (%v), want %d", a.path, len(items), err, a.want)
		}
		if a.total != "" && resp.Header.Get("X-Total-Count") != a.total {
			t.Errorf("%s: X-Total-Count = %q, want %s", a.path, resp.Header.Get("X-Total-Count"), a.total)
		}
	}
}
