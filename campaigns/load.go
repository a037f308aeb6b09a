package campaigns

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pufa-dev/pufa/chinatime"
	"github.com/pufa-dev/pufa/validation"
	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// cronParser accepts standard 5-field specs, an optional CRON_TZ= or TZ=
// prefix, and descriptors such as @daily and @every 10s.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a campaign schedule spec.
func ParseCron(spec string) (cron.Schedule, error) {
	// robfig/cron v3 slices a time-zone prefix up to the first space and
	// panics when there is none ("CRON_TZ=Asia/Shanghai" alone, or a tab).
	if t := strings.TrimSpace(spec); (strings.HasPrefix(t, "CRON_TZ=") || strings.HasPrefix(t, "TZ=")) && !strings.Contains(t, " ") {
		return nil, fmt.Errorf("%q names a time zone but no schedule, e.g. \"CRON_TZ=Asia/Shanghai 0 10 * * 1\"", spec)
	}
	return cronParser.Parse(spec)
}

// idRe keeps ids usable in Redis keys and WeChat's clientmsgid (64 bytes
// with the fire time and batch).
var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// Schema of the YAML file: which keys exist and what kind of node each is.
type nodeKind int

const (
	kScalar nodeKind = iota
	kSeq
	kMap
	kFreeMap // a mapping with any keys and scalar values
)

var schema = map[string]nodeKind{
	"id": kScalar, "title": kScalar, "theme": kScalar, "channel": kScalar, "quiz": kScalar,
	"audience": kMap, "audience.all": kScalar, "audience.tags": kSeq, "audience.communities": kSeq, "audience.openids": kSeq, "audience.sms_list": kScalar,
	"content": kMap, "content.text": kScalar, "content.media_id": kScalar, "content.article": kScalar,
	"content.template": kMap, "content.template.id": kScalar, "content.template.url": kScalar, "content.template.fields": kFreeMap,
	"content.sms": kMap, "content.sms.template": kScalar, "content.sms.params": kFreeMap,
	"schedule": kMap, "schedule.at": kScalar, "schedule.cron": kScalar, "schedule.catch_up": kScalar, "schedule.grace": kScalar,
	"window": kMap, "window.from": kScalar, "window.to": kScalar,
	"quiet_hours": kMap, "quiet_hours.from": kScalar, "quiet_hours.to": kScalar,
}

// Parse reads one campaign file. file names it in errors. The error, if
// any, joins a *validation.Problem per problem found.
func Parse(file string, data []byte) (*Campaign, error) {
	p := parser{file: file, vals: map[string]*yaml.Node{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("empty file")
		}
		return nil, &validation.Problem{File: file, Msg: "not valid YAML: " + err.Error()}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	p.walk(root, "")
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	c := p.build()
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	c.File = file
	return c, nil
}

type parser struct {
	file string
	vals map[string]*yaml.Node // leaf path → node
	errs []error
}

func (p *parser) bad(field string, n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &validation.Problem{File: p.file, Field: field, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) walk(n *yaml.Node, prefix string) {
	if n.Kind != yaml.MappingNode {
		p.bad(orTop(prefix), n, "expected a mapping of keys")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := k.Value
		if prefix != "" {
			field = prefix + "." + k.Value
		}
		kind, ok := schema[field]
		if !ok {
			p.bad(field, k, "unknown field")
			continue
		}
		if _, dup := p.vals[field]; dup {
			p.bad(field, k, "given twice")
			continue
		}
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		switch {
		case kind == kMap && v.Kind == yaml.MappingNode:
			p.vals[field] = v
			p.walk(v, field)
		case kind == kFreeMap && v.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j+1].Kind != yaml.ScalarNode {
					p.bad(field+"."+v.Content[j].Value, v.Content[j+1], "expected a single value")
				}
			}
			p.vals[field] = v
		case kind == kSeq && v.Kind == yaml.SequenceNode:
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode {
					p.bad(field, item, "list items must be plain values")
				}
			}
			p.vals[field] = v
		case kind == kScalar && v.Kind == yaml.ScalarNode:
			p.vals[field] = v
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			// "key:" with nothing: treat as absent.
		default:
			want := map[nodeKind]string{kScalar: "a single value", kSeq: "a list", kMap: "a mapping", kFreeMap: "a mapping"}[kind]
			p.bad(field, v, "expected %s", want)
		}
	}
}

func orTop(prefix string) string {
	if prefix == "" {
		return "(top level)"
	}
	return prefix
}

func (p *parser) str(field string) string {
	if n := p.vals[field]; n != nil && n.Kind == yaml.ScalarNode {
		return strings.TrimSpace(n.Value)
	}
	return ""
}

func (p *parser) list(field string) []*yaml.Node {
	if n := p.vals[field]; n != nil && n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return nil
}

// build checks every field and assembles the Campaign; problems go to errs.
func (p *parser) build() *Campaign {
	c := &Campaign{
		ID: p.str("id"), Title: p.str("title"), Theme: p.str("theme"), Quiz: p.str("quiz"),
		Channel: Channel(p.str("channel")),
	}
	switch {
	case c.ID == "":
		p.bad("id", nil, "is required")
	case !idRe.MatchString(c.ID):
		p.bad("id", p.vals["id"], "%q must be 1-40 lower-case letters, digits or '-', starting with a letter or digit", c.ID)
	}
	if c.Title == "" {
		p.bad("title", nil, "is required")
	}
	ch, ok := channels[c.Channel]
	switch {
	case c.Channel == "":
		p.bad("channel", nil, "is required: %s", channelNames())
	case !ok:
		p.bad("channel", p.vals["channel"], "%q is not %s", c.Channel, channelNames())
	}
	p.audience(c)
	p.content(c)
	if ch != nil && p.vals["content"] != nil {
		ch.validate(p, c)
		if !ch.article && c.Content.Article != "" {
			p.bad("content.article", p.vals["content.article"], "is for channels article and publish only")
		}
	}
	p.window(c)
	p.quietHours(c)
	p.schedule(c, ch)
	return c
}

func (p *parser) audience(c *Campaign) {
	a := &c.Audience
	if v := p.str("audience.all"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			p.bad("audience.all", p.vals["audience.all"], "%q is not true or false", v)
		}
		a.All = b
	}
	for _, n := range p.list("audience.tags") {
		id, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil || id <= 0 {
			p.bad("audience.tags", n, "%q is not a WeChat tag id (a positive number)", n.Value)
			continue
		}
		if !slices.Contains(a.Tags, id) {
			a.Tags = append(a.Tags, id)
		}
	}
	for _, n := range p.list("audience.communities") {
		if n.Value == "" {
			p.bad("audience.communities", n, "empty community id")
			continue
		}
		if !slices.Contains(a.Communities, n.Value) {
			a.Communities = append(a.Communities, n.Value)
		}
	}
	for _, n := range p.list("audience.openids") {
		if n.Value == "" || strings.ContainsAny(n.Value, " \n\t") {
			p.bad("audience.openids", n, "%q is not an openid", n.Value)
			continue
		}
		if slices.Contains(a.OpenIDs, n.Value) {
			p.bad("audience.openids", n, "%q is listed twice", n.Value)
			continue
		}
		a.OpenIDs = append(a.OpenIDs, n.Value)
	}
	a.SMSList = p.str("audience.sms_list")
	some := len(a.Tags) > 0 || len(a.Communities) > 0 || len(a.OpenIDs) > 0
	switch {
	case p.vals["audience"] == nil:
		p.bad("audience", nil, "is required: all: true, tags, communities or openids (sms_list for channel sms)")
	case a.All && some:
		p.bad("audience", p.vals["audience"], "all: true cannot be combined with tags, communities or openids")
	case !a.All && !some && a.SMSList == "":
		p.bad("audience", p.vals["audience"], "selects nobody: set all: true, tags, communities or openids")
	}
}

func (p *parser) content(c *Campaign) {
	ct := &c.Content
	ct.Text = strings.TrimRight(p.str("content.text"), "\n")
	ct.MediaID = p.str("content.media_id")
	ct.Article = p.str("content.article")
	if p.vals["content.template"] != nil {
		ct.Template = &Template{ID: p.str("content.template.id"), URL: p.str("content.template.url"), Fields: map[string]string{}}
		if n := p.vals["content.template.fields"]; n != nil {
			for i := 0; i+1 < len(n.Content); i += 2 {
				ct.Template.Fields[n.Content[i].Value] = n.Content[i+1].Value
			}
		}
	}
	if p.vals["content.sms"] != nil {
		ct.SMS = &SMS{Template: p.str("content.sms.template"), Params: map[string]string{}}
		if n := p.vals["content.sms.params"]; n != nil {
			for i := 0; i+1 < len(n.Content); i += 2 {
				ct.SMS.Params[n.Content[i].Value] = n.Content[i+1].Value
			}
		}
	}
	if p.vals["content"] == nil {
		p.bad("content", nil, "is required")
	}
}

func (p *parser) time(field string) time.Time {
	s := p.str(field)
	if s == "" {
		return time.Time{}
	}
	t, err := chinatime.Parse(s)
	if err != nil {
		p.bad(field, p.vals[field], "%v", err)
	}
	return t
}

func (p *parser) window(c *Campaign) {
	c.Window = Window{From: p.time("window.from"), To: p.time("window.to")}
	if !c.Window.From.IsZero() && !c.Window.To.IsZero() && !c.Window.From.Before(c.Window.To) {
		p.bad("window", p.vals["window"], "from must be before to")
	}
}

func (p *parser) quietHours(c *Campaign) {
	if p.vals["quiet_hours"] == nil {
		return
	}
	clock := func(field string) int {
		s := p.str(field)
		t, err := time.Parse("15:04", s)
		if err != nil {
			p.bad(field, p.vals[field], "%q is not a time of day like 21:30", s)
			return 0
		}
		return t.Hour()*60 + t.Minute()
	}
	q := QuietHours{From: clock("quiet_hours.from"), To: clock("quiet_hours.to"), Set: true}
	if q.From == q.To {
		p.bad("quiet_hours", p.vals["quiet_hours"], "from and to are equal")
	}
	c.QuietHours = q
}

func (p *parser) schedule(c *Campaign, ch *channel) {
	s := &c.Schedule
	s.At = p.time("schedule.at")
	s.Cron = p.str("schedule.cron")
	switch v := CatchUp(p.str("schedule.catch_up")); v {
	case "":
		s.CatchUp = CatchUpOnce
	case CatchUpSkip, CatchUpOnce:
		s.CatchUp = v
	default:
		p.bad("schedule.catch_up", p.vals["schedule.catch_up"], "%q is not skip or once", v)
	}
	if g := p.str("schedule.grace"); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d <= 0 {
			p.bad("schedule.grace", p.vals["schedule.grace"], "%q is not a positive duration like 2h", g)
		}
		s.Grace = d
	}
	if !s.At.IsZero() && s.Cron != "" {
		p.bad("schedule", p.vals["schedule"], "set either at (once) or cron (recurring), not both")
		return
	}
	if s.Cron != "" {
		spec, err := ParseCron(s.Cron)
		if err != nil {
			p.bad("schedule.cron", p.vals["schedule.cron"], "%q: %v (use 5 fields like \"0 9 * * 1\", CRON_TZ=Asia/Shanghai, @daily or @every 10s)", s.Cron, err)
			return
		}
		if d, ok := spec.(cron.ConstantDelaySchedule); ok && d.Delay < time.Second {
			p.bad("schedule.cron", p.vals["schedule.cron"], "@every needs at least 1s")
			return
		}
		if ch != nil {
			if gap := minGap(spec); gap > 0 && gap < ch.minInterval {
				p.bad("schedule.cron", p.vals["schedule.cron"], "%q 每 %s推送一次，%s渠道两次推送至少相隔 %s（每次都发给同一批人）",
					s.Cron, formatInterval(gap), ch.label, formatInterval(ch.minInterval))
				return
			}
		}
		s.spec = spec
		if !c.Window.To.IsZero() && c.Next(time.Unix(0, 0)).IsZero() {
			p.bad("schedule.cron", p.vals["schedule.cron"], "never fires inside the window")
		} else if at, ok := quietFire(c); ok {
			p.bad("schedule.cron", p.vals["schedule.cron"], "%q fires at %s, in the quiet hours %s",
				s.Cron, at.In(chinatime.Zone).Format("15:04"), c.QuietHours)
		}
	}
	if !s.At.IsZero() {
		if !c.Window.Contains(s.At) {
			p.bad("schedule.at", p.vals["schedule.at"], "%s is outside the window", s.At.In(chinatime.Zone).Format("2006-01-02 15:04"))
		}
		if quiet, _ := c.QuietHours.Quiet(s.At); quiet {
			p.bad("schedule.at", p.vals["schedule.at"], "%s falls in the quiet hours %s", s.At.In(chinatime.Zone).Format("15:04"), c.QuietHours)
		}
	}
}

// quietFire finds a fire of a recurring campaign inside its quiet hours,
// looking at its fires over a year (at most 1,000). Such a fire would
// wait until the quiet hours end, holding up the fires after it, so the
// schedule is refused instead.
func quietFire(c *Campaign) (time.Time, bool) {
	if !c.QuietHours.Set {
		return time.Time{}, false
	}
	start := time.Now()
	if !c.Window.From.IsZero() {
		start = c.Window.From.Add(-time.Second)
	}
	t := start
	for range 1000 {
		t = c.Next(t)
		if t.IsZero() || t.After(start.AddDate(1, 0, 0)) {
			break
		}
		if quiet, _ := c.QuietHours.Quiet(t); quiet {
			return t, true
		}
	}
	return time.Time{}, false
}

// LoadFile reads and validates one campaign file.
func LoadFile(name string) (*Campaign, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	return Parse(name, data)
}

// LoadDir reads every *.yaml and *.yml file at the top of dir. It returns
// the campaigns that are valid, sorted by id, and an error joining every
// problem (invalid files, duplicate ids). A missing dir is no campaigns.
func LoadDir(dir string) ([]*Campaign, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return LoadFS(os.DirFS(dir), dir)
}

// LoadFS is LoadDir over a file system (the embedded samples); prefix is
// prepended to file names in messages.
func LoadFS(fsys fs.FS, prefix string) ([]*Campaign, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	var out []*Campaign
	var errs []error
	seen := map[string]string{}
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		name := filepath.Join(prefix, e.Name())
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			errs = append(errs, fmt.Errorf("campaigns: %w", err))
			continue
		}
		c, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := seen[c.ID]; dup {
			errs = append(errs, &validation.Problem{File: name, Field: "id", Msg: fmt.Sprintf("%q is also the id of %s", c.ID, other)})
			continue
		}
		seen[c.ID] = name
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, errors.Join(errs...)
}
