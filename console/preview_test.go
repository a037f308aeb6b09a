package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/store"
)

// fakePreviewer records who was sent a preview.
type fakePreviewer struct {
	mu   sync.Mutex
	sent []string
}

func (f *fakePreviewer) Preview(_ context.Context, openid, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, openid)
	return nil
}

func (f *fakePreviewer) PreviewNews(ctx context.Context, openid, _ string) error {
	return f.Preview(ctx, openid, "")
}

func (f *fakePreviewer) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

// An editor can preview a draft only to staff the office registered: the
// page offers them by name, and any other openid posted is refused with
// nothing sent. Approvers keep the list; entries from the config stay.
func TestPreviewOnlyToRegisteredStaff(t *testing.T) {
	fp := &fakePreviewer{}
	fixed, err := console.ParsePreviewRecipients([]string{"oFixed0001:李四"})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, envOptions{
		campaigns: func(o *campaigns.Options) {
			o.Previewer = fp
			o.PreviewTo = console.PreviewList{Fixed: fixed, Store: o.Store.(*store.Store)}
		},
		console: func(o *console.Options) { o.PreviewRecipients = fixed },
	})
	ed, ap := e.client(), e.client()
	ed.login("ed", "editor-pass")
	ap.login("ap", "approver-pass")
	id := createCampaign(t, ed)
	preview := func(openid string) string {
		t.Helper()
		resp, _ := ed.post("/console/campaigns/"+id+"/preview", url.Values{"csrf": {ed.csrf}, "openid": {openid}})
		loc, _ := url.QueryUnescape(resp.Header.Get("Location"))
		return loc
	}

	_, page := ed.get("/console/campaigns/" + id)
	if strings.Contains(page, `<input name="openid"`) || !strings.Contains(page, `<select name="openid"`) || !strings.Contains(page, "李四") {
		t.Errorf("the preview form is not a choice of registered staff")
	}
	if loc := preview("oResident01"); !strings.Contains(loc, "err=") || !strings.Contains(loc, "工作人员") {
		t.Errorf("preview to a resident: %s", loc)
	}
	if sent := fp.got(); len(sent) != 0 {
		t.Fatalf("previews sent: %v", sent)
	}

	// Editors cannot change the list; approvers can, with checked input.
	if resp, _ := ed.post("/console/preview-recipients", url.Values{"csrf": {ed.csrf}, "openid": {"oStaff0001"}, "name": {"张三"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor adds a recipient: %d", resp.StatusCode)
	}
	for _, bad := range []url.Values{
		{"openid": {"o Staff"}, "name": {"张三"}},
		{"openid": {"oStaff0001"}, "name": {" "}},
		{"openid": {""}, "name": {"张三"}},
		{"openid": {"oStaff0001"}, "name": {strings.Repeat("长", 40)}},
	} {
		bad.Set("csrf", ap.csrf)
		resp, _ := ap.post("/console/preview-recipients", bad)
		if loc, _ := url.QueryUnescape(resp.Header.Get("Location")); !strings.Contains(loc, "err=") {
			t.Errorf("bad recipient %v: %s", bad, loc)
		}
	}
	if list, _ := e.st.PreviewRecipients(context.Background()); len(list) != 0 {
		t.Fatalf("bad input stored %+v", list)
	}
	resp, _ := ap.post("/console/preview-recipients", url.Values{"csrf": {ap.csrf}, "openid": {"oStaff0001"}, "name": {"张三"}})
	if loc, _ := url.QueryUnescape(resp.Header.Get("Location")); !strings.Contains(loc, "msg=") {
		t.Fatalf("approver adds a recipient: %s", loc)
	}
	if _, page = ed.get("/console/campaigns/" + id); !strings.Contains(page, "张三") {
		t.Errorf("the new recipient is not offered")
	}

	for _, to := range []string{"oStaff0001", "oFixed0001"} {
		if loc := preview(to); !strings.Contains(loc, "msg=") {
			t.Errorf("preview to %s: %s", to, loc)
		}
	}
	if sent := fp.got(); strings.Join(sent, ",") != "oStaff0001,oFixed0001" {
		t.Errorf("previews sent: %v", sent)
	}
	log, _ := e.st.AuditLog(context.Background(), 20)
	var detail string
	for _, a := range log {
		if a.Action == "campaign.preview" && a.User == "ed" && strings.Contains(a.Detail, "oStaff0001") {
			detail = a.Detail
		}
	}
	if !strings.Contains(detail, "张三") || !strings.Contains(detail, "sha256:") {
		t.Errorf("preview audit detail %q", detail)
	}

	// Removed, the recipient gets no more previews; a config entry cannot
	// be removed from the console.
	ap.post("/console/preview-recipients/remove", url.Values{"csrf": {ap.csrf}, "openid": {"oStaff0001"}})
	if loc := preview("oStaff0001"); !strings.Contains(loc, "err=") {
		t.Errorf("preview to a removed recipient: %s", loc)
	}
	resp, _ = ap.post("/console/preview-recipients/remove", url.Values{"csrf": {ap.csrf}, "openid": {"oFixed0001"}})
	if loc, _ := url.QueryUnescape(resp.Header.Get("Location")); !strings.Contains(loc, "err=") || !strings.Contains(loc, "配置") {
		t.Errorf("removing a config recipient: %s", loc)
	}
	if len(fp.got()) != 2 {
		t.Errorf("previews sent: %v", fp.got())
	}
	actions := map[string]bool{}
	for _, a := range log {
		actions[a.Action] = true
	}
	if log, _ = e.st.AuditLog(context.Background(), 20); !strings.Contains(log[0].Action+log[1].Action, "preview_recipient.remove") {
		t.Errorf("removal not audited: %+v", log[:2])
	}
	if !actions["preview_recipient.add"] {
		t.Errorf("addition not audited")
	}
}
