// Command pufa runs the legal-publicity service for a WeChat official
// account: the callback bot, the simulator, the demo and the tools around
// them. main only parses flags and wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own args and runs until done or
// ctx is cancelled (Ctrl-C).
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":     {"run the service (callback endpoint, health checks)", runServe},
		"demo":      {"run everything in one process: embedded Redis, WeChat simulator, bot", runDemo},
		"wxsim":     {"run the WeChat simulator alone", runWXSim},
		"bench":     {"benchmarks: bench callback", runBench},
		"campaign":  {"plan, approve, send and count themed campaigns (new, validate, list, stats, approve, preview, run, pause, resume, cancel)", runCampaign},
		"kb":        {"knowledge base: kb ask \"问题\", kb eval (retrieval quality on STARD)", runKB},
		"quiz":      {"legal-knowledge quizzes in the chat: quiz validate [FILE], quiz list, quiz stats QUIZ [--json]", runQuiz},
		"config":    {"print the effective configuration (secrets masked)", runConfig},
		"report":    {"publicity figures for a period: report --from --to --format md|csv|json|xlsx [--out FILE]", runReport},
		"ledger":    {"offline activity ledger: ledger add|edit|list|history", runLedger},
		"community": {"community registry: community list, community import (migrate ids seen before the registry)", runCommunity},
		"sms":       {"SMS lists of residents who agreed to text messages: sms add|lists|erase", runSMS},
		"console":   {"staff console helpers: console hash|adduser|token", runConsole},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "pufa:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd.run(ctx, args[1:], stdout)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: pufa <command> [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'pufa <command> -h' for a command's flags.")
}

// subcommand splits a command's args into its subcommand and the rest. For
// help, or when no subcommand is given, it prints usage and reports ok=false,
// with an error in the second case.
func subcommand(name, usage string, args []string, stdout io.Writer) (sub string, rest []string, ok bool, err error) {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, usage)
		if len(args) == 0 {
			return "", nil, false, fmt.Errorf("%s: no subcommand given", name)
		}
		return "", nil, false, nil
	}
	return args[0], args[1:], true, nil
}
