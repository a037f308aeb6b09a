package console_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/wechat"
)

// fakeQRAPI issues one ticket per scene and draws its code, as WeChat does.
type fakeQRAPI struct {
	mu      sync.Mutex
	created []string
}

func (f *fakeQRAPI) CreateLimitQRCode(_ context.Context, scene string) (wechat.QRCode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, scene)
	return wechat.QRCode{Ticket: "T-" + scene, URL: "http://weixin.qq.com/q/T-" + scene}, nil
}

func (f *fakeQRAPI) QRCodeImage(_ context.Context, ticket string) ([]byte, error) {
	return qrcode.Encode("http://weixin.qq.com/q/"+ticket, qrcode.Medium, 430)
}

func communityForm(c *client, v map[string]string) url.Values {
	f := url.Values{"csrf": {c.csrf}}
	for k, x := range v {
		f.Set(k, x)
	}
	return f
}

func TestCommunityPages(t *testing.T) {
	e := newEnv(t)
	ap := e.client()
	ap.login("ap", "approver-pass")
	ap.get("/console/communities")

	// A bad phone is refused naming the field, and the form keeps what was typed.
	resp, body := ap.post("/console/communities", communityForm(ap, map[string]string{"id": "xingfu", "name": "幸福社区",
		"grids": "一网格、二网格", "adviser_name": "王律师", "adviser_firm": "某某律师事务所", "adviser_phone": "打我电话", "active": "1"}))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "法律顾问电话") {
		t.Fatalf("bad phone: %d %s", resp.StatusCode, body)
	}
	for _, kept := range []string{`value="xingfu"`, `value="幸福社区"`, `value="某某律师事务所"`, `value="打我电话"`} {
		if !strings.Contains(body, kept) {
			t.Errorf("the form lost %s", kept)
		}
	}
	if list, _ := e.opts.Communities.List(context.Background()); len(list) != 0 {
		t.Fatalf("refused input was stored: %+v", list)
	}

	resp, _ = ap.post("/console/communities", communityForm(ap, map[string]string{"id": "xingfu", "name": "幸福社区",
		"grids": "一网格、二网格", "adviser_name": "王律师", "adviser_firm": "某某律师事务所", "adviser_phone": "0571-88880000",
		"adviser_hours": "每周三下午", "active": "1"}))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/communities/xingfu?msg="+url.QueryEscape("已登记社区“幸福社区”") {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := e.st.Subscribe(context.Background(), "o_resident", "xingfu", e.opts.Now()); err != nil {
		t.Fatal(err)
	}
	_, body = ap.get("/console/communities")
	if !strings.Contains(body, "幸福社区") || !strings.Contains(body, "王律师") || !strings.Contains(body, "<td>1</td>") {
		t.Errorf("list lacks the community, its adviser or its follower: %s", body)
	}

	// Poster and code download as PNG; the ticket is created once.
	for _, path := range []string{"/console/communities/xingfu/poster.png", "/console/communities/xingfu/qrcode.png", "/console/communities/xingfu/poster.png"} {
		resp, body = ap.get(path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, resp.Header)
		}
		img, err := png.Decode(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatalf("%s is no PNG: %v", path, err)
		}
		if strings.HasSuffix(path, "poster.png") && (img.Bounds().Dx() < 1240 || img.Bounds().Dy() < 1754) {
			t.Errorf("poster is %v, too small for print", img.Bounds())
		}
	}
	if api := e.opts.Posters.API.(*fakeQRAPI); len(api.created) != 1 {
		t.Errorf("qrcode/create called for %v, want once", api.created)
	}

	// Editors see and download but do not edit.
	ed := e.client()
	ed.login("ed", "editor-pass")
	_, body = ed.get("/console/communities/xingfu")
	if strings.Contains(body, `id="community-edit"`) || !strings.Contains(body, "poster-download") {
		t.Errorf("editor page: edit form shown or download missing")
	}
	resp, _ = ed.post("/console/communities/xingfu", communityForm(ed, map[string]string{"name": "改名"}))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor edit: %d, want 403", resp.StatusCode)
	}

	// An approver's edit with a stale version is refused and keeps the typed name.
	ap.get("/console/communities/xingfu")
	resp, body = ap.post("/console/communities/xingfu", communityForm(ap, map[string]string{"version": "1", "name": "幸福里社区",
		"adviser_name": "王律师", "adviser_phone": "0571-88880000", "active": "1"}))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	resp, body = ap.post("/console/communities/xingfu", communityForm(ap, map[string]string{"version": "1", "name": "又一个名字", "active": "1"}))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `value="又一个名字"`) {
		t.Errorf("stale edit: %d", resp.StatusCode)
	}
	audit, _, err := e.st.AuditPage(context.Background(), 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, a := range audit {
		actions[a.Action] = true
	}
	for _, want := range []string{"community.create", "community.edit", "community.poster"} {
		if !actions[want] {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}

func TestPosterWithoutFontOffersTheCode(t *testing.T) {
	e := newEnv(t)
	e.opts.Posters.FontPath = "/nonexistent/font.ttc"
	ap := e.client()
	ap.login("ap", "approver-pass")
	ap.get("/console/communities")
	ap.post("/console/communities", communityForm(ap, map[string]string{"id": "xingfu", "name": "幸福社区", "active": "1"}))
	resp, _ := ap.get("/console/communities/xingfu/poster.png")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "err=") {
		t.Fatalf("poster without font: %d %s", resp.StatusCode, loc)
	}
	_, body := ap.get(loc)
	if !strings.Contains(body, "fonts-wqy-microhei") || !strings.Contains(body, "qrcode-download") {
		t.Errorf("page does not explain the missing font or offer the code")
	}
}

func TestDisputePagesAndRegistryNames(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.opts.Communities.Create(ctx, communities.Input{ID: "xingfu", Name: "幸福社区", Active: true}, "ap"); err != nil {
		t.Fatal(err)
	}
	ed := e.client()
	ed.login("ed", "editor-pass")
	ed.get("/console/disputes")
	today := e.opts.Now().Format("2006-01-02")
	resp, body := ed.post("/console/disputes", url.Values{"csrf": {ed.csrf}, "date": {today}, "community": {"幸福社区"},
		"type": {"邻里"}, "parties": {"张三"}, "status": {"调解成功"}, "amount": {"3.5万"}, "note": {"楼上漏水"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "当事人数") || !strings.Contains(body, `value="楼上漏水"`) {
		t.Fatalf("bad parties: %d", resp.StatusCode)
	}
	for _, d := range []url.Values{
		{"date": {today}, "community": {"幸福社区"}, "type": {"邻里"}, "parties": {"2"}, "status": {"调解成功"}, "amount": {"34.3万"}},
		{"date": {today}, "community": {"xingfu"}, "type": {"物业"}, "parties": {"5"}, "status": {"调解成功"}, "amount": {"30万"}},
	} {
		d.Set("csrf", ed.csrf)
		if resp, body := ed.post("/console/disputes", d); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add dispute: %d %s", resp.StatusCode, body)
		}
	}
	_, body = ed.get("/console/disputes")
	if !strings.Contains(body, "调处矛盾纠纷2件，调解成功2件，涉及金额64余万元") {
		t.Errorf("sums not shown as the report writes them")
	}
	if strings.Contains(body, "<td>xingfu</td>") || !strings.Contains(body, "<td>幸福社区</td>") {
		t.Errorf("dispute list shows the id instead of the registry name")
	}
	ed.get("/console/legal-aid")
	resp, _ = ed.post("/console/legal-aid", url.Values{"csrf": {ed.csrf}, "date": {today}, "community": {"幸福社区"},
		"matter": {"工伤"}, "referred_to": {"区法律援助中心"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add legal aid: %d", resp.StatusCode)
	}
	if _, body = ed.get("/console/legal-aid"); !strings.Contains(body, "区法律援助中心") || !strings.Contains(body, "<td>幸福社区</td>") {
		t.Errorf("legal-aid list lacks the referral")
	}
	// The activity ledger shows registry names too.
	ed.get("/console/ledger")
	ed.post("/console/ledger", url.Values{"csrf": {ed.csrf}, "date": {today}, "community": {"xingfu"}, "kind": {"lecture"}, "count": {"1"}})
	if _, body = ed.get("/console/ledger"); !strings.Contains(body, "<td>幸福社区</td>") {
		t.Errorf("ledger list shows no registry name")
	}
}

func TestMediationAPI(t *testing.T) {
	e := newEnv(t)
	today := e.opts.Now().Format("2006-01-02")
	code, body := e.api("POST", "/console/api/disputes", editorToken, map[string]string{"date": today, "community": "幸福社区",
		"type": "劳动", "parties": "3", "status": "调解成功", "amount": "12000"})
	if code != http.StatusCreated || !strings.Contains(string(body), `"amount_fen": 1200000`) {
		t.Fatalf("add dispute: %d %s", code, body)
	}
	code, body = e.api("POST", "/console/api/disputes", editorToken, map[string]string{"date": today, "type": "劳动",
		"parties": "3", "status": "已结案"})
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "办理状态") {
		t.Errorf("bad status: %d %s", code, body)
	}
	code, body = e.api("POST", "/console/api/legal-aid", editorToken, map[string]string{"date": today, "matter": "工伤",
		"referred_to": "区法律援助中心"})
	if code != http.StatusCreated {
		t.Fatalf("add legal aid: %d %s", code, body)
	}
	code, body = e.api("GET", "/console/api/mediation/sums", editorToken, nil)
	if code != http.StatusOK || !strings.Contains(string(body), "调处矛盾纠纷1件，调解成功1件，涉及金额1余万元") ||
		!strings.Contains(string(body), `"legal_aid": 1`) {
		t.Errorf("sums: %d %s", code, body)
	}
	if code, body = e.api("GET", "/console/api/disputes", editorToken, nil); code != http.StatusOK || !strings.Contains(string(body), "劳动") {
		t.Errorf("list: %d %s", code, body)
	}
	if code, _ = e.api("GET", "/console/api/communities", "", nil); code != http.StatusUnauthorized {
		t.Errorf("communities without a token: %d", code)
	}
	if code, body = e.api("GET", "/console/api/communities", editorToken, nil); code != http.StatusOK || string(body) != "[]\n" {
		t.Errorf("empty registry: %d %q", code, body)
	}
}

// TestMediationRecordEdits: a record's page saves against the version staff
// read; a refusal or a lost race shows the page again with what was typed
// and changes nothing.
func TestMediationRecordEdits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	today := e.opts.Now().Format("2006-01-02")
	disputeID, err := e.opts.Mediation.AddDispute(ctx, ledger.DisputeInput{Date: today, Type: "邻里", Parties: "2", Status: "调解成功", Note: "楼上漏水"}, "ed")
	if err != nil {
		t.Fatal(err)
	}
	aidID, err := e.opts.Mediation.AddLegalAid(ctx, ledger.LegalAidInput{Date: today, Matter: "工伤", ReferredTo: "区法律援助中心"}, "ed")
	if err != nil {
		t.Fatal(err)
	}
	dispute := func(note, parties string) url.Values {
		return url.Values{"date": {today}, "type": {"邻里"}, "parties": {parties}, "status": {"调解成功"}, "note": {note}}
	}
	aid := func(note, referredTo string) url.Values {
		return url.Values{"date": {today}, "matter": {"工伤"}, "referred_to": {referredTo}, "note": {note}}
	}
	for _, tc := range []struct {
		name     string
		page     string // the record's page
		form     url.Values
		version  string
		status   int
		contains []string // in the page shown again, or in the redirect
	}{
		{"dispute saved", "/console/disputes/" + disputeID, dispute("已调解", "2"), "1", http.StatusSeeOther, []string{"/console/disputes/" + disputeID + "?msg="}},
		{"dispute edited meanwhile", "/console/disputes/" + disputeID, dispute("晚到的修改", "2"), "1", http.StatusConflict,
			[]string{"该纠纷已被他人修改", `value="晚到的修改"`}},
		{"dispute refused", "/console/disputes/" + disputeID, dispute("人数写错", "张三"), "2", http.StatusBadRequest,
			[]string{"未保存", "当事人数", `value="人数写错"`}},
		{"no such dispute", "/console/disputes/999", dispute("无", "2"), "1", http.StatusNotFound, nil},
		{"legal aid saved", "/console/legal-aid/" + aidID, aid("已转介", "区法律援助中心"), "1", http.StatusSeeOther, []string{"/console/legal-aid/" + aidID + "?msg="}},
		{"legal aid edited meanwhile", "/console/legal-aid/" + aidID, aid("晚到的修改", "区法律援助中心"), "1", http.StatusConflict,
			[]string{"该记录已被他人修改", `value="晚到的修改"`}},
		{"legal aid refused", "/console/legal-aid/" + aidID, aid("去向漏填", ""), "2", http.StatusBadRequest,
			[]string{"未保存", "转介去向不能为空", `value="去向漏填"`}},
		{"no such referral", "/console/legal-aid/999", aid("无", "区法律援助中心"), "1", http.StatusNotFound, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ed := e.client()
			ed.login("ed", "editor-pass")
			ed.get("/console/disputes")
			tc.form.Set("csrf", ed.csrf)
			tc.form.Set("version", tc.version)
			resp, body := ed.post(tc.page, tc.form)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			shown := body + resp.Header.Get("Location")
			for _, want := range tc.contains {
				if !strings.Contains(shown, want) {
					t.Errorf("response lacks %q", want)
				}
			}
		})
	}
	// Only the first save went through: each record is at version 2 with it.
	d, err := e.opts.Mediation.Dispute(ctx, disputeID)
	if err != nil || d.Version != 2 || d.Note != "已调解" {
		t.Errorf("dispute after the edits: %+v, %v", d, err)
	}
	l, err := e.opts.Mediation.LegalAid(ctx, aidID)
	if err != nil || l.Version != 2 || l.Note != "已转介" {
		t.Errorf("referral after the edits: %+v, %v", l, err)
	}
}
