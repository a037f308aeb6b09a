package knowledge

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

// The national snapshot of 2025-04-19 (../shared/data/laws-national, copied
// by scripts/sync-laws.sh). DEFAULT.txt lists the laws loaded by default,
// SUPERSEDED.txt the texts never loaded because they are no longer in force.
//
//go:embed laws
var lawsFS embed.FS

// LawSet names which of the embedded laws a corpus holds.
type LawSet string

// Law sets.
const (
	// LawsDefault are the laws a street office's residents ask about,
	// listed in laws/DEFAULT.txt.
	LawsDefault LawSet = "default"
	// LawsNational is the whole national snapshot less superseded texts.
	LawsNational LawSet = "national"
)

// ParseLawSet checks a configured law set name.
func ParseLawSet(s string) (LawSet, error) {
	switch LawSet(s) {
	case "", LawsDefault:
		return LawsDefault, nil
	case LawsNational:
		return LawsNational, nil
	}
	return "", fmt.Errorf("knowledge: unknown law set %q (want default or national)", s)
}

// EmbeddedLaws parses the embedded laws of a set, in manifest order for the
// default set and in path order for the national one. Texts that hold no
// numbered articles (a few notices and replies) are skipped in the national
// set and reported in skipped; the default set must parse whole.
func EmbeddedLaws(set LawSet) (laws []*Law, skipped []string, err error) {
	sub, err := fs.Sub(lawsFS, "laws")
	if err != nil {
		return nil, nil, fmt.Errorf("knowledge: embedded laws: %w", err)
	}
	superseded, err := supersededSet(sub)
	if err != nil {
		return nil, nil, err
	}
	if set == LawsDefault || set == "" {
		paths, err := manifest(sub, "DEFAULT.txt")
		if err != nil {
			return nil, nil, err
		}
		for _, e := range paths {
			p := e.path
			if superseded[p] != "" {
				return nil, nil, fmt.Errorf("knowledge: DEFAULT.txt lists superseded %s", p)
			}
			l, err := parseLawFile(sub, p)
			if err != nil {
				return nil, nil, err
			}
			laws = append(laws, l)
		}
		return laws, nil, nil
	}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") || superseded[p] != "" {
			return err
		}
		l, err := parseLawFile(sub, p)
		if err != nil {
			skipped = append(skipped, p)
			return nil
		}
		laws = append(laws, l)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("knowledge: embedded laws: %w", err)
	}
	return laws, skipped, nil
}

// EmbeddedCorpus is the corpus of an embedded law set.
func EmbeddedCorpus(set LawSet) (*Corpus, error) {
	laws, _, err := EmbeddedLaws(set)
	if err != nil {
		return nil, err
	}
	return NewCorpus(laws...)
}

// DefaultLaws parses the default set of embedded laws.
func DefaultLaws() ([]*Law, error) {
	laws, _, err := EmbeddedLaws(LawsDefault)
	return laws, err
}

// DefaultCorpus is the corpus of the default embedded laws.
func DefaultCorpus() (*Corpus, error) { return EmbeddedCorpus(LawsDefault) }

// SupersededTexts lists the embedded texts that are never loaded, with the
// reason, path → reason.
func SupersededTexts() (map[string]string, error) {
	sub, err := fs.Sub(lawsFS, "laws")
	if err != nil {
		return nil, err
	}
	return supersededSet(sub)
}

func parseLawFile(fsys fs.FS, p string) (*Law, error) {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("knowledge: laws: %w", err)
	}
	return ParseMarkdown(p, data)
}

// manifestEntry is one line of a manifest: a law's path and the comment
// after it (for SUPERSEDED.txt, why the text is no longer in force).
type manifestEntry struct{ path, note string }

// manifest reads a list of law paths, one a line, "#" starting a comment.
// Every path must be embedded.
func manifest(fsys fs.FS, name string) ([]manifestEntry, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("knowledge: laws: %w", err)
	}
	var out []manifestEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		p, note, _ := strings.Cut(sc.Text(), "#")
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := fs.Stat(fsys, p); err != nil {
			return nil, fmt.Errorf("knowledge: laws/%s: %s is not embedded", name, p)
		}
		out = append(out, manifestEntry{p, strings.TrimSpace(note)})
	}
	return out, nil
}

// supersededSet reads SUPERSEDED.txt as path → reason.
func supersededSet(fsys fs.FS) (map[string]string, error) {
	list, err := manifest(fsys, "SUPERSEDED.txt")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(list))
	for _, e := range list {
		m[e.path] = cmpOr(e.note, "no longer in force")
	}
	return m, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// staleTexts are laws revised after the 2025-04-19 snapshot: an answer citing
// the snapshot's text must say that a newer one applies.
var staleTexts = map[string]struct{ revised, inForce string }{
	"治安管理处罚法": {"2025-06-27", "2026年1月1日"},
	"反不正当竞争法": {"2025-06-27", "2025年10月15日"},
	"仲裁法":     {"2025-09-12", "2026年3月1日"},
}

// staleNote is the warning carried by texts known to be superseded by a
// revision that the snapshot does not hold.
func staleNote(short, version string) string {
	s, ok := staleTexts[short]
	if !ok || version == "" || version >= s.revised {
		return ""
	}
	return "注意：本条引自" + version[:4] + "年版本；该法已于" + s.revised[:4] + "年修订，新法自" + s.inForce + "起施行，条文和序号可能已变化，请以新法为准或咨询12348。"
}

// DropSuperseded removes laws that are no longer in force from laws loaded
// elsewhere (a STARD-format corpus holds 合同法, the 婚姻法 interpretations
// and more): those named by SUPERSEDED.txt and those the Civil Code
// repealed. It returns the names dropped.
func DropSuperseded(laws []*Law) (kept []*Law, dropped []string, err error) {
	sub, err := fs.Sub(lawsFS, "laws")
	if err != nil {
		return nil, nil, err
	}
	sup, err := supersededSet(sub)
	if err != nil {
		return nil, nil, err
	}
	gone := make(map[string]bool)
	for p := range sup {
		if l, err := parseLawFile(sub, p); err == nil {
			gone[lawKey(l.Name)] = true
		}
	}
	for name := range repealedLaws {
		gone[lawKey(name)] = true
	}
	for _, l := range laws {
		if gone[lawKey(l.Name)] {
			dropped = append(dropped, l.Name)
			continue
		}
		kept = append(kept, l)
	}
	return kept, dropped, nil
}
