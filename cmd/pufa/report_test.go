package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store/storetest"
)

func TestLedgerAndReportCommands(t *testing.T) {
	e := newCLIEnv(t, 0, "")
	cli := func(run func(context.Context, []string, io.Writer) error, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append(args, "--config", e.config), &out)
		return out.String(), err
	}
	must := func(run func(context.Context, []string, io.Writer) error, args ...string) string {
		t.Helper()
		out, err := cli(run, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	must(runLedger, "add", "--date", "2026-03-05", "--kind", "讲座", "--community", "幸福社区", "--count", "2", "--participants", "60")
	must(runLedger, "add", "--date", "2026-03-06", "--kind", "banner", "--community", "幸福社区", "--count", "4")
	if out, err := cli(runLedger, "add", "--date", "2026-03-06", "--kind", "跳舞"); err == nil {
		t.Fatalf("unknown kind accepted: %s", out)
	}
	if out, err := cli(runLedger, "add", "--date", "2026-03-06", "--kind", "banner", "--count", "-2"); err == nil {
		t.Fatalf("negative count accepted: %s", out)
	}
	if out := must(runLedger, "edit", "2", "--count", "6", "--by", "bob"); !strings.Contains(out, "version 2") {
		t.Errorf("edit: %s", out)
	}
	var entries []ledger.Entry
	if err := json.Unmarshal([]byte(must(runLedger, "history", "2", "--json")), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Count != 4 || entries[1].Count != 6 || entries[1].Community != "幸福社区" || entries[1].UpdatedBy != "bob" {
		t.Fatalf("history = %+v", entries)
	}

	var r report.Report
	if err := json.Unmarshal([]byte(must(runReport, "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Totals.Lectures != 2 || r.Totals.ActivityParticipants != 60 || r.Totals.Banners != 6 || r.Totals.LedgerEntries != 2 {
		t.Errorf("report totals = %+v", r.Totals)
	}
	want := "今年以来累计开展各种法治宣传活动2场、覆盖群众60人次，举办法治讲座2场，悬挂宣传横幅6条。"
	if r.Paragraph != want {
		t.Errorf("paragraph = %s, want %s", r.Paragraph, want)
	}
	if md := must(runReport, "--from", "2026-01-01", "--to", "2026-12-31"); !strings.Contains(md, want) {
		t.Errorf("markdown lacks the paragraph:\n%s", md)
	}
	out := filepath.Join(t.TempDir(), "report.xlsx")
	must(runReport, "--from", "2026-01-01", "--to", "2026-12-31", "--out", out)
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(report.SheetSummary, "B2"); v != want {
		t.Errorf("xlsx summary B2 = %q", v)
	}
	if _, err := cli(runReport, "--format", "pdf"); err == nil {
		t.Error("--format pdf accepted")
	}
}

// TestServeMountsMetricsAndConsole checks the wiring: a callback shows up
// in the metrics, served by their own handler and not on the main listener
// (which a reverse proxy on the same host exposes), and /console/ asks for a
// login.
func TestServeMountsMetricsAndConsole(t *testing.T) {
	st := storetest.New(t)
	cfg := testConfig()
	svc, err := newService(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.handler)
	t.Cleanup(srv.Close)
	if code, _ := signedPost(t, srv.URL, "你好", 4242); code != http.StatusOK {
		t.Fatalf("callback: %d", code)
	}
	if code := get(t, srv.URL+"/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404", code)
	}
	msrv := httptest.NewServer(svc.metrics)
	t.Cleanup(msrv.Close)
	resp, err := http.Get(msrv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `pufa_callbacks_total{outcome="answered",type="text"} 1`) {
		t.Errorf("/metrics: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), `"o_t"`) {
		t.Error("an openid appears in /metrics")
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
		t.Errorf("/console/: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code := get(t, srv.URL+"/console/login"); code != 200 {
		t.Errorf("/console/login: %d", code)
	}
}
