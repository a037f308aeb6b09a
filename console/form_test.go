package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
)

// upload posts one file as the "file" field of a multipart form.
func (c *client) upload(path, name string, data []byte) (*http.Response, string) {
	c.e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.WriteField("csrf", c.csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func validForm(c *client) url.Values {
	return url.Values{"csrf": {c.csrf}, "id": {"rule-of-law-2027"}, "title": {"法治讲座通知"}, "theme": {"constitution-week"},
		"channel": {"mass"}, "audience": {"all"}, "text": {"本周六上午九点，社区法律服务站开放咨询。"},
		"repeat": {"once"}, "at": {"2027-12-04T10:00"}, "catch_up": {"once"},
		"window_from": {"2027-12-01T00:00"}, "window_to": {"2027-12-07T23:59"}, "quiet_from": {"21:30"}, "quiet_to": {"08:00"}}
}

// The form creates a campaign in Redis, a bad field comes back in Chinese
// beside the field with everything typed kept, and nothing is saved.
func TestCampaignFormCreateAndErrors(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	if _, body := c.get("/console/campaigns/new"); !strings.Contains(body, "宪法宣传周") || !strings.Contains(body, "全部关注者") {
		t.Fatalf("new form lacks the calendar or audience:\n%s", body)
	}
	bad := validForm(c)
	bad.Set("at", "2027-12-04T22:00") // inside the quiet hours
	bad.Set("text", "我打的字不能丢")
	resp, body := c.post("/console/campaigns", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "免打扰时段") || !strings.Contains(body, "我打的字不能丢") ||
		!strings.Contains(body, `value="2027-12-04T22:00"`) {
		t.Errorf("invalid form: %d\n%s", resp.StatusCode, body)
	}
	if _, err := e.mgr.Get("rule-of-law-2027"); err == nil {
		t.Error("an invalid form was saved")
	}
	resp, _ = c.post("/console/campaigns", validForm(c))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid form: %d", resp.StatusCode)
	}
	def, err := e.mgr.Get("rule-of-law-2027")
	if err != nil || def.Title != "法治讲座通知" || !def.Audience.All || def.Schedule.At.In(chinatime.Zone).Format("15:04") != "10:00" {
		t.Fatalf("saved %+v %v", def, err)
	}
	// The same id again is refused, naming the field.
	if resp, body := c.post("/console/campaigns", validForm(c)); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "编号已被其他活动使用") {
		t.Errorf("duplicate id: %d", resp.StatusCode)
	}
}

// Editing an approved campaign through the form sends it back to draft.
func TestCampaignFormEditSendsApprovedBackToDraft(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	c.login("ap", "approver-pass")
	c.post("/console/campaigns", validForm(c))
	const id = "rule-of-law-2027"
	if err := e.mgr.Approve(ctx, id, "ap"); err != nil {
		t.Fatal(err)
	}
	_, body := c.get("/console/campaigns/" + id)
	m := regexpVersion.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version on the edit form:\n%s", body)
	}
	f := validForm(c)
	f.Set("version", m[1])
	f.Set("text", "改为周日上午九点。")
	if resp, _ := c.post("/console/campaigns/"+id+"/edit", f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	if st, _ := e.mgr.Stats(ctx, id); st.State != campaigns.Draft {
		t.Errorf("state after editing an approved campaign = %s", st.State)
	}
	// A form sent from a stale page is refused, not applied over the edit.
	f.Set("text", "过时的页面")
	if resp, body := c.post("/console/campaigns/"+id+"/edit", f); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "已被他人修改") {
		t.Errorf("stale edit: %d", resp.StatusCode)
	}
	if def, _ := e.mgr.Get(id); def.Content.Text != "改为周日上午九点。" {
		t.Errorf("text = %q", def.Content.Text)
	}
}

// Export then import gives back the same campaign.
func TestCampaignImportExportRoundTrip(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login("ed", "editor-pass")
	c.post("/console/campaigns", validForm(c))
	resp, yml := c.get("/console/campaigns/rule-of-law-2027/export")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "rule-of-law-2027.yaml") {
		t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
	}
	before, _ := e.mgr.Get("rule-of-law-2027")
	changed := strings.Replace(yml, "id: rule-of-law-2027", "id: copy-2027", 1)
	if resp, _ := c.upload("/console/campaigns/import", "copy.yaml", []byte(changed)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	after, err := e.mgr.Get("copy-2027")
	if err != nil || after.Hash() != before.Hash() || after.Title != before.Title {
		t.Errorf("imported %+v %v", after, err)
	}
}

// Only the buttons the lifecycle allows are shown.
func TestCampaignButtonsFollowTheState(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client()
	c.login("ap", "approver-pass")
	for _, tt := range []struct {
		name      string
		to        func(id string) error
		want, not []string
	}{
		{"draft", func(string) error { return nil }, []string{`id="approve"`, `id="cancel"`}, []string{`id="pause"`, `id="resume"`}},
		{"approved", func(id string) error { return e.mgr.Approve(ctx, id, "ap") }, []string{`id="pause"`, `id="cancel"`}, []string{`id="resume"`, `id="approve"`}},
		{"paused", func(id string) error {
			if err := e.mgr.Approve(ctx, id, "ap"); err != nil {
				return err
			}
			return e.mgr.Pause(ctx, id, "ap", "")
		}, []string{`id="resume"`, `id="cancel"`}, []string{`id="pause"`, `id="approve"`}},
		{"cancelled", func(id string) error { return e.mgr.Cancel(ctx, id, "ap") }, nil, []string{`id="pause"`, `id="approve"`, `id="resume"`, `id="cancel"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := validForm(c)
			id := "state-" + tt.name
			f.Set("id", id)
			c.post("/console/campaigns", f)
			if err := tt.to(id); err != nil {
				t.Fatal(err)
			}
			_, body := c.get("/console/campaigns/" + id)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("missing %s", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("shows %s", n)
				}
			}
		})
	}
}

var regexpVersion = regexp.MustCompile(`name="version" value="(\d+)"`)
