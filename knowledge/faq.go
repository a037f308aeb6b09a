package knowledge

import (
	"bytes"
	_ "embed"
	"regexp"
	"slices"
)

//go:embed faq.yaml
var defaultFAQ []byte

// DefaultFAQ returns the embedded starter FAQ (YAML), for staff to copy and edit.
func DefaultFAQ() []byte { return bytes.Clone(defaultFAQ) }

// DefaultFAQVars are the values used for placeholders the configuration
// leaves unset, so an unconfigured office still gives a sensible reply.
func DefaultFAQVars() map[string]string {
	return map[string]string{
		"station_address": "请咨询所在社区居委会",
		"station_hours":   "以街道公告为准",
	}
}

var (
	faqIDRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)
)

// ParseFAQ parses and validates the office FAQ (YAML, the answer bank's
// format) against the corpus: ids must be unique, questions and answers
// non-empty, every cited article must exist (and every quote be found in it),
// and every {{placeholder}} must have a value in vars. Errors name the entry.
func ParseFAQ(data []byte, c *Corpus, vars map[string]string) ([]*Entry, error) {
	return parseEntries("faq", data, LayerOffice, c, vars)
}

// render fills {{name}} placeholders from vars and reports names it could
// not fill, in order of appearance.
func render(s string, vars map[string]string) (string, []string) {
	var missing []string
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		if v, ok := vars[name]; ok {
			return v
		}
		if !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return m
	})
	return out, missing
}

// termIDF is the content index's idf of a term, or the largest idf for a
// term the corpus lacks.
func (s *searcher) termIDF(key uint64) float32 {
	if id, ok := s.content.dict[key]; ok {
		return s.content.idf[id]
	}
	return idf(s.content.n, 0)
}
