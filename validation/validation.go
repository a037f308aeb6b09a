// Package validation holds what the checks of staff-written definition files
// (campaigns, quiz banks and quizzes) report: one Problem per mistake, naming
// the file, the field and the line, so that every loader reads the same way.
package validation

import (
	"fmt"
	"strings"
)

// Problem is one problem in a definition file, naming the file and the
// field, e.g. "campaigns/x.yaml: schedule.cron: …" or
// "banks/x.yaml: questions[3] (xf04).answer: …".
type Problem struct {
	File  string
	Field string // dotted path; "" for the file as a whole
	Line  int    // 0 when unknown
	Msg   string
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Field != "" {
		b.WriteString(": " + p.Field)
	}
	b.WriteString(": " + p.Msg)
	if p.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", p.Line)
	}
	return b.String()
}
