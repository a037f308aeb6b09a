package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pufa-dev/pufa/campaigns"
	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/validation"
)

// TagLister lists the account's WeChat tags for the audience picker
// (wechat.Client via a small adapter in cmd/pufa).
type TagLister interface {
	TagChoices(ctx context.Context) ([]Choice, error)
}

// formData is the campaign form page.
type formData struct {
	New        bool
	Form       campaigns.Form
	Errors     campaigns.FormErrors
	Version    int64
	Themes     []themeChoice
	Channels   []Choice
	Help       []Choice // what each channel does
	Articles   []Choice // the office's articles, newest first
	Tags       []Choice
	TagsErr    string
	Comms      []Choice
	Quizzes    []Choice
	Cron       string // the cron the schedule stands for
	Editable   bool
	StateLabel string
}

type themeChoice struct {
	Value, Label string
}

func has(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// themeChoices are the calendar's observances sorted by their date this
// year, with the dates shown.
func (s *Server) themeChoices() []themeChoice {
	year := s.opts.Now().In(chinatime.Zone).Year()
	cal := campaigns.Calendar()
	type th struct {
		o    campaigns.Observance
		from string
	}
	var list []th
	for _, t := range campaigns.Themes() {
		o := cal[t]
		from, _, _ := o.Dates(year)
		list = append(list, th{o, from.Format("01-02")})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].from < list[j].from })
	out := []themeChoice{{"", "（无）"}}
	for _, t := range list {
		out = append(out, themeChoice{t.o.Theme, t.o.Name + "（" + t.o.Summary + "）"})
	}
	return out
}

func (s *Server) fillChoices(ctx context.Context, d *formData) {
	d.Themes, d.Channels, d.Help = s.themeChoices(), channelChoices, channelHelp
	if s.opts.Articles != nil {
		list, _, err := s.opts.Articles.Search(ctx, "", 0, 200)
		if err != nil {
			s.log.Warn("campaign form: articles", "err", err)
		}
		for _, a := range list {
			at := a.UpdatedAt
			if at.IsZero() {
				at = a.CreatedAt
			}
			d.Articles = append(d.Articles, Choice{a.ID, a.Title + "（" + at.In(chinatime.Zone).Format("01-02 15:04") + " 保存）"})
		}
	}
	if d.Form.Article != "" && !hasChoice(d.Articles, d.Form.Article) {
		d.Articles = append(d.Articles, Choice{d.Form.Article, "图文 " + d.Form.Article + "（已不存在）"})
	}
	if s.opts.Tags != nil {
		tags, err := s.opts.Tags.TagChoices(ctx)
		if err != nil {
			s.log.Warn("campaign form: wechat tags", "err", err)
			d.TagsErr = "暂时无法读取微信标签，请稍后刷新"
		}
		d.Tags = tags
	}
	if comms, err := s.st.Communities(ctx); err != nil {
		s.log.Warn("campaign form: communities", "err", err)
	} else {
		for _, c := range comms {
			d.Comms = append(d.Comms, Choice{c, c})
		}
	}
	d.Quizzes = append([]Choice{{"", "（不关联）"}}, s.opts.Quizzes...)
	// What was typed stays selectable even when the list no longer has it.
	for _, t := range d.Form.Tags {
		if !hasChoice(d.Tags, t) {
			d.Tags = append(d.Tags, Choice{t, "标签 " + t})
		}
	}
	for _, c := range d.Form.Communities {
		if !hasChoice(d.Comms, c) {
			d.Comms = append(d.Comms, Choice{c, c})
		}
	}
	if d.Form.Quiz != "" && !hasChoice(d.Quizzes, d.Form.Quiz) {
		d.Quizzes = append(d.Quizzes, Choice{d.Form.Quiz, d.Form.Quiz})
	}
	d.Cron = d.Form.CronSpec()
}

func hasChoice(list []Choice, v string) bool {
	for _, c := range list {
		if c.Value == v {
			return true
		}
	}
	return false
}

// formOf reads the posted form.
func formOf(r *http.Request) campaigns.Form {
	_ = r.ParseMultipartForm(1 << 20)
	v := r.PostForm
	return campaigns.Form{
		ID: v.Get("id"), Title: v.Get("title"), Theme: v.Get("theme"), Channel: v.Get("channel"),
		Audience: v.Get("audience"), Communities: v["communities"], Tags: v["tags"], OpenIDs: v["openids"],
		Text: v.Get("text"), MediaID: v.Get("media_id"), Article: v.Get("article"),
		TemplateID: v.Get("template_id"), TemplateURL: v.Get("template_url"), TemplateFields: v.Get("template_fields"),
		Repeat: v.Get("repeat"), At: v.Get("at"), Clock: v.Get("clock"), Weekday: v.Get("weekday"),
		MonthDay: v.Get("month_day"), Cron: v.Get("cron"), CatchUp: v.Get("catch_up"), Grace: v.Get("grace"),
		WindowFrom: v.Get("window_from"), WindowTo: v.Get("window_to"),
		QuietFrom: v.Get("quiet_from"), QuietTo: v.Get("quiet_to"), Quiz: v.Get("quiz"),
	}
}

// campaignNew shows an empty form, or one drafted from the calendar
// (?theme=&year=).
func (s *Server) campaignNew(w http.ResponseWriter, r *http.Request) {
	d := formData{New: true, Editable: true, Form: campaigns.Form{Channel: string(campaigns.ChannelArticle), Audience: "all",
		Article: r.URL.Query().Get("article"),
		Repeat:  "once", Weekday: "1", MonthDay: "1", Clock: "10:00", CatchUp: string(campaigns.CatchUpOnce), QuietFrom: "21:30", QuietTo: "08:00"}}
	s.fillChoices(r.Context(), &d)
	s.page(w, r, http.StatusOK, "campaign_form", "新建活动", d)
}

// campaignCreate saves a new campaign from the form, or drafts one from
// the calendar (theme and year, no title).
func (s *Server) campaignCreate(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if r.PostFormValue("title") == "" && r.PostFormValue("year") != "" {
		s.campaignDraft(w, r, u)
		return
	}
	f := formOf(r)
	s.saveForm(w, r, f, 0, true)
}

func (s *Server) campaignDraft(w http.ResponseWriter, r *http.Request, u user) {
	year, err := strconv.Atoi(r.PostFormValue("year"))
	if err != nil || year < 2000 || year > 2100 {
		back(w, r, "/console/campaigns", "err", "年份无效")
		return
	}
	id, data, err := campaigns.DraftYAML(r.PostFormValue("theme"), year)
	if err != nil {
		back(w, r, "/console/campaigns", "err", "无法生成草稿：请选择日历中的主题")
		return
	}
	_, err = s.opts.Library.Save(r.Context(), id+".yaml", data, 0, campaigns.SourceConsole, u.Name)
	if errors.Is(err, campaigns.ErrExists) {
		back(w, r, "/console/campaigns/"+id, "err", "该活动已存在，可直接编辑")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "campaign.create", id, r.PostFormValue("theme"))
	back(w, r, "/console/campaigns/"+id, "msg", "已从日历生成草稿，请检查内容后提交审核")
}

// saveForm validates f through the YAML loader and stores it; on a problem
// the form comes back as typed with the problems beside their fields.
func (s *Server) saveForm(w http.ResponseWriter, r *http.Request, f campaigns.Form, seen int64, isNew bool) {
	u := userFrom(r.Context())
	ctx := r.Context()
	again := func(status int, errs campaigns.FormErrors, msg string) {
		d := formData{New: isNew, Form: f, Errors: errs, Version: seen, Editable: true}
		s.fillChoices(ctx, &d)
		title := "新建活动"
		if !isNew {
			title = f.Title
		}
		s.pageError(w, r, status, "campaign_form", title, d, msg)
	}
	_, data, errs := f.Check()
	if errs != nil {
		again(http.StatusUnprocessableEntity, errs, "未保存：请按提示修改标红的项目")
		return
	}
	id := strings.TrimSpace(f.ID)
	_, err := s.opts.Library.Save(ctx, id+".yaml", data, seen, campaigns.SourceConsole, u.Name)
	switch {
	case errors.Is(err, campaigns.ErrExists):
		again(http.StatusConflict, campaigns.FormErrors{"id": {"该编号已被其他活动使用"}}, "未保存：编号重复")
		return
	case errors.Is(err, store.ErrVersion):
		again(http.StatusConflict, nil, "未保存：该活动已被他人修改，请打开最新内容后重新编辑")
		return
	case errors.As(err, new(*validation.Problem)):
		// Checks beyond the form's own, such as a quiz that does not exist.
		again(http.StatusUnprocessableEntity, campaigns.FieldErrorsZh(err), "未保存：请按提示修改标红的项目")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if isNew {
		s.audit(ctx, u.Name, "campaign.create", id, "")
		back(w, r, "/console/campaigns/"+id, "msg", "已保存草稿，请预览后提交审核")
		return
	}
	s.audit(ctx, u.Name, "campaign.edit", id, "")
	back(w, r, "/console/campaigns/"+id, "msg", "已保存。已审核的活动修改后需重新审核。")
}

type campaignData struct {
	Stats      campaigns.Stats
	Def        *campaigns.Campaign
	Channel    string
	Actions    []Action
	Timeline   []string
	Form       formData
	Recipients []previewEntry // who may receive a preview
	Runs       []campaigns.RunStats
	RunPager   pager
	// Reads are the data cube's figures of each run that mass-sent an
	// article, newest first; Article names the campaign's article.
	Reads   []articleReads
	Article *store.Article
}

// articleReads is one run's article with its figures: the totals and
// what each day added.
type articleReads struct {
	store.ArticleSend
	Fetched bool // the data cube has answered for the run
	Days    []store.ArticleRead
}

func (s *Server) campaignDetail(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx := r.Context()
	def, err := s.opts.Campaigns.Get(id)
	if errors.Is(err, campaigns.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.opts.Campaigns.Stats(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := userFrom(ctx)
	d := campaignData{Stats: st, Def: def, RunPager: pageOf(r), Channel: channelLabel(def.Channel),
		Actions: allowedActions(st.State, u.Approver()), Timeline: timeline(st.Log)}
	runs := make([]campaigns.RunStats, len(st.Runs))
	for i, run := range st.Runs {
		runs[len(runs)-1-i] = run
	}
	d.Runs = pageSlice(&d.RunPager, runs)
	if d.Recipients, err = s.previews.all(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Reads, err = s.articleReads(ctx, id); err != nil {
		s.fail(w, r, err)
		return
	}
	if def.Content.Article != "" && s.opts.Articles != nil {
		if a, err := s.opts.Articles.Get(ctx, def.Content.Article); err == nil {
			d.Article = &a
		}
	}
	rec, _, err := s.opts.Library.Stored(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Form = formData{Form: campaigns.FormOf(def), Version: rec.Version, StateLabel: st.State.Label()}
	_, editErr := campaigns.Transition(st.State, campaigns.EvEdit)
	d.Form.Editable = editErr == nil
	s.fillChoices(ctx, &d.Form)
	s.page(w, r, http.StatusOK, "campaign", def.Title, d)
}

// articleReads lists a campaign's article runs, newest first, each with
// its days.
func (s *Server) articleReads(ctx context.Context, id string) ([]articleReads, error) {
	sends, err := s.st.ArticleSends(ctx, id)
	if err != nil {
		return nil, err
	}
	days, err := s.st.ArticleReads(ctx, id)
	if err != nil {
		return nil, err
	}
	byFire := map[int64]*articleReads{}
	for _, a := range sends {
		byFire[a.Fire.Unix()] = &articleReads{ArticleSend: a, Fetched: !a.FetchedAt.IsZero()}
	}
	for _, d := range days {
		r, ok := byFire[d.Fire.Unix()]
		if !ok {
			// Days recorded without the send's record (imported or
			// seeded figures): totals are the days summed.
			r = &articleReads{ArticleSend: store.ArticleSend{Campaign: id, Fire: d.Fire}, Fetched: true}
			byFire[d.Fire.Unix()] = r
		}
		if r.AsOf == "" || r.FetchedAt.IsZero() {
			r.Total = r.Total.Add(store.ArticleFigures{Reads: int(d.Reads), Readers: int(d.ReadUsers), Shares: int(d.Shares), Favourites: int(d.Favorites)})
		}
		r.Days, r.Fetched = append(r.Days, d), true
	}
	out := make([]articleReads, 0, len(byFire))
	for _, r := range byFire {
		if r.FetchedAt.IsZero() && len(r.Days) > 0 {
			r.AsOf = r.Days[len(r.Days)-1].Day
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b articleReads) int { return b.Fire.Compare(a.Fire) })
	return out, nil
}

func (s *Server) campaignEdit(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.opts.Campaigns.Get(id); err != nil {
		http.NotFound(w, r)
		return
	}
	// Content may change only while the lifecycle allows an edit: a
	// running, cancelled or finished campaign is history.
	st, err := s.opts.Campaigns.Stats(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := campaigns.Transition(st.State, campaigns.EvEdit); err != nil {
		back(w, r, "/console/campaigns/"+id, "err", "活动"+st.State.Label()+"，不能再修改内容")
		return
	}
	f := formOf(r)
	if strings.TrimSpace(f.ID) != id {
		back(w, r, "/console/campaigns/"+id, "err", "不能修改活动编号")
		return
	}
	seen, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	s.saveForm(w, r, f, seen, false)
}

// campaignImport stores an uploaded YAML file, replacing the campaign of
// the same id if it may still be edited.
func (s *Server) campaignImport(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	file, hdr, err := r.FormFile("file")
	if err != nil {
		back(w, r, "/console/campaigns", "err", "请选择要导入的 YAML 文件")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, 1<<20))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := filepath.Base(hdr.Filename)
	c, err := campaigns.Parse(name, data)
	if err != nil {
		var msgs []string
		for _, m := range campaigns.FieldErrorsZh(err) {
			msgs = append(msgs, m...)
		}
		back(w, r, "/console/campaigns", "err", "文件 "+name+" 有误，未导入："+strings.Join(msgs, "；"))
		return
	}
	if old, err := s.opts.Campaigns.Stats(r.Context(), c.ID); err == nil && old.State != "" {
		if _, err := campaigns.Transition(old.State, campaigns.EvEdit); err != nil {
			back(w, r, "/console/campaigns", "err", "活动"+old.State.Label()+"，不能再修改内容，未导入")
			return
		}
	}
	if _, _, err := s.opts.Library.Import(r.Context(), name, data, u.Name); err != nil {
		if errors.As(err, new(*validation.Problem)) {
			var msgs []string
			for _, m := range campaigns.FieldErrorsZh(err) {
				msgs = append(msgs, m...)
			}
			back(w, r, "/console/campaigns", "err", "文件 "+name+" 有误，未导入："+strings.Join(msgs, "；"))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), u.Name, "campaign.import", c.ID, name)
	back(w, r, "/console/campaigns/"+c.ID, "msg", "已导入 "+name)
}

// campaignExport downloads the stored definition as a YAML file.
func (s *Server) campaignExport(w http.ResponseWriter, r *http.Request) {
	c, err := s.opts.Campaigns.Get(r.PathValue("id"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	b := c.CanonicalYAML()
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.yaml"`, c.ID))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// formArgs is what the campaignform template receives.
type formArgs struct {
	D      formData
	Action string
	CSRF   string
}
