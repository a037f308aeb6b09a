package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/pufa-dev/pufa/communities"
)

const communityUsage = `usage: pufa community <subcommand> [flags]

  list    the registry with current followers [--json]
  import  register every community id seen in follower records and the ledger
          (unnamed until named in the console's 社区 page) and record ledger entries
          typed with a registered name under its id [--by NAME] [--json]`

// runCommunity is `pufa community`: the community registry from the command line.
func runCommunity(ctx context.Context, args []string, stdout io.Writer) error {
	sub, args, ok, err := subcommand("community", communityUsage, args, stdout)
	if !ok {
		return err
	}
	fs := newFlagSet("community " + sub)
	path := configFlag(fs)
	by := fs.String("by", currentUser(), "import: who runs the migration (kept in the ledger entries' history)")
	asJSON := fs.Bool("json", false, "JSON output")
	cfg, err := parseAndLoad(fs, path, args)
	if err != nil {
		return err
	}
	st, err := openStore(cfg.Redis)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := communities.New(st, nil)
	switch sub {
	case "list":
		list, err := reg.List(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "编号\t社区\t当前关注\t法律顾问\t状态")
		for _, c := range list {
			state := "启用"
			if !c.Active {
				state = "停用"
			}
			adviser := c.Adviser.Name
			if adviser == "" {
				adviser = "未登记"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.ID, c.DisplayName, c.Followers, adviser, state)
		}
		return tw.Flush()
	case "import":
		res, err := reg.Import(ctx, st, *by)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, res)
		}
		fmt.Fprintf(stdout, "新登记未命名社区 %d 个", len(res.Registered))
		if len(res.Registered) > 0 {
			fmt.Fprintf(stdout, "：%v", res.Registered)
		}
		fmt.Fprintf(stdout, "\n台账改记为社区编号 %d 条\n", res.Resolved)
		names := make([]string, 0, len(res.Unmatched))
		for n := range res.Unmatched {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(stdout, "名册中没有的社区名：%s（%d 条台账）——请在控制台“社区”页登记后再次导入\n", n, res.Unmatched[n])
		}
		return nil
	default:
		fmt.Fprintln(stdout, communityUsage)
		return fmt.Errorf("community: unknown subcommand %q", sub)
	}
}
