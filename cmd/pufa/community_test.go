package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pufa-dev/pufa/communities"
)

func TestCommunityImportCommand(t *testing.T) {
	e := newCLIEnv(t, 0, "")
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := runCommand(t, &out, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	for _, c := range []string{"xingfu", "幸福社区"} {
		run(append([]string{"ledger", "add", "--date", "2026-03-05", "--kind", "讲座", "--community", c}, "--config", e.config)...)
	}
	var res communities.ImportResult
	if err := json.Unmarshal([]byte(run("community", "import", "--json", "--config", e.config)), &res); err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Registered, ",") != "xingfu" || res.Unmatched["幸福社区"] != 1 {
		t.Errorf("import = %+v", res)
	}
	if out := run("community", "import", "--config", e.config); !strings.Contains(out, "新登记未命名社区 0 个") || !strings.Contains(out, "名册中没有的社区名：幸福社区") {
		t.Errorf("second import says %q", out)
	}
	if out := run("community", "list", "--config", e.config); !strings.Contains(out, "未命名社区（xingfu）") {
		t.Errorf("list = %q", out)
	}
}

// runCommand runs a pufa subcommand as main does.
func runCommand(t *testing.T, out *bytes.Buffer, args ...string) error {
	t.Helper()
	cmd, ok := commands()[args[0]]
	if !ok {
		t.Fatalf("no command %s", args[0])
	}
	return cmd.run(context.Background(), args[1:], out)
}
