package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/pufa-dev/pufa/console"
	"github.com/pufa-dev/pufa/knowledge"
	"github.com/pufa-dev/pufa/ledger"
	"github.com/pufa-dev/pufa/report"
	"github.com/pufa-dev/pufa/store"
)

// bankNow is 23:30 UTC on 28 November: already the 29th in Shanghai, the
// date a review must carry.
var bankNow = time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)

const (
	arbitrationID = "wage-arbitration-time-limit"
	arrearsID     = "wage-arrears-what-to-do"
)

type bankEnv struct {
	*env
	kb   *knowledge.Base
	bank *console.BankSync
}

// newBankEnv is newEnv with a knowledge base of its own behind the console's
// 问答库 page; the console's clock is now (nil = bankNow).
func newBankEnv(t *testing.T, now func() time.Time) *bankEnv {
	t.Helper()
	return newBankEnvWith(t, now, envOptions{})
}

// newBankEnvWith is newBankEnv on newEnvWith(o).
func newBankEnvWith(t *testing.T, now func() time.Time, o envOptions) *bankEnv {
	t.Helper()
	e := newEnvWith(t, o)
	kb, err := knowledge.New(knowledge.Options{BankFiles: []string{"labour-pay.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	bank := console.NewBankSync(e.st, kb, quiet)
	if err := bank.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var accounts []console.Account
	for _, a := range []struct{ user, role, pass string }{{"ed", "editor", "editor-pass"}, {"ap", "approver", "approver-pass"}} {
		h, err := bcrypt.GenerateFromPassword([]byte(a.pass), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, console.Account{User: a.user, Role: a.role, Hash: string(h)})
	}
	if now == nil {
		now = func() time.Time { return bankNow }
	}
	opts := console.Options{Store: e.st, Campaigns: e.mgr, Ledger: ledger.New(e.st, nil),
		Report:  report.Sources{Counters: e.st, Ledger: e.st, Followers: e.st, Campaigns: report.CampaignPushes{Campaigns: e.mgr, Mass: e.st}},
		Library: e.lib, Accounts: accounts, Logger: quiet, Now: now, Bank: bank,
		Communities: e.opts.Communities, Posters: e.opts.Posters, Mediation: e.opts.Mediation}
	if o.console != nil {
		o.console(&opts)
	}
	c, err := console.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(c)
	t.Cleanup(e.srv.Close)
	return &bankEnv{env: e, kb: kb, bank: bank}
}

// as returns a signed-in client of user.
func (e *bankEnv) as(user string) *client {
	c := e.client()
	pass := map[string]string{"ed": "editor-pass", "ap": "approver-pass"}[user]
	if resp := c.login(user, pass); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	return c
}

// editForm is the edit form of an entry as the page fills it, with changes.
func editForm(c *client, id string, change map[string]string) url.Values {
	c.e.t.Helper()
	resp, body := c.get("/console/bank/" + id)
	if resp.StatusCode != http.StatusOK {
		c.e.t.Fatalf("GET entry %s: %d", id, resp.StatusCode)
	}
	f := url.Values{"csrf": {c.csrf}}
	form := body[strings.Index(body, `id="bank-edit"`):]
	for _, m := range regexp.MustCompile(`name="(version|topic|question)"[^>]*value="([^"]*)"`).FindAllStringSubmatch(form, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea name="(\w+)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(form, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	for k, v := range change {
		f.Set(k, v)
	}
	return f
}

func (e *bankEnv) version(t *testing.T) int64 {
	t.Helper()
	v, err := e.st.BankEditsVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// askTop is the id of the entry Ask answers q with, or "".
func (e *bankEnv) askTop(q string) string {
	ans := e.kb.Ask(q, 3)
	if len(ans.Hits) == 0 || ans.Hits[0].Entry == nil {
		return ""
	}
	return ans.Hits[0].Entry.ID
}

func location(resp *http.Response) string {
	l, _ := url.QueryUnescape(resp.Header.Get("Location"))
	return l
}

// Editors edit; only approvers mark reviewed and disable. Every change is
// in Redis, in force at once and in the audit log with a content hash.
func TestBankRolesAndAudit(t *testing.T) {
	e := newBankEnv(t, nil)
	ed, ap := e.as("ed"), e.as("ap")
	newAnswer := "有。劳动争议申请仲裁的时效一般是一年，从知道或者应当知道权利被侵害之日起算。"
	steps := []struct {
		name   string
		c      *client
		path   string
		form   func() url.Values
		status int
		msg    string // in the redirect, "" for a refusal
	}{
		{"editor edits", ed, "/console/bank/" + arbitrationID, func() url.Values {
			return editForm(ed, arbitrationID, map[string]string{"answer": newAnswer})
		}, http.StatusSeeOther, "已保存（第 1 版）"},
		{"editor cannot mark reviewed", ed, "/console/bank/" + arbitrationID + "/review", func() url.Values {
			return url.Values{"csrf": {ed.csrf}, "version": {"1"}}
		}, http.StatusForbidden, ""},
		{"editor cannot disable", ed, "/console/bank/" + arbitrationID + "/disable", func() url.Values {
			return url.Values{"csrf": {ed.csrf}, "version": {"1"}}
		}, http.StatusForbidden, ""},
		{"approver marks reviewed", ap, "/console/bank/" + arbitrationID + "/review", func() url.Values {
			return url.Values{"csrf": {ap.csrf}, "version": {"1"}}
		}, http.StatusSeeOther, "已标记为已审核"},
		{"a review of a text that changed since is refused", ap, "/console/bank/" + arbitrationID + "/review", func() url.Values {
			return url.Values{"csrf": {ap.csrf}, "version": {"1"}}
		}, http.StatusSeeOther, "刚被他人修改"},
		{"approver disables", ap, "/console/bank/" + arbitrationID + "/disable", func() url.Values {
			return url.Values{"csrf": {ap.csrf}, "version": {"2"}}
		}, http.StatusSeeOther, "已停用"},
		{"approver enables", ap, "/console/bank/" + arbitrationID + "/enable", func() url.Values {
			return url.Values{"csrf": {ap.csrf}, "version": {"3"}}
		}, http.StatusSeeOther, "已启用"},
	}
	for _, s := range steps {
		resp, _ := s.c.post(s.path, s.form())
		if resp.StatusCode != s.status || !strings.Contains(location(resp), s.msg) {
			t.Fatalf("%s: %d %s, want %d and %q", s.name, resp.StatusCode, location(resp), s.status, s.msg)
		}
	}
	got := e.kb.Entry(arbitrationID)
	if got.Answer != newAnswer || got.ReviewedBy != "ap" || got.ReviewedAt != "2026-11-29" || got.Disabled {
		t.Errorf("residents get %+v", got)
	}
	stored, ok, err := e.st.BankEdit(context.Background(), arbitrationID)
	if err != nil || !ok || stored.Version != 4 || stored.ReviewedBy != "ap" || stored.EditedBy != "ap" || stored.Change != "enable" {
		t.Errorf("stored edit %+v, %v, %v", stored, ok, err)
	}

	// An edit of the content sends the entry back to review.
	resp, _ := ed.post("/console/bank/"+arbitrationID, editForm(ed, arbitrationID, map[string]string{"question": "劳动仲裁有时效吗？"}))
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(location(resp), "需重新审核") {
		t.Fatalf("second edit: %d %s", resp.StatusCode, location(resp))
	}
	if got := e.kb.Entry(arbitrationID); got.ReviewedBy != "" || got.ReviewedAt != "" {
		t.Errorf("an edited text kept its review: %q %q", got.ReviewedBy, got.ReviewedAt)
	}

	log, err := e.st.AuditLog(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	hashes := map[string]string{}
	detail := regexp.MustCompile(`^version (\d+) sha256:([0-9a-f]{12})$`)
	for i := len(log) - 1; i >= 0; i-- {
		a := log[i]
		if !strings.HasPrefix(a.Action, "bank.") {
			continue
		}
		m := detail.FindStringSubmatch(a.Detail)
		if a.Target != arbitrationID || m == nil {
			t.Errorf("audit entry %+v", a)
			continue
		}
		actions = append(actions, a.User+" "+a.Action+" v"+m[1])
		hashes[a.Action+m[1]] = m[2]
	}
	want := []string{"ed bank.edit v1", "ap bank.review v2", "ap bank.disable v3", "ap bank.enable v4", "ed bank.edit v5"}
	if strings.Join(actions, ", ") != strings.Join(want, ", ") {
		t.Errorf("audit log %q, want %q", actions, want)
	}
	if hashes["bank.edit1"] != hashes["bank.review2"] || hashes["bank.edit1"] == hashes["bank.edit5"] {
		t.Errorf("content hashes %v: a review must name the text it approved, an edit a new one", hashes)
	}
}

// Bad input is refused with Chinese messages naming the field, the form
// keeps what was typed, and nothing changes in Redis or for residents.
func TestBankEditRejected(t *testing.T) {
	e := newBankEnv(t, nil)
	ed := e.as("ed")
	shipped := e.kb.Entry(arbitrationID).Answer
	const quote = "劳动争议申请仲裁的时效期间为两年。"
	tests := []struct {
		name   string
		change map[string]string
		want   []string // Chinese messages, each with its field
	}{
		{"quote not in the article", map[string]string{"cites": "劳动争议调解仲裁法第二十七条 | " + quote},
			[]string{"引用：“劳动争议调解仲裁法第二十七条”：引文不在该条现行文本中"}},
		{"invented deadline in the answer", map[string]string{"answer": "有。要在30天内申请仲裁。"},
			[]string{"回答：期限“三十日”不见于所引条文"}},
		{"invented phone in the next step", map[string]string{"next": "请拨打88886666咨询。"},
			[]string{"下一步：电话号码 88886666 不是全国统一热线"}},
		{"no such law", map[string]string{"cites": "劳动法典第三十条 | 用人单位应当"},
			[]string{"引用：“劳动法典第三十条”：找不到这部法律"}},
		{"not a reference", map[string]string{"cites": "第三十条 | 用人单位应当"},
			[]string{"引用：“第三十条”不是条文引用"}},
		{"quote missing", map[string]string{"cites": "劳动争议调解仲裁法第二十七条"},
			[]string{"引用：“劳动争议调解仲裁法第二十七条”缺少引文"}},
		{"everything missing", map[string]string{"question": "", "answer": "", "paraphrases": "只有一条", "topic": "", "cites": ""},
			[]string{"问题：必须填写", "回答：必须填写", "其他问法：只有 1 条，至少需要 3 条", "主题：必须填写", "引用：至少引用一条法律条文"}},
		{"too long", map[string]string{"answer": strings.Repeat("可以。", 101)},
			[]string{"回答：共 303 字，最多 300 字"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := editForm(ed, arbitrationID, tt.change)
			if _, set := tt.change["question"]; !set {
				form.Set("question", form.Get("question")+"<b>原样</b>") // typed text comes back as text
			}
			resp, body := ed.post("/console/bank/"+arbitrationID, form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			errs := body[strings.Index(body, `id="bank-errors"`):]
			for _, w := range tt.want {
				if !strings.Contains(errs, html.EscapeString(w)) && !strings.Contains(html.UnescapeString(errs), w) {
					t.Errorf("no %q in the errors", w)
				}
			}
			for _, field := range []string{"answer", "next", "cites", "paraphrases"} {
				if v := form.Get(field); v != "" && !strings.Contains(html.UnescapeString(body), v) {
					t.Errorf("the typed %s %q is gone from the form", field, v)
				}
			}
			if q := form.Get("question"); q != "" && !strings.Contains(body, html.EscapeString(q)) {
				t.Errorf("the typed question is not shown back as text")
			}
			if strings.Contains(body, "<b>原样</b>") {
				t.Error("typed markup rendered as markup")
			}
		})
	}
	if v := e.version(t); v != 0 {
		t.Errorf("rejected edits moved the version to %d", v)
	}
	if got := e.kb.Entry(arbitrationID); got.Answer != shipped || got != e.kb.ShippedEntry(arbitrationID) {
		t.Error("a rejected edit reached residents")
	}
	if log, _ := e.st.AuditLog(context.Background(), 50); len(log) != 1 || log[0].Action != "login" {
		t.Errorf("rejected edits were audited: %+v", log)
	}
}

// A disabled entry no longer answers; enabling it brings it back.
func TestBankDisableLeavesAsk(t *testing.T) {
	e := newBankEnv(t, nil)
	const q = "劳动仲裁时效多长"
	if got := e.askTop(q); got != arbitrationID {
		t.Fatalf("before: Ask answers with %q", got)
	}
	ap := e.as("ap")
	if resp, _ := ap.post("/console/bank/"+arbitrationID+"/disable", url.Values{"csrf": {ap.csrf}, "version": {"0"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if got := e.askTop(q); got == arbitrationID {
		t.Error("a disabled entry still answers")
	}
	_, body := ap.get("/console/bank?status=disabled")
	if !strings.Contains(body, "共 1 条") || !strings.Contains(body, arbitrationID) {
		t.Error("the disabled filter does not list the entry")
	}
	if resp, _ := ap.post("/console/bank/"+arbitrationID+"/enable", url.Values{"csrf": {ap.csrf}, "version": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", resp.StatusCode)
	}
	if got := e.askTop(q); got != arbitrationID {
		t.Errorf("after enabling: Ask answers with %q", got)
	}
}

// addEntries stores n staff-added entries, copies of the arbitration entry.
func addEntries(t *testing.T, e *bankEnv, n int) {
	t.Helper()
	base := e.kb.ShippedEntry(arbitrationID).Record()
	for i := range n {
		r := base
		r.ID, r.Question = fmt.Sprintf("extra-%02d", i), fmt.Sprintf("补充问题%02d：劳动仲裁时效", i)
		edit := store.BankEdit{ID: r.ID, Topic: "补充", Question: r.Question, Paraphrases: r.Paraphrases, Answer: r.Answer, Next: r.Next, Author: "ed"}
		for _, c := range r.Cites {
			edit.Cites = append(edit.Cites, store.BankCite{Ref: c.Ref, Quote: c.Quote})
		}
		if _, err := e.st.SaveBankEdit(context.Background(), edit, 0); err != nil {
			t.Fatal(err)
		}
	}
}

var rowRe = regexp.MustCompile(`<td class="col-id"><a href="/console/bank/([a-z0-9-]+)">`)

func bankRows(body string) []string {
	var ids []string
	for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestBankListSearchAndPages(t *testing.T) {
	e := newBankEnv(t, nil)
	addEntries(t, e, 60) // the page picks them up from Redis: another replica saved them
	office := len(e.kb.FAQ())
	shipped := len(e.kb.Entries()) - office // labour-pay.yaml's entries, all on 劳动报酬
	total := office + shipped + 60
	ed := e.as("ed")
	tests := []struct {
		query string
		total int
		first []string // ids expected on the page, in order, from the first row
		count int      // rows on the page
		pager string
	}{
		{"", total, []string{office0(e)}, 50, "第 1 / 2 页"},
		{"?page=2", total, nil, total - 50, "第 2 / 2 页"},
		{"?page=99", total, nil, total - 50, "第 2 / 2 页"},
		{"?q=" + url.QueryEscape("东家不给工钱"), 1, []string{arrearsID}, 1, ""},                          // a paraphrase
		{"?q=" + url.QueryEscape("支付令"), 2, []string{"unpaid-wages", arrearsID}, 2, ""},             // in answers, office first
		{"?q=" + url.QueryEscape("补充问题 05"), 1, []string{"extra-05"}, 1, ""},                        // every term must match
		{"?q=" + url.QueryEscape("劳动仲栽"), 61, []string{arbitrationID, "extra-00"}, 50, "第 1 / 2 页"}, // the typo paraphrase
		{"?status=edited", 60, []string{"extra-00"}, 50, ""},
		{"?source=office", office, nil, office, ""},
		{"?source=bank&topic=" + url.QueryEscape("劳动报酬"), shipped, []string{arrearsID}, shipped, ""},
		{"?status=reviewed", 0, nil, 0, ""},
		{"?q=" + url.QueryEscape("没有这样的问题"), 0, nil, 0, ""},
	}
	for _, tt := range tests {
		resp, body := ed.get("/console/bank" + tt.query)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", tt.query, resp.StatusCode)
		}
		ids := bankRows(body)
		if !strings.Contains(body, fmt.Sprintf("共 %d 条", tt.total)) || len(ids) != tt.count {
			t.Errorf("%s: %d rows, want %d of %d (%s)", tt.query, len(ids), tt.count, tt.total, regexp.MustCompile(`共 \d+ 条`).FindString(body))
			continue
		}
		for i, id := range tt.first {
			if ids[i] != id {
				t.Errorf("%s: row %d is %s, want %s", tt.query, i, ids[i], id)
			}
		}
		if tt.pager != "" && !strings.Contains(body, tt.pager) {
			t.Errorf("%s: no %q", tt.query, tt.pager)
		}
	}
	// The next page keeps the search.
	_, body := ed.get("/console/bank?q=" + url.QueryEscape("劳动仲栽"))
	next := regexp.MustCompile(`href="([^"]+)" id="bank-next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next-page link")
	}
	_, body = ed.get(html.UnescapeString(next[1]))
	if ids := bankRows(body); len(ids) != 11 || ids[0] != "extra-49" {
		t.Errorf("page 2 of the search: %v", ids)
	}
	// Office entries are marked and read-only.
	_, body = ed.get("/console/bank/" + office0(e))
	if !strings.Contains(body, `id="bank-office"`) || strings.Contains(body, `id="bank-edit"`) {
		t.Error("an office entry is editable")
	}
	resp, _ := ed.post("/console/bank/"+office0(e), url.Values{"csrf": {ed.csrf}, "version": {"0"}, "question": {"改"}})
	if !strings.Contains(location(resp), "常见问题文件") || e.version(t) != 60 {
		t.Errorf("edit of an office entry: %s", location(resp))
	}
}

func office0(e *bankEnv) string { return e.kb.FAQ()[0].ID }

// The entry page gives the reviewer what to check: the text, each cited
// article's current text with the quote marked and its version, and for an
// edited entry the shipped text.
func TestBankEntryPage(t *testing.T) {
	e := newBankEnv(t, nil)
	ed := e.as("ed")
	shipped := e.kb.ShippedEntry(arrearsID)
	_, body := ed.get("/console/bank/" + arrearsID)
	art := shipped.Cites[0].Article
	for _, want := range []string{shipped.Question, shipped.Paraphrases[0], "pufa 内容组", "待审核", "《" + art.Law.Name + "》第三十条",
		"版本 " + art.Law.Version, "<mark>" + shipped.Cites[0].Quote + "</mark>", `id="bank-edit"`, "劳动合同法第三十条 | " + shipped.Cites[0].Quote} {
		if !strings.Contains(body, want) {
			t.Errorf("entry page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="bank-mark-reviewed"`) {
		t.Error("an editor sees the review button")
	}
	newAnswer := "可以依法讨要。单位应当按劳动合同约定和国家规定，及时足额支付工资。"
	if resp, _ := ed.post("/console/bank/"+arrearsID, editForm(ed, arrearsID, map[string]string{"answer": newAnswer})); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	_, body = e.as("ap").get("/console/bank/" + arrearsID)
	diff := body[strings.Index(body, `id="bank-diff"`):]
	if !strings.Contains(diff, newAnswer) || !strings.Contains(diff, "支付令") || !strings.Contains(body, "问答库（已修改）") {
		t.Error("the edited entry is not compared with the shipped text")
	}
	if !strings.Contains(body, `id="bank-mark-reviewed"`) || !strings.Contains(body, `id="bank-history"`) {
		t.Error("an approver lacks the review button or the history")
	}
	_, body = ed.get("/console/bank?status=edited")
	if ids := bankRows(body); len(ids) != 1 || ids[0] != arrearsID || !strings.Contains(body, "已修改") {
		t.Errorf("edited filter: %v", ids)
	}
	if resp, _ := ed.get("/console/bank/no-such-entry"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing entry: %d", resp.StatusCode)
	}
}

// Editors add entries; an id in use is refused; a stale form keeps its text.
func TestBankNewEntryAndStaleForm(t *testing.T) {
	e := newBankEnv(t, nil)
	ed := e.as("ed")
	ed.get("/console/bank/new")
	base := e.kb.ShippedEntry(arbitrationID).Record()
	form := editForm(ed, arbitrationID, nil)
	form.Del("version")
	form.Set("id", "overtime-arbitration")
	form.Set("question", "加班费拖欠了能去仲裁吗？")
	form.Set("topic", "加班")
	resp, _ := ed.post("/console/bank", form)
	if resp.StatusCode != http.StatusSeeOther || location(resp) != "/console/bank/overtime-arbitration?msg=已新增条目，居民即刻可见，待审核" {
		t.Fatalf("create: %d %s", resp.StatusCode, location(resp))
	}
	if got := e.kb.Entry("overtime-arbitration"); got == nil || got.Author != "ed" || got.Answer != base.Answer {
		t.Fatalf("new entry %+v", got)
	}
	for _, id := range []string{"overtime-arbitration", arbitrationID, office0(e), "new", "Bad_ID"} {
		form.Set("id", id)
		resp, body := ed.post("/console/bank", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "编号：") {
			t.Errorf("create with id %q: %d", id, resp.StatusCode)
		}
	}

	// Two editors open the same entry; the second save is refused and keeps
	// its typed text.
	ap := e.as("ap")
	first := editForm(ed, arbitrationID, map[string]string{"answer": "有时间限制，一般是一年。"})
	second := editForm(ap, arbitrationID, map[string]string{"answer": "有，一般一年。"})
	if resp, _ := ed.post("/console/bank/"+arbitrationID, first); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: %d", resp.StatusCode)
	}
	resp, body := ap.post("/console/bank/"+arbitrationID, second)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "有，一般一年。") || !strings.Contains(body, "已被他人修改") {
		t.Errorf("stale save: %d", resp.StatusCode)
	}
	if got := e.kb.Entry(arbitrationID).Answer; got != "有时间限制，一般是一年。" {
		t.Errorf("the stale save overwrote the first: %q", got)
	}
}

// Edits saved on one replica reach another's knowledge base on refresh; a
// stored edit that no longer validates is skipped, the others apply.
func TestBankSyncAcrossReplicas(t *testing.T) {
	e := newBankEnv(t, nil)
	other, err := knowledge.New(knowledge.Options{BankFiles: []string{"labour-pay.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	replica := console.NewBankSync(e.st, other, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := replica.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ed := e.as("ed")
	if resp, _ := ed.post("/console/bank/"+arbitrationID, editForm(ed, arbitrationID, map[string]string{"answer": "有，一般一年。"})); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	bad := store.BankEdit{ID: arrearsID, Topic: "劳动报酬", Question: "老板拖欠工资怎么办？", Paraphrases: []string{"a", "b", "c"},
		Answer: "请拨打88886666。", Cites: []store.BankCite{{Ref: "劳动合同法第三十条", Quote: "用人单位应当按照劳动合同约定和国家规定"}}}
	if _, err := e.st.SaveBankEdit(context.Background(), bad, 0); err != nil {
		t.Fatal(err)
	}
	if other.Entry(arbitrationID).Answer == "有，一般一年。" {
		t.Fatal("the replica changed before refreshing")
	}
	if err := replica.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if other.Entry(arbitrationID).Answer != "有，一般一年。" {
		t.Error("the replica did not apply the edit")
	}
	if other.Entry(arrearsID) != other.ShippedEntry(arrearsID) || replica.Skipped(arrearsID) == nil {
		t.Error("an invalid stored edit was applied")
	}
	_, body := ed.get("/console/bank/" + arrearsID)
	if !strings.Contains(body, `id="bank-skipped"`) || !strings.Contains(body, "电话号码 88886666 不是全国统一热线") {
		t.Error("the entry page does not say why the stored edit is not in force")
	}
	if _, body = ed.get("/console/bank"); !strings.Contains(body, "有 1 条保存的修改未通过校验") {
		t.Error("the list does not warn of the skipped edit")
	}
}

// The 问答库 needs a session for every page and the session's CSRF token
// for every change; what staff type is shown back as text.
func TestBankLoginCSRFAndEscaping(t *testing.T) {
	e := newBankEnv(t, nil)
	anon := e.client()
	for _, p := range []string{"/console/bank", "/console/bank/new", "/console/bank/" + arbitrationID} {
		if resp, _ := anon.get(p); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
			t.Errorf("GET %s without login: %d", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/console/bank", "/console/bank/" + arbitrationID, "/console/bank/" + arbitrationID + "/review", "/console/bank/" + arbitrationID + "/disable"} {
		if resp, _ := anon.post(p, url.Values{"csrf": {"00"}, "version": {"0"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without login: %d", p, resp.StatusCode)
		}
	}
	ap := e.as("ap")
	form := editForm(ap, arbitrationID, map[string]string{"question": `<script>alert(1)</script>劳动仲裁时效`})
	for _, tok := range []string{"", "00" + ap.csrf[2:]} {
		form.Set("csrf", tok)
		if resp, _ := ap.post("/console/bank/"+arbitrationID, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("edit with csrf %q: %d", tok, resp.StatusCode)
		}
		if resp, _ := ap.post("/console/bank/"+arbitrationID+"/disable", url.Values{"csrf": {tok}, "version": {"0"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("disable with csrf %q: %d", tok, resp.StatusCode)
		}
	}
	if v := e.version(t); v != 0 {
		t.Fatalf("forged forms saved edits (version %d)", v)
	}
	form.Set("csrf", ap.csrf)
	if resp, _ := ap.post("/console/bank/"+arbitrationID, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", resp.StatusCode)
	}
	for _, p := range []string{"/console/bank", "/console/bank/" + arbitrationID, "/console/bank?q=" + url.QueryEscape("<script>")} {
		_, body := ap.get(p)
		if strings.Contains(body, "<script>alert(1)") {
			t.Errorf("%s renders the question as markup", p)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;劳动仲裁时效") {
			t.Errorf("%s does not show the question as text", p)
		}
	}
}
