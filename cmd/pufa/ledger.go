package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pufa-dev/pufa/communities"
	"github.com/pufa-dev/pufa/ledger"
)

const ledgerUsage = `usage: pufa ledger <subcommand> [flags]

  add   --date 2026-03-05 --kind 讲座 [--community C] [--count N] [--participants N] [--note TEXT] [--by NAME]
  edit  ID [same flags; unset ones keep their value] [--by NAME]
  list  [--from 2026-01-01] [--to 2026-12-31] [--json]
  history ID [--json]

kinds: lecture 讲座, event 宣传活动, banner 横幅, led LED 标语, sms 短信, material 宣传材料,
       training 培训, consult 法律咨询, mediation 矛盾纠纷调解, legal_aid 法律援助,
       mingbai 法律明白人/法治带头人培训, cadre 领导干部学法, volunteer 普法志愿者活动,
       culture 法治文化阵地建设
community: a registry id or name is recorded as the id`

// runLedger is `pufa ledger`: the offline activity ledger from the command line.
func runLedger(ctx context.Context, args []string, stdout io.Writer) error {
	sub, args, ok, err := subcommand("ledger", ledgerUsage, args, stdout)
	if !ok {
		return err
	}
	fs := newFlagSet("ledger " + sub)
	path := configFlag(fs)
	var in ledger.Input
	fs.StringVar(&in.Date, "date", "", "date of the activity, yyyy-mm-dd")
	fs.StringVar(&in.Kind, "kind", "", "kind: code or Chinese label")
	fs.StringVar(&in.Community, "community", "", "community")
	fs.Int64Var(&in.Count, "count", 1, "count (sessions, banners, messages, copies, people or cases)")
	fs.Int64Var(&in.Participants, "participants", 0, "participants (人次)")
	fs.StringVar(&in.Note, "note", "", "note")
	by := fs.String("by", currentUser(), "who records it")
	year := time.Now().Year()
	from := fs.String("from", fmt.Sprintf("%d-01-01", year), "list: first day")
	to := fs.String("to", fmt.Sprintf("%d-12-31", year), "list: last day")
	asJSON := fs.Bool("json", false, "list, history: JSON output")

	// Flags may follow the entry id (`edit 7 --count 3`).
	cfg, pos, err := parseInterleaved(fs, path, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	st, err := openStore(cfg.Redis)
	if err != nil {
		return err
	}
	defer st.Close()
	l := ledger.New(st, nil).WithCommunities(communities.New(st, nil))

	switch sub {
	case "add":
		id, err := l.Add(ctx, in, *by)
		if err != nil {
			return fmt.Errorf("ledger add: %w", err)
		}
		fmt.Fprintf(stdout, "recorded entry %s\n", id)
		return nil
	case "edit":
		if len(pos) != 1 {
			return errors.New("ledger edit: want exactly one entry id")
		}
		cur, err := l.Get(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("ledger edit: %w", err)
		}
		next := ledger.Input{Date: cur.Date, Kind: cur.Kind, Community: cur.Community, Count: cur.Count,
			Participants: cur.Participants, Note: cur.Note}
		for name, apply := range map[string]func(){
			"date": func() { next.Date = in.Date }, "kind": func() { next.Kind = in.Kind },
			"community": func() { next.Community = in.Community }, "count": func() { next.Count = in.Count },
			"participants": func() { next.Participants = in.Participants }, "note": func() { next.Note = in.Note },
		} {
			if set[name] {
				apply()
			}
		}
		v, err := l.Edit(ctx, pos[0], next, cur.Version, *by)
		if err != nil {
			return fmt.Errorf("ledger edit: %w", err)
		}
		fmt.Fprintf(stdout, "entry %s is now version %d\n", pos[0], v)
		return nil
	case "list":
		entries, err := l.List(ctx, *from, *to)
		if err != nil {
			return fmt.Errorf("ledger list: %w", err)
		}
		return printEntries(stdout, entries, *asJSON)
	case "history":
		if len(pos) != 1 {
			return errors.New("ledger history: want exactly one entry id")
		}
		cur, err := l.Get(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("ledger history: %w", err)
		}
		h, err := l.History(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("ledger history: %w", err)
		}
		return printEntries(stdout, append(h, cur), *asJSON)
	}
	fmt.Fprintln(stdout, ledgerUsage)
	return fmt.Errorf("ledger: unknown subcommand %q", sub)
}

func printEntries(w io.Writer, entries []ledger.Entry, asJSON bool) error {
	if asJSON {
		if entries == nil {
			entries = []ledger.Entry{}
		}
		return writeJSON(w, entries)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVER\tDATE\tCOMMUNITY\tKIND\tCOUNT\tPARTICIPANTS\tNOTE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\t%s\n", e.ID, e.Version, e.Date, e.Community,
			ledger.Kind(e.Kind).Label(), e.Count, e.Participants, e.Note)
	}
	return tw.Flush()
}
