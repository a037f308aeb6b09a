package campaigns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/store"
	"github.com/pufa-dev/pufa/wechat"
)

// Account types, which decide the mass-send quota.
const (
	AccountService      = "service"      // each follower receives at most 4 mass sends a month
	AccountSubscription = "subscription" // one mass send a day, to all or one tag only
)

// Previewer sends previews of mass content to one staff member.
type Previewer interface {
	Preview(ctx context.Context, openid, content string) error
	PreviewNews(ctx context.Context, openid, mediaID string) error
}

// PreviewRecipients is the office's register of staff who may receive
// previews (console.PreviewList implements it).
type PreviewRecipients interface {
	// PreviewRecipient returns the display name of a registered openid.
	PreviewRecipient(ctx context.Context, openid string) (name string, ok bool, err error)
}

// ErrNotPreviewRecipient refuses a preview to an openid the office has not
// registered as staff.
var ErrNotPreviewRecipient = errors.New("campaigns: preview: not a registered staff preview recipient (预览只能发给已登记的工作人员)")

// PreviewResult says who received a preview of which content.
type PreviewResult struct {
	OpenID      string
	Name        string
	ContentHash string // Campaign.ContentHash of what was sent
}

// Options configure a Manager. Store and Definitions (or a Library) are
// required; the WeChat parts only for commands that talk to WeChat.
type Options struct {
	Store       Store
	Definitions func() ([]*Campaign, error) // every campaign's definition, current on each call
	// Library keeps the definitions in Redis; when set, Definitions
	// defaults to it, and the console edits the same Library, so one
	// process reads and caches the definitions once.
	Library    *Library
	Sender     Sender
	Audience   AudienceSource
	Previewer  Previewer
	PreviewTo  PreviewRecipients // who may receive previews; nil = nobody
	Quizzes    QuizCatalog       // checks quiz: before approval (quizref.go); nil = unchecked
	SMS        SMSSender         // the SMS gateway; nil = no sms channel
	SMSNumbers SMSNumbers        // the SMS lists (*store.Store); nil = no sms channel
	Articles   Articles          // the office's articles (*articles.Service); nil = no article channels
	Publisher  FreePublisher     // freepublish (*wechat.Client); nil = no publish channel
	Notices    NoticeSender      // subscription notices (*wechat.Client); nil = no notice channel
	Logger     *slog.Logger
	Now        func() time.Time

	Rate                 float64       // per-recipient WeChat messages/s shared by all replicas; 0 = unlimited
	SMSRate              float64       // text messages/s to the SMS gateway shared by all replicas; 0 = unlimited
	Workers              int           // concurrent senders per run in this process; default 16
	Lease                time.Duration // how long a claimed recipient stays in flight; default 30s
	MaxConsecutiveErrors int           // auto-pause threshold; default 20, <0 never
	AccountType          string        // AccountService (default) or AccountSubscription
	Owner                string        // this replica's name in Redis; default host-pid-random
}

// Manager runs the lifecycle of campaigns: approval, state changes, fires
// and runs, previews, statistics and reach. It is safe for concurrent use.
type Manager struct {
	opts  Options
	log   *slog.Logger
	owner string

	mu     sync.Mutex
	active map[string]bool // runs this process works on, "id@fire"
}

// New checks opts and returns a Manager.
func New(opts Options) (*Manager, error) {
	if opts.Definitions == nil && opts.Library != nil {
		opts.Definitions = opts.Library.Definitions
	}
	if opts.Store == nil || opts.Definitions == nil {
		return nil, errors.New("campaigns: Store and Definitions are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.MaxConsecutiveErrors == 0 {
		opts.MaxConsecutiveErrors = 20
	}
	switch opts.AccountType {
	case "":
		opts.AccountType = AccountService
	case AccountService, AccountSubscription:
	default:
		return nil, fmt.Errorf("campaigns: account type %q is not %s or %s", opts.AccountType, AccountService, AccountSubscription)
	}
	owner := opts.Owner
	if owner == "" {
		host, _ := os.Hostname()
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	return &Manager{opts: opts, log: opts.Logger, owner: owner, active: map[string]bool{}}, nil
}

func (m *Manager) now() time.Time { return m.opts.Now() }

// ErrNotFound is returned for an id no campaign file defines.
var ErrNotFound = errors.New("campaigns: no such campaign")

// ErrNoArticle refuses to approve an article campaign whose article does
// not exist (or cannot be read in this process).
var ErrNoArticle = errors.New("campaigns: 所选图文不存在，请重新选择图文")

// ErrConflict means the campaign changed state while the caller acted.
var ErrConflict = errors.New("campaigns: state changed meanwhile")

// Definitions returns the current campaign definitions.
func (m *Manager) Definitions() ([]*Campaign, error) { return m.opts.Definitions() }

// Library is the Library the manager reads, or nil.
func (m *Manager) Library() *Library { return m.opts.Library }

// Get returns the definition of id.
func (m *Manager) Get(id string) (*Campaign, error) {
	defs, err := m.opts.Definitions()
	for _, c := range defs {
		if c.ID == id {
			return c, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w %q (and some files are invalid: %v)", ErrNotFound, id, err)
	}
	return nil, fmt.Errorf("%w %q", ErrNotFound, id)
}

// Status is a campaign's recorded state.
type Status struct {
	State       State
	ApprovedBy  string
	ApprovedAt  time.Time
	Stale       bool // the file differs from what was approved; a run in progress keeps its snapshot
	LastFire    time.Time
	Fires       int64
	MissedFires int64
	Run         time.Time // fire of the current or latest run
	PauseReason string

	stored string // the state string in Redis, "" when none
}

func statusOf(r store.CampaignRecord) Status {
	st := Status{
		State: State(r.State), stored: r.State, ApprovedBy: r.ApprovedBy, ApprovedAt: r.ApprovedAt,
		LastFire: r.LastFire, Fires: r.Fires, MissedFires: r.MissedFires, Run: r.Run, PauseReason: r.PauseReason,
	}
	if st.State == "" {
		st.State = Draft
	}
	return st
}

// Status reads c's state. An approved (not yet running) campaign whose file
// changed since approval goes back to draft here: an approval covers
// exactly the content a person saw.
func (m *Manager) Status(ctx context.Context, c *Campaign) (Status, error) {
	rec, err := m.opts.Store.Campaign(ctx, c.ID)
	if err != nil {
		return Status{}, err
	}
	st := statusOf(rec)
	if rec.ApprovedHash == "" {
		return st, nil
	}
	want, err := m.approvalHash(ctx, c)
	if err != nil {
		return Status{}, err
	}
	if hash := rec.ApprovedHash; want != "" && hash != want {
		switch st.State {
		case Approved, Scheduled, Paused, Missed:
			err := m.setState(ctx, c.ID, st, EvEdit, "pufa", "definition changed after approval", store.StateChange{})
			if err != nil && !errors.Is(err, ErrConflict) {
				return st, err
			}
			if err == nil {
				m.log.WarnContext(ctx, "campaigns: definition changed after approval, back to draft", slog.String("campaign", c.ID))
				st.State, st.stored = Draft, string(Draft)
			}
		case Running, Finished:
			st.Stale = true
		}
	}
	return st, nil
}

// setState applies event to a campaign found in st, atomically: it fails
// with ErrConflict if the state changed since st was read. c carries what
// the transition sets besides the state (approval, pause reason, run).
func (m *Manager) setState(ctx context.Context, id string, st Status, ev Event, by, note string, c store.StateChange) error {
	to, err := Transition(st.State, ev)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	now := m.now()
	c.From, c.To, c.At = st.stored, string(to), now
	c.Log = strings.Join([]string{strconv.FormatInt(now.Unix(), 10), string(st.State), string(to), string(ev), by,
		strings.ReplaceAll(note, "|", "/")}, "|")
	ok, found, err := m.opts.Store.SetCampaignState(ctx, id, c)
	if err != nil {
		return err
	}
	if !ok {
		if found == "" {
			found = string(Draft)
		}
		return fmt.Errorf("%w: %s is now %s", ErrConflict, id, found)
	}
	m.log.InfoContext(ctx, "campaigns: state", slog.String("campaign", id), slog.String("from", string(st.State)),
		slog.String("to", string(to)), slog.String("event", string(ev)), slog.String("by", by))
	return nil
}

// Approve records that by approved c's current content; only an approved
// campaign ever sends.
func (m *Manager) Approve(ctx context.Context, id, by string) error {
	if strings.TrimSpace(by) == "" {
		return errors.New("campaigns: approve: the approver's name is required (--by)")
	}
	c, err := m.Get(id)
	if err != nil {
		return err
	}
	if err := m.CheckQuiz(c); err != nil {
		return fmt.Errorf("campaigns: approve %s: %w", id, err)
	}
	hash, err := m.approvalHash(ctx, c)
	if err != nil {
		return err
	}
	if hash == "" || strings.HasSuffix(hash, "+article-missing") {
		return fmt.Errorf("campaigns: approve %s: %w", id, ErrNoArticle)
	}
	st, err := m.Status(ctx, c)
	if err != nil {
		return err
	}
	now := m.now()
	err = m.setState(ctx, id, st, EvApprove, by, "hash "+hash, store.StateChange{
		Approval: &store.Approval{By: by, At: now, Hash: hash},
	})
	if err == nil {
		m.audit(ctx, by, "campaign.approve", id, sendDetail(c))
	}
	return err
}

// Pause stops a campaign: no new fires, and workers of a run in progress
// stop after their current recipient.
func (m *Manager) Pause(ctx context.Context, id, by, reason string) error {
	_, st, err := m.load(ctx, id)
	if err != nil {
		return err
	}
	return m.setState(ctx, id, st, EvPause, by, reason,
		store.StateChange{PauseReason: &reason, RunFire: st.Run, RunState: store.RunPaused})
}

// Resume continues a paused campaign; an interrupted run continues where it
// stopped (serve joins it, or `pufa campaign run`).
func (m *Manager) Resume(ctx context.Context, id, by string) error {
	_, st, err := m.load(ctx, id)
	if err != nil {
		return err
	}
	cleared := ""
	return m.setState(ctx, id, st, EvResume, by, "",
		store.StateChange{PauseReason: &cleared, RunFire: st.Run, RunState: store.RunRunning})
}

// Cancel stops a campaign for good.
func (m *Manager) Cancel(ctx context.Context, id, by string) error {
	_, st, err := m.load(ctx, id)
	if err != nil {
		return err
	}
	return m.setState(ctx, id, st, EvCancel, by, "", store.StateChange{RunFire: st.Run, RunState: store.RunCancelled})
}

func (m *Manager) load(ctx context.Context, id string) (*Campaign, Status, error) {
	c, err := m.Get(id)
	if err != nil {
		return nil, Status{}, err
	}
	st, err := m.Status(ctx, c)
	return c, st, err
}

// autoPause pauses a running campaign after errors; concurrent workers may
// all try, one wins.
func (m *Manager) autoPause(ctx context.Context, id string, fire time.Time, reason string) {
	c, st, err := m.load(ctx, id)
	if err != nil {
		// The file may be gone; pause from the stored state alone.
		c = &Campaign{ID: id}
		rec, herr := m.opts.Store.Campaign(ctx, id)
		if herr != nil {
			m.log.ErrorContext(ctx, "campaigns: auto-pause", slog.String("campaign", id), slog.Any("err", herr))
			return
		}
		st = statusOf(rec)
	}
	if st.State != Running {
		return
	}
	why := "auto-pause: " + reason
	err = m.setState(ctx, c.ID, st, EvPause, "pufa", why,
		store.StateChange{PauseReason: &why, RunFire: fire, RunState: store.RunPaused})
	if err == nil {
		m.log.WarnContext(ctx, "campaigns: auto-paused", slog.String("campaign", id), slog.String("reason", reason))
	}
}

// Preview sends c's content to one staff member (a WeChat mass preview for
// mass content, the message itself otherwise). Previews use a fresh
// Broadcast in the wechat adapter, so they cannot poison later sends.
func (m *Manager) Preview(ctx context.Context, id, openid, by string) (PreviewResult, error) {
	c, err := m.Get(id)
	if err != nil {
		return PreviewResult{}, err
	}
	if openid == "" {
		return PreviewResult{}, errors.New("campaigns: preview: --to OPENID is required")
	}
	// An unapproved draft may reach only staff the office registered:
	// "preview" must never be a way around approval to residents.
	name, ok := "", false
	if m.opts.PreviewTo != nil {
		if name, ok, err = m.opts.PreviewTo.PreviewRecipient(ctx, openid); err != nil {
			return PreviewResult{}, fmt.Errorf("campaigns: preview %s: %w", id, err)
		}
	}
	if !ok {
		m.log.WarnContext(ctx, "campaigns: preview refused: recipient not registered", slog.String("campaign", id), slog.String("by", by))
		return PreviewResult{}, fmt.Errorf("%w: %s", ErrNotPreviewRecipient, openid)
	}
	ch, ok := channels[c.Channel]
	if !ok {
		return PreviewResult{}, fmt.Errorf("campaigns: preview %s: unknown channel %q", id, c.Channel)
	}
	err = ch.preview(ctx, m, c, openid)
	if err != nil {
		return PreviewResult{}, fmt.Errorf("campaigns: preview %s: %w", id, err)
	}
	res := PreviewResult{OpenID: openid, Name: name, ContentHash: c.ContentHash()}
	m.audit(ctx, by, "campaign.preview", id, fmt.Sprintf("接收人：%s（%s）；内容 sha256:%s", name, openid, res.ContentHash))
	hash, err := m.approvalHash(ctx, c)
	if err != nil {
		return res, err
	}
	return res, m.opts.Store.SetCampaignPreview(ctx, id, store.Preview{By: by, At: m.now(), Hash: hash})
}

// audit appends to the staff audit log (the console's). Previews,
// approvals and sends are recorded here, with recipients and the content
// hash, so every way in (console, API, CLI, scheduler) is covered once. A
// failure to record is logged: the action itself already happened.
func (m *Manager) audit(ctx context.Context, by, action, id, detail string) {
	e := store.AuditEntry{At: m.now(), User: by, Action: action, Target: id, Detail: detail}
	if err := m.opts.Store.Audit(context.WithoutCancel(ctx), e); err != nil {
		m.log.ErrorContext(ctx, "campaigns: audit log", slog.String("action", action), slog.String("campaign", id), slog.Any("err", err))
	}
}

// sendDetail is the audit text of an approval or a send: who receives what.
func sendDetail(c *Campaign) string {
	return fmt.Sprintf("渠道：%s；接收对象：%s；内容 sha256:%s", c.Channel.Label(), c.Audience.Describe(), c.ContentHash())
}

// Start runs fire of campaign id, which the caller (the scheduler) has
// claimed, until the run ends or ctx is cancelled.
func (m *Manager) Start(ctx context.Context, id string, fire time.Time) (RunResult, error) {
	c, st, err := m.load(ctx, id)
	if err != nil {
		return RunResult{}, err
	}
	if !st.State.Sends() || st.State == Running {
		return RunResult{}, fmt.Errorf("campaigns: %s is %s: fire %s not started", id, st.State, fire.Format(time.RFC3339))
	}
	err = m.setState(ctx, id, st, EvStart, "scheduler", "fire "+fire.In(chinatime.Zone).Format(time.RFC3339),
		store.StateChange{Run: fire})
	if err != nil {
		return RunResult{}, err
	}
	m.audit(ctx, "scheduler", "campaign.send", id, "推送 "+fire.In(chinatime.Zone).Format("2006-01-02 15:04")+"；"+sendDetail(c))
	return m.runFire(ctx, c, defOf(c), fire, RunOptions{})
}

// Join works on an unfinished run of id together with any other replica,
// e.g. after a restart. It returns at once when this process already works
// on it.
func (m *Manager) Join(ctx context.Context, id string, fire time.Time, opts RunOptions) (RunResult, error) {
	c, st, err := m.load(ctx, id)
	if err != nil {
		return RunResult{}, err
	}
	if st.State != Running {
		if err := m.setState(ctx, id, st, EvStart, "scheduler", "resume run "+fire.In(chinatime.Zone).Format(time.RFC3339),
			store.StateChange{Run: fire}); err != nil {
			return RunResult{}, err
		}
	}
	return m.runFire(ctx, c, defOf(c), fire, opts)
}

// RunNow sends id now, from the command line: it resumes the campaign's
// unfinished run if there is one, else claims a new fire at the current
// second. The guarantees are those of a scheduled fire.
func (m *Manager) RunNow(ctx context.Context, id string, opts RunOptions) (time.Time, RunResult, error) {
	c, st, err := m.load(ctx, id)
	if err != nil {
		return time.Time{}, RunResult{}, err
	}
	if !st.Run.IsZero() {
		run, err := m.opts.Store.Run(ctx, id, st.Run)
		if err != nil {
			return time.Time{}, RunResult{}, err
		}
		switch run.State {
		case store.RunRunning:
			res, err := m.Join(ctx, id, st.Run, opts)
			return st.Run, res, err
		case store.RunPaused:
			return time.Time{}, RunResult{}, fmt.Errorf("campaigns: %s is paused (%s): run `pufa campaign resume %s` first", id, st.PauseReason, id)
		}
	}
	switch st.State {
	case Approved, Scheduled:
	case Draft:
		return time.Time{}, RunResult{}, fmt.Errorf("campaigns: %s is a draft: approve it first (pufa campaign approve %s --by NAME)", id, id)
	default:
		return time.Time{}, RunResult{}, fmt.Errorf("campaigns: %s is %s: nothing to send", id, st.State)
	}
	fire := m.now().Truncate(time.Second)
	claim, err := m.opts.Store.ClaimFire(ctx, id, fire, "run", nil)
	if err != nil {
		return time.Time{}, RunResult{}, err
	}
	if !claim.Won {
		return time.Time{}, RunResult{}, fmt.Errorf("campaigns: %s: fire %s is already taken; try again", id, fire.Format(time.RFC3339))
	}
	// The fire is claimed now. The scheduler may take up a just-approved
	// campaign (approved → scheduled) meanwhile; starting from the state
	// found then is still this fire's start, so read it again rather than
	// leave a claimed fire without a run.
	for tries := 1; ; tries++ {
		err := m.setState(ctx, id, st, EvStart, "cli", "manual run", store.StateChange{Run: fire})
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) || tries == 3 {
			return time.Time{}, RunResult{}, err
		}
		if st, err = m.Status(ctx, c); err != nil {
			return time.Time{}, RunResult{}, err
		}
	}
	m.audit(ctx, "cli", "campaign.send", id, "手动推送 "+fire.In(chinatime.Zone).Format("2006-01-02 15:04")+"；"+sendDetail(c))
	res, err := m.runFire(ctx, c, defOf(c), fire, opts)
	return fire, res, err
}

// runFire snapshots (or joins) a run and works on it in this process.
func (m *Manager) runFire(ctx context.Context, c *Campaign, def runDef, fire time.Time, opts RunOptions) (RunResult, error) {
	ch, ok := channels[def.Channel]
	if !ok {
		return RunResult{}, fmt.Errorf("campaigns: %s: unknown channel %q", def.ID, def.Channel)
	}
	if err := ch.ready(m); err != nil {
		return RunResult{}, err
	}
	key := def.ID + "@" + strconv.FormatInt(fire.Unix(), 10)
	m.mu.Lock()
	if m.active[key] {
		m.mu.Unlock()
		return RunResult{State: RunEndRunning, Stopped: "already running in this process"}, nil
	}
	m.active[key] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.active, key)
		m.mu.Unlock()
	}()

	if opts.IgnoreQuietHours {
		// Recorded in the snapshot, so that every replica joining the run
		// sends through the quiet hours too and none shows it waiting.
		def.QuietSet = false
	}
	log := m.log.With(slog.String("campaign", def.ID), slog.Int64("fire", fire.Unix()))
	for {
		begin, err := m.opts.Store.BeginRun(ctx, def.ID, fire, m.owner, snapshotLease,
			store.RunStart{Def: encodeDef(def), Channel: string(def.Channel), Started: m.now()})
		if err != nil {
			return RunResult{}, err
		}
		if begin == store.RunBeginNew {
			if err := m.snapshot(ctx, def, fire); err != nil {
				if ctx.Err() == nil && !wechat.IsTransient(err) && !errors.Is(err, store.ErrSnapshotLost) {
					m.autoPause(ctx, def.ID, fire, "audience snapshot failed: "+err.Error())
				}
				return RunResult{}, err
			}
			break
		}
		if begin == store.RunBeginReady {
			break
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil { // another replica is snapshotting
			return RunResult{State: RunEndInterrupted}, nil
		}
	}
	run, err := m.opts.Store.Run(ctx, def.ID, fire)
	if err != nil {
		return RunResult{}, err
	}
	if stored, err := decodeDef(run.Def); err == nil {
		def = stored // the run sends what it was started with
	}
	m.archive(ctx, c, def.ID, string(def.Channel), fire, run.Started)
	log.InfoContext(ctx, "campaigns: delivering", slog.String("channel", string(def.Channel)), slog.String("owner", m.owner))
	if ch, ok = channels[def.Channel]; !ok { // the stored snapshot names the channel that counts
		return RunResult{}, fmt.Errorf("campaigns: %s: unknown channel %q", def.ID, def.Channel)
	}
	d := &deliverer{m: m, ch: ch, def: def, fire: fire, opts: opts, log: log}
	res := d.work(ctx)
	if counts, err := m.runStats(context.WithoutCancel(ctx), def.ID, fire); err == nil {
		res.Counts = counts
	}
	if res.State == RunEndFinished {
		m.completeRun(context.WithoutCancel(ctx), c, def.ID, fire)
	}
	log.InfoContext(ctx, "campaigns: run ended here", slog.String("state", string(res.State)),
		slog.Int64("sent", res.Counts.Sent), slog.Int64("failed", res.Counts.Failed), slog.Int64("unknown", res.Counts.Unknown))
	return res, nil
}

// archive records the run for the annual report (store.ArchivedRun) under
// the campaign's title and theme as they are now. A failure only costs the
// report this run until ArchivePastRuns runs again, so it is logged, and
// the run goes on.
func (m *Manager) archive(ctx context.Context, c *Campaign, id, channel string, fire, started time.Time) {
	a := store.ArchivedRun{Campaign: id, Title: id, Channel: channel, Fire: fire, Started: started}
	if c == nil {
		c, _ = m.Get(id)
	}
	if c != nil {
		a.Title, a.Theme, a.Quiz = c.Title, c.Theme, c.Quiz
	}
	if err := m.opts.Store.ArchiveRun(ctx, a); err != nil {
		m.log.ErrorContext(ctx, "campaigns: archive run", slog.String("campaign", id), slog.Any("err", err))
	}
}

// ArchivePastRuns archives the runs of every campaign that has a
// definition and ran before the archive existed (or whose archiving
// failed); runs archived already stay as they are. serve calls it at start.
func (m *Manager) ArchivePastRuns(ctx context.Context) (int, error) {
	defs, err := m.opts.Definitions()
	if defs == nil && err != nil {
		return 0, fmt.Errorf("campaigns: archive past runs: %w", err)
	}
	n := 0
	for _, c := range defs {
		fires, err := m.opts.Store.RunFires(ctx, c.ID)
		if err != nil {
			return n, err
		}
		for _, f := range fires {
			run, err := m.opts.Store.Run(ctx, c.ID, f)
			if err != nil {
				return n, err
			}
			channel := run.Channel
			if channel == "" {
				channel = string(c.Channel)
			}
			a := store.ArchivedRun{Campaign: c.ID, Title: c.Title, Theme: c.Theme, Quiz: c.Quiz, Channel: channel, Fire: f, Started: run.Started}
			if err := m.opts.Store.ArchiveRun(ctx, a); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// completeRun moves a campaign whose run finished on: back to scheduled
// when further fires remain, else finished.
func (m *Manager) completeRun(ctx context.Context, c *Campaign, id string, fire time.Time) {
	rec, err := m.opts.Store.Campaign(ctx, id)
	if err != nil {
		m.log.ErrorContext(ctx, "campaigns: complete run", slog.String("campaign", id), slog.Any("err", err))
		return
	}
	st := statusOf(rec)
	if st.State != Running || rec.Run.Unix() != fire.Unix() {
		return
	}
	ev := EvFinish
	if c != nil && c.Recurring() && !c.Next(fire).IsZero() {
		ev = EvComplete
	}
	if err := m.setState(ctx, id, st, ev, "pufa", "run "+fire.In(chinatime.Zone).Format(time.RFC3339)+" done", store.StateChange{}); err != nil && !errors.Is(err, ErrConflict) {
		m.log.ErrorContext(ctx, "campaigns: complete run", slog.String("campaign", id), slog.Any("err", err))
	}
}

// Plan is a campaign as the scheduler sees it.
type Plan struct {
	Campaign  *Campaign
	State     State
	Since     time.Time // fires before the approval never applied
	LastFire  time.Time // latest fire handled (sent, skipped or missed)
	RunFire   time.Time // current or latest run
	RunActive bool      // that run is unfinished (running, or stuck after its finisher died)
	RunDone   bool      // that run finished but the campaign still says running
}

// Plans lists every valid campaign with its state. Invalid files are
// reported in err alongside the valid plans.
func (m *Manager) Plans(ctx context.Context) ([]Plan, error) {
	defs, defErr := m.opts.Definitions()
	out := make([]Plan, 0, len(defs))
	for _, c := range defs {
		st, err := m.Status(ctx, c)
		if err != nil {
			return nil, err
		}
		p := Plan{Campaign: c, State: st.State, Since: st.ApprovedAt, LastFire: st.LastFire, RunFire: st.Run}
		if !st.Run.IsZero() {
			run, err := m.opts.Store.Run(ctx, c.ID, st.Run)
			if err != nil {
				return nil, err
			}
			p.RunActive = run.State == store.RunRunning
			p.RunDone = run.State == store.RunFinished && st.State == Running
		}
		out = append(out, p)
	}
	return out, defErr
}

// MarkScheduled records that the scheduler took up an approved campaign.
func (m *Manager) MarkScheduled(ctx context.Context, id string) error {
	_, st, err := m.load(ctx, id)
	if err != nil || st.State != Approved {
		return err
	}
	return m.setState(ctx, id, st, EvSchedule, "scheduler", "", store.StateChange{})
}

// MarkMissed records that a one-shot campaign's fire came too late to send.
func (m *Manager) MarkMissed(ctx context.Context, id string, fire time.Time, why string) error {
	_, st, err := m.load(ctx, id)
	if err != nil {
		return err
	}
	return m.setState(ctx, id, st, EvMiss, "scheduler", fmt.Sprintf("fire %s: %s", fire.In(chinatime.Zone).Format(time.RFC3339), why), store.StateChange{})
}

// MarkFinished records that a campaign has no fire left (its window closed).
func (m *Manager) MarkFinished(ctx context.Context, id, why string) error {
	_, st, err := m.load(ctx, id)
	if err != nil {
		return err
	}
	return m.setState(ctx, id, st, EvFinish, "scheduler", why, store.StateChange{})
}

// CompleteStale finishes the state change of a run whose finishing worker
// died between closing the run and moving the campaign on.
func (m *Manager) CompleteStale(ctx context.Context, id string, fire time.Time) {
	c, _ := m.Get(id)
	m.completeRun(ctx, c, id, fire)
}
