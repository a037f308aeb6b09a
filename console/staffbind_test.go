package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pufa-dev/pufa/console"
)

var bindCodeRe = regexp.MustCompile(`绑定 (\d{6})`)

// A staff member asks for a code in the console and sends it from WeChat:
// their openid is registered under the name they chose, once, and the code
// is then spent; previews are chosen by that name.
func TestStaffBindWithAOneTimeCode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	c.login("ed", "editor-pass") // editors bind themselves too
	resp, body := c.post("/console/preview-recipients/code", url.Values{"csrf": {c.csrf}, "name": {"王五"}})
	m := bindCodeRe.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(body, "请用您的微信关注本公众号") {
		t.Fatalf("code page: %d\n%s", resp.StatusCode, body)
	}
	binder := console.StaffBinder{Store: e.st}
	name, ok, err := binder.BindStaff(ctx, m[1], "oStaffWang01")
	if err != nil || !ok || name != "王五" {
		t.Fatalf("bind: %q %v %v", name, ok, err)
	}
	if _, ok, _ := binder.BindStaff(ctx, m[1], "oSomeoneElse"); ok {
		t.Error("a code bound twice")
	}
	rec, ok, err := e.st.PreviewRecipient(ctx, "oStaffWang01")
	if err != nil || !ok || rec.Name != "王五" || rec.AddedBy != "ed" {
		t.Errorf("registered %+v %v %v", rec, ok, err)
	}
	if _, ok, _ := e.st.PreviewRecipient(ctx, "oSomeoneElse"); ok {
		t.Error("the second sender was registered")
	}
	_, page := c.get("/console/preview-recipients")
	if !strings.Contains(page, "王五") || strings.Contains(page, "oStaffWang01") {
		t.Errorf("the list should name staff, not show openids:\n%s", page)
	}
	id := createCampaign(t, c)
	if _, body := c.get("/console/campaigns/" + id); !strings.Contains(body, ">王五</option>") {
		t.Errorf("preview picker lacks the bound name")
	}
	audit, _, _ := e.st.AuditPage(ctx, 0, 10)
	found := false
	for _, a := range audit {
		found = found || (a.Action == "preview_recipient.bind" && a.User == "ed")
	}
	if !found {
		t.Errorf("binding not audited: %+v", audit)
	}
}

// An expired code binds nobody, even if Redis still held it.
func TestStaffBindCodeExpires(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	_, body := c.post("/console/preview-recipients/code", url.Values{"csrf": {c.csrf}})
	m := bindCodeRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no code")
	}
	late := console.StaffBinder{Store: e.st, Now: func() time.Time { return time.Now().Add(console.BindCodeTTL + time.Minute) }}
	if _, ok, err := late.BindStaff(context.Background(), m[1], "oLate0001"); ok || err != nil {
		t.Errorf("expired code: ok=%v err=%v", ok, err)
	}
}
